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
