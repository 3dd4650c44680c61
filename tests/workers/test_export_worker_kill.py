"""A real worker process is killed in the middle of an export: the export does not stay
"running" for ever. The sweep fails it with a message, a retry queues it again, and the next
worker makes the file.

The worker runs in a subprocess started from a small bootstrap script written by this test: it
slows the CSV writer down after its first progress tick (so the export is caught running) and
then starts the ordinary ``jobbro worker``. Nothing in the product knows about it. The database
is a private one (a SQLite file, or a PostgreSQL schema when JOBBRO_TEST_DATABASE_URL points at
PostgreSQL), because the worker process cannot share the test's transaction."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matching.core.db import make_engine
from matching.core.settings import Settings
from matching.fairs.exports.requests import job_id_for, request_export, retry_export
from matching.fairs.exports.runs import STALLED_MESSAGE, fail_stalled
from matching.models import Base, Export, ExportStatus, utcnow
from tests.factories.fairs import ExportWorld, build_world
from tests.support.paths import ROOT
from workers import runtime
from workers.queues import QueueName, enqueue_export
from workers.worker import run_worker

WAIT_SECONDS = 90

BOOTSTRAP = textwrap.dedent(
    """
    import sys
    import time

    from matching.fairs.exports import tables

    real_csv = tables.shortlist_csv


    def slow_csv(groups, progress=None):
        def tick(done, total):
            time.sleep(0.6)  # past the half-second throttle: this tick is committed
            if progress is not None:
                progress(done, total)
            time.sleep(3600)  # killed in here

        return real_csv(groups, tick)


    tables.shortlist_csv = slow_csv

    from workers.cli import main

    sys.exit(main(["worker", "--queue", "export"]))
    """
)


@pytest.fixture
def setup(
    tmp_path: Path, committed_database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, Engine, dict[str, str]]]:
    env = {
        "JOBBRO_ENV": "test",
        "JOBBRO_ENCODER": "fake",
        "JOBBRO_DATA_DIR": str(tmp_path / "var"),
        "JOBBRO_DATABASE_URL": committed_database_url,
        "JOBBRO_REDIS_URL": redis_url,
        "JOBBRO_SECRET_KEY": "export-kill-test-secret-key-0123456789abcdef",
    }
    settings = Settings.from_env(env)
    engine = make_engine(settings)
    Base.metadata.create_all(engine)
    monkeypatch.setattr(runtime, "_runtime", None)  # restored afterwards
    redis.Redis.from_url(redis_url).flushdb()
    yield settings, engine, env
    redis.Redis.from_url(redis_url).flushdb()
    engine.dispose()


def _export(engine: Engine, export_id: int) -> Export:
    with Session(engine) as session:
        return session.get(Export, export_id)


def _wait_until_running(engine: Engine, export_id: int, worker: subprocess.Popen) -> Export:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        export = _export(engine, export_id)
        if export.status is ExportStatus.RUNNING and export.progress > 5:
            return export
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early:\n{worker.stdout.read()}")
        time.sleep(0.1)
    pytest.fail(f"the export did not start writing: {export.status}, {export.progress} %")


def test_a_killed_worker_fails_the_export_and_a_retry_finishes_it(
    setup: tuple[Settings, Engine, dict[str, str]], tmp_path: Path
) -> None:
    settings, engine, env = setup
    with Session(engine) as session:
        world: ExportWorld = build_world(session, people=12)
        organiser = world.actor("organiser")
        export = request_export(session, organiser, world.fair_id, kind="shortlist", fmt="csv")
        session.commit()
        export_id = export.id
        connection = redis.Redis.from_url(settings.redis_url)
        enqueue_export(connection, export_id, job_id=job_id_for(export))

    script = tmp_path / "slow_worker.py"
    script.write_text(BOOTSTRAP)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBRO_")} | env
    worker = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the kill takes any child with it
    )
    try:
        running = _wait_until_running(engine, export_id, worker)
        assert running.attempts == 1 and running.heartbeat_at is not None
        with Session(engine) as session:  # a live worker's export is left alone
            assert fail_stalled(session, now=utcnow()) == []
            session.commit()
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    # Nothing beats any more: after the stale period the sweep fails it, once.
    from workers import jobs

    runtime.init(settings, engine)
    assert jobs.fail_stalled_exports(now=utcnow() + timedelta(minutes=3)) == [export_id]
    assert jobs.fail_stalled_exports(now=utcnow() + timedelta(minutes=3)) == []
    failed = _export(engine, export_id)
    assert failed.status is ExportStatus.FAILED and failed.error == STALLED_MESSAGE
    assert failed.file_name is None
    assert (
        STALLED_MESSAGE == "Eksporten stoppede uventet (arbejdsprocessen blev afbrudt). Prøv igen."
    )

    # Retried by the organiser, taken by an ordinary worker (burst), and done.
    with Session(engine) as session:
        again = retry_export(session, organiser, export_id)
        session.commit()
        job_id = job_id_for(again)
    assert job_id == f"export-{export_id}-2"
    connection = redis.Redis.from_url(settings.redis_url)
    enqueue_export(connection, export_id, job_id=job_id)
    run_worker(settings, connection, [QueueName.EXPORT], burst=True)

    done = _export(engine, export_id)
    assert done.status is ExportStatus.DONE and done.progress == 100
    assert done.attempts == 2 and done.error is None and done.row_count == world.people
    data = (settings.export_dir / done.file_name).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Virksomhed", "Stilling", "Invitations-id"]
    assert len(rows) == 1 + world.people
    assert [p.name for p in settings.export_dir.iterdir()] == [done.file_name]
