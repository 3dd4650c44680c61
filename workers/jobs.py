"""Background jobs. Named ``verb_noun(ids…, *, options)``, idempotent, never swallowing errors."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from matching.models import Export, ExportStatus, utcnow
from workers import runtime

log = logging.getLogger(__name__)


def check_worker() -> dict[str, str]:
    """Round trip used by health checks and tests: proves a worker takes jobs and reaches the DB."""
    from sqlalchemy import text

    with runtime.get().session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "at": utcnow().isoformat()}


def purge_expired_exports(*, now: datetime | None = None) -> int:
    """Delete export files whose download period is over and mark them expired.

    Idempotent: exports already expired are not touched again. Returns how many expired.
    """
    rt = runtime.get()
    now = now or utcnow()
    expired = 0
    with rt.session() as session:
        rows = session.scalars(
            select(Export).where(
                Export.status == ExportStatus.DONE,
                Export.expires_at.is_not(None),
                Export.expires_at <= now,
            )
        ).all()
        for export in rows:
            if export.file_name:
                path = rt.settings.export_dir / export.file_name
                path.unlink(missing_ok=True)
            export.status = ExportStatus.EXPIRED
            expired += 1
    if expired:
        log.info("expired %d export file(s)", expired)
    return expired


def encode_vacancy(vacancy_id: int) -> dict[str, object]:
    """(Re)encode one vacancy or place after it was saved, and make it searchable."""
    return _encode("vacancy", [vacancy_id])


def encode_jobseeker(jobseeker_id: int) -> dict[str, object]:
    """(Re)encode one jobseeker after their CV changed, and make them searchable."""
    return _encode("jobseeker", [jobseeker_id])


def encode_all(kind: str, *, batch_size: int = 256) -> dict[str, object]:
    """Backfill: bring every stored vector of ``kind`` up to date (model or text changed).

    Idempotent: unchanged texts are skipped by fingerprint, so a second run encodes nothing.
    Progress is reported in ``job.meta`` for the portal and the CLI.
    """
    from rq import get_current_job
    from sqlalchemy import select

    from matching.models import Jobseeker, Vacancy

    model = {"vacancy": Vacancy, "jobseeker": Jobseeker}[kind]
    with runtime.get().session() as session:
        ids = list(session.scalars(select(model.id).order_by(model.id)))
    job = get_current_job()
    totals = {"encoded": 0, "unchanged": 0, "removed": 0}
    for start in range(0, len(ids), batch_size):
        result = _encode(kind, ids[start : start + batch_size])
        for key in totals:
            totals[key] += int(result[key])  # type: ignore[call-overload]
        if job is not None:
            job.meta["progress"] = round(100 * min(start + batch_size, len(ids)) / max(len(ids), 1))
            job.save_meta()
    version = runtime.get().encoder().model_version
    return {"kind": kind, "total": len(ids), **totals, "model_version": version}


def _encode(kind: str, ids: list[int]) -> dict[str, object]:
    from workers.embedding_service import encode_entities

    rt = runtime.get()
    encoder = rt.encoder()
    with rt.session() as session:
        result = encode_entities(session, encoder, kind, ids)
    rt.index(kind).apply(result)
    return {
        "kind": kind,
        "encoded": len(result.encoded),
        "unchanged": len(result.unchanged),
        "removed": len(result.removed),
        "model_version": encoder.model_version,
    }


def check_index(kind: str) -> dict[str, object]:
    """Reconcile this worker's index of ``kind`` with the database and save it (periodic)."""
    service = runtime.get().index(kind)
    report = service.reconcile()
    service.save()
    return {"kind": kind, **report.to_dict(), "count": len(service.index)}
