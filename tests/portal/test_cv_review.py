"""The review page's values and choices: »Brug« checked where the CV lacks the row, the rows
read back as typed, the draft's occupation kept only while the title is the draft's."""

from __future__ import annotations

from matching.intake.cvs import CVData, ExperienceData, LanguageData
from matching.people.documents.draft import (
    ParsedCV,
    ParsedDesiredOccupation,
    ParsedEducation,
    ParsedExperience,
    ParsedLanguage,
)
from portal import cv_review

WELDER = "http://data.europa.eu/esco/occupation/welder"

PARSED = ParsedCV(
    headline="Erfaren svejser",
    summary="",
    experiences=[
        ParsedExperience("Svejser", "Odense Stål A/S", 2016, None, "MIG/MAG", "7212", WELDER),
        ParsedExperience("Lagermedarbejder", None, 2012, 2016),
    ],
    educations=[ParsedEducation("Smed", "Syddansk Erhvervsskole", 2015)],
    skills=["MIG/MAG-svejsning", "Truckcertifikat"],
    languages=[ParsedLanguage("Dansk", "Modersmål"), ParsedLanguage("Engelsk", None)],
    driving_licences=["B"],
    desired_occupations=[ParsedDesiredOccupation("Svejser", "7212", WELDER)],
)
CURRENT = CVData(
    headline="Smed",
    experiences=[ExperienceData("lagermedarbejder", 2012)],
    skills=["truckcertifikat"],
    languages=[LanguageData("Dansk", "Modersmål")],
)


def test_use_is_checked_only_where_the_cv_lacks_the_row() -> None:
    values = cv_review.initial(PARSED, CURRENT)
    assert "headline-use" not in values and values["headline"] == "Erfaren svejser"
    assert values["experiences-0-use"] == "ja" and "experiences-1-use" not in values
    assert values["experiences-0-employer_name"] == "Odense Stål A/S"
    assert values["experiences-0-end_year"] == "" and values["experiences-1-end_year"] == "2016"
    assert values["educations-0-completed_year"] == "2015" and values["educations-0-use"] == "ja"
    assert values["skills-0"] == "MIG/MAG-svejsning" and values["skills-0-use"] == "ja"
    assert "skills-1-use" not in values  # the CV holds it, in other letters
    assert "languages-0-use" not in values and values["languages-1-level"] == ""
    assert values["driving_licences-0"] == "B" and values["driving_licences-0-use"] == "ja"
    assert values["desired_occupations-0-title"] == "Svejser"


def test_the_chosen_rows_are_read_as_typed_with_their_draft_index() -> None:
    form = {
        "experiences-1-use": "ja",
        "experiences-1-title": "Lagermedarbejder",
        "experiences-1-start_year": "2012",
        "experiences-1-end_year": "16",
        "skills-0-use": "ja",
        "skills-0": "  MIG/MAG-svejsning ",
        "skills-1-use": "ja",
        "skills-1": "",  # emptied: not taken
        "languages-1-use": "ja",
        "languages-1-language": "Engelsk",
        "languages-1-level": "Godt",
        "desired_occupations-0-use": "ja",
        "desired_occupations-0-title": "Smed",  # changed: the draft's occupation is dropped
    }
    chosen, rows, errors = cv_review.read(form, PARSED, CURRENT)
    assert errors == {"experiences-1-end_year": cv_review.YEAR_MESSAGE}
    assert [e.title for e in chosen.experiences] == ["Lagermedarbejder"]
    assert chosen.skills == ["MIG/MAG-svejsning"]
    assert chosen.languages == [LanguageData("Engelsk", "Godt")]
    assert chosen.educations is None and chosen.headline is None
    [goal] = chosen.desired_occupations
    assert (goal.title, goal.isco_code, goal.esco_uri) == ("Smed", None, None)
    assert rows["experiences"] == [1] and rows["skills"] == [0] and rows["languages"] == [1]
    assert cv_review.anything(chosen)


def test_an_unchanged_title_keeps_the_drafts_occupation_and_a_bad_level_is_named() -> None:
    form = {
        "experiences-0-use": "ja",
        "experiences-0-title": "svejser ",
        "experiences-0-start_year": "2016",
        "languages-1-use": "ja",
        "languages-1-language": "Engelsk",
        "languages-1-level": "Lidt",
    }
    chosen, _rows, errors = cv_review.read(form, PARSED, CURRENT)
    [job] = chosen.experiences
    assert (job.isco_code, job.esco_uri, job.end_year) == ("7212", WELDER, None)
    assert errors == {"languages-1-level": "Vælg hvor godt sproget beherskes."}
    assert not cv_review.anything(cv_review.read({}, PARSED, CURRENT)[0])
