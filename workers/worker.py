"""The Jobbro worker: a non-forking RQ worker and the periodic scheduler (rq's cron)."""

from __future__ import annotations

import logging
import os

from redis import Redis
from rq import SimpleWorker
from rq.cron import CronScheduler

from matching.core.settings import Settings
from workers import runtime
from workers.queues import ALL_QUEUES, QueueName, get_queue

log = logging.getLogger(__name__)

# Periodic jobs: (dotted path, queue, interval in seconds). Each is idempotent.
PERIODIC_JOBS: tuple[tuple[str, QueueName, int], ...] = (
    ("workers.jobs.purge_expired_exports", QueueName.MAINTENANCE, 3600),
    ("workers.jobs.deliver_notifications", QueueName.MAINTENANCE, 60),
    # Job-fair exports whose worker was killed (no heartbeat) are failed, to be retried.
    ("workers.jobs.fail_stalled_exports", QueueName.MAINTENANCE, 60),
    # Vacancies their owners cannot fill, forwarded by each owner's rules.
    ("workers.jobs.evaluate_forwarding", QueueName.FORWARD, 15 * 60),
)
# Jobs run at a time of day (cron expression, the scheduler's local time).
NIGHTLY_JOBS: tuple[tuple[str, QueueName, str], ...] = (
    # Lists made by another model or rule version, or older than their vacancy/CV.
    ("workers.jobs.recompute_stale_matches", QueueName.MAINTENANCE, "30 2 * * *"),
    # Referrals unanswered by their respond-by date: reminded, later expired.
    ("workers.jobs.process_overdue_referrals", QueueName.MAINTENANCE, "0 6 * * *"),
    # Responsibility by the dated routing rules: handovers when the a-kasse's period ends.
    ("workers.jobs.apply_routing", QueueName.MAINTENANCE, "15 1 * * *"),
)
# Jobs with arguments: (dotted path, args, queue, interval in seconds).
PERIODIC_JOBS_WITH_ARGS: tuple[tuple[str, tuple, QueueName, int], ...] = (
    ("workers.jobs.encode_all", ("vacancy",), QueueName.ENCODE, 24 * 3600),
    ("workers.jobs.encode_all", ("jobseeker",), QueueName.ENCODE, 24 * 3600),
    ("workers.jobs.check_index", ("vacancy",), QueueName.MAINTENANCE, 600),
    ("workers.jobs.check_index", ("jobseeker",), QueueName.MAINTENANCE, 600),
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
    for func_path, queue, interval in PERIODIC_JOBS:
        cron.register(func_path_to_callable(func_path), queue_name=queue.value, interval=interval)
    for func_path, args, queue, interval in PERIODIC_JOBS_WITH_ARGS:
        cron.register(
            func_path_to_callable(func_path),
            queue_name=queue.value,
            args=args,
            interval=interval,
            name=f"{func_path.rsplit('.', 1)[1]}:{','.join(map(str, args))}",
        )
    for func_path, queue, expression in NIGHTLY_JOBS:
        cron.register(func_path_to_callable(func_path), queue_name=queue.value, cron=expression)
    cron.start()


def func_path_to_callable(path: str):  # noqa: ANN201 - returns the job function
    module_name, _, attr = path.rpartition(".")
    module = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)
