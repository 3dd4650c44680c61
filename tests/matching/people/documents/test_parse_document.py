"""The package's entry point: parse_document, normalisation and the JSON form."""

from __future__ import annotations

import json

import pytest

from matching.people.documents import (
    DOCX,
    ParsedCV,
    ParsedDocument,
    TitleMatch,
    apply_normalisation,
    parse_document,
)
from tests.support.cv_documents import docx

LINES = [
    "Erfaren lagermedarbejder",
    "# Erfaring",
    "Lagermedarbejder, Netto A/S, 2019 - nu",
    "Gartner, Haveservice ApS",
    "# Jobønsker",
    "* Truckfører",
]


def test_parse_document_gives_media_type_text_draft_and_warnings() -> None:
    document = parse_document(docx(LINES), "cv.docx")
    assert document.media_type == DOCX
    assert "Lagermedarbejder, Netto A/S, 2019 - nu" in document.text
    assert [e.title for e in document.cv.experiences] == ["Lagermedarbejder", "Gartner"]
    assert any("Gartner" in w for w in document.warnings)  # no start year


def test_normalise_is_called_once_with_every_title_in_order() -> None:
    calls: list[list[str]] = []

    def normalise(titles: list[str]) -> list[TitleMatch | None]:
        calls.append(titles)
        return [
            TitleMatch("lagerarbejder", "9333", "http://x/warehouse"),
            None,
            TitleMatch("truckfører", "8344", "http://x/forklift"),
        ]

    cv = parse_document(docx(LINES), "cv.docx", normalise=normalise).cv
    assert calls == [["Lagermedarbejder", "Gartner", "Truckfører"]]
    first, second = cv.experiences
    assert (first.isco_code, first.esco_uri, first.occupation_label) == (
        "9333",
        "http://x/warehouse",
        "lagerarbejder",
    )
    assert (second.isco_code, second.occupation_label) == (None, None)
    goal = cv.desired_occupations[0]
    assert (goal.title, goal.isco_code, goal.occupation_label) == (
        "Truckfører",
        "8344",
        "truckfører",
    )


def test_normalise_is_not_called_without_titles() -> None:
    def fail(titles: list[str]) -> list[TitleMatch | None]:
        raise AssertionError("called")

    apply_normalisation(ParsedCV(), fail)


def test_the_draft_goes_through_json_and_back() -> None:
    document = parse_document(docx(LINES), "cv.docx")
    again = ParsedDocument.from_dict(json.loads(json.dumps(document.to_dict())))
    assert again == document
    assert ParsedCV.from_dict(document.cv.to_dict()) == document.cv


def test_from_dict_ignores_unknown_keys_and_accepts_plain_goal_titles() -> None:
    cv = ParsedCV.from_dict(
        {
            "headline": "Tømrer",
            "experiences": [{"title": "Tømrer", "start_year": 2010, "extra": 1}],
            "desired_occupations": ["Tømrer"],
            "unknown": True,
        }
    )
    assert cv.experiences[0].start_year == 2010
    assert cv.desired_occupations[0].title == "Tømrer"


@pytest.mark.parametrize("key", ["experiences", "educations", "languages", "desired_occupations"])
def test_to_dict_has_plain_json_types(key: str) -> None:
    data = parse_document(docx(LINES), "cv.docx").cv.to_dict()
    assert isinstance(data[key], list)
    json.dumps(data)
