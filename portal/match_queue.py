"""Asking the worker to recompute a vacancy's match list after a change (after the commit).

The database is the source of truth and Redis only carries work: when Redis cannot be reached
the change is saved all the same, the user is told that the list follows later, and the
scheduled ``catch_up_changed_lists`` (every 5 minutes) picks the vacancy up (its
``updated_at`` is newer than its list).
"""

from __future__ import annotations

import logging

import redis
from flask import current_app, flash

from portal.transaction import after_commit
from workers.queues import enqueue_match

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2  # a page must not hang on an unreachable Redis
MATCH_LATER_MESSAGE = (
    "Ændringen er gemt. Kandidatlisten kunne ikke opdateres lige nu; "
    "den opdateres automatisk inden for nogle minutter."
)


def redis_connection() -> redis.Redis | None:
    """The app's Redis client (one per app, made on first use), or None without Redis."""
    url = current_app.extensions["jobbro_settings"].redis_url
    if url is None:
        return None
    client = current_app.extensions.get("jobbro_redis")
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        current_app.extensions["jobbro_redis"] = client
    return client


def request_match(vacancy_id: int) -> None:
    """After the request's commit, enqueue the vacancy's match list (one waiting job per
    vacancy). When Redis is configured but unreachable, a Danish notice is flashed instead.
    Without a configured Redis (a test or a one-off script) there is nothing to do."""
    after_commit(lambda: _enqueue_match(vacancy_id))


def request_person_match(jobseeker_id: int) -> None:
    """After the request's commit, enqueue the person's list of vacancies (after a CV change);
    the job re-encodes the CV and refreshes the vacancies' lists the person now belongs on.
    As :func:`request_match` when Redis is missing or unreachable."""
    after_commit(lambda: _enqueue_match(jobseeker_id, "jobseeker"))


def _enqueue_match(subject_id: int, kind: str = "vacancy") -> None:
    connection = redis_connection()
    if connection is None:
        return
    try:
        enqueue_match(connection, kind, subject_id)
    except (redis.RedisError, OSError):
        log.warning("could not enqueue the match list of %s %s", kind, subject_id, exc_info=True)
        flash(MATCH_LATER_MESSAGE, "warning")
