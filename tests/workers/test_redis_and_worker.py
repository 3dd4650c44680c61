"""Real Redis (embedded or the machine's), real RQ worker, real periodic job."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from matching.core.errors import ServiceUnavailable
from matching.models import Export, ExportFormat, ExportStatus, Organisation, OrgKind, utcnow
from workers import runtime
from workers.queues import Job, QueueName, enqueue, get_queue
from workers.redis_server import EmbeddedRedis, connect, find_redis_server
from workers.worker import run_worker


def test_embedded_redis_starts_a_real_server_and_stops_it(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "r")
    url = server.start()
    try:
        client = redis.Redis.from_url(url)
        client.set("jobbro:test", "1")
        assert client.get("jobbro:test") == b"1"
        info = client.info("server")
        assert info["tcp_port"] == 0  # socket only: nothing listens on the network
        pid = server.process.pid
    finally:
        server.stop()
    assert not (tmp_path / "r" / "redis.sock").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_embedded_redis_binary_is_found() -> None:
    assert find_redis_server() is not None


def test_embedded_redis_without_binary_fails_clearly(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, binary=None)
    server.binary = None
    with pytest.raises(ServiceUnavailable, match="JOBBRO_REDIS_URL"):
        server.start()


def test_connect_to_unreachable_redis_names_the_variable() -> None:
    with pytest.raises(ServiceUnavailable, match="JOBBRO_REDIS_URL: cannot connect"):
        connect("redis://127.0.0.1:1/0")


def test_enqueue_is_idempotent_by_job_id(redis_conn: redis.Redis) -> None:
    first = enqueue(redis_conn, Job.CHECK_WORKER, job_id="x-1")
    second = enqueue(redis_conn, Job.CHECK_WORKER, job_id="x-1")
    assert first.id == second.id
    assert get_queue(QueueName.MAINTENANCE, redis_conn).count == 1


def test_worker_runs_jobs_against_the_database(
    redis_conn: redis.Redis, settings, engine, session
) -> None:
    """A burst worker takes the job from real Redis and the job reaches the real database."""
    job = enqueue(redis_conn, Job.CHECK_WORKER)
    assert run_worker(settings, redis_conn, [QueueName.MAINTENANCE], burst=True)
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value()["status"] == "ok"


def test_purge_expired_exports(settings, engine, tmp_path: Path) -> None:
    """The periodic job deletes expired files, marks them, and leaves fresh ones alone."""
    from matching.core.db import make_session_factory, session_scope

    runtime.init(settings, engine)
    settings.export_dir.mkdir(parents=True, exist_ok=True)
    old_file = settings.export_dir / "old.csv"
    new_file = settings.export_dir / "new.csv"
    old_file.write_text("a;b\n")
    new_file.write_text("a;b\n")
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        org = Organisation(kind=OrgKind.JOB_FAIR_ORGANISER, name="Purge-test arrangør")
        s.add(org)
        s.flush()
        now = utcnow()
        old = Export(
            organisation_id=org.id,
            kind="shortlist",
            format=ExportFormat.CSV,
            status=ExportStatus.DONE,
            file_name="old.csv",
            expires_at=now - timedelta(minutes=1),
        )
        fresh = Export(organisation_id=org.id, kind="shortlist", format=ExportFormat.CSV,
                       status=ExportStatus.DONE, file_name="new.csv",
                       expires_at=now + timedelta(hours=1))  # fmt: skip
        s.add_all([old, fresh])
        s.flush()
        ids = (org.id, old.id, fresh.id)
    try:
        from workers.jobs import purge_expired_exports

        assert purge_expired_exports() == 1
        assert purge_expired_exports() == 0  # idempotent
        assert not old_file.exists() and new_file.exists()
        with session_scope(factory) as s:
            assert s.get(Export, ids[1]).status == ExportStatus.EXPIRED
            assert s.get(Export, ids[2]).status == ExportStatus.DONE
    finally:
        with session_scope(factory) as s:
            for export_id in ids[1:]:
                s.delete(s.get(Export, export_id))
            s.delete(s.get(Organisation, ids[0]))
