"""Occupation taxonomy: ESCO occupations, ISCO-08 groups and DISCO-08 (Danish ISCO)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matching.models.base import Base, CreatedAtMixin, JSONType


class TaxonomyVersion(CreatedAtMixin, Base):
    """One import of a taxonomy source (which file, how many rows, its checksum)."""

    __tablename__ = "taxonomy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # builtin | esco_tsv | esco_csv | disco_csv
    description: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    concept_count: Mapped[int] = mapped_column()


class Occupation(Base):
    """An ESCO occupation or ISCO group (``concept_type``), with Danish and English labels."""

    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(200), unique=True)
    concept_type: Mapped[str] = mapped_column(String(20))  # Occupation | ISCOGroup
    # ISCO-08 code: 4 digits for occupations and unit groups, 1–3 for higher groups.
    isco_code: Mapped[str | None] = mapped_column(String(4), index=True)
    preferred_label_en: Mapped[str] = mapped_column(String(300))
    preferred_label_da: Mapped[str | None] = mapped_column(String(300))
    alt_labels_en: Mapped[list[str]] = mapped_column(JSONType, default=list)
    alt_labels_da: Mapped[list[str]] = mapped_column(JSONType, default=list)
    description_en: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("taxonomy_versions.id", ondelete="SET NULL")
    )

    __table_args__ = (Index("ix_occupations_type_isco", "concept_type", "isco_code"),)

    @property
    def label(self) -> str:
        """Danish label where there is one."""
        return self.preferred_label_da or self.preferred_label_en


class DiscoGroup(Base):
    """A DISCO-08 code (Danmarks Statistik), levels 1–5 (1–6 digits)."""

    __tablename__ = "disco_groups"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    title_da: Mapped[str] = mapped_column(String(300))
    includes: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("taxonomy_versions.id", ondelete="SET NULL")
    )
