"""Making an export in the worker: claim it, read the rows, write the file with live
progress, and fail the exports whose worker died (heartbeat)."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matching.core.audit import Actor, record_many
from matching.core.db import database_now, database_time, session_scope
from matching.core.errors import (
    NotFound,
)
from matching.fairs.exports import pdf, tables
from matching.fairs.exports import rows as export_rows
from matching.fairs.exports.requests import (
    AUDIT_OBJECT,
    EXPORTS,
    EXTENSIONS,
    FAIR_GONE_MESSAGE,
    FILE_MODE,
    FILE_TOKEN_BYTES,
    KIND_INVITATIONS,
    NOT_STARTED_MESSAGE,
    SWEEP,
    WORKER,
    _audit,
)
from matching.fairs.exports.tables import ProgressCallback
from matching.models import (
    AuditAction,
    Export,
    ExportFormat,
    ExportStatus,
    JobFair,
    utcnow,
)

log = logging.getLogger(__name__)


PROGRESS_COMMIT_SECONDS = 0.5  # progress is written at most this often


HEARTBEAT_SECONDS = 5.0  # while a writer call runs without reporting progress


STALE_AFTER = timedelta(minutes=2)  # a running export without a heartbeat this long is dead


QUEUED_TOO_LONG = timedelta(hours=1)  # a queued export no worker took this long is failed


ROWS_LOADED_PERCENT = 5  # the bar after the rows are read; the writer fills it up to 95


WRITTEN_PERCENT = 95


# A person's entry names the purpose their data was processed for, as the fair's pages do.
AUDIT_PERSON_PURPOSE = "jobmesse"


STALLED_MESSAGE = "Eksporten stoppede uventet (arbejdsprocessen blev afbrudt). Prøv igen."


FAILED_MESSAGE = "Eksporten kunne ikke laves ({kind}). Prøv igen, eller kontakt support."


class _Clock:
    """``now`` fixes the start; later readings move on with the wall clock.

    ``beat()`` is the value a heartbeat is written with: the database's clock (the sweep,
    on another host maybe, compares on that clock too), or the fixed clock given ``now``."""

    def __init__(self, start: datetime | None) -> None:
        self.fixed = start is not None
        self.start = start or utcnow()
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)

    def beat(self) -> object:
        return self() if self.fixed else database_now()


class _TakenOver(Exception):
    """This attempt's export was failed by the sweep meanwhile: its work is not wanted."""


@dataclass(frozen=True)
class _Claim:
    export_id: int
    attempt: int
    fair_id: int
    kind: str
    format: ExportFormat
    organisation_id: int
    requested_by_id: int | None


class _Run:
    """One attempt at one export: its own short transactions, serialised by a lock so the
    heartbeat thread and the writer's progress never use the database at the same moment."""

    def __init__(self, session_factory: Callable[[], Session], claim: _Claim, clock: _Clock):
        self.factory = session_factory
        self.claim = claim
        self.clock = clock
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.last_write = 0.0

    @contextmanager
    def unit(self) -> Iterator[Session]:
        with self.lock, session_scope(self.factory) as session:
            yield session

    def mine(self):  # noqa: ANN201 - a SQL condition: still this attempt, still running
        return (
            (Export.id == self.claim.export_id)
            & (Export.status == ExportStatus.RUNNING)
            & (Export.attempts == self.claim.attempt)
        )

    def write(self, **values: object) -> bool:
        """Update this attempt's row; False when it is no longer ours (failed meanwhile)."""
        with self.unit() as session:
            result = session.execute(
                update(Export)
                .where(self.mine())
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def progress(self, percent: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_write < PROGRESS_COMMIT_SECONDS:
            return
        self.last_write = now
        if not self.write(progress=percent, heartbeat_at=self.clock.beat()):
            raise _TakenOver  # failed by the sweep (or retried): stop writing at once

    def fail(self, message: str) -> bool:
        """Fail this attempt (if it is still ours) with a fixed Danish message."""
        failed_at = self.clock()
        values = {"error": message, "finished_at": failed_at}
        with self.unit() as session:
            return _fire(
                session,
                self.claim.export_id,
                "fail",
                ExportStatus.RUNNING,
                failed_at,
                values,
                self.claim.attempt,
            )

    def heartbeat(self, every_seconds: float) -> None:
        while not self.stop.wait(every_seconds):
            try:
                self.write(heartbeat_at=self.clock.beat())
            except Exception:  # noqa: BLE001 - a missed beat is retried; the export goes on
                log.warning("export %s: heartbeat failed", self.claim.export_id, exc_info=True)


def _fire(
    session: Session,
    export_id: int,
    event: str,
    source: ExportStatus,
    at: datetime,
    values: dict[str, object],
    attempt: int | None = None,
) -> bool:
    """The worker fires ``event`` on the export in one conditional UPDATE: only from ``source``
    and, given ``attempt``, only while that attempt is the export's latest. Whether it won."""
    return EXPORTS.fire_where(
        session,
        export_id,
        event,
        source=source,
        party=WORKER,
        actor=Actor.system(),
        where=[] if attempt is None else [Export.attempts == attempt],
        values=values,
        at=at,
    )


def _claim(session: Session, export_id: int, clock: _Clock) -> _Claim | None:
    """Mark a queued export running (one process wins); None if it is not queued."""
    export = session.get(Export, export_id)
    if export is None:
        raise NotFound(f"export {export_id}")
    if export.status is not ExportStatus.QUEUED:
        return None
    if export.job_fair_id is None:  # the fair was deleted while the export waited
        EXPORTS.fire(session, export, "fail", party=WORKER, actor=Actor.system(), at=clock())
        export.error, export.finished_at = FAIR_GONE_MESSAGE, clock()
        return None
    attempt = export.attempts + 1
    started = clock()
    values = {
        "attempts": attempt,
        "started_at": started,
        "heartbeat_at": clock.beat(),
        "progress": 0,
        "error": None,
        "finished_at": None,
    }
    if not _fire(session, export_id, "claim", ExportStatus.QUEUED, started, values):
        return None
    return _Claim(
        export_id,
        attempt,
        export.job_fair_id,
        export.kind,
        export.format,
        export.organisation_id,
        export.requested_by_id,
    )


def _render(
    claim: _Claim,
    rows: list[export_rows.ShortlistRow],
    fair: export_rows.FairInfo,
    progress: ProgressCallback,
) -> tuple[bytes, int, dict]:
    """(file bytes, row count, params to keep) for the export's kind and format."""
    if claim.kind == KIND_INVITATIONS:
        data, left_out = tables.invitation_csv(rows)
        invited = sum(1 for row in rows if row.invited)
        progress(len(rows), len(rows))
        return data, invited - left_out, {"left_out": left_out}
    groups = export_rows.group_by_employer(rows)
    if claim.format is ExportFormat.CSV:
        data = tables.shortlist_csv(groups, progress)
    elif claim.format is ExportFormat.XLSX:
        data = tables.shortlist_xlsx(groups, progress)
    else:
        data = pdf.shortlist_pdf(groups, fair=fair, progress=progress)
    return data, len(rows), {}


def _people_in_file(claim: _Claim, rows: list[export_rows.ShortlistRow]) -> list[int]:
    """The people whose data the export's file holds, each once: every row of a shortlist,
    only the included rows of an invitation list."""
    if claim.kind == KIND_INVITATIONS:
        rows = tables.invitation_rows(rows)
    return sorted({row.jobseeker_id for row in rows})


def _audit_people(session: Session, actor: Actor, claim: _Claim, people: list[int]) -> int:
    """One EXPORT entry per person in the file, bulk-inserted (append-only, as every entry)."""
    return record_many(
        session,
        actor,
        AuditAction.EXPORT,
        AUDIT_OBJECT,
        claim.export_id,
        jobseeker_ids=people,
        purpose=AUDIT_PERSON_PURPOSE,
        details={
            "event": "person_exported",
            "job_fair_id": claim.fair_id,
            "kind": claim.kind,
            "format": claim.format.value,
        },
    )


def _write_atomically(export_dir: Path, claim: _Claim, data: bytes) -> str:
    """Write ``data`` under a new unguessable name in ``export_dir``; returns the name."""
    export_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(FILE_TOKEN_BYTES)}.{EXTENSIONS[claim.format]}"
    partial = export_dir / partial_name(claim.export_id, claim.attempt)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, export_dir / name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return name


def partial_name(export_id: int, attempt: int) -> str:
    """The temporary file an attempt writes before renaming it (hidden, never served)."""
    return f".export-{export_id}-{attempt}.part"


def remove_partial_files(export_dir: Path, export_id: int) -> int:
    """Delete what killed attempts at an export left behind; returns how many files."""
    removed = 0
    for path in export_dir.glob(f".export-{export_id}-*.part"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def _discard_attempt(export_dir: Path, export_id: int, attempt: int, name: str | None) -> None:
    """Delete an attempt's files: the finished file (when it got that far) and the partial."""
    if name is not None:
        (export_dir / name).unlink(missing_ok=True)
    (export_dir / partial_name(export_id, attempt)).unlink(missing_ok=True)


def run_export(
    session_factory: Callable[[], Session],
    export_id: int,
    export_dir: Path,
    *,
    ttl: timedelta,
    now: datetime | None = None,
    on_progress: ProgressCallback | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> Export:
    """Make the export's file: the one code path of the worker job and the CLI.

    Only a queued export is made (idempotent: any other state returns the export as it is).
    It becomes running (``attempts`` + 1, ``started_at``), the rows are read, the writer runs
    with its progress committed at most every :data:`PROGRESS_COMMIT_SECONDS` (and forwarded
    to ``on_progress(done, total)``, e.g. a progress bar), the file is renamed into
    ``export_dir`` and the export is done: ``row_count``, ``finished_at`` and ``expires_at``
    (``ttl`` later). The completion is audited in the requester's name, in the same
    transaction with one entry per person in the file.

    ``now`` fixes the start time (tests); later timestamps move on from it with the clock.
    On any error the export is failed with a short Danish text, what was written is removed,
    and the error is raised again (so RQ records the failure too). Returns the export,
    detached from any session.
    """
    clock = _Clock(now)
    with session_scope(session_factory) as session:
        claim = _claim(session, export_id, clock)
    if claim is None:
        log.info("export %s is not queued; nothing to do", export_id)
        return _load(session_factory, export_id)

    run = _Run(session_factory, claim, clock)
    beat = threading.Thread(
        target=run.heartbeat,
        args=(heartbeat_seconds,),
        name=f"export-{export_id}-heartbeat",
        daemon=True,
    )
    beat.start()
    name: str | None = None
    try:
        with run.unit() as session:
            rows = export_rows.rows_for_fair(session, claim.fair_id)
            held = session.get(JobFair, claim.fair_id)
            fair = export_rows.FairInfo(held.id, held.name, held.held_on, held.place)
        run.progress(ROWS_LOADED_PERCENT, force=True)

        def progress(done: int, total: int) -> None:
            if on_progress is not None:
                on_progress(done, total)
            share = done / total if total else 1.0
            span = WRITTEN_PERCENT - ROWS_LOADED_PERCENT
            run.progress(ROWS_LOADED_PERCENT + int(span * share))

        data, row_count, params = _render(claim, rows, fair, progress)
        people = _people_in_file(claim, rows)
        name = _write_atomically(export_dir, claim, data)
        finished = clock()
        values = {
            "progress": 100,
            "row_count": row_count,
            "file_name": name,
            "finished_at": finished,
            "heartbeat_at": finished,
            "expires_at": finished + ttl,
            "params": params,
        }
        with run.unit() as session:
            done = _fire(
                session, export_id, "finish", ExportStatus.RUNNING, finished, values, claim.attempt
            )
            if done:
                export = session.get(Export, export_id)
                requester = Actor(
                    user_id=claim.requested_by_id, organisation_id=claim.organisation_id
                )
                _audit(
                    session,
                    requester,
                    export,
                    "completed",
                    row_count=row_count,
                    attempt=claim.attempt,
                    **params,
                )
                _audit_people(session, requester, claim, people)
        if not done:
            raise _TakenOver
    except _TakenOver:
        # Failed as stalled while it ran (or retried): this attempt's work is not wanted, and
        # the export keeps the state the sweep gave it.
        log.warning("export %s attempt %s was taken over; discarded", export_id, claim.attempt)
        _discard_attempt(export_dir, export_id, claim.attempt, name)
    except BaseException as exc:
        run.stop.set()
        _discard_attempt(export_dir, export_id, claim.attempt, name)
        log.exception("export %s attempt %s failed", export_id, claim.attempt)
        try:
            run.fail(FAILED_MESSAGE.format(kind=type(exc).__name__))
        except Exception:  # noqa: BLE001 - the original error matters more; the sweep catches up
            log.exception("export %s: could not record the failure", export_id)
        raise
    finally:
        run.stop.set()
        beat.join(timeout=heartbeat_seconds + 5)
    return _load(session_factory, export_id)


def _load(session_factory: Callable[[], Session], export_id: int) -> Export:
    with session_scope(session_factory) as session:
        export = session.get(Export, export_id)
        if export is None:
            raise NotFound(f"export {export_id}")
        session.refresh(export)
        session.expunge(export)
        return export


def fail_stalled(
    session: Session,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    queued_after: timedelta = QUEUED_TOO_LONG,
) -> list[int]:
    """Fail running exports whose heartbeat stopped more than ``stale_after`` ago (their
    process was killed) and queued exports no worker took within ``queued_after``; returns
    their ids. Each is failed by a conditional update, so an export that finished meanwhile
    is left alone. The caller commits.

    ``now`` defaults to the database's clock, on which heartbeats are written: the worker's
    and the sweep's hosts may disagree by minutes."""
    now = now or database_time(session)
    last_run_sign = func.coalesce(Export.heartbeat_at, Export.started_at, Export.created_at)
    last_queue_sign = func.coalesce(Export.heartbeat_at, Export.created_at)
    checks = (
        (ExportStatus.RUNNING, last_run_sign, now - stale_after, STALLED_MESSAGE),
        (ExportStatus.QUEUED, last_queue_sign, now - queued_after, NOT_STARTED_MESSAGE),
    )
    failed: list[int] = []
    for status, last_sign, cutoff, message in checks:
        candidates = session.scalars(
            select(Export.id).where(Export.status == status, last_sign < cutoff).order_by(Export.id)
        ).all()
        for export_id in candidates:
            if EXPORTS.fire_where(
                session,
                export_id,
                "fail",
                source=status,
                party=SWEEP,
                actor=Actor.system(),
                where=[last_sign < cutoff],
                values={"error": message, "finished_at": now},
                at=now,
            ):
                failed.append(export_id)
    if failed:
        log.warning("failed %d stalled export(s): %s", len(failed), failed)
    session.flush()
    return failed
