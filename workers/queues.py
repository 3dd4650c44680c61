"""Queue names and enqueue helpers. The portal may import this module (and only this one).

Jobs are referenced by dotted path so that enqueuing never imports the job code (which
may pull in the embedding model).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

DEFAULT_JOB_TIMEOUT_SECONDS = 600
RESULT_TTL_SECONDS = 24 * 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600


class QueueName(StrEnum):
    """Queues named by purpose; a worker listens to them in this (priority) order."""

    MATCH = "match"  # (re)compute match lists after a change; counsellors wait for these
    ENCODE = "encode"
    FORWARD = "forward"
    EXPORT = "export"
    MAINTENANCE = "maintenance"


ALL_QUEUES: tuple[QueueName, ...] = tuple(QueueName)


def get_queue(name: QueueName, connection: Redis) -> Queue:
    return Queue(name.value, connection=connection, default_timeout=DEFAULT_JOB_TIMEOUT_SECONDS)


def enqueue(
    connection: Redis,
    queue: QueueName,
    func_path: str,
    *args: Any,
    job_id: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    retries: int = 0,
    meta: Mapping[str, Any] | None = None,
    timeout_seconds: int | None = None,
) -> Job:
    """Enqueue ``func_path`` (e.g. ``"workers.jobs.ping"``) with a unique ``job_id``.

    If a job with ``job_id`` is already queued or running, that job is returned instead of
    adding a duplicate (idempotent enqueue).
    """
    q = get_queue(queue, connection)
    if job_id is not None:
        try:
            existing = Job.fetch(job_id, connection=connection)
        except Exception:  # noqa: BLE001 - rq raises NoSuchJobError or a deserialisation error
            existing = None
        if existing is not None and existing.get_status(refresh=True) in (
            "queued",
            "started",
            "deferred",
            "scheduled",
        ):
            return existing
    return q.enqueue(
        func_path,
        args=args,
        job_id=job_id,
        kwargs=dict(kwargs or {}),
        retry=Retry(max=retries, interval=[10, 60, 300][:retries] or None) if retries else None,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        meta=dict(meta or {}),
        job_timeout=timeout_seconds or DEFAULT_JOB_TIMEOUT_SECONDS,
    )


EXPORT_JOB = "workers.jobs.export_shortlist"
EXPORT_TIMEOUT_SECONDS = 30 * 60  # a PDF of a very large fair takes minutes


def enqueue_export(connection: Redis, export_id: int, *, job_id: str) -> Job:
    """Queue the making of a job-fair export (``matching.fairs.exports.requests.job_id_for``
    gives the id). No automatic retries: a failed export is retried by hand, as a new attempt."""
    return enqueue(
        connection,
        QueueName.EXPORT,
        EXPORT_JOB,
        export_id,
        job_id=job_id,
        timeout_seconds=EXPORT_TIMEOUT_SECONDS,
    )


def job_is_lost(connection: Redis, job_id: str) -> bool:
    """Whether a job that was enqueued can no longer run: gone from Redis (a restart without
    persistence, an eviction) or ended without a result (failed, stopped, cancelled)."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except Exception:  # noqa: BLE001 - rq raises NoSuchJobError or a deserialisation error
        return True
    return job.get_status(refresh=False) in ("failed", "stopped", "canceled")
