"""Headings and personal data (matching.people.documents.sections)."""

from __future__ import annotations

import pytest

from matching.people.documents.sections import (
    DESIRED,
    EDUCATION,
    EXPERIENCE,
    LANGUAGES,
    LICENCES,
    PROFILE,
    SKILLS,
    find_heading,
    is_contact_line,
    scrub,
)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Erfaring", EXPERIENCE),
        ("ERHVERVSERFARING", EXPERIENCE),
        ("Arbejdserfaring:", EXPERIENCE),
        ("Work Experience", EXPERIENCE),
        ("E R F A R I N G", EXPERIENCE),
        ("O M  M I G", PROFILE),
        ("## Experience ##", EXPERIENCE),
        ("Uddannelse", EDUCATION),
        ("Uddannelse & kurser", EDUCATION),
        ("Education", EDUCATION),
        ("Kompetencer", SKILLS),
        ("Færdigheder:", SKILLS),
        ("Mine kompetencer", SKILLS),
        ("IT-kompetencer", SKILLS),
        ("Skills", SKILLS),
        ("Sprog", LANGUAGES),
        ("LANGUAGES", LANGUAGES),
        ("Kørekort", LICENCES),
        ("Driver's license", LICENCES),
        ("Driving licence:", LICENCES),
        ("Profil", PROFILE),
        ("Resumé", PROFILE),
        ("Summary", PROFILE),
        ("About me", PROFILE),
        ("Jobønsker", DESIRED),
        ("Ønsket job", DESIRED),
        ("Desired position", DESIRED),
    ],
)
def test_heading_variants(line: str, kind: str) -> None:
    heading = find_heading(line)
    assert heading is not None and heading.kind == kind and heading.rest == ""


def test_a_heading_may_carry_its_content_after_a_colon_or_tab() -> None:
    assert find_heading("Kørekort: B, C") == find_heading("Kørekort\tB, C")
    heading = find_heading("Kørekort: B, C")
    assert heading is not None and heading.kind == LICENCES and heading.rest == "B, C"


@pytest.mark.parametrize(
    "line", ["Erfaring med truck.", "Lagermedarbejder", "Jeg har erfaring fra lager og logistik"]
)
def test_ordinary_lines_are_not_headings(line: str) -> None:
    assert find_heading(line) is None


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        ("Mette Hansen, mette@example.dk, tlf. 12 34 56 78", "Mette Hansen"),
        ("CPR: 010190-1234", ""),
        ("+45 20304050", ""),
        ("Tlf.: 12345678", ""),
        ("Lagermedarbejder 2015 2018", "Lagermedarbejder 2015 2018"),
        ("2015-2018", "2015-2018"),
        ("www.linkedin.com/in/mette", ""),
    ],
)
def test_scrub_takes_out_personal_data(line: str, clean: str) -> None:
    assert scrub(line)[0] == clean


def test_scrub_reports_a_cpr_number() -> None:
    assert scrub("CPR-nr. 0101901234")[1] is True
    assert scrub("Lagermedarbejder")[1] is False


@pytest.mark.parametrize(
    ("line", "contact"),
    [
        ("Vestergade 12, 2. th, 8000 Aarhus C", True),
        ("8000 Aarhus C", True),
        ("Adresse: Vestergade 12", True),
        ("Fødselsdato: 1.1.1990", True),
        ("Tlf. · mette.hans", True),
        ("Lagermedarbejder, Netto", False),
        ("2019 - 2021 Lagermedarbejder", False),
    ],
)
def test_contact_lines(line: str, contact: bool) -> None:
    assert is_contact_line(line) is contact
