"""The worker's hybrid occupation normaliser: built once per process from the taxonomy in the
database (label vectors from the embedding cache), rebuilt when the taxonomy changes, and used
to give a vacancy saved without an occupation the best one for its title."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workers import runtime


def fill_vacancy_occupation(vacancy_id: int) -> str | None:
    """Store the best ESCO occupation (hybrid normaliser) for a vacancy that has none.

    Returns the occupation's URI, or None when the vacancy has one already, the title is
    unusable or no taxonomy is imported. Idempotent: a filled vacancy is left alone.
    """
    from matching.core import audit
    from matching.core.audit import Actor
    from matching.core.errors import ValidationError
    from matching.models import AuditAction, Vacancy

    rt = runtime.get()
    with rt.session() as session:
        vacancy = session.get(Vacancy, vacancy_id)
        if vacancy is None or vacancy.isco_code or vacancy.esco_uri:
            return None
        index = occupation_index(session)
        if index is None:
            return None
        try:
            [best] = index.suggest(vacancy.title, top=1, variant="hybrid")
        except ValidationError:
            return None
        vacancy.esco_uri, vacancy.isco_code = best.uri, best.isco_code
        change = {"fields": ["esco_uri", "isco_code"], "occupation": best.uri}
        audit.record(
            session, Actor.system(), AuditAction.UPDATE, "vacancy", vacancy.id, details=change
        )
        return best.uri


# (runtime, taxonomy fingerprint, OccupationIndex or None), one per worker process
_occupations: tuple[object, object, object] | None = None


def occupation_index(session: Session):  # noqa: ANN201 - an OccupationIndex or None
    """This worker's hybrid occupation index, rebuilt when the taxonomy changes (label vectors
    come from the embedding cache, so a rebuild encodes only new labels)."""
    global _occupations
    from embeddings.encoder import CachedEncoder
    from matching.ranking.occupations.normaliser import (
        IndexConfig,
        OccupationIndex,
        records_from_database,
    )
    from matching.ranking.occupations.suggestions import taxonomy_fingerprint
    from workers.occupation_commands import CACHE_SUBDIR

    rt = runtime.get()
    fingerprint = taxonomy_fingerprint(session)
    if _occupations is not None and _occupations[0] is rt and _occupations[1] == fingerprint:
        return _occupations[2]
    records = records_from_database(session)
    index = None
    if any(r.concept_type == "Occupation" for r in records):
        encoder = CachedEncoder(rt.encoder(), rt.settings.data_dir / CACHE_SUBDIR)
        index = OccupationIndex.build(records, encoder, IndexConfig())
    _occupations = (rt, fingerprint, index)
    return index
