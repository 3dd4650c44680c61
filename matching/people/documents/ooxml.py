"""Text of Word (DOCX) and OpenDocument (ODT) files, read from their XML with defusedxml.

Paragraphs and tables come out in document order. A table row whose cells each hold one short
paragraph becomes one line with the cells separated by tabs ("2019 - 2021<TAB>Lagermedarbejder");
other rows come out cell by cell, so a two-column layout table reads as the left column, then
the right. List paragraphs get a "• " in front. Text boxes follow the paragraph that anchors
them; deleted revisions, field codes and the fallback copies of drawings are skipped.

Before any text is read the package is checked for macros and for relationships that fetch
content from elsewhere (``TargetMode="External"`` other than hyperlinks).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

Reader = Callable[[zipfile.ZipFile, str], bytes]

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"

# Emitted after each table cell read on its own (a column of a layout table): the parser ends
# a list section there. It is removed from the document text.
COLUMN_BREAK = "\ufdd0"  # a Unicode noncharacter: never in a document's own text
MACRO_MARKERS = ("vbaproject", "vbadata", "macroenabled", "activex", "macrosheet")
MAX_DEPTH = 60  # nesting of tables and text boxes
SHORT_CELL = 80  # characters: cells up to this long may share one line


def _refuse(code: str) -> Exception:
    from matching.people.documents.files import refused  # late: files imports this module

    return refused(code)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# --- checks ---------------------------------------------------------------------------------


def check_docx_package(zf: zipfile.ZipFile, read: Reader) -> None:
    """Refuse macros (vbaProject, .docm content types, ActiveX) and external references."""
    names = zf.namelist()
    if any(marker in name.lower() for name in names for marker in MACRO_MARKERS):
        raise _refuse("macros")
    if "[Content_Types].xml" in names:
        types = read(zf, "[Content_Types].xml").lower()
        if any(marker.encode() in types for marker in MACRO_MARKERS):
            raise _refuse("macros")
    for name in names:
        if not name.endswith(".rels"):
            continue
        root = fromstring(read(zf, name))
        for rel in root.iter(f"{REL}Relationship"):
            kind = rel.get("Type", "").rsplit("/", 1)[-1].lower()
            if "vba" in kind or "activex" in kind:
                raise _refuse("macros")
            if rel.get("TargetMode", "").lower() == "external" and kind != "hyperlink":
                raise _refuse("external_references")


def check_odt_package(zf: zipfile.ZipFile, content: Element) -> None:
    """Refuse Basic/script macros and objects, sections or images linked from elsewhere."""
    for name in zf.namelist():
        lowered = name.lower()
        if lowered.startswith(("basic/", "scripts/")) or "/basic/" in lowered:
            raise _refuse("macros")
    for el in content.iter():
        tag = _local(el.tag)
        if tag in ("script", "event-listener"):
            raise _refuse("macros")
        if tag == "dde-source" or tag == "dde-connection-decl":
            raise _refuse("external_references")
        href = el.get(f"{XLINK}href") or ""
        linked = tag in ("image", "object", "object-ole", "section-source", "plugin")
        inside = href.startswith(("./", "Pictures/", "Object", "#")) or "/" not in href
        if href and linked and not inside:
            raise _refuse("external_references")


# --- DOCX -----------------------------------------------------------------------------------


def _run_text(el: Element, boxes: list[Element], depth: int) -> Iterator[str]:
    for child in el:
        tag = _local(child.tag)
        if tag == "t":
            yield child.text or ""
        elif tag == "tab":
            yield "\t"
        elif tag in ("br", "cr"):
            yield "\n"
        elif tag == "noBreakHyphen":
            yield "-"
        elif tag in ("delText", "instrText", "Fallback", "pPr", "rPr", "del", "moveFrom"):
            continue
        elif tag == "txbxContent":
            boxes.append(child)
        elif depth < MAX_DEPTH:
            yield from _run_text(child, boxes, depth + 1)


def list_styles(styles: Element | None) -> set[str]:
    """Paragraph styles that number their paragraphs ("List Bullet"), following basedOn."""
    if styles is None:
        return set()
    based: dict[str, str] = {}
    numbered: set[str] = set()
    for style in styles.iter(f"{W}style"):
        sid = style.get(f"{W}styleId") or ""
        props = style.find(f"{W}pPr")
        if props is not None and props.find(f"{W}numPr") is not None:
            numbered.add(sid)
        parent = style.find(f"{W}basedOn")
        if parent is not None:
            based[sid] = parent.get(f"{W}val") or ""
    result = set(numbered)
    for sid in based:
        seen, current = 0, sid
        while current in based and seen < 20:
            current, seen = based[current], seen + 1
            if current in numbered:
                result.add(sid)
                break
    return result


def _docx_paragraph(p: Element, depth: int, lists: set[str]) -> list[str]:
    boxes: list[Element] = []
    text = "".join(_run_text(p, boxes, depth))
    props = p.find(f"{W}pPr")
    style = props.find(f"{W}pStyle") if props is not None else None
    bullet = props is not None and (
        props.find(f"{W}numPr") is not None or (style is not None and style.get(f"{W}val") in lists)
    )
    lines = [line.strip(" ") for line in text.split("\n")]
    if bullet and lines and lines[0].strip():
        lines[0] = "• " + lines[0].lstrip()
    for box in boxes:
        lines.extend(_docx_blocks(box, lists, depth + 1))
    return lines


def _rows(tbl: Element) -> Iterator[Element]:
    """The table's own rows (also those inside content controls), not those of nested tables."""
    for child in tbl:
        tag = _local(child.tag)
        if tag == "tr":
            yield child
        elif tag in ("sdt", "sdtContent", "customXml"):
            yield from _rows(child)


def _docx_table(tbl: Element, depth: int, lists: set[str]) -> list[str]:
    lines: list[str] = []
    for row in _rows(tbl):
        cells = [c for c in row if _local(c.tag) in ("tc", "sdt")]
        contents = [_docx_blocks(cell, lists, depth + 1) for cell in cells]
        contents = [[line for line in cell if line.strip()] for cell in contents]
        filled = [cell for cell in contents if cell]
        if len(filled) > 1 and all(len(c) == 1 and len(c[0]) <= SHORT_CELL for c in filled):
            lines.append("\t".join(c[0].strip() for c in filled))
        else:
            for cell in filled:
                lines.extend(cell)
                lines.append(COLUMN_BREAK)
    return lines


def _docx_blocks(el: Element, lists: set[str], depth: int = 0) -> list[str]:
    lines: list[str] = []
    if depth > MAX_DEPTH:
        raise _refuse("corrupt")
    for child in el:
        tag = _local(child.tag)
        if tag == "p":
            lines.extend(_docx_paragraph(child, depth, lists))
        elif tag == "tbl":
            lines.extend(_docx_table(child, depth, lists))
            lines.append("")
        elif tag == "AlternateContent":
            choice = child.find(f"{MC}Choice")
            if choice is not None:
                lines.extend(_docx_blocks(choice, lists, depth + 1))
        elif tag in ("sectPr", "tblPr", "tblGrid", "tcPr", "trPr", "sdtPr", "sdtEndPr", "del"):
            continue
        else:
            lines.extend(_docx_blocks(child, lists, depth + 1))
    return lines


def docx_lines(zf: zipfile.ZipFile, read: Reader) -> list[str]:
    check_docx_package(zf, read)
    root = fromstring(read(zf, "word/document.xml"))
    body = root.find(f"{W}body")
    if body is None:
        raise _refuse("corrupt")
    names = set(zf.namelist())
    styles = fromstring(read(zf, "word/styles.xml")) if "word/styles.xml" in names else None
    return _docx_blocks(body, list_styles(styles))


# --- ODT ------------------------------------------------------------------------------------


def _odt_inline(el: Element, depth: int) -> Iterator[str]:
    if el.text:
        yield el.text
    for child in el:
        tag = _local(child.tag)
        if tag == "s":
            yield " " * min(int(child.get(f"{TEXT}c", "1") or 1), 100)
        elif tag == "tab":
            yield "\t"
        elif tag == "line-break":
            yield "\n"
        elif tag in ("note", "annotation", "tracked-changes"):
            pass
        elif depth < MAX_DEPTH:
            yield from _odt_inline(child, depth + 1)
        if child.tail:
            yield child.tail


def _odt_rows(table: Element) -> Iterator[Element]:
    for child in table:
        tag = _local(child.tag)
        if tag == "table-row":
            yield child
        elif tag in ("table-rows", "table-header-rows", "table-row-group"):
            yield from _odt_rows(child)


def _odt_blocks(el: Element, depth: int = 0, bullet: bool = False) -> list[str]:
    if depth > MAX_DEPTH:
        raise _refuse("corrupt")
    lines: list[str] = []
    for child in el:
        tag = _local(child.tag)
        if tag in ("p", "h"):
            text = "".join(_odt_inline(child, depth))
            parts = [line.strip(" ") for line in text.split("\n")]
            if bullet and parts and parts[0].strip():
                parts[0] = "• " + parts[0].lstrip()
            lines.extend(parts)
        elif tag == "list":
            lines.extend(_odt_blocks(child, depth + 1, bullet=True))
        elif tag == "table":
            for row in _odt_rows(child):
                cells = [_odt_blocks(c, depth + 1) for c in row if _local(c.tag) == "table-cell"]
                filled = [[x for x in c if x.strip()] for c in cells]
                filled = [c for c in filled if c]
                if len(filled) > 1 and all(len(c) == 1 and len(c[0]) <= SHORT_CELL for c in filled):
                    lines.append("\t".join(c[0].strip() for c in filled))
                else:
                    for cell in filled:
                        lines.extend(cell)
                        lines.append(COLUMN_BREAK)
            lines.append("")
        elif tag in ("tracked-changes", "table-columns", "table-column", "sequence-decls"):
            continue
        else:
            lines.extend(_odt_blocks(child, depth + 1, bullet))
    return lines


def odt_lines(zf: zipfile.ZipFile, read: Reader) -> list[str]:
    root = fromstring(read(zf, "content.xml"))
    check_odt_package(zf, root)
    body = root.find(f"{OFFICE}body")
    text = body.find(f"{OFFICE}text") if body is not None else None
    if text is None:
        raise _refuse("corrupt")
    return _odt_blocks(text)
