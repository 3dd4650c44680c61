"""One transaction per request: the request's session commits when the response succeeds and
rolls back when it does not. Views never commit.

- A response with a status below 400 commits (a page that logged who saw which people, a
  redirect after a saved form). A 4xx/5xx response, or an exception, rolls everything back, so a
  refused form or a failed transition leaves nothing behind.
- Work that must wait for the commit (putting a job on the queue, which a worker may pick up at
  once) is registered with :func:`after_commit` and runs only when the commit succeeded.
- Two documented exceptions keep something although the response is an error: the audit entry
  of a failed login (400/429) is kept with :func:`keep_changes`; the access-denied entry of a
  403/404 is written and committed by the error handler itself after discarding the request's
  work (``portal.errors``), so that failing to write it never turns the page into a 500.
- Work after the commit that records its own outcome (the id of the job an export was handed
  to) runs in a short unit of work of its own, :func:`own_unit`: the request's is over.
- A commit that fails (a constraint violated by a concurrent request, the database gone) turns
  the response into the Danish error page; no success message is shown for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g, session
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from matching.core.db import session_scope

log = logging.getLogger(__name__)

_AFTER_COMMIT = "jobbro_after_commit"
_KEEP = "jobbro_keep_changes"


def get_db() -> Session:
    """The request's SQLAlchemy session (opened on first use, finished after the response)."""
    if "db" not in g:
        g.db = current_app.extensions["jobbro_session_factory"]()
    return g.db


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the request's transaction has committed (never if it rolls back)."""
    g.setdefault(_AFTER_COMMIT, []).append(callback)


@contextmanager
def own_unit() -> Iterator[Session]:
    """A short transaction apart from the request's (for :func:`after_commit` work that writes):
    commits on success, rolls back on error."""
    with session_scope(current_app.extensions["jobbro_session_factory"]) as session:
        yield session


def keep_changes() -> None:
    """Commit what the request has written even though its response is an error (the two
    documented uses are in the module docstring)."""
    setattr(g, _KEEP, True)


def init_app(app: Flask) -> None:
    """Install the hooks (after the other after-request hooks, so it runs before them and the
    error page it may return still gets the security headers)."""
    app.after_request(_finish)
    app.teardown_request(_close)


def _finish(response: Response) -> Response:
    db: Session | None = g.get("db")
    callbacks: list[Callable[[], object]] = g.pop(_AFTER_COMMIT, [])
    keep = g.pop(_KEEP, False)
    if db is None:
        return response
    if response.status_code >= 400 and not keep:
        db.rollback()
        return response
    try:
        db.commit()
    except SQLAlchemyError as exc:
        log.exception("the request's transaction could not be committed")
        db.rollback()
        session.pop("_flashes", None)  # nothing was saved: no "saved" message either
        from portal.errors import render_error

        return current_app.make_response(
            render_error(409 if isinstance(exc, IntegrityError) else 503)
        )
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the change is saved; the follow-up is retried later
            log.exception("a job after the commit could not be started")
    return response


def _close(exc: BaseException | None = None) -> None:
    """After every request (also after an unhandled exception): discard what was not
    committed and give the connection back."""
    db: Session | None = g.pop("db", None)
    if db is not None:
        if exc is not None:
            db.rollback()
        db.close()
