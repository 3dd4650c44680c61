"""Renderers of the CV development set (bench/cv_devset.py): DOCX layouts with python-docx,
PDF layouts with reportlab. Each takes a ``Doc`` (the CV as the document states it)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

MONTHS = {
    ("da", "abbr"): ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.",
                     "okt.", "nov.", "dec."),
    ("da", "long"): ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
                     "september", "oktober", "november", "december"),
    ("en", "abbr"): ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                     "Dec"),
    ("en", "long"): ("January", "February", "March", "April", "May", "June", "July", "August",
                     "September", "October", "November", "December"),
}  # fmt: skip
NOW = {"da": ("nu", "d.d.", "dags dato", "nu"), "en": ("present", "current", "now", "Present")}
LANGUAGE_EN = {"Dansk": "Danish", "Engelsk": "English", "Tysk": "German", "Spansk": "Spanish",
               "Fransk": "French", "Svensk": "Swedish", "Norsk": "Norwegian", "Arabisk": "Arabic",
               "Tyrkisk": "Turkish", "Polsk": "Polish", "Rumænsk": "Romanian", "Somali": "Somali",
               "Ukrainsk": "Ukrainian", "Tigrinya": "Tigrinya"}  # fmt: skip
LEVEL_EN = {"Modersmål": "native", "Flydende": "fluent", "Godt": "good", "Rimeligt": "fair",
            "Begynder": "beginner", "Basis": "basic"}  # fmt: skip


def period(start: int | None, end: int | None, style: str, lang: str, rng: random.Random) -> str:
    """A period in the document's date style; "" without a start."""
    if start is None:
        return ""
    if style == "year" and end == start:
        return str(start)

    def point(year: int) -> str:
        month = rng.randrange(12)
        if style == "month_abbr":
            return f"{MONTHS[lang, 'abbr'][month]} {year}"
        if style == "month_long":
            return f"{MONTHS[lang, 'long'][month]} {year}"
        if style == "numeric":
            return f"{month + 1:02d}/{year}"
        return str(year)

    dash = rng.choice((" – ", " - ", "–")) if style in ("year", "current") else " – "
    if end is None:
        now = NOW[lang][1 if style == "current" else rng.randrange(len(NOW[lang]))]
        return f"{point(start)}{dash}{now}"
    return f"{point(start)}{dash}{point(end)}"


def language_line(item: dict[str, str], lang: str, rng: random.Random) -> str:
    name, level = item["language"], item["level"]
    if lang == "en":
        name, level = LANGUAGE_EN.get(name, name), LEVEL_EN.get(level, level.lower())
    else:
        level = level.lower()
    return rng.choice((f"{name} ({level})", f"{name} – {level}", f"{name}: {level}"))


def licence_text(codes: list[str], lang: str) -> str:
    words = {"truck": "Gaffeltruck" if lang == "da" else "Forklift truck", "T": "T (traktor)"}
    return ", ".join(words.get(c, c) for c in codes)


def experience_header(e: dict[str, Any], lang: str, rng: random.Random) -> str:
    if not e["employer"]:
        return e["title"]
    joiner = rng.choice((", ", " – ", " | "))
    return f"{e['title']}{joiner}{e['employer']}"


def education_line(e: dict[str, Any]) -> str:
    parts = [e["title"], e["institution"]]
    return ", ".join(p for p in parts if p)


# --- DOCX -----------------------------------------------------------------------------------


def render_docx(doc: Any, path: Path, rng: random.Random) -> None:
    from docx import Document
    from docx.shared import Pt

    d = Document()
    h, lang, style = doc.headings, doc.lang, doc.date_style

    def para(text: str, *, bold: bool = False, size: int | None = None, bullet: bool = False,
             container: Any = None) -> None:  # fmt: skip
        target = container if container is not None else d
        p = target.add_paragraph(style="List Bullet" if bullet else None)
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)

    def heading(text: str, container: Any = None) -> None:
        if container is None and rng.random() < 0.6:
            d.add_heading(text, level=1)
        else:
            para(text, bold=True, size=13, container=container)

    def top(container: Any = None) -> None:
        para(doc.contact[0], bold=True, size=18, container=container)
        for line in doc.contact[1:]:
            para(line, container=container)
        para(doc.headline, bold=True, container=container)

    def experiences(container: Any = None, mode: str = "title_first") -> None:
        for e in doc.experiences:
            dates = period(e["start_year"], e["end_year"], style, lang, rng)
            if mode == "title_first":
                para(experience_header(e, lang, rng), bold=True, container=container)
                if dates:
                    para(dates, container=container)
            elif mode == "three_lines":
                para(e["title"], bold=True, container=container)
                para(e["employer"], container=container)
                if dates:
                    para(dates, container=container)
            elif mode == "date_first":
                if dates:
                    para(dates, container=container)
                para(experience_header(e, lang, rng), bold=True, container=container)
            elif mode == "one_line":
                para(f"{e['title']} | {e['employer']} | {dates}", bold=True, container=container)
            elif mode == "bullet":
                at = " hos " if lang == "da" else " at "
                para(f"{e['title']}{at}{e['employer']} ({dates})", bullet=True, container=container)
            para(e["description"], container=container)

    def educations(container: Any = None, date_first: bool = False) -> None:
        for e in doc.educations:
            year = e["completed_year"]
            if date_first and year:
                para(str(year), container=container)
                para(education_line(e), container=container)
            else:
                para(education_line(e) + (f", {year}" if year else ""), container=container)

    def lists(container: Any = None) -> None:
        heading(h["skills"], container)
        if rng.random() < 0.5 or any("," in s for s in doc.skills):
            for skill in doc.skills:
                para(skill, bullet=True, container=container)
        else:
            para(", ".join(doc.skills), container=container)
        heading(h["languages"], container)
        for item in doc.languages:
            para(language_line(item, lang, rng), container=container)
        if doc.licences:
            heading(h["licences"], container)
            para(licence_text(doc.licences, lang), container=container)
        heading(h["desired"], container)
        for title in doc.desired:
            para(title, bullet=True, container=container)

    layout = doc.layout
    if layout in ("plain", "date_first", "bullets"):
        top()
        heading(h["profile"])
        para(doc.summary)
        heading(h["experience"])
        mode = {"plain": "title_first", "date_first": "date_first", "bullets": "bullet"}[layout]
        experiences(mode=mode)
        heading(h["education"])
        educations(date_first=layout == "date_first")
        lists()
    elif layout == "table_headings":
        top()
        table = d.add_table(rows=0, cols=2)
        for key, fill in (
            ("profile", lambda c: para(doc.summary, container=c)),
            ("experience", lambda c: experiences(c, mode="three_lines")),
            ("education", lambda c: educations(c)),
            ("skills", lambda c: [para(s, bullet=True, container=c) for s in doc.skills]),
            (
                "languages",
                lambda c: [para(language_line(x, lang, rng), container=c) for x in doc.languages],
            ),  # fmt: skip
            ("licences", lambda c: para(licence_text(doc.licences, lang), container=c)),
            ("desired", lambda c: para(", ".join(doc.desired), container=c)),
        ):
            if key == "licences" and not doc.licences:
                continue
            row = table.add_row().cells
            row[0].text = h[key]
            row[1].paragraphs[0].text = ""
            fill(row[1])
    elif layout == "two_column":
        banner = rng.random() < 0.5  # name and headline above the columns, else in them
        if banner:
            para(doc.contact[0], bold=True, size=18)
            para(doc.headline, bold=True)
        table = d.add_table(rows=1, cols=2)
        left, right = table.rows[0].cells
        for line in doc.contact[1 if banner else 0 :]:
            para(line, container=left)
        lists(left)
        if not banner:
            para(doc.headline, bold=True, size=14, container=right)
        heading(h["profile"], right)
        para(doc.summary, container=right)
        heading(h["experience"], right)
        experiences(right, mode="one_line")
        heading(h["education"], right)
        educations(right)
    elif layout == "date_table":
        top()
        heading(h["profile"])
        para(doc.summary)
        heading(h["experience"])
        table = d.add_table(rows=0, cols=2)
        for e in doc.experiences:
            row = table.add_row().cells
            row[0].text = period(e["start_year"], e["end_year"], style, lang, rng)
            row[1].text = experience_header(e, lang, rng)
            para(e["description"], container=row[1])
        heading(h["education"])
        table = d.add_table(rows=0, cols=2)
        for e in doc.educations:
            row = table.add_row().cells
            row[0].text = str(e["completed_year"] or "")
            row[1].text = education_line(e)
        heading(h["languages"])
        table = d.add_table(rows=0, cols=2)
        for item in doc.languages:
            name, level = item["language"], item["level"]
            if lang == "en":
                name, level = LANGUAGE_EN.get(name, name), LEVEL_EN.get(level, level)
            row = table.add_row().cells
            row[0].text, row[1].text = name, level
        heading(h["skills"])
        para(
            ", ".join(doc.skills)
            if not any("," in s for s in doc.skills)
            else "; ".join(doc.skills)
        )
        if doc.licences:
            heading(h["licences"])
            para(licence_text(doc.licences, lang))
        heading(h["desired"])
        para(", ".join(doc.desired))
    else:
        raise ValueError(layout)
    d.save(str(path))


# --- PDF ------------------------------------------------------------------------------------


def _font() -> str | None:
    """DejaVu Sans registered with reportlab, when the system has it."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path("/usr/share/fonts/truetype/dejavu")
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        return None
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
    return "DejaVuSans"


def render_pdf(doc: Any, path: Path, rng: random.Random) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        FrameBreak,
        PageTemplate,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
    )

    styles = getSampleStyleSheet()
    font = _font()
    if font:  # Turkish and Polish names need more than the standard fonts' Latin-1
        for name in ("BodyText", "Heading1", "Heading2", "Heading4", "Title"):
            styles[name].fontName = font if name == "BodyText" else font + "-Bold"
    body, bold, head = styles["BodyText"], styles["Heading4"], styles["Heading2"]
    h, lang, style = doc.headings, doc.lang, doc.date_style

    def p(text: str, st: Any = body) -> Any:
        return Paragraph(escape(text), st)

    def lists() -> list[Any]:
        out = [p(h["skills"], head)]
        out += [p(f"• {s}") for s in doc.skills]
        out.append(p(h["languages"], head))
        out += [p(language_line(x, lang, rng)) for x in doc.languages]
        if doc.licences:
            out += [p(h["licences"], head), p(licence_text(doc.licences, lang))]
        out.append(p(h["desired"], head))
        out += [p(f"• {t}") for t in doc.desired]
        return out

    def main_part(date_first: bool) -> list[Any]:
        out = [p(h["profile"], head), p(doc.summary), p(h["experience"], head)]
        for e in doc.experiences:
            dates = period(e["start_year"], e["end_year"], style, lang, rng)
            header = p(experience_header(e, lang, rng), bold)
            if date_first:
                out += ([p(dates)] if dates else []) + [header]
            else:
                out += [header] + ([p(dates)] if dates else [])
            out.append(p(e["description"]))
        out.append(p(h["education"], head))
        for e in doc.educations:
            year = e["completed_year"]
            out.append(p(education_line(e) + (f", {year}" if year else "")))
        return out

    if doc.layout == "pdf_plain":
        story = [p(doc.contact[0], styles["Title"])]
        story += [p(line) for line in doc.contact[1:]]
        story += [p(doc.headline, bold), Spacer(1, 4 * mm)]
        story += main_part(date_first=False) + lists()
        SimpleDocTemplate(str(path), pagesize=A4).build(story)
        return
    width, height = A4
    margin = 15 * mm
    left_w = 60 * mm
    banner = rng.random() < 0.5  # name and headline across the top, else in the columns
    top_h = 30 * mm if banner else 0
    column_h = height - 2 * margin - top_h
    right_x, right_w = margin + left_w + 6 * mm, width - 2 * margin - left_w - 6 * mm
    columns = [
        Frame(margin, margin, left_w, column_h, id="left"),
        Frame(right_x, margin, right_w, column_h, id="right"),
    ]
    first = [Frame(margin, height - margin - top_h, width - 2 * margin, top_h, id="top")]
    template = BaseDocTemplate(str(path), pagesize=A4)
    later = [Frame(margin, margin, left_w, height - 2 * margin, id="l2"),
             Frame(right_x, margin, right_w, height - 2 * margin, id="r2")]  # fmt: skip
    template.addPageTemplates(
        [
            PageTemplate(
                id="first", frames=(first if banner else []) + columns, autoNextPageTemplate="later"
            ),  # fmt: skip
            PageTemplate(id="later", frames=later),
        ]
    )
    story: list[Any] = []
    if banner:
        story += [p(doc.contact[0], styles["Title"]), p(doc.headline, bold), FrameBreak()]
    story += [p(line) for line in doc.contact[1 if banner else 0 :]] + lists() + [FrameBreak()]
    if not banner:
        story.append(p(doc.headline, styles["Heading1"]))
    story += main_part(date_first=True)
    template.build(story)
