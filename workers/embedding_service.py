"""Encoding vacancies and jobseekers and storing their vectors: matching meets embeddings here.

The text comes from :mod:`matching.ranking.documents`, is scrubbed of personal data
(:func:`embeddings.pii.scrub`), fingerprinted, and encoded only if the stored vector for the
current model version was made from another text. Vacancies are encoded as ``query`` (they
search), jobseekers' CVs as ``passage`` (they are searched); see :mod:`embeddings.encoder`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from embeddings.encoder import Encoder
from embeddings.pii import scrub
from matching.models import Jobseeker, StoredEmbedding, Vacancy, utcnow
from matching.people.queries import full_cv_options
from matching.ranking.documents import (
    jobseeker_document,
    personal_names,
    text_fingerprint,
    vacancy_document,
)

ENCODE_KIND = {"vacancy": "query", "jobseeker": "passage"}


@dataclass
class EncodeResult:
    """What one call did, per entity id."""

    encoded: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    fingerprints: dict[int, str] = field(default_factory=dict)


def documents_for(session: Session, kind: str, ids: Sequence[int]) -> dict[int, str]:
    """Scrubbed texts to embed, by id; entities without text (or missing) are left out."""
    texts: dict[int, str] = {}
    if kind == "vacancy":
        for vacancy in session.scalars(select(Vacancy).where(Vacancy.id.in_(ids))):
            contact = (vacancy.contact_name or "").split()
            texts[vacancy.id] = scrub(vacancy_document(vacancy), names=contact)
    elif kind == "jobseeker":
        query = (
            select(Jobseeker)
            .where(Jobseeker.id.in_(ids), Jobseeker.active.is_(True))
            .options(*full_cv_options())
        )
        for jobseeker in session.scalars(query):
            texts[jobseeker.id] = scrub(
                jobseeker_document(jobseeker), names=personal_names(jobseeker)
            )
    else:
        raise ValueError(f"unknown entity kind {kind!r}")
    return {entity_id: text for entity_id, text in texts.items() if text.strip()}


def encode_entities(
    session: Session, encoder: Encoder, kind: str, ids: Sequence[int]
) -> EncodeResult:
    """Bring the stored vectors of ``ids`` up to date for ``encoder.model_version``.

    Flushes; the caller commits. Entities that vanished or lost their text lose their vector.
    """
    result = EncodeResult()
    ids = sorted(set(ids))
    if not ids:
        return result
    texts = documents_for(session, kind, ids)
    stored = {
        row.entity_id: row
        for row in session.scalars(
            select(StoredEmbedding).where(
                StoredEmbedding.entity_kind == kind,
                StoredEmbedding.entity_id.in_(ids),
                StoredEmbedding.model_version == encoder.model_version,
            )
        )
    }
    to_encode: list[tuple[int, str, str]] = []
    for entity_id, text in texts.items():
        fingerprint = text_fingerprint(text)
        result.fingerprints[entity_id] = fingerprint
        row = stored.get(entity_id)
        if row is not None and row.text_sha256 == fingerprint:
            result.unchanged.append(entity_id)
        else:
            to_encode.append((entity_id, text, fingerprint))

    if to_encode:
        vectors = encoder.encode([text for _, text, _ in to_encode], ENCODE_KIND[kind])
        now = utcnow()
        for (entity_id, _text, fingerprint), vector in zip(to_encode, vectors, strict=True):
            vector = np.ascontiguousarray(vector, dtype="<f4")
            row = stored.get(entity_id)
            if row is None:
                session.add(
                    StoredEmbedding(
                        entity_kind=kind,
                        entity_id=entity_id,
                        model_version=encoder.model_version,
                        text_sha256=fingerprint,
                        dimension=vector.shape[0],
                        vector=vector.tobytes(),
                        updated_at=now,
                    )
                )
            else:
                row.text_sha256 = fingerprint
                row.vector = vector.tobytes()
                row.dimension = vector.shape[0]
                row.updated_at = now
            result.encoded.append(entity_id)
            result.vectors[entity_id] = vector

    gone = [entity_id for entity_id in ids if entity_id not in texts]
    if gone:
        session.execute(
            delete(StoredEmbedding).where(
                StoredEmbedding.entity_kind == kind, StoredEmbedding.entity_id.in_(gone)
            )
        )
        result.removed = gone
    session.flush()
    return result


def vector_of(row: StoredEmbedding) -> np.ndarray:
    return np.frombuffer(row.vector, dtype="<f4").astype(np.float32)
