"""Writing taxonomy records to the database: parse everything first, then upsert.

Occupations are matched by ``uri``, DISCO-08 groups by ``code``; existing rows are loaded once
into a dict (no per-row SELECT). An import never blanks a value another source filled in, so
the English-only ESCO CSV export imported after the Danish/English TSV keeps the Danish labels.
Every import, even one that changes nothing, records a :class:`TaxonomyVersion`. The session is
flushed, never committed: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.errors import ImportFormatError
from matching.models import DiscoGroup, Occupation, TaxonomyVersion
from matching.ranking.taxonomy.builtin import builtin_records
from matching.ranking.taxonomy.parsers import (
    DiscoRecord,
    OccupationRecord,
    detect_format,
    esco_csv_files,
    parse_disco_csv,
    parse_esco_csv,
    parse_esco_tsv,
)

FORMATS = ("esco_tsv", "esco_csv", "disco_csv")
HASH_BLOCK_BYTES = 1 << 20  # read size while hashing input files (1 MiB)


@dataclass(frozen=True)
class ImportReport:
    """What one import did: row counts, the format, the input's SHA-256 and its version row."""

    source_format: str  # builtin | esco_tsv | esco_csv | disco_csv
    sha256: str
    inserted: int
    updated: int
    unchanged: int
    version_id: int

    @property
    def total(self) -> int:
        """Concepts in the input (inserted + updated + unchanged)."""
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"{self.total} concepts ({self.source_format}): {self.inserted} new, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


def import_taxonomy(
    session: Session, path: Path | str, *, source_format: str | None = None
) -> ImportReport:
    """Import one taxonomy file, or an ESCO CSV export folder, into ``session`` (flushed only).

    ``source_format`` (``esco_tsv`` | ``esco_csv`` | ``disco_csv``) is detected from the header
    row when omitted. The whole input is parsed and validated before anything is written: a bad
    row anywhere raises :class:`ImportFormatError` and leaves the database untouched.
    Re-importing the same input changes nothing (0 inserted, 0 updated).
    """
    path = Path(path)
    if source_format is not None and source_format not in FORMATS:
        raise ImportFormatError(
            f"{path}: unknown taxonomy format {source_format!r}; "
            f"expected one of {', '.join(FORMATS)}"
        )
    fmt = source_format or detect_format(path)
    if fmt == "disco_csv":
        disco = parse_disco_csv(path)
        return _upsert_disco(session, disco, _sha256([path]), str(path))
    if fmt == "esco_tsv":
        records, files = parse_esco_tsv(path), [path]
    else:
        files = esco_csv_files(path)
        records = parse_esco_csv(files)
    description = str(path) if len(files) == 1 else f"{path} ({', '.join(f.name for f in files)})"
    return _upsert_occupations(session, records, fmt, _sha256(files), description)


def install_builtin_taxonomy(session: Session) -> ImportReport:
    """Install the built-in taxonomy (ISCO major groups + common Danish occupations); idempotent.

    Uses the same upsert as :func:`import_taxonomy`; flushes, does not commit.
    """
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


def _sha256(files: list[Path]) -> str:
    """SHA-256 over the bytes of the files read, in the order given."""
    digest = hashlib.sha256()
    for file in files:
        try:
            with file.open("rb") as handle:
                while block := handle.read(HASH_BLOCK_BYTES):
                    digest.update(block)
        except OSError as exc:
            raise ImportFormatError(f"{file}: cannot be read: {exc.strerror}") from exc
    return digest.hexdigest()
