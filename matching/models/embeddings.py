"""Stored embeddings: the source of truth from which every vector index is (re)built."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matching.models.base import Base, Timestamp, utcnow

# What an embedding belongs to.
EMBEDDING_KINDS = ("vacancy", "jobseeker")


class StoredEmbedding(Base):
    """One entity's vector under one model version, with the hash of the text it came from.

    Workers keep in-memory FAISS indexes in sync with these rows (by ``text_sha256`` and
    ``updated_at``); a changed text or model version means a new vector, never a mixed index.
    """

    __tablename__ = "embeddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_kind: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column()
    model_version: Mapped[str] = mapped_column(String(120))
    text_sha256: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[int] = mapped_column(SmallInteger)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("entity_kind", "entity_id", "model_version"),
        CheckConstraint("entity_kind IN ('vacancy', 'jobseeker')", name="entity_kind"),
        Index("ix_embeddings_sync", "entity_kind", "model_version", "updated_at"),
    )
