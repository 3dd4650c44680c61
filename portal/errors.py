"""The one place where errors become Danish error pages (or JSON for /healthz-style clients).

Domain errors from :mod:`matching.core.errors` map to HTTP statuses here and nowhere else:
``NotFound`` → 404, ``PermissionDenied`` → 403, ``ValidationError`` → 400,
``ServiceUnavailable`` → 503. Access outside the user's scope is written to the audit log as
``ACCESS_DENIED`` before the page is shown.
"""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from matching.core import audit
from matching.core.errors import (
    NotFound,
    OutOfScope,
    PermissionDenied,
    ServiceUnavailable,
    ValidationError,
)
from matching.models import AuditAction, AuditEntry

log = logging.getLogger(__name__)

# status → (title, explanation), Danish
MESSAGES: dict[int, tuple[str, str]] = {
    400: (
        "Forespørgslen kunne ikke behandles",
        "Noget i forespørgslen var ikke gyldigt. Gå tilbage og prøv igen.",
    ),
    403: (
        "Du har ikke adgang til siden",
        "Din rolle giver ikke adgang til denne side. Skift organisation eller rolle, "
        "hvis du har flere, eller kontakt din administrator.",
    ),
    404: (
        "Siden blev ikke fundet",
        "Siden findes ikke, eller du har ikke adgang til den. Tjek adressen, "
        "eller gå tilbage til forsiden.",
    ),
    405: ("Handlingen er ikke tilladt", "Siden kan ikke bruges på denne måde."),
    409: (
        "Ændringen blev ikke gemt",
        "Nogen ændrede de samme oplysninger samtidig med dig. Genindlæs siden, og prøv igen.",
    ),
    500: (
        "Der opstod en fejl",
        "Der skete en uventet fejl hos os. Prøv igen om lidt. "
        "Fejlen er registreret, og vi arbejder på at rette den.",
    ),
    503: (
        "Tjenesten er midlertidigt utilgængelig",
        "Vi kan ikke få forbindelse til databasen lige nu. Prøv igen om lidt.",
    ),
}
OBJECT_ID_CHARS = AuditEntry.__table__.c.object_id.type.length
CSRF_MESSAGE = (
    "Formularen er udløbet eller mangler sit sikkerhedsfelt. Genindlæs siden, og prøv igen."
)


def render_error(status: int, detail: str | None = None, errors: list[str] | None = None):  # noqa: ANN201
    """Render the Danish error page for ``status``."""
    title, text = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    return (
        render_template(
            "errors/error.html", status=status, title=title, text=detail or text, errors=errors
        ),
        status,
    )


def _record_denied(
    object_type: str,
    object_id: str | int | None,
    *,
    jobseeker_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Write ACCESS_DENIED in its own small unit of work: the request's work is discarded first,
    and the entry is committed here, not by the request, so that a failure to write it is logged
    and never turns the 403/404 into a 500 (a documented exception to ``portal.transaction``)."""
    from portal.auth import current_actor
    from portal.transaction import get_db

    if g.get("user") is None:
        return
    db = get_db()
    try:
        db.rollback()
        audit.record(
            db,
            current_actor(),
            AuditAction.ACCESS_DENIED,
            object_type,
            object_id,
            jobseeker_id=jobseeker_id,
            details={"path": request.path, "method": request.method, **(details or {})},
        )
        db.commit()
    except SQLAlchemyError:
        # Never turn a 403/404 into a 500; but do say that the audit trail has a gap.
        log.exception("could not write ACCESS_DENIED audit entry for %s", request.path)
        db.rollback()


def _page_id() -> str:
    """The refused page as the audit entry's object: its endpoint (the path, which can be
    longer than the column, is in the entry's details)."""
    return (request.endpoint or request.path)[:OBJECT_ID_CHARS]


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app`` (called once by the application factory)."""

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):  # noqa: ANN202
        if isinstance(exc, OutOfScope):
            _record_denied(
                exc.object_type,
                exc.object_id,
                jobseeker_id=exc.jobseeker_id,
                details={"exists": exc.exists},
            )
        return render_error(404)

    @app.errorhandler(PermissionDenied)
    def permission_denied(_exc: PermissionDenied):  # noqa: ANN202
        _record_denied("page", _page_id())
        return render_error(403)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):  # noqa: ANN202
        return render_error(400, errors=list(exc.errors.values()))

    @app.errorhandler(ServiceUnavailable)
    def service_unavailable(_exc: ServiceUnavailable):  # noqa: ANN202
        log.exception("backing service unavailable")
        return render_error(503)

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError):  # noqa: ANN202
        return render_error(400, detail=CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        status = exc.code or 500
        if status == 403:
            _record_denied("page", _page_id())
        return render_error(status)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # noqa: ANN202
        if isinstance(exc, HTTPException):
            return http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
