"""The audit log is tamper-evident: an entry edited, deleted or slipped in by someone with the
database's own rights (the append-only triggers switched off, as a DBA can) is found by
`jobbro audit verify`, naming the broken seal's range; an untouched log, or one with a gap left
by a rolled-back transaction, verifies. Real commits throughout, on both databases."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from matching.core.audit import Actor, record
from matching.core.audit_seals import COLUMNS, GENESIS, seal_key, seal_pending, verify
from matching.core.db import make_engine
from matching.core.migrate import upgrade
from matching.core.settings import Settings
from matching.models import AuditAction, AuditEntry, AuditLogIsAppendOnly, AuditSeal
from workers import jobs, runtime
from workers.cli import main

SECRET = "audit-seal-secret-key-0123456789abcdefghij"
KEY = seal_key(SECRET)
ACTOR = Actor(user_id=7, organisation_id=3, role="counsellor", ip_address="10.0.0.9")


@pytest.fixture
def env(committed_database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "JOBBRO_ENV": "test",
        "JOBBRO_DATA_DIR": str(tmp_path),
        "JOBBRO_DATABASE_URL": committed_database_url,
        "JOBBRO_SECRET_KEY": SECRET,
    }


@pytest.fixture
def committed(env: dict[str, str]) -> Iterator[Engine]:
    engine = make_engine(Settings.from_env(env))
    upgrade(engine)
    yield engine
    engine.dispose()


def _write(engine: Engine, count: int, start: int = 0) -> None:
    with Session(engine) as session, session.begin():
        for n in range(start, start + count):
            record(
                session, ACTOR, AuditAction.VIEW, "jobseeker", n, jobseeker_id=n,
                purpose="sagsbehandling", details={"søgning": f"Sø{n}", "a": [n, None]},
            )  # fmt: skip


def _seal(engine: Engine, **kwargs: object) -> list[AuditSeal]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return seal_pending(session, KEY, **kwargs)


def _verify(engine: Engine, **kwargs: object):  # noqa: ANN202
    with Session(engine) as session:
        return verify(session, [KEY], **kwargs)


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT id FROM audit_log ORDER BY id")))


# The append-only guards of migrations 0001 and 0011, as the attacker switches them off.
_SQLITE_GUARDS = {
    f"{table}_no_{verb.lower()}": (
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    )
    for table in ("audit_log", "audit_seals")
    for verb in ("UPDATE", "DELETE")
}


def _as_dba(engine: Engine, table: str, *statements: str) -> None:
    """Run ``statements`` with ``table``'s append-only trigger switched off, then switch it on."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
            for statement in statements:
                conn.execute(text(statement))
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
        else:
            guards = {n: sql for n, sql in _SQLITE_GUARDS.items() if n.startswith(table)}
            for name in guards:
                conn.execute(text(f"DROP TRIGGER {name}"))
            for statement in statements:
                conn.execute(text(statement))
            for sql in guards.values():
                conn.execute(text(sql))
    # The guard is back (a row trigger has nothing to refuse in an empty table).
    with engine.connect() as conn:
        rows = conn.scalar(text(f"SELECT count(*) FROM {table}"))
    if rows:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table}"))


def test_every_column_of_the_audit_log_is_sealed() -> None:
    assert set(COLUMNS) == set(AuditEntry.__table__.columns.keys())


def test_an_untouched_log_verifies_and_sealing_is_incremental_and_idempotent(
    committed: Engine,
) -> None:
    assert _seal(committed) == []  # nothing to seal yet
    _write(committed, 5)
    first = _seal(committed)
    assert [(s.first_id, s.last_id, s.row_count) for s in first] == [(1, 5, 5)]
    assert first[0].previous_hash == GENESIS
    assert _seal(committed) == []  # idempotent
    _write(committed, 3, start=5)
    second = _seal(committed)
    assert [(s.first_id, s.last_id, s.row_count) for s in second] == [(6, 8, 3)]
    assert second[0].previous_hash == first[0].hash
    _write(committed, 1, start=8)

    result = _verify(committed)
    assert result.ok, result.broken
    assert (result.seals, result.rows, result.unsealed_rows) == (2, 8, 1)
    assert result.latest is not None and result.latest.hash == second[0].hash


def test_a_long_log_is_sealed_in_bounded_seals(committed: Engine) -> None:
    _write(committed, 7)
    seals = _seal(committed, max_rows=3)
    ranges = [(s.first_id, s.last_id, s.row_count) for s in seals]
    assert ranges == [(1, 3, 3), (4, 6, 3), (7, 7, 1)]
    assert _verify(committed).ok


_ROW = (
    "INSERT INTO audit_log (id, at, action, object_type, purpose, details, note) "
    "VALUES ({id}, CURRENT_TIMESTAMP, 'view', 'jobseeker', '', '{{}}', '')"
)


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE audit_log SET note = 'ingen adgang' WHERE id = 7",
        "UPDATE audit_log SET actor_id = 99 WHERE id = 7",
        "UPDATE audit_log SET jobseeker_id = NULL WHERE id = 7",
        "UPDATE audit_log SET action = 'login' WHERE id = 7",
        "UPDATE audit_log SET at = at - INTERVAL '1 day' WHERE id = 7",
        'UPDATE audit_log SET details = \'{"a": [6, null], "søgning": "Anden"}\' WHERE id = 7',
        "DELETE FROM audit_log WHERE id = 7",
        _ROW.format(id=11),  # into the gap of a sealed range
    ],
    ids=["note", "actor", "person", "action", "time", "details", "deleted", "slipped-in"],
)
def test_a_row_changed_by_a_dba_breaks_its_seal(committed: Engine, change: str) -> None:
    _write(committed, 5)
    _seal(committed)
    _write(committed, 5, start=5)
    with committed.begin() as conn:  # id 11 left out (as a rolled-back transaction does)
        conn.execute(text(_ROW.format(id=12)))
    _seal(committed)
    assert _ids(committed)[-3:] == [9, 10, 12]
    assert _verify(committed).ok
    if committed.dialect.name == "sqlite":
        change = change.replace("at - INTERVAL '1 day'", "datetime(at, '-1 day')")

    _as_dba(committed, "audit_log", change)

    result = _verify(committed)
    assert not result.ok
    assert (result.broken.first_id, result.broken.last_id) == (6, 12)
    assert (result.seals, result.rows) == (1, 5)  # the first seal is intact
    assert "audit ids 6-12" in result.broken.describe()


def test_a_changed_or_deleted_seal_breaks_the_chain(committed: Engine) -> None:
    for start in (0, 3, 6):
        _write(committed, 3, start=start)
        _seal(committed)
    assert _verify(committed).ok

    _as_dba(committed, "audit_seals", "UPDATE audit_seals SET row_count = 2 WHERE first_id = 4")
    assert _verify(committed).broken.first_id == 4
    _as_dba(committed, "audit_seals", "DELETE FROM audit_seals WHERE first_id = 4")
    broken = _verify(committed).broken
    assert (broken.first_id, broken.last_id) == (7, 9)
    assert "does not follow" in broken.reason
    _as_dba(committed, "audit_seals", "DELETE FROM audit_seals WHERE first_id = 1")
    assert "missing" in _verify(committed).broken.reason


def test_seals_made_with_another_key_are_not_accepted(committed: Engine) -> None:
    _write(committed, 2)
    with Session(committed) as session, session.begin():
        seal_pending(session, seal_key("another-secret-key-0123456789abcdefghijkl"))
    result = _verify(committed)
    assert not result.ok and "another key" in result.broken.reason


def test_a_gap_left_by_a_rolled_back_transaction_verifies(committed: Engine) -> None:
    _write(committed, 2)
    with Session(committed) as session:
        record(session, ACTOR, AuditAction.VIEW, "jobseeker", 99)
        session.flush()  # the id is drawn
        session.rollback()
    _write(committed, 2, start=2)
    if committed.dialect.name == "postgresql":  # the sequence skipped the rolled-back id
        assert _ids(committed) == [1, 2, 4, 5]
    seals = _seal(committed)
    assert sum(s.row_count for s in seals) == 4
    result = _verify(committed)
    assert result.ok and result.rows == 4


def test_seals_and_the_log_refuse_changes_through_the_orm_and_the_database(
    committed: Engine,
) -> None:
    _write(committed, 1)
    _seal(committed)
    with Session(committed) as session:
        seal = session.scalars(select(AuditSeal)).one()
        seal.hash = "0" * 64
        with pytest.raises(AuditLogIsAppendOnly):
            session.flush()
    for statement in ("UPDATE audit_seals SET hash = 'x'", "DELETE FROM audit_seals"):
        with pytest.raises(DBAPIError, match="append-only"), committed.begin() as conn:
            conn.execute(text(statement))


@pytest.mark.postgres
def test_a_row_committed_after_a_later_one_is_sealed_with_it_not_cried_wolf(
    committed: Engine,
) -> None:
    """PostgreSQL draws an id at insert and shows the row at commit: an older transaction
    still open must not let a seal skip its row (verify would then find it inside the range)."""
    if committed.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer, which takes the id after the highest committed one")
    _write(committed, 1)
    slow = Session(committed)
    try:
        record(slow, ACTOR, AuditAction.VIEW, "jobseeker", "slow")
        slow.flush()  # id 2 drawn, not committed
        _write(committed, 1, start=3)  # id 3 committed

        assert _seal(committed, wait_seconds=0.2) == []  # postponed while id 2 may still come

        sealed: list[AuditSeal] = []
        sealer = threading.Thread(target=lambda: sealed.extend(_seal(committed, wait_seconds=10)))
        sealer.start()
        time.sleep(0.5)
        assert sealer.is_alive()  # waiting for the slow transaction, not sealing without it
        slow.commit()
    finally:
        slow.close()
    sealer.join(10)
    assert [(s.first_id, s.last_id, s.row_count) for s in sealed] == [(1, 3, 3)]
    assert _verify(committed).ok


def test_the_worker_seals_and_logs_a_daily_checkpoint_that_catches_a_rewritten_chain(
    committed: Engine, env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    runtime.init(Settings.from_env(env), committed)
    _write(committed, 4)
    assert jobs.seal_audit_log() == {"seals": 1, "rows": 4}
    assert jobs.seal_audit_log() == {"seals": 0, "rows": 0}
    _write(committed, 2, start=4)
    with caplog.at_level(logging.INFO, logger="jobbro.audit"):
        result = jobs.checkpoint_audit_log()
    assert result["rows"] == 2
    lines = [r.getMessage() for r in caplog.records if r.name == "jobbro.audit"]
    assert len(lines) == 1 and lines[0] == result["checkpoint"]
    with Session(committed) as session:
        newest = session.scalars(select(AuditSeal).order_by(AuditSeal.id.desc())).first()
    assert f"seal={newest.id} last_id=6 " in lines[0] and lines[0].endswith(f"hash={newest.hash}")
    assert _verify(committed, checkpoint=(newest.id, newest.hash)).ok

    # Someone with the database and the key edits a row and rewrites every seal after it:
    # the chain is consistent again, but not with the checkpoint in the log output.
    _as_dba(committed, "audit_log", "UPDATE audit_log SET note = 'omskrevet' WHERE id = 2")
    _as_dba(committed, "audit_seals", "DELETE FROM audit_seals")
    _seal(committed)
    assert _verify(committed).ok
    broken = _verify(committed, checkpoint=(newest.id, newest.hash)).broken
    assert broken is not None and "checkpoint" in broken.reason


def test_jobbro_audit_verify_exits_1_naming_the_broken_range(
    committed: Engine,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in list(os.environ):
        if name.startswith("JOBBRO_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _write(committed, 3)
    assert main(["audit", "seal"]) == 0
    assert "Sealed 3 audit entries in 1 seal(s)." in capsys.readouterr().out
    _write(committed, 2, start=3)
    assert main(["audit", "seal"]) == 0
    capsys.readouterr()

    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "5 entries in 2 seal(s) verified" in out
    assert main(["audit", "verify", "--from-date", "2000-01-01"]) == 0
    assert main(["audit", "verify", "--from-date", "2999-01-01"]) == 0
    assert "0 entries in 0 seal(s) verified" in capsys.readouterr().out

    _as_dba(committed, "audit_log", "DELETE FROM audit_log WHERE id = 4")
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "audit ids 4-5" in err and "sealed 2 rows, 1 are there now" in err
    assert main(["audit", "verify", "--checkpoint", "nonsense"]) == 2
