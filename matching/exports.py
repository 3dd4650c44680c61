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
import html
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

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
    """One person on one vacancy's shortlist, already reduced to what an export may show.

    Identifying fields are None unless ``consented``; constructing a row that breaks this
    raises, so no code path can hand a writer a name without consent.
    """

    fair: FairInfo
    employer_id: int
    employer: str
    vacancy: str
    invitation_id: str
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
    """The rows of one employer: one XLSX sheet, one PDF page."""

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

    def read(self, row: ShortlistRow) -> Value:
        """The cell's value; always None for an identifying column without consent."""
        if self.identifying and not row.consented:
            return None
        return self.value(row)


def _yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("ja" if flag else "nej")


SHORTLIST_COLUMNS: tuple[Column, ...] = (
    Column("employer", "Virksomhed", 28, lambda r: r.employer),
    Column("vacancy", "Stilling", 28, lambda r: r.vacancy),
    Column("invitation_id", "Invitations-id", 16, lambda r: r.invitation_id),
    Column("postal_code", "Postnr.", 8, lambda r: r.postal_code),
    Column("district", "By", 18, lambda r: r.district),
    Column("occupation", "Erhverv", 28, lambda r: r.occupation),
    Column("score", "Match (0-100)", 13, lambda r: r.score),
    Column("reasons", "Begrundelse", 60, lambda r: r.reasons),
    Column("cross_industry", "Brancheskift", 12, lambda r: _yes_no(r.cross_industry)),
    Column("name", "Navn", 24, lambda r: r.name, identifying=True),
    Column("email", "E-mail", 30, lambda r: r.email, identifying=True),
    Column("phone", "Telefon", 14, lambda r: r.phone, identifying=True),
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
    included = [r for r in invited if r.consented and r.contact_by_email and r.email]
    return _csv_bytes(INVITATION_COLUMNS, included, lambda: None), len(invited) - len(included)


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
    """The shortlist as a workbook, one sheet per employer, bold frozen header row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    def clean(value: Value) -> Value:
        # Control characters pasted into a CV would make openpyxl refuse the whole file.
        value = _spreadsheet_value(value)
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    workbook = Workbook(write_only=True)  # streams rows: memory stays flat on large fairs
    bold, fill = Font(bold=True), PatternFill("solid", fgColor=XLSX_HEADER_FILL)
    counter = _Progress(progress, _count(groups))
    taken: set[str] = set()
    for group in groups or [EmployerGroup(0, "Ingen kandidater", ())]:
        sheet = workbook.create_sheet(sheet_title(group.employer, taken))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(SHORTLIST_COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in SHORTLIST_COLUMNS:
            cell = WriteOnlyCell(sheet, value=clean(column.header))
            cell.font, cell.fill = bold, fill
            header.append(cell)
        sheet.append(header)
        for row in group.rows:
            sheet.append([clean(column.read(row)) for column in SHORTLIST_COLUMNS])
            counter.step()
    buffer = io.BytesIO()
    workbook.save(buffer)
    counter.finish()
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------

PDF_COLUMNS = tuple(c for c in SHORTLIST_COLUMNS if c.key != "employer")  # the page's heading

PDF_CSS = """
@page { size: A4 landscape; margin: 12mm 12mm 14mm;
        @top-right { content: string(employer) " · " string(fair); font-size: 7pt; color: #555; }
        @bottom-right { content: "Side " counter(page) " af " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 8pt; }
section + section { break-before: page; }
.fair { font-size: 10pt; color: #333; margin: 0; string-set: fair content(); }
h1 { font-size: 15pt; margin: 2mm 0 3mm; string-set: employer content(); }
h2 { font-size: 10pt; margin: 3mm 0 1mm; }
ul { margin: 0 0 2mm; padding-left: 5mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.5pt solid #999; padding: 1mm; text-align: left; vertical-align: top; }
th { background: #ddebf7; }
thead { display: table-header-group; }
td.num { text-align: right; }
"""


def _pdf_cell(column: Column, row: ShortlistRow) -> str:
    value = column.read(row)
    css = ' class="num"' if isinstance(value, int) else ""
    return f"<td{css}>{html.escape('' if value is None else str(value))}</td>"


def _pdf_section(fair_line: str, group: EmployerGroup, tick: Callable[[], None]) -> str:
    vacancies = "".join(f"<li>{html.escape(v)}</li>" for v in group.vacancies)
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in PDF_COLUMNS)
    body = []
    for row in group.rows:
        body.append("<tr>" + "".join(_pdf_cell(c, row) for c in PDF_COLUMNS) + "</tr>")
        tick()
    table = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        if body
        else "<p>Ingen kandidater på listen.</p>"
    )
    return (
        f'<section><p class="fair">{fair_line}</p><h1>{html.escape(group.employer)}</h1>'
        f"<h2>Stillinger</h2><ul>{vacancies}</ul><h2>Kandidater</h2>{table}</section>"
    )


def shortlist_pdf(
    groups: Sequence[EmployerGroup],
    *,
    fair: FairInfo,
    progress: ProgressCallback | None = None,
) -> bytes:
    """The shortlist as a PDF: each employer on its own page, headed by the fair's name and
    date, with its vacancies and candidate table. A long table continues on further pages,
    which repeat the table header and carry the employer and fair in the page's top margin."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fair_line = html.escape(f"{fair.name} · {danish_date(fair.held_on)} · {fair.place}")
    counter = _Progress(progress, _count(groups))
    sections = [_pdf_section(fair_line, g, counter.step) for g in groups] or [
        _pdf_section(fair_line, EmployerGroup(0, "Ingen virksomheder", ()), lambda: None)
    ]
    document = (
        f'<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">'
        f"<title>{html.escape(fair.name)}</title><style>{PDF_CSS}</style></head>"
        f"<body>{''.join(sections)}</body></html>"
    )
    # Nothing is fetched: the document is self-contained, and text typed by people must not
    # make the renderer reach out to the network or the file system.
    pdf = HTML(string=document, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    counter.finish()
    return pdf
