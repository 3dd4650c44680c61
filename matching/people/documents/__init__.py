"""CV documents: an uploaded file (DOCX, PDF with text, ODT, TXT) read into a draft CV.

Pure domain: no database, no model. :func:`parse_document` checks the file
(:mod:`.files`, refusing it with a Danish :class:`DocumentRefused`), extracts its text, reads a
:class:`ParsedCV` from it (:mod:`.parser`) and, when a ``normalise`` function is given (the
occupation index, wired by the caller), adds the occupation of every job title and job goal.
The JSON form of the result is described in docs/cv-parsing.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matching.people.documents.draft import (
    ParsedCV,
    ParsedDesiredOccupation,
    ParsedDocument,
    ParsedEducation,
    ParsedExperience,
    ParsedLanguage,
    TitleMatch,
)
from matching.people.documents.files import (
    CODES,
    DOCX,
    MAX_BYTES,
    ODT,
    PDF,
    TXT,
    DocumentRefused,
    extract_text,
)
from matching.people.documents.ooxml import COLUMN_BREAK
from matching.people.documents.parser import parse_lines

__all__ = [
    "CODES",
    "DOCX",
    "MAX_BYTES",
    "ODT",
    "PDF",
    "TXT",
    "DocumentRefused",
    "Normaliser",
    "ParsedCV",
    "ParsedDesiredOccupation",
    "ParsedDocument",
    "ParsedEducation",
    "ParsedExperience",
    "ParsedLanguage",
    "TitleMatch",
    "apply_normalisation",
    "parse_document",
]

Normaliser = Callable[[list[str]], Sequence[TitleMatch | None]]


def apply_normalisation(cv: ParsedCV, normalise: Normaliser) -> None:
    """Set the occupation of each experience and job goal from one call of ``normalise``
    (titles in, one match or None per title out, in the same order)."""
    targets = [*cv.experiences, *cv.desired_occupations]
    titles = [t.title for t in targets]
    if not titles:
        return
    matches = list(normalise(titles))
    for target, match in zip(targets, matches, strict=False):
        if match is None:
            continue
        target.isco_code = match.isco_code
        target.esco_uri = match.esco_uri
        target.occupation_label = match.label


def parse_document(
    data: bytes, filename: str, *, normalise: Normaliser | None = None
) -> ParsedDocument:
    """Read the CV in ``data`` (named ``filename`` by the person who uploaded it).

    Raises :class:`DocumentRefused` (and nothing else) when the file cannot be used: too
    large, empty, the wrong or an unsupported type, encrypted, scanned without text, with
    macros or external references, a ZIP bomb or damaged. ``normalise`` errors propagate.
    """
    extracted = extract_text(data, filename)
    cv, warnings = parse_lines(extracted.lines)
    if normalise is not None:
        apply_normalisation(cv, normalise)
    text = "\n".join(line.replace(COLUMN_BREAK, "") for line in extracted.lines).strip()
    return ParsedDocument(extracted.media_type, text, cv, [*extracted.warnings, *warnings])
