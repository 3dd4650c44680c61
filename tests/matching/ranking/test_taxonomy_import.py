"""Taxonomy import: the real ESCO and DISCO-08 files, idempotency, and bad files rejected whole.

The real files are read from the shared reference data folder; the small hand-made files under
``tests/fixtures/taxonomy/`` cover merging and every kind of malformed input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from matching.core.errors import ImportFormatError
from matching.demo import vocab
from matching.models import DiscoGroup, Occupation, TaxonomyVersion
from matching.ranking.taxonomy.builtin import BUILTIN_URI_PREFIX, builtin_records, builtin_uri
from matching.ranking.taxonomy.importer import import_taxonomy, install_builtin_taxonomy
from matching.ranking.taxonomy.parsers import (
    detect_format,
    esco_csv_files,
    parse_disco_csv,
    parse_esco_csv,
    parse_esco_tsv,
)
from tests.support.paths import FIXTURES as TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "taxonomy"
WIRE_DRAWER = "http://data.europa.eu/esco/occupation/000e93a3-d956-4e45-aacb-f12c83fedf84"
PORTER = "http://example.org/esco/occupation/1"  # in the hand-made fixtures


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def occupation(session: Session, uri: str) -> Occupation | None:
    return session.scalar(select(Occupation).where(Occupation.uri == uri))


@contextmanager
def counted_selects(session: Session) -> Iterator[list[str]]:
    """Collect the SELECT statements the session's connection runs inside the block."""
    statements: list[str] = []
    connection = session.connection()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


# --- parsers on the real files ------------------------------------------------------------------


def test_parse_esco_tsv(shared_data: Path) -> None:
    records = parse_esco_tsv(shared_data / "esco" / "occupations_da_en.tsv")
    kinds = [r.concept_type for r in records]
    assert (len(records), kinds.count("Occupation"), kinds.count("ISCOGroup")) == (3561, 2942, 619)
    wire = next(r for r in records if r.uri == WIRE_DRAWER)
    assert wire.isco_code == "8121"
    assert wire.preferred_label_en == "metal drawing machine operator"
    assert wire.preferred_label_da == "operatør af trækpresse - metal"
    assert wire.alt_labels_da[:2] == ("procesoperatør", "stansemaskineoperatør")
    assert "trådtrækker" in wire.alt_labels_da
    assert "wire drawer" in wire.alt_labels_en
    for record in records:
        for label in (*record.alt_labels_en, *record.alt_labels_da):
            assert label and "|" not in label and label == label.strip()
        assert len(set(record.alt_labels_en)) == len(record.alt_labels_en)
    # ISCO groups keep leading zeros (armed forces).
    assert {"0", "01", "011", "0110"} <= {r.isco_code for r in records}
    # A description quoted CSV-style in the TSV comes back unquoted, its "" unescaped.
    derrick = next(r for r in records if r.preferred_label_en == "derrickhand")
    assert derrick.description_en.startswith("Derrickhands guide")
    assert derrick.description_en.endswith('or "mud".')


def test_parse_official_esco_csv_export(shared_data: Path) -> None:
    occupations_csv = shared_data / "esco" / "occupations_en.csv"
    # The ISCOGroups_en.csv beside the occupations file is read too.
    assert [f.name for f in esco_csv_files(occupations_csv)] == [
        "occupations_en.csv",
        "ISCOGroups_en.csv",
    ]
    records = parse_esco_csv(occupations_csv)
    kinds = [r.concept_type for r in records]
    assert (kinds.count("Occupation"), kinds.count("ISCOGroup")) == (2942, 619)
    wire = next(r for r in records if r.uri == WIRE_DRAWER)
    assert wire.isco_code == "8121"  # from the iscoGroup column
    assert wire.alt_labels_en[:3] == (
        "metal drawing machine technician",
        "metal drawing machine operative",
        "wire drawer",
    )
    assert all("\n" not in label for r in records for label in r.alt_labels_en)
    assert wire.preferred_label_da is None  # English export only
    c0 = next(r for r in records if r.uri == "http://data.europa.eu/esco/isco/C0")
    assert (c0.isco_code, c0.preferred_label_en) == ("0", "Armed forces occupations")  # `code`
    # Folder and file give the same concepts.
    assert {r.uri for r in parse_esco_csv(shared_data / "esco")} == {r.uri for r in records}


def test_parse_disco(shared_data: Path) -> None:
    path = shared_data / "disco08" / "disco08.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfSEKVENS;")  # the real file has a BOM
    records = parse_disco_csv(path)
    assert len(records) == 1171
    assert (records[0].code, records[0].level, records[0].title_da) == ("1", 1, "Ledelsesarbejde")
    levels = {r.level for r in records}
    assert levels == {1, 2, 3, 4, 5}
    assert {len(r.code) for r in records if r.level == 5} == {6}
    assert all(r.code.isdigit() and '"' not in r.code for r in records)


def test_parse_disco_with_and_without_bom(tmp_path: Path) -> None:
    with_bom = FIXTURES / "disco_small.csv"
    assert with_bom.read_bytes().startswith(b"\xef\xbb\xbf")
    without_bom = tmp_path / "disco.csv"
    without_bom.write_bytes(with_bom.read_bytes()[3:])
    assert parse_disco_csv(with_bom) == parse_disco_csv(without_bom)
    records = parse_disco_csv(with_bom)
    assert [(r.code, r.level) for r in records] == [
        ("9", 1),
        ("93", 2),
        ("933", 3),
        ("9333", 4),
        ("933310", 5),
    ]
    assert records[3].includes == "Lagermand"


def test_detect_format(shared_data: Path) -> None:
    assert detect_format(shared_data / "esco" / "occupations_da_en.tsv") == "esco_tsv"
    assert detect_format(shared_data / "esco" / "occupations_en.csv") == "esco_csv"
    assert detect_format(shared_data / "esco" / "ISCOGroups_en.csv") == "esco_csv"
    assert detect_format(shared_data / "esco") == "esco_csv"
    assert detect_format(shared_data / "disco08" / "disco08.csv") == "disco_csv"
    assert detect_format(FIXTURES / "good.tsv") == "esco_tsv"
    assert detect_format(FIXTURES / "disco_small.csv") == "disco_csv"


def test_detect_format_reads_the_header_not_the_name(tmp_path: Path) -> None:
    disguised = tmp_path / "occupations_en.csv"
    disguised.write_bytes((FIXTURES / "good.tsv").read_bytes())
    assert detect_format(disguised) == "esco_tsv"
    tsv_named = tmp_path / "dst.tsv"
    tsv_named.write_bytes((FIXTURES / "disco_small.csv").read_bytes())
    assert detect_format(tsv_named) == "disco_csv"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.tsv", "the file is empty"),
        ("binary.tsv", "binary file"),
        ("wrong_columns.csv", "unknown taxonomy format; expected an ESCO TSV"),
        ("missing_columns.tsv", "ESCO TSV header lacks column(s) altLabels_en, preferredLabel_da"),
    ],
)
def test_detect_format_refuses_unknown_files(name: str, message: str) -> None:
    path = FIXTURES / name
    with pytest.raises(ImportFormatError) as info:
        detect_format(path)
    text = str(info.value)
    assert message in text and str(path) in text
    assert "\n" not in text


def test_detect_format_refuses_a_folder_without_an_export(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="no ESCO export"):
        detect_format(tmp_path)


# --- importing the real files ------------------------------------------------------------------


def test_import_is_idempotent_and_keeps_danish_labels(session: Session, shared_data: Path) -> None:
    tsv = shared_data / "esco" / "occupations_da_en.tsv"
    first = import_taxonomy(session, tsv)
    assert (first.source_format, first.inserted, first.updated, first.unchanged) == (
        "esco_tsv",
        3561,
        0,
        0,
    )
    assert len(first.sha256) == 64
    assert count(session, Occupation) == 3561
    assert session.scalar(select(func.count()).where(Occupation.concept_type == "ISCOGroup")) == 619
    wire = occupation(session, WIRE_DRAWER)
    assert wire.preferred_label_da == "operatør af trækpresse - metal"
    assert wire.label == "operatør af trækpresse - metal"
    assert wire.version_id == first.version_id

    again = import_taxonomy(session, tsv)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3561)
    assert again.sha256 == first.sha256 and again.version_id != first.version_id

    english = import_taxonomy(session, shared_data / "esco" / "occupations_en.csv")
    assert english.source_format == "esco_csv"
    assert (english.inserted, english.updated, english.unchanged) == (0, 0, 3561)
    session.expire_all()
    wire = occupation(session, WIRE_DRAWER)
    assert wire.preferred_label_da == "operatør af trækpresse - metal"
    assert "trådtrækker" in wire.alt_labels_da
    assert count(session, Occupation) == 3561
    assert count(session, TaxonomyVersion) == 3
    versions = session.scalars(select(TaxonomyVersion).order_by(TaxonomyVersion.id)).all()
    assert [(v.source, v.concept_count) for v in versions] == [
        ("esco_tsv", 3561),
        ("esco_tsv", 3561),
        ("esco_csv", 3561),
    ]
    assert versions[0].sha256 == first.sha256


def test_import_esco_csv_into_empty_database(session: Session, shared_data: Path) -> None:
    report = import_taxonomy(session, shared_data / "esco")
    assert (report.inserted, report.updated) == (2942 + 619, 0)
    wire = occupation(session, WIRE_DRAWER)
    assert wire.preferred_label_da is None and wire.label == "metal drawing machine operator"
    assert wire.alt_labels_en[2] == "wire drawer"


def test_import_disco(session: Session, shared_data: Path) -> None:
    disco = shared_data / "disco08" / "disco08.csv"
    report = import_taxonomy(session, disco)
    assert (report.source_format, report.inserted, report.updated) == ("disco_csv", 1171, 0)
    assert count(session, DiscoGroup) == 1171
    top = session.get(DiscoGroup, "1")
    assert (top.level, top.title_da) == (1, "Ledelsesarbejde")
    assert session.get(DiscoGroup, "8121").level == 4
    again = import_taxonomy(session, disco)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1171)


def test_import_loads_existing_rows_once(session: Session, shared_data: Path) -> None:
    tsv = shared_data / "esco" / "occupations_da_en.tsv"
    import_taxonomy(session, tsv)
    with counted_selects(session) as selects:
        report = import_taxonomy(session, tsv)
    assert report.unchanged == 3561
    assert len(selects) <= 3, selects  # one load of the table, not one SELECT per concept


# --- small hand-made files ---------------------------------------------------------------------


def test_a_good_small_file_imports_cleaned(session: Session) -> None:
    report = import_taxonomy(session, FIXTURES / "good.tsv")
    assert report.inserted == 3
    porter = occupation(session, PORTER)
    # Whitespace stripped, empty alt labels dropped, duplicates removed in order.
    assert porter.alt_labels_en == ["carrier", "lifter"]
    assert porter.alt_labels_da == ["bærer"]
    assert porter.preferred_label_da == "portør"
    wire = occupation(session, "http://example.org/esco/occupation/2")
    assert wire.description_en == 'Draws "wire".' and wire.alt_labels_en == []
    group = occupation(session, "http://example.org/esco/isco/C93")
    assert (group.concept_type, group.isco_code) == ("ISCOGroup", "93")


def test_english_and_danish_csv_exports_are_merged(session: Session) -> None:
    folder = FIXTURES / "esco_csv_bilingual"
    # English and Danish files are read, the German one is skipped.
    assert sorted(f.name for f in esco_csv_files(folder)) == [
        "ISCOGroups_en.csv",
        "occupations_da.csv",
        "occupations_en.csv",
    ]
    # Pointing at the English occupations file finds the Danish export beside it too.
    by_file = parse_esco_csv(folder / "occupations_en.csv")
    assert by_file == parse_esco_csv(folder)
    porter = next(r for r in by_file if r.uri == PORTER)
    assert porter.preferred_label_en == "porter CSV"
    assert porter.alt_labels_en == ("carrier", "lifter", "baggage porter")
    assert porter.preferred_label_da == "portør"
    assert porter.alt_labels_da == ("bærer", "hotelportør")
    assert porter.description_en == "Carries things."
    assert len(by_file) == 3


def test_english_csv_after_tsv_updates_english_but_keeps_danish(
    session: Session, tmp_path: Path
) -> None:
    import_taxonomy(session, FIXTURES / "good.tsv")
    english_only = tmp_path / "occupations_en.csv"
    english_only.write_bytes((FIXTURES / "esco_csv_bilingual" / "occupations_en.csv").read_bytes())
    report = import_taxonomy(session, english_only)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)  # wire drawer: same
    porter = occupation(session, PORTER)
    assert porter.preferred_label_en == "porter CSV"
    assert porter.alt_labels_en == ["carrier", "lifter", "baggage porter"]
    assert (porter.preferred_label_da, porter.alt_labels_da) == ("portør", ["bærer"])
    wire = occupation(session, "http://example.org/esco/occupation/2")
    assert wire.preferred_label_da == "trådtrækker"
    assert wire.description_en == 'Draws "wire".'  # not blanked by the empty CSV description
    assert porter.version_id == report.version_id


def test_source_format_override(session: Session) -> None:
    with pytest.raises(ImportFormatError, match="unknown taxonomy format 'xml'"):
        import_taxonomy(session, FIXTURES / "good.tsv", source_format="xml")
    with pytest.raises(ImportFormatError, match="missing column"):
        import_taxonomy(session, FIXTURES / "good.tsv", source_format="disco_csv")
    assert count(session, TaxonomyVersion) == 0
    assert import_taxonomy(session, FIXTURES / "good.tsv", source_format="esco_tsv").inserted == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.tsv", "the file is empty"),
        ("binary.tsv", "binary file"),
        ("wrong_columns.csv", "unknown taxonomy format"),
        ("missing_columns.tsv", "lacks column(s) altLabels_en"),
        ("bad_isco.tsv", "line 4: ISCO code '93X3' is not 1–4 digits"),
        ("truncated.tsv", "line 3: expected 8 tab-separated fields, found 4"),
        ("bad_uri.tsv", "line 3: concept URI 'www.example.org/6' is not a URI"),
        ("empty_label.tsv", "line 3: the English preferred label is empty"),
        ("duplicate_uri.tsv", "line 4: concept http://example.org/esco/occupation/8 appears twice"),
        ("bad_utf8.tsv", "line 3: not UTF-8 encoded"),
        ("disco_bad_level.csv", "line 3: NIVEAU '9' is not 1–5"),
        ("disco_level_mismatch.csv", "line 3: DISCO code 9333 has 4 digits; level 5 codes have 6"),
        ("esco_csv_truncated/occupations_en.csv", "line 3: malformed row"),
    ],
)
def test_bad_files_are_rejected_whole(session: Session, name: str, message: str) -> None:
    import_taxonomy(session, FIXTURES / "good.tsv")
    import_taxonomy(session, FIXTURES / "disco_small.csv")
    session.flush()
    before = (
        count(session, Occupation),
        count(session, DiscoGroup),
        count(session, TaxonomyVersion),
    )

    bad = FIXTURES / name
    with pytest.raises(ImportFormatError) as info:
        import_taxonomy(session, bad)
    text = str(info.value)
    assert message in text
    assert str(bad) in text and "\n" not in text

    after = (
        count(session, Occupation),
        count(session, DiscoGroup),
        count(session, TaxonomyVersion),
    )
    assert after == before
    # The good rows before the bad one (which change these labels) were not written either.
    session.expire_all()
    assert occupation(session, PORTER).preferred_label_en == "porter"
    assert session.get(DiscoGroup, "9").title_da == "Andet manuelt arbejde"


# --- built-in taxonomy -------------------------------------------------------------------------


def test_builtin_taxonomy(session: Session) -> None:
    records = builtin_records()
    assert len({r.uri for r in records}) == len(records)
    report = install_builtin_taxonomy(session)
    assert report.source_format == "builtin"
    assert report.inserted == len(records) >= 150
    again = install_builtin_taxonomy(session)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(records))
    assert count(session, Occupation) == len(records)

    profile = vocab.OCCUPATIONS[0]
    row = occupation(session, builtin_uri(profile.isco_code, profile.title_da))
    assert row.uri.startswith(f"{BUILTIN_URI_PREFIX}{profile.isco_code}:")
    assert (row.concept_type, row.isco_code) == ("Occupation", profile.isco_code)
    assert (row.preferred_label_da, row.preferred_label_en) == (profile.title_da, profile.title_en)
    assert row.alt_labels_da == list(dict.fromkeys(profile.alt_titles_da))

    sosu = session.scalars(
        select(Occupation).where(Occupation.uri.startswith(BUILTIN_URI_PREFIX + "5322"))
    ).all()
    assert sosu and all(o.preferred_label_da for o in sosu)
    majors = session.scalars(
        select(Occupation).where(Occupation.concept_type == "ISCOGroup").order_by(Occupation.uri)
    ).all()
    assert [o.isco_code for o in majors] == [str(d) for d in range(10)]
    assert [o.uri for o in majors] == [f"http://data.europa.eu/esco/isco/C{d}" for d in range(10)]
    assert majors[1].preferred_label_en == "Managers"
    assert majors[8].preferred_label_en == "Plant and machine operators, and assemblers"
    major_da = getattr(vocab, "ISCO_MAJOR_GROUPS", None)
    if major_da:
        assert [o.preferred_label_da for o in majors] == [major_da[str(d)] for d in range(10)]


def test_builtin_taxonomy_without_danish_major_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(vocab, "ISCO_MAJOR_GROUPS", raising=False)
    majors = [r for r in builtin_records() if r.concept_type == "ISCOGroup"]
    assert len(majors) == 10
    assert all(r.preferred_label_da is None and r.preferred_label_en for r in majors)


def test_esco_import_after_builtin_updates_the_shared_major_groups(
    session: Session, shared_data: Path
) -> None:
    builtin = install_builtin_taxonomy(session)
    report = import_taxonomy(session, shared_data / "esco" / "occupations_da_en.tsv")
    # The ten major groups share ESCO's URIs: updated, not duplicated.
    assert report.inserted + report.updated == 3561
    assert report.inserted == 3561 - 10
    assert count(session, Occupation) == builtin.inserted + 3561 - 10
