"""Writing taxonomy records to the database: parse everything first, then upsert."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import ImportFormatError
from matching.models import DiscoGroup, Occupation, TaxonomyVersion
from matching.taxonomy.builtin import builtin_records
from matching.taxonomy.parsers import (
    DiscoRecord,
    OccupationRecord,
    detect_format,
    parse_disco_csv,
    parse_esco_csv,
    parse_esco_tsv,
)

FORMATS = ("esco_tsv", "esco_csv", "disco_csv")


@dataclass(frozen=True)
class ImportReport:
    source_format: str
    sha256: str
    inserted: int
    updated: int
    unchanged: int
    version_id: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"{self.total} concepts ({self.source_format}): {self.inserted} new, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


def import_taxonomy(
    session: Session, path: Path, *, source_format: str | None = None
) -> ImportReport:
    """Import one taxonomy file (or ESCO export folder). Nothing is written if any row is bad."""
    path = Path(path)
    if source_format is not None and source_format not in FORMATS:
        raise ImportFormatError(f"unknown taxonomy format {source_format!r}")
    fmt = source_format or detect_format(path)
    digest = _sha256(path)
    if fmt == "disco_csv":
        return _upsert_disco(session, parse_disco_csv(path), digest, str(path))
    records = parse_esco_tsv(path) if fmt == "esco_tsv" else parse_esco_csv(path)
    return _upsert_occupations(session, records, fmt, digest, str(path))


def install_builtin_taxonomy(session: Session) -> ImportReport:
    """Install the built-in demo taxonomy (idempotent)."""
    records = builtin_records()
    digest = hashlib.sha256(repr(records).encode()).hexdigest()
    return _upsert_occupations(session, records, "builtin", digest, "built-in Danish occupations")


def _upsert_occupations(
    session: Session, records: list[OccupationRecord], fmt: str, digest: str, description: str
) -> ImportReport:
    version = TaxonomyVersion(
        source=fmt, description=description[:300], sha256=digest, concept_count=len(records)
    )
    session.add(version)
    session.flush()
    existing = {o.uri: o for o in session.scalars(select(Occupation))}
    inserted = updated = unchanged = 0
    for record in records:
        values = {
            "concept_type": record.concept_type,
            "isco_code": record.isco_code,
            "preferred_label_en": record.preferred_label_en or None,
            "preferred_label_da": record.preferred_label_da,
            "alt_labels_en": list(record.alt_labels_en),
            "alt_labels_da": list(record.alt_labels_da),
            "description_en": record.description_en,
        }
        row = existing.get(record.uri)
        if row is None:
            values["preferred_label_en"] = values["preferred_label_en"] or (
                record.preferred_label_da or ""
            )
            session.add(Occupation(uri=record.uri, version_id=version.id, **values))
            inserted += 1
            continue
        # Never blank what another source filled in (e.g. Danish labels from the TSV when the
        # English-only CSV export is imported afterwards).
        changes = {
            key: value
            for key, value in values.items()
            if value not in (None, "", []) and getattr(row, key) != value
        }
        if changes:
            for key, value in changes.items():
                setattr(row, key, value)
            row.version_id = version.id
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportReport(fmt, digest, inserted, updated, unchanged, version.id)


def _upsert_disco(
    session: Session, records: list[DiscoRecord], digest: str, description: str
) -> ImportReport:
    version = TaxonomyVersion(
        source="disco_csv", description=description[:300], sha256=digest, concept_count=len(records)
    )
    session.add(version)
    session.flush()
    existing = {d.code: d for d in session.scalars(select(DiscoGroup))}
    inserted = updated = unchanged = 0
    for record in records:
        row = existing.get(record.code)
        if row is None:
            session.add(
                DiscoGroup(
                    code=record.code,
                    level=record.level,
                    title_da=record.title_da,
                    includes=record.includes,
                    version_id=version.id,
                )
            )
            inserted += 1
        elif (row.level, row.title_da, row.includes) != (
            record.level,
            record.title_da,
            record.includes,
        ):
            row.level, row.title_da, row.includes = record.level, record.title_da, record.includes
            row.version_id = version.id
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportReport("disco_csv", digest, inserted, updated, unchanged, version.id)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
