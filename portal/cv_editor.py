"""The CV editor and CV documents: upload, the parsed draft and its review field by field
(/ledige/ID/cv, /ledige/ID/cv/upload, /ledige/ID/cv/kladde).

Counsellors of the organisation responsible for the person; anyone else's person is "not
found" and logged. The rules live in :mod:`matching.intake.cvs` and
:mod:`matching.intake.drafts`; a saved CV enqueues the person's match list after the commit
(the job re-encodes the CV and refreshes the vacancies' lists the person now belongs on).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from matching.core import audit, permissions
from matching.core.errors import ValidationError
from matching.intake import drafts
from matching.intake.cvs import (
    CVData,
    clean_cv,
    cv_data_of,
    list_status,
    save_cv,
    validate_cv,
)
from matching.models import AuditAction, Jobseeker
from matching.people.documents import MAX_BYTES, DocumentRefused, TitleMatch, parse_document
from matching.people.queries import get_jobseeker_for
from portal import cv_review
from portal.auth import current_actor, role_required
from portal.cv_forms import CVForm, occupation_choices
from portal.errors import render_error
from portal.match_queue import request_person_match
from portal.transaction import get_db
from portal.vacancy_forms import occupation_suggester

bp = Blueprint("cv_editor", __name__, url_prefix="/ledige")

PURPOSE = "sagsbehandling"
ACCEPTED_TYPES = ".docx,.pdf,.odt,.txt"
# The multipart envelope around a file of MAX_BYTES; a body larger than this is refused before
# it is read.
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024
TOO_LARGE_MESSAGE = f"Filen er for stor. Et cv-dokument må højst fylde {MAX_BYTES // 1_000_000} MB."
NO_FILE_MESSAGE = "Vælg den fil, du vil uploade."
LEFT_MESSAGE = "Personen er afmeldt. Cv'et kan ikke længere ændres."
# A parsed title is given an occupation in the portal only when the lexical match is this good;
# otherwise the counsellor chooses one in the editor.
MIN_NORMALISE_SCORE = 0.5


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, _values: dict | None) -> None:
    """Runs before the CSRF check reads the form: an upload larger than the limit is refused
    (413) without reading it."""
    if endpoint == "cv_editor.upload" and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge):  # noqa: ANN202 - a response
    # The body stays unread: the page's own forms must not try to parse it again.
    request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
    return render_error(413, detail=TOO_LARGE_MESSAGE)


@bp.app_context_processor
def _cv_helpers() -> dict[str, object]:
    return {"cv_list_status": _cv_list_status}


def _cv_list_status(person: Jobseeker) -> dict[str, object]:
    """For the person's page: when the lists were computed, whether new ones are on their way,
    and whether a CV document waits for review."""
    db = get_db()
    status = list_status(db, person)
    return {
        "computed_at": status.computed_at,
        "pending": status.pending,
        "draft": drafts.open_draft(db, current_actor(), person) is not None,
    }


def _person(jobseeker_id: int) -> Jobseeker:
    return get_jobseeker_for(get_db(), current_actor(), jobseeker_id)


def _left(person: Jobseeker):  # noqa: ANN202 - the error page, or None
    """A person who has left the register (still in the caseload the day the exit is
    recorded) has no CV to work on: the 409 page."""
    return None if person.active else render_error(409, detail=LEFT_MESSAGE)


def _cpr_key() -> bytes:
    return current_app.extensions["jobbro_settings"].cpr_key


# --- the editor -------------------------------------------------------------------------------


@bp.route("/<int:jobseeker_id>/cv", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def edit(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Edit the person's CV (create it when there is none)."""
    db = get_db()
    actor = current_actor()
    person = _person(jobseeker_id)
    if (refused := _left(person)) is not None:
        return refused
    if request.method == "GET":
        cv_id = person.cv.id if person.cv is not None else None
        audit.record(
            db, actor, AuditAction.VIEW, "cv", cv_id, jobseeker_id=person.id, purpose=PURPOSE
        )
        return _render_editor(db, person, CVForm.of(cv_data_of(person)))
    form = CVForm()
    data, kept, unreadable = form.to_data(db)
    if request.form.get("handling") == "suggest":  # "Find stillingsbetegnelser" without JS
        return _render_editor(db, person, form)
    try:
        if unreadable:  # the domain's problems too, all in one round; nothing is saved
            raise ValidationError(_problems(data))
        changed = save_cv(db, actor, person, data)
    except ValidationError as exc:
        general = form.show_errors(exc.errors, kept)
        return _render_editor(db, person, form, general=general, status=400)
    if changed:
        request_person_match(person.id)
        flash("Cv'et er gemt. Forslagene til stillinger opdateres om et øjeblik.", "success")
    else:
        flash("Der var ingen ændringer at gemme.", "info")
    return redirect(url_for("jobseekers.detail", jobseeker_id=person.id))


def _problems(data: CVData) -> dict[str, str]:
    found: dict[str, str] = {}
    for problem in validate_cv(clean_cv(data)):
        found.setdefault(problem.field, problem.message)
    return found


def _render_editor(
    db: Session,
    person: Jobseeker,
    form: CVForm,
    *,
    general: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    form.licence_choices()
    suggester = occupation_suggester()
    for rows in (form.experiences, form.desired_occupations):
        for entry in rows:
            entry.form.esco_uri.choices = occupation_choices(
                db, suggester, entry.form.title.data or "", entry.form.esco_uri.data
            )
            if entry.form.esco_uri.data not in {c.value for c in entry.form.esco_uri.choices}:
                entry.form.esco_uri.data = ""
    html = render_template(
        "cvs/edit.html",
        jobseeker=person,
        form=form,
        general=general or [],
        suggest_url=url_for("vacancy_forms.occupation_suggestions"),
    )
    return html, status


# --- upload -----------------------------------------------------------------------------------


@bp.route("/<int:jobseeker_id>/cv/upload", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def upload(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Upload a CV document: it is read into a draft to review, or refused with one Danish
    message (nothing stored)."""
    db = get_db()
    actor = current_actor()
    person = _person(jobseeker_id)
    if (refused := _left(person)) is not None:
        return refused
    if request.method == "GET":
        return _render_upload(person)
    sent = request.files.get("fil")
    if sent is None or not sent.filename:
        return _render_upload(person, error=NO_FILE_MESSAGE, status=400)
    data = sent.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return _render_upload(person, error=TOO_LARGE_MESSAGE, status=413)
    try:
        parsed = parse_document(data, sent.filename, normalise=_normaliser(db))
    except DocumentRefused as exc:  # nothing is stored
        return _render_upload(person, error=exc.message_da, status=400)
    drafts.create_draft(
        db, actor, person, data=data, filename=sent.filename, parsed=parsed, key=_cpr_key()
    )
    return redirect(url_for("cv_editor.review", jobseeker_id=person.id))


def _render_upload(person: Jobseeker, *, error: str | None = None, status: int = 200):  # noqa: ANN202
    draft = drafts.open_draft(get_db(), current_actor(), person)
    html = render_template(
        "cvs/upload.html",
        jobseeker=person,
        error=error,
        accept=ACCEPTED_TYPES,
        max_mb=MAX_BYTES // 1_000_000,
        draft=draft,
    )
    return html, status


def _normaliser(db: Session):  # noqa: ANN202 - list[str] -> list[TitleMatch | None]
    """Titles to occupations with the portal's lexical suggestions (the worker's hybrid index
    is not in this process); a weak match is left for the counsellor to choose in the editor."""
    suggester = occupation_suggester()

    def normalise(titles: list[str]) -> list[TitleMatch | None]:
        found: list[TitleMatch | None] = []
        for title in titles:
            try:
                matches = suggester.suggest(db, title, top=1)
            except ValidationError:
                matches = []
            best = matches[0] if matches else None
            if best is None or best.score < MIN_NORMALISE_SCORE:
                found.append(None)
            else:
                found.append(TitleMatch(best.label, best.isco_code, best.uri))
        return found

    return normalise


# --- review -----------------------------------------------------------------------------------


@bp.route("/<int:jobseeker_id>/cv/kladde", methods=["GET", "POST"])
@role_required(permissions.COUNSELLORS)
def review(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """The document's text beside the parsed fields; take the chosen ones into the CV, or
    discard the draft."""
    db = get_db()
    actor = current_actor()
    person = _person(jobseeker_id)
    if (refused := _left(person)) is not None:
        return refused
    draft = drafts.open_draft(db, actor, person)
    if draft is None:
        flash("Der er ikke noget cv-dokument at gennemgå. Upload et dokument.", "info")
        return redirect(url_for("cv_editor.upload", jobseeker_id=person.id))
    current = cv_data_of(person)
    parsed = drafts.parsed_cv(draft)
    if request.method == "GET":
        audit.record(
            db,
            actor,
            AuditAction.VIEW,
            "cv_draft",
            draft.id,
            jobseeker_id=person.id,
            purpose=PURPOSE,
        )
        return _render_review(draft, person, cv_review.initial(parsed, current))
    if request.form.get("handling") == "discard":
        drafts.discard_draft(db, actor, person, draft)
        flash("Cv-dokumentet er kasseret.", "success")
        return redirect(url_for("jobseekers.detail", jobseeker_id=person.id))
    typed = request.form
    chosen, rows, errors = cv_review.read(typed, parsed, current)
    if not errors:
        if not cv_review.anything(chosen):
            errors = {"": "Vælg mindst ét felt at bruge, eller kassér dokumentet."}
        else:
            try:
                drafts.accept_draft(db, actor, person, draft, chosen)
            except ValidationError as exc:
                errors = cv_review.place_errors(exc.errors, chosen, rows, current)
    if errors:
        return _render_review(draft, person, typed, errors=errors, status=400)
    request_person_match(person.id)
    flash("De valgte felter er gemt i cv'et, og dokumentet er slettet.", "success")
    return redirect(url_for("jobseekers.detail", jobseeker_id=person.id))


def _render_review(draft, person: Jobseeker, values, *, errors=None, status: int = 200):  # noqa: ANN001, ANN202
    html = render_template(
        "cvs/review.html",
        jobseeker=person,
        draft=draft,
        text=drafts.draft_text(draft, _cpr_key()),
        warnings=drafts.draft_warnings(draft),
        parsed=drafts.parsed_cv(draft),
        values=values,
        errors=errors or {},
        levels=cv_review.LANGUAGE_LEVELS,
        summary=cv_review.summary_items(errors or {}),
    )
    return html, status
