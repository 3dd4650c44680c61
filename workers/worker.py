"""The Jobbro worker: a non-forking RQ worker and the periodic scheduler (rq's cron)."""

from __future__ import annotations

import logging
import os

from redis import Redis
from rq import SimpleWorker
from rq.cron import CronScheduler

from matching.core.settings import Settings
from workers import runtime
from workers.queues import ALL_QUEUES, Job, QueueName, get_queue

log = logging.getLogger(__name__)

# Periodic jobs (on their queue from the registry), each idempotent: (job, interval in seconds).
PERIODIC_JOBS: tuple[tuple[Job, int], ...] = (
    (Job.PURGE_EXPIRED_EXPORTS, 3600),
    (Job.PURGE_EXPIRED_CV_DRAFTS, 3600),
    (Job.DELIVER_NOTIFICATIONS, 60),
    # Job-fair exports whose worker was killed (no heartbeat) are failed, to be retried.
    (Job.FAIL_STALLED_EXPORTS, 60),
    # Person imports whose worker was killed, failed (nothing was stored).
    (Job.FAIL_STALLED_IMPORTS, 60),
    # Vacancies their owners cannot fill, forwarded by each owner's rules.
    (Job.EVALUATE_FORWARDING, 15 * 60),
    # The audit rows written since the last seal, sealed (matching.core.audit_seals).
    (Job.SEAL_AUDIT_LOG, 60),
    # Saves whose match job was lost (Redis restarted, a worker killed): their lists follow
    # within minutes instead of waiting for the night.
    (Job.CATCH_UP_CHANGED_LISTS, 5 * 60),
)
# Jobs run at a time of day: (job, cron expression in the scheduler's local time).
NIGHTLY_JOBS: tuple[tuple[Job, str], ...] = (
    # Lists made by another model or rule version, or older than their vacancy/CV.
    (Job.RECOMPUTE_STALE_MATCHES, "30 2 * * *"),
    # Referrals unanswered by their respond-by date: reminded, later expired.
    (Job.PROCESS_OVERDUE_REFERRALS, "0 6 * * *"),
    # Responsibility by the dated routing rules: handovers when the a-kasse's period ends.
    (Job.APPLY_ROUTING, "15 1 * * *"),
    # The retention rules (matching.rules.retention): anonymise, delete drafts and files.
    (Job.PURGE_PEOPLE, "45 3 * * *"),
    # The newest seal's hash as one log line, to be kept with the shipped logs.
    (Job.CHECKPOINT_AUDIT_LOG, "5 0 * * *"),
)
# Periodic jobs with arguments: (job, args, interval in seconds).
PERIODIC_JOBS_WITH_ARGS: tuple[tuple[Job, tuple, int], ...] = (
    (Job.ENCODE_ALL, ("vacancy",), 24 * 3600),
    (Job.ENCODE_ALL, ("jobseeker",), 24 * 3600),
    (Job.CHECK_INDEX, ("vacancy",), 600),
    (Job.CHECK_INDEX, ("jobseeker",), 600),
)


def run_worker(
    settings: Settings,
    connection: Redis,
    queues: list[QueueName] | None = None,
    *,
    burst: bool = False,
    name: str | None = None,
) -> bool:
    """Run a worker until stopped (or until the queues are empty with ``burst``).

    ``SimpleWorker`` runs jobs in this process: the embedding model is loaded once and
    transformer models are not forked (they can deadlock in forked children).
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    runtime.init(settings)
    names = queues or list(ALL_QUEUES)
    worker = SimpleWorker(
        [get_queue(q, connection) for q in names], connection=connection, name=name
    )
    log.info("worker listening on %s", ", ".join(q.value for q in names))
    return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)


def run_scheduler(settings: Settings, connection: Redis) -> None:
    """Enqueue the periodic jobs on their intervals (one scheduler per deployment)."""
    cron = CronScheduler(connection=connection, logging_level=settings.log_level)
    for job, interval in PERIODIC_JOBS:
        cron.register(job_function(job), queue_name=job.queue.value, interval=interval)
    for job, args, interval in PERIODIC_JOBS_WITH_ARGS:
        cron.register(
            job_function(job),
            queue_name=job.queue.value,
            args=args,
            interval=interval,
            name=f"{job.value}:{','.join(map(str, args))}",
        )
    for job, expression in NIGHTLY_JOBS:
        cron.register(job_function(job), queue_name=job.queue.value, cron=expression)
    cron.start()


def job_function(job: Job):  # noqa: ANN201 - returns the job function
    """The function behind a registered job name (imports the job code)."""
    from workers import jobs

    return getattr(jobs, job.value)
