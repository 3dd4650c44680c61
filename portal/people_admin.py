"""Registering and maintaining people, leaving the register and the consent ledger.

Counsellors of the organisation responsible for a person today only: another organisation's
person is "not found" (404) and the attempt is logged (the person look-up raises OutOfScope,
which the error handler audits as ACCESS_DENIED); other roles get 403. Every view of a
person's data here is written to the audit log (purpose "sagsbehandling").
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from matching.core import audit, dates, permissions
from matching.core.errors import ValidationError
from matching.core.security import decrypt_cpr
from matching.core.settings import Settings
from matching.intake import consents, exits
from matching.intake.registration import (
    DuplicatePerson,
    InvalidPerson,
    NotResponsible,
    ResponsibilityWouldChange,
    create_person,
    update_person,
    validate,
)
from matching.models import AuditAction, ConsentKind, Jobseeker, User
from matching.people.queries import get_jobseeker_for
from portal.auth import current_actor, role_required
from portal.errors import render_error
from portal.forms import show_errors, unreadable
from portal.people_forms import (
    FIELD_LABELS_DA,
    ConsentForm,
    ExitForm,
    PersonForm,
    by_form_row,
    person_form,
)
from portal.transaction import get_db

bp = Blueprint("people_admin", __name__, url_prefix="/ledige")

PURPOSE = "sagsbehandling"
NEUTRAL_DUPLICATE = "Personen kan ikke oprettes. Kontakt den ansvarlige organisation."


def _settings() -> Settings:
    return current_app.extensions["jobbro_settings"]


def _person(jobseeker_id: int) -> Jobseeker:
    """The person, if the actor's organisation is responsible today (else 404, audited)."""
    return get_jobseeker_for(get_db(), current_actor(), jobseeker_id)


LEFT_MESSAGE = "Personen er afmeldt. Oplysningerne kan ikke længere rettes."


def _view(person: Jobseeker, object_type: str) -> None:
    audit.record(
        get_db(),
        current_actor(),
        AuditAction.VIEW,
        object_type,
        person.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
    )


# --- register and change ----------------------------------------------------------------------


def _render_person_form(
    form: PersonForm,
    person: Jobseeker | None = None,
    *,
    general: list[str] | None = None,
    duplicate_id: int | None = None,
    handover_question: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "people/form.html",
            form=form,
            person=person,
            general=general or [],
            duplicate_id=duplicate_id,
            handover_question=handover_question,
            derived=form.derived_municipality(),
        ),
        status,
    )


def _refused(
    form: PersonForm,
    person: Jobseeker | None,
    problems: dict[str, str],
    rows: dict[int, int],
    domain: dict[str, str],
) -> tuple[str, int]:
    errors = {**by_form_row(domain, rows), **problems}
    return _render_person_form(form, person, general=form.show(errors), status=400)


@bp.route("/ny", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def person_new():  # noqa: ANN201 - Flask view
    """Register a person in the organisation's caseload."""
    db = get_db()
    if request.method == "GET":
        return _render_person_form(person_form(db))
    form = PersonForm()
    form.set_choices(db)
    data, problems, rows = form.read()
    if problems:
        domain = {e.field: e.message_da for e in validate(db, data)}
        return _refused(form, None, problems, rows, domain)
    try:
        person = create_person(db, current_actor(), data, settings=_settings())
    except InvalidPerson as exc:
        return _refused(form, None, {}, rows, exc.errors)
    except DuplicatePerson as exc:
        if exc.visible:
            return _render_person_form(
                form,
                general=["Personen er allerede oprettet i jeres sager."],
                duplicate_id=exc.existing_id,
                status=409,
            )
        return _render_person_form(form, general=[NEUTRAL_DUPLICATE], status=409)
    except NotResponsible as exc:
        return _render_person_form(
            form, general=[f"Personen kan ikke oprettes hos jer. {exc.message_da}"], status=409
        )
    flash(f"{person.display_name} er oprettet ({person.pseudonym}).", "success")
    return redirect(url_for("jobseekers.detail", jobseeker_id=person.id))


@bp.route("/<int:jobseeker_id>/rediger", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def person_edit(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Change a person's data; a change that would make another organisation responsible is
    saved only when confirmed (the person is then handed over by the routing rules)."""
    db = get_db()
    actor = current_actor()
    person = _person(jobseeker_id)
    if not person.active:  # the day the exit is recorded, the person is still in the caseload
        return render_error(409, detail=LEFT_MESSAGE)
    if request.method == "GET":
        _view(person, "jobseeker")
        return _render_person_form(person_form(db, person), person)
    form = PersonForm()
    form.set_choices(db)
    stored_cpr = (
        decrypt_cpr(_settings().cpr_key, person.cpr_encrypted) if person.cpr_encrypted else None
    )
    data, problems, rows = form.read(cpr_when_blank=stored_cpr)
    if problems:
        domain = {e.field: e.message_da for e in validate(db, data)}
        return _refused(form, person, problems, rows, domain)
    try:
        changed = update_person(
            db,
            actor,
            person,
            data,
            settings=_settings(),
            hand_over=bool(form.confirm_handover.data),
        )
    except InvalidPerson as exc:
        return _refused(form, person, {}, rows, exc.errors)
    except ResponsibilityWouldChange as exc:
        return _render_person_form(form, person, handover_question=exc.message_da, status=409)
    if not changed:
        flash("Der var ingen ændringer at gemme.", "info")
    else:
        labels = ", ".join(
            FIELD_LABELS_DA[name] for name in sorted(changed, key=list(FIELD_LABELS_DA).index)
        )
        flash(f"Ændringerne er gemt: {labels}.", "success")
    responsible = person.responsible_on(dates.today_dk())
    if responsible is None or responsible.organisation_id != actor.organisation_id:
        flash("Personen er overdraget og er ikke længere i jeres sager.", "info")
        return redirect(url_for("jobseekers.caseload"))
    return redirect(url_for("jobseekers.detail", jobseeker_id=person.id))


# --- leave the register -----------------------------------------------------------------------


@bp.route("/<int:jobseeker_id>/afmeld", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def person_exit(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Take a person off the register: the page says what will be closed; the answer what was."""
    db = get_db()
    actor = current_actor()
    person = _person(jobseeker_id)
    today = dates.today_dk()
    preview = exits.preview_exit(db, person, today=today)
    if request.method == "GET":
        _view(person, "jobseeker")
        form = ExitForm(formdata=None)
        form.defaults(today)
        return render_template(
            "people/exit.html", form=form, person=person, preview=preview, general=None
        )
    form = ExitForm()
    problems = unreadable(form)
    errors = dict(problems)
    if not errors and form.reason.data is None:
        errors["reason"] = "Vælg årsagen."
    if not errors:
        try:
            summary = exits.leave_register(
                db,
                actor,
                person,
                left_on=form.left_on.data,
                reason=form.reason.data,
                note=form.note.data or "",
                today=today,
            )
        except ValidationError as exc:
            errors = exc.errors
        else:
            return render_template("people/exit_done.html", person=person, summary=summary)
    else:
        if form.left_on.data is not None:
            errors = {
                **exits.check_exit(person, form.left_on.data, form.note.data or "", today=today),
                **errors,
            }
    general = show_errors(form, errors)
    return (
        render_template(
            "people/exit.html", form=form, person=person, preview=preview, general=general
        ),
        400,
    )


# --- consents ---------------------------------------------------------------------------------


def _consent_page(
    person: Jobseeker, form: ConsentForm, general: str | None = None, status: int = 200
) -> tuple[str, int]:
    db = get_db()
    history = consents.consent_history(db, person)
    user_ids = {e.recorded_by_id for e in history if e.recorded_by_id is not None}
    users = (
        {u.id: u.name for u in db.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    audit.record(
        db,
        current_actor(),
        AuditAction.VIEW,
        "consent_ledger",
        person.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={"events": len(history)},
    )
    return (
        render_template(
            "people/consents.html",
            person=person,
            form=form,
            current=consents.derive_state(history),
            history=list(reversed(history)),
            users=users,
            kinds=list(ConsentKind),
            general=general,
        ),
        status,
    )


@bp.route("/<int:jobseeker_id>/samtykker", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def person_consents(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """The person's consents now (who recorded them, when and how), the whole ledger, and a
    form to record one given or withdrawn."""
    db = get_db()
    person = _person(jobseeker_id)
    if request.method == "GET":
        form = ConsentForm(formdata=None)
        form.defaults()
        return _consent_page(person, form)
    form = ConsentForm()
    errors = dict(unreadable(form))
    if form.kind.data is None and "kind" not in errors:
        errors["kind"] = "Vælg hvilket samtykke."
    if form.given.data is None and "given" not in errors:
        errors["given"] = "Vælg om samtykket gives eller trækkes tilbage."
    if not errors:
        try:
            event = consents.record_consent(
                db,
                current_actor(),
                person,
                form.kind.data,
                form.given.data,
                channel=form.channel.data,
                given_on=form.given_on.data,
                note=form.note.data or "",
            )
        except ValidationError as exc:
            errors = exc.errors
        else:
            what = "givet" if event.given else "trukket tilbage"
            flash(f"Samtykket »{event.kind.label_da}« er registreret som {what}.", "success")
            return redirect(url_for("people_admin.person_consents", jobseeker_id=person.id))
    general = show_errors(form, errors)
    return _consent_page(person, form, general, 400)
