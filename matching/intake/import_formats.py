"""The file formats of a bulk import of people: CSV and JSON Lines, read into typed rows.

Reading is separate from storing (:mod:`matching.intake.imports`): this module turns the bytes
of a case system's export into one :class:`ImportRow` per person, or line-numbered
:class:`LineError` s. Every message is a fixed Danish sentence naming the line and the column,
never the line's content (a CPR number or a name must not end up in a log or on a page).
The formats are documented in docs/import.md; :data:`COLUMNS` is the one list of columns.

- CSV: UTF-8 with or without a byte-order mark, separated by ``,`` or ``;`` (what Danish Excel
  writes), a header row of column names. Cells holding several items separate them by ``;`` or
  a line break; an item of several parts (an experience, a language) separates them by ``|``.
- JSON Lines: one JSON object per line with the same names, the CV as a nested ``cv`` object.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from matching.core.dates import parse_date
from matching.core.errors import ImportFormatError
from matching.models.enums import TARGET_GROUP_LABELS, ConsentKind, EducationLevel, TargetGroup

FORMATS = ("csv", "jsonl")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

# Column → what it holds (docs/import.md repeats this table).
PERSON_COLUMNS: dict[str, str] = {
    "cpr": "CPR-nummer, DDMMÅÅ-XXXX eller 10 cifre (påkrævet)",
    "fornavn": "fornavn (påkrævet)",
    "efternavn": "efternavn (påkrævet)",
    "email": "e-mailadresse",
    "telefon": "telefonnummer",
    "adresse": "vej og husnummer",
    "postnummer": "postnummer, 4 cifre (påkrævet)",
    "kommunekode": "kommunekode (fx 461) eller kommunens navn",
    "a_kasse_cvr": "a-kassens CVR-nummer",
    "a_kasse": "a-kassens navn (i stedet for CVR-nummeret)",
    "ledig_siden": "første ledighedsdag, dd.mm.åååå eller åååå-mm-dd",
    "maalgruppe": "målgruppe, fx dagpenge eller kontanthjaelp_jobparat",
    "maalgruppe_fra": "dagen målgruppen gælder fra (standard: ledig_siden, ellers i dag)",
    "uddannelsesniveau": "grundskole, gymnasial, erhvervsfaglig, kvu, mvu eller lvu",
    "max_km": "højeste transportafstand i km (0–500)",
    "brancheskift": "ja/nej: vil skifte branche",
}
CONSENT_COLUMNS: dict[str, ConsentKind] = {
    "samtykke_arbejdsgivere": ConsentKind.SHARE_WITH_EMPLOYERS,
    "samtykke_email": ConsentKind.CONTACT_BY_EMAIL,
    "samtykke_faelles": ConsentKind.JOINT_RECRUITMENT,
}
CV_COLUMNS: dict[str, str] = {
    "cv_overskrift": "Cv'ets overskrift",
    "cv_resume": "Cv'ets resumé",
    "jobmaal": "jobmål, adskilt af ;",
    "kompetencer": "kompetencer, adskilt af ;",
    "sprog": "sprog med niveau, fx Engelsk|Flydende; Tysk|Godt",
    "koerekort": "kørekortkategorier, fx B; C",
    "erfaring": "Titel|Arbejdsgiver|fra år|til år (tom: nu)|beskrivelse; …",
    "uddannelse": "Titel|Institution|niveau|afsluttet år; …",
}
COLUMNS: tuple[str, ...] = (*PERSON_COLUMNS, *CONSENT_COLUMNS, *CV_COLUMNS)
REQUIRED = ("cpr", "fornavn", "efternavn", "postnummer")
# Other spellings of a column name that case systems write.
ALIASES = {
    "a_kasse_navn": "a_kasse",
    "akasse": "a_kasse",
    "akasse_cvr": "a_kasse_cvr",
    "cpr_nr": "cpr",
    "cprnr": "cpr",
    "e_mail": "email",
    "mail": "email",
    "postnr": "postnummer",
    "kommune": "kommunekode",
    "malgruppe": "maalgruppe",
    "koerekort": "koerekort",
    "korekort": "koerekort",
}
# The JSON object's keys: the CSV columns, the CV's in a nested "cv" object without "cv_".
JSON_CV_KEYS = {
    "overskrift": "cv_overskrift",
    "resume": "cv_resume",
    "jobmaal": "jobmaal",
    "kompetencer": "kompetencer",
    "sprog": "sprog",
    "koerekort": "koerekort",
    "erfaring": "erfaring",
    "uddannelse": "uddannelse",
}

YES = frozenset({"ja", "j", "true", "1", "x", "yes"})
NO = frozenset({"nej", "n", "false", "0", "no"})
ITEM_SPLIT = re.compile(r"[;\n]")
UNREADABLE_CSV = "Linjen kan ikke læses som CSV (et citationstegn mangler)."
MAX_ITEMS = 50  # of one list in a CV (skills, experiences, …)


@dataclass(frozen=True)
class LineError:
    """A problem on a line of the file: ``message_da`` is a fixed sentence, never its data."""

    line: int
    field: str
    message_da: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message_da}


@dataclass(frozen=True)
class ExperienceIn:
    title: str
    employer_name: str | None
    start_year: int
    end_year: int | None
    description: str = ""


@dataclass(frozen=True)
class EducationIn:
    title: str
    institution: str | None
    level: EducationLevel | None
    completed_year: int | None


@dataclass(frozen=True)
class CVIn:
    """The CV of a line, as typed values (None: the line has no CV columns filled)."""

    headline: str
    summary: str = ""
    desired_occupations: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    languages: tuple[tuple[str, str], ...] = ()
    driving_licences: tuple[str, ...] = ()
    experiences: tuple[ExperienceIn, ...] = ()
    educations: tuple[EducationIn, ...] = ()


@dataclass
class ImportRow:
    """One person of the file, typed; columns left empty are None (kept as stored)."""

    line: int
    cpr: str
    first_name: str
    last_name: str
    postal_code: str
    email: str | None = None
    phone: str | None = None
    street_address: str | None = None
    municipality: str | None = None
    a_kasse_cvr: str | None = None
    a_kasse_name: str | None = None
    unemployment_start: date | None = None
    target_group: TargetGroup | None = None
    target_group_from: date | None = None
    education_level: EducationLevel | None = None
    max_commute_km: int | None = None
    willing_to_switch_industry: bool | None = None
    consents: dict[ConsentKind, bool] = field(default_factory=dict)
    cv: CVIn | None = None


# --- reading the file ---------------------------------------------------------------------------


def format_of(file_name: str) -> str:
    """``csv`` or ``jsonl`` by the file's extension; :class:`ImportFormatError` otherwise."""
    lowered = file_name.lower()
    for extension, kind in EXTENSIONS.items():
        if lowered.endswith(extension):
            return kind
    raise ImportFormatError("Filen skal være en CSV-fil (.csv) eller JSON Lines (.jsonl).")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFormatError(
            "Filen er ikke UTF-8. Gem den som »CSV UTF-8« i Excel, eller som UTF-8."
        ) from None


def column_name(header: str) -> str:
    """A header cell as a column name: lower case, æøå spelt out, spaces and dashes as ``_``."""
    name = header.strip().strip('"').lower()
    name = name.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    name = re.sub(r"[\s\-]+", "_", name)
    return ALIASES.get(name, name)


def read_lines(data: bytes, file_format: str) -> tuple[list[tuple[int, dict]], list[LineError]]:
    """The file's records as (line number, {column: value}) and the errors of its structure
    (an unknown column, a line that is not JSON). Raises :class:`ImportFormatError` when the
    file cannot be read at all (not UTF-8, no header)."""
    text = _text(data)
    if file_format == "csv":
        return _csv_records(text)
    if file_format == "jsonl":
        return _jsonl_records(text)
    raise ImportFormatError("Filen skal være en CSV-fil (.csv) eller JSON Lines (.jsonl).")


def _dialect(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _csv_records(text: str) -> tuple[list[tuple[int, dict]], list[LineError]]:
    if not text.strip():
        raise ImportFormatError("Filen er tom.")
    delimiter = _dialect(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [column_name(cell) for cell in next(reader)]
    errors: list[LineError] = []
    if "cpr" not in header:
        raise ImportFormatError(
            "Første linje skal være en overskriftslinje med kolonnenavne, og kolonnen cpr mangler."
        )
    known: list[str | None] = []
    for position, name in enumerate(header, start=1):
        if name in COLUMNS and name not in known:
            known.append(name)
        elif name:
            errors.append(LineError(1, f"kolonne {position}", "Kolonnen kendes ikke (se listen)."))
            known.append(None)
        else:
            known.append(None)
    records: list[tuple[int, dict]] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) > len(header):
                    errors.append(LineError(line, "", "Linjen har flere felter end overskriften."))
                values = {
                    name: cell for name, cell in zip(known, cells, strict=False) if name is not None
                }
                records.append((line, values))
            line = reader.line_num + 1
    except csv.Error:
        errors.append(
            LineError(line, "", "Linjen kan ikke læses som CSV (et citationstegn mangler).")
        )
    return records, errors


def _jsonl_records(text: str) -> tuple[list[tuple[int, dict]], list[LineError]]:
    records: list[tuple[int, dict]] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            errors.append(LineError(number, "", "Linjen er ikke gyldig JSON."))
            continue
        if not isinstance(obj, dict):
            errors.append(LineError(number, "", "Linjen skal være et JSON-objekt."))
            continue
        values: dict[str, object] = {}
        for key, value in obj.items():
            name = column_name(str(key))
            if name == "cv" and isinstance(value, dict):
                for cv_key, cv_value in value.items():
                    cv_name = JSON_CV_KEYS.get(column_name(str(cv_key)))
                    if cv_name is None:
                        errors.append(LineError(number, "cv", "Et felt i cv kendes ikke."))
                    else:
                        values[cv_name] = cv_value
            elif name == "cv" and value is None:
                continue
            elif name in COLUMNS and name not in CV_COLUMNS:
                values[name] = value
            else:
                errors.append(LineError(number, "", "Et felt på linjen kendes ikke."))
        records.append((number, values))
    if not records and not errors:
        raise ImportFormatError("Filen er tom.")
    return records, errors


# --- typing the values --------------------------------------------------------------------------


class _Line:
    """Reads one record's values, collecting errors rather than stopping at the first."""

    def __init__(self, number: int, values: Mapping[str, object]) -> None:
        self.number = number
        self.values = values
        self.errors: list[LineError] = []

    def error(self, column: str, message: str) -> None:
        self.errors.append(LineError(self.number, column, message))

    def text(self, column: str, max_chars: int = 200) -> str | None:
        value = self.values.get(column)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(column, "Feltet skal være tekst.")
            return None
        text = " ".join(str(value).split())
        if len(text) > max_chars:
            self.error(column, f"Feltet er for langt (højst {max_chars} tegn).")
            return None
        return text or None

    def long_text(self, column: str, max_chars: int = 5000) -> str | None:
        value = self.values.get(column)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.error(column, "Feltet skal være tekst.")
            return None
        if len(value) > max_chars:
            self.error(column, f"Feltet er for langt (højst {max_chars} tegn).")
            return None
        return value.strip() or None

    def day(self, column: str) -> date | None:
        text = self.text(column, 20)
        if text is None:
            return None
        parsed = parse_date(text)
        if parsed is None:
            self.error(column, "Datoen kan ikke læses. Skriv den som dd.mm.åååå eller åååå-mm-dd.")
        return parsed

    def integer(self, column: str) -> int | None:
        value = self.values.get(column)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = self.text(column, 10)
        if text is None:
            return None
        if not re.fullmatch(r"-?\d+", text):
            self.error(column, "Feltet skal være et helt tal.")
            return None
        return int(text)

    def yes_no(self, column: str) -> bool | None:
        value = self.values.get(column)
        if isinstance(value, bool):
            return value
        text = self.text(column, 10)
        if text is None:
            return None
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        self.error(column, "Skriv ja eller nej.")
        return None

    def choice(self, column: str, enum: type, labels: Mapping[object, str] | None = None):  # noqa: ANN201
        text = self.text(column, 80)
        if text is None:
            return None
        key = column_name(text)
        for member in enum:
            label = column_name(labels[member]) if labels and member in labels else None
            if key in (member.value, label):
                return member
        self.error(column, "Værdien er ikke en af de tilladte (se docs/import.md).")
        return None

    def items(self, column: str) -> list:
        """A list cell: a JSON list, or text split at ``;`` and line breaks."""
        value = self.values.get(column)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            items = value
        elif isinstance(value, str):
            items = [item.strip() for item in ITEM_SPLIT.split(value) if item.strip()]
        else:
            self.error(column, "Feltet skal være en liste.")
            return []
        if len(items) > MAX_ITEMS:
            self.error(column, f"Højst {MAX_ITEMS} elementer.")
            return []
        return items


def _parts(item: object, keys: tuple[str, ...]) -> list[str] | None:
    """An item of several parts: ``a|b|c`` in CSV, an object (by ``keys``) or a list in JSON."""
    if isinstance(item, str):
        parts = [part.strip() for part in item.split("|")]
    elif isinstance(item, dict):
        parts = ["" if item.get(k) is None else str(item.get(k)).strip() for k in keys]
    elif isinstance(item, list):
        parts = ["" if part is None else str(part).strip() for part in item]
    else:
        return None
    return (parts + [""] * len(keys))[: len(keys)] if len(parts) <= len(keys) else None


def _year(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{4}", text) and 1900 <= int(text) <= 2100 else None


def _words(line: _Line, column: str, max_chars: int = 200) -> tuple[str, ...]:
    names: list[str] = []
    for item in line.items(column):
        name = " ".join(str(item).split()) if isinstance(item, str | int) else ""
        if not name or len(name) > max_chars:
            line.error(column, f"Hvert element skal være tekst på højst {max_chars} tegn.")
            return ()
        if name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return tuple(names)


def _experiences(line: _Line) -> tuple[ExperienceIn, ...]:
    keys = ("titel", "arbejdsgiver", "fra", "til", "beskrivelse")
    result = []
    for item in line.items("erfaring"):
        parts = _parts(item, keys)
        if parts is None or not parts[0]:
            line.error("erfaring", "En erfaring skal skrives Titel|Arbejdsgiver|fra år|til år.")
            return ()
        start, end = _year(parts[2]), _year(parts[3]) if parts[3] else None
        if start is None or (parts[3] and end is None):
            line.error("erfaring", "Årstal i en erfaring skal have fire cifre, fx 2019.")
            return ()
        if end is not None and end < start:
            line.error("erfaring", "En erfaring kan ikke slutte, før den begynder.")
            return ()
        if len(parts[0]) > 200 or len(parts[1]) > 200:
            line.error("erfaring", "Titel og arbejdsgiver må højst være 200 tegn.")
            return ()
        result.append(ExperienceIn(parts[0], parts[1] or None, start, end, parts[4]))
    return tuple(result)


def _educations(line: _Line) -> tuple[EducationIn, ...]:
    keys = ("titel", "institution", "niveau", "aar")
    result = []
    for item in line.items("uddannelse"):
        parts = _parts(item, keys)
        if parts is None or not parts[0] or len(parts[0]) > 200 or len(parts[1]) > 200:
            line.error("uddannelse", "En uddannelse skal skrives Titel|Institution|niveau|år.")
            return ()
        level = None
        if parts[2]:
            level = next((lv for lv in EducationLevel if lv.value == column_name(parts[2])), None)
            if level is None:
                line.error("uddannelse", "Uddannelsens niveau er ikke et af de tilladte.")
                return ()
        year = _year(parts[3]) if parts[3] else None
        if parts[3] and year is None:
            line.error("uddannelse", "Årstal i en uddannelse skal have fire cifre, fx 2019.")
            return ()
        result.append(EducationIn(parts[0], parts[1] or None, level, year))
    return tuple(result)


def _languages(line: _Line) -> tuple[tuple[str, str], ...]:
    result: list[tuple[str, str]] = []
    for item in line.items("sprog"):
        if isinstance(item, str) and "|" not in item and ":" in item:
            item = item.replace(":", "|", 1)
        parts = _parts(item, ("sprog", "niveau"))
        if parts is None or not parts[0] or len(parts[0]) > 60 or len(parts[1]) > 30:
            line.error("sprog", "Et sprog skal skrives Sprog|niveau, fx Engelsk|Flydende.")
            return ()
        if parts[0].casefold() not in {name.casefold() for name, _ in result}:
            result.append((parts[0], parts[1] or "Godt"))
    return tuple(result)


def _cv(line: _Line) -> CVIn | None:
    if not any(line.values.get(column) not in (None, "", []) for column in CV_COLUMNS):
        return None
    headline = line.text("cv_overskrift")
    cv = CVIn(
        headline=headline or "",
        summary=line.long_text("cv_resume") or "",
        desired_occupations=_words(line, "jobmaal"),
        skills=_words(line, "kompetencer"),
        languages=_languages(line),
        driving_licences=tuple(w.upper() for w in _words(line, "koerekort", 10)),
        experiences=_experiences(line),
        educations=_educations(line),
    )
    if not headline:
        line.error("cv_overskrift", "Et cv skal have en overskrift.")
    return cv


def parse_row(
    number: int, values: Mapping[str, object]
) -> tuple[ImportRow | None, list[LineError]]:
    """One record typed, or None and its errors (every problem of the line at once)."""
    line = _Line(number, values)
    required = {column: line.text(column) for column in REQUIRED}
    for column, value in required.items():
        if not value:
            line.error(column, "Feltet skal udfyldes.")
    row = ImportRow(
        line=number,
        cpr=required["cpr"] or "",
        first_name=required["fornavn"] or "",
        last_name=required["efternavn"] or "",
        postal_code=required["postnummer"] or "",
        email=line.text("email", 254),
        phone=line.text("telefon", 20),
        street_address=line.text("adresse"),
        municipality=line.text("kommunekode", 60),
        a_kasse_cvr=line.text("a_kasse_cvr", 20),
        a_kasse_name=line.text("a_kasse"),
        unemployment_start=line.day("ledig_siden"),
        target_group=line.choice("maalgruppe", TargetGroup, TARGET_GROUP_LABELS),
        target_group_from=line.day("maalgruppe_fra"),
        education_level=line.choice("uddannelsesniveau", EducationLevel),
        max_commute_km=line.integer("max_km"),
        willing_to_switch_industry=line.yes_no("brancheskift"),
        consents={
            kind: given
            for column, kind in CONSENT_COLUMNS.items()
            if (given := line.yes_no(column)) is not None
        },
        cv=_cv(line),
    )
    if row.target_group_from is not None and row.target_group is None:
        line.error("maalgruppe", "Feltet skal udfyldes, når maalgruppe_fra er udfyldt.")
    return (None, line.errors) if line.errors else (row, [])


def parse_file(data: bytes, file_format: str) -> tuple[list[ImportRow], list[LineError]]:
    """Every row of the file, and every error of every line (by line number)."""
    records, errors = read_lines(data, file_format)
    rows: list[ImportRow] = []
    for number, values in records:
        row, line_errors = parse_row(number, values)
        errors.extend(line_errors)
        if row is not None:
            rows.append(row)
    errors.sort(key=lambda e: e.line)
    return rows, errors


def iter_columns() -> Iterator[tuple[str, str]]:
    """(column, description) in the documented order, for the upload page."""
    yield from PERSON_COLUMNS.items()
    for column, kind in CONSENT_COLUMNS.items():
        yield column, f"ja/nej: {kind.label_da.lower()}"
    yield from CV_COLUMNS.items()
