"""A person's rights: the data export (GDPR art. 15 and 20) and erasure on a lawful request.

Counsellors of the organisation answering for the person (responsible today, or responsible
last for a person who has left the register) see the page and download the export as JSON or
PDF, and erase a person who has left the register; another organisation's person is "not
found" (and logged). Every download is an EXPORT entry in the audit log (purpose "indsigt"),
every erasure a DELETE entry (purpose "sletning") naming only the pseudonym.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField

from matching.core import audit, dates, permissions
from matching.core.errors import ValidationError
from matching.intake import rights
from matching.models import AuditAction, Jobseeker
from matching.people.queries import get_jobseeker_answered_for
from portal.auth import current_actor, role_required
from portal.forms import clean_text, form_page, reason_field, show_errors
from portal.transaction import get_db

bp = Blueprint("person_rights", __name__, url_prefix="/ledige")

REASON_MISSING = "Skriv, hvilken anmodning sletningen sker på."


class ErasureForm(FlaskForm):
    reason = reason_field("Hvilken anmodning sker sletningen på?")
    confirm = BooleanField("Jeg bekræfter, at personens oplysninger skal slettes nu")


def _settings():  # noqa: ANN202 - matching.core.settings.Settings
    return current_app.extensions["jobbro_settings"]


def _person(jobseeker_id: int) -> Jobseeker:
    """The person, if the organisation answers for their data (responsible today, or last
    for a person who has left the register); else 404, audited."""
    return get_jobseeker_answered_for(get_db(), current_actor(), jobseeker_id)


def _file_name(person: Jobseeker, extension: str) -> str:
    return f"indsigt-{person.pseudonym}.{extension}"


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:jobseeker_id>/indsigt")
@role_required(permissions.COUNSELLORS)
def overview(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """What the export holds and the two downloads."""
    db = get_db()
    actor = current_actor()
    person = _person(jobseeker_id)
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "jobseeker",
        person.id,
        jobseeker_id=person.id,
        purpose=rights.PURPOSE_EXPORT,
    )
    back = person.responsible_on(dates.today_dk()) is not None  # the person's page is open
    return form_page("person_rights/overview.html", person=person, back_to_person=back)


@bp.get("/<int:jobseeker_id>/indsigt.json")
@role_required(permissions.COUNSELLORS)
def export_json(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Everything held about the person, as JSON (audited)."""
    person = _person(jobseeker_id)
    data = rights.person_data_export(
        get_db(), current_actor(), person, cpr_key=_settings().cpr_key, file_format="json"
    )
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return _download(body, "application/json", _file_name(person, "json"))


@bp.get("/<int:jobseeker_id>/indsigt.pdf")
@role_required(permissions.COUNSELLORS)
def export_pdf(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Everything held about the person, as a readable PDF (audited)."""
    person = _person(jobseeker_id)
    data = rights.person_data_export(
        get_db(), current_actor(), person, cpr_key=_settings().cpr_key, file_format="pdf"
    )
    return _download(rights.person_data_pdf(data), "application/pdf", _file_name(person, "pdf"))


@bp.route("/<int:jobseeker_id>/slet", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def erase(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Erase a person who has left the register, on their lawful request: a reason and a
    confirmation. A person still on the register is taken off it first (afgang)."""
    db = get_db()
    actor = current_actor()
    person = _person(jobseeker_id)
    pseudonym = person.pseudonym
    if request.method == "GET":
        return form_page("person_rights/erase.html", person=person, form=ErasureForm(formdata=None))
    form = ErasureForm()
    form.validate()  # the reason's length; what is missing is said below
    reason = clean_text(form.reason.data)
    errors = {name: messages[0] for name, messages in form.errors.items() if messages}
    if not reason:
        errors.setdefault("reason", REASON_MISSING)
    if not form.confirm.data:
        errors["confirm"] = "Bekræft, at oplysningerne skal slettes."
    try:
        if errors:
            raise ValidationError(errors)
        rights.erase_on_request(db, actor, person, reason=reason)
    except ValidationError as exc:
        general = show_errors(form, exc.errors)
        return form_page(
            "person_rights/erase.html", person=person, form=form, general=general, status=400
        )
    flash(f"Oplysningerne om {pseudonym} er slettet. Pseudonym og statistik er bevaret.", "success")
    return redirect(url_for("person_rights.overview", jobseeker_id=jobseeker_id))
