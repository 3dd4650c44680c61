"""The printable PDF of a fair's shortlists (ReportLab): a section per employer."""

from __future__ import annotations

import io
import os
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from matching.core.dates import format_long_date
from matching.fairs.exports.rows import EmployerGroup, FairInfo
from matching.fairs.exports.tables import (
    SHORTLIST_COLUMNS,
    XLSX_HEADER_FILL,
    ProgressCallback,
    _count,
    _Progress,
)

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
    shows it is alive (:mod:`matching.fairs.exports.runs`).
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
    fair_line = pdf_text(f"{fair.name} · {format_long_date(fair.held_on)} · {fair.place}")
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
