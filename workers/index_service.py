"""Keeping a worker's in-memory vector index equal to the stored embeddings.

The database (table ``embeddings``) is the source of truth. Each worker process holds one
:class:`~embeddings.index.VectorIndex` per entity kind, loaded from its last saved copy under
``$JOBBRO_DATA_DIR/index/`` (or rebuilt from the database when missing, damaged or made by
another model version), reconciled with the database, then updated in place by the encode jobs
and saved at most every ``SAVE_INTERVAL_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from embeddings.errors import EmbeddingsError
from embeddings.index import ConsistencyReport, VectorIndex
from matching.models import StoredEmbedding
from workers.embedding_service import EncodeResult, vector_of

log = logging.getLogger(__name__)
SAVE_INTERVAL_SECONDS = 30.0
FETCH_BATCH = 5_000


class IndexService:
    """One entity kind's index in this process."""

    def __init__(
        self,
        kind: str,
        *,
        model_version: str,
        dimension: int,
        index_dir: Path,
        session_factory: sessionmaker[Session],
    ) -> None:
        self.kind = kind
        self.model_version = model_version
        self.dimension = dimension
        self.path = index_dir / kind
        self.session_factory = session_factory
        self._index: VectorIndex | None = None
        self._watermark: datetime | None = None
        self._last_save = 0.0
        self._dirty = False

    @property
    def index(self) -> VectorIndex:
        if self._index is None:
            self.load()
        assert self._index is not None
        return self._index

    def load(self) -> ConsistencyReport:
        """Load the saved copy (or start empty), then reconcile with the database."""
        try:
            self._index = VectorIndex.load(self.path, expected_model_version=self.model_version)
            log.info("loaded %s index (%d vectors)", self.kind, len(self._index))
        except (EmbeddingsError, OSError) as exc:
            if self.path.exists() or self.path.is_symlink():
                log.warning("rebuilding %s index from the database: %s", self.kind, exc)
            self._index = VectorIndex(self.dimension, self.model_version)
        report = self.reconcile()
        if not report.ok:
            self.save()
        return report

    def check_saved(self) -> ConsistencyReport:
        """How the saved copy differs from the database, without changing anything."""
        try:
            saved = VectorIndex.load(self.path, expected_model_version=self.model_version)
        except (EmbeddingsError, OSError):
            saved = VectorIndex(self.dimension, self.model_version)
        with self.session_factory() as session:
            expected = dict(
                session.execute(
                    select(StoredEmbedding.entity_id, StoredEmbedding.text_sha256).where(
                        StoredEmbedding.entity_kind == self.kind,
                        StoredEmbedding.model_version == self.model_version,
                    )
                ).all()
            )
        return saved.check(expected)

    def rebuild(self) -> int:
        """Start from an empty index, fill it from the database and save it."""
        self._index = VectorIndex(self.dimension, self.model_version)
        self.reconcile()
        self.save()
        return len(self._index)

    def reconcile(self) -> ConsistencyReport:
        """Compare with the stored embeddings and repair missing, stale and extra ids."""
        index = (
            self._index
            if self._index is not None
            else VectorIndex(self.dimension, self.model_version)
        )
        self._index = index
        with self.session_factory() as session:
            rows = session.execute(
                select(
                    StoredEmbedding.entity_id,
                    StoredEmbedding.text_sha256,
                    StoredEmbedding.updated_at,
                ).where(
                    StoredEmbedding.entity_kind == self.kind,
                    StoredEmbedding.model_version == self.model_version,
                )
            ).all()
            expected = {entity_id: fingerprint for entity_id, fingerprint, _ in rows}
            if rows:
                self._watermark = max(updated for _, _, updated in rows)
            report = index.check(expected)
            if not report.ok:
                index.repair(report, lambda ids: self._fetch(session, ids))
                self._dirty = True
                log.info("repaired %s index: %s", self.kind, report.to_dict())
        return report

    def sync(self) -> int:
        """Pull rows changed since the last look (made by other workers). Returns how many."""
        if self._index is None:
            self.load()
            return 0
        with self.session_factory() as session:
            query = select(StoredEmbedding).where(
                StoredEmbedding.entity_kind == self.kind,
                StoredEmbedding.model_version == self.model_version,
            )
            if self._watermark is not None:
                query = query.where(StoredEmbedding.updated_at > self._watermark)
            rows = session.scalars(query).all()
        changed = [r for r in rows if self.index.fingerprint(r.entity_id) != r.text_sha256]
        if changed:
            self.index.upsert(
                [r.entity_id for r in changed],
                np.stack([vector_of(r) for r in changed]),
                [r.text_sha256 for r in changed],
            )
            self._dirty = True
        if rows:
            self._watermark = max(r.updated_at for r in rows)
        return len(changed)

    def apply(self, result: EncodeResult) -> None:
        """Make an encode job's output searchable at once."""
        if result.encoded:
            self.index.upsert(
                result.encoded,
                np.stack([result.vectors[i] for i in result.encoded]),
                [result.fingerprints[i] for i in result.encoded],
            )
            self._dirty = True
        if result.removed and self.index.remove(result.removed):
            self._dirty = True
        self.maybe_save()

    def search(
        self, query: np.ndarray, k: int, *, allowed_ids: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        scores, ids = self.index.search(query, k, allowed_ids=allowed_ids)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def maybe_save(self) -> None:
        if self._dirty and time.monotonic() - self._last_save >= SAVE_INTERVAL_SECONDS:
            self.save()

    def save(self) -> None:
        self.index.save(self.path)
        self._last_save = time.monotonic()
        self._dirty = False

    def _fetch(self, session: Session, ids: list[int]) -> tuple[np.ndarray, list[str]]:
        by_id: dict[int, StoredEmbedding] = {}
        for start in range(0, len(ids), FETCH_BATCH):
            chunk = ids[start : start + FETCH_BATCH]
            for row in session.scalars(
                select(StoredEmbedding).where(
                    StoredEmbedding.entity_kind == self.kind,
                    StoredEmbedding.model_version == self.model_version,
                    StoredEmbedding.entity_id.in_(chunk),
                )
            ):
                by_id[row.entity_id] = row
        rows = [by_id[i] for i in ids]
        return np.stack([vector_of(r) for r in rows]), [r.text_sha256 for r in rows]
