"""Readers for the occupation taxonomies Jobbro imports.

Three formats, recognised by their header row (not the file name):

* ``esco_tsv``: ESCO occupations and ISCO groups with Danish and English labels, tab-separated,
  alternative labels separated by `` | `` (columns ``conceptUri conceptType iscoCode
  preferredLabel_en altLabels_en preferredLabel_da altLabels_da description_en``).
* ``esco_csv``: the official ESCO CSV export (``occupations_<lang>.csv`` and
  ``ISCOGroups_<lang>.csv``; alternative labels separated by newlines inside quoted fields).
  A folder with several languages is merged by concept URI.
* ``disco_csv``: Danmarks Statistik's DISCO-08 export, ``;``-separated, UTF-8 with BOM
  (``SEKVENS;KODE;NIVEAU;TITEL;…;INKLUDERER;…``).

Every reader validates everything and raises :class:`~matching.errors.ImportFormatError`
naming the file and line; nothing is returned for a file with a bad row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from matching.errors import ImportFormatError

ESCO_TSV_COLUMNS = (
    "conceptUri",
    "conceptType",
    "iscoCode",
    "preferredLabel_en",
    "altLabels_en",
    "preferredLabel_da",
    "altLabels_da",
    "description_en",
)
ESCO_CSV_OCCUPATION_COLUMNS = ("conceptType", "conceptUri", "iscoGroup", "preferredLabel")
ESCO_CSV_GROUP_COLUMNS = ("conceptType", "conceptUri", "code", "preferredLabel")
DISCO_COLUMNS = ("SEKVENS", "KODE", "NIVEAU", "TITEL")
CONCEPT_TYPES = ("Occupation", "ISCOGroup")
ISCO_CODE_RE = re.compile(r"^\d{1,4}$")
DISCO_CODE_RE = re.compile(r"^\d{1,6}$")
ESCO_CSV_NAME_RE = re.compile(r"^(occupations|ISCOGroups)_([a-z]{2})\.csv$")
SNIFF_BYTES = 64 * 1024
csv.field_size_limit(10 * 1024 * 1024)


@dataclass(frozen=True)
class OccupationRecord:
    uri: str
    concept_type: str
    isco_code: str | None
    preferred_label_en: str
    preferred_label_da: str | None
    alt_labels_en: tuple[str, ...]
    alt_labels_da: tuple[str, ...]
    description_en: str


@dataclass(frozen=True)
class DiscoRecord:
    code: str
    level: int
    title_da: str
    includes: str


# --- format detection -------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """Return ``esco_tsv``, ``esco_csv`` or ``disco_csv`` from the header, or raise."""
    path = Path(path)
    if path.is_dir():
        if _esco_csv_files(path):
            return "esco_csv"
        raise ImportFormatError(f"{path}: folder holds no ESCO export (occupations_<lang>.csv)")
    header = _header_line(path)
    if header.startswith("\ufeff"):
        header = header[1:]
    tab_cells = header.split("\t")
    if set(ESCO_TSV_COLUMNS) <= set(tab_cells):
        return "esco_tsv"
    semi_cells = [c.strip('"') for c in header.split(";")]
    if tuple(semi_cells[: len(DISCO_COLUMNS)]) == DISCO_COLUMNS:
        return "disco_csv"
    comma_cells = next(csv.reader([header]), [])
    if set(ESCO_CSV_OCCUPATION_COLUMNS) <= set(comma_cells) or set(ESCO_CSV_GROUP_COLUMNS) <= set(
        comma_cells
    ):
        return "esco_csv"
    raise ImportFormatError(
        f"{path}: unknown taxonomy format; expected an ESCO TSV ({', '.join(ESCO_TSV_COLUMNS[:4])}"
        f", …), the ESCO CSV export (occupations_en.csv) or DST's DISCO-08 CSV "
        f"({';'.join(DISCO_COLUMNS)};…)"
    )


def _header_line(path: Path) -> str:
    try:
        raw = path.read_bytes()[:SNIFF_BYTES]
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read: {exc.strerror}") from exc
    if not raw.strip():
        raise ImportFormatError(f"{path}: the file is empty")
    if b"\x00" in raw:
        raise ImportFormatError(f"{path}: binary file, not a UTF-8 text taxonomy")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at SNIFF_BYTES is fine; anything earlier is not UTF-8.
        if len(raw) < SNIFF_BYTES or exc.start < len(raw) - 4:
            raise ImportFormatError(f"{path}: not UTF-8 encoded (byte {exc.start})") from exc
        text = raw[: exc.start].decode("utf-8")
    return text.splitlines()[0] if text.splitlines() else ""


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read: {exc.strerror}") from exc
    if b"\x00" in data:
        raise ImportFormatError(f"{path}: binary file, not a UTF-8 text taxonomy")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFormatError(f"{path}: line {line}: not UTF-8 encoded") from exc
    return text.removeprefix("\ufeff")


# --- ESCO TSV ---------------------------------------------------------------------------------


def parse_esco_tsv(path: Path) -> list[OccupationRecord]:
    """Read the ESCO TSV with Danish and English labels."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(_read_text(path)), delimiter="\t", strict=True)
    _require_columns(path, reader.fieldnames, ESCO_TSV_COLUMNS)
    records = []
    for line, row in enumerate(reader, start=2):
        if None in row or any(row.get(c) is None for c in ESCO_TSV_COLUMNS):
            raise ImportFormatError(
                f"{path}: line {line}: expected {len(reader.fieldnames or [])} tab-separated "
                "fields, found fewer or more"
            )
        records.append(
            _occupation(
                path,
                line,
                uri=row["conceptUri"],
                concept_type=row["conceptType"],
                isco_code=row["iscoCode"],
                label_en=row["preferredLabel_en"],
                label_da=row["preferredLabel_da"],
                alt_en=_split(row["altLabels_en"], "|"),
                alt_da=_split(row["altLabels_da"], "|"),
                description=row["description_en"],
            )
        )
    return _unique_uris(path, records)


# --- ESCO CSV export --------------------------------------------------------------------------


def _esco_csv_files(folder: Path) -> dict[str, list[Path]]:
    """Language → [occupations file, ISCO groups file?] for an ESCO export folder."""
    by_lang: dict[str, list[Path]] = {}
    for candidate in sorted(folder.iterdir()):
        match = ESCO_CSV_NAME_RE.match(candidate.name)
        if match and candidate.is_file():
            by_lang.setdefault(match.group(2), []).append(candidate)
    return {lang: files for lang, files in by_lang.items() if any(
        f.name.startswith("occupations_") for f in files
    )}  # fmt: skip


def parse_esco_csv(path: Path) -> list[OccupationRecord]:
    """Read the official ESCO CSV export.

    ``path`` is the export folder or one of its ``occupations_<lang>.csv`` files; the
    ``ISCOGroups_<lang>.csv`` beside it is read too, and other languages' files are merged by URI
    (English and Danish labels are kept; other languages are ignored).
    """
    path = Path(path)
    if path.is_dir():
        files_by_lang = _esco_csv_files(path)
        if not files_by_lang:
            raise ImportFormatError(f"{path}: folder holds no ESCO export (occupations_<lang>.csv)")
    else:
        match = ESCO_CSV_NAME_RE.match(path.name)
        lang = match.group(2) if match else "en"
        siblings = _esco_csv_files(path.parent).get(lang, []) if match else []
        files_by_lang = {lang: sorted({path, *siblings})}

    merged: dict[str, OccupationRecord] = {}
    # English first so that Danish labels are merged onto complete records.
    for lang in sorted(files_by_lang, key=lambda code: (code != "en", code)):
        if lang not in ("en", "da"):
            continue
        for file in files_by_lang[lang]:
            for record in _parse_esco_csv_file(file, lang):
                existing = merged.get(record.uri)
                merged[record.uri] = record if existing is None else _merge(existing, record, lang)
    if not merged:
        raise ImportFormatError(f"{path}: no English or Danish ESCO occupations found")
    return list(merged.values())


def _parse_esco_csv_file(path: Path, lang: str) -> list[OccupationRecord]:
    reader = csv.DictReader(io.StringIO(_read_text(path)), strict=True)
    columns = reader.fieldnames or []
    code_column = "iscoGroup" if "iscoGroup" in columns else "code"
    required = ESCO_CSV_OCCUPATION_COLUMNS if code_column == "iscoGroup" else ESCO_CSV_GROUP_COLUMNS
    _require_columns(path, reader.fieldnames, required)
    records = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise ImportFormatError(f"{path}: line {line}: more fields than the header has")
            label = row.get("preferredLabel") or ""
            alts = _split(row.get("altLabels") or "", "\n")
            description = row.get("description") or ""
            records.append(
                _occupation(
                    path,
                    line,
                    uri=row["conceptUri"] or "",
                    concept_type=row["conceptType"] or "",
                    isco_code=row[code_column] or "",
                    label_en=label if lang == "en" else "",
                    label_da=label if lang == "da" else "",
                    alt_en=alts if lang == "en" else (),
                    alt_da=alts if lang == "da" else (),
                    description=description if lang == "en" else "",
                    require_english=lang == "en",
                )
            )
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: line {reader.line_num}: malformed CSV: {exc}") from exc
    return _unique_uris(path, records)


def _merge(base: OccupationRecord, other: OccupationRecord, lang: str) -> OccupationRecord:
    if lang == "da":
        return replace(
            base,
            preferred_label_da=other.preferred_label_da or base.preferred_label_da,
            alt_labels_da=other.alt_labels_da or base.alt_labels_da,
        )
    return base


# --- DISCO-08 ---------------------------------------------------------------------------------


def parse_disco_csv(path: Path) -> list[DiscoRecord]:
    """Read Danmarks Statistik's DISCO-08 export (levels 1–5, codes of 1–6 digits)."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(_read_text(path)), delimiter=";", strict=True)
    _require_columns(path, reader.fieldnames, DISCO_COLUMNS)
    records: dict[str, DiscoRecord] = {}
    try:
        for row in reader:
            line = reader.line_num
            code = (row.get("KODE") or "").strip()
            level_text = (row.get("NIVEAU") or "").strip()
            title = " ".join((row.get("TITEL") or "").split())
            if not DISCO_CODE_RE.match(code):
                raise ImportFormatError(
                    f"{path}: line {line}: DISCO code {code!r} is not 1–6 digits"
                )
            if not level_text.isdigit() or not 1 <= int(level_text) <= 5:
                raise ImportFormatError(f"{path}: line {line}: NIVEAU {level_text!r} is not 1–5")
            if not title:
                raise ImportFormatError(f"{path}: line {line}: TITEL is empty")
            if code in records:
                raise ImportFormatError(f"{path}: line {line}: DISCO code {code} appears twice")
            records[code] = DiscoRecord(
                code=code,
                level=int(level_text),
                title_da=title,
                includes=(row.get("INKLUDERER") or "").strip(),
            )
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: line {reader.line_num}: malformed CSV: {exc}") from exc
    if not records:
        raise ImportFormatError(f"{path}: no DISCO-08 rows")
    return list(records.values())


# --- helpers ----------------------------------------------------------------------------------


def _require_columns(path: Path, found: Iterable[str] | None, required: Iterable[str]) -> None:
    missing = [c for c in required if c not in (found or [])]
    if missing:
        raise ImportFormatError(f"{path}: line 1: missing column(s) {', '.join(missing)}")


def _split(value: str, separator: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for part in value.split(separator):
        label = " ".join(part.split())
        if label:
            seen.setdefault(label, None)
    return tuple(seen)


def _occupation(
    path: Path,
    line: int,
    *,
    uri: str,
    concept_type: str,
    isco_code: str,
    label_en: str,
    label_da: str,
    alt_en: tuple[str, ...],
    alt_da: tuple[str, ...],
    description: str,
    require_english: bool = True,
) -> OccupationRecord:
    uri = uri.strip()
    concept_type = concept_type.strip()
    code = isco_code.strip()
    label_en = " ".join(label_en.split())
    label_da = " ".join(label_da.split())
    if not uri.startswith(("http://", "https://", "urn:")):
        raise ImportFormatError(f"{path}: line {line}: concept URI {uri!r} is not a URI")
    if concept_type not in CONCEPT_TYPES:
        raise ImportFormatError(
            f"{path}: line {line}: concept type {concept_type!r} is not Occupation or ISCOGroup"
        )
    if code and not ISCO_CODE_RE.match(code):
        raise ImportFormatError(f"{path}: line {line}: ISCO code {code!r} is not 1–4 digits")
    if concept_type == "Occupation" and len(code) != 4:
        raise ImportFormatError(f"{path}: line {line}: an occupation needs a 4-digit ISCO code")
    if require_english and not label_en:
        raise ImportFormatError(f"{path}: line {line}: the English preferred label is empty")
    if not require_english and not label_da:
        raise ImportFormatError(f"{path}: line {line}: the Danish preferred label is empty")
    return OccupationRecord(
        uri=uri,
        concept_type=concept_type,
        isco_code=code or None,
        preferred_label_en=label_en,
        preferred_label_da=label_da or None,
        alt_labels_en=alt_en,
        alt_labels_da=alt_da,
        description_en=" ".join(description.split()),
    )


def _unique_uris(path: Path, records: list[OccupationRecord]) -> list[OccupationRecord]:
    seen: set[str] = set()
    for record in records:
        if record.uri in seen:
            raise ImportFormatError(f"{path}: concept {record.uri} appears twice")
        seen.add(record.uri)
    return records
