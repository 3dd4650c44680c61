"""The registry of jobs: every job the worker runs, by name, with its queue, and the enqueue
helpers. The portal may import this module (and only this one).

A job is named by :class:`Job` (its function's name in :mod:`workers.jobs`), never by a dotted
string elsewhere: enqueuing then never imports the job code (which may pull in the embedding
model), and a test checks that every name resolves to a function and every job function has a
name.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job as RQJob

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


JOBS_MODULE = "workers.jobs"


class Job(StrEnum):
    """Every job, named as its function in :mod:`workers.jobs`."""

    CHECK_WORKER = "check_worker"
    # Matching: lists after a change, and the nightly catch-up.
    MATCH_VACANCY = "match_vacancy"
    MATCH_JOBSEEKER = "match_jobseeker"
    RECOMPUTE_STALE_MATCHES = "recompute_stale_matches"
    CATCH_UP_CHANGED_LISTS = "catch_up_changed_lists"
    # Embeddings and the vector indexes.
    ENCODE_VACANCY = "encode_vacancy"
    ENCODE_JOBSEEKER = "encode_jobseeker"
    ENCODE_ALL = "encode_all"
    CHECK_INDEX = "check_index"
    WARM_OCCUPATION_INDEX = "warm_occupation_index"
    # Vacancies, referrals and people.
    EVALUATE_FORWARDING = "evaluate_forwarding"
    PROCESS_OVERDUE_REFERRALS = "process_overdue_referrals"
    APPLY_ROUTING = "apply_routing"
    DELIVER_NOTIFICATIONS = "deliver_notifications"
    # Job-fair exports.
    EXPORT_SHORTLIST = "export_shortlist"
    FAIL_STALLED_EXPORTS = "fail_stalled_exports"
    PURGE_EXPIRED_EXPORTS = "purge_expired_exports"
    # CV documents under review, deleted when they expire.
    PURGE_EXPIRED_CV_DRAFTS = "purge_expired_cv_drafts"
    # The retention rules: people anonymised after leaving, CV drafts and import files deleted.
    PURGE_PEOPLE = "purge_people"
    # Bulk import of people from a case system's file, and the sweep for dead imports.
    IMPORT_PEOPLE = "import_people"
    FAIL_STALLED_IMPORTS = "fail_stalled_imports"
    # The audit log's seals (every minute) and the daily checkpoint line in the log output.
    SEAL_AUDIT_LOG = "seal_audit_log"
    CHECKPOINT_AUDIT_LOG = "checkpoint_audit_log"

    @property
    def path(self) -> str:
        """The dotted path RQ stores (``job.func_name``)."""
        return f"{JOBS_MODULE}.{self.value}"

    @property
    def queue(self) -> QueueName:
        return JOB_QUEUES[self]


JOB_QUEUES: dict[Job, QueueName] = {
    Job.CHECK_WORKER: QueueName.MAINTENANCE,
    Job.MATCH_VACANCY: QueueName.MATCH,
    Job.MATCH_JOBSEEKER: QueueName.MATCH,
    Job.RECOMPUTE_STALE_MATCHES: QueueName.MAINTENANCE,
    Job.CATCH_UP_CHANGED_LISTS: QueueName.MAINTENANCE,
    Job.ENCODE_VACANCY: QueueName.ENCODE,
    Job.ENCODE_JOBSEEKER: QueueName.ENCODE,
    Job.ENCODE_ALL: QueueName.ENCODE,
    Job.CHECK_INDEX: QueueName.MAINTENANCE,
    Job.WARM_OCCUPATION_INDEX: QueueName.MAINTENANCE,
    Job.EVALUATE_FORWARDING: QueueName.FORWARD,
    Job.PROCESS_OVERDUE_REFERRALS: QueueName.MAINTENANCE,
    Job.APPLY_ROUTING: QueueName.MAINTENANCE,
    Job.DELIVER_NOTIFICATIONS: QueueName.MAINTENANCE,
    Job.EXPORT_SHORTLIST: QueueName.EXPORT,
    Job.FAIL_STALLED_EXPORTS: QueueName.MAINTENANCE,
    Job.PURGE_EXPIRED_EXPORTS: QueueName.MAINTENANCE,
    Job.PURGE_EXPIRED_CV_DRAFTS: QueueName.MAINTENANCE,
    Job.PURGE_PEOPLE: QueueName.MAINTENANCE,
    Job.IMPORT_PEOPLE: QueueName.EXPORT,  # file work, like the exports
    Job.FAIL_STALLED_IMPORTS: QueueName.MAINTENANCE,
    Job.SEAL_AUDIT_LOG: QueueName.MAINTENANCE,
    Job.CHECKPOINT_AUDIT_LOG: QueueName.MAINTENANCE,
}


def match_job_id(kind: str, subject_id: int) -> str:
    """The one waiting job per list: ``match-vacancy-7``, ``match-jobseeker-9``."""
    return f"match-{kind}-{subject_id}"


_WAITING = ("queued", "deferred", "scheduled")
FOLLOW_UP_SUFFIX = "-next"


def _status(connection: Redis, job_id: str) -> str | None:
    """The RQ status of the job with ``job_id``; None when there is none (or it is unreadable)."""
    try:
        return RQJob.fetch(job_id, connection=connection).get_status(refresh=True)
    except Exception:  # noqa: BLE001 - rq raises NoSuchJobError or a deserialisation error
        return None


def enqueue(
    connection: Redis,
    job: Job,
    *args: Any,
    job_id: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    retries: int = 0,
    meta: Mapping[str, Any] | None = None,
    timeout_seconds: int | None = None,
    queue: QueueName | None = None,
    follow_up: bool = False,
) -> RQJob:
    """Enqueue ``job`` on its registered queue (or on ``queue``: a probe of one queue's
    workers) with a unique ``job_id``.

    If a job with ``job_id`` is already queued or running, that job is returned instead of
    adding a duplicate (idempotent enqueue). With ``follow_up``, a running job does not count:
    it may have read its input before the change that asks for this run, so one follow-up run
    is queued as ``<job_id>-next`` (itself idempotent while it waits).
    """
    q = get_queue(queue or job.queue, connection)
    if job_id is not None:
        status = _status(connection, job_id)
        if status in _WAITING or (status == "started" and not follow_up):
            return RQJob.fetch(job_id, connection=connection)
        if status == "started":
            job_id = f"{job_id}{FOLLOW_UP_SUFFIX}"
            if _status(connection, job_id) in _WAITING:
                return RQJob.fetch(job_id, connection=connection)
            # The follow-up is running too: its id cannot be reused, so the extra run gets none.
            if _status(connection, job_id) == "started":
                job_id = None
    return q.enqueue(
        job.path,
        args=args,
        job_id=job_id,
        kwargs=dict(kwargs or {}),
        retry=Retry(max=retries, interval=[10, 60, 300][:retries] or None) if retries else None,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        meta=dict(meta or {}),
        job_timeout=timeout_seconds or DEFAULT_JOB_TIMEOUT_SECONDS,
    )


EXPORT_TIMEOUT_SECONDS = 30 * 60  # a PDF of a very large fair takes minutes


def enqueue_export(connection: Redis, export_id: int, *, job_id: str) -> RQJob:
    """Queue the making of a job-fair export (``matching.fairs.exports.requests.job_id_for``
    gives the id). No automatic retries: a failed export is retried by hand, as a new attempt."""
    return enqueue(
        connection,
        Job.EXPORT_SHORTLIST,
        export_id,
        job_id=job_id,
        timeout_seconds=EXPORT_TIMEOUT_SECONDS,
    )


IMPORT_TIMEOUT_SECONDS = 30 * 60


def enqueue_person_import(connection: Redis, import_id: int, *, job_id: str) -> RQJob:
    """Queue a bulk import of people (``matching.intake.import_runs.job_id_for`` gives the
    id). No automatic retries: a failed import stored nothing and is uploaded again."""
    return enqueue(
        connection,
        Job.IMPORT_PEOPLE,
        import_id,
        job_id=job_id,
        timeout_seconds=IMPORT_TIMEOUT_SECONDS,
    )


# Up to this many imported people get a match job each; more get one catch-up run (the
# nightly recompute_stale_matches, which finds every person without a current list).
IMPORT_MATCH_JOBS_MAX = 200
STALE_CATCH_UP_LIMIT = 5_000  # as the nightly run's own batch


def enqueue_imported_people(connection: Redis, jobseeker_ids: list[int]) -> int:
    """After a bulk import's commit: queue the match lists of the created and updated people
    (encoding follows in the match job). Returns how many jobs were queued."""
    if not jobseeker_ids:
        return 0
    if len(jobseeker_ids) <= IMPORT_MATCH_JOBS_MAX:
        for jobseeker_id in jobseeker_ids:
            enqueue_match(connection, "jobseeker", jobseeker_id)
        return len(jobseeker_ids)
    limit = len(jobseeker_ids) + STALE_CATCH_UP_LIMIT
    enqueue(connection, Job.RECOMPUTE_STALE_MATCHES, kwargs={"limit": limit})
    return 1


MATCH_JOBS: dict[str, Job] = {"vacancy": Job.MATCH_VACANCY, "jobseeker": Job.MATCH_JOBSEEKER}


def enqueue_match(connection: Redis, kind: str, subject_id: int) -> RQJob:
    """Queue the (re)computation of a match list, ``kind`` "vacancy" or "jobseeker": one
    waiting job per list (:func:`match_job_id`); a save while the list is being computed
    queues one follow-up run, so the save is in the list without waiting for the night."""
    return enqueue(
        connection,
        MATCH_JOBS[kind],
        subject_id,
        job_id=match_job_id(kind, subject_id),
        follow_up=True,
    )


def job_is_lost(connection: Redis, job_id: str) -> bool:
    """Whether a job that was enqueued can no longer run: gone from Redis (a restart without
    persistence, an eviction) or ended without a result (failed, stopped, cancelled)."""
    try:
        job = RQJob.fetch(job_id, connection=connection)
    except Exception:  # noqa: BLE001 - rq raises NoSuchJobError or a deserialisation error
        return True
    return job.get_status(refresh=False) in ("failed", "stopped", "canceled")
