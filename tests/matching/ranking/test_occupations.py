"""Occupation normalisation: normalisation rules, the index, evaluation files, the CLI.

Unit tests run on hand-made fixtures (tests/fixtures/occupations/) with the deterministic fake
encoder; one slow test runs the real model on a slice of the reference ESCO data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import numpy as np
import pytest

from embeddings.encoder import FakeEncoder
from matching.core.errors import ImportFormatError, ValidationError
from matching.ranking.occupations.evaluation import (
    load_eval_set,
    make_danish_dev_set,
    make_english_dev_set,
    read_qrels,
    read_queries,
    read_titles_csv,
    run_index,
    score_run,
    write_esco_tsv,
    write_trec_run,
)
from matching.ranking.occupations.normaliser import (
    LABEL_TEMPERATURE,
    VARIANTS,
    IndexConfig,
    OccupationIndex,
    config_without,
    load_taxonomy,
    records_from_database,
)
from matching.ranking.occupations.titles import (
    MAX_TITLE_CHARS,
    clean_title,
    lexical_key,
    simple_key,
    validate_title,
)
from matching.ranking.taxonomy.parsers import OccupationRecord
from tests.support.paths import FIXTURES as TEST_FIXTURES
from tests.support.paths import ROOT
from workers.cli import main

FIXTURES = TEST_FIXTURES / "occupations"
TINY = FIXTURES / "tiny.tsv"
OCC = "http://example.org/occupation/"
EVAL_KEYS = {"map", "mrr", "success@1", "success@5", "success@10", "ndcg@10", "n"}


@pytest.fixture(scope="module")
def records() -> list[OccupationRecord]:
    return load_taxonomy(TINY)


@pytest.fixture(scope="module")
def index(records: list[OccupationRecord]) -> OccupationIndex:
    return OccupationIndex.build(records, FakeEncoder())


def top_uri(index: OccupationIndex, title: str, variant: str = "hybrid") -> str:
    return index.suggest(title, top=3, variant=variant)[0].uri.removeprefix(OCC)


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forms", "key"),
    [
        (["lagermand", "Lagerkvinde", "lagerarbejder", "lagermedarbejder"], "lager medarbejder"),
        (["rengøringsdame", "rengøringskone", "rengøringsmedarbejder"], "rengørings medarbejder"),
        (["salesman", "saleswoman", "salesperson", "sales person"], "sales person"),
        (["sygeplejerske", "Sygeplejerske (m/k)"], "sygeplejer"),
        (["lærerinde", "lærer"], "lærer"),
        (["ekspeditrice", "ekspedient"], "ekspedient"),
        (["waitress", "waiter"], "waiter"),
        (["pædagogmedhjælper", "Pæd. medhj.", "pædagoghjælper"], "pædagog hjælper"),
        (["murersvend", "murer"], "murer"),
    ],
)
def test_gendered_and_variant_forms_share_one_key(forms: list[str], key: str) -> None:
    assert {lexical_key(form) for form in forms} == {key}


@pytest.mark.parametrize(
    ("title", "expanded"),
    [
        ("SOSU-hjælper", "social- og sundhedshjælper"),
        ("sosu assistent", "social- og sundhedsassistent"),
        ("SOSU-elev", "social- og sundhedselev"),
        ("SSA", "social- og sundhedsassistent"),
        ("Pæd. medhj.", "pædagogmedhjælper"),
        ("HK'er", "kontorassistent"),
        ("HK-elev", "kontorelev"),
        ("Sr. Software Dev", "senior Software developer"),
        ("Tømrer til byggeplads (k/m)", "Tømrer til byggeplads"),
        ("Chauffør m/k/d", "Chauffør"),
    ],
)
def test_abbreviations_and_gender_markers(title: str, expanded: str) -> None:
    assert clean_title(title) == expanded


def test_compounds_are_split_before_known_heads_only() -> None:
    assert lexical_key("lagermedarbejder") == "lager medarbejder"
    assert lexical_key("social- og sundhedsassistent") == "social og sundheds assistent"
    assert lexical_key("IT-supporter") == lexical_key("it supporter") == "it supporter"
    # A head with too short a stem, and words without a known head, stay whole.
    assert lexical_key("leder") == "leder"
    assert lexical_key("Svendborg") == "svendborg"
    assert lexical_key("SOSU i hjemmeplejen").endswith("i hjemmeplejen")


def test_simple_key_ignores_case_and_punctuation_only() -> None:
    assert simple_key("IT-supporter") == simple_key("it  supporter") == "it supporter"
    assert simple_key("lagermand") != simple_key("lagerarbejder")


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Stillingsbetegnelsen må ikke være tom."),
        ("   \t ", "Stillingsbetegnelsen må ikke være tom."),
        ("x" * 10_240, f"Stillingsbetegnelsen er for lang (10240 tegn; højst {MAX_TITLE_CHARS})."),
        ("1234 / 56", "Stillingsbetegnelsen skal indeholde mindst ét bogstav."),
        ("(m/k)", "Stillingsbetegnelsen skal indeholde mindst ét bogstav."),
    ],
)
def test_unusable_titles_are_refused_in_danish(title: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_title(title)
    assert str(caught.value) == message


# --- the index ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("SOSU-hjælper", "home-care-aide"),
        ("SOSU assistent", "healthcare-assistant"),
        ("lagermand", "warehouse-worker"),
        ("Lagerkvinde", "warehouse-worker"),
        ("Pæd. medhj.", "child-care-worker"),
        ("sygeplejerske (m/k)", "nurse"),
        ("rengøringsdame", "office-cleaner"),
        ("ekspeditrice", "shop-assistant"),
        ("HK'er", "office-clerk"),
        ("truck driver", "lorry-driver"),
        ("tømrer til byggeplads (m/k)", "carpenter"),
    ],
)
def test_each_variant_ranks_the_known_concept_first(
    index: OccupationIndex, variant: str, title: str, expected: str
) -> None:
    assert top_uri(index, title, variant) == expected


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("sygeplejeske", "nurse"),
        ("lagerarbjder", "warehouse-worker"),
        ("softwareudviklr", "software-developer"),
        ("buttiksasistent", "shop-assistant"),
    ],
)
def test_lexical_signal_tolerates_typos(index: OccupationIndex, typo: str, expected: str) -> None:
    assert top_uri(index, typo, "lexical") == expected
    assert top_uri(index, typo, "hybrid") == expected


def test_normalisation_is_what_finds_abbreviated_and_gendered_titles(
    records: list[OccupationRecord], index: OccupationIndex
) -> None:
    plain = OccupationIndex.build(records, FakeEncoder(), config_without(["normalisation"]))

    def rank(idx: OccupationIndex, title: str, uri: str) -> int:
        matches = idx.suggest(title, top=15, variant="lexical")
        return next((m.rank for m in matches if m.uri == OCC + uri), len(matches) + 1)

    assert rank(index, "SSH", "home-care-aide") == 1
    assert rank(plain, "SSH", "home-care-aide") > 1
    assert rank(index, "HK'er", "office-clerk") == 1
    assert rank(plain, "HK'er", "office-clerk") > 1


def test_matches_carry_isco_code_labels_and_the_label_that_matched(
    index: OccupationIndex,
) -> None:
    matches = index.suggest("lagermedarbejder", top=5)
    assert [m.rank for m in matches] == [1, 2, 3, 4, 5]
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    first = matches[0]
    assert (first.isco_code, first.label_da, first.label_en) == (
        "9333",
        "lagerarbejder",
        "warehouse worker",
    )
    assert first.label == "lagerarbejder"
    assert first.matched_label == "lagermedarbejder"
    assert set(first.to_dict()) == {
        "rank", "score", "isco_code", "label", "label_da", "label_en", "uri", "matched_label",
    }  # fmt: skip
    # ISCO groups lend labels but are never suggested themselves.
    assert all("/isco/" not in m.uri for m in index.suggest("Hjemmepleje", top=15))


def test_isco_group_labels_reach_the_member_occupations(records: list[OccupationRecord]) -> None:
    with_groups = OccupationIndex.build(records, FakeEncoder())
    without = OccupationIndex.build(records, FakeEncoder(), config_without(["isco-labels"]))
    assert top_uri(with_groups, "Godshåndtering", "lexical") == "warehouse-worker"
    assert with_groups.stats.labels > without.stats.labels


class TableEncoder:
    """An encoder whose vectors are given per text (unknown texts get the last axis)."""

    model_version = "table-v1"
    dimension = 4

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def encode(self, texts: list[str], kind: str) -> np.ndarray:
        rows = [self.table.get(t, [0.0, 0.0, 0.0, 1.0]) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _record(uri: str, isco: str, label: str, *alts: str) -> OccupationRecord:
    return OccupationRecord(uri, "Occupation", isco, label, None, tuple(alts), (), "")


def test_several_matching_labels_earn_a_small_bonus() -> None:
    """Two labels at the same cosine beat one; the bonus is bounded by LABEL_TEMPERATURE."""
    table = {
        "query": [1, 0, 0, 0],
        "a1": [1, 0.5, 0, 0],
        "a2": [1, 0, 0.5, 0],
        "b1": [1, 0.5, 0, 0],
    }
    records = [_record("urn:a", "1111", "a1", "a2"), _record("urn:b", "2222", "b1")]
    bonus = OccupationIndex.build(records, TableEncoder(table))
    plain = OccupationIndex.build(records, TableEncoder(table), config_without(["label-bonus"]))
    a, b = bonus.suggest("query", variant="dense")
    assert (a.uri, b.uri) == ("urn:a", "urn:b")
    assert a.score - b.score == pytest.approx(LABEL_TEMPERATURE * np.log(2), abs=1e-5)
    tied = plain.suggest("query", variant="dense")
    assert tied[0].score == pytest.approx(tied[1].score)


def test_isco_support_lifts_a_concept_whose_group_mates_score_well() -> None:
    table = {
        "query": [1, 0, 0, 0],
        "aaa": [1, 0.42, 0, 0],
        "bbb": [1, 0.45, 0, 0],
        "ccc": [1, 0.6, 0, 0],
        "ddd": [0, 0, 1, 0],
    }
    records = [
        _record("urn:lone", "1111", "aaa"),
        _record("urn:member", "2222", "bbb"),
        _record("urn:mate", "2222", "ccc"),
        *(_record(f"urn:o{i}", "3333", "ddd") for i in range(5)),
    ]
    off = OccupationIndex.build(records, TableEncoder(table), IndexConfig(isco_labels=False))
    on = OccupationIndex.build(
        records, TableEncoder(table), IndexConfig(isco_labels=False, isco_support=0.5)
    )
    assert [m.uri for m in off.suggest("query", top=2, variant="hybrid")][:1] == ["urn:lone"]
    assert on.suggest("query", top=1, variant="hybrid")[0].uri == "urn:member"


def test_an_index_without_encoder_is_lexical_only(records: list[OccupationRecord]) -> None:
    lexical = OccupationIndex.build(records, None)
    assert lexical.variants == ("lexical",)
    assert lexical.suggest("lagermand", variant="lexical")[0].uri == OCC + "warehouse-worker"
    with pytest.raises(ValueError, match="needs an encoder"):
        lexical.suggest("lagermand", variant="hybrid")


def test_bad_arguments(index: OccupationIndex) -> None:
    with pytest.raises(ValueError, match="variant must be one of"):
        index.suggest("kok", variant="magic")
    with pytest.raises(ValidationError):
        index.suggest("kok", top=0)
    with pytest.raises(ValueError, match="unknown part"):
        config_without(["everything"])
    with pytest.raises(ValueError, match="fusion must be one of"):
        IndexConfig(fusion="average")
    with pytest.raises(ValidationError, match="ingen erhverv"):
        OccupationIndex.build(
            [r for r in load_taxonomy(TINY) if r.concept_type != "Occupation"], None
        )


@pytest.mark.parametrize("fusion", ["zscore", "rrf", "sum"])
def test_every_fusion_ranks_the_obvious_concept_first(
    records: list[OccupationRecord], fusion: str
) -> None:
    fused = OccupationIndex.build(records, FakeEncoder(), config_without([], fusion=fusion))
    assert top_uri(fused, "SOSU-hjælper") == "home-care-aide"


# --- taxonomies ---------------------------------------------------------------------------------


def test_taxonomy_files_in_other_formats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="unknown_format.txt"):
        load_taxonomy(FIXTURES / "unknown_format.txt")
    disco = ROOT / "tests" / "fixtures" / "taxonomy" / "disco_small.csv"
    with pytest.raises(ImportFormatError, match="holds no ESCO occupations"):
        load_taxonomy(disco)
    export = load_taxonomy(ROOT / "tests" / "fixtures" / "taxonomy" / "esco_csv_bilingual")
    assert any(r.concept_type == "Occupation" for r in export)


def test_records_from_the_database(session) -> None:  # noqa: ANN001
    from matching.ranking.taxonomy.importer import import_taxonomy

    import_taxonomy(session, TINY)
    stored = {r.uri: r for r in records_from_database(session)}
    for record in load_taxonomy(TINY):
        assert stored[record.uri] == record


def test_esco_tsv_round_trip(tmp_path: Path, records: list[OccupationRecord]) -> None:
    quoted = OccupationRecord(
        "http://example.org/occupation/q", "Occupation", "1234", 'a "quoted" label',
        "da", ("x | y".replace(" | ", "-"),), (), 'Says "hi"\tthere',
    )  # fmt: skip
    write_esco_tsv(tmp_path / "out.tsv", [*records, quoted])
    back = load_taxonomy(tmp_path / "out.tsv")
    assert back[:-1] == records
    assert back[-1].description_en == 'Says "hi" there'  # whitespace runs collapse on reading
    assert back[-1].preferred_label_en == 'a "quoted" label'


# --- evaluation files ---------------------------------------------------------------------------


def test_queries_and_qrels_are_read(tmp_path: Path) -> None:
    eval_set = load_eval_set(FIXTURES / "queries.tsv", FIXTURES / "qrels.tsv")
    assert eval_set.queries["q1"] == "SOSU-hjælper"
    assert eval_set.qrels["q5"] == {OCC + "carpenter"}
    trec = read_qrels(FIXTURES / "qrels.trec")
    assert trec == {"q1": {OCC + "home-care-aide"}, "q2": {OCC + "warehouse-worker"}}


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("query_id\ttext\n", "header only"),
        ("id,title\n1,kok\n", "line 1: unknown format"),
        ("query_id\ttext\nq1\tkok\textra\n", "line 2: expected 2 non-empty tab-separated"),
        ("query_id\ttext\nq1\t\n", "line 2: expected 2 non-empty"),
        ("query_id\ttext\nq1\tkok\nq1\ttjener\n", "line 3: query id 'q1' appears twice"),
        ("query_id\ttext\nq1\t" + "x" * 300 + "\n", "line 2: query text is longer"),
        (b"query_id\ttext\nq1\tk\xf8k\n", "line 2: not UTF-8"),
    ],
)
def test_malformed_queries_name_file_and_line(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = _write(tmp_path / "queries.tsv", content)
    with pytest.raises(ImportFormatError, match=message) as caught:
        read_queries(path)
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("query_id\tconceptUri\nq1\tnot-a-uri\n", "line 2: 'not-a-uri' is not a concept URI"),
        ("query_id\tconceptUri\nq1\n", "line 2: expected 2"),
        ("qid\tdoc\nq1\thttp://x\n", "line 1: unknown format"),
        ("q1 0 http://x 1\nq2 0 http://y\n", "line 2: expected trec qrels"),
        ("query_id\tconceptUri\nq1\thttp://x\nq1\thttp://x\n", "line 3: q1 http://x appears twice"),
    ],
)
def test_malformed_qrels_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path / "qrels.tsv", content)
    with pytest.raises(ImportFormatError, match=message):
        read_qrels(path)


def test_judged_queries_must_exist(tmp_path: Path) -> None:
    qrels = _write(tmp_path / "qrels.tsv", "query_id\tconceptUri\nq9\thttp://x\n")
    with pytest.raises(ImportFormatError, match="not in .*queries.tsv, e.g. 'q9'"):
        load_eval_set(FIXTURES / "queries.tsv", qrels)


def test_run_scores_and_trec_file(tmp_path: Path, index: OccupationIndex) -> None:
    eval_set = load_eval_set(FIXTURES / "queries.tsv", FIXTURES / "qrels.tsv")
    run = run_index(index, eval_set.queries, variant="hybrid", depth=10)
    assert all(len(hits) == 10 for hits in run.values())
    metrics = score_run(run, eval_set.qrels)
    assert set(metrics) == EVAL_KEYS and metrics["n"] == 5
    assert metrics["mrr"] == 1.0
    write_trec_run(tmp_path / "run.txt", run, tag="test")
    lines = (tmp_path / "run.txt").read_text().splitlines()
    assert len(lines) == 50
    qid, q0, doc, rank, score, tag = lines[0].split()
    assert (qid, q0, doc, rank, tag) == ("q1", "Q0", OCC + "home-care-aide", "1", "test")
    float(score)


def test_a_query_refused_as_title_counts_as_not_found(index: OccupationIndex) -> None:
    run = run_index(index, {"a": "10", "b": "kok"}, variant="lexical")
    assert run["a"] == [] and run["b"][0][0] == OCC + "cook"
    assert score_run(run, {"a": {OCC + "cook"}, "b": {OCC + "cook"}})["mrr"] == 0.5


# --- development sets ---------------------------------------------------------------------------


def test_danish_dev_set_holds_labels_out_of_the_index(tmp_path: Path) -> None:
    made = make_danish_dev_set(TINY, tmp_path / "a", size=5, seed=3)
    assert made.queries == 5
    eval_set = load_eval_set(tmp_path / "a" / "queries.tsv", tmp_path / "a" / "qrels.tsv")
    reduced = load_taxonomy(tmp_path / "a" / "taxonomy.tsv")
    indexed = {
        simple_key(label)
        for r in reduced
        for label in (r.preferred_label_en, r.preferred_label_da or "", *r.alt_labels_en,
                      *r.alt_labels_da)
    }  # fmt: skip
    original = {r.uri: r for r in load_taxonomy(TINY)}
    for query_id, text in eval_set.queries.items():
        assert simple_key(text) not in indexed  # the query string is not in the index
        for uri in eval_set.qrels[query_id]:  # and its concepts did carry it
            assert text in original[uri].alt_labels_da + original[uri].alt_labels_en
    assert len(reduced) == len(original)  # no concept removed, only labels

    again = make_danish_dev_set(TINY, tmp_path / "b", size=5, seed=3)
    other = make_danish_dev_set(TINY, tmp_path / "c", size=5, seed=4)
    assert again.queries == 5
    same = (tmp_path / "a" / "queries.tsv").read_text() == (
        tmp_path / "b" / "queries.tsv"
    ).read_text()
    assert same
    assert (tmp_path / "a" / "queries.tsv").read_text() != (
        tmp_path / "c" / "queries.tsv"
    ).read_text()
    assert other.queries == 5
    with pytest.raises(ValueError, match="can be held out"):
        make_danish_dev_set(TINY, tmp_path / "d", size=1000)


def test_english_dev_set(tmp_path: Path) -> None:
    made = make_english_dev_set(FIXTURES / "titles.csv", TINY, tmp_path)
    assert (made.queries, made.skipped) == (3, 1)  # the astronaut's concept is not in the taxonomy
    eval_set = load_eval_set(tmp_path / "queries.tsv", tmp_path / "qrels.tsv")
    assert sorted(eval_set.queries.values()) == [
        "Cook, full time", "Senior Software Engineer", "Warehouse Operative - Nights",
    ]  # fmt: skip
    assert (tmp_path / "taxonomy.tsv").read_bytes() == TINY.read_bytes()
    bad = _write(tmp_path / "bad.csv", "title,uri\nkok,http://x\n")
    with pytest.raises(ImportFormatError, match="line 1: unknown format"):
        read_titles_csv(bad)


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder and SQLite database; the fake encoder."""
    for name in ("JOBBRO_DATABASE_URL", "JOBBRO_REDIS_URL", "JOBBRO_MODEL_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JOBBRO_ENV", "test")
    monkeypatch.setenv("JOBBRO_ENCODER", "fake")
    monkeypatch.setenv("JOBBRO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JOBBRO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("JOBBRO_SECRET_KEY", "occupations-test-secret-key-0123456789abcdef")
    return tmp_path


def test_suggest_json(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["occupations", "suggest", "SOSU-hjælper", "--taxonomy", str(TINY), "--json",
                 "--top", "3"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    matches = json.loads(out)
    assert len(matches) == 3
    assert matches[0]["uri"] == OCC + "home-care-aide"
    assert matches[0]["isco_code"] == "5322"
    assert set(matches[0]) == {
        "rank", "score", "isco_code", "label", "label_da", "label_en", "uri", "matched_label",
    }  # fmt: skip
    # The label vectors went to the embedding cache under the data folder.
    assert (cli_env / "var" / "cache" / "embeddings-cache.sqlite3").is_file()


@pytest.mark.parametrize("variant", VARIANTS)
def test_suggest_table(cli_env: Path, capsys: pytest.CaptureFixture[str], variant: str) -> None:
    code = main(["occupations", "suggest", "lagermand", "--taxonomy", str(TINY),
                 "--variant", variant, "--top", "2"])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 2
    rank, score, isco, *label, uri = lines[0].split()
    assert (rank, isco, " ".join(label), uri) == (
        "1",
        "9333",
        "lagerarbejder",
        OCC + "warehouse-worker",
    )
    float(score)


def test_suggest_uses_the_imported_taxonomy(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["occupations", "suggest", "kok"]) == 1
    assert "the database holds no occupations" in capsys.readouterr().err
    assert main(["taxonomy", "import", str(TINY)]) == 0
    capsys.readouterr()
    assert main(["occupations", "suggest", "restaurantkok", "--json", "--top", "1"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["uri"] == OCC + "cook"


def test_suggest_without_schema_is_a_clear_error(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["occupations", "suggest", "kok"]) == 1
    assert "run `jobbro db upgrade`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "jobbro: error: Stillingsbetegnelsen må ikke være tom.\n"),
        (
            "x" * 10_240,
            "jobbro: error: Stillingsbetegnelsen er for lang (10240 tegn; højst 200).\n",
        ),
    ],
)
def test_suggest_refuses_bad_titles_in_one_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str], title: str, message: str
) -> None:
    assert main(["occupations", "suggest", title, "--taxonomy", str(TINY)]) == 1
    captured = capsys.readouterr()
    assert captured.err == message and captured.out == ""


def test_suggest_refuses_an_unknown_taxonomy_format(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = FIXTURES / "unknown_format.txt"
    assert main(["occupations", "suggest", "kok", "--taxonomy", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"jobbro: error: {path}") and err.count("\n") == 1


def test_eval_occupations(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli_env / "run.txt"
    args = ["eval", "occupations", "--taxonomy", str(TINY), "--queries",
            str(FIXTURES / "queries.tsv"), "--qrels", str(FIXTURES / "qrels.tsv")]  # fmt: skip
    assert main([*args, "--run", str(run)]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert set(result) == EVAL_KEYS | {"variant"}
    assert result["variant"] == "hybrid" and result["n"] == 5 and result["mrr"] == 1.0
    assert "5 queries in" in captured.err
    assert run.read_text().splitlines()[0].startswith(f"q1 Q0 {OCC}home-care-aide 1 ")
    assert run.read_text().splitlines()[0].endswith(" jobbro-hybrid")

    queries = _write(cli_env / "q.tsv", "query_id\ttext\nq1\tSSH\nq2\tHK'er\n")
    qrels = _write(
        cli_env / "r.tsv", f"query_id\tconceptUri\nq1\t{OCC}home-care-aide\nq2\t{OCC}office-clerk\n"
    )
    args = ["eval", "occupations", "--taxonomy", str(TINY), "--queries", str(queries),
            "--qrels", str(qrels), "--variant", "lexical"]  # fmt: skip
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["mrr"] == 1.0
    assert main([*args, "--without", "normalisation"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["variant"] == "lexical" and plain["mrr"] < 1.0


@pytest.mark.parametrize(
    ("queries", "qrels", "message"),
    [
        ("bad_fields_queries.tsv", "qrels.tsv", "bad_fields_queries.tsv: line 3: expected 2"),
        ("unknown_format_queries.tsv", "qrels.tsv", "line 1: unknown format"),
        ("queries.tsv", "queries.tsv", "queries.tsv: line 1: unknown format"),
    ],
)
def test_eval_refuses_malformed_files(
    cli_env: Path, capsys: pytest.CaptureFixture[str], queries: str, qrels: str, message: str
) -> None:
    code = main(["eval", "occupations", "--taxonomy", str(TINY), "--queries",
                 str(FIXTURES / queries), "--qrels", str(FIXTURES / qrels)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.startswith("jobbro: error: ") and message in captured.err


def test_make_dev_sets(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared = cli_env / "shared"
    (shared / "esco").mkdir(parents=True)
    (shared / "jobtitles_en").mkdir()
    shutil.copyfile(TINY, shared / "esco" / "occupations_da_en.tsv")
    shutil.copyfile(FIXTURES / "titles.csv", shared / "jobtitles_en" / "titles.dev.csv")
    out = cli_env / "dev"
    assert main(["eval", "make-dev-sets", str(out), "--shared-data", str(shared),
                 "--size", "4", "--seed", "2"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "en: " in printed and "3 queries" in printed and "da: " in printed
    for lang in ("en", "da"):
        for name in ("taxonomy.tsv", "queries.tsv", "qrels.tsv"):
            assert (out / lang / name).is_file()
    assert len(read_queries(out / "da" / "queries.tsv")) == 4
    assert main(["eval", "make-dev-sets", str(out), "--shared-data", str(shared),
                 "--size", "999"]) == 2  # fmt: skip
    assert "--size" in capsys.readouterr().err


def test_register_merges_into_an_existing_eval_group() -> None:
    from workers.occupation_commands import register

    @click.group()
    def root() -> None: ...

    @root.group("eval")
    def existing() -> None: ...

    @existing.command("other")
    def other() -> None: ...

    register(root)
    assert set(existing.commands) == {"other", "occupations", "make-dev-sets"}
    assert "occupations" in root.commands


# --- the real model -----------------------------------------------------------------------------

# Colloquial Danish titles as written in CVs and job ads, with the ESCO occupations (English
# preferred labels) they name. Typed for this test; the concepts are looked up in the reference
# ESCO file.
COLLOQUIAL: list[tuple[str, set[str]]] = [
    ("SOSU-hjælper", {"home care aide", "care at home worker"}),
    ("sosu assistent", {"healthcare assistant", "care at home worker"}),
    ("SSA, nattevagt", {"healthcare assistant", "care at home worker"}),
    ("lagermand", {"warehouse worker"}),
    ("Lagerkvinde", {"warehouse worker"}),
    ("medarbejder på lager", {"warehouse worker"}),
    ("Pæd. medhj. i vuggestue", {"child day care worker", "early years teacher"}),
    ("pædagogmedhjælper (m/k)", {"child day care worker", "early years teacher"}),
    ("sygeplejeske", {"nurse responsible for general care", "specialist nurse"}),
    ("HK'er", {"administrative assistant", "office clerk"}),
    ("ekspeditrice", {"shop assistant", "sales assistant"}),
    ("butiksmedarbejder", {"shop assistant", "sales assistant"}),
    ("opvaskemand", {"kitchen porter"}),
    ("Tømrer til byggeplads (k/m)", {"carpenter"}),
    ("IT-supporter", {"ICT help desk agent"}),
    ("buschauffør m/k", {"bus driver"}),
    ("truckfører", {"forklift operator"}),
    ("frisørinde", {"hairdresser", "barber", "hair stylist"}),
    ("lærerinde i folkeskolen", {"primary school teacher"}),
    ("kassemand", {"cashier"}),
    ("skraldekvinde", {"refuse collector"}),
    ("murersvend", {"bricklayer"}),
    ("malersvend", {"construction painter"}),
    ("rengøringskvinde (30 timer)", {"domestic cleaner", "building cleaner", "room attendant"}),
]


@pytest.mark.slow
def test_real_model_on_a_slice_of_esco(shared_data: Path, tmp_path: Path) -> None:
    """The hybrid beats or matches both signals on held-out Danish labels of ~160 occupations
    (the ISCO unit groups of the colloquial titles), and finds the colloquial titles."""
    from embeddings.encoder import CachedEncoder, SentenceTransformerEncoder
    from embeddings.model import prepare_model

    esco = shared_data / "esco" / "occupations_da_en.tsv"
    if not esco.is_file():
        pytest.skip(f"{esco} is missing")
    records = load_taxonomy(esco)
    by_label = {r.preferred_label_en: r for r in records if r.concept_type == "Occupation"}
    groups = {by_label[label].isco_code for _, labels in COLLOQUIAL for label in labels}
    write_esco_tsv(tmp_path / "slice.tsv", [r for r in records if r.isco_code in groups])
    make_danish_dev_set(tmp_path / "slice.tsv", tmp_path / "da", size=100, seed=1)
    held_out = load_eval_set(tmp_path / "da" / "queries.tsv", tmp_path / "da" / "qrels.tsv")

    model = prepare_model(ROOT / "var" / "test-models")  # shared with tests/embeddings
    encoder = CachedEncoder(SentenceTransformerEncoder(model.path), tmp_path / "cache")
    index = OccupationIndex.build(load_taxonomy(tmp_path / "da" / "taxonomy.tsv"), encoder)
    mrr = {
        variant: score_run(run_index(index, held_out.queries, variant=variant), held_out.qrels)[
            "mrr"
        ]
        for variant in VARIANTS
    }
    assert mrr["hybrid"] >= max(mrr["dense"], mrr["lexical"]) - 0.01, mrr
    assert mrr["hybrid"] >= 0.65, mrr

    full = OccupationIndex.build(load_taxonomy(tmp_path / "slice.tsv"), encoder)
    results = full.search([title for title, _ in COLLOQUIAL], top=5)
    found = [
        any(m.label_en in labels for m in matches)
        for matches, (_, labels) in zip(results, COLLOQUIAL, strict=True)
    ]
    missed = [title for (title, _), ok in zip(COLLOQUIAL, found, strict=True) if not ok]
    assert len(missed) <= 2, missed


def test_builtin_occupations_step_aside_once_esco_is_imported(session) -> None:  # noqa: ANN001
    from matching.models import Occupation
    from matching.ranking.occupations.normaliser import records_from_database
    from matching.ranking.taxonomy.builtin import BUILTIN_URI_PREFIX
    from matching.ranking.taxonomy.importer import install_builtin_taxonomy

    install_builtin_taxonomy(session)
    alone = records_from_database(session)
    assert any(r.uri.startswith(BUILTIN_URI_PREFIX) for r in alone)
    session.add(
        Occupation(
            uri="http://data.europa.eu/esco/occupation/test-warehouse",
            concept_type="Occupation",
            isco_code="9333",
            preferred_label_en="warehouse worker",
            preferred_label_da="lagerarbejder",
        )
    )
    session.flush()
    merged = records_from_database(session)
    assert not any(r.uri.startswith(BUILTIN_URI_PREFIX) for r in merged)
    assert any(r.uri.endswith("test-warehouse") for r in merged)
    assert any(r.concept_type == "ISCOGroup" for r in merged)
