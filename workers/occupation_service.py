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
    from matching.ranking.occupations.normaliser import records_from_database
    from matching.ranking.occupations.suggestions import taxonomy_fingerprint

    rt = runtime.get()
    fingerprint = taxonomy_fingerprint(session)
    if _occupations is not None and _occupations[0] is rt and _occupations[1] == fingerprint:
        return _occupations[2]
    index, _ = build_occupation_index(records_from_database(session))
    _occupations = (rt, fingerprint, index)
    return index


def warm_occupation_index() -> tuple[int, int]:
    """Build this worker's occupation index now (it is kept for :func:`occupation_index`),
    filling the embedding cache with the labels' vectors. Returns (occupations, labels
    encoded); (0, 0) without an imported taxonomy."""
    global _occupations
    from matching.ranking.occupations.normaliser import records_from_database
    from matching.ranking.occupations.suggestions import taxonomy_fingerprint

    rt = runtime.get()
    with rt.session() as session:
        fingerprint = taxonomy_fingerprint(session)
        records = records_from_database(session)
    index, encoded = build_occupation_index(records)
    _occupations = (rt, fingerprint, index)
    return (0, 0) if index is None else (len(index), encoded)


def build_occupation_index(records):  # noqa: ANN001, ANN201 - taxonomy records
    """The hybrid occupation index over the taxonomy ``records``, with how many labels were
    encoded for it (the rest come from the embedding cache); (None, 0) without occupations."""
    from embeddings.encoder import CachedEncoder
    from matching.ranking.occupations.normaliser import IndexConfig, OccupationIndex
    from workers.occupation_commands import CACHE_SUBDIR

    if not any(r.concept_type == "Occupation" for r in records):
        return None, 0
    rt = runtime.get()
    encoder = CachedEncoder(rt.encoder(), rt.settings.data_dir / CACHE_SUBDIR)
    return OccupationIndex.build(records, encoder, IndexConfig()), encoder.misses
