"""Job-fair exports as background work: requested, made with live progress, failed when the
process making them dies, retried by hand, downloaded until they expire.

An :class:`~matching.models.Export` row is the source of truth; Redis only carries the job.
The states, as a transition table (:data:`EXPORTS`)::

    queued ──▶ running ──▶ done ──▶ expired      (expire, by the hourly purge)
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
:mod:`matching.fairs.shortlists` (a user of another role is refused with :class:`PermissionDenied`).
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

import re
import unicodedata
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matching.core import permissions
from matching.core.audit import Actor, record
from matching.core.dates import aware
from matching.core.db import database_now
from matching.core.errors import (
    JobbroError,
    OutOfScope,
    ValidationError,
)
from matching.core.workflow import Transition, Workflow
from matching.fairs.planning import organiser_fair
from matching.models import (
    AuditAction,
    Export,
    ExportFormat,
    ExportStatus,
    JobFair,
    JobFairVacancy,
    ShortlistEntry,
    utcnow,
)

FAIR_GONE_MESSAGE = "Jobmessen findes ikke længere. Eksporten kan ikke laves."


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


E = ExportStatus
WORKER = "worker"  # the process making the file
SWEEP = "sweep"  # the scheduler's check for exports whose worker died or never came
SYSTEM = "system"  # the hourly purge
ORGANISER = "organiser"  # a user of the fair's organiser organisation

EXPORTS: Workflow[ExportStatus] = Workflow(
    "export",
    "eksport",
    Export,
    "status",
    "export_id",
    [
        Transition(E.QUEUED, "claim", E.RUNNING, frozenset({WORKER})),
        Transition(E.RUNNING, "finish", E.DONE, frozenset({WORKER})),
        Transition(E.QUEUED, "fail", E.FAILED, frozenset({WORKER, SWEEP})),
        Transition(E.RUNNING, "fail", E.FAILED, frozenset({WORKER, SWEEP})),
        Transition(E.FAILED, "retry", E.QUEUED, frozenset({ORGANISER})),
        Transition(E.DONE, "expire", E.EXPIRED, frozenset({SYSTEM})),
    ],
)


ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)


MAX_ACTIVE_PER_FAIR = 3  # queued or running at once, per fair


FILE_TOKEN_BYTES = 16  # 32 hex characters: the file name cannot be guessed


FILE_MODE = 0o600  # the files hold personal data: readable by the service's user only


FAIR_EXPORTS_SHOWN = 50


SLUG_MAX_CHARS = 60


AUDIT_OBJECT = "export"


AUDIT_PURPOSE = "jobmesse-eksport"


EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.XLSX: "xlsx", ExportFormat.PDF: "pdf"}


MIMETYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}


DOWNLOAD_WORDS = {KIND_SHORTLIST: "shortlister", KIND_INVITATIONS: "invitationer"}


NOT_STARTED_MESSAGE = (
    "Eksporten blev ikke startet inden for en time (baggrundsbehandlingen svarede ikke). Prøv igen."
)


EMPTY_FAIR_MESSAGE = "Der er ingen personer på jobmessens lister endnu."


NOBODY_INVITED_MESSAGE = "Ingen er markeret som inviteret endnu."


class ExportExpired(JobbroError):
    """The export's download period is over (or its file is gone): order a new one."""


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


def get_export(session: Session, actor: Actor, export_id: int) -> Export:
    """One export of the actor's organisation (organiser or admin); any other is
    :class:`OutOfScope`, whether or not it exists."""
    permissions.require_fair_organiser(session, actor)
    export = session.get(Export, export_id)
    if export is None or export.organisation_id != actor.organisation_id:
        raise OutOfScope("export", export_id, exists=export is not None)
    return export


def fair_exports(session: Session, actor: Actor, fair_id: int) -> list[Export]:
    """The fair's exports made by the actor's organisation, newest first."""
    fair = organiser_fair(session, actor, fair_id)
    return list(
        session.scalars(
            select(Export)
            .where(Export.job_fair_id == fair.id, Export.organisation_id == fair.organiser_id)
            .order_by(Export.created_at.desc(), Export.id.desc())
            .limit(FAIR_EXPORTS_SHOWN)
        )
    )


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
    fair = organiser_fair(session, actor, fair_id)
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
        # The sweep compares on the database's clock (see runs.fail_stalled).
        heartbeat_at=now or database_now(),
        params={},
    )
    session.add(export)
    session.flush()
    EXPORTS.start(session, export, actor=actor, at=now or utcnow())
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
    organiser_fair(session, actor, export.job_fair_id)
    _check_room(session, export.job_fair_id)
    EXPORTS.fire(session, export, "retry", party=ORGANISER, actor=actor, at=now)
    export.progress = 0
    export.error = None
    export.job_id = None
    export.started_at = None
    export.finished_at = None
    export.row_count = None
    export.file_name = None
    export.heartbeat_at = now or database_now()
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


def expire(session: Session, export: Export, export_dir: Path, *, now: datetime) -> None:
    """A finished export past its download period: its file is deleted and it is expired."""
    if export.file_name:
        (export_dir / export.file_name).unlink(missing_ok=True)
    EXPORTS.fire(session, export, "expire", party=SYSTEM, actor=Actor.system(), at=now)


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
