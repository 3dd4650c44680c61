"""From text to a draft CV (matching.people.documents.parser)."""

from __future__ import annotations

import json

import pytest

from matching.people.documents import parse_document
from matching.people.documents.parser import parse_text
from tests.support.cv_documents import docx, odt, pdf

DANISH = """Mette Hansen
Vestergade 12, 8000 Aarhus C
Tlf. 12 34 56 78 · mette@example.dk · CPR 010190-1234
Erfaren lagermedarbejder søger nye udfordringer

Profil
Jeg er en erfaren lagermedarbejder med 8 års erfaring fra logistik.

Erhvervserfaring
Lagermedarbejder, Netto A/S
jan. 2019 – nu
Ansvarlig for varemodtagelse og ordreplukning.
Chauffør, DSB
2015-2018
Kørte ruter på Sjælland.

Uddannelse
Erhvervsuddannelse som lagermedarbejder, Syddansk Erhvervsskole, 2014
Folkeskolens afgangseksamen (9. klasse), Vestskolen, 2008

Kompetencer
• truckcertifikat
• ordreplukning, lagerstyring; håndscanner

Sprog
Dansk (modersmål), engelsk (godt)
Tysk – basis

Kørekort: B, C/CE, gaffeltruck

Jobønsker
Lagermedarbejder, Chauffør
"""


def test_a_danish_cv() -> None:
    cv, warnings = parse_text(DANISH)
    assert cv.headline == "Erfaren lagermedarbejder søger nye udfordringer"
    assert cv.summary.startswith("Jeg er en erfaren lagermedarbejder")
    assert [(e.title, e.employer, e.start_year, e.end_year) for e in cv.experiences] == [
        ("Lagermedarbejder", "Netto A/S", 2019, None),
        ("Chauffør", "DSB", 2015, 2018),
    ]
    assert cv.experiences[0].description == "Ansvarlig for varemodtagelse og ordreplukning."
    assert [(e.title, e.institution, e.completed_year) for e in cv.educations] == [
        ("Erhvervsuddannelse som lagermedarbejder", "Syddansk Erhvervsskole", 2014),
        ("Folkeskolens afgangseksamen (9. klasse)", "Vestskolen", 2008),
    ]
    assert cv.skills == ["truckcertifikat", "ordreplukning", "lagerstyring", "håndscanner"]
    assert [(x.language, x.level) for x in cv.languages] == [
        ("Dansk", "Modersmål"),
        ("Engelsk", "Godt"),
        ("Tysk", "Basis"),
    ]
    assert cv.driving_licences == ["B", "C", "CE", "truck"]
    assert [d.title for d in cv.desired_occupations] == ["Lagermedarbejder", "Chauffør"]
    assert cv.written_in == "da"
    assert any("CPR" in w for w in warnings)


def test_no_personal_data_reaches_any_field() -> None:
    cv, _ = parse_text(DANISH)
    dumped = json.dumps(cv.to_dict(), ensure_ascii=False)
    for secret in ("mette@example.dk", "12 34 56 78", "12345678", "010190", "Vestergade"):
        assert secret not in dumped
    assert "Mette Hansen" not in dumped


ENGLISH = """Anna Smith
anna.smith@example.com | +45 31 22 11 00
Software developer

Professional experience
Software Developer at Netcompany A/S
03/2020 - present
Backend development in Java and Python.
Junior Developer, Systematic A/S
Mar 2017 – Feb 2020
IT supporter | Aarhus Kommune | 2015-2017

Education
MSc in Computer Science, Aarhus University, 2017

Languages
English: native
Danish: fluent
German - basic

Driver's license
B

Desired position
Backend developer
"""


def test_an_english_cv() -> None:
    cv, _ = parse_text(ENGLISH)
    assert cv.headline == "Software developer"
    assert [(e.title, e.employer, e.start_year, e.end_year) for e in cv.experiences] == [
        ("Software Developer", "Netcompany A/S", 2020, None),
        ("Junior Developer", "Systematic A/S", 2017, 2020),
        ("IT supporter", "Aarhus Kommune", 2015, 2017),
    ]
    assert cv.educations[0].institution == "Aarhus University"
    assert [(x.language, x.level) for x in cv.languages] == [
        ("Engelsk", "Modersmål"),
        ("Dansk", "Flydende"),
        ("Tysk", "Basis"),
    ]
    assert cv.driving_licences == ["B"]
    assert cv.written_in == "en"


def test_date_first_entries() -> None:
    cv, _ = parse_text(
        "Erfaring\n2019 – nu\nLagermedarbejder\nNetto A/S\nPluk og pak af varer.\n"
        "2015 - 2018\nChauffør, DSB\nKørsel.\n"
    )
    assert [(e.title, e.employer, e.start_year, e.end_year) for e in cv.experiences] == [
        ("Lagermedarbejder", "Netto A/S", 2019, None),
        ("Chauffør", "DSB", 2015, 2018),
    ]


def test_employer_first_is_turned_round() -> None:
    cv, _ = parse_text("Erfaring\nEl-firmaet Volt ApS\nElektriker\njanuar 2018 - d.d.\n")
    assert (cv.experiences[0].title, cv.experiences[0].employer) == (
        "Elektriker",
        "El-firmaet Volt ApS",
    )


def test_missing_dates_give_no_years_and_a_warning() -> None:
    cv, warnings = parse_text(
        "Erfaring\nLagermedarbejder, Coop Danmark A/S\nPluk og pak af varer til butikker.\n"
        "Chauffør, Vognmand Hansen ApS\nKørsel med varer.\n"
    )
    assert [(e.title, e.start_year, e.end_year) for e in cv.experiences] == [
        ("Lagermedarbejder", None, None),
        ("Chauffør", None, None),
    ]
    assert sum("startede som" in w for w in warnings) == 2


def test_no_sections_at_all() -> None:
    cv, warnings = parse_text(
        "Peter Madsen\nTømrer med 12 års erfaring\n"
        "2013 – nu: Tømrer hos Byggefirmaet Nord ApS\n"
        "Tømreruddannelse, Syddansk Erhvervsskole, 2012\n"
        "Dansk (modersmål), engelsk (godt)\nKørekort: B, BE\n"
    )
    assert cv.headline == "Tømrer med 12 års erfaring"
    assert [(e.title, e.employer, e.start_year) for e in cv.experiences] == [
        ("Tømrer", "Byggefirmaet Nord ApS", 2013)
    ]
    assert [e.title for e in cv.educations] == ["Tømreruddannelse"]
    assert [x.language for x in cv.languages] == ["Dansk", "Engelsk"]
    assert cv.driving_licences == ["B", "BE"]


def test_nothing_recognisable_warns() -> None:
    cv, warnings = parse_text("Hej\nDette er ikke et CV.\n")
    assert cv.experiences == [] and warnings


def test_the_name_is_not_the_headline() -> None:
    cv, _ = parse_text("Selin Şahin\nLagermedarbejder\n\nErfaring\nLager, Netto A/S, 2019 - nu\n")
    assert cv.headline == "Lagermedarbejder"


def test_headline_falls_back_to_the_first_job_goal() -> None:
    cv, _ = parse_text("Jens Jensen\n\nJobønsker\n• Buschauffør\n• Chauffør\n")
    assert cv.headline == "Buschauffør"


@pytest.mark.parametrize(
    ("text", "licences"),
    [
        ("Kørekort\nB, BE, C1, D", ["B", "BE", "C1", "D"]),
        ("Kørekort\nKategori B og C+E", ["B", "CE"]),
        ("Kørekort\nB (personbil)\nTruckcertifikat", ["B", "truck"]),
        ("Driving licence\nCategory B, forklift", ["B", "truck"]),
        ("Kørekort\nIntet", []),
    ],
)
def test_driving_licences(text: str, licences: list[str]) -> None:
    assert parse_text(text)[0].driving_licences == licences


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("Dansk: modersmål", "Modersmål"),
        ("Dansk – flydende i skrift og tale", "Flydende"),
        ("Dansk (godt)", "Godt"),
        ("Dansk, basis", "Basis"),
        ("Danish (native)", "Modersmål"),
        ("Danish – fluent", "Flydende"),
        ("Danish: good", "Godt"),
        ("Danish: basic", "Basis"),
        ("Dansk", None),
    ],
)
def test_language_levels(line: str, level: str | None) -> None:
    cv, _ = parse_text(f"Sprog\n{line}\n")
    assert [(x.language, x.level) for x in cv.languages] == [("Dansk", level)]


def test_desired_occupations_from_a_sentence() -> None:
    cv, _ = parse_text("Jobønsker\nJeg søger job som lagermedarbejder eller chauffør.\n")
    assert [d.title for d in cv.desired_occupations] == ["Lagermedarbejder", "Chauffør"]


def test_headings_in_docx_tables() -> None:
    data = docx(
        [
            "Lars Nielsen",
            "Elektriker",
            [
                ["Erfaring", "Elektriker, Volt ApS\njanuar 2018 - d.d.\nInstallationer."],
                ["Uddannelse", "Elektrikeruddannelsen, Tradium, 2018"],
                ["Sprog", "Dansk (modersmål), Engelsk (godt)"],
                ["Kørekort", "B, BE"],
            ],
        ]
    )
    cv = parse_document(data, "cv.docx").cv
    assert cv.headline == "Elektriker"
    assert [(e.title, e.employer, e.start_year) for e in cv.experiences] == [
        ("Elektriker", "Volt ApS", 2018)
    ]
    assert [(e.title, e.institution) for e in cv.educations] == [
        ("Elektrikeruddannelsen", "Tradium")
    ]
    assert cv.driving_licences == ["B", "BE"]
    assert [x.level for x in cv.languages] == ["Modersmål", "Godt"]


def test_two_column_docx_layout() -> None:
    left = "Kompetencer\n* truck\nSprog\nDansk (modersmål)\nJobønsker\nLagermedarbejder"
    right = (
        "Erfaren lagermedarbejder\nErfaring\nLagermedarbejder | Netto A/S | 2019 – nu\n"
        "Pluk og pak.\nUddannelse\nEUD, EUC Syd, 2014"
    )
    cv = parse_document(docx(["Mette Hansen", [[left, right]]]), "cv.docx").cv
    assert [(e.title, e.employer) for e in cv.experiences] == [("Lagermedarbejder", "Netto A/S")]
    assert cv.languages[0].language == "Dansk"
    assert [d.title for d in cv.desired_occupations] == ["Lagermedarbejder"]


def test_dates_in_a_table_column_of_an_odt() -> None:
    data = odt(
        ["# Erhvervserfaring", [["2016 – nu", "Buschauffør, Arriva Danmark A/S"],
                                ["2012 – 2016", "Taxachauffør, Dantaxi ApS"]]]
    )  # fmt: skip
    cv = parse_document(data, "cv.odt").cv
    assert [(e.title, e.employer, e.start_year, e.end_year) for e in cv.experiences] == [
        ("Buschauffør", "Arriva Danmark A/S", 2016, None),
        ("Taxachauffør", "Dantaxi ApS", 2012, 2016),
    ]


def test_pdf_cv() -> None:
    cv = parse_document(pdf(DANISH.splitlines()), "cv.pdf").cv
    assert [e.title for e in cv.experiences] == ["Lagermedarbejder", "Chauffør"]
    assert cv.driving_licences == ["B", "C", "CE", "truck"]


def test_labelled_fields() -> None:
    cv, _ = parse_text(
        "Beskæftigelse\nStilling: Lagerarbejder\nArbejdsgiver: PostNord Danmark\n"
        "Periode: 2019 - nu\nStilling: Chauffør\nArbejdsgiver: GLS Denmark A/S\n"
        "Periode: 2012 - 2019\n"
    )
    assert [(e.title, e.employer, e.start_year, e.end_year) for e in cv.experiences] == [
        ("Lagerarbejder", "PostNord Danmark", 2019, None),
        ("Chauffør", "GLS Denmark A/S", 2012, 2019),
    ]


def test_a_year_and_a_title_is_not_a_postal_address() -> None:
    cv, _ = parse_text("Erfaring\n2019 Lagerarbejder, PostNord\n2018 Pakkemedarbejder, Bring\n")
    assert [(e.title, e.start_year) for e in cv.experiences] == [
        ("Lagerarbejder", 2019),
        ("Pakkemedarbejder", 2018),
    ]


def test_title_in_a_named_workplace() -> None:
    cv, _ = parse_text(
        "Arbejdserfaring:\n2018-2022 Pædagogmedhjælper i Børnehuset Mælkebøtten, Vejle Kommune\n"
        "2015-2017 Souschef i butik, Kjær Auto A/S\n"
    )
    assert [(e.title, e.employer) for e in cv.experiences] == [
        ("Pædagogmedhjælper", "Børnehuset Mælkebøtten, Vejle Kommune"),
        ("Souschef i butik", "Kjær Auto A/S"),
    ]


def test_a_school_year_is_not_a_numbered_list() -> None:
    cv, _ = parse_text("Skolegang:\n2009 10. klasse, Fredericia Ungdomsskole\n")
    assert [(e.title, e.institution, e.completed_year) for e in cv.educations] == [
        ("10. klasse", "Fredericia Ungdomsskole", 2009)
    ]


def test_employer_line_above_the_title_line() -> None:
    cv, _ = parse_text(
        "JAMES O'CONNOR\nWarehouse Operative\n\nEmployment\nDHL Express, Brøndby\n"
        "Warehouse Operative\nJan 2016 – Dec 2020\n• Loading lorries\n"
    )
    assert cv.headline == "Warehouse Operative"
    assert [(e.title, e.employer) for e in cv.experiences] == [
        ("Warehouse Operative", "DHL Express, Brøndby")
    ]
