"""Job-fair exports: the shortlist as CSV, XLSX and PDF, and a mail-merge CSV of invitations.

The files leave Jobbro and reach employers, so they follow the rules of
:mod:`matching.disclosure`: a person is shown by an opaque invitation id and the working
content of the CV; name, e-mail and phone appear only when the person consented to share with
employers (``consent_share_with_employers``). CPR, birth date and benefit details are never
read here, so they cannot leak into a file.

One table of :class:`Column` definitions drives every format, so a column that is identifying
is marked once and blanked in every format alike. Rows are plain dataclasses
(:class:`ShortlistRow`) built by :func:`rows_for_fair`, so the writers need no database and a
background job can report progress through the ``progress(done, total)`` callback.

Spreadsheet programs run cell text starting with ``=``, ``+``, ``-`` or ``@`` as a formula, and
names, CV headlines and phone numbers are typed by people: every text cell of a CSV or XLSX is
neutralised with a leading apostrophe (OWASP, CSV injection).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from matching.errors import NotFound
from matching.models import (
    CV,
    CVExperience,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    Organisation,
    ShortlistEntry,
    Vacancy,
)

PROGRESS_EVERY_ROWS = 100
CSV_DELIMITER = ";"  # Danish Excel: the comma is the decimal separator
CSV_LINE_END = "\r\n"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_SHEET_NAME_MAX_CHARS = 31
XLSX_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
XLSX_HEADER_FILL = "DDEBF7"
MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

# Match chips an employer may read. The matcher's chips are written for counsellors and some
# reveal benefit details (target group, weeks allowed, age over 50, years of residence) or
# other referrals, which disclosure.py keeps from employers. Allow-listed, so a chip added to
# the matcher later stays out of exports until someone decides it may go in.
EMPLOYER_CHIP_PREFIXES = (
    "Jobmål: ",
    "Samme faggruppe",
    "Beslægtet faggruppe",
    "Samme hovedområde",
    "Under 1 km fra bopæl",
    "Afstand ukendt",
    "Overlap: ",
    "Brancheskift: ",
    "Cv og stilling ligner hinanden",
    "Mangler måske: ",
)
_KM_CHIP = re.compile(r"^\d+ km fra bopæl$")

Value = str | int | None
ProgressCallback = Callable[[int, int], None]


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairInfo:
    """The fair as printed on exports."""

    id: int
    name: str
    held_on: date
    place: str


@dataclass(frozen=True)
class ShortlistRow:
    """One person on one vacancy's shortlist, already reduced to what an export may show, and
    the person's id for the audit log of who was exported (no column reads it).

    Identifying fields are None unless ``consented``; constructing a row that breaks this
    raises, so no code path can hand a writer a name without consent.
    """

    fair: FairInfo
    employer_id: int
    employer: str
    vacancy: str
    invitation_id: str
    jobseeker_id: int  # for the audit log only
    postal_code: str
    district: str | None
    occupation: str | None
    score: int | None  # 0–100; None for a manual entry without a computed match
    reasons: str
    cross_industry: bool | None
    invited: bool
    consented: bool
    contact_by_email: bool = False
    first_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        identity = (self.first_name, self.name, self.email, self.phone)
        if not self.consented and any(v is not None for v in identity):
            raise ValueError("identifying data on a row without consent to share")


@dataclass(frozen=True)
class EmployerGroup:
    """The rows of one employer: one XLSX sheet, one PDF section."""

    employer_id: int
    employer: str
    rows: tuple[ShortlistRow, ...]

    @property
    def vacancies(self) -> tuple[str, ...]:
        """The employer's vacancy titles in row order, each once."""
        return tuple(dict.fromkeys(row.vacancy for row in self.rows))


def group_by_employer(rows: Iterable[ShortlistRow]) -> list[EmployerGroup]:
    """Rows grouped by employer id (two employers may share a name), in first-seen order."""
    grouped: dict[int, list[ShortlistRow]] = {}
    for row in rows:
        grouped.setdefault(row.employer_id, []).append(row)
    return [EmployerGroup(rs[0].employer_id, rs[0].employer, tuple(rs)) for rs in grouped.values()]


def employer_reasons(chips: Iterable[str]) -> str:
    """The match chips an employer may read, joined with "; " (see EMPLOYER_CHIP_PREFIXES)."""
    return "; ".join(
        chip for chip in chips if chip.startswith(EMPLOYER_CHIP_PREFIXES) or _KM_CHIP.match(chip)
    )


@cache
def _district_names() -> dict[str, str]:
    """``{postal code: district name}`` from the package geo.py takes its centroids from."""
    from countrystatecity_postal_codes import get_postcodes_of_country

    names: dict[str, str] = {}
    for row in get_postcodes_of_country("DK"):
        if row.localityName:
            names.setdefault(str(row.code), row.localityName)
    return names


def district_name(postal_code: str | None) -> str | None:
    """The postal district ("Odense C") of a Danish postal code, None if unknown."""
    return _district_names().get(postal_code) if postal_code else None


def _latest_title(experiences: Iterable[tuple[str, int, int | None, int]]) -> str | None:
    """Title of the current job, else the one that ended last; (title, start, end, position)."""
    latest = max(
        experiences,
        key=lambda e: (e[2] is None, e[2] or 0, e[1], -e[3]),
        default=None,
    )
    return latest[0] if latest else None


def rows_for_fair(session: Session, fair_id: int) -> list[ShortlistRow]:
    """The fair's shortlist (removed entries left out), ordered by employer, vacancy and rank.

    Three queries whatever the list's length: the fair, the entries joined with vacancy,
    employer, person, CV headline and match, and the experiences of people whose CV has no
    headline. Only the columns an export may use are selected: CPR and birth date are never
    read.
    """
    job_fair = session.get(JobFair, fair_id)
    if job_fair is None:
        raise NotFound(f"job fair {fair_id}")
    fair = FairInfo(job_fair.id, job_fair.name, job_fair.held_on, job_fair.place)
    on_fair = and_(JobFairVacancy.job_fair_id == fair_id, ShortlistEntry.removed.is_(False))
    query = (
        select(
            ShortlistEntry.invitation_code,
            ShortlistEntry.invited,
            Organisation.id.label("employer_id"),
            Organisation.name.label("employer"),
            Vacancy.title.label("vacancy"),
            Jobseeker.id.label("person_id"),
            Jobseeker.first_name,
            Jobseeker.last_name,
            Jobseeker.email,
            Jobseeker.phone,
            Jobseeker.postal_code,
            Jobseeker.consent_share_with_employers,
            Jobseeker.consent_contact_by_email,
            CV.headline,
            Match.score,
            Match.explanation,
            Match.cross_industry,
        )
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .join(Vacancy, Vacancy.id == JobFairVacancy.vacancy_id)
        .join(Organisation, Organisation.id == Vacancy.employer_id)
        .join(Jobseeker, Jobseeker.id == ShortlistEntry.jobseeker_id)
        .outerjoin(CV, CV.jobseeker_id == Jobseeker.id)
        .outerjoin(Match, and_(Match.vacancy_id == Vacancy.id, Match.jobseeker_id == Jobseeker.id))
        .where(on_fair)
        .order_by(
            Organisation.name,
            Organisation.id,
            Vacancy.title,
            Vacancy.id,
            ShortlistEntry.rank.is_(None),  # unranked (manual) entries last, on any database
            ShortlistEntry.rank,
            ShortlistEntry.id,
        )
    )
    records = session.execute(query).all()

    titles: dict[int, list[tuple[str, int, int | None, int]]] = {}
    # People with a CV but a blank headline: their latest job title stands in for it.
    untitled = {r.person_id for r in records if r.headline is not None and not r.headline.strip()}
    if untitled:
        experiences = session.execute(
            select(
                CV.jobseeker_id,
                CVExperience.title,
                CVExperience.start_year,
                CVExperience.end_year,
                CVExperience.position,
            )
            .join(CVExperience, CVExperience.cv_id == CV.id)
            .where(CV.jobseeker_id.in_(sorted(untitled)))
        )
        for person_id, *experience in experiences:
            titles.setdefault(person_id, []).append(tuple(experience))  # type: ignore[arg-type]

    rows: list[ShortlistRow] = []
    for r in records:
        consented = bool(r.consent_share_with_employers)
        occupation = (r.headline or "").strip() or _latest_title(titles.get(r.person_id, ()))
        rows.append(
            ShortlistRow(
                fair=fair,
                employer_id=r.employer_id,
                employer=r.employer,
                vacancy=r.vacancy,
                invitation_id=r.invitation_code,
                jobseeker_id=r.person_id,
                postal_code=r.postal_code,
                district=district_name(r.postal_code),
                occupation=occupation,
                score=None if r.score is None else max(0, min(100, round(r.score * 100))),
                reasons=employer_reasons(r.explanation or ()),
                cross_industry=r.cross_industry,
                invited=bool(r.invited),
                consented=consented,
                contact_by_email=bool(r.consent_contact_by_email),
                first_name=r.first_name if consented else None,
                name=f"{r.first_name} {r.last_name}" if consented else None,
                email=(r.email or None) if consented else None,
                phone=(r.phone or None) if consented else None,
            )
        )
    return rows


# --- columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an export, the same in every format."""

    key: str
    header: str  # Danish, as the reader sees it
    width: int  # characters, for the XLSX column width
    value: Callable[[ShortlistRow], Value]
    identifying: bool = False  # blank unless the person consented to share with employers
    # Points in the PDF's candidate table, scaled to fill the page's width; 0: not printed
    # there. A column is at least as wide as the longest word of its header (a test checks).
    pdf_width: float = 0

    def read(self, row: ShortlistRow) -> Value:
        """The cell's value; always None for an identifying column without consent."""
        if self.identifying and not row.consented:
            return None
        return self.value(row)


def _yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("ja" if flag else "nej")


# The PDF prints the employer as each section's heading, so not as a column.
SHORTLIST_COLUMNS: tuple[Column, ...] = (
    Column("employer", "Virksomhed", 28, lambda r: r.employer),
    Column("vacancy", "Stilling", 28, lambda r: r.vacancy, pdf_width=90),
    Column("invitation_id", "Invitations-id", 16, lambda r: r.invitation_id, pdf_width=66),
    Column("postal_code", "Postnr.", 8, lambda r: r.postal_code, pdf_width=40),
    Column("district", "By", 18, lambda r: r.district, pdf_width=56),
    Column("occupation", "Erhverv", 28, lambda r: r.occupation, pdf_width=90),
    Column("score", "Match (0-100)", 13, lambda r: r.score, pdf_width=40),
    Column("reasons", "Begrundelse", 60, lambda r: r.reasons, pdf_width=111),
    Column("cross_industry", "Brancheskift", 12, lambda r: _yes_no(r.cross_industry), pdf_width=63),
    Column("name", "Navn", 24, lambda r: r.name, identifying=True, pdf_width=66),
    Column("email", "E-mail", 30, lambda r: r.email, identifying=True, pdf_width=78),
    Column("phone", "Telefon", 14, lambda r: r.phone, identifying=True, pdf_width=74),
)

INVITATION_COLUMNS: tuple[Column, ...] = (
    Column("first_name", "Fornavn", 16, lambda r: r.first_name, identifying=True),
    Column("name", "Navn", 24, lambda r: r.name, identifying=True),
    Column("email", "E-mail", 30, lambda r: r.email, identifying=True),
    Column("fair", "Jobmesse", 30, lambda r: r.fair.name),
    Column("fair_date", "Dato", 16, lambda r: danish_date(r.fair.held_on)),
    Column("fair_place", "Sted", 24, lambda r: r.fair.place),
    Column("employer", "Virksomhed", 28, lambda r: r.employer),
    Column("vacancy", "Stilling", 28, lambda r: r.vacancy),
    Column("invitation_id", "Invitations-id", 16, lambda r: r.invitation_id),
)


def danish_date(day: date) -> str:
    """``14. marts 2026``: how a date reads on a Danish printout."""
    return f"{day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, prefixed with an apostrophe (OWASP)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _spreadsheet_value(value: Value) -> Value:
    return neutralise(value) if isinstance(value, str) else value


class _Progress:
    """Calls ``progress(done, total)`` every PROGRESS_EVERY_ROWS rows and once at the end."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def step(self) -> None:
        self.done += 1
        if self.callback is not None and self.done % PROGRESS_EVERY_ROWS == 0:
            self.callback(self.done, self.total)

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.done, self.total)


def _count(groups: Sequence[EmployerGroup]) -> int:
    return sum(len(g.rows) for g in groups)


# --- CSV ------------------------------------------------------------------------------------


def _csv_bytes(
    columns: Sequence[Column], rows: Iterable[ShortlistRow], tick: Callable[[], None]
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator=CSV_LINE_END)
    writer.writerow([neutralise(c.header) for c in columns])
    for row in rows:
        writer.writerow(
            ["" if (v := _spreadsheet_value(c.read(row))) is None else v for c in columns]
        )
        tick()
    # utf-8-sig writes the BOM Excel needs to read the file as UTF-8 rather than cp1252.
    return buffer.getvalue().encode("utf-8-sig")


def shortlist_csv(
    groups: Sequence[EmployerGroup], progress: ProgressCallback | None = None
) -> bytes:
    """The shortlist as one CSV for Danish Excel: UTF-8 with BOM, ``;``, CRLF."""
    counter = _Progress(progress, _count(groups))
    data = _csv_bytes(SHORTLIST_COLUMNS, (r for g in groups for r in g.rows), counter.step)
    counter.finish()
    return data


def invitation_csv(rows: Iterable[ShortlistRow]) -> tuple[bytes, int]:
    """Mail-merge CSV of the invited people who may be written to, and how many were left out.

    An invitation is included only if the person consented to share with employers *and* to
    be contacted by e-mail, and has an e-mail address; every other invited row is left out
    and counted. Rows not marked invited are neither included nor counted.
    """
    invited = [row for row in rows if row.invited]
    included = invitation_rows(invited)
    return _csv_bytes(INVITATION_COLUMNS, included, lambda: None), len(invited) - len(included)


def invitation_rows(rows: Iterable[ShortlistRow]) -> list[ShortlistRow]:
    """The rows :func:`invitation_csv` writes: invited, consented to share and to be e-mailed,
    with an e-mail address."""
    return [r for r in rows if r.invited and r.consented and r.contact_by_email and r.email]


# --- XLSX -----------------------------------------------------------------------------------


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: ≤31 chars, none of ``[]:*?/\\``, no edge apostrophes.

    Excel compares sheet names case-insensitively, so ``taken`` holds lower-cased names and
    is updated.
    """
    base = XLSX_SHEET_NAME_FORBIDDEN.sub(" ", name)
    base = " ".join(base.split()).strip("'").strip() or "Virksomhed"
    if base.lower() == "history":  # reserved by Excel
        base = "History (virksomhed)"
    title, n = base[:XLSX_SHEET_NAME_MAX_CHARS].rstrip(), 1
    while title.lower() in taken:
        n += 1
        suffix = f" ({n})"
        title = base[: XLSX_SHEET_NAME_MAX_CHARS - len(suffix)].rstrip() + suffix
    taken.add(title.lower())
    return title


def shortlist_xlsx(
    groups: Sequence[EmployerGroup], progress: ProgressCallback | None = None
) -> bytes:
    """The shortlist as a workbook, one sheet per employer, bold frozen header row.

    Built in memory, not with openpyxl's write-only mode: that mode streams each sheet through
    a temporary file outside the export folder, which an interrupted export would leave behind
    with people's names in it.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    def clean(value: Value) -> Value:
        # Control characters pasted into a CV would make openpyxl refuse the whole file. They
        # go before the formula check: "\x01=HYPERLINK(…)" must not become a formula.
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return _spreadsheet_value(value)

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor=XLSX_HEADER_FILL)
    counter = _Progress(progress, _count(groups))
    taken: set[str] = set()
    for group in groups or [EmployerGroup(0, "Ingen kandidater", ())]:
        sheet = workbook.create_sheet(sheet_title(group.employer, taken))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(SHORTLIST_COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.append([clean(column.header) for column in SHORTLIST_COLUMNS])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in group.rows:
            sheet.append([clean(column.read(row)) for column in SHORTLIST_COLUMNS])
            counter.step()
    buffer = io.BytesIO()
    workbook.save(buffer)
    counter.finish()
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------

PDF_COLUMNS = tuple(c for c in SHORTLIST_COLUMNS if c.pdf_width)
PDF_FONT = "JobbroSans"
PDF_FONT_BOLD = "JobbroSans-Bold"
# DejaVu Sans where the system has it (Debian's fonts-dejavu-core, installed in the Docker
# image): it covers the Central and Eastern European letters of names such as Wąsowski or
# Šťastný. Otherwise ReportLab's bundled Bitstream Vera (Western European letters only).
PDF_SYSTEM_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
)
PDF_SYSTEM_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
PDF_BUNDLED_FONT_FILES = ("Vera.ttf", "VeraBd.ttf")
MM = 72 / 25.4  # points per millimetre
PDF_MARGIN_MM = 12
PDF_BOTTOM_MARGIN_MM = 14  # room for the page number
PDF_BODY_PT = 8
PDF_LEADING_PT = 10
PDF_CELL_PADDING_PT = 2.8  # 1 mm
PDF_RULE_PT = 0.5
PDF_RULE_GREY = 0.6
PDF_MUTED_GREY = 0.33
PDF_RUNNING_HEAD_PT = 7
PDF_RUNNING_HEAD_FROM_TOP_PT = 22
PDF_PAGE_NUMBER_FROM_BOTTOM_PT = 20
PDF_NO_GLYPH = "?"  # printed for a character the font lacks and cannot be spelt without


def pdf_font_files(system_dirs: Sequence[str] = PDF_SYSTEM_FONT_DIRS) -> tuple[str, str]:
    """Paths of the regular and bold font: DejaVu Sans from the first of ``system_dirs`` that
    has both, else the Vera fonts bundled with ReportLab."""
    for folder in system_dirs:
        paths = tuple(os.path.join(folder, name) for name in PDF_SYSTEM_FONT_FILES)
        if all(os.path.isfile(path) for path in paths):
            return paths  # type: ignore[return-value]
    import reportlab

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    regular, bold = (os.path.join(folder, name) for name in PDF_BUNDLED_FONT_FILES)
    return regular, bold


@cache
def _pdf_fonts() -> frozenset[int]:
    """Register the PDF fonts with ReportLab (once per process); the code points both have."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    covered: frozenset[int] | None = None
    for name, path in zip((PDF_FONT, PDF_FONT_BOLD), pdf_font_files(), strict=True):
        font = TTFont(name, path)
        pdfmetrics.registerFont(font)
        codes = frozenset(font.face.charToGlyph)
        covered = codes if covered is None else covered & codes
    pdfmetrics.registerFontFamily(
        PDF_FONT, normal=PDF_FONT, bold=PDF_FONT_BOLD, italic=PDF_FONT, boldItalic=PDF_FONT_BOLD
    )
    return covered or frozenset()


class _Printable(dict):
    """A ``str.translate`` table for text typed by people, filled as characters are met:
    control characters become spaces, invisible formatting characters (soft hyphen,
    zero-width space) go, and a letter the font lacks is spelt without its accent ("ą" → "a")
    or, failing that, printed as ``?`` rather than as an empty box."""

    def __init__(self, covered: frozenset[int]) -> None:
        super().__init__()
        self.covered = covered

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if code in self.covered and char.isprintable():
            result = char
        elif unicodedata.category(char) == "Cf":
            result = ""
        elif not char.isprintable():
            result = " "
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            result = base if base and all(ord(c) in self.covered for c in base) else PDF_NO_GLYPH
        self[code] = result
        return result


@cache
def _printable() -> _Printable:
    return _Printable(_pdf_fonts())


def pdf_text(text: str) -> str:
    """``text`` as the PDF prints it: one line of characters the font has (see _Printable)."""
    return " ".join(text.translate(_printable()).split())


def _fit_line(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut short with "…" so that it is at most ``width`` points wide."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


@dataclass(frozen=True)
class _PdfKit:
    """What every shortlist PDF is made with: ReportLab styles, column widths and classes."""

    cell: Any  # ParagraphStyle of a table cell
    header: Any  # of a header cell
    title: Any  # the employer
    fair: Any  # the fair's name, date and place
    heading: Any  # "Stillinger", "Kandidater"
    item: Any  # a vacancy
    table: Any  # TableStyle of the candidate table
    widths: tuple[float, ...]  # of the table's columns, points
    inner: tuple[float, ...]  # the same less the cell padding: room for text
    section_start: type  # Flowable marking a section's first page
    canvas: type  # Canvas writing running heads and page numbers
    make_cell: Callable[[str, float, str, Any], Any]  # (text, room, font, style) → a cell


@cache
def _pdf_kit() -> _PdfKit:
    """Fonts registered, styles and classes made: once per process (ReportLab is imported
    only here, so importing this module stays light)."""
    from reportlab.lib.colors import Color, HexColor, black
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable, Paragraph, TableStyle

    _pdf_fonts()
    muted = Color(PDF_MUTED_GREY, PDF_MUTED_GREY, PDF_MUTED_GREY)

    def style(name: str, size: float, **settings: object) -> ParagraphStyle:
        settings = {"fontName": PDF_FONT, "leading": size * 1.25, **settings}
        return ParagraphStyle(name, fontSize=size, **settings)

    class SectionStart(Flowable):
        """Zero-size marker at the top of a section's first page: the pages from here on
        belong to section ``index`` and carry ``running_head``."""

        def __init__(self, index: int, running_head: str) -> None:
            super().__init__()
            self.section = (index, running_head)

        def wrap(self, available_width: float, available_height: float) -> tuple[int, int]:
            return 0, 0

        def draw(self) -> None:
            self.canv.section = self.section

    class SectionCanvas(Canvas):
        """Holds the pages back until the document ends, then writes on each its section's
        running head and "Side x af y", counted within the section."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.section: tuple[int, str] = (0, "")
            self.held: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self.held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            totals = Counter(state["section"][0] for state in self.held)
            numbers: Counter[int] = Counter()
            width, height = self._pagesize
            left, right = PDF_MARGIN_MM * MM, width - PDF_MARGIN_MM * MM
            for state in self.held:
                self.__dict__.update(state)
                index, head = self.section
                numbers[index] += 1
                self.setFillColor(muted)
                self.setFont(PDF_FONT, PDF_RUNNING_HEAD_PT)
                head = _fit_line(head, PDF_FONT, PDF_RUNNING_HEAD_PT, right - left)
                self.drawRightString(right, height - PDF_RUNNING_HEAD_FROM_TOP_PT, head)
                self.setFillColor(black)
                self.setFont(PDF_FONT, PDF_BODY_PT)
                page = f"Side {numbers[index]} af {totals[index]}"
                self.drawRightString(right, PDF_PAGE_NUMBER_FROM_BOTTOM_PT, page)
                super().showPage()
            super().save()

    def make_cell(text: str, width: float, font: str, style: ParagraphStyle) -> str | Paragraph:
        """A plain string when the text fits its column or breaks at spaces into lines that
        do (ReportLab draws a string as it is: no markup, and in a fraction of a Paragraph's
        layout time); a Paragraph of the escaped text, which also breaks a word too long for
        the column (an e-mail address), only when not."""
        if not text or stringWidth(text, font, PDF_BODY_PT) <= width:
            return text
        lines = simpleSplit(text, font, PDF_BODY_PT, width)
        if all(stringWidth(line, font, PDF_BODY_PT) <= width for line in lines):
            return "\n".join(lines)
        return Paragraph(escape(text), style)

    frame_width = landscape(A4)[0] - 2 * PDF_MARGIN_MM * MM
    scale = frame_width / sum(c.pdf_width for c in PDF_COLUMNS)
    widths = tuple(c.pdf_width * scale for c in PDF_COLUMNS)
    score = [c.key for c in PDF_COLUMNS].index("score")
    rule = Color(PDF_RULE_GREY, PDF_RULE_GREY, PDF_RULE_GREY)
    return _PdfKit(
        cell=style("cell", PDF_BODY_PT, leading=PDF_LEADING_PT),
        header=style("header", PDF_BODY_PT, leading=PDF_LEADING_PT, fontName=PDF_FONT_BOLD),
        title=style("title", 15, fontName=PDF_FONT_BOLD, spaceAfter=3),
        fair=style("fair", 10, textColor=muted),
        heading=style(
            "heading", 10, fontName=PDF_FONT_BOLD, spaceBefore=6, spaceAfter=2, keepWithNext=1
        ),
        item=style("item", PDF_BODY_PT, leftIndent=10, bulletIndent=2, bulletFontName=PDF_FONT),
        table=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), PDF_FONT, PDF_BODY_PT, PDF_LEADING_PT),
                ("FONT", (0, 0), (-1, 0), PDF_FONT_BOLD, PDF_BODY_PT, PDF_LEADING_PT),
                ("BACKGROUND", (0, 0), (-1, 0), HexColor(f"#{XLSX_HEADER_FILL}")),
                ("GRID", (0, 0), (-1, -1), PDF_RULE_PT, rule),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (score, 1), (score, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), PDF_CELL_PADDING_PT),
                ("RIGHTPADDING", (0, 0), (-1, -1), PDF_CELL_PADDING_PT),
                ("TOPPADDING", (0, 0), (-1, -1), PDF_CELL_PADDING_PT * 0.7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), PDF_CELL_PADDING_PT),
            ]
        ),
        widths=widths,
        inner=tuple(w - 2 * PDF_CELL_PADDING_PT for w in widths),
        section_start=SectionStart,
        canvas=SectionCanvas,
        make_cell=make_cell,
    )


def shortlist_pdf(
    groups: Sequence[EmployerGroup],
    *,
    fair: FairInfo,
    progress: ProgressCallback | None = None,
) -> bytes:
    """The shortlist as a PDF (A4 landscape): each employer from a new page, headed by its
    name, the fair's name, date and place, its vacancies and the candidate table. A long table
    continues on further pages, which repeat the table header; every page carries the employer
    and fair as a running head and is numbered within its employer's section ("Side 1 af 3"),
    which is what is handed to that employer.

    Laid out by ReportLab's Platypus in DejaVu Sans (or the bundled Vera), embedded as subsets,
    so the text can be searched and copied. Text typed by people reaches Paragraph markup only
    escaped. Progress is reported as the table rows are prepared (about a fifth of the time)
    and once more when the document is laid out; meanwhile the export's heartbeat thread
    shows it is alive (:mod:`matching.export_jobs`).
    """
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        LongTable,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
    )

    kit = _pdf_kit()
    header = [
        kit.make_cell(pdf_text(c.header), w, PDF_FONT_BOLD, kit.header)
        for c, w in zip(PDF_COLUMNS, kit.inner, strict=True)
    ]
    fair_line = pdf_text(f"{fair.name} · {danish_date(fair.held_on)} · {fair.place}")
    counter = _Progress(progress, _count(groups))
    story: list = []
    for index, group in enumerate(groups or [EmployerGroup(0, "Ingen virksomheder", ())]):
        employer = pdf_text(group.employer)
        if story:
            story.append(PageBreak())
        story += [
            kit.section_start(index, f"{employer} · {fair_line}"),
            Paragraph(escape(employer), kit.title),
            Paragraph(escape(fair_line), kit.fair),
            Paragraph("Stillinger", kit.heading),
            *(Paragraph(escape(pdf_text(v)), kit.item, bulletText="•") for v in group.vacancies),
            Paragraph("Kandidater", kit.heading),
        ]
        if not group.rows:
            story.append(Paragraph("Ingen kandidater på listen.", kit.cell))
            continue
        data = [header]
        for row in group.rows:
            data.append(
                [
                    kit.make_cell(pdf_text(str(value)), width, PDF_FONT, kit.cell)
                    if (value := column.read(row)) is not None
                    else ""
                    for column, width in zip(PDF_COLUMNS, kit.inner, strict=True)
                ]
            )
            counter.step()
        story.append(Spacer(0, 2))
        story.append(LongTable(data, colWidths=kit.widths, repeatRows=1, style=kit.table))

    page_width, page_height = landscape(A4)
    margin, bottom = PDF_MARGIN_MM * MM, PDF_BOTTOM_MARGIN_MM * MM
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=(page_width, page_height),
        title=fair.name,
        creator="Jobbro",
        lang="da",
        initialFontName=PDF_FONT,  # else the canvas starts in (and names) Helvetica
        initialFontSize=PDF_BODY_PT,
    )
    body = Frame(
        margin,
        bottom,
        page_width - 2 * margin,
        page_height - margin - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    document.addPageTemplates([PageTemplate(id="page", frames=[body])])
    document.build(story, canvasmaker=kit.canvas)
    counter.finish()
    return buffer.getvalue()
