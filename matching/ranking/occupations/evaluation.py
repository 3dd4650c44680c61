"""Evaluating occupation normalisation: query and qrels files, runs, metrics and dev sets.

File formats (UTF-8, tab-separated, one header row):

* queries: ``query_id<TAB>text``
* qrels: ``query_id<TAB>conceptUri`` (one relevant concept per row), or trec qrels
  (``query_id 0 conceptUri relevance``, whitespace-separated, no header; relevance > 0 counts)
* runs (written): trec run format ``query_id Q0 conceptUri rank score tag``

Readers validate everything and raise :class:`~matching.core.errors.ImportFormatError` naming the
file and line. Metrics come from :func:`matching.ranking.metrics.evaluate`.

Development sets:

* English: real vacancy titles tagged with one ESCO occupation each (``,vacancyTitle,conceptUri``
  CSV), searched in the unmodified taxonomy.
* Danish: Danish alternative labels held out of the taxonomy. A seeded sample of alternative
  labels is removed (every label with the same surface form, from every concept and both
  languages) from the taxonomy that is indexed, and used as queries whose relevant concepts are
  the concepts that carried them. Preferred labels are never held out (they cannot be removed).
"""

from __future__ import annotations

import csv
import io
import random
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from matching.core.errors import ImportFormatError, ValidationError
from matching.ranking.metrics import evaluate
from matching.ranking.occupations.normaliser import MAX_TOP_K, OccupationIndex, load_taxonomy
from matching.ranking.occupations.titles import MAX_TITLE_CHARS, simple_key, validate_title
from matching.ranking.taxonomy.parsers import (
    ESCO_TSV_COLUMNS,
    OccupationRecord,
    detect_format,
    read_text,
)

QUERIES_HEADER = ("query_id", "text")
QRELS_HEADER = ("query_id", "conceptUri")
TITLES_CSV_HEADER = ("", "vacancyTitle", "conceptUri")
RUN_DEPTH = MAX_TOP_K  # concepts kept per query in a run
RUN_TAG = "jobbro"
URI_PREFIXES = ("http://", "https://", "urn:")
# Held-out Danish labels longer than this are left out of the sample: a few published Danish
# alternative labels are merged definitions rather than titles.
MAX_HELD_OUT_LABEL_CHARS = 60
DEFAULT_DEV_SET_SIZE = 1000
DEFAULT_SEED = 1
LABEL_SEPARATOR = " | "

ESCO_TSV_FILE = "occupations_da_en.tsv"
TITLES_CSV_FILE = "titles.dev.csv"


# --- reading ------------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    """The file's lines (BOM and line endings removed); empty, binary and non-UTF-8 files are
    refused."""
    return read_text(path).splitlines()


def _check_header(path: Path, lines: list[str], header: Sequence[str]) -> None:
    expected = "\t".join(header)
    if lines[0].strip() != expected:
        raise ImportFormatError(
            f"{path}: line 1: unknown format: expected the header "
            f"{'<TAB>'.join(header)!r}, found {lines[0][:60]!r}"
        )
    if len(lines) < 2:
        raise ImportFormatError(f"{path}: header only, no rows")


def _fields(path: Path, number: int, line: str, names: Sequence[str]) -> list[str]:
    fields = line.split("\t")
    if len(fields) != len(names) or any(not f.strip() for f in fields):
        raise ImportFormatError(
            f"{path}: line {number}: expected {len(names)} non-empty tab-separated fields "
            f"({', '.join(names)}), found {sum(1 for f in fields if f.strip())}"
        )
    return [f.strip() for f in fields]


def read_queries(path: Path | str) -> dict[str, str]:
    """Query id → text from a ``query_id<TAB>text`` file (ids unique, texts of sane length)."""
    path = Path(path)
    lines = _lines(path)
    _check_header(path, lines, QUERIES_HEADER)
    queries: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        query_id, text = _fields(path, number, line, QUERIES_HEADER)
        if query_id in first_line:
            raise ImportFormatError(
                f"{path}: line {number}: query id {query_id!r} appears twice "
                f"(first on line {first_line[query_id]})"
            )
        if len(text) > MAX_TITLE_CHARS:
            raise ImportFormatError(
                f"{path}: line {number}: query text is longer than {MAX_TITLE_CHARS} characters"
            )
        first_line[query_id] = number
        queries[query_id] = text
    return queries


def read_qrels(path: Path | str) -> dict[str, set[str]]:
    """Query id → relevant concept URIs, from the two-column TSV or trec qrels."""
    path = Path(path)
    lines = _lines(path)
    first = lines[0].split()
    trec = len(first) == 4 and first[3].lstrip("-").isdigit()
    if not trec:
        _check_header(path, lines, QRELS_HEADER)
    qrels: dict[str, set[str]] = {}
    for number, line in enumerate(lines if trec else lines[1:], start=1 if trec else 2):
        if trec:
            fields = line.split()
            if len(fields) != 4 or not fields[3].lstrip("-").isdigit():
                raise ImportFormatError(
                    f"{path}: line {number}: expected trec qrels 'query_id 0 conceptUri "
                    f"relevance', found {line[:60]!r}"
                )
            query_id, _, uri, relevance = fields
            if int(relevance) <= 0:
                qrels.setdefault(query_id, set())
                continue
        else:
            query_id, uri = _fields(path, number, line, QRELS_HEADER)
        if not uri.startswith(URI_PREFIXES):
            raise ImportFormatError(f"{path}: line {number}: {uri[:60]!r} is not a concept URI")
        relevant = qrels.setdefault(query_id, set())
        if uri in relevant:
            raise ImportFormatError(f"{path}: line {number}: {query_id} {uri} appears twice")
        relevant.add(uri)
    return qrels


@dataclass(frozen=True)
class EvalSet:
    """Queries and their relevance judgements, checked against each other."""

    queries: dict[str, str]
    qrels: dict[str, set[str]]


def load_eval_set(queries_path: Path | str, qrels_path: Path | str) -> EvalSet:
    """Read both files; every judged query must exist in the queries file."""
    queries = read_queries(queries_path)
    qrels = read_qrels(qrels_path)
    unknown = sorted(q for q in qrels if q not in queries)
    if unknown:
        raise ImportFormatError(
            f"{qrels_path}: {len(unknown)} judged query id(s) are not in {queries_path}, "
            f"e.g. {unknown[0]!r}"
        )
    return EvalSet(queries=queries, qrels=qrels)


# --- running and scoring ------------------------------------------------------------------------

Run = dict[str, list[tuple[str, float]]]


def run_index(
    index: OccupationIndex,
    queries: Mapping[str, str],
    *,
    variant: str = "hybrid",
    depth: int = RUN_DEPTH,
) -> Run:
    """Query id → ranked (concept URI, score), best first, ``depth`` concepts per query.

    A query the index refuses as a title (e.g. "10": no letters) gets an empty ranking, so it
    counts as not found instead of stopping the run.
    """
    usable: dict[str, str] = {}
    for query_id, text in queries.items():
        try:
            usable[query_id] = validate_title(text)
        except ValidationError:
            continue
    ids = list(usable)
    results = index.search([usable[q] for q in ids], top=depth, variant=variant)
    ranked = {
        query_id: [(match.uri, match.score) for match in matches]
        for query_id, matches in zip(ids, results, strict=True)
    }
    return {query_id: ranked.get(query_id, []) for query_id in queries}


def score_run(run: Run, qrels: Mapping[str, set[str]]) -> dict[str, float | int]:
    """MAP, MRR, success@1/5/10, nDCG@10 and n (see :func:`matching.ranking.metrics.evaluate`)."""
    ranked = {query_id: [uri for uri, _ in hits] for query_id, hits in run.items()}
    return evaluate(ranked, qrels)


def write_trec_run(path: Path | str, run: Run, tag: str = RUN_TAG) -> None:
    """Write ``run`` as a trec run file (``qid Q0 docid rank score tag``)."""
    if any(ch.isspace() for ch in tag) or not tag:
        raise ValueError(f"run tag must be one word, not {tag!r}")
    with open(path, "w", encoding="utf-8") as out:
        for query_id, hits in run.items():
            for rank, (uri, score) in enumerate(hits, start=1):
                out.write(f"{query_id} Q0 {uri} {rank} {score:.6f} {tag}\n")


# --- writing ------------------------------------------------------------------------------------


def _tsv_field(text: str) -> str:
    return " ".join(text.split())  # no tabs or newlines inside a field


def write_queries(path: Path, queries: Mapping[str, str]) -> None:
    """Write a ``query_id<TAB>text`` file."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(QUERIES_HEADER) + "\n")
        for query_id, text in queries.items():
            out.write(f"{query_id}\t{_tsv_field(text)}\n")


def write_qrels(path: Path, qrels: Mapping[str, Sequence[str] | set[str]]) -> None:
    """Write a ``query_id<TAB>conceptUri`` file (one row per relevant concept)."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(QRELS_HEADER) + "\n")
        for query_id, uris in qrels.items():
            for uri in sorted(uris):
                out.write(f"{query_id}\t{uri}\n")


def write_esco_tsv(path: Path, records: Sequence[OccupationRecord]) -> None:
    """Write records in the ESCO TSV layout that :func:`parse_esco_tsv` reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(ESCO_TSV_COLUMNS)
    for record in records:
        writer.writerow(
            [
                record.uri,
                record.concept_type,
                record.isco_code or "",
                record.preferred_label_en,
                LABEL_SEPARATOR.join(record.alt_labels_en),
                record.preferred_label_da or "",
                LABEL_SEPARATOR.join(record.alt_labels_da),
                record.description_en,
            ]
        )
    path.write_text(buffer.getvalue(), encoding="utf-8")


# --- development sets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DevSet:
    """One written development set: its folder, query count and what was left out."""

    folder: Path
    queries: int
    relevant: int
    skipped: int

    def summary(self) -> str:
        """One line for the CLI."""
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return f"{self.folder}: {self.queries} queries, {self.relevant} judgements{skipped}"


def make_danish_dev_set(
    taxonomy_path: Path | str,
    out_dir: Path | str,
    *,
    size: int = DEFAULT_DEV_SET_SIZE,
    seed: int = DEFAULT_SEED,
) -> DevSet:
    """Hold out ``size`` Danish alternative labels; write taxonomy.tsv, queries.tsv, qrels.tsv.

    A label is identified by its surface form
    (:func:`~matching.ranking.occupations.titles.simple_key`: case and punctuation ignored).
    Each sampled form is removed from every concept's alternative labels, Danish and English,
    so the indexed taxonomy does not contain the query string; its
    relevant concepts are all occupations that carried it. Forms equal to any preferred label
    cannot be removed and are not sampled. The sample is reproducible from ``seed``.
    """
    if size < 1:
        raise ValueError(f"size must be positive, not {size}")
    records = load_taxonomy(taxonomy_path)
    protected = {
        simple_key(label)
        for r in records
        for label in (r.preferred_label_en, r.preferred_label_da or "")
        if label
    }
    owners: dict[str, set[str]] = {}  # surface form → occupations carrying it as an alt label
    spelling: dict[str, str] = {}  # surface form → its first Danish spelling
    for record in records:
        if record.concept_type != "Occupation":
            continue
        for label in (*record.alt_labels_da, *record.alt_labels_en):
            owners.setdefault(simple_key(label), set()).add(record.uri)
        for label in record.alt_labels_da:
            spelling.setdefault(simple_key(label), label)
    candidates = sorted(
        key
        for key, label in spelling.items()
        if key and key not in protected and len(label) <= MAX_HELD_OUT_LABEL_CHARS
    )
    if size > len(candidates):
        raise ValueError(f"only {len(candidates)} Danish alternative labels can be held out")
    held_out = random.Random(seed).sample(candidates, size)
    removed = set(held_out)

    def keep(labels: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(label for label in labels if simple_key(label) not in removed)

    reduced = [
        replace(r, alt_labels_da=keep(r.alt_labels_da), alt_labels_en=keep(r.alt_labels_en))
        for r in records
    ]
    width = len(str(size))
    queries = {f"da-{i:0{width}d}": spelling[key] for i, key in enumerate(held_out, start=1)}
    qrels = {query_id: owners[key] for query_id, key in zip(queries, held_out, strict=True)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_esco_tsv(out / "taxonomy.tsv", reduced)
    write_queries(out / "queries.tsv", queries)
    write_qrels(out / "qrels.tsv", qrels)
    return DevSet(
        folder=out,
        queries=len(queries),
        relevant=sum(len(uris) for uris in qrels.values()),
        skipped=0,
    )


def read_titles_csv(path: Path | str) -> list[tuple[str, str]]:
    """(title, concept URI) rows of a ``,vacancyTitle,conceptUri`` CSV."""
    path = Path(path)
    text = "\n".join(_lines(path))
    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[tuple[str, str]] = []
    try:
        header = next(reader)
        if tuple(header) != TITLES_CSV_HEADER:
            raise ImportFormatError(
                f"{path}: line 1: unknown format: expected the header ',vacancyTitle,conceptUri'"
            )
        for row in reader:
            number = reader.line_num
            if len(row) != len(TITLES_CSV_HEADER) or not row[1].strip():
                raise ImportFormatError(
                    f"{path}: line {number}: expected 3 comma-separated fields with a title"
                )
            if not row[2].startswith(URI_PREFIXES):
                raise ImportFormatError(f"{path}: line {number}: {row[2][:60]!r} is not a URI")
            rows.append((" ".join(row[1].split()), row[2].strip()))
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: line {reader.line_num}: malformed row: {exc}") from exc
    if not rows:
        raise ImportFormatError(f"{path}: header only, no titles")
    return rows


def make_english_dev_set(
    titles_path: Path | str, taxonomy_path: Path | str, out_dir: Path | str
) -> DevSet:
    """Write the English vacancy titles as queries/qrels, with the unmodified taxonomy.

    Titles whose concept is not an occupation of the taxonomy, or that are too long to be a
    title, are skipped (and counted).
    """
    records = load_taxonomy(taxonomy_path)
    occupations = {r.uri for r in records if r.concept_type == "Occupation"}
    rows = read_titles_csv(titles_path)
    kept = [
        (title, uri) for title, uri in rows if uri in occupations and len(title) <= MAX_TITLE_CHARS
    ]
    width = len(str(len(rows)))
    queries: dict[str, str] = {}
    qrels: dict[str, set[str]] = {}
    for i, (title, uri) in enumerate(kept, start=1):
        query_id = f"en-{i:0{width}d}"
        queries[query_id] = title
        qrels[query_id] = {uri}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    taxonomy_path = Path(taxonomy_path)
    if taxonomy_path.is_file() and detect_format(taxonomy_path) == "esco_tsv":
        shutil.copyfile(taxonomy_path, out / "taxonomy.tsv")
    else:
        write_esco_tsv(out / "taxonomy.tsv", records)
    write_queries(out / "queries.tsv", queries)
    write_qrels(out / "qrels.tsv", qrels)
    return DevSet(
        folder=out, queries=len(queries), relevant=len(kept), skipped=len(rows) - len(kept)
    )
