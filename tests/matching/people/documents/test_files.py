"""File checks and text extraction (matching.people.documents.files): every accepted type,
and every refusal code on a hostile corpus made here."""

from __future__ import annotations

import time

import pytest

from matching.people.documents import (
    CODES,
    DOCX,
    MAX_BYTES,
    ODT,
    PDF,
    TXT,
    DocumentRefused,
    parse_document,
)
from matching.people.documents import files as files_module
from matching.people.documents.files import extract_text
from tests.support.cv_documents import (
    DOCM_MAIN,
    docx,
    encrypted_pdf,
    external_template_docx,
    hyperlink_docx,
    image_only_pdf,
    lying_zip_bomb_docx,
    many_entries_docx,
    odt,
    odt_with_linked_image,
    pdf,
    plain_zip,
    raw_docx,
    tiny_png,
    zip_bomb_docx,
)

CV_LINES = [
    "Erhvervserfaring",
    "Lagermedarbejder, Netto A/S, 2019 - nu",
    "Chauffør, DSB, 2015 - 2018",
    "Uddannelse",
    "Erhvervsuddannelse som lagermedarbejder, EUC Syd, 2014",
]


def refusal(data: bytes, name: str) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as caught:
        parse_document(data, name)
    assert caught.value.code in CODES
    assert caught.value.message_da and str(caught.value) == caught.value.message_da
    return caught.value


# --- accepted ---------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_come_in_document_order() -> None:
    data = docx(
        [
            "Før tabellen",
            [["Erfaring", "Lagermedarbejder\nNetto A/S"], ["Sprog", "Dansk"]],
            "Efter tabellen",
            "* et punkt",
        ]
    )
    got = extract_text(data, "cv.docx")
    lines = [line for line in got.lines if line.strip("\ufdd0")]
    assert got.media_type == DOCX
    assert lines == [
        "Før tabellen",
        "Erfaring",
        "Lagermedarbejder",
        "Netto A/S",
        "Sprog\tDansk",
        "Efter tabellen",
        "• et punkt",
    ]


def test_a_two_column_table_reads_left_column_then_right() -> None:
    data = docx([[["Kompetencer\ntruck\nlager", "Erfaring\nLagermedarbejder\n2019 - nu"]]])
    lines = [line for line in extract_text(data, "cv.docx").lines if line.strip("\ufdd0")]
    assert lines == ["Kompetencer", "truck", "lager", "Erfaring", "Lagermedarbejder", "2019 - nu"]


def test_odt_headings_lists_and_tables() -> None:
    data = odt(["# Erfaring", [["2019 - nu", "Lagermedarbejder"]], "* truck", "Slut"])
    got = extract_text(data, "cv.odt")
    assert got.media_type == ODT
    assert [line for line in got.lines if line.strip("\ufdd0")] == [
        "Erfaring",
        "2019 - nu\tLagermedarbejder",
        "• truck",
        "Slut",
    ]


def test_pdf_text_layer() -> None:
    got = extract_text(pdf(CV_LINES), "cv.pdf")
    assert got.media_type == PDF
    assert "Lagermedarbejder, Netto A/S, 2019 - nu" in got.lines


def test_two_column_pdf_keeps_each_column_together() -> None:
    data = pdf([], columns=[["Kompetencer", "truck", "lagerstyring"], CV_LINES])
    document = parse_document(data, "cv.pdf")
    assert [e.title for e in document.cv.experiences] == ["Lagermedarbejder", "Chauffør"]
    assert document.cv.skills == ["truck", "lagerstyring"]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("latin-1", b""),
     ("utf-16", b"")],
)  # fmt: skip
def test_txt_encodings(encoding: str, prefix: bytes) -> None:
    text = "Søren Ærø\nKøkkenassistent på Ålborghus\n\nSprog\nDansk (modersmål)\n"
    document = parse_document(prefix + text.encode(encoding), "cv.txt")
    assert document.media_type == TXT
    assert "Køkkenassistent på Ålborghus" in document.text
    assert document.cv.languages[0].language == "Dansk"


def test_a_file_without_extension_is_read_by_its_content() -> None:
    assert parse_document(docx(CV_LINES), "cv").media_type == DOCX


def test_a_hyperlink_is_fine() -> None:
    assert parse_document(hyperlink_docx(), "cv.docx").text.startswith("Lagermedarbejder")


def test_exactly_max_bytes_is_accepted() -> None:
    data = ("Lagermedarbejder\n" * (MAX_BYTES // 17 + 1)).encode()[:MAX_BYTES]
    assert len(data) == MAX_BYTES
    assert parse_document(data, "cv.txt").media_type == TXT


# --- refused ----------------------------------------------------------------------------------


def test_too_large() -> None:
    assert refusal(b"a" * (MAX_BYTES + 1), "cv.txt").code == "too_large"


@pytest.mark.parametrize(("data", "name"), [(b"", "cv.docx"), (b"  \n\t ", "cv.txt")])
def test_empty(data: bytes, name: str) -> None:
    assert refusal(data, name).code == "empty"


def test_a_document_without_text_is_empty() -> None:
    assert refusal(docx([""]), "cv.docx").code == "empty"


@pytest.mark.parametrize("name", ["cv.doc", "cv.png", "cv.exe", "cv.rtf"])
def test_unsupported_extension(name: str) -> None:
    assert refusal(docx(CV_LINES), name).code == "unsupported_type"


def test_unknown_content_without_extension() -> None:
    assert refusal(tiny_png(), "cv").code == "unsupported_type"


def test_png_renamed_docx() -> None:
    refused = refusal(tiny_png(), "cv.docx")
    assert refused.code == "type_mismatch"
    assert ".docx" in refused.message_da and "PNG" in refused.message_da


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: plain_zip(), "cv.pdf"),
        (lambda: docx(CV_LINES), "cv.pdf"),
        (lambda: pdf(CV_LINES), "cv.docx"),
        (lambda: docx(CV_LINES), "cv.odt"),
        (lambda: plain_zip(), "cv.docx"),
        (lambda: pdf(CV_LINES), "cv.txt"),
        (lambda: b"Lagermedarbejder", "cv.docx"),
    ],
)
def test_content_that_does_not_match_its_extension(make, name: str) -> None:  # noqa: ANN001
    assert refusal(make(), name).code == "type_mismatch"


def test_encrypted_pdf() -> None:
    assert refusal(encrypted_pdf(CV_LINES), "cv.pdf").code == "encrypted_pdf"


def test_image_only_pdf_has_no_text_layer() -> None:
    assert refusal(image_only_pdf(), "cv.pdf").code == "no_text_layer"


def test_a_pdf_with_a_few_letters_only_has_no_text_layer() -> None:
    assert refusal(pdf(["Side 1"]), "cv.pdf").code == "no_text_layer"


def test_docm_content_type() -> None:
    assert refusal(raw_docx(main_type=DOCM_MAIN), "cv.docx").code == "macros"


def test_vba_project() -> None:
    data = raw_docx(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert refusal(data, "cv.docx").code == "macros"


def test_external_template() -> None:
    assert refusal(external_template_docx(), "cv.docx").code == "external_references"


@pytest.mark.parametrize("kind", ["oleObject", "frame", "subDocument", "image"])
def test_other_external_relationships(kind: str) -> None:
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="r1" Type="http://x/relationships/{kind}" Target="file:///c:/x" '
        'TargetMode="External"/></Relationships>'
    )
    data = raw_docx(extra={"word/_rels/document.xml.rels": rels})
    assert refusal(data, "cv.docx").code == "external_references"


def test_odt_with_basic_macros() -> None:
    data = odt(["Lagermedarbejder"], extra={"Basic/Standard/Module1.xml": "<x/>"})
    assert refusal(data, "cv.odt").code == "macros"


def test_odt_with_a_linked_image() -> None:
    assert refusal(odt_with_linked_image(), "cv.odt").code == "external_references"


def test_odt_with_its_own_image_is_fine() -> None:
    assert parse_document(odt_with_linked_image("Pictures/1.png"), "cv.odt").media_type == ODT


def test_zip_bomb_by_ratio_is_refused_before_inflating() -> None:
    data = zip_bomb_docx(30 * 1024 * 1024)
    started = time.perf_counter()
    assert refusal(data, "cv.docx").code == "zip_bomb"
    assert time.perf_counter() - started < 1


def test_a_part_larger_than_the_read_cap_is_a_zip_bomb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MAX_PART_BYTES", 100)
    assert refusal(docx(CV_LINES), "cv.docx").code == "zip_bomb"


def test_a_lying_size_header_stops_at_the_declared_size() -> None:
    assert refusal(lying_zip_bomb_docx(), "cv.docx").code == "corrupt"


def test_too_many_entries() -> None:
    assert refusal(many_entries_docx(), "cv.docx").code == "zip_bomb"


def test_entity_expansion_is_refused_as_corrupt() -> None:
    lol = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"
    )
    assert refusal(raw_docx(document=lol), "cv.docx").code == "corrupt"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF", "cv.pdf"),
        (b"PK\x03\x04" + b"\x00" * 40, "cv.docx"),
        (b"\x00\x01\x02\x03" * 100, "cv.pdf"),
    ],
)
def test_corrupt(data: bytes, name: str) -> None:
    assert refusal(data, name).code == "corrupt"


def test_truncated_docx_is_corrupt() -> None:
    data = docx(CV_LINES)
    assert refusal(data[: len(data) // 2], "cv.docx").code == "corrupt"


def test_a_long_pdf_is_read_in_part_with_a_warning() -> None:
    lines = [f"Linje {i} med lidt tekst om lager og logistik" for i in range(46 * 32)]
    got = extract_text(pdf(lines), "cv.pdf")
    assert any("30" in w for w in got.warnings)
    assert "Linje 0 med lidt tekst om lager og logistik" in got.lines
