"""Job-fair exports, each read back: CSV with the csv module, XLSX with openpyxl, PDF with pypdf.

The most important property: a person who has not consented to share with employers shows no
name, e-mail, phone, CPR or birth date anywhere in any file.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event
from sqlalchemy.orm import Session

from matching.core.errors import NotFound
from matching.fairs.exports import pdf
from matching.fairs.exports.pdf import (
    PDF_CELL_PADDING_PT,
    PDF_COLUMNS,
    PDF_FONT_BOLD,
    pdf_text,
    shortlist_pdf,
)
from matching.fairs.exports.rows import (
    EmployerGroup,
    FairInfo,
    ShortlistRow,
    employer_reasons,
    group_by_employer,
    rows_for_fair,
)
from matching.fairs.exports.tables import (
    INVITATION_COLUMNS,
    PROGRESS_EVERY_ROWS,
    SHORTLIST_COLUMNS,
    invitation_csv,
    neutralise,
    sheet_title,
    shortlist_csv,
    shortlist_xlsx,
)
from matching.models import (
    CV,
    CVExperience,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    Organisation,
    OrgKind,
    ShortlistEntry,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)

FAIR_NAME = "Jobmesse Ærø & Øresund"
FAIR_DAY = date(2026, 3, 14)
EMPLOYER_DK = "Fynsk Æble- og Økogård A/S"
# Both clean to the same 31 characters: the second sheet needs a suffix.
EMPLOYER_LONG_1 = "Bryggeriet Syd/Nord [ApS]: hovedkontoret i Århus"
EMPLOYER_LONG_2 = "Bryggeriet Syd:Nord [ApS]* hovedkontoret i Aalborg"
HYPERLINK = '=HYPERLINK("http://angriber.example/?x","Klik her")'
PHONE = "+45 12 34 56 78"
AT_SUM = "@SUM(1+1)*cmd"
MINUS_TITLE = "-1 Opvasker"

# The person who did not consent: none of this may appear in any export.
SECRET_FIRST = "Hemmeligrid"
SECRET_LAST = "Østergaard-Kvist"
SECRET_EMAIL = "hemmeligrid.kvist@eksempel.dk"
SECRET_PHONE = "+45 87 65 43 21"
SECRET_CPR = "0302711234"
SECRET_BIRTH = date(1971, 2, 3)
SECRET_NEEDLES = (
    SECRET_FIRST,
    SECRET_LAST,
    SECRET_EMAIL,
    SECRET_PHONE,
    "87 65 43 21",
    "87654321",
    SECRET_CPR,
    "030271-1234",
    "030271",
    "1971-02-03",
    "03.02.1971",
    "03-02-1971",
    "3. februar 1971",
)

ALLOWED_CHIPS = [
    "Samme faggruppe (ISCO 5120)",
    "12 km fra bopæl",
    "Overlap: madlavning, hygiejne",
    "Cv og stilling ligner hinanden meget",
]
COUNSELLOR_CHIPS = [
    "Opfylder reglerne for virksomhedspraktik, højst 13 uger",
    "8 uger for ledige over 50 er ikke bekræftet i loven – tjek med jobcentret",
    "Allerede henvist til 1 anden stilling",
]


@dataclass
class FairData:
    fair_id: int
    employer_ids: tuple[int, int, int]


def _squash(text: str) -> str:
    """Whitespace removed, so text wrapped across PDF lines is still found."""
    return re.sub(r"\s+", "", text)


def _assert_no_secrets(text: str, where: str) -> None:
    squashed = _squash(text).lower()
    for needle in SECRET_NEEDLES:
        assert _squash(needle).lower() not in squashed, f"{needle!r} found in {where}"


@pytest.fixture
def fair_data(session: Session) -> FairData:
    """A fair with three employers, four vacancies and six shortlist entries (one removed)."""
    organiser = Organisation(kind=OrgKind.JOB_FAIR_ORGANISER, name="Jobcenter Østjylland")
    employers = [
        Organisation(kind=OrgKind.EMPLOYER, name=name)
        for name in (EMPLOYER_DK, EMPLOYER_LONG_1, EMPLOYER_LONG_2)
    ]
    session.add_all([organiser, *employers])
    session.flush()
    fair = JobFair(
        organiser_id=organiser.id, name=FAIR_NAME, held_on=FAIR_DAY, place="Åbyhøj Hallen"
    )

    def vacancy(employer: Organisation, title: str) -> Vacancy:
        return Vacancy(
            kind=VacancyKind.ORDINARY,
            status=VacancyStatus.OPEN,
            employer_id=employer.id,
            title=title,
            description="Vi søger en kollega.",
            postal_code="8000",
        )

    cook = vacancy(employers[0], "Kok i æblecaféen")
    dish = vacancy(employers[0], MINUS_TITLE)
    brewer = vacancy(employers[1], "Brygmester")
    driver = vacancy(employers[2], "Chauffør")

    def person(first: str, last: str, **kw: object) -> Jobseeker:
        defaults: dict[str, object] = {
            "pseudonym": f"L-{first[:6]}",
            "birth_date": date(1990, 1, 1),
            "postal_code": "8000",
        }
        return Jobseeker(first_name=first, last_name=last, **{**defaults, **kw})

    soren = person(
        "Søren",
        "Ærbødig",
        email="soren@eksempel.dk",
        phone=PHONE,
        postal_code="5000",
        consent_share_with_employers=True,
        consent_contact_by_email=True,
        cv=CV(headline="Kok og køkkenleder"),
    )
    secret = person(
        SECRET_FIRST,
        SECRET_LAST,
        email=SECRET_EMAIL,
        phone=SECRET_PHONE,
        birth_date=SECRET_BIRTH,
        cpr_encrypted=SECRET_CPR.encode(),  # stands in for the ciphertext: never exported
        cpr_lookup="f" * 64,
        consent_share_with_employers=False,
        consent_contact_by_email=True,
        cv=CV(headline=HYPERLINK),
    )
    career = person(
        "Åse",
        "Lindø",
        email="aase@eksempel.dk",
        consent_share_with_employers=True,
        consent_contact_by_email=False,  # may be shown, but not mailed
        cv=CV(
            headline=" \t",
            experiences=[
                CVExperience(position=0, title="Tjener", start_year=2010, end_year=2015),
                CVExperience(position=1, title=AT_SUM, start_year=2018, end_year=None),
                CVExperience(position=2, title="Opvasker", start_year=2016, end_year=2018),
            ],
        ),
    )
    no_mail = person("Bjørn", "Ravn", consent_share_with_employers=True)
    removed = person("Fjernet", "Personsen", consent_share_with_employers=True)
    session.add_all([fair, cook, dish, brewer, driver, soren, secret, career, no_mail, removed])
    session.flush()

    fair_vacancies = {
        v.id: JobFairVacancy(job_fair_id=fair.id, vacancy_id=v.id)
        for v in (cook, dish, brewer, driver)
    }
    session.add_all(fair_vacancies.values())
    session.flush()

    def entry(v: Vacancy, p: Jobseeker, code: str, **kw: object) -> ShortlistEntry:
        return ShortlistEntry(
            job_fair_vacancy_id=fair_vacancies[v.id].id,
            jobseeker_id=p.id,
            invitation_code=code,
            **kw,
        )

    def match(v: Vacancy, p: Jobseeker, score: float, chips: list[str], cross: bool) -> Match:
        return Match(
            vacancy_id=v.id,
            jobseeker_id=p.id,
            score=score,
            explanation=chips,
            cross_industry=cross,
            model_version="test",
            rules_version="test",
        )

    session.add_all(
        [
            entry(cook, soren, "INV-A1", rank=1, invited=True),
            entry(cook, secret, "INV-B2", rank=2, invited=True),
            entry(dish, career, "INV-C3", rank=1, invited=True),
            entry(brewer, no_mail, "INV-D4", rank=None, source="manual", invited=True),
            entry(brewer, removed, "INV-E5", rank=1, removed=True, invited=True),
            entry(driver, secret, "INV-F6", rank=1),
            match(cook, soren, 0.873, ALLOWED_CHIPS + COUNSELLOR_CHIPS, False),
            match(cook, secret, 0.61, ALLOWED_CHIPS, False),
            match(dish, career, 0.42, ["Brancheskift: fra hotel til køkken"], True),
            match(driver, secret, 0.3, [], True),
        ]
    )
    session.commit()
    return FairData(fair.id, (employers[0].id, employers[1].id, employers[2].id))


@pytest.fixture
def rows(session: Session, fair_data: FairData) -> list[ShortlistRow]:
    return rows_for_fair(session, fair_data.fair_id)


@pytest.fixture
def groups(rows: list[ShortlistRow]) -> list[EmployerGroup]:
    return group_by_employer(rows)


def _fair(rows: list[ShortlistRow]) -> FairInfo:
    return rows[0].fair


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM missing"
    text = data[3:].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _xlsx_text(data: bytes) -> str:
    """Every XML part of the workbook, for searching the whole file (character references
    such as ``&#198;``, which openpyxl writes when lxml is installed, read as characters)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(html.unescape(archive.read(n).decode("utf-8")) for n in archive.namelist())


def _pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


# --- rows -----------------------------------------------------------------------------------


def test_rows_follow_the_shortlist_and_the_consent(rows: list[ShortlistRow]) -> None:
    by_code = {r.invitation_id: r for r in rows}
    assert set(by_code) == {"INV-A1", "INV-B2", "INV-C3", "INV-D4", "INV-F6"}  # E5 removed
    # By employer name (the two breweries' order depends on the database's collation).
    assert {r.employer for r in rows[:2]} == {EMPLOYER_LONG_1, EMPLOYER_LONG_2}
    assert [r.invitation_id for r in rows[2:]] == ["INV-C3", "INV-A1", "INV-B2"]

    soren = by_code["INV-A1"]
    assert (soren.name, soren.email, soren.phone) == ("Søren Ærbødig", "soren@eksempel.dk", PHONE)
    assert (soren.postal_code, soren.district) == ("5000", "Odense C")
    assert soren.occupation == "Kok og køkkenleder"
    assert soren.score == 87 and soren.cross_industry is False
    assert soren.reasons == "; ".join(ALLOWED_CHIPS)  # counsellor-only chips dropped

    secret = by_code["INV-B2"]
    assert (secret.name, secret.first_name, secret.email, secret.phone) == (None,) * 4
    assert secret.occupation == HYPERLINK and secret.district == "Aarhus C"

    assert by_code["INV-C3"].occupation == AT_SUM  # the current job, as there is no headline
    assert by_code["INV-C3"].cross_industry is True
    manual = by_code["INV-D4"]
    assert manual.score is None and manual.reasons == "" and manual.cross_industry is None
    # The person behind each row, for the audit log (the same person on two lists: one id).
    assert by_code["INV-B2"].jobseeker_id == by_code["INV-F6"].jobseeker_id
    assert len({r.jobseeker_id for r in rows}) == 4


def test_rows_take_three_queries_whatever_the_length(session: Session, fair_data: FairData) -> None:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    session.expunge_all()
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        rows = rows_for_fair(session, fair_data.fair_id)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(rows) == 5
    assert len(statements) <= 3, statements
    assert not any("birth_date" in s or "cpr" in s for s in statements)


def test_unknown_fair_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        rows_for_fair(session, 987654)


def test_a_row_cannot_carry_identity_without_consent(rows: list[ShortlistRow]) -> None:
    secret = next(r for r in rows if not r.consented)
    with pytest.raises(ValueError, match="consent"):
        replace(secret, email=SECRET_EMAIL)


def test_column_definitions() -> None:
    keys = [c.key for c in SHORTLIST_COLUMNS]
    assert keys == [
        "employer",
        "vacancy",
        "invitation_id",
        "postal_code",
        "district",
        "occupation",
        "score",
        "reasons",
        "cross_industry",
        "name",
        "email",
        "phone",
    ]
    assert {c.key for c in SHORTLIST_COLUMNS if c.identifying} == {"name", "email", "phone"}
    assert {c.key for c in INVITATION_COLUMNS if c.identifying} == {"first_name", "name", "email"}
    assert all(c.width > 0 and c.header for c in (*SHORTLIST_COLUMNS, *INVITATION_COLUMNS))
    # The PDF prints the employer as each section's heading and every other column.
    assert [c.key for c in PDF_COLUMNS] == keys[1:]


def test_pdf_columns_are_wide_enough_for_their_header_words() -> None:
    """A header word is never broken between letters ("Invitations-id", "Brancheskift")."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from matching.fairs.exports.pdf import MM, PDF_BODY_PT, PDF_MARGIN_MM, _pdf_fonts

    _pdf_fonts()
    frame = landscape(A4)[0] - 2 * PDF_MARGIN_MM * MM
    scale = frame / sum(c.pdf_width for c in PDF_COLUMNS)
    assert 0.99 < scale < 1.01  # the widths are given as they print
    for column in PDF_COLUMNS:
        longest = max(stringWidth(w, PDF_FONT_BOLD, PDF_BODY_PT) for w in column.header.split())
        assert longest + 2 * PDF_CELL_PADDING_PT <= column.pdf_width * scale, column.key


def test_employer_reasons_keep_only_what_an_employer_may_read() -> None:
    chips = [*ALLOWED_CHIPS, "Under 1 km fra bopæl", *COUNSELLOR_CHIPS, "Målgruppe: kontanthjælp"]
    assert employer_reasons(chips) == "; ".join([*ALLOWED_CHIPS, "Under 1 km fra bopæl"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+45 12", "'+45 12"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Kok", "Kok"),
        ("", ""),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_sheet_titles_are_valid_and_unique() -> None:
    taken: set[str] = set()
    first = sheet_title(EMPLOYER_LONG_1, taken)
    second = sheet_title(EMPLOYER_LONG_2, taken)
    third = sheet_title("bryggeriet syd nord apS hovedkontoret", taken)
    for title in (first, second, third):
        assert len(title) <= 31 and not re.search(r"[\[\]:*?/\\]", title)
    assert len({first.lower(), second.lower(), third.lower()}) == 3
    assert second.endswith(" (2)") and third.endswith(" (3)")
    assert sheet_title("'[]'", taken) == "Virksomhed"
    assert sheet_title("Æbler & Øl", taken) == "Æbler & Øl"


# --- CSV ------------------------------------------------------------------------------------


def test_shortlist_csv_reads_back(groups: list[EmployerGroup]) -> None:
    table = _read_csv(shortlist_csv(groups))
    header, *body = table
    assert header == [c.header for c in SHORTLIST_COLUMNS]
    assert len(body) == 5 and all(len(line) == len(header) for line in body)
    col = {c.key: i for i, c in enumerate(SHORTLIST_COLUMNS)}
    by_code = {line[col["invitation_id"]]: line for line in body}

    soren = by_code["INV-A1"]
    assert soren[col["employer"]] == EMPLOYER_DK
    assert soren[col["name"]] == "Søren Ærbødig"
    assert soren[col["phone"]] == "'" + PHONE
    assert soren[col["score"]] == "87"
    assert soren[col["cross_industry"]] == "nej"
    assert soren[col["district"]] == "Odense C"

    secret = by_code["INV-B2"]
    assert secret[col["occupation"]] == "'" + HYPERLINK
    assert secret[col["name"]] == secret[col["email"]] == secret[col["phone"]] == ""
    assert by_code["INV-C3"][col["occupation"]] == "'" + AT_SUM
    assert by_code["INV-C3"][col["vacancy"]] == "'" + MINUS_TITLE
    assert by_code["INV-C3"][col["cross_industry"]] == "ja"
    for line in body:
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_invitation_csv_only_holds_people_who_may_be_mailed(rows: list[ShortlistRow]) -> None:
    data, left_out = invitation_csv(rows)
    header, *body = _read_csv(data)
    assert header == [c.header for c in INVITATION_COLUMNS]
    assert [line[:3] for line in body] == [["Søren", "Søren Ærbødig", "soren@eksempel.dk"]]
    assert body[0][3:] == [
        FAIR_NAME,
        "14. marts 2026",
        "Åbyhøj Hallen",
        EMPLOYER_DK,
        "Kok i æblecaféen",
        "INV-A1",
    ]
    # Invited and left out: no consent (B2), no e-mail consent (C3), no e-mail (D4).
    # F6 was never invited; E5 was removed from the list.
    assert left_out == 3
    _assert_no_secrets(data.decode("utf-8-sig"), "invitation CSV")


# --- XLSX -----------------------------------------------------------------------------------


def test_shortlist_xlsx_reads_back(groups: list[EmployerGroup]) -> None:
    data = shortlist_xlsx(groups)
    workbook = load_workbook(io.BytesIO(data))
    names = workbook.sheetnames
    assert len(names) == 3 and len({n.lower() for n in names}) == 3
    assert names[2] == "Fynsk Æble- og Økogård A S"  # "/" is not allowed in a sheet name
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)

    sheet = workbook[names[2]]
    assert sheet.freeze_panes == "A2"
    headers = [cell.value for cell in sheet[1]]
    assert headers == [c.header for c in SHORTLIST_COLUMNS]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    for index, column in enumerate(SHORTLIST_COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        assert sheet.column_dimensions[letter].width == column.width

    col = {c.key: i for i, c in enumerate(SHORTLIST_COLUMNS)}
    lines = {line[col["invitation_id"]].value: line for line in sheet.iter_rows(min_row=2)}
    soren, secret, career = lines["INV-A1"], lines["INV-B2"], lines["INV-C3"]
    assert soren[col["score"]].value == 87 and soren[col["score"]].data_type == "n"
    assert soren[col["name"]].value == "Søren Ærbødig"
    assert soren[col["phone"]].value == "'" + PHONE
    assert secret[col["occupation"]].value == "'" + HYPERLINK
    assert career[col["occupation"]].value == "'" + AT_SUM
    assert career[col["vacancy"]].value == "'" + MINUS_TITLE
    for cell in (soren[col["phone"]], secret[col["occupation"]], career[col["occupation"]]):
        assert cell.data_type == "s"  # text, never a formula
    assert all(cell.value is None for cell in secret[col["name"] :])
    for ws in workbook.worksheets:
        for line in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in line)

    xml = _xlsx_text(data)
    assert "<f>" not in xml and "HYPERLINK" in xml
    assert "Ærbødig" in xml and "æblecaféen" in xml


def test_a_control_character_in_front_does_not_smuggle_a_formula_into_xlsx() -> None:
    """openpyxl drops control characters it cannot store; the formula check comes after, so
    "\\x01=HYPERLINK(…)" is written as neutralised text, not as a live formula."""
    row = replace(_many_rows(1)[0], occupation="\x01" + HYPERLINK, reasons="\x02+1+1")
    data = shortlist_xlsx(group_by_employer([row]))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    values = [cell for line in sheet.iter_rows(min_row=2) for cell in line]
    assert all(cell.data_type != "f" for cell in values)
    texts = [cell.value for cell in values if isinstance(cell.value, str)]
    assert "'" + HYPERLINK in texts
    assert "<f>" not in _xlsx_text(data)


# --- PDF ------------------------------------------------------------------------------------


def test_shortlist_pdf_has_one_page_per_employer(groups: list[EmployerGroup]) -> None:
    fair = _fair([r for g in groups for r in g.rows])
    pages = _pdf_pages(shortlist_pdf(groups, fair=fair))
    assert len(pages) == 3
    for page, group in zip(pages, groups, strict=True):
        text = _squash(page)
        assert _squash(FAIR_NAME) in text and _squash("14. marts 2026") in text
        assert _squash(group.employer) in text
        for vacancy in group.vacancies:
            assert _squash(vacancy) in text
    dk_page = _squash(pages[2])
    assert _squash("Søren Ærbødig") in dk_page and "INV-A1" in dk_page and "INV-B2" in dk_page
    for danish in ("OdenseC", "Åbyhøj", "Økogård", "æblecaféen", "Ærø&Øresund"):
        assert danish in dk_page


def test_a_long_pdf_table_names_employer_and_fair_on_every_page() -> None:
    rows = [r for r in _many_rows(160) if r.employer_id == 0]
    pages = _pdf_pages(shortlist_pdf(group_by_employer(rows), fair=rows[0].fair))
    assert len(pages) > 1
    for page in pages:
        text = _squash(page)
        assert "Virksomhed0" in text and _squash(FAIR_NAME) in text and "14.marts2026" in text
        assert "Invitations-id" in text  # the table header repeats


def test_each_employer_starts_a_page_numbered_within_its_section() -> None:
    """Sections from a new page; every page carries its own employer in the running head and
    "Side x af y" counted within that employer's pages (what is handed to the employer)."""
    first = [replace(r, employer_id=1, employer="Første ApS") for r in _many_rows(120)]
    second = [replace(r, employer_id=2, employer="Anden A/S") for r in _many_rows(1)]
    data = shortlist_pdf(group_by_employer([*first, *second]), fair=first[0].fair)
    pages = [_squash(page) for page in _pdf_pages(data)]
    heads = ["FørsteApS·" + _squash(FAIR_NAME), "AndenA/S·" + _squash(FAIR_NAME)]
    assert len(pages) >= 3 and heads[1] in pages[-1] and heads[1] not in "".join(pages[:-1])
    for number, page in enumerate(pages[:-1], start=1):
        assert heads[0] in page and f"Side{number}af{len(pages) - 1}" in page
        assert "StillingInvitations-idPostnr." in page  # the header row on every page
    assert "Side1af1" in pages[-1] and pages[-1].startswith("AndenA/S")
    assert all(f"INV-{i}" in "".join(pages[:-1]) for i in range(120))


def test_pdf_of_an_empty_list_still_names_the_fair() -> None:
    fair = FairInfo(1, FAIR_NAME, FAIR_DAY, "Åbyhøj Hallen")
    pages = _pdf_pages(shortlist_pdf([], fair=fair))
    assert len(pages) == 1 and _squash(FAIR_NAME) in _squash(pages[0])
    assert "Ingenkandidaterpålisten." in _squash(pages[0])


def _consented(row: ShortlistRow, name: str, **changes: object) -> ShortlistRow:
    return replace(row, consented=True, first_name=name.split()[0], name=name, **changes)


def _pdf_fonts_and_text(data: bytes) -> tuple[set[str], str]:
    reader = PdfReader(io.BytesIO(data))
    fonts = {
        str(font["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].get_object().values()
    }
    return fonts, _squash("".join(page.extract_text() for page in reader.pages))


def test_pdf_text_is_searchable_in_danish_and_other_european_names() -> None:
    """With DejaVu Sans (the Docker image and Debian have it) Danish and Central European
    names print as typed and can be found; a character no font here has prints as "?".
    (`make test` installs fonts-dejavu-core where it is missing.)"""
    assert pdf.pdf_font_files()[0].endswith("DejaVuSans.ttf")
    names = ["Søren Ærbødig", "Åse Øster Æblø", "René Müller", "Łukasz Šimić", "Ayşe Yılmaz"]
    rows = [_consented(r, n) for r, n in zip(_many_rows(len(names)), names, strict=True)]
    rows.append(
        _consented(_many_rows(1)[0], "Šťastný Wąsowski 漢字", occupation="a\x00b\u00adc\td")
    )
    data = shortlist_pdf(group_by_employer(rows), fair=rows[0].fair)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert PdfReader(io.BytesIO(data)).metadata.title == FAIR_NAME
    fonts, text = _pdf_fonts_and_text(data)
    # Only the embedded fonts: nothing is left to the fonts of the reader's machine.
    assert fonts == {"DejaVuSans", "DejaVuSans-Bold"}, fonts
    for name in names:
        assert _squash(name) in text, name
    assert "ŠťastnýWąsowski??" in text and "abcd" in text  # control characters are spaces
    assert pdf_text("Wąsowski  Żak\n漢") == "Wąsowski Żak ?"


def test_without_system_fonts_the_bundled_vera_spells_missing_letters_plainly(
    tmp_path: Path,
) -> None:
    """Without DejaVu on the system ReportLab's bundled Vera is used; a letter it lacks is
    spelt without its accent rather than printed as an empty box."""
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = pdf.pdf_font_files(system_dirs=[str(tmp_path)])
    assert regular.endswith("Vera.ttf") and bold.endswith("VeraBd.ttf")
    covered = frozenset(TTFont("VeraProbe", regular).face.charToGlyph)
    table = pdf._Printable(covered)
    assert "æøåÆØÅé".translate(table) == "æøåÆØÅé"
    assert "Wąsowski Żak 漢\x00".translate(table) == "Wasowski Zak ? "


def test_text_typed_by_people_is_printed_not_read_as_markup() -> None:
    """Names, titles and CV texts reach ReportLab's Paragraph markup only escaped: a typed
    tag or entity prints as typed, in a cell that fits, one wrapped at spaces and one whose
    long word must be broken (a Paragraph), and in the heading and running head."""
    markup = "<b>Ole & Co</b>"
    long_word = "ole&co<br/>" + "x" * 60 + "@eksempel.dk"
    wrapped = "<i>Kok & tjener</i> " * 6
    [row] = _many_rows(1)
    row = _consented(
        replace(row, employer=markup, vacancy=wrapped.strip()), markup, email=long_word
    )
    pages = _pdf_pages(shortlist_pdf(group_by_employer([row]), fair=row.fair))
    text = _squash("".join(pages))
    assert text.count(_squash(markup)) >= 3  # heading, running head, name cell
    assert _squash(long_word) in text and _squash(wrapped) in text
    assert "&amp;" not in text and "&lt;" not in text


def test_a_row_with_every_field_at_its_longest_fits_on_a_page() -> None:
    """The longest texts the database allows (names 100 + 100, e-mail 254, CV headline 200,
    vacancy title 200) wrap inside their cells, and the row fits on a page (ReportLab cannot
    split a row: one taller than the page would stop the export with a LayoutError)."""
    [row] = _many_rows(1)
    row = _consented(
        row,
        "Æ" * 100 + " " + "Ø" * 100,
        email="a" * 240 + "@eksempel.dk",
        phone="+45 " + "1" * 16,
        vacancy="Lagermedarbejder " * 11,
        occupation="x" * 200,
        reasons="; ".join(ALLOWED_CHIPS * 3),
    )
    pages = _pdf_pages(shortlist_pdf(group_by_employer([row] * 3), fair=row.fair))
    assert _squash("a" * 240 + "@eksempel.dk") in _squash(pages[0])


# --- consent across every format ------------------------------------------------------------


def test_a_person_without_consent_is_never_identified(
    groups: list[EmployerGroup], rows: list[ShortlistRow]
) -> None:
    fair = _fair(rows)
    csv_text = shortlist_csv(groups).decode("utf-8-sig")
    xlsx_text = _xlsx_text(shortlist_xlsx(groups))
    workbook = load_workbook(io.BytesIO(shortlist_xlsx(groups)))
    cell_text = "\n".join(
        str(cell.value) for ws in workbook.worksheets for line in ws.iter_rows() for cell in line
    )
    pdf_text = "\n".join(_pdf_pages(shortlist_pdf(groups, fair=fair)))
    invitations = invitation_csv(rows)[0].decode("utf-8-sig")
    for text, where in (
        (csv_text, "CSV"),
        (xlsx_text, "XLSX files"),
        (cell_text, "XLSX cells"),
        (pdf_text, "PDF"),
        (invitations, "invitation CSV"),
    ):
        _assert_no_secrets(text, where)
        assert "INV-B2" in text or where == "invitation CSV"  # the person is there, anonymous
    # And the consented person's details are there, so the search above can find things.
    for text in (csv_text, xlsx_text, pdf_text):
        assert "soren@eksempel.dk" in _squash(text)


# --- progress -------------------------------------------------------------------------------


def _many_rows(n: int) -> list[ShortlistRow]:
    fair = FairInfo(1, FAIR_NAME, FAIR_DAY, "Åbyhøj Hallen")
    return [
        ShortlistRow(
            fair=fair,
            employer_id=i % 2,
            employer=f"Virksomhed {i % 2}",
            vacancy="Lagermedarbejder",
            invitation_id=f"INV-{i}",
            jobseeker_id=1000 + i,
            postal_code="5000",
            district="Odense C",
            occupation="Lagermedarbejder",
            score=50,
            reasons="",
            cross_industry=False,
            invited=True,
            consented=False,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("writer", ["csv", "xlsx", "pdf"])
def test_progress_is_reported_every_hundred_rows(writer: str) -> None:
    rows = _many_rows(250)
    calls: list[tuple[int, int]] = []
    groups = group_by_employer(rows)

    def progress(done: int, total: int) -> None:
        calls.append((done, total))

    if writer == "csv":
        shortlist_csv(groups, progress)
    elif writer == "xlsx":
        shortlist_xlsx(groups, progress)
    else:
        shortlist_pdf(groups, fair=rows[0].fair, progress=progress)
    assert PROGRESS_EVERY_ROWS == 100
    assert calls == [(100, 250), (200, 250), (250, 250)]


def test_no_format_prints_the_person_id(rows: list[ShortlistRow]) -> None:
    """``jobseeker_id`` is only for the audit log: the files know people by invitation id."""
    marked = [replace(row, jobseeker_id=987_650_000 + row.jobseeker_id) for row in rows]
    groups = group_by_employer(marked)
    workbook = load_workbook(io.BytesIO(shortlist_xlsx(groups)))
    texts = {
        "CSV": shortlist_csv(groups).decode("utf-8-sig"),
        "XLSX": "\n".join(
            str(c.value) for ws in workbook.worksheets for line in ws.iter_rows() for c in line
        ),
        "PDF": "\n".join(_pdf_pages(shortlist_pdf(groups, fair=_fair(rows)))),
        "invitation CSV": invitation_csv(marked)[0].decode("utf-8-sig"),
    }
    for where, text in texts.items():
        assert "INV-A1" in text, where  # the person is there
        assert "98765" not in _squash(text), where  # but not by id
