"""Job-fair exports: request, follow progress, download and retry.

The rules live in :mod:`matching.fairs.exports`; these views read forms and call it, and after
the request's commit hand the export to a worker through Redis. Redis only carries work: when it
cannot be reached the export is saved as queued all the same, the page says that it has not been
started, and "Send igen" hands it over once Redis is back (the minute sweep fails an export
that waited an hour, which can then be retried).

Only organisers and administrators of the fair's organiser organisation get here; another
organisation's export is "not found" (404), whatever its id.
"""

from __future__ import annotations

import logging

import redis
from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from matching.core import permissions
from matching.core.dates import aware
from matching.core.errors import ValidationError
from matching.fairs.exports import requests
from matching.models import Export, ExportStatus, JobFair
from portal.auth import current_actor, role_required
from portal.forms import form_page, show_errors
from portal.match_queue import redis_connection
from portal.transaction import after_commit, get_db, own_unit
from workers.queues import enqueue_export, job_is_lost

log = logging.getLogger(__name__)

bp = Blueprint("exports", __name__)

FAIR_DETAIL_ENDPOINT = "fairs.fair_detail"
NOT_SENT_MESSAGE = (
    "Eksporten er gemt, men kunne ikke sendes til behandling lige nu. Tryk »Send igen« om lidt."
)
SENT_MESSAGE = "Eksporten er bestilt. Siden viser, hvor langt den er."
KIND_CHOICES = [
    SelectChoice("shortlist", "Shortlister – alle stillingers lister, med match og begrundelse"),
    SelectChoice("invitations", "Invitationsliste – til brevfletning af de inviterede (kun CSV)"),
]
FORMAT_CHOICES = [
    SelectChoice("xlsx", "XLSX – regneark med et ark pr. virksomhed"),
    SelectChoice("csv", "CSV – semikolonsepareret, til Excel"),
    SelectChoice("pdf", "PDF – en side pr. virksomhed, til print"),
]
FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX", "pdf": "PDF"}


class ExportForm(FlaskForm):
    """Typed choices stay as chosen; :func:`~matching.fairs.exports.requests.request_export`
    judges them."""

    kind = RadioField(
        "Hvad vil du eksportere?", choices=KIND_CHOICES, default="shortlist", validate_choice=False
    )
    format = RadioField("Format", choices=FORMAT_CHOICES, default="xlsx", validate_choice=False)


def _settings():  # noqa: ANN202 - matching.core.settings.Settings
    return current_app.extensions["jobbro_settings"]


def _back_to_fair(fair_id: int | None) -> dict[str, str]:
    """The page to go back to (``back_url``, ``back_label``): the fair's when the portal has one."""
    if fair_id is not None and FAIR_DETAIL_ENDPOINT in current_app.view_functions:
        url, label = url_for(FAIR_DETAIL_ENDPOINT, fair_id=fair_id), "Tilbage til jobmessen"
    else:
        url, label = url_for("main.home"), "Til forsiden"
    return {"back_url": url, "back_label": label}


def _send_after_commit(export: Export, sent: str) -> None:
    """Once the export is committed, hand it to a worker and remember the job, then say so
    (``sent``); when Redis cannot be reached the export stays queued and can be sent again."""
    export_id, job_id = export.id, requests.job_id_for(export)

    def send() -> None:
        connection = redis_connection()
        try:
            if connection is None:
                raise OSError("no Redis is configured")
            job = enqueue_export(connection, export_id, job_id=job_id)
        except (redis.RedisError, OSError):
            log.warning("could not enqueue export %s", export_id, exc_info=True)
            flash(NOT_SENT_MESSAGE, "warning")
            return
        with own_unit() as db:
            requests.mark_enqueued(db, export_id, job.id)
        flash(sent, "success")

    after_commit(send)


def _uncached(response: Response) -> Response:
    """The export's state and file carry personal data: no cache may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _never_reaches_a_worker(export: Export) -> bool:
    """A queued export with no job (Redis was down when it was ordered) or whose job Redis no
    longer holds (restarted without persistence): it must be sent again."""
    if export.status is not ExportStatus.QUEUED:
        return False
    if export.job_id is None:
        return True
    connection = redis_connection()
    if connection is None:
        return False
    try:
        return job_is_lost(connection, export.job_id)
    except (redis.RedisError, OSError):
        return False  # cannot tell now; the sweep fails it after an hour at the latest


def state(export: Export) -> dict[str, object]:
    """What the status page and its JSON show about an export."""
    expired = requests.is_expired(export)
    status = ExportStatus.EXPIRED if expired else export.status
    waiting = not expired and _never_reaches_a_worker(export)
    return {
        "status": status.value,
        "status_label": ("Ikke startet endnu" if waiting else requests.STATUS_LABELS_DA[status]),
        "progress": 100 if status is ExportStatus.DONE else export.progress,
        "row_count": export.row_count,
        "download_url": (
            url_for("exports.download", export_id=export.id)
            if status is ExportStatus.DONE
            else None
        ),
        "error": export.error if status is ExportStatus.FAILED else None,
        "waiting_for_worker": waiting,
        "expires_at": aware(export.expires_at),
        "active": status in requests.ACTIVE,
        "created_at": aware(export.created_at),
    }


def _fair_page(
    fair_id: int, form: ExportForm | None = None, general: str | None = None, status: int = 200
) -> tuple[str, int]:
    db = get_db()
    exports = requests.fair_exports(db, current_actor(), fair_id)
    return form_page(
        "exports/fair.html",
        status=status,
        fair=db.get(JobFair, fair_id),
        exports=exports,
        states={e.id: state(e) for e in exports},
        form=form or ExportForm(formdata=None),
        general_error=general,
        kind_labels=requests.KIND_LABELS_DA,
        format_labels=FORMAT_LABELS,
        max_active=requests.MAX_ACTIVE_PER_FAIR,
        ttl_hours=_settings().export_ttl_hours,
        **_back_to_fair(fair_id),
    )


@bp.get("/jobmesser/<int:fair_id>/eksporter")
@role_required(permissions.FAIR_ORGANISERS)
def fair_exports(fair_id: int):  # noqa: ANN201 - Flask view
    """The fair's exports, newest first, and the form to order a new one."""
    return _fair_page(fair_id)


@bp.post("/jobmesser/<int:fair_id>/eksporter")
@role_required(permissions.FAIR_ORGANISERS)
def create_export(fair_id: int):  # noqa: ANN201 - Flask view
    """Order an export: saved as queued, then handed to a worker; on to its status page."""
    form = ExportForm()
    form.validate()  # the CSRF token; the choices are the domain's to judge
    db = get_db()
    kind = form.kind.data or ""
    # The invitation list exists only as CSV: whatever format is ticked (XLSX by default).
    fmt = "csv" if kind == "invitations" else form.format.data or ""
    try:
        export = requests.request_export(db, current_actor(), fair_id, kind=kind, fmt=fmt)
    except ValidationError as exc:
        general = show_errors(form, exc.errors)
        return _fair_page(fair_id, form=form, general=general, status=400)
    _send_after_commit(export, SENT_MESSAGE)
    return redirect(url_for("exports.export_status", export_id=export.id))


@bp.get("/eksporter/<int:export_id>")
@role_required(permissions.FAIR_ORGANISERS)
def export_status(export_id: int):  # noqa: ANN201 - Flask view
    """One export: a progress bar that follows the work (jobbro.js polls the JSON below;
    without JavaScript, "Opdater" reloads), the download when done, "Prøv igen" when failed."""
    db = get_db()
    export = requests.get_export(db, current_actor(), export_id)
    fair = db.get(JobFair, export.job_fair_id) if export.job_fair_id else None
    return render_template(
        "exports/status.html",
        export=export,
        fair=fair,
        state=state(export),
        kind_label=requests.KIND_LABELS_DA.get(export.kind, export.kind),
        format_label=FORMAT_LABELS[export.format.value],
        **_back_to_fair(export.job_fair_id),
    )


@bp.get("/eksporter/<int:export_id>/status.json")
@role_required(permissions.FAIR_ORGANISERS)
def export_status_json(export_id: int):  # noqa: ANN201 - Flask view
    """{status, status_label, progress, row_count, download_url} for the live progress bar."""
    export = requests.get_export(get_db(), current_actor(), export_id)
    shown = state(export)
    return _uncached(
        jsonify(
            status=shown["status"],
            status_label=shown["status_label"],
            progress=shown["progress"],
            row_count=shown["row_count"],
            download_url=shown["download_url"],
            error=shown["error"],
            retry=shown["status"] == ExportStatus.FAILED.value or shown["waiting_for_worker"],
            waiting_for_worker=shown["waiting_for_worker"],
        )
    )


@bp.get("/eksporter/<int:export_id>/hent")
@role_required(permissions.FAIR_ORGANISERS)
def download(export_id: int):  # noqa: ANN201 - Flask view
    """The file, as an attachment (audited); 410 with a Danish page once it has expired."""
    db = get_db()
    actor = current_actor()
    try:
        path, name, mimetype = requests.open_download(db, actor, export_id, _settings().export_dir)
    except requests.ExportExpired:
        export = requests.get_export(db, actor, export_id)
        html = render_template(
            "exports/expired.html",
            export=export,
            ttl_hours=_settings().export_ttl_hours,
            **_back_to_fair(export.job_fair_id),
            new_url=(
                url_for("exports.fair_exports", fair_id=export.job_fair_id)
                if export.job_fair_id
                else None
            ),
        )
        return html, 410
    return _uncached(
        send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    )


@bp.post("/eksporter/<int:export_id>/igen")
@role_required(permissions.FAIR_ORGANISERS)
def retry(export_id: int):  # noqa: ANN201 - Flask view
    """Queue a failed export again, or send a queued one that never reached a worker."""
    db = get_db()
    actor = current_actor()
    export = requests.get_export(db, actor, export_id)
    if export.status is ExportStatus.FAILED:
        try:
            export = requests.retry_export(db, actor, export_id)
        except ValidationError as exc:
            flash(" ".join(exc.errors.values()), "error")
            return redirect(url_for("exports.export_status", export_id=export_id))
    elif not _never_reaches_a_worker(export):
        flash("Eksporten er allerede i gang eller færdig.", "info")
        return redirect(url_for("exports.export_status", export_id=export_id))
    _send_after_commit(export, "Eksporten er sendt til behandling igen.")
    return redirect(url_for("exports.export_status", export_id=export_id))
