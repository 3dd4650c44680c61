"""Whatever the bytes, parse_document returns a draft or raises DocumentRefused."""

from __future__ import annotations

import json
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.people.documents import DocumentRefused, ParsedDocument, parse_document
from tests.support.cv_documents import docx, odt, pdf

NAMES = ("cv.docx", "cv.pdf", "cv.odt", "cv.txt", "cv", "CV.DOCX")
LINES = [
    "Erhvervserfaring",
    "Lagermedarbejder, Netto A/S, jan. 2019 – nu",
    "Uddannelse",
    "EUD, EUC Syd, 2014",
    "Sprog",
    "Dansk (modersmål)",
]
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@cache
def samples() -> dict[str, bytes]:
    return {
        "cv.docx": docx([*LINES, [["Kørekort", "B"]]]),
        "cv.pdf": pdf(LINES),
        "cv.odt": odt(LINES),
        "cv.txt": "\n".join(LINES).encode(),
    }


def outcome(data: bytes, name: str) -> None:
    try:
        document = parse_document(data, name)
    except DocumentRefused as refused:
        assert refused.code and refused.message_da
        return
    assert isinstance(document, ParsedDocument)
    json.dumps(document.to_dict())  # the draft is always JSON


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(NAMES))
def test_random_bytes(data: bytes, name: str) -> None:
    outcome(data, name)


@FUZZ
@given(
    kind=st.sampled_from(["cv.docx", "cv.pdf", "cv.odt", "cv.txt"]),
    flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), max_size=12),
    cut=st.one_of(st.none(), st.integers(0, 10**9)),
)
def test_mutated_documents(kind: str, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(samples()[kind])
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    outcome(bytes(data), kind)


@FUZZ
@given(text=st.text(max_size=2000))
def test_any_text(text: str) -> None:
    outcome(text.encode("utf-8", "surrogatepass"), "cv.txt")


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.characters()), min_size=1, max_size=8))
def test_mutated_xml_inside_a_valid_package(flips: list[tuple[int, str]]) -> None:
    from tests.support.cv_documents import document_xml, raw_docx

    xml = list(document_xml(LINES))
    for position, char in flips:
        xml[position % len(xml)] = char
    outcome(raw_docx(document="".join(xml)), "cv.docx")
