"""Job-fair exports as background work: requested, made with live progress, failed when the
process making them dies, retried by hand, downloaded until they expire.

An :class:`~matching.models.Export` row is the source of truth; Redis only carries the job.
The states, as a transition table (:data:`TRANSITIONS`)::

    queued ──▶ running ──▶ done ──▶ expired      (workers.jobs.purge_expired_exports)
      │           │
      └───────────┴──▶ failed ──▶ queued         (retry_export, by hand)

:func:`run_export` is the one code path that makes a file, used by the worker job
(``workers.jobs.export_shortlist``) and by ``jobbro export shortlist`` alike. It commits in short
transactions of its own (it is given a session factory): progress and ``heartbeat_at`` at most
every :data:`PROGRESS_COMMIT_SECONDS`, so the portal can show a live bar without the writer
hammering the database, and a small thread keeps ``heartbeat_at`` fresh while one long writer
call (a PDF being laid out) reports nothing. A process that is killed stops beating;
:func:`fail_stalled` (every minute, ``workers.jobs.fail_stalled_exports``) then marks the export
failed so it never stays "running" for ever, and it can be retried.

``heartbeat_at`` is the export's last sign of life: set when it is queued (or queued again by a
retry), then every few seconds while it runs. A queued export that no worker has taken for
:data:`QUEUED_TOO_LONG` (Redis was down when it was requested, or the job was lost) is failed
by the same sweep.

Who: users with role organiser or admin in the fair's organiser organisation, the rule of
:mod:`matching.shortlists` (a user of another role is refused with :class:`PermissionDenied`).
Another organisation's fair or export is :class:`OutOfScope`, shown as "not found" like an
unknown one: an id alone never opens an export.

Files: the writer's bytes go to a temporary file in the export folder, readable by the owner
only, then are renamed atomically to an unguessable name (``secrets.token_hex``). A failure
removes what was written. Error texts stored on the row are fixed Danish sentences and the
exception's class name: never the exception's message, which may quote a person's data.

Requesting, retrying, downloading and every completed export are written to the audit log, and
a completed export also writes one entry per person whose data is in its file (in the same
transaction that marks it done), so the log answers "who exported my data?".
Functions taking a session flush and never commit, except :func:`run_export`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matching import exports
from matching.access import OutOfScope
from matching.audit import Actor, record, record_many
from matching.errors import (
    InvalidTransition,
    JobbroError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from matching.models import (
    AuditAction,
    Export,
    ExportFormat,
    ExportStatus,
    JobFair,
    JobFairVacancy,
    Role,
    ShortlistEntry,
    utcnow,
)

log = logging.getLogger(__name__)

KIND_SHORTLIST = "shortlist"
KIND_INVITATIONS = "invitations"
KIND_LABELS_DA = {KIND_SHORTLIST: "Shortlister", KIND_INVITATIONS: "Invitationsliste"}
# Which formats each kind comes in: the invitation list is for mail merge, so CSV only.
FORMATS: dict[str, tuple[ExportFormat, ...]] = {
    KIND_SHORTLIST: (ExportFormat.CSV, ExportFormat.XLSX, ExportFormat.PDF),
    KIND_INVITATIONS: (ExportFormat.CSV,),
}
STATUS_LABELS_DA = {
    ExportStatus.QUEUED: "I kø",
    ExportStatus.RUNNING: "I gang",
    ExportStatus.DONE: "Klar til download",
    ExportStatus.FAILED: "Fejlet",
    ExportStatus.EXPIRED: "Udløbet",
}
TRANSITIONS: dict[ExportStatus, frozenset[ExportStatus]] = {
    ExportStatus.QUEUED: frozenset({ExportStatus.RUNNING, ExportStatus.FAILED}),
    ExportStatus.RUNNING: frozenset({ExportStatus.DONE, ExportStatus.FAILED}),
    ExportStatus.DONE: frozenset({ExportStatus.EXPIRED}),
    ExportStatus.FAILED: frozenset({ExportStatus.QUEUED}),
    ExportStatus.EXPIRED: frozenset(),
}
ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)
ORGANISER_ROLES = frozenset({Role.ORGANISER, Role.ADMIN})

MAX_ACTIVE_PER_FAIR = 3  # queued or running at once, per fair
PROGRESS_COMMIT_SECONDS = 0.5  # progress is written at most this often
HEARTBEAT_SECONDS = 5.0  # while a writer call runs without reporting progress
STALE_AFTER = timedelta(minutes=2)  # a running export without a heartbeat this long is dead
QUEUED_TOO_LONG = timedelta(hours=1)  # a queued export no worker took this long is failed
ROWS_LOADED_PERCENT = 5  # the bar after the rows are read; the writer fills it up to 95
WRITTEN_PERCENT = 95
FILE_TOKEN_BYTES = 16  # 32 hex characters: the file name cannot be guessed
FILE_MODE = 0o600  # the files hold personal data: readable by the service's user only
FAIR_EXPORTS_SHOWN = 50
SLUG_MAX_CHARS = 60
AUDIT_OBJECT = "export"
AUDIT_PURPOSE = "jobmesse-eksport"
# A person's entry names the purpose their data was processed for, as the fair's pages do.
AUDIT_PERSON_PURPOSE = "jobmesse"

EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.XLSX: "xlsx", ExportFormat.PDF: "pdf"}
MIMETYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}
DOWNLOAD_WORDS = {KIND_SHORTLIST: "shortlister", KIND_INVITATIONS: "invitationer"}

STALLED_MESSAGE = "Eksporten stoppede uventet (arbejdsprocessen blev afbrudt). Prøv igen."
NOT_STARTED_MESSAGE = (
    "Eksporten blev ikke startet inden for en time (baggrundsbehandlingen svarede ikke). Prøv igen."
)
FAILED_MESSAGE = "Eksporten kunne ikke laves ({kind}). Prøv igen, eller kontakt support."
FAIR_GONE_MESSAGE = "Jobmessen findes ikke længere. Eksporten kan ikke laves."
EMPTY_FAIR_MESSAGE = "Der er ingen personer på jobmessens lister endnu."
NOBODY_INVITED_MESSAGE = "Ingen er markeret som inviteret endnu."

ProgressCallback = Callable[[int, int], None]


class ExportExpired(JobbroError):
    """The export's download period is over (or its file is gone): order a new one."""


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every timestamp Jobbro stores is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def is_expired(export: Export, now: datetime | None = None) -> bool:
    """Expired, or done with its download period over (before the hourly purge saw it)."""
    if export.status is ExportStatus.EXPIRED:
        return True
    expires_at = aware(export.expires_at)
    return (
        export.status is ExportStatus.DONE
        and expires_at is not None
        and expires_at <= (now or utcnow())
    )


def job_id_for(export: Export) -> str:
    """The RQ job id of the export's next attempt: one waiting job per attempt."""
    return f"export-{export.id}-{export.attempts + 1}"


# --- authorisation --------------------------------------------------------------------------


def _role(actor: Actor) -> Role | None:
    try:
        return Role(actor.role) if actor.role else None
    except ValueError:
        return None


def _require_role(actor: Actor) -> None:
    if _role(actor) not in ORGANISER_ROLES or actor.organisation_id is None:
        raise PermissionDenied(f"role {actor.role!r} may not handle job-fair exports")


def _require_organiser(session: Session, actor: Actor, fair_id: int) -> JobFair:
    """The fair, if the actor is an organiser/admin of its organiser organisation.

    Who may is the rule of :mod:`matching.shortlists` (a wrong role is
    :class:`PermissionDenied`); another organisation's fair is :class:`OutOfScope`, "not
    found" like an unknown one, as on the fair's own pages (:mod:`matching.fairs`).
    """
    _require_role(actor)
    fair = session.get(JobFair, fair_id)
    if fair is None or fair.organiser_id != actor.organisation_id:
        raise OutOfScope("job_fair", fair_id, exists=fair is not None)
    return fair


def get_export(session: Session, actor: Actor, export_id: int) -> Export:
    """One export of the actor's organisation (organiser or admin); any other is
    :class:`OutOfScope`, whether or not it exists."""
    _require_role(actor)
    export = session.get(Export, export_id)
    if export is None or export.organisation_id != actor.organisation_id:
        raise OutOfScope("export", export_id, exists=export is not None)
    return export


def fair_exports(session: Session, actor: Actor, fair_id: int) -> list[Export]:
    """The fair's exports made by the actor's organisation, newest first."""
    fair = _require_organiser(session, actor, fair_id)
    return list(
        session.scalars(
            select(Export)
            .where(Export.job_fair_id == fair.id, Export.organisation_id == fair.organiser_id)
            .order_by(Export.created_at.desc(), Export.id.desc())
            .limit(FAIR_EXPORTS_SHOWN)
        )
    )


# --- requesting -----------------------------------------------------------------------------


def _format(kind: str, fmt: str | ExportFormat) -> ExportFormat:
    if kind not in FORMATS:
        raise ValidationError({"kind": "Vælg, om du vil hente shortlister eller invitationsliste."})
    try:
        chosen = ExportFormat(str(fmt).strip().lower())
    except ValueError:
        raise ValidationError({"format": "Vælg formatet CSV, XLSX eller PDF."}) from None
    if chosen not in FORMATS[kind]:
        raise ValidationError({"format": "Invitationslisten laves kun som CSV (til brevfletning)."})
    return chosen


def _on_lists(session: Session, fair_id: int, *, invited_only: bool) -> int:
    query = (
        select(func.count())
        .select_from(ShortlistEntry)
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .where(JobFairVacancy.job_fair_id == fair_id, ShortlistEntry.removed.is_(False))
    )
    if invited_only:
        query = query.where(ShortlistEntry.invited.is_(True))
    return session.scalar(query) or 0


def _check_room(session: Session, fair_id: int) -> None:
    active = session.scalar(
        select(func.count())
        .select_from(Export)
        .where(Export.job_fair_id == fair_id, Export.status.in_(ACTIVE))
    )
    if (active or 0) >= MAX_ACTIVE_PER_FAIR:
        raise ValidationError(
            f"Der er allerede {MAX_ACTIVE_PER_FAIR} eksporter i gang for jobmessen. "
            "Vent, til en af dem er færdig, og prøv igen."
        )


def request_export(
    session: Session,
    actor: Actor,
    fair_id: int,
    *,
    kind: str,
    fmt: str | ExportFormat,
    now: datetime | None = None,
) -> Export:
    """Queue an export of the fair's shortlists (CSV, XLSX or PDF) or of its invitation list
    (CSV for mail merge). The caller commits, then enqueues :func:`job_id_for` the export.

    Refused with a Danish :class:`ValidationError` for an unknown kind or format, a fair with
    nobody on its lists (or, for invitations, nobody marked invited), and when
    :data:`MAX_ACTIVE_PER_FAIR` exports of the fair are already queued or running.
    """
    fair = _require_organiser(session, actor, fair_id)
    chosen = _format(kind, fmt)
    if not _on_lists(session, fair.id, invited_only=False):
        raise ValidationError(EMPTY_FAIR_MESSAGE)
    if kind == KIND_INVITATIONS and not _on_lists(session, fair.id, invited_only=True):
        raise ValidationError(NOBODY_INVITED_MESSAGE)
    _check_room(session, fair.id)
    export = Export(
        organisation_id=fair.organiser_id,
        requested_by_id=actor.user_id,
        job_fair_id=fair.id,
        kind=kind,
        format=chosen,
        status=ExportStatus.QUEUED,
        progress=0,
        attempts=0,
        heartbeat_at=now or utcnow(),
        params={},
    )
    session.add(export)
    session.flush()
    _audit(session, actor, export, "requested")
    session.flush()
    return export


def retry_export(
    session: Session, actor: Actor, export_id: int, *, now: datetime | None = None
) -> Export:
    """Queue a failed export again (progress and error cleared). The caller commits, then
    enqueues :func:`job_id_for` the export."""
    export = get_export(session, actor, export_id)
    if export.status is not ExportStatus.FAILED:
        raise ValidationError("Kun en eksport, der er fejlet, kan prøves igen.")
    if export.job_fair_id is None:
        raise ValidationError(FAIR_GONE_MESSAGE)
    _require_organiser(session, actor, export.job_fair_id)
    _check_room(session, export.job_fair_id)
    _set_status(export, ExportStatus.QUEUED)
    export.progress = 0
    export.error = None
    export.job_id = None
    export.started_at = None
    export.finished_at = None
    export.row_count = None
    export.file_name = None
    export.heartbeat_at = now or utcnow()
    session.flush()
    _audit(session, actor, export, "retried", attempts=export.attempts)
    session.flush()
    return export


def mark_enqueued(session: Session, export_id: int, job_id: str) -> None:
    """Remember the RQ job that carries the export (after it was enqueued)."""
    session.execute(
        update(Export)
        .where(Export.id == export_id)
        .values(job_id=job_id)
        .execution_options(synchronize_session=False)
    )


def _set_status(export: Export, status: ExportStatus) -> None:
    if status not in TRANSITIONS[export.status]:
        raise InvalidTransition("export", export.status.value, status.value)
    export.status = status


def _audit(session: Session, actor: Actor, export: Export, event: str, **details: object) -> None:
    record(
        session,
        actor,
        AuditAction.EXPORT,
        AUDIT_OBJECT,
        export.id,
        purpose=AUDIT_PURPOSE,
        details={
            "event": event,
            "job_fair_id": export.job_fair_id,
            "kind": export.kind,
            "format": export.format.value,
            **details,
        },
    )


# --- running --------------------------------------------------------------------------------


class _Clock:
    """``now`` fixes the start; later readings move on with the wall clock."""

    def __init__(self, start: datetime | None) -> None:
        self.start = start or utcnow()
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


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
        with self.lock, _unit_of_work(self.factory) as session:
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
        if not self.write(progress=percent, heartbeat_at=self.clock()):
            raise _TakenOver  # failed by the sweep (or retried): stop writing at once

    def heartbeat(self, every_seconds: float) -> None:
        while not self.stop.wait(every_seconds):
            try:
                self.write(heartbeat_at=self.clock())
            except Exception:  # noqa: BLE001 - a missed beat is retried; the export goes on
                log.warning("export %s: heartbeat failed", self.claim.export_id, exc_info=True)


@contextmanager
def _unit_of_work(factory: Callable[[], Session]) -> Iterator[Session]:
    """A short transaction of its own: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _claim(session: Session, export_id: int, clock: _Clock) -> _Claim | None:
    """Mark a queued export running (one process wins); None if it is not queued."""
    export = session.get(Export, export_id)
    if export is None:
        raise NotFound(f"export {export_id}")
    if export.status is not ExportStatus.QUEUED:
        return None
    if export.job_fair_id is None:  # the fair was deleted while the export waited
        export.status, export.error, export.finished_at = (
            ExportStatus.FAILED,
            FAIR_GONE_MESSAGE,
            clock(),
        )
        return None
    attempt = export.attempts + 1
    started = clock()
    won = session.execute(
        update(Export)
        .where(Export.id == export_id, Export.status == ExportStatus.QUEUED)
        .values(
            status=ExportStatus.RUNNING,
            attempts=attempt,
            started_at=started,
            heartbeat_at=started,
            progress=0,
            error=None,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
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
    rows: list[exports.ShortlistRow],
    fair: exports.FairInfo,
    progress: ProgressCallback,
) -> tuple[bytes, int, dict]:
    """(file bytes, row count, params to keep) for the export's kind and format."""
    if claim.kind == KIND_INVITATIONS:
        data, left_out = exports.invitation_csv(rows)
        invited = sum(1 for row in rows if row.invited)
        progress(len(rows), len(rows))
        return data, invited - left_out, {"left_out": left_out}
    groups = exports.group_by_employer(rows)
    if claim.format is ExportFormat.CSV:
        data = exports.shortlist_csv(groups, progress)
    elif claim.format is ExportFormat.XLSX:
        data = exports.shortlist_xlsx(groups, progress)
    else:
        data = exports.shortlist_pdf(groups, fair=fair, progress=progress)
    return data, len(rows), {}


def _people_in_file(claim: _Claim, rows: list[exports.ShortlistRow]) -> list[int]:
    """The people whose data the export's file holds, each once: every row of a shortlist,
    only the included rows of an invitation list."""
    if claim.kind == KIND_INVITATIONS:
        rows = exports.invitation_rows(rows)
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
    with _unit_of_work(session_factory) as session:
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
            rows = exports.rows_for_fair(session, claim.fair_id)
            held = session.get(JobFair, claim.fair_id)
            fair = exports.FairInfo(held.id, held.name, held.held_on, held.place)
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
        with run.unit() as session:
            done = session.execute(
                update(Export)
                .where(run.mine())
                .values(
                    status=ExportStatus.DONE,
                    progress=100,
                    row_count=row_count,
                    file_name=name,
                    finished_at=finished,
                    heartbeat_at=finished,
                    expires_at=finished + ttl,
                    params=params,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if done == 1:
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
        if done != 1:
            raise _TakenOver
    except _TakenOver:
        # Failed as stalled while it ran (or retried): this attempt's work is not wanted, and
        # the export keeps the state the sweep gave it.
        log.warning("export %s attempt %s was taken over; discarded", export_id, claim.attempt)
        if name is not None:
            (export_dir / name).unlink(missing_ok=True)
        (export_dir / partial_name(export_id, claim.attempt)).unlink(missing_ok=True)
    except BaseException as exc:
        run.stop.set()
        if name is not None:
            (export_dir / name).unlink(missing_ok=True)
        (export_dir / partial_name(export_id, claim.attempt)).unlink(missing_ok=True)
        log.exception("export %s attempt %s failed", export_id, claim.attempt)
        try:
            run.write(
                status=ExportStatus.FAILED,
                error=FAILED_MESSAGE.format(kind=type(exc).__name__),
                finished_at=clock(),
            )
        except Exception:  # noqa: BLE001 - the original error matters more; the sweep catches up
            log.exception("export %s: could not record the failure", export_id)
        raise
    finally:
        run.stop.set()
        beat.join(timeout=heartbeat_seconds + 5)
    return _load(session_factory, export_id)


def _load(session_factory: Callable[[], Session], export_id: int) -> Export:
    with _unit_of_work(session_factory) as session:
        export = session.get(Export, export_id)
        if export is None:
            raise NotFound(f"export {export_id}")
        session.refresh(export)
        session.expunge(export)
        return export


# --- the sweep ------------------------------------------------------------------------------


def fail_stalled(
    session: Session,
    *,
    now: datetime,
    stale_after: timedelta = STALE_AFTER,
    queued_after: timedelta = QUEUED_TOO_LONG,
) -> list[int]:
    """Fail running exports whose heartbeat stopped more than ``stale_after`` ago (their
    process was killed) and queued exports no worker took within ``queued_after``; returns
    their ids. Each is failed by a conditional update, so an export that finished meanwhile
    is left alone. The caller commits."""
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
            changed = session.execute(
                update(Export)
                .where(Export.id == export_id, Export.status == status, last_sign < cutoff)
                .values(status=ExportStatus.FAILED, error=message, finished_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                failed.append(export_id)
    if failed:
        log.warning("failed %d stalled export(s): %s", len(failed), failed)
    session.flush()
    return failed


# --- downloading ----------------------------------------------------------------------------

_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def slug(text: str) -> str:
    """``Jobmesse Ærø & Øresund`` → ``jobmesse-aeroe-oeresund``: ASCII, safe in a file name
    on every system (Danish letters spelt out, other accents dropped)."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_DANISH_LETTERS))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:SLUG_MAX_CHARS].rstrip("-") or "jobmesse"


def download_name(export: Export, fair: JobFair | None) -> str:
    """``jobmesse-<fair>-<date>-shortlister.xlsx``; the fair's name without "jobmesse" twice."""
    word = DOWNLOAD_WORDS.get(export.kind, "eksport")
    extension = EXTENSIONS[export.format]
    if fair is None:
        return f"jobmesse-eksport-{export.id}-{word}.{extension}"
    name = slug(fair.name)
    name = name.removeprefix("jobmesse-") if name != "jobmesse" else ""
    parts = ["jobmesse", name, fair.held_on.isoformat(), word]
    return "-".join(p for p in parts if p) + f".{extension}"


def open_download(
    session: Session,
    actor: Actor,
    export_id: int,
    export_dir: Path,
    *,
    now: datetime | None = None,
) -> tuple[Path, str, str]:
    """(path, download name, mimetype) of a done export of the actor's organisation; each
    download is audited (the caller commits). :class:`ExportExpired` once the download
    period is over or the file is gone; a :class:`ValidationError` while it is not done."""
    export = get_export(session, actor, export_id)
    if is_expired(export, now):
        raise ExportExpired(f"export {export_id} expired")
    if export.status is not ExportStatus.DONE or not export.file_name:
        raise ValidationError("Eksporten er ikke færdig endnu.")
    folder = export_dir.resolve()
    path = (folder / export.file_name).resolve()
    if path.parent != folder:  # a stored name is never a path; refuse if one ever is
        raise OutOfScope("export", export_id, exists=True)
    if not path.is_file():
        raise ExportExpired(f"export {export_id}: file missing")
    fair = session.get(JobFair, export.job_fair_id) if export.job_fair_id else None
    _audit(session, actor, export, "downloaded", row_count=export.row_count)
    session.flush()
    return path, download_name(export, fair), MIMETYPES[export.format]
