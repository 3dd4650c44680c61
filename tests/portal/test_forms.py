"""The portal's forms read what people type (Danish numbers and dates, municipality names) into
typed values, and name what they cannot read; the domain never sees text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask

from matching.fairs.planning import FairInput
from matching.models import VacancyKind
from portal.fairs import FairForm
from portal.vacancy_forms import VacancyForm


def vacancy_form(app: Flask, data: dict[str, str]) -> VacancyForm:
    with app.test_request_context(method="POST", data=data):
        return VacancyForm()


def test_danish_numbers_and_dates_are_read(app: Flask) -> None:
    form = vacancy_form(
        app,
        {
            "title": "  Kok  ",
            "weekly_hours": "37,5",
            "positions": "2",
            "start_date": "1.9.2031",
            "deadline": "2031-08-15",
            "ordinary_staff_fte": "1.250",
            "employee_rep_statement": "ja",
            "p_number_id": "",
        },
    )
    data = form.to_input(VacancyKind.LOENTILSKUD_PRIVATE)
    assert data.title == "Kok" and data.weekly_hours == Decimal("37.5") and data.positions == 2
    assert data.start_date == date(2031, 9, 1) and data.deadline == date(2031, 8, 15)
    assert data.ordinary_staff_fte == Decimal(1250) and data.employee_rep_statement is True
    assert data.p_number_id is None and not data.unreadable


def test_what_cannot_be_read_is_named_and_shown_as_typed(app: Flask) -> None:
    typed = {"start_date": "31.02.2031", "weekly_hours": "37,25", "positions": "1,5", "kind": "x"}
    form = vacancy_form(app, typed)
    assert form.to_input(None).unreadable == {
        "kind": "Vælg hvilken type stilling det er.",
        "start_date": "Skriv datoen som dd.mm.åååå, fx 14.03.2027.",
        "weekly_hours": "Skriv tallet med højst én decimal, fx 37,5.",
        "positions": "Skriv antal stillinger som et helt tal.",
    }
    assert form.weekly_hours._value() == "37,25" and form.start_date._value() == "31.02.2031"
    # A vacancy's kind is fixed by the page: the missing choice is no problem then.
    assert "kind" not in form.to_input(VacancyKind.ORDINARY).unreadable


@pytest.mark.parametrize("typed", ["1E30", "1e2", "-5", "37 timer", "NaN", "Infinity"])
def test_numbers_are_digits_only(app: Flask, typed: str) -> None:
    data = vacancy_form(app, {"weekly_hours": typed, "ordinary_staff_fte": typed}).to_input(None)
    assert data.weekly_hours is None and data.ordinary_staff_fte is None
    assert {"weekly_hours", "ordinary_staff_fte"} <= set(data.unreadable)


def test_a_title_is_one_line(app: Flask) -> None:
    assert vacancy_form(app, {"title": "Lager\r\nBcc: x@y.dk"}).to_input(None).title == (
        "Lager Bcc: x@y.dk"
    )


def fair_form(app: Flask, data: dict[str, object]) -> FairForm:
    with app.test_request_context(method="POST", data=data):
        return FairForm()


def test_the_fair_form_reads_danish_dates_municipality_names_and_target_groups(
    app: Flask,
) -> None:
    values = fair_form(
        app,
        {
            "name": "  Jobmesse Fyn  ",
            "held_on": "14-03-2027",
            "place": "Odense Congress Center",
            "target_groups": ["kontanthjaelp_jobparat", "dagpenge", "dagpenge"],
            "municipality_codes": "Odense, nyborg kommune; 461",
            "description": "Program:\r\nKl. 10 åbner dørene.",
        },
    ).to_input()
    assert values == FairInput(
        name="Jobmesse Fyn",
        held_on=date(2027, 3, 14),
        place="Odense Congress Center",
        target_groups=["dagpenge", "kontanthjaelp_jobparat"],  # list order, once each
        municipality_codes=[461, 450],
        description="Program:\nKl. 10 åbner dørene.",
    )
    iso = fair_form(app, {"name": "M", "held_on": "2027-03-14", "place": "Hal"}).to_input()
    assert iso.held_on == date(2027, 3, 14)
    assert iso.target_groups == [] and iso.municipality_codes == []  # all, whole country


def test_the_fair_form_names_what_it_cannot_read(app: Flask) -> None:
    form = fair_form(
        app, {"held_on": "31-02-2027", "municipality_codes": "Odense, Odens, Atlantis"}
    )
    problems = form.to_input().unreadable
    assert problems["held_on"] == "Skriv datoen som dd.mm.åååå, fx 14.03.2027."
    assert "»Odens«" in problems["municipality_codes"]
    assert "»Atlantis«" in problems["municipality_codes"]
    assert form.municipality_codes._value() == "Odense, Odens, Atlantis"  # shown as typed


def test_a_stored_fair_is_shown_the_danish_way(app: Flask) -> None:
    stored = SimpleNamespace(
        name="Messe",
        held_on=date(2027, 3, 14),
        place="Hal",
        target_groups=["dagpenge"],
        municipality_codes=[461, 450],
        description="",
    )
    with app.test_request_context():
        form = FairForm(formdata=None, obj=stored)
        assert form.municipality_codes._value() == "Odense, Nyborg"
        assert form.held_on._value() == "2027-03-14"  # what <input type=date> expects
