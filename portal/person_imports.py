"""Bulk import of people from a case system's CSV or JSON Lines export (administrators).

``/import/personer``: the upload form and the organisation's recent imports;
``/import/personer/<id>``: one import's progress (jobbro.js polls the JSON and reloads the page
when it has run; without JavaScript "Opdater" does), then its summary or its errors by line.

The rules live in :mod:`matching.intake.import_runs` and :mod:`matching.intake.imports`. The
uploaded file is stored encrypted with the import and handed to a worker after the request's
commit; when Redis cannot be reached the import stays queued and the minute sweep fails it after
an hour (nothing is stored then). Only administrators of an a-kasse or jobcentre get here; another
organisation's import is "not found" (404, audited), whatever its id.
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
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField

from matching.core import permissions
from matching.core.audit import record
from matching.core.dates import aware
from matching.core.errors import ValidationError
from matching.intake import import_runs
from matching.intake.import_formats import iter_columns
from matching.models import AuditAction, ImportStatus, PersonImport
from portal.auth import current_actor, role_required
from portal.errors import render_error
from portal.transaction import after_commit, get_db
from workers.queues import enqueue_person_import

log = logging.getLogger(__name__)

bp = Blueprint("person_imports", __name__)

UPLOAD_LIMIT = import_runs.MAX_FILE_BYTES + 64 * 1024  # the multipart envelope around the file
MAX_MB = import_runs.MAX_FILE_BYTES // (1024 * 1024)
TOO_LARGE_MESSAGE = import_runs.TOO_BIG.format(mb=MAX_MB)
SENT_MESSAGE = "Filen er modtaget. Siden viser, hvor langt importen er."
NOT_SENT_MESSAGE = (
    "Filen er gemt, men kunne ikke sendes til behandling lige nu. Importen startes ikke; "
    "upload filen igen om lidt."
)


class UploadForm(FlaskForm):
    """The CSRF token and the dry-run box; the file is read from ``request.files``."""

    dry_run = BooleanField("Prøvekørsel (gem intet)")


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, _values: dict | None) -> None:
    """Before the CSRF check reads the form: a body over the limit is refused unread (413)."""
    if endpoint == "person_imports.upload" and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge):  # noqa: ANN202 - a response
    return render_error(413, detail=TOO_LARGE_MESSAGE)


def _cpr_key() -> bytes:
    return current_app.extensions["jobbro_settings"].cpr_key


def state(person_import: PersonImport) -> dict[str, object]:
    """What the pages and the JSON show about an import."""
    status = person_import.status
    return {
        "status": status.value,
        "status_label": import_runs.STATUS_LABELS_DA[status],
        "progress": import_runs.progress_percent(person_import),
        "active": status in import_runs.ACTIVE,
        "processed": person_import.processed_lines,
        "total": person_import.total_lines,
        "created_at": aware(person_import.created_at),
        "finished_at": aware(person_import.finished_at),
    }


def _page(form: UploadForm, error: str | None = None, status: int = 200):  # noqa: ANN202
    imports = import_runs.recent_imports(get_db(), current_actor())
    html = render_template(
        "person_imports/index.html",
        form=form,
        error=error,
        imports=imports,
        states={i.id: state(i) for i in imports},
        columns=list(iter_columns()),
        max_mb=MAX_MB,
    )
    return html, status


@bp.get("/import/personer")
@role_required(permissions.ADMINS)
def imports():  # noqa: ANN201 - Flask view
    """The upload form and the organisation's recent imports, newest first."""
    return _page(UploadForm(formdata=None))


@bp.post("/import/personer")
@role_required(permissions.ADMINS)
def upload():  # noqa: ANN201 - Flask view
    """Store the file (encrypted) as a queued import, hand it to a worker after the commit,
    and go on to its page."""
    form = UploadForm()
    if not form.validate():
        return _page(form, status=400)
    sent = request.files.get("fil")
    data = sent.stream.read(import_runs.MAX_FILE_BYTES + 1) if sent and sent.filename else b""
    try:
        person_import = import_runs.request_import(
            get_db(),
            current_actor(),
            file_name=sent.filename if sent else "",
            data=data,
            dry_run=bool(form.dry_run.data),
            cpr_key=_cpr_key(),
        )
    except ValidationError as exc:
        return _page(form, error=" ".join(exc.errors.values()), status=400)
    import_id, job_id = person_import.id, person_import.job_id or ""

    def send() -> None:
        from portal.match_queue import redis_connection

        connection = redis_connection()
        try:
            if connection is None:
                raise OSError("no Redis is configured")
            enqueue_person_import(connection, import_id, job_id=job_id)
        except (redis.RedisError, OSError):
            log.warning("could not enqueue person import %s", import_id, exc_info=True)
            flash(NOT_SENT_MESSAGE, "warning")
            return
        flash(SENT_MESSAGE, "success")

    after_commit(send)
    return redirect(url_for("person_imports.status", import_id=import_id))


@bp.get("/import/personer/<int:import_id>")
@role_required(permissions.ADMINS)
def status(import_id: int):  # noqa: ANN201 - Flask view
    """One import: its progress, then what it did or the errors by line (audited: the errors
    name lines of a file of personal data)."""
    db = get_db()
    actor = current_actor()
    person_import = import_runs.get_import(db, actor, import_id)
    if person_import.status in (ImportStatus.DONE, ImportStatus.FAILED):
        record(
            db, actor, AuditAction.VIEW, import_runs.AUDIT_OBJECT, import_id,
            purpose=import_runs.AUDIT_PURPOSE,
        )  # fmt: skip
    response = current_app.make_response(
        render_template(
            "person_imports/status.html",
            person_import=person_import,
            state=state(person_import),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/import/personer/<int:import_id>/status.json")
@role_required(permissions.ADMINS)
def status_json(import_id: int):  # noqa: ANN201 - Flask view
    """{status, status_label, progress, active} for the live progress bar."""
    shown = state(import_runs.get_import(get_db(), current_actor(), import_id))
    response = jsonify(
        status=shown["status"],
        status_label=shown["status_label"],
        progress=shown["progress"],
        active=shown["active"],
    )
    response.headers["Cache-Control"] = "no-store"
    return response
