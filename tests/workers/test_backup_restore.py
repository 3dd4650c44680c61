"""The restore drill: data is seeded, backed up with `jobbro backup`, restored with
`jobbro restore` into an empty database (a new SQLite file, or a new PostgreSQL database when
the suite runs on PostgreSQL) and a new data folder, and compared: the row count of every
table, 20 people with their CV and decrypted CPR number, the vector index and the export files.
A restore refuses a non-empty target, a changed file and a schema revision it does not know."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, selectinload

from embeddings.index import VectorIndex
from matching.core.audit import Actor, record
from matching.core.db import make_engine
from matching.core.migrate import upgrade
from matching.core.security import cpr_lookup_hash, decrypt_cpr, encrypt_cpr
from matching.core.settings import Settings
from matching.models import CV, AuditAction, Jobseeker, OrgKind, Role
from tests.factories import Factory
from workers.backup import row_counts
from workers.cli import main

PEOPLE = 24
SECRET = "backup-drill-secret-key-0123456789abcdefgh"
MODEL = "drill-model-v1"


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return {
        "JOBBRO_ENV": "test",
        "JOBBRO_DATA_DIR": str(data_dir),
        "JOBBRO_DATABASE_URL": url,
        "JOBBRO_SECRET_KEY": SECRET,
    }


@pytest.fixture
def empty_target(committed_database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into: a new SQLite file, or a new PostgreSQL database with
    the source's schema name on its search path (made here, dropped afterwards)."""
    if committed_database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(committed_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(committed_database_url).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def source(
    committed_database_url: str, tmp_path: Path, password_hash: str
) -> Iterator[tuple[Settings, Engine]]:
    settings = Settings.from_env(_env(committed_database_url, tmp_path / "source"))
    engine = make_engine(settings)
    upgrade(engine)
    with Session(engine) as session:
        make = Factory(session, password_hash)
        jobcentre = make.organisation(OrgKind.JOBCENTRE)
        counsellor = make.user((jobcentre, Role.COUNSELLOR))
        for n in range(PEOPLE):
            person = make.jobseeker(jobcentre, with_cv=n % 3 != 2)
            cpr = f"{n % 28 + 1:02d}0390{2000 + n}"
            person.cpr_encrypted = encrypt_cpr(settings.cpr_key, cpr)
            person.cpr_lookup = cpr_lookup_hash(settings.cpr_key, cpr)
            record(
                session,
                Actor(counsellor.id, jobcentre.id, Role.COUNSELLOR.value),
                AuditAction.VIEW,
                "jobseeker",
                person.id,
                jobseeker_id=person.id,
                purpose="sagsbehandling",
            )
        session.commit()
    index = VectorIndex(8, MODEL)
    vectors = np.random.default_rng(7).normal(size=(5, 8)).astype(np.float32)
    index.add([11, 12, 13, 14, 15], vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    index.save(settings.data_dir / "index" / "jobseekers")
    settings.export_dir.mkdir(parents=True)
    (settings.export_dir / "fair-7-a1b2c3.csv").write_bytes(b"navn;telefon\nAnna;12345678\n")
    yield settings, engine
    engine.dispose()


def _people(engine: Engine, key: bytes) -> list[tuple]:
    with Session(engine) as session:
        people = session.scalars(
            select(Jobseeker)
            .options(selectinload(Jobseeker.cv).selectinload(CV.experiences))
            .order_by(Jobseeker.id)
            .limit(20)
        ).all()
        return [
            (
                p.id,
                p.pseudonym,
                p.first_name,
                p.last_name,
                p.birth_date,
                decrypt_cpr(key, p.cpr_encrypted),
                p.cv.headline if p.cv else None,
                [e.title for e in p.cv.experiences] if p.cv else None,
            )
            for p in people
        ]


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return row_counts(conn)


@pytest.fixture
def use_env(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    def use(env: dict[str, str]) -> None:
        for name in list(os.environ):
            if name.startswith("JOBBRO_"):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    return use


def test_a_backup_restores_into_an_empty_database_with_every_row_and_file(
    source: tuple[Settings, Engine], empty_target: str, tmp_path: Path, use_env, capsys
) -> None:
    settings, engine = source
    folder = tmp_path / "backups" / "2025-01-31"
    use_env(_env(settings.database_url, settings.data_dir))
    assert main(["backup", str(folder)]) == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"]["rows"]["jobseekers"] == PEOPLE
    assert manifest["database"]["rows"]["audit_log"] == PEOPLE
    assert manifest["database"]["revision"] is not None
    assert {"index/jobseekers/meta.json", "exports/fair-7-a1b2c3.csv"} <= set(manifest["sha256"])
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no leftovers
    assert main(["backup", str(folder)]) == 1  # never written over

    restored_dir = tmp_path / "restored"
    use_env(_env(empty_target, restored_dir))
    capsys.readouterr()
    assert main(["restore", str(folder)]) == 0, capsys.readouterr().err
    target = make_engine(Settings.from_env(_env(empty_target, restored_dir)))
    try:
        source_counts = _counts(engine)
        assert _counts(target) == source_counts == manifest["database"]["rows"]
        assert len(source_counts) > 20 and source_counts["cvs"] == 16
        sample = _people(target, settings.cpr_key)
        assert len(sample) == 20 and sample == _people(engine, settings.cpr_key)
        assert sample[0][5] == "01039020" + "00"  # the CPR number itself, decrypted
        index = VectorIndex.load(
            restored_dir / "index" / "jobseekers", expected_model_version=MODEL
        )
        assert sorted(index.ids().tolist()) == [11, 12, 13, 14, 15]
        restored_export = restored_dir / "exports" / "fair-7-a1b2c3.csv"
        assert restored_export.read_bytes() == b"navn;telefon\nAnna;12345678\n"

        # A second restore into the now non-empty database is refused without --force.
        assert main(["restore", str(folder)]) == 1
        assert "not empty" in capsys.readouterr().err
        with Session(target) as session:
            session.get(Jobseeker, sample[0][0]).first_name = "Ændret"
            session.commit()
        target.dispose()
        assert main(["restore", str(folder), "--force"]) == 0, capsys.readouterr().err
        assert _people(target, settings.cpr_key) == sample
        assert _counts(target) == source_counts
    finally:
        target.dispose()


def test_a_restore_refuses_a_changed_file_and_an_unknown_schema_revision(
    source: tuple[Settings, Engine], empty_target: str, tmp_path: Path, use_env, capsys
) -> None:
    settings, engine = source
    folder = tmp_path / "backup"
    use_env(_env(settings.database_url, settings.data_dir))
    assert main(["backup", str(folder)]) == 0
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    use_env(_env(empty_target, tmp_path / "restored"))
    capsys.readouterr()

    changed = folder / "exports" / "fair-7-a1b2c3.csv"
    original = changed.read_bytes()
    changed.write_bytes(original.replace(b"Anna", b"Anne"))
    assert main(["restore", str(folder)]) == 1
    assert "exports/fair-7-a1b2c3.csv does not match its checksum" in capsys.readouterr().err
    changed.write_bytes(original)

    newer = manifest | {"database": manifest["database"] | {"revision": "0999_from_the_future"}}
    manifest_path.write_text(json.dumps(newer))
    assert main(["restore", str(folder)]) == 1
    assert "0999_from_the_future is unknown" in capsys.readouterr().err

    target = make_engine(Settings.from_env(_env(empty_target, tmp_path / "restored")))
    try:
        assert _counts(target) == {}  # nothing was changed by the refused restores
    finally:
        target.dispose()


def test_a_missing_postgresql_client_is_named_with_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workers import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(
        backup.BackupError, match="pg_dump was not found on PATH.*postgresql-client"
    ):
        backup._tool("pg_dump")
