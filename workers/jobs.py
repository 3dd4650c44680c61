"""Background jobs. Named ``verb_noun(ids…, *, options)``, idempotent, never swallowing errors."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

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
    """Delete export files whose download period is over and mark them expired; also delete
    any file in the export folder that no ready export points to once it is older than the
    download period (left by a worker that died between writing and recording a file).

    Idempotent: exports already expired are not touched again. Returns how many expired.
    """
    from datetime import timedelta

    from matching.fairs.exports.requests import expire

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
            expire(session, export, rt.settings.export_dir, now=now)
            expired += 1
        session.flush()
        kept = set(
            session.scalars(
                select(Export.file_name).where(
                    Export.status == ExportStatus.DONE, Export.file_name.is_not(None)
                )
            )
        )
    cutoff = (now - timedelta(hours=rt.settings.export_ttl_hours)).timestamp()
    orphans = 0
    folder = rt.settings.export_dir
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.is_file() and path.name not in kept and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            orphans += 1
    if expired or orphans:
        log.info("expired %d export file(s), deleted %d unrecorded file(s)", expired, orphans)
    return expired


def purge_expired_cv_drafts(*, now: datetime | None = None) -> int:
    """Hourly: delete the uploaded CV documents whose review period is over. Idempotent."""
    from matching.intake.drafts import purge_expired_drafts

    with runtime.get().session() as session:
        purged = purge_expired_drafts(session, now or utcnow())
    if purged:
        log.info("deleted %d expired CV draft(s)", purged)
    return purged


def purge_people(*, day: date | None = None, now: datetime | None = None) -> dict[str, object]:
    """Nightly: apply the retention rules (matching.intake.rights.purge): anonymise the people
    whose period after leaving the register is over, delete expired CV drafts and finished
    import files. Idempotent. The vector index drops the removed embeddings at its next
    check (CHECK_INDEX)."""
    from matching.core.dates import today_dk
    from matching.intake.rights import purge, retention_overrides

    rt = runtime.get()
    with rt.session() as session:
        summary = purge(
            session,
            today=day or today_dk(),
            dry_run=False,
            now=now,
            overrides=retention_overrides(rt.settings),
        )
    result = summary.to_dict()
    result.pop("pseudonyms")  # the job's result is kept in Redis: counts only
    if summary.anonymised or summary.cv_drafts or summary.import_files:
        log.info("retention: %s", result)
    return result


def export_shortlist(export_id: int) -> dict[str, object]:
    """Make a requested job-fair export (shortlists or invitation list) with live progress
    (matching.fairs.exports.runs.run_export). Idempotent: an export that is not queued is left as it
    is. A failure marks the export failed and is raised again, so RQ records it too."""
    from datetime import timedelta

    from matching.fairs.exports.runs import run_export

    rt = runtime.get()
    export = run_export(
        rt.session_factory,
        export_id,
        rt.settings.export_dir,
        ttl=timedelta(hours=rt.settings.export_ttl_hours),
    )
    return {
        "export_id": export.id,
        "status": export.status.value,
        "row_count": export.row_count,
        "attempts": export.attempts,
    }


def fail_stalled_exports(*, now: datetime | None = None) -> list[int]:
    """Every minute: fail exports whose worker stopped beating (killed) or that no worker took
    within an hour, and delete what their attempts left half-written, so none stays
    "running" for ever; they can be retried. Idempotent."""
    from matching.fairs.exports.runs import fail_stalled, remove_partial_files

    rt = runtime.get()
    with rt.session() as session:
        failed = fail_stalled(session, now=now)  # None: the database's clock
    for export_id in failed:
        remove_partial_files(rt.settings.export_dir, export_id)
    return failed


def import_people(import_id: int) -> dict[str, object]:
    """Run an uploaded bulk import of people (matching.intake.import_runs.run_person_import)
    with live progress, then queue the match lists of the people it created or changed.
    Idempotent: an import that is not queued is left as it is."""
    from matching.intake.import_runs import run_person_import
    from workers.queues import enqueue_imported_people

    rt = runtime.get()
    person_import, summary = run_person_import(
        rt.session_factory, import_id, cpr_key=rt.settings.cpr_key
    )
    queued = 0
    connection = _job_connection()
    if summary is not None and summary.ok and not summary.dry_run and connection is not None:
        queued = enqueue_imported_people(connection, summary.created_ids + summary.updated_ids)
    return {
        "import_id": import_id,
        "status": person_import.status.value,
        "created": person_import.created_count,
        "updated": person_import.updated_count,
        "unchanged": person_import.unchanged_count,
        "errors": len(person_import.errors or []),
        "match_jobs": queued,
    }


def fail_stalled_imports(*, now: datetime | None = None) -> list[int]:
    """Every minute: fail person imports whose worker stopped beating or that no worker took
    within an hour (nothing of them was stored; the file is removed). Idempotent."""
    from matching.intake.import_runs import fail_stalled

    with runtime.get().session() as session:
        return fail_stalled(session, now=now or utcnow())


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


# --- match lists ------------------------------------------------------------------------------

STALE_BATCH = 5_000  # lists enqueued per nightly run at most (the rest follow the next night)
REFRESH_VACANCY_LISTS = 10  # a changed CV refreshes at most this many vacancies' lists


def match_vacancy(vacancy_id: int) -> dict[str, object]:
    """(Re)compute and store a vacancy's or place's candidate list (after it was saved).

    A vacancy saved without an occupation gets the hybrid normaliser's best one for its title
    first (the portal suggests with the lexical side only). Encodes the vacancy if its text
    changed. A vacancy that is not open (or a place not yet approved) gets an empty list.
    Idempotent: running it twice stores the same list.
    """
    from workers.match_service import get_service
    from workers.occupation_service import fill_vacancy_occupation

    filled = fill_vacancy_occupation(vacancy_id)
    result = get_service().compute_vacancy(vacancy_id).to_dict()
    return {**result, "occupation_filled": filled} if filled else result


def match_jobseeker(jobseeker_id: int) -> dict[str, object]:
    """(Re)compute a person's list of vacancies and places after their CV changed.

    The vacancies where the person now belongs in the candidate list get their lists
    recomputed too (as separate jobs), so a new CV reaches counsellors without waiting for
    the nightly run.
    """
    from sqlalchemy import func

    from matching.models import Match
    from workers.match_service import get_service
    from workers.queues import enqueue_match

    service = get_service()
    result = service.compute_jobseeker(jobseeker_id).to_dict()
    with runtime.get().session() as session:
        mine = session.execute(
            select(Match.vacancy_id, Match.score, Match.rank)
            .where(Match.jobseeker_id == jobseeker_id, Match.person_rank.is_not(None))
            .order_by(Match.person_rank)
            .limit(REFRESH_VACANCY_LISTS)
        ).all()
        # Per vacancy: how long its list is and the lowest score on it.
        lists = {
            vacancy_id: (count, floor)
            for vacancy_id, count, floor in session.execute(
                select(Match.vacancy_id, func.count(), func.min(Match.score))
                .where(Match.vacancy_id.in_([m.vacancy_id for m in mine]), Match.rank.is_not(None))
                .group_by(Match.vacancy_id)
            )
        }

    def belongs(m) -> bool:  # noqa: ANN001 - the person now belongs in the vacancy's list
        count, floor = lists.get(m.vacancy_id, (0, 0.0))
        return m.rank is None and (count < service.config.list_size or m.score > floor)

    refresh = [m.vacancy_id for m in mine if belongs(m)]
    connection = _job_connection()
    if connection is None:  # run outside a worker without Redis: the nightly run catches up
        refresh = []
    for vacancy_id in refresh:
        enqueue_match(connection, "vacancy", vacancy_id)
    return {**result, "refreshed_vacancy_lists": refresh}


def recompute_stale_matches(*, limit: int = STALE_BATCH) -> dict[str, object]:
    """Nightly: enqueue every list that is missing or stale (model or rule version changed,
    or the vacancy/CV changed after its list was computed). Unique job ids make a second run,
    or a run on another worker, add nothing that is already waiting."""
    return _enqueue_stale(limit=limit, changed_only=False, changed_before=None)


CATCH_UP_BATCH = 500  # lists enqueued per catch-up run at most
CATCH_UP_GRACE = timedelta(minutes=2)  # a newer change's own job is still waiting or running


def catch_up_changed_lists(*, limit: int = CATCH_UP_BATCH) -> dict[str, object]:
    """Every few minutes: enqueue the lists whose vacancy or CV changed (or that have no list)
    more than a couple of minutes ago without a list computed since — the saves whose match
    job was lost (Redis restarted without persistence, a worker killed mid-job, Redis down
    when the portal saved). Versions are left to the nightly run."""
    return _enqueue_stale(limit=limit, changed_only=True, changed_before=utcnow() - CATCH_UP_GRACE)


def _enqueue_stale(
    *, limit: int, changed_only: bool, changed_before: datetime | None
) -> dict[str, object]:
    from matching.ranking.scoring import rules_version
    from matching.ranking.storage import stale_subjects
    from workers.queues import enqueue_match

    rt = runtime.get()
    model_version = rt.index("jobseeker").model_version
    connection = _job_connection()
    if connection is None:
        raise RuntimeError("recomputing stale lists needs Redis: run it in a worker")
    counts: dict[str, object] = {}
    for kind in ("vacancy", "jobseeker"):
        with rt.session() as session:
            ids = stale_subjects(
                session,
                kind,
                model_version=model_version,
                rules_version=rules_version(),
                limit=limit,
                changed_only=changed_only,
                changed_before=changed_before,
            )
        for subject_id in ids:
            enqueue_match(connection, kind, subject_id)
        counts[kind] = len(ids)
    log.info("enqueued stale match lists: %s", counts)
    return counts


def _job_connection():  # noqa: ANN202 - a Redis connection, or None
    """The running job's Redis connection; outside a job the configured Redis, if any."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        return job.connection
    url = runtime.get().settings.redis_url
    if url is None:
        return None
    from workers.redis_server import connect

    return connect(url)


def warm_occupation_index() -> dict[str, object]:
    """Encode the imported taxonomy's labels into the embedding cache (once per model version).

    Run at start-up so that the first `jobbro occupations suggest` (and the portal's title
    suggestions) builds its index in seconds rather than encoding ~44,000 ESCO labels first.
    Idempotent: cached labels are not encoded again. The built index is kept as this worker's
    (:func:`workers.occupation_service.occupation_index`).
    """
    from workers import occupation_service

    occupations, encoded = occupation_service.warm_occupation_index()
    return {"occupations": occupations, "encoded": encoded}


def process_overdue_referrals(*, now: datetime | None = None) -> dict[str, object]:
    """Daily: remind referrals the employer has not answered by their respond-by date, and
    expire those still unanswered ``JOBBRO_REFERRAL_REMINDER_DAYS`` after the reminder.
    Idempotent (a second run the same day changes nothing)."""
    from matching.referrals.workflow import process_overdue

    rt = runtime.get()
    with rt.session() as session:
        result = process_overdue(
            session,
            now=now or utcnow(),
            reminder_days=rt.settings.referral_reminder_days,
            base_url=rt.settings.base_url,
        )
    if result.reminded or result.expired:
        log.info("referrals reminded %s, expired %s", result.reminded, result.expired)
    return {"reminded": result.reminded, "expired": result.expired}


def deliver_notifications(*, now: datetime | None = None) -> dict[str, int]:
    """Every minute: send the queued e-mail notifications that are due (see
    matching.core.notifications; at least once, with back-off on failure)."""
    from matching.core.mail import sender_from_settings
    from matching.core.notifications import deliver_pending

    rt = runtime.get()
    with rt.session() as session:
        result = deliver_pending(session, sender_from_settings(rt.settings), now=now)
    if result.retrying or result.failed:
        log.warning("notifications: %s", result)
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}


def apply_routing(*, day: date | None = None) -> dict[str, object]:
    """Nightly: hand jobseekers over when the routing rules name another responsible
    organisation for today (Danish date), e.g. at the end of the a-kasse's months. One
    transaction per batch; idempotent (a second or concurrent run hands over nothing more)."""
    from matching.core.dates import today_dk
    from matching.people.handovers import run_routing

    rt = runtime.get()
    report = run_routing(rt.session_factory, day or today_dk(), base_url=rt.settings.base_url)
    if report.handed_over or report.assigned or report.unresolved:
        log.info("routing: %s", report.to_dict())
    return report.to_dict()


def evaluate_forwarding(*, now: datetime | None = None) -> dict[str, object]:
    """Every 15 minutes: forward the vacancies their owners cannot fill, by each owner's rules
    (matching.vacancies.forwarding). One transaction per forwarding; idempotent, also when two
    workers run it at once (the forwarding's unique key decides)."""
    from matching.vacancies.forwarding.decisions import evaluate

    rt = runtime.get()
    with rt.session() as session:
        result = evaluate(session, now or utcnow(), base_url=rt.settings.base_url)
    if result.forwarded:
        log.info("forwarded %d vacancy/target pair(s): %s", len(result.forwarded), result.forwarded)
    return result.to_dict()


def seal_audit_log() -> dict[str, int]:
    """Every minute: seal the audit entries written since the last seal
    (matching.core.audit_seals). Idempotent; a sealer that loses a race to another one seals
    nothing."""
    from sqlalchemy.exc import IntegrityError

    from matching.core.audit_seals import seal_key, seal_pending

    rt = runtime.get()
    try:
        with rt.session() as session:
            seals = seal_pending(session, seal_key(rt.settings.secret_key))
            rows = sum(seal.row_count for seal in seals)
    except IntegrityError:  # another sealer took the same range first (audit_seals.first_id)
        log.info("audit seal: another sealer sealed the same entries first")
        return {"seals": 0, "rows": 0}
    return {"seals": len(seals), "rows": rows}


def checkpoint_audit_log() -> dict[str, object]:
    """Daily: seal what is pending, then log the newest seal's hash as one line (logger
    ``jobbro.audit``) for the log output kept elsewhere (``jobbro audit verify --checkpoint``)."""
    from matching.core.audit_seals import checkpoint

    sealed = seal_audit_log()
    with runtime.get().session() as session:
        line = checkpoint(session)
    return {**sealed, "checkpoint": line}
