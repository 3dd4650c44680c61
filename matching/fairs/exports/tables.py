"""Job-fair exports: the shortlist as CSV, XLSX and PDF, and a mail-merge CSV of invitations.

The files leave Jobbro and reach employers, so they follow the rules of
:mod:`matching.people.disclosure`: a person is shown by an opaque invitation id and the working
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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from matching.core.dates import format_long_date
from matching.fairs.exports.rows import EmployerGroup, ShortlistRow

PROGRESS_EVERY_ROWS = 100


CSV_DELIMITER = ";"  # Danish Excel: the comma is the decimal separator


CSV_LINE_END = "\r\n"


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


XLSX_SHEET_NAME_MAX_CHARS = 31


XLSX_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


XLSX_HEADER_FILL = "DDEBF7"


Value = str | int | None


ProgressCallback = Callable[[int, int], None]


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
    Column("fair_date", "Dato", 16, lambda r: format_long_date(r.fair.held_on)),
    Column("fair_place", "Sted", 24, lambda r: r.fair.place),
    Column("employer", "Virksomhed", 28, lambda r: r.employer),
    Column("vacancy", "Stilling", 28, lambda r: r.vacancy),
    Column("invitation_id", "Invitations-id", 16, lambda r: r.invitation_id),
)


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
