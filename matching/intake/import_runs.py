"""A bulk import of people as background work: uploaded, kept encrypted until it has run, run
by a worker with live progress, and failed when the worker dies (heartbeat).

A :class:`~matching.models.PersonImport` row is the source of truth; Redis only carries the job
(``workers.jobs.import_people``). States: ``queued → running → done | failed``. The uploaded file
is encrypted at rest (AES-256-GCM under a key derived from the CPR key with HKDF, label
``person-imports``, the import's id bound in as associated data) and removed from the row the
moment the import has run, whatever the outcome. :func:`run_person_import` commits in short
transactions of its own: the claim, progress every :data:`PROGRESS_COMMIT_SECONDS` (and a
heartbeat thread), then the import itself and the row's summary in one transaction, so the
people and "done" are committed together or not at all.

Only administrators of the organisation (a-kasse or jobcentre) see its imports; another
organisation's import is :class:`OutOfScope`, "not found" like an unknown id.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from matching.core.audit import Actor, record
from matching.core.db import session_scope
from matching.core.errors import ImportFormatError, OutOfScope, ValidationError
from matching.core.security import decrypt, derive_key, encrypt
from matching.intake.import_formats import format_of, parse_file
from matching.intake.imports import ImportSummary, require_importer, run_import
from matching.models import AuditAction, ImportStatus, PersonImport, utcnow

log = logging.getLogger(__name__)

KEY_LABEL = b"person-imports"
MAX_FILE_BYTES = 20 * 1024 * 1024  # 20 MB: some 40,000 people with CVs
RECENT_SHOWN = 20
PROGRESS_COMMIT_SECONDS = 0.5
HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(minutes=2)
QUEUED_TOO_LONG = timedelta(hours=1)
AUDIT_OBJECT = "person_import"
AUDIT_PURPOSE = "import"
CHECKED_PERCENT = 90  # the bar after every line is checked; storing fills the rest
STATUS_LABELS_DA = {
    ImportStatus.QUEUED: "I kø",
    ImportStatus.RUNNING: "I gang",
    ImportStatus.DONE: "Færdig",
    ImportStatus.FAILED: "Fejlet",
}
ACTIVE = (ImportStatus.QUEUED, ImportStatus.RUNNING)
TOO_BIG = "Filen er for stor (højst {mb} MB). Del den op i flere filer."
EMPTY = "Vælg en fil."
STALLED = "Importen stoppede uventet (arbejdsprocessen blev afbrudt). Intet er gemt. Prøv igen."
FAILED = (
    "Importen kunne ikke gennemføres ({kind}). Intet er gemt. Prøv igen, eller kontakt support."
)
NOT_STARTED = "Importen blev ikke startet inden for en time. Intet er gemt. Prøv igen."


def file_key(cpr_key: bytes) -> bytes:
    """The import files' AES-256 key, derived from the CPR key (``Settings.cpr_key``)."""
    return derive_key(cpr_key, KEY_LABEL)


def _aad(import_id: int) -> bytes:
    return f"person-import:{import_id}".encode()


def encrypt_file(cpr_key: bytes, import_id: int, data: bytes) -> bytes:
    return encrypt(file_key(cpr_key), data, _aad(import_id))


def decrypt_file(cpr_key: bytes, import_id: int, blob: bytes) -> bytes:
    return decrypt(file_key(cpr_key), blob, _aad(import_id))


def job_id_for(person_import: PersonImport) -> str:
    return f"import-people-{person_import.id}"


def request_import(
    session: Session,
    actor: Actor,
    *,
    file_name: str,
    data: bytes,
    dry_run: bool,
    cpr_key: bytes,
) -> PersonImport:
    """Store an uploaded file (encrypted) as a queued import of the actor's organisation.
    Raises :class:`ValidationError` (``file``) for an empty, too big or unknown kind of file."""
    organisation = require_importer(session, actor)
    name = os.path.basename(file_name or "").strip()[:255]
    if not data or not name:
        raise ValidationError({"file": EMPTY})
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"file": TOO_BIG.format(mb=MAX_FILE_BYTES // (1024 * 1024))})
    try:
        file_format = format_of(name)
    except ImportFormatError as exc:
        raise ValidationError({"file": str(exc)}) from None
    now = utcnow()
    person_import = PersonImport(
        organisation_id=organisation.id,
        requested_by_id=actor.user_id,
        file_name=name,
        file_format=file_format,
        file_encrypted=b"",
        dry_run=dry_run,
        status=ImportStatus.QUEUED,
        heartbeat_at=now,
        errors=[],
    )
    session.add(person_import)
    session.flush()
    person_import.file_encrypted = encrypt_file(cpr_key, person_import.id, data)
    person_import.job_id = job_id_for(person_import)
    record(
        session,
        actor,
        AuditAction.CREATE,
        AUDIT_OBJECT,
        person_import.id,
        purpose=AUDIT_PURPOSE,
        details={"format": file_format, "bytes": len(data), "dry_run": dry_run},
    )
    session.flush()
    return person_import


# The pages read an import's state, never its file (up to MAX_FILE_BYTES while it waits or runs,
# and the progress page polls): the file is loaded only if asked for.
_WITHOUT_FILE = defer(PersonImport.file_encrypted)


def get_import(session: Session, actor: Actor, import_id: int) -> PersonImport:
    """One import of the actor's organisation; any other is :class:`OutOfScope`."""
    require_importer(session, actor)
    person_import = session.get(PersonImport, import_id, options=[_WITHOUT_FILE])
    if person_import is None or person_import.organisation_id != actor.organisation_id:
        raise OutOfScope(AUDIT_OBJECT, import_id, exists=person_import is not None)
    return person_import


def recent_imports(session: Session, actor: Actor) -> list[PersonImport]:
    require_importer(session, actor)
    return list(
        session.scalars(
            select(PersonImport)
            .options(_WITHOUT_FILE)
            .where(PersonImport.organisation_id == actor.organisation_id)
            .order_by(PersonImport.id.desc())
            .limit(RECENT_SHOWN)
        )
    )


def progress_percent(person_import: PersonImport) -> int:
    if person_import.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return 100
    if not person_import.total_lines:
        return 0
    share = person_import.processed_lines / person_import.total_lines
    return min(CHECKED_PERCENT, int(CHECKED_PERCENT * share))


def _set(session: Session, import_id: int, source: ImportStatus, **values: object) -> bool:
    """A conditional update of the import's row: only while it is in ``source``."""
    return (
        session.execute(
            update(PersonImport)
            .where(PersonImport.id == import_id, PersonImport.status == source)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


class _Beat:
    """Progress and heartbeat writes of one running import, in short transactions."""

    def __init__(self, factory: Callable[[], Session], import_id: int) -> None:
        self.factory, self.import_id = factory, import_id
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.last = 0.0

    def write(self, **values: object) -> None:
        with self.lock, session_scope(self.factory) as session:
            _set(session, self.import_id, ImportStatus.RUNNING, heartbeat_at=utcnow(), **values)

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_COMMIT_SECONDS or done == total:
            self.last = now
            self.write(processed_lines=done, total_lines=total)

    def run(self, every: float) -> None:
        while not self.stop.wait(every):
            try:
                self.write()
            except Exception:  # noqa: BLE001 - a missed beat is retried
                log.warning("import %s: heartbeat failed", self.import_id, exc_info=True)


def run_person_import(
    session_factory: Callable[[], Session],
    import_id: int,
    *,
    cpr_key: bytes,
    on_progress: Callable[[int, int], None] | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> tuple[PersonImport, ImportSummary | None]:
    """Run a queued import (any other state: returned as it is, with no summary). The import
    and the row's "done" commit together; on an unexpected error the import is failed with a
    fixed Danish sentence and the error raised again. The file leaves the row either way."""
    with session_scope(session_factory) as session:
        person_import = session.get(PersonImport, import_id)
        if person_import is None or person_import.status is not ImportStatus.QUEUED:
            return _load(session_factory, import_id), None
        started = utcnow()
        if not _set(session, import_id, ImportStatus.QUEUED, status=ImportStatus.RUNNING,
                    started_at=started, heartbeat_at=started):  # fmt: skip
            return _load(session_factory, import_id), None
        actor = Actor(person_import.requested_by_id, person_import.organisation_id, "admin", None)
        blob, file_format = person_import.file_encrypted, person_import.file_format
        dry_run = person_import.dry_run
    beat = _Beat(session_factory, import_id)
    thread = threading.Thread(target=beat.run, args=(heartbeat_seconds,), daemon=True)
    thread.start()
    summary: ImportSummary | None = None
    try:

        def progress(done: int, total: int) -> None:
            beat.progress(done, total)
            if on_progress is not None:
                on_progress(done, total)

        data = decrypt_file(cpr_key, import_id, blob or b"")
        with session_scope(session_factory) as session:
            try:
                rows, errors = parse_file(data, file_format)
            except ImportFormatError as exc:
                rows, errors = [], [_file_error(str(exc))]
            summary = run_import(
                session,
                actor,
                rows,
                key=cpr_key,
                errors=errors,
                dry_run=dry_run,
                progress=progress,
            )
            if summary.errors:
                session.rollback()  # nothing of the import is stored
            finished = utcnow()
            with beat.lock:
                _set(
                    session,
                    import_id,
                    ImportStatus.RUNNING,
                    status=ImportStatus.DONE,
                    file_encrypted=None,
                    total_lines=summary.total,
                    processed_lines=summary.total,
                    created_count=summary.created,
                    updated_count=summary.updated,
                    unchanged_count=summary.unchanged,
                    errors=[e.to_dict() for e in summary.errors],
                    finished_at=finished,
                    heartbeat_at=finished,
                )
                record(
                    session,
                    actor,
                    AuditAction.UPDATE,
                    AUDIT_OBJECT,
                    import_id,
                    purpose=AUDIT_PURPOSE,
                    details={
                        "event": "completed",
                        "created": summary.created,
                        "updated": summary.updated,
                        "unchanged": summary.unchanged,
                        "errors": len(summary.errors),
                        "dry_run": dry_run,
                    },
                )
    except BaseException as exc:
        beat.stop.set()
        log.exception("person import %s failed", import_id)
        with session_scope(session_factory) as session:
            message = FAILED.format(kind=type(exc).__name__)
            _set(session, import_id, ImportStatus.RUNNING, status=ImportStatus.FAILED,
                 file_encrypted=None, finished_at=utcnow(),
                 errors=[_file_error(message).to_dict()])  # fmt: skip
        raise
    finally:
        beat.stop.set()
        thread.join(timeout=heartbeat_seconds + 5)
    return _load(session_factory, import_id), summary


def _file_error(message: str):  # noqa: ANN202 - a LineError for the file as a whole
    from matching.intake.import_formats import LineError

    return LineError(0, "", message)


def _load(session_factory: Callable[[], Session], import_id: int) -> PersonImport:
    with session_scope(session_factory) as session:
        person_import = session.get(PersonImport, import_id)
        if person_import is not None:
            session.refresh(person_import)
            session.expunge(person_import)
        return person_import


def fail_stalled(session: Session, *, now: datetime) -> list[int]:
    """Fail running imports whose heartbeat stopped and queued ones no worker took in an
    hour (the file is removed with them: nothing was stored). The caller commits."""
    last_sign = func.coalesce(PersonImport.heartbeat_at, PersonImport.created_at)
    failed: list[int] = []
    for status, cutoff, message in (
        (ImportStatus.RUNNING, now - STALE_AFTER, STALLED),
        (ImportStatus.QUEUED, now - QUEUED_TOO_LONG, NOT_STARTED),
    ):
        ids = session.scalars(
            select(PersonImport.id).where(PersonImport.status == status, last_sign < cutoff)
        ).all()
        for import_id in ids:
            if _set(session, import_id, status, status=ImportStatus.FAILED, file_encrypted=None,
                    finished_at=now, errors=[_file_error(message).to_dict()]):  # fmt: skip
                failed.append(import_id)
    session.flush()
    return failed
