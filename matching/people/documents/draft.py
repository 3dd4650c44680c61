"""The draft CV read from a document: plain dataclasses, JSON in and out.

A draft is what the parser could read, not a stored CV: any field may be missing (an experience
without a start year, a CV without a headline) and :class:`ParsedDocument` says so in its Danish
``warnings``. The review page shows the draft, the person corrects it, and only then is a CV
saved. ``to_dict`` gives plain JSON types (the upload page may keep the draft between requests);
``from_dict`` reads it back and ignores unknown keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


def _pick(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class TitleMatch:
    """The occupation a job title was normalised to (ESCO label, ISCO-08 unit group)."""

    label: str
    isco_code: str | None = None
    esco_uri: str | None = None


@dataclass
class ParsedExperience:
    """One job. ``end_year`` None means ongoing ("nu", "present"); ``start_year`` None means
    the document gave no year (the CV needs one: the draft warns)."""

    title: str
    employer: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    description: str = ""
    isco_code: str | None = None
    esco_uri: str | None = None
    occupation_label: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedExperience:
        return cls(**_pick(cls, data))


@dataclass
class ParsedEducation:
    title: str
    institution: str | None = None
    completed_year: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedEducation:
        return cls(**_pick(cls, data))


@dataclass
class ParsedLanguage:
    """A language by its Danish name ("Engelsk") and level in the CV's words, normalised to
    "Modersmål", "Flydende", "Godt", "Rimeligt", "Basis" or "Begynder" (None: not given)."""

    language: str
    level: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedLanguage:
        return cls(**_pick(cls, data))


@dataclass
class ParsedDesiredOccupation:
    """A job goal as written, with the occupation it was normalised to (if any)."""

    title: str
    isco_code: str | None = None
    esco_uri: str | None = None
    occupation_label: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | str) -> ParsedDesiredOccupation:
        if isinstance(data, str):
            return cls(title=data)
        return cls(**_pick(cls, data))


@dataclass
class ParsedCV:
    """The structured draft. ``written_in`` is "da" or "en" (the language of the document)."""

    headline: str = ""
    summary: str = ""
    experiences: list[ParsedExperience] = field(default_factory=list)
    educations: list[ParsedEducation] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    languages: list[ParsedLanguage] = field(default_factory=list)
    driving_licences: list[str] = field(default_factory=list)
    desired_occupations: list[ParsedDesiredOccupation] = field(default_factory=list)
    written_in: str = "da"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedCV:
        return cls(
            headline=str(data.get("headline") or ""),
            summary=str(data.get("summary") or ""),
            experiences=[ParsedExperience.from_dict(e) for e in data.get("experiences") or []],
            educations=[ParsedEducation.from_dict(e) for e in data.get("educations") or []],
            skills=[str(s) for s in data.get("skills") or []],
            languages=[ParsedLanguage.from_dict(x) for x in data.get("languages") or []],
            driving_licences=[str(s) for s in data.get("driving_licences") or []],
            desired_occupations=[
                ParsedDesiredOccupation.from_dict(d) for d in data.get("desired_occupations") or []
            ],
            written_in=str(data.get("written_in") or "da"),
        )


@dataclass
class ParsedDocument:
    """A read document: its sniffed media type, the extracted text, the draft and the Danish
    warnings for the review page (missing years, sections not found, …)."""

    media_type: str
    text: str
    cv: ParsedCV
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "media_type": self.media_type,
            "text": self.text,
            "cv": self.cv.to_dict(),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedDocument:
        return cls(
            media_type=str(data.get("media_type") or ""),
            text=str(data.get("text") or ""),
            cv=ParsedCV.from_dict(data.get("cv") or {}),
            warnings=[str(w) for w in data.get("warnings") or []],
        )
