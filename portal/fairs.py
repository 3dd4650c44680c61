"""Job fairs (jobmesser): organisers' fairs, employer invitations, vacancies and shortlists.

Organisers create fairs, invite verified employers, attach vacancies and build, edit, lock and
mark the shortlists; employers answer their invitations and register their own vacancies. The
rules, scoping and audit entries live in :mod:`matching.fairs`;
these views read forms, call them, and show refusals next to what was typed.

Another organisation's fair is "not found" (404): every view asks
:func:`matching.fairs.planning.organiser_fair` or :func:`matching.fairs.planning.get_fair` first.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from matching.core import audit, permissions
from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import ValidationError
from matching.fairs import overviews, participants, planning, references, shortlists
from matching.models import AuditAction, JobFair, JobFairVacancy, TargetGroup
from portal.auth import current_actor, role_required
from portal.forms import (
    DateField,
    MunicipalityListField,
    clean_text,
    form_page,
    show_errors,
    unreadable,
)
from portal.listing import page_arg
from portal.transaction import get_db

bp = Blueprint("fairs", __name__)

PURPOSE = "jobmesse"  # audit purpose: inviting people to meet employers at a fair
MORE_STEP = 10
MORE_MAX = 100
EXPORTS_ENDPOINT = "exports.fair_exports"


class FairForm(FlaskForm):
    """A fair's fields, read as typed values (:meth:`values`); the domain
    (:func:`~matching.fairs.planning.create_fair`) judges them."""

    name = StringField("Navn på messen", filters=[clean_text])
    held_on = DateField("Dato")
    place = StringField("Sted", filters=[clean_text])
    target_groups = SelectMultipleField(
        "Målgrupper (valgfri)",
        choices=[SelectChoice(g.value, g.label_da) for g in TargetGroup],
        validate_choice=False,
    )
    municipality_codes = MunicipalityListField("Kommuner (valgfri)")
    description = TextAreaField("Beskrivelse (valgfri)", filters=[clean_text])

    def to_input(self) -> planning.FairInput:
        """What was sent, typed (target groups in the list's order, once each; an unreadable
        date or municipality list named in ``unreadable``)."""
        order = {g.value: i for i, g in enumerate(TargetGroup)}
        chosen = {clean_text(g) for g in self.target_groups.data or [] if clean_text(g)}
        return planning.FairInput(
            name=self.name.data or "",
            held_on=self.held_on.data,
            place=self.place.data or "",
            target_groups=sorted(chosen, key=lambda g: order.get(g, len(order))),
            municipality_codes=self.municipality_codes.data or [],
            description=self.description.data or "",
            unreadable=unreadable(self),
        )


def _base_url() -> str:
    return current_app.extensions["jobbro_settings"].base_url


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.errors.values())


def _organiser(fair_id: int) -> tuple[Session, Actor, JobFair]:
    """The session, the actor and the fair, which must be the actor's own (404 otherwise)."""
    db = get_db()
    actor = current_actor()
    return db, actor, planning.organiser_fair(db, actor, fair_id)


# --- list -----------------------------------------------------------------------------------


@bp.get("/jobmesser")
@role_required(permissions.FAIR_READERS)
def fair_list():  # noqa: ANN201 - Flask view
    """The organiser's fairs (upcoming first) or the employer's invitations."""
    db = get_db()
    actor = current_actor()
    page = planning.fairs_for(db, actor, page=page_arg())
    return render_template(
        "fairs/list.html",
        page=page,
        employer=permissions.has_role(actor, permissions.EMPLOYERS),
        can_create=permissions.may_organise_fairs(db, actor),
        status_labels=participants.STATUS_LABELS_DA,
        today=today_dk(),
    )


# --- create and edit ------------------------------------------------------------------------


def _render_form(form: FairForm, fair=None, *, status: int = 200):  # noqa: ANN001, ANN202
    html = render_template("fairs/form.html", form=form, fair=fair)
    return html, status


@bp.route("/jobmesser/ny", methods=["GET", "POST"])
@role_required(permissions.FAIR_ORGANISERS)
def fair_new():  # noqa: ANN201 - Flask view
    """Create a fair: name, date, place, target groups, municipalities, description."""
    db = get_db()
    actor = current_actor()
    permissions.require_fair_organiser(db, actor)
    if request.method == "GET":
        form = FairForm(
            formdata=None,
            data={"municipality_codes": planning.default_municipalities(db, actor)},
        )
        return _render_form(form)
    form = FairForm()
    try:
        fair = planning.create_fair(db, actor, form.to_input())
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return _render_form(form, status=400)
    flash("Jobmessen er oprettet. Invitér nu virksomheder og tilmeld stillinger.", "success")
    return redirect(url_for("fairs.fair_detail", fair_id=fair.id))


@bp.route("/jobmesser/<int:fair_id>/rediger", methods=["GET", "POST"])
@role_required(permissions.FAIR_ORGANISERS)
def fair_edit(fair_id: int):  # noqa: ANN201 - Flask view
    """Edit the organiser's own fair (404 for anyone else's)."""
    db, actor, fair = _organiser(fair_id)
    if request.method == "GET":
        return _render_form(FairForm(formdata=None, obj=fair), fair)
    form = FairForm()
    try:
        planning.update_fair(db, actor, fair.id, form.to_input())
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return _render_form(form, fair, status=400)
    flash("Ændringerne er gemt.", "success")
    return redirect(url_for("fairs.fair_detail", fair_id=fair.id))


# --- the fair's page ------------------------------------------------------------------------


def _detail_page(fair_id: int, **refused: object) -> tuple[str, int]:
    """The fair's page; ``refused``: the errors (by section), typed and status of
    :func:`~portal.forms.form_page`."""
    db = get_db()
    actor = current_actor()
    overview = overviews.fair_overview(db, actor, fair_id)
    if overview.several:
        # The overview names people who consented to share: log whom the organiser saw.
        audit.record(
            db,
            actor,
            AuditAction.VIEW,
            "job_fair",
            overview.fair.id,
            purpose=PURPOSE,
            details={"jobseeker_ids": [p.jobseeker_id for p in overview.several]},
        )
    exports_url = (
        url_for(EXPORTS_ENDPOINT, fair_id=overview.fair.id)
        if overview.organiser and EXPORTS_ENDPOINT in current_app.view_functions
        else None
    )
    return form_page(
        "fairs/detail.html",
        o=overview,
        fair=overview.fair,
        status_labels=participants.STATUS_LABELS_DA,
        upcoming=overview.fair.held_on >= today_dk(),
        exports_url=exports_url,
        **refused,
    )


@bp.get("/jobmesser/<int:fair_id>")
@role_required(permissions.FAIR_READERS)
def fair_detail(fair_id: int):  # noqa: ANN201 - Flask view
    """The fair: details, employers, vacancies with their shortlists, people on several lists;
    for an employer its answer and its own vacancies."""
    return _detail_page(fair_id)


@bp.route("/jobmesser/<int:fair_id>/virksomheder", methods=["GET", "POST"])
@role_required(permissions.FAIR_ORGANISERS)
def invite(fair_id: int):  # noqa: ANN201 - Flask view
    """Search verified employers by name or CVR (GET ``q``) and invite one (POST)."""
    db, actor, fair = _organiser(fair_id)
    query = (request.values.get("q") or "").strip()[: participants.SEARCH_MAX_CHARS]
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        employer_id = _int(request.form.get("employer_id"))
        try:
            if employer_id is None:
                raise ValidationError({"employer_id": "Vælg en virksomhed på listen."})
            row = participants.invite_employer(
                db, actor, fair.id, employer_id, base_url=_base_url()
            )
        except ValidationError as exc:
            errors, status = _messages(exc), 400
        else:
            name = row.employer.name
            flash(f"{name} er inviteret. Virksomhedens brugere får en e-mail.", "success")
            return redirect(url_for("fairs.invite", fair_id=fair.id, q=query or None))
    found = participants.employer_candidates(db, actor, fair.id, query) if query else []
    html = render_template(
        "fairs/invite.html",
        fair=fair,
        query=query,
        found=found,
        limit=participants.EMPLOYER_SEARCH_LIMIT,
        upcoming=fair.held_on >= today_dk(),
        errors=errors,
    )
    return html, status


@bp.post("/jobmesser/<int:fair_id>/virksomheder/<int:employer_id>/fjern")
@role_required(permissions.FAIR_ORGANISERS)
def remove_employer(fair_id: int, employer_id: int):  # noqa: ANN201 - Flask view
    """Withdraw an invitation (refused while the company has vacancies on the fair)."""
    db = get_db()
    try:
        participants.remove_employer(db, current_actor(), fair_id, employer_id)
    except ValidationError as exc:
        return _detail_page(fair_id, errors={"employers": _messages(exc)}, status=400)
    flash("Invitationen er trukket tilbage.", "success")
    return redirect(url_for("fairs.fair_detail", fair_id=fair_id) + "#virksomheder")


@bp.post("/jobmesser/<int:fair_id>/svar")
@role_required(permissions.EMPLOYERS)
def respond(fair_id: int):  # noqa: ANN201 - Flask view
    """The employer accepts (``svar=ja``) or declines (``svar=nej``) the invitation."""
    db = get_db()
    actor = current_actor()
    planning.get_fair(db, actor, fair_id)  # 404 before anything else for a company not invited
    answer = request.form.get("svar")
    try:
        if answer not in ("ja", "nej"):
            raise ValidationError({"svar": "Vælg ja eller nej til invitationen."})
        participants.respond(db, actor, fair_id, answer == "ja")
    except ValidationError as exc:
        return _detail_page(fair_id, errors={"answer": _messages(exc)}, status=400)
    if answer == "ja":
        flash("Tak for svaret. I deltager i messen: tilmeld jeres stillinger nedenfor.", "success")
    else:
        flash(
            "I har takket nej til messen. I kan ændre jeres svar frem til messen.",
            "success",
        )
    return redirect(url_for("fairs.fair_detail", fair_id=fair_id))


@bp.post("/jobmesser/<int:fair_id>/stillinger")
@role_required(permissions.FAIR_READERS)
def attach(fair_id: int):  # noqa: ANN201 - Flask view
    """Register a vacancy for the fair (the organiser, or the employer for its own)."""
    db = get_db()
    actor = current_actor()
    planning.get_fair(db, actor, fair_id)
    vacancy_id = _int(request.form.get("vacancy_id"))
    try:
        if vacancy_id is None:
            raise ValidationError({"vacancy_id": "Vælg en stilling på listen."})
        fair_vacancy = participants.attach_vacancy(db, actor, fair_id, vacancy_id)
    except ValidationError as exc:
        typed = {"vacancy_id": request.form.get("vacancy_id", "")}
        return _detail_page(fair_id, errors={"vacancies": _messages(exc)}, typed=typed, status=400)
    title = fair_vacancy.vacancy.title
    flash(f"»{title}« er tilmeldt messen.", "success")
    return redirect(url_for("fairs.fair_detail", fair_id=fair_id) + "#stillinger")


@bp.post("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>/fjern")
@role_required(permissions.FAIR_READERS)
def detach(fair_id: int, vacancy_id: int):  # noqa: ANN201 - Flask view
    """Take a vacancy off the fair, with its shortlist (refused while the list is locked)."""
    db = get_db()
    actor = current_actor()
    planning.get_fair(db, actor, fair_id)
    try:
        participants.detach_vacancy(db, actor, fair_id, vacancy_id)
    except ValidationError as exc:
        return _detail_page(fair_id, errors={"vacancies": _messages(exc)}, status=400)
    flash("Stillingen er fjernet fra messen.", "success")
    return redirect(url_for("fairs.fair_detail", fair_id=fair_id) + "#stillinger")


# --- shortlists -----------------------------------------------------------------------------


def _more_arg() -> int:
    """How many further candidates to offer (``?flere=``, in steps of 10)."""
    value = _int(request.values.get("flere")) or MORE_STEP
    return min(max(MORE_STEP, value), MORE_MAX)


def _person_ref(fair_id: int) -> Callable[[int], str]:
    """A person's opaque reference on this fair's pages and forms (never the person's id)."""
    secret_key = current_app.extensions["jobbro_settings"].secret_key
    return lambda jobseeker_id: references.person_reference(secret_key, fair_id, jobseeker_id)


def _person_id(fair_id: int, reference: str | None) -> int | None:
    """The person behind a reference of this fair (None if it is not one)."""
    secret_key = current_app.extensions["jobbro_settings"].secret_key
    return references.person_id(secret_key, fair_id, reference)


def _shortlist_page(fair_id: int, vacancy_id: int, **refused: object) -> tuple[str, int]:
    """The shortlist's page, audited with the people shown; ``refused`` as for
    :func:`_detail_page`."""
    db = get_db()
    actor = current_actor()
    view = overviews.shortlist_view(db, actor, fair_id, vacancy_id)
    more_count = _more_arg()
    editable = not view.locked
    more = (
        overviews.more_candidates(db, actor, fair_id, vacancy_id, limit=more_count)
        if editable and view.matchable
        else []
    )
    others = overviews.other_list_candidates(db, actor, fair_id, vacancy_id) if editable else []
    shown = [r.jobseeker_id for r in (*view.rows, *view.removed, *more, *others)]
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "shortlist",
        view.fair_vacancy.id,
        purpose=PURPOSE,
        details={"job_fair_id": fair_id, "vacancy_id": vacancy_id, "jobseeker_ids": shown},
    )
    return form_page(
        "fairs/shortlist.html",
        view=view,
        fair=view.fair,
        vacancy=view.vacancy,
        more=more,
        more_count=more_count,
        more_step=MORE_STEP,
        more_max=MORE_MAX,
        others=others,
        default_size=shortlists.DEFAULT_SIZE,
        max_size=shortlists.MAX_SIZE,
        max_reason=shortlists.MAX_REASON_CHARS,
        ref=_person_ref(fair_id),
        **refused,
    )


def _back(fair_id: int, vacancy_id: int, anchor: str = "") -> Response:
    url = url_for("fairs.shortlist", fair_id=fair_id, vacancy_id=vacancy_id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _locked(fair_id: int, vacancy_id: int) -> bool:
    return bool(
        get_db().scalar(
            select(JobFairVacancy.shortlist_locked).where(
                JobFairVacancy.job_fair_id == fair_id, JobFairVacancy.vacancy_id == vacancy_id
            )
        )
    )


@bp.get("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>")
@role_required(permissions.FAIR_ORGANISERS)
def shortlist(fair_id: int, vacancy_id: int):  # noqa: ANN201 - Flask view
    """The vacancy's shortlist with the next candidates and people from the fair's other
    lists to add; each view is audited with the people shown."""
    _organiser(fair_id)
    return _shortlist_page(fair_id, vacancy_id)


@bp.post("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>/byg")
@role_required(permissions.FAIR_ORGANISERS)
def build(fair_id: int, vacancy_id: int):  # noqa: ANN201 - Flask view
    """Build or rebuild the list from the match list (``size`` people, default 20)."""
    db, actor, _ = _organiser(fair_id)
    raw = (request.form.get("size") or "").strip()
    size = _int(raw) if raw else shortlists.DEFAULT_SIZE
    try:
        if _locked(fair_id, vacancy_id):
            raise ValidationError({"size": "Listen er låst. Lås den op for at bygge den igen."})
        if size is None:
            raise ValidationError(
                {"size": f"Skriv et antal mellem 1 og {shortlists.MAX_SIZE}, fx 20."}
            )
        entries = shortlists.build_shortlist(db, actor, fair_id, vacancy_id, size=size)
    except ValidationError as exc:
        return _shortlist_page(
            fair_id, vacancy_id, errors={"size": _messages(exc)}, typed={"size": raw}, status=400
        )
    flash(f"Listen er bygget: {len(entries)} personer.", "success")
    return _back(fair_id, vacancy_id)


@bp.post("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>/tilfoej")
@role_required(permissions.FAIR_ORGANISERS)
def add(fair_id: int, vacancy_id: int):  # noqa: ANN201 - Flask view
    """Add someone: from the next candidates (``kilde=match``), a removed person again
    (``kilde=igen``; both need a reason only when the person is not on the match list), or
    someone from another of the fair's lists (``kilde=liste``, reason required)."""
    db, actor, _ = _organiser(fair_id)
    source = request.form.get("kilde", "match")
    section = {"liste": "other", "igen": "removed"}.get(source, "more")
    person = request.form.get("person", "")
    person_id = _person_id(fair_id, person)
    reason = request.form.get("reason", "")
    try:
        if person_id is None:
            raise ValidationError({"jobseeker_id": "Vælg en person."})
        if source == "liste":
            overviews.add_from_other_list(db, actor, fair_id, vacancy_id, person_id, reason)
        else:
            shortlists.add_person(db, actor, fair_id, vacancy_id, person_id, reason=reason)
    except ValidationError as exc:
        typed = {f"{section}_reason": reason, f"{section}_person": person}
        return _shortlist_page(
            fair_id, vacancy_id, errors={section: _messages(exc)}, typed=typed, status=400
        )
    flash("Personen er tilføjet listen.", "success")
    return _back(fair_id, vacancy_id, "liste")


@bp.post("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>/personer/<person>/fjern")
@role_required(permissions.FAIR_ORGANISERS)
def remove(fair_id: int, vacancy_id: int, person: str):  # noqa: ANN201 - Flask view
    """Remove someone (named by the fair's reference) from the list (reason optional); a
    rebuild does not add them again."""
    db, actor, _ = _organiser(fair_id)
    jobseeker_id = _person_id(fair_id, person)
    if jobseeker_id is None:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        if len(reason.strip()) > shortlists.MAX_REASON_CHARS:
            raise ValidationError(
                {"reason": f"Begrundelsen må højst være {shortlists.MAX_REASON_CHARS} tegn."}
            )
        shortlists.remove_person(db, actor, fair_id, vacancy_id, jobseeker_id, reason=reason)
    except ValidationError as exc:
        return _shortlist_page(
            fair_id,
            vacancy_id,
            errors={f"person-{person}": _messages(exc)},
            typed={f"remove_{person}": reason},
            status=400,
        )
    flash("Personen er fjernet fra listen.", "success")
    return _back(fair_id, vacancy_id, "liste")


@bp.post("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>/personer/<person>/inviteret")
@role_required(permissions.FAIR_ORGANISERS)
def invited(fair_id: int, vacancy_id: int, person: str):  # noqa: ANN201 - Flask view
    """Mark a person on the list as invited (``inviteret=ja``) or not (``inviteret=nej``)."""
    db, actor, _ = _organiser(fair_id)
    jobseeker_id = _person_id(fair_id, person)
    if jobseeker_id is None:
        abort(404)
    value = request.form.get("inviteret")
    try:
        if value not in ("ja", "nej"):
            raise ValidationError({"inviteret": "Vælg om personen er inviteret."})
        shortlists.mark_invited(db, actor, fair_id, vacancy_id, jobseeker_id, value == "ja")
    except ValidationError as exc:
        return _shortlist_page(
            fair_id, vacancy_id, errors={f"person-{person}": _messages(exc)}, status=400
        )
    flash(
        "Personen er markeret som inviteret."
        if value == "ja"
        else "Markeringen som inviteret er fjernet.",
        "success",
    )
    return _back(fair_id, vacancy_id, f"person-{person}")


@bp.post("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>/laas")
@role_required(permissions.FAIR_ORGANISERS)
def lock(fair_id: int, vacancy_id: int):  # noqa: ANN201 - Flask view
    """Lock the list: no rebuild, additions or removals until it is unlocked."""
    message = "Listen er låst. Den bygges ikke om og ændres ikke, før den låses op."
    return _change_lock(fair_id, vacancy_id, shortlists.lock, message)


@bp.post("/jobmesser/<int:fair_id>/stillinger/<int:vacancy_id>/laas-op")
@role_required(permissions.FAIR_ORGANISERS)
def unlock(fair_id: int, vacancy_id: int):  # noqa: ANN201 - Flask view
    """Unlock the list so it can be rebuilt and edited again."""
    return _change_lock(fair_id, vacancy_id, shortlists.unlock, "Listen er låst op.")


def _change_lock(
    fair_id: int, vacancy_id: int, change: Callable[[Session, Actor, int, int], object], done: str
) -> Response:
    db, actor, _ = _organiser(fair_id)
    change(db, actor, fair_id, vacancy_id)
    flash(done, "success")
    return _back(fair_id, vacancy_id)
