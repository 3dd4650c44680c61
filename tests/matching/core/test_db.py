"""The application's SQLite engine beside a concurrent writer (the laptop default)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from matching.core.db import make_engine
from matching.core.settings import Settings


def test_a_request_that_reads_then_writes_survives_another_connections_commit(
    tmp_path: Path,
) -> None:
    # A web request reads (the user), the worker commits a write, the request then writes (its
    # audit row). With transactions begun at the first read, WAL mode refuses that write at
    # once ("database is locked"); the application engine must not do that.
    settings = Settings.from_env(
        {"JOBBRO_ENV": "test", "JOBBRO_DATA_DIR": str(tmp_path), "JOBBRO_SECRET_KEY": "x" * 40}
    )
    engine = make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1, 0)"))
    request, worker = engine.connect(), engine.connect()
    request_tx = request.begin()
    assert request.execute(text("SELECT v FROM t")).scalar() == 0
    with worker.begin():
        worker.execute(text("UPDATE t SET v = v + 1"))
    request.execute(text("UPDATE t SET v = v + 10"))
    request_tx.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT v FROM t")).scalar() == 11
    request.close()
    worker.close()
    engine.dispose()
