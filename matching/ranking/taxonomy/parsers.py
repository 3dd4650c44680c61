"""Readers for the occupation taxonomies Jobbro imports.

Three formats, recognised by their header row (not the file name):

* ``esco_tsv``: ESCO occupations and ISCO groups with Danish and English labels, tab-separated,
  alternative labels separated by `` | `` (columns ``conceptUri conceptType iscoCode
  preferredLabel_en altLabels_en preferredLabel_da altLabels_da description_en``). Fields may
  be quoted CSV-style (a description containing ``"`` is written as ``"…""mud""…"``).
* ``esco_csv``: the official ESCO CSV export (``occupations_<lang>.csv`` and
  ``ISCOGroups_<lang>.csv``; alternative labels separated by newlines inside quoted fields).
  English and Danish exports lying side by side are merged by concept URI.
* ``disco_csv``: Danmarks Statistik's DISCO-08 export, ``;``-separated, UTF-8 with BOM
  (``SEKVENS;KODE;NIVEAU;TITEL;…;INKLUDERER;…``).

The readers are pure: they read files and return typed records, nothing else. Every reader
validates the whole input and raises :class:`~matching.core.errors.ImportFormatError` naming the
file and line; no records are returned for a file with a bad row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from matching.core.errors import ImportFormatError

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
ESCO_LANGUAGES = ("en", "da")  # languages of the ESCO CSV export Jobbro keeps; others are skipped
ISCO_CODE_RE = re.compile(r"^\d{1,4}$")
DISCO_CODE_RE = re.compile(r"^\d{1,6}$")
# DISCO-08 level (NIVEAU) → number of digits of its codes: level 5 adds two digits to ISCO's 4.
DISCO_CODE_LENGTH_BY_LEVEL = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6}
ESCO_CSV_NAME_RE = re.compile(r"^(occupations|ISCOGroups)_([a-z]{2})\.csv$")
URI_PREFIXES = ("http://", "https://")
# Column widths of the tables the records are written to (characters); checked while parsing so
# that PostgreSQL never rejects a row halfway through an import.
MAX_URI_CHARS = 200
MAX_LABEL_CHARS = 300
SNIFF_BYTES = 64 * 1024  # bytes read to recognise a format from its header row
CSV_FIELD_LIMIT_BYTES = 10 * 1024 * 1024  # one ESCO field (a long description) stays far below

csv.field_size_limit(CSV_FIELD_LIMIT_BYTES)


@dataclass(frozen=True)
class OccupationRecord:
    """One ESCO occupation or ISCO-08 group, as read from a file (labels stripped, de-duplicated).

    ``preferred_label_en`` is empty only for a concept known from a Danish export alone;
    ``isco_code`` is 4 digits for occupations, 1–4 for ISCO groups.
    """

    uri: str
    concept_type: str  # Occupation | ISCOGroup
    isco_code: str | None
    preferred_label_en: str
    preferred_label_da: str | None
    alt_labels_en: tuple[str, ...]
    alt_labels_da: tuple[str, ...]
    description_en: str


@dataclass(frozen=True)
class DiscoRecord:
    """One DISCO-08 code: level 1–5, code of 1, 2, 3, 4 or 6 digits, Danish title."""

    code: str
    level: int
    title_da: str
    includes: str


# --- format detection -------------------------------------------------------------------------


def detect_format(path: Path | str) -> str:
    """Return ``esco_tsv``, ``esco_csv`` or ``disco_csv`` from the file's header row.

    A folder holding ``occupations_<lang>.csv`` is ``esco_csv``. Anything else (an empty or
    binary file, a table with other columns, a known layout missing required columns) raises
    :class:`ImportFormatError` with a one-line message naming the file and what was expected.
    """
    path = Path(path)
    if path.is_dir():
        if _esco_csv_files_by_lang(path):
            return "esco_csv"
        raise ImportFormatError(f"{path}: folder holds no ESCO export (occupations_<lang>.csv)")
    header = _header_line(path).removeprefix("\ufeff")

    tab_cells = [c.strip().strip('"') for c in header.split("\t")]
    if len(tab_cells) > 1:
        missing = [c for c in ESCO_TSV_COLUMNS if c not in tab_cells]
        if not missing:
            return "esco_tsv"
        if "conceptUri" in tab_cells:
            raise ImportFormatError(
                f"{path}: line 1: ESCO TSV header lacks column(s) {', '.join(missing)}"
            )

    semi_cells = [c.strip().strip('"') for c in header.split(";")]
    if len(semi_cells) > 1 and "KODE" in semi_cells:
        missing = [c for c in DISCO_COLUMNS if c not in semi_cells]
        if not missing:
            return "disco_csv"
        raise ImportFormatError(
            f"{path}: line 1: DISCO-08 header lacks column(s) {', '.join(missing)}"
        )

    comma_cells = [c.strip() for c in next(csv.reader([header]), [])]
    if len(comma_cells) > 1:
        for required in (ESCO_CSV_OCCUPATION_COLUMNS, ESCO_CSV_GROUP_COLUMNS):
            if all(c in comma_cells for c in required):
                return "esco_csv"
        if "conceptUri" in comma_cells:
            missing = [c for c in ESCO_CSV_OCCUPATION_COLUMNS if c not in comma_cells]
            raise ImportFormatError(
                f"{path}: line 1: ESCO CSV header lacks column(s) {', '.join(missing)}"
            )
    raise ImportFormatError(
        f"{path}: unknown taxonomy format; expected an ESCO TSV ({', '.join(ESCO_TSV_COLUMNS[:4])}"
        f", …), the ESCO CSV export (occupations_en.csv: {','.join(ESCO_CSV_OCCUPATION_COLUMNS)}"
        f",…) or DST's DISCO-08 CSV ({';'.join(DISCO_COLUMNS)};…)"
    )


def _header_line(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read: {exc.strerror}") from exc
    lines = _decode(path, raw, sniffed=True).splitlines()
    return lines[0] if lines else ""


def read_text(path: Path) -> str:
    """The whole file as text, BOM removed; binary and non-UTF-8 files are refused."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read: {exc.strerror}") from exc
    return _decode(path, data).removeprefix("\ufeff")


def _decode(path: Path, data: bytes, *, sniffed: bool = False) -> str:
    """The file's bytes as text; empty, binary and non-UTF-8 files are refused. ``sniffed``:
    ``data`` is the file's first SNIFF_BYTES, where a multi-byte character may be cut at the
    end (it is dropped); anything earlier is not UTF-8."""
    if not data.strip():
        raise ImportFormatError(f"{path}: the file is empty")
    if b"\x00" in data:
        raise ImportFormatError(f"{path}: binary file, not a UTF-8 text taxonomy")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if sniffed and len(data) >= SNIFF_BYTES and exc.start >= len(data) - 4:
            return data[: exc.start].decode("utf-8")
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFormatError(
            f"{path}: line {line}: not UTF-8 encoded (byte {exc.start})"
        ) from exc


def _rows(path: Path, reader: csv.DictReader) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line where the row starts, row) for each data row; csv errors become ImportFormatError."""
    start = 2
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: line {start}: malformed row: {exc}") from exc


# --- ESCO TSV ---------------------------------------------------------------------------------


def parse_esco_tsv(path: Path | str) -> list[OccupationRecord]:
    """Read the ESCO TSV with Danish and English labels (one record per row, all validated)."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(read_text(path)), delimiter="\t", strict=True)
    _require_columns(path, reader.fieldnames, ESCO_TSV_COLUMNS)
    width = len(reader.fieldnames or ())
    found: list[tuple[int, OccupationRecord]] = []
    for line, row in _rows(path, reader):
        extra = row.pop(None, None) or []  # type: ignore[call-overload]
        if extra or any(row.get(c) is None for c in ESCO_TSV_COLUMNS):
            found = sum(value is not None for value in row.values()) + len(extra)
            raise ImportFormatError(
                f"{path}: line {line}: expected {width} tab-separated fields, found {found} "
                "(truncated or shifted row)"
            )
        record = _occupation(
            path,
            line,
            uri=row["conceptUri"] or "",
            concept_type=row["conceptType"] or "",
            isco_code=row["iscoCode"] or "",
            label_en=row["preferredLabel_en"] or "",
            label_da=row["preferredLabel_da"] or "",
            alt_en=split_labels(row["altLabels_en"] or "", "|"),
            alt_da=split_labels(row["altLabels_da"] or "", "|"),
            description=row["description_en"] or "",
        )
        found.append((line, record))
    return _unique_uris(path, found)


# --- ESCO CSV export --------------------------------------------------------------------------


def _esco_csv_files_by_lang(folder: Path) -> dict[str, list[Path]]:
    """Language → [ISCOGroups file?, occupations file] for an ESCO export folder."""
    by_lang: dict[str, list[Path]] = {}
    for candidate in sorted(folder.iterdir()):
        match = ESCO_CSV_NAME_RE.match(candidate.name)
        if match and candidate.is_file():
            by_lang.setdefault(match.group(2), []).append(candidate)
    return {
        lang: files
        for lang, files in by_lang.items()
        if any(f.name.startswith("occupations_") for f in files)
    }


def esco_csv_files(path: Path | str | Iterable[Path | str]) -> list[Path]:
    """The files :func:`parse_esco_csv` reads for ``path``.

    A folder: every English and Danish ``occupations_<lang>.csv`` / ``ISCOGroups_<lang>.csv``.
    One file named like the export: that file plus its export siblings (ISCO groups, the other
    language). Any other file, or an explicit list of files: exactly those files.
    """
    if not isinstance(path, str | Path):
        return [Path(p) for p in path]
    path = Path(path)
    if path.is_dir():
        by_lang = _esco_csv_files_by_lang(path)
        files = [f for lang in ESCO_LANGUAGES for f in by_lang.get(lang, [])]
        if not files:
            raise ImportFormatError(
                f"{path}: folder holds no English or Danish ESCO export (occupations_en.csv)"
            )
        return files
    if not ESCO_CSV_NAME_RE.match(path.name):
        return [path]
    siblings = [
        f for lang in ESCO_LANGUAGES for f in _esco_csv_files_by_lang(path.parent).get(lang, [])
    ]
    return [path, *(f for f in siblings if f != path)]


def _language_of(path: Path) -> str:
    """``en`` / ``da`` from the ``_<lang>.csv`` suffix; files without one count as English."""
    match = ESCO_CSV_NAME_RE.match(path.name)
    return match.group(2) if match else "en"


def parse_esco_csv(paths: Path | str | Iterable[Path | str]) -> list[OccupationRecord]:
    """Read the official ESCO CSV export (occupations and ISCO groups).

    ``paths`` is the export folder, its ``occupations_<lang>.csv`` (the ``ISCOGroups_<lang>.csv``
    and a Danish/English counterpart beside it are read too), or an explicit list of files.
    The ISCO code column is ``iscoGroup`` for occupations and ``code`` for groups; the language
    comes from the file name suffix. Danish labels are merged onto the English records by URI;
    languages other than English and Danish are refused.
    """
    files = esco_csv_files(paths)
    merged: dict[str, OccupationRecord] = {}
    # English first so that Danish labels are merged onto complete records.
    for file in sorted(files, key=lambda f: (_language_of(f) != "en", f.name)):
        lang = _language_of(file)
        if lang not in ESCO_LANGUAGES:
            raise ImportFormatError(
                f"{file}: ESCO export in language {lang!r}; Jobbro imports en and da only"
            )
        for record in _parse_esco_csv_file(file, lang):
            existing = merged.get(record.uri)
            merged[record.uri] = record if existing is None else _merge(existing, record)
    if not merged:
        raise ImportFormatError(f"{files[0]}: no ESCO occupations or ISCO groups found")
    return list(merged.values())


def _parse_esco_csv_file(path: Path, lang: str) -> list[OccupationRecord]:
    reader = csv.DictReader(io.StringIO(read_text(path)), strict=True)
    columns = reader.fieldnames or []
    code_column = "code" if "iscoGroup" not in columns and "code" in columns else "iscoGroup"
    required = ESCO_CSV_OCCUPATION_COLUMNS if code_column == "iscoGroup" else ESCO_CSV_GROUP_COLUMNS
    _require_columns(path, reader.fieldnames, required)
    width = len(columns)
    found: list[tuple[int, OccupationRecord]] = []
    for line, row in _rows(path, reader):
        if None in row:
            raise ImportFormatError(
                f"{path}: line {line}: more than the header's {width} comma-separated fields"
            )
        if any(row.get(c) is None for c in required):
            raise ImportFormatError(
                f"{path}: line {line}: fewer than the header's {width} comma-separated fields "
                "(truncated row)"
            )
        label = row["preferredLabel"] or ""
        alts = split_labels(row.get("altLabels") or "", "\n")
        record = _occupation(
            path,
            line,
            uri=row["conceptUri"] or "",
            concept_type=row["conceptType"] or "",
            isco_code=row[code_column] or "",
            label_en=label if lang == "en" else "",
            label_da=label if lang == "da" else "",
            alt_en=alts if lang == "en" else (),
            alt_da=alts if lang == "da" else (),
            description=(row.get("description") or "") if lang == "en" else "",
            label_language=lang,
        )
        found.append((line, record))
    return _unique_uris(path, found)


def _merge(base: OccupationRecord, other: OccupationRecord) -> OccupationRecord:
    """``base`` with the labels ``other`` adds (Danish labels onto an English record)."""
    return replace(
        base,
        preferred_label_en=base.preferred_label_en or other.preferred_label_en,
        preferred_label_da=other.preferred_label_da or base.preferred_label_da,
        alt_labels_en=base.alt_labels_en or other.alt_labels_en,
        alt_labels_da=other.alt_labels_da or base.alt_labels_da,
        description_en=base.description_en or other.description_en,
    )


# --- DISCO-08 ---------------------------------------------------------------------------------


def parse_disco_csv(path: Path | str) -> list[DiscoRecord]:
    """Read Danmarks Statistik's DISCO-08 export (levels 1–5, codes of 1–4 or 6 digits)."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(read_text(path)), delimiter=";", strict=True)
    if reader.fieldnames:
        reader.fieldnames = [name.strip().strip('"') for name in reader.fieldnames]
    _require_columns(path, reader.fieldnames, DISCO_COLUMNS)
    records: dict[str, DiscoRecord] = {}
    for line, row in _rows(path, reader):
        if any(row.get(c) is None for c in DISCO_COLUMNS):
            raise ImportFormatError(
                f"{path}: line {line}: fewer fields than the header's {';'.join(DISCO_COLUMNS)}"
                " (truncated row)"
            )
        code = (row["KODE"] or "").strip()
        level_text = (row["NIVEAU"] or "").strip()
        title = _clean(row["TITEL"] or "")
        if not DISCO_CODE_RE.match(code):
            raise ImportFormatError(f"{path}: line {line}: DISCO code {code!r} is not 1–6 digits")
        if not level_text.isdigit() or int(level_text) not in DISCO_CODE_LENGTH_BY_LEVEL:
            raise ImportFormatError(f"{path}: line {line}: NIVEAU {level_text!r} is not 1–5")
        level = int(level_text)
        if len(code) != DISCO_CODE_LENGTH_BY_LEVEL[level]:
            raise ImportFormatError(
                f"{path}: line {line}: DISCO code {code} has {len(code)} digits; level {level} "
                f"codes have {DISCO_CODE_LENGTH_BY_LEVEL[level]}"
            )
        if not title:
            raise ImportFormatError(f"{path}: line {line}: TITEL is empty")
        if len(title) > MAX_LABEL_CHARS:
            raise ImportFormatError(
                f"{path}: line {line}: TITEL is longer than {MAX_LABEL_CHARS} characters"
            )
        if code in records:
            raise ImportFormatError(f"{path}: line {line}: DISCO code {code} appears twice")
        records[code] = DiscoRecord(
            code=code,
            level=level,
            title_da=title,
            includes=(row.get("INKLUDERER") or "").strip(),
        )
    if not records:
        raise ImportFormatError(f"{path}: header only, no DISCO-08 rows")
    return list(records.values())


# --- helpers ----------------------------------------------------------------------------------


def split_labels(value: str, separator: str) -> tuple[str, ...]:
    """Split alternative labels: whitespace stripped, empties dropped, duplicates removed."""
    seen: dict[str, None] = {}
    for part in value.split(separator):
        label = _clean(part)
        if label:
            seen.setdefault(label, None)
    return tuple(seen)


def _clean(text: str) -> str:
    """Whitespace runs (including newlines) collapsed to one space, ends stripped."""
    return " ".join(text.split())


def _require_columns(path: Path, found: Iterable[str] | None, required: Iterable[str]) -> None:
    if not found:
        raise ImportFormatError(f"{path}: the file is empty (no header row)")
    missing = [c for c in required if c not in found]
    if missing:
        raise ImportFormatError(f"{path}: line 1: missing column(s) {', '.join(missing)}")


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
    label_language: str = "en",
) -> OccupationRecord:
    """A validated record; ``label_language`` is the language whose preferred label is required."""
    where = f"{path}: line {line}"
    uri = uri.strip()
    concept_type = concept_type.strip()
    code = isco_code.strip()
    label_en = _clean(label_en)
    label_da = _clean(label_da)
    if not uri.startswith(URI_PREFIXES):
        raise ImportFormatError(f"{where}: concept URI {uri!r} is not a URI (expected http…)")
    if len(uri) > MAX_URI_CHARS:
        raise ImportFormatError(f"{where}: concept URI is longer than {MAX_URI_CHARS} characters")
    if concept_type not in CONCEPT_TYPES:
        raise ImportFormatError(
            f"{where}: concept type {concept_type!r} is not Occupation or ISCOGroup"
        )
    if code and not ISCO_CODE_RE.match(code):
        raise ImportFormatError(f"{where}: ISCO code {code!r} is not 1–4 digits")
    if concept_type == "Occupation" and len(code) != 4:
        raise ImportFormatError(f"{where}: an occupation needs a 4-digit ISCO code, got {code!r}")
    if concept_type == "ISCOGroup" and not code:
        raise ImportFormatError(f"{where}: an ISCO group needs its ISCO code")
    if label_language == "en" and not label_en:
        raise ImportFormatError(f"{where}: the English preferred label is empty")
    if label_language == "da" and not label_da:
        raise ImportFormatError(f"{where}: the Danish preferred label is empty")
    if max(len(label_en), len(label_da)) > MAX_LABEL_CHARS:
        raise ImportFormatError(
            f"{where}: a preferred label is longer than {MAX_LABEL_CHARS} characters"
        )
    return OccupationRecord(
        uri=uri,
        concept_type=concept_type,
        isco_code=code or None,
        preferred_label_en=label_en,
        preferred_label_da=label_da or None,
        alt_labels_en=alt_en,
        alt_labels_da=alt_da,
        description_en=_clean(description),
    )


def _unique_uris(path: Path, found: list[tuple[int, OccupationRecord]]) -> list[OccupationRecord]:
    """The records of (line, record) pairs if no concept URI repeats; else an error naming both
    lines."""
    first_line: dict[str, int] = {}
    for line, record in found:
        if record.uri in first_line:
            raise ImportFormatError(
                f"{path}: line {line}: concept {record.uri} appears twice "
                f"(first on line {first_line[record.uri]})"
            )
        first_line[record.uri] = line
    return [record for _, record in found]
