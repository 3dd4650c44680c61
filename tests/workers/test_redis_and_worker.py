"""Real Redis (embedded or the machine's), real RQ worker, real periodic job."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq.job import Job as RQJob
from rq.job import JobStatus

from matching.core.errors import ServiceUnavailable
from matching.models import Export, ExportFormat, ExportStatus, Organisation, OrgKind, utcnow
from workers import runtime
from workers.queues import Job, QueueName, enqueue, enqueue_match, get_queue
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


def _claim(job: RQJob, connection: redis.Redis) -> None:
    """What a worker does when it takes the job off the queue and starts it."""
    get_queue(QueueName.MATCH, connection).remove(job.id)
    job.set_status(JobStatus.STARTED)


def test_a_save_while_its_match_job_runs_gets_one_follow_up_run(redis_conn: redis.Redis) -> None:
    first = enqueue_match(redis_conn, "vacancy", 7)
    # Saved again before a worker took the job: the waiting job will read the new text.
    assert enqueue_match(redis_conn, "vacancy", 7).id == first.id
    _claim(first, redis_conn)
    # Saved while the job runs (it may have read the old text): one more run is queued.
    follow_up = enqueue_match(redis_conn, "vacancy", 7)
    assert follow_up.id != first.id and follow_up.get_status() == "queued"
    assert enqueue_match(redis_conn, "vacancy", 7).id == follow_up.id  # one, however many saves
    assert get_queue(QueueName.MATCH, redis_conn).job_ids == [follow_up.id]
    # The first run ends, the follow-up starts, and another save queues under the first id.
    first.set_status(JobStatus.FINISHED)
    _claim(follow_up, redis_conn)
    again = enqueue_match(redis_conn, "vacancy", 7)
    assert again.id == first.id and again.get_status() == "queued"
    # Other jobs keep the running job as the answer (an export must not run twice).
    running = enqueue(redis_conn, Job.CHECK_WORKER, job_id="x-2")
    running.set_status(JobStatus.STARTED)
    assert enqueue(redis_conn, Job.CHECK_WORKER, job_id="x-2").id == "x-2"


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
