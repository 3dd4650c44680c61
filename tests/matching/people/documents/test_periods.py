"""Periods as CVs write them (matching.people.documents.periods)."""

from __future__ import annotations

import pytest

from matching.people.documents.periods import find_period, without


@pytest.mark.parametrize(
    ("text", "start", "end", "ongoing"),
    [
        ("jan. 2019 – nu", 2019, None, True),
        ("januar 2019 - d.d.", 2019, None, True),
        ("2015-2018", 2015, 2018, False),
        ("03/2020 - present", 2020, None, True),
        ("2019 – current", 2019, None, True),
        ("Mar 2017 – Feb 2019", 2017, 2019, False),
        ("Sept. 2016 – okt. 2018", 2016, 2018, False),
        ("1. marts 2019 til 31. maj 2020", 2019, 2020, False),
        ("May 2018 to Present", 2018, None, True),
        ("2019 – dags dato", 2019, None, True),
        ("siden 2019", 2019, None, True),
        ("since 2021", 2021, None, True),
        ("2020-03 - 2021-05", 2020, 2021, False),
        ("2019 –", 2019, None, True),
        ("2018", 2018, 2018, False),
    ],
)
def test_each_date_form_gives_its_years(
    text: str, start: int, end: int | None, ongoing: bool
) -> None:
    period = find_period(text)
    assert period is not None
    assert (period.start, period.end, period.ongoing) == (start, end, ongoing)


def test_a_year_alone_is_marked_single_and_needs_permission() -> None:
    assert find_period("2018").single  # type: ignore[union-attr]
    assert find_period("Netto, 2000 Frederiksberg", allow_single=False) is None


def test_a_reversed_range_is_put_in_order() -> None:
    period = find_period("2018 - 2015")
    assert period is not None and (period.start, period.end) == (2015, 2018)


@pytest.mark.parametrize("text", ["", "Kursus 2. modul", "Lagermedarbejder", "1850-1860", "2500"])
def test_no_period(text: str) -> None:
    assert find_period(text) is None


def test_a_trailing_year_of_a_long_line_counts_even_where_single_years_do_not() -> None:
    line = "Multimediedesigner (erhvervsakademiuddannelse), UCL Erhvervsakademi, 2019"
    period = find_period(line, allow_single=False)
    assert period is not None and period.start == 2019


def test_without_cuts_the_period_and_its_brackets() -> None:
    text = "Lagermedarbejder, Netto A/S (2015 - 2018)"
    period = find_period(text)
    assert period is not None
    assert without(text, period) == "Lagermedarbejder, Netto A/S"
    text = "Universitet i hjemlandet (vurderet i Danmark), 2012"
    period = find_period(text)
    assert period is not None
    assert without(text, period) == "Universitet i hjemlandet (vurderet i Danmark)"
