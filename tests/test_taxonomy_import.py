"""Taxonomy import: the real ESCO and DISCO-08 files, idempotency, and bad files rejected whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.errors import ImportFormatError
from matching.models import DiscoGroup, Occupation, TaxonomyVersion
from matching.taxonomy.builtin import BUILTIN_URI_PREFIX, builtin_records
from matching.taxonomy.importer import import_taxonomy, install_builtin_taxonomy
from matching.taxonomy.parsers import (
    ESCO_TSV_COLUMNS,
    detect_format,
    parse_disco_csv,
    parse_esco_csv,
    parse_esco_tsv,
)

WIRE_DRAWER = "http://data.europa.eu/esco/occupation/000e93a3-d956-4e45-aacb-f12c83fedf84"
TSV_HEADER = "\t".join(ESCO_TSV_COLUMNS)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def tsv_row(uri: str = "http://x/occupation/1", isco: str = "9333", label: str = "porter") -> str:
    return "\t".join([uri, "Occupation", isco, label, "carrier | lifter", "portør", "", "Carries."])


def test_parse_esco_tsv(shared_data: Path) -> None:
    records = parse_esco_tsv(shared_data / "esco" / "occupations_da_en.tsv")
    kinds = [r.concept_type for r in records]
    assert (kinds.count("Occupation"), kinds.count("ISCOGroup")) == (2942, 619)
    wire = next(r for r in records if r.uri == WIRE_DRAWER)
    assert wire.isco_code == "8121"
    assert wire.preferred_label_da == "operatør af trækpresse - metal"
    assert wire.alt_labels_da[:2] == ("procesoperatør", "stansemaskineoperatør")
    assert "wire drawer" in wire.alt_labels_en
    assert all(" | " not in label for r in records for label in r.alt_labels_en)


def test_parse_official_esco_csv_export(shared_data: Path) -> None:
    records = parse_esco_csv(shared_data / "esco" / "occupations_en.csv")
    groups = [r for r in records if r.concept_type == "ISCOGroup"]
    assert len(groups) == 619  # ISCOGroups_en.csv beside it is read too
    wire = next(r for r in records if r.uri == WIRE_DRAWER)
    assert wire.alt_labels_en[:3] == (
        "metal drawing machine technician",
        "metal drawing machine operative",
        "wire drawer",
    )
    assert wire.preferred_label_da is None


def test_parse_disco(shared_data: Path) -> None:
    records = parse_disco_csv(shared_data / "disco08" / "disco08.csv")
    assert len(records) == 1171
    assert records[0].code == "1" and records[0].title_da == "Ledelsesarbejde"
    assert {r.level for r in records} == {1, 2, 3, 4, 5}
    assert all(len(r.code) <= 6 and r.code.isdigit() for r in records)


def test_detect_format(shared_data: Path) -> None:
    assert detect_format(shared_data / "esco" / "occupations_da_en.tsv") == "esco_tsv"
    assert detect_format(shared_data / "esco" / "occupations_en.csv") == "esco_csv"
    assert detect_format(shared_data / "esco" / "ISCOGroups_en.csv") == "esco_csv"
    assert detect_format(shared_data / "esco") == "esco_csv"
    assert detect_format(shared_data / "disco08" / "disco08.csv") == "disco_csv"


def test_import_is_idempotent_and_keeps_danish_labels(session: Session, shared_data: Path) -> None:
    tsv = shared_data / "esco" / "occupations_da_en.tsv"
    first = import_taxonomy(session, tsv)
    assert (first.inserted, first.updated) == (3561, 0)
    again = import_taxonomy(session, tsv)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3561)

    english = import_taxonomy(session, shared_data / "esco" / "occupations_en.csv")
    assert english.inserted == 0 and english.updated == 0
    wire = session.scalar(select(Occupation).where(Occupation.uri == WIRE_DRAWER))
    assert wire.preferred_label_da == "operatør af trækpresse - metal"
    assert "trådtrækker" in wire.alt_labels_da
    assert count(session, TaxonomyVersion) == 3

    disco = import_taxonomy(session, shared_data / "disco08" / "disco08.csv")
    assert disco.inserted == 1171
    assert session.get(DiscoGroup, "8121").title_da


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary"),
        (b"name,age\nx,1\n", "unknown taxonomy format"),
        ("conceptUri\tconceptType\tæøå\n".encode("latin-1"), "not UTF-8"),
        (f"{TSV_HEADER}\n{tsv_row()}\n{tsv_row('http://x/occupation/2', '93X3')}\n".encode(),
         "line 3: ISCO code '93X3' is not 1–4 digits"),
        (f"{TSV_HEADER}\n{tsv_row()}\nhttp://x/occupation/3\tOccupation\t9333\n".encode(),
         "line 3: expected 8 tab-separated fields"),
        (f"{TSV_HEADER}\n{tsv_row('ftp-nonsense')}\n".encode(), "is not a URI"),
        (f"{TSV_HEADER}\n{tsv_row(label='')}\n".encode(), "English preferred label is empty"),
        (f"{TSV_HEADER}\n{tsv_row()}\n{tsv_row()}\n".encode(), "appears twice"),
        (b"SEKVENS;KODE;NIVEAU;TITEL\n1;\"1\";9;Ledelse\n", "NIVEAU '9' is not 1–5"),
    ],
)  # fmt: skip
def test_bad_files_are_rejected_whole(
    session: Session, tmp_path: Path, content: bytes, message: str
) -> None:
    before = (
        count(session, Occupation),
        count(session, DiscoGroup),
        count(session, TaxonomyVersion),
    )
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(content)
    with pytest.raises(ImportFormatError) as info:
        import_taxonomy(session, bad)
    assert message in str(info.value)
    assert str(bad) in str(info.value)
    after = (
        count(session, Occupation),
        count(session, DiscoGroup),
        count(session, TaxonomyVersion),
    )
    assert after == before


def test_a_good_small_file_imports(session: Session, tmp_path: Path) -> None:
    good = tmp_path / "small.tsv"
    good.write_text(f"{TSV_HEADER}\n{tsv_row()}\n", encoding="utf-8")
    report = import_taxonomy(session, good)
    assert report.inserted == 1
    porter = session.scalar(select(Occupation).where(Occupation.uri == "http://x/occupation/1"))
    assert porter.alt_labels_en == ["carrier", "lifter"] and porter.preferred_label_da == "portør"


def test_builtin_taxonomy(session: Session) -> None:
    records = builtin_records()
    assert len({r.uri for r in records}) == len(records)
    report = install_builtin_taxonomy(session)
    assert report.inserted == len(records) >= 150
    assert install_builtin_taxonomy(session).inserted == 0
    sosu = session.scalars(
        select(Occupation).where(Occupation.uri.startswith(BUILTIN_URI_PREFIX + "5322"))
    ).all()
    assert sosu and all(o.preferred_label_da for o in sosu)
    majors = session.scalars(select(Occupation).where(Occupation.concept_type == "ISCOGroup")).all()
    assert sorted(o.isco_code for o in majors) == [str(d) for d in range(10)]
