"""Live occupation suggestions for the vacancy form, from the web process.

The web process never loads the embedding model, so it uses the lexical side of the normaliser
(:class:`~matching.ranking.occupations.normaliser.OccupationIndex` built without an encoder:
normalised character n-grams, ~1 ms a title). The index is built once per process from the
taxonomy in the database and rebuilt when the taxonomy changes, which a cheap fingerprint of the
taxonomy tables tells.
When the employer picks none of the suggestions, the match job fills the occupation with the
hybrid normaliser (``workers.jobs.match_vacancy``).
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core.errors import ValidationError
from matching.models import Occupation, TaxonomyVersion
from matching.models.vacancies import TITLE_MAX_CHARS
from matching.ranking.occupations.normaliser import (
    OccupationIndex,
    OccupationMatch,
    records_from_database,
)
from matching.ranking.occupations.titles import validate_title

SUGGESTIONS = 8

Fingerprint = tuple[int, int, int]


def taxonomy_fingerprint(session: Session) -> Fingerprint:
    """(occupations, highest occupation id, highest import id): changes with every import,
    including one that only updates labels (each import records a TaxonomyVersion)."""
    count, highest = session.execute(select(func.count(), func.max(Occupation.id))).one()
    version = session.scalar(select(func.max(TaxonomyVersion.id)))
    return int(count or 0), int(highest or 0), int(version or 0)


def check_title(title: str) -> str:
    """The title stripped; ValidationError (Danish) when empty, over the vacancy title limit
    or without letters."""
    stripped = (title or "").strip()
    if not stripped:
        raise ValidationError({"title": "Skriv en titel for at få forslag."})
    if len(stripped) > TITLE_MAX_CHARS:
        raise ValidationError({"title": f"Titlen må højst være {TITLE_MAX_CHARS} tegn."})
    try:
        return validate_title(stripped)
    except ValidationError as exc:
        raise ValidationError({"title": next(iter(exc.errors.values()))}) from exc


class LexicalSuggester:
    """One lexical occupation index per process, rebuilt when the taxonomy changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: Fingerprint | None = None
        self._index: OccupationIndex | None = None

    def index(self, session: Session) -> OccupationIndex | None:
        """The current index (None while the database holds no occupations)."""
        fingerprint = taxonomy_fingerprint(session)
        if fingerprint == self._fingerprint:
            return self._index
        with self._lock:  # one build per change, however many requests arrive meanwhile
            if fingerprint != self._fingerprint:
                records = records_from_database(session)
                has_occupations = any(r.concept_type == "Occupation" for r in records)
                self._index = OccupationIndex.build(records, None) if has_occupations else None
                self._fingerprint = fingerprint
            return self._index

    def suggest(
        self, session: Session, title: str, *, top: int = SUGGESTIONS
    ) -> list[OccupationMatch]:
        """The ``top`` occupations for ``title`` (raises ValidationError for unusable titles)."""
        title = check_title(title)
        index = self.index(session)
        if index is None:
            return []
        # A score of 0 shares no character n-gram with the title: no suggestion at all.
        return [m for m in index.suggest(title, top=top, variant="lexical") if m.score > 0]
