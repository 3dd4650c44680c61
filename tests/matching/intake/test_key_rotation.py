"""Rotating the CPR key: every CPR number, look-up hash, CV draft and import file ends under the
new key; the portal reads every row meanwhile (the previous key as a fallback); an interrupted
rotation completes when run again; a row under neither key is reported.

The rotation commits batch by batch, so these tests use a private database whose rows really
commit (a SQLite file, or a PostgreSQL schema when the suite runs on PostgreSQL)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from matching.core.db import make_engine
from matching.core.errors import ConfigError
from matching.core.keys import CprKey
from matching.core.security import cpr_birth_date, cpr_lookup_hash, decrypt_cpr, encrypt_cpr
from matching.core.settings import Settings
from matching.intake import drafts
from matching.intake.import_runs import decrypt_file, encrypt_file
from matching.intake.imports import _existing_by_current_lookup
from matching.intake.key_rotation import rotate_cpr_key
from matching.intake.registration import find_by_cpr
from matching.models import (
    Base,
    CVDraft,
    ImportStatus,
    Jobseeker,
    Organisation,
    OrgKind,
    PersonImport,
    utcnow,
)
from workers.cli import main

OLD, NEW, STRANGER = (bytes([n]) * 32 for n in (1, 2, 3))
CPRS = [f"{day:02d}0185{1000 + day}" for day in range(1, 8)]  # seven people


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


@pytest.fixture
def engine(committed_database_url: str, tmp_path: Path) -> Iterator[Engine]:
    settings = Settings.from_env(
        {
            "JOBBRO_ENV": "test",
            "JOBBRO_DATA_DIR": str(tmp_path),
            "JOBBRO_DATABASE_URL": committed_database_url,
            "JOBBRO_SECRET_KEY": "rotation-test-secret-key-0123456789abcdef",
        }
    )
    engine = make_engine(settings)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _seed(engine: Engine, key: bytes) -> dict[str, int]:
    """Seven people under ``key``, a CV draft of the first and a queued import file."""
    with Session(engine) as session:
        org = Organisation(kind=OrgKind.JOBCENTRE, name="Jobcenter Rotation")
        session.add(org)
        people = {}
        for n, cpr in enumerate(CPRS):
            person = Jobseeker(
                pseudonym=f"ROT-{n}",
                first_name="Anna",
                last_name=f"Rotation{n}",
                postal_code="5000",
                birth_date=cpr_birth_date(cpr),
                cpr_encrypted=encrypt_cpr(key, cpr),
                cpr_lookup=cpr_lookup_hash(key, cpr),
            )
            session.add(person)
            people[cpr] = person
        session.flush()
        first = people[CPRS[0]]
        session.add(
            CVDraft(
                jobseeker_id=first.id,
                organisation_id=org.id,
                file_name="cv.txt",
                media_type="text/plain",
                size_bytes=4,
                file_encrypted=drafts._encrypt(key, b"fil!", drafts._aad(first.id, "file")),
                text_encrypted=drafts._encrypt(key, b"tekst", drafts._aad(first.id, "text")),
                expires_at=utcnow(),
            )
        )
        upload = PersonImport(
            organisation_id=org.id,
            file_name="ledige.csv",
            file_format="csv",
            file_encrypted=b"",
            status=ImportStatus.QUEUED,
        )
        session.add(upload)
        session.flush()
        upload.file_encrypted = encrypt_file(key, upload.id, b"cpr;fornavn\n")
        session.commit()
        return {cpr: p.id for cpr, p in people.items()} | {"import": upload.id}


def _under(key: bytes, blob: bytes) -> bool:
    try:
        decrypt_cpr(key, blob)
    except InvalidTag:
        return False
    return True


def _assert_all_under_new_only(engine: Engine, ids: dict[str, int]) -> None:
    with Session(engine) as session:
        for cpr in CPRS:
            person = session.get(Jobseeker, ids[cpr])
            assert decrypt_cpr(NEW, person.cpr_encrypted) == cpr
            assert not _under(OLD, person.cpr_encrypted)
            assert person.cpr_lookup == cpr_lookup_hash(NEW, cpr)
            assert find_by_cpr(session, NEW, cpr) is person  # the new key alone finds everyone
        draft = session.scalars(select(CVDraft)).one()
        assert drafts.draft_text(draft, NEW) == "tekst"
        assert drafts.draft_file(draft, NEW) == b"fil!"
        with pytest.raises(InvalidTag):
            drafts.draft_text(draft, OLD)
        upload = session.get(PersonImport, ids["import"])
        assert decrypt_file(NEW, upload.id, upload.file_encrypted) == b"cpr;fornavn\n"
        with pytest.raises(InvalidTag):
            decrypt_file(OLD, upload.id, upload.file_encrypted)


def test_rotation_puts_every_value_under_the_new_key_and_everyone_is_still_found(
    engine: Engine,
) -> None:
    ids = _seed(engine, OLD)
    report = rotate_cpr_key(sessionmaker(engine), new_key=NEW, old_keys=[OLD], batch_size=2)
    assert report.complete
    assert report.rotated == {"jobseekers": 7, "cv_drafts": 1, "person_imports": 1}
    _assert_all_under_new_only(engine, ids)


def test_an_interrupted_rotation_completes_when_run_again_and_rows_are_read_meanwhile(
    engine: Engine,
) -> None:
    ids = _seed(engine, OLD)

    def crash_after_first_batch(table: str, last_id: int, report: object) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        rotate_cpr_key(
            sessionmaker(engine),
            new_key=NEW,
            old_keys=[OLD],
            batch_size=2,
            after_batch=crash_after_first_batch,
        )
    rotating = CprKey(NEW, [OLD])  # the portal's key during the rotation
    with Session(engine) as session:
        people = [session.get(Jobseeker, ids[cpr]) for cpr in CPRS]
        under_new = [p.id for p in people if _under(NEW, p.cpr_encrypted)]
        assert under_new == [ids[CPRS[0]], ids[CPRS[1]]]  # the first committed batch only
        for cpr, person in zip(CPRS, people, strict=True):
            assert decrypt_cpr(rotating, person.cpr_encrypted) == cpr
            assert find_by_cpr(session, rotating, cpr) is person
            # The bulk import finds the stored person whichever key the row is under.
            lookup = cpr_lookup_hash(rotating, cpr)
            assert _existing_by_current_lookup(session, rotating, [(cpr, lookup)]) == {
                lookup: person
            }
            assert find_by_cpr(session, NEW, cpr) is (person if person.id in under_new else None)

    again = rotate_cpr_key(sessionmaker(engine), new_key=NEW, old_keys=[OLD], batch_size=2)
    assert again.complete
    assert again.current["jobseekers"] == 2 and again.rotated["jobseekers"] == 5
    _assert_all_under_new_only(engine, ids)


def test_a_row_under_neither_key_is_reported_not_skipped(engine: Engine) -> None:
    ids = _seed(engine, OLD)
    with Session(engine) as session:
        stranger = session.get(Jobseeker, ids[CPRS[3]])
        stranger.cpr_encrypted = encrypt_cpr(STRANGER, CPRS[3])
        session.commit()
    report = rotate_cpr_key(sessionmaker(engine), new_key=NEW, old_keys=[OLD], batch_size=2)
    assert not report.complete
    assert [(f.table, f.row_id) for f in report.failures] == [("jobseekers", ids[CPRS[3]])]
    assert report.rotated["jobseekers"] == 6
    with Session(engine) as session:  # left as it was, for the right key to rotate later
        assert _under(STRANGER, session.get(Jobseeker, ids[CPRS[3]]).cpr_encrypted)


@pytest.fixture
def cli_env(
    engine: Engine, committed_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    for name in list(os.environ):
        if name.startswith("JOBBRO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JOBBRO_ENV", "test")
    monkeypatch.setenv("JOBBRO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JOBBRO_DATABASE_URL", committed_database_url)
    monkeypatch.setenv("JOBBRO_SECRET_KEY", "rotation-test-secret-key-0123456789abcdef")
    return tmp_path


def test_the_command_rotates_from_the_previous_key_and_names_unreadable_rows(
    engine: Engine, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    ids = _seed(engine, OLD)
    with Session(engine) as session:
        session.get(Jobseeker, ids[CPRS[5]]).cpr_encrypted = encrypt_cpr(STRANGER, CPRS[5])
        session.commit()
    monkeypatch.setenv("JOBBRO_CPR_KEY", _b64(NEW))
    assert main(["keys", "rotate-cpr"]) == 1  # no previous key: nothing to rotate from
    monkeypatch.setenv("JOBBRO_CPR_KEY_PREVIOUS", _b64(OLD))
    capsys.readouterr()
    assert main(["keys", "rotate-cpr", "--batch-size", "3"]) == 1
    err = capsys.readouterr().err
    assert f"jobseekers id {ids[CPRS[5]]}: decrypts under none of the keys" in err
    monkeypatch.setenv("JOBBRO_CPR_KEY_PREVIOUS", _b64(STRANGER))  # the key it was under
    assert main(["keys", "rotate-cpr"]) == 0
    assert "JOBBRO_CPR_KEY_PREVIOUS can be removed" in capsys.readouterr().out
    _assert_all_under_new_only(engine, ids)


def test_the_command_takes_the_new_key_from_a_private_file(
    engine: Engine, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _seed(engine, OLD)
    key_file = cli_env / "new-cpr.key"
    assert main(["keys", "new-cpr-key", str(key_file)]) == 0
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert main(["keys", "new-cpr-key", str(key_file)]) == 1  # never overwritten
    new_key = base64.urlsafe_b64decode(key_file.read_text().strip())
    monkeypatch.setenv("JOBBRO_CPR_KEY", _b64(OLD))
    assert main(["keys", "rotate-cpr", "--new-key-file", str(key_file)]) == 0
    with Session(engine) as session:
        for cpr in CPRS:
            assert find_by_cpr(session, new_key, cpr).id == ids[cpr]


def test_the_previous_key_setting_is_read_checked_and_never_shown(tmp_path: Path) -> None:
    env = {
        "JOBBRO_ENV": "test",
        "JOBBRO_DATA_DIR": str(tmp_path),
        "JOBBRO_SECRET_KEY": "rotation-test-secret-key-0123456789abcdef",
        "JOBBRO_CPR_KEY": _b64(NEW),
    }
    plain = Settings.from_env(env)
    assert plain.cpr_key == NEW and plain.cpr_key.previous == ()
    rotating = Settings.from_env(env | {"JOBBRO_CPR_KEY_PREVIOUS": _b64(OLD)})
    assert rotating.cpr_key == NEW and rotating.cpr_key.previous == (OLD,)
    assert _b64(NEW) not in repr(rotating) and repr(NEW) not in repr(rotating)
    with pytest.raises(ConfigError, match="JOBBRO_CPR_KEY_PREVIOUS"):
        Settings.from_env(env | {"JOBBRO_CPR_KEY_PREVIOUS": "too-short"})
