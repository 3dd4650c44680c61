"""Employers create and edit vacancies and company places, and move them through their
lifecycle (/stillinger/ny, /stillinger/ID/rediger, /stillinger/ID/status); live occupation
suggestions for the title (/stillinger/erhverv-forslag).

The rules live in :mod:`matching.vacancies`; these views read the form, show its errors
next to the fields (everything typed is kept) and enqueue the match job after the request's
commit.
"""

from __future__ import annotations

from decimal import Decimal

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
from sqlalchemy import select
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from matching.core import permissions
from matching.core.errors import InvalidTransition, ValidationError
from matching.models import (
    Occupation,
    PNumber,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    WorkingTime,
)
from matching.ranking.occupations.suggestions import LexicalSuggester
from matching.vacancies import editing, lifecycle
from matching.vacancies.editing import VacancyInput
from matching.vacancies.lifecycle import EVENT_LABELS_DA
from matching.vacancies.queries import get_vacancy_for
from portal import vacancies
from portal.auth import current_actor, role_required
from portal.listing import enum_arg
from portal.match_queue import request_match
from portal.transaction import get_db

bp = Blueprint("vacancy_forms", __name__, url_prefix="/stillinger")

PLACE_KINDS = [kind for kind in VacancyKind if kind.is_company_place]
NONE_OF_THESE = "Ingen af disse"


class VacancyForm(FlaskForm):
    """The fields of a vacancy or place, as text: :class:`VacancyInput` reads and checks them."""

    kind = RadioField(
        "Type virksomhedsplads",
        choices=[SelectChoice(k.value, k.label_da) for k in PLACE_KINDS],
        validate_choice=False,
    )
    title = StringField("Titel")
    esco_uri = RadioField("Stillingsbetegnelse (valgfri)", validate_choice=False)
    description = TextAreaField("Beskrivelse")
    requirements = TextAreaField("Krav til kandidaten (valgfri)")
    address = StringField("Adresse (valgfri)")
    postal_code = StringField("Postnummer")
    weekly_hours = StringField("Timer pr. uge")
    working_time = SelectField(
        "Arbejdstid",
        choices=[SelectChoice(w.value, w.label_da) for w in WorkingTime],
        validate_choice=False,
    )
    positions = StringField("Antal stillinger")
    start_date = StringField("Tiltrædelse")
    deadline = StringField("Ansøgningsfrist (valgfri)")
    p_number_id = SelectField("Arbejdssted (P-nummer)", validate_choice=False)
    contact_name = StringField("Kontaktperson (valgfri)")
    contact_email = StringField("Kontaktpersonens e-mail (valgfri)")
    contact_phone = StringField("Kontaktpersonens telefon (valgfri)")
    ordinary_staff_fte = StringField("Ordinært ansatte på arbejdsstedet")
    current_subsidised_count = StringField("Personer i virksomhedsrettede tilbud nu")
    employee_rep_statement = RadioField(
        "Foreligger der en skriftlig udtalelse fra tillidsrepræsentanten eller medarbejderne?",
        choices=[SelectChoice("ja", "Ja"), SelectChoice("nej", "Nej")],
        validate_choice=False,
    )
    employee_rep_name = StringField("Tillidsrepræsentantens navn (valgfri)")
    duration_weeks = StringField("Varighed i uger")
    purpose = TextAreaField("Formål med pladsen")


class StatusForm(FlaskForm):
    event = HiddenField()
    confirm = HiddenField()


# --- occupation suggestions -------------------------------------------------------------------


def _suggester() -> LexicalSuggester:
    """This process's lexical index (built on first use, rebuilt when the taxonomy changes)."""
    return current_app.extensions.setdefault("jobbro_occupation_suggester", LexicalSuggester())


@bp.get("/erhverv-forslag")
@role_required(permissions.VACANCY_READERS)
def occupation_suggestions():  # noqa: ANN201 - Flask view
    """JSON ``[{uri, isco_code, label, score}]``: the best occupations for ``?titel=``."""
    try:
        matches = _suggester().suggest(get_db(), request.args.get("titel", ""))
    except ValidationError as exc:
        return jsonify(error=next(iter(exc.errors.values()))), 400
    return jsonify(
        [
            {"uri": m.uri, "isco_code": m.isco_code, "label": m.label, "score": round(m.score, 4)}
            for m in matches
        ]
    )


def _occupation_choices(form: VacancyForm, *, show_errors: bool) -> list[SelectChoice]:
    """The chosen occupation, the suggestions for the typed title, and "none of these"."""
    db = get_db()
    chosen = form.esco_uri.data or ""
    choices: dict[str, str] = {}
    if chosen:
        occupation = db.scalar(select(Occupation).where(Occupation.uri == chosen))
        if occupation is not None:
            choices[chosen] = _occupation_label(occupation.label, occupation.isco_code)
    title = (form.title.data or "").strip()
    if title or show_errors:
        try:
            for match in _suggester().suggest(db, title):
                choices.setdefault(match.uri, _occupation_label(match.label, match.isco_code))
        except ValidationError as exc:
            if show_errors:
                form.title.errors = list(exc.errors.values())
    if chosen not in choices:
        form.esco_uri.data = ""
    return [
        *(SelectChoice(uri, label) for uri, label in choices.items()),
        SelectChoice("", NONE_OF_THESE),
    ]


def _occupation_label(label: str, isco_code: str | None) -> str:
    return f"{label} (ISCO {isco_code})" if isco_code else label


# --- the form ---------------------------------------------------------------------------------


def _number(value: object) -> str:
    """A stored number as the form shows it: Danish decimal comma, no trailing ",0"."""
    if value is None:
        return ""
    text = f"{Decimal(str(value)).normalize():f}"
    return text.replace(".", ",")


def _form_data(vacancy: Vacancy) -> dict[str, str]:
    """The vacancy's values as the strings the form holds."""

    def day(value) -> str:  # noqa: ANN001
        return value.isoformat() if value else ""

    statement = vacancy.employee_rep_statement
    return {
        "kind": vacancy.kind.value,
        "title": vacancy.title,
        "esco_uri": vacancy.esco_uri or "",
        "description": vacancy.description,
        "requirements": vacancy.requirements or "",
        "address": vacancy.address or "",
        "postal_code": vacancy.postal_code,
        "weekly_hours": _number(vacancy.weekly_hours),
        "working_time": vacancy.working_time.value,
        "positions": str(vacancy.positions),
        "start_date": day(vacancy.start_date),
        "deadline": day(vacancy.deadline),
        "p_number_id": str(vacancy.p_number_id or ""),
        "contact_name": vacancy.contact_name or "",
        "contact_email": vacancy.contact_email or "",
        "contact_phone": vacancy.contact_phone or "",
        "ordinary_staff_fte": _number(vacancy.ordinary_staff_fte),
        "current_subsidised_count": _number(vacancy.current_subsidised_count),
        "employee_rep_statement": "" if statement is None else ("ja" if statement else "nej"),
        "employee_rep_name": vacancy.employee_rep_name or "",
        "duration_weeks": _number(vacancy.duration_weeks),
        "purpose": vacancy.purpose or "",
    }


def _render_form(
    form: VacancyForm,
    kind: VacancyKind,
    vacancy: Vacancy | None,
    *,
    general_error: str | None = None,
    suggest: bool = False,
    status: int = 200,
):  # noqa: ANN202 - a response
    actor = current_actor()
    p_numbers = get_db().scalars(
        select(PNumber)
        .where(PNumber.organisation_id == actor.organisation_id)
        .order_by(PNumber.pnr)
    )
    form.p_number_id.choices = [SelectChoice("", "Intet P-nummer valgt")] + [
        SelectChoice(str(p.id), f"{p.pnr} – {p.name}") for p in p_numbers
    ]
    form.esco_uri.choices = _occupation_choices(form, show_errors=suggest)
    if suggest and form.title.errors:
        status = 400
    html = render_template(
        "vacancies/form.html",
        form=form,
        kind=kind,
        vacancy=vacancy,
        general_error=general_error,
        suggested=suggest,
        publish_label=_publish_label(kind, vacancy),
    )
    return html, status


def _publish_label(kind: VacancyKind, vacancy: Vacancy | None) -> str | None:
    """The second button: publish a draft, (re)submit a draft or rejected place; else none."""
    if vacancy is not None and vacancy.status not in (VacancyStatus.DRAFT, VacancyStatus.REJECTED):
        return None
    return "Gem og send til godkendelse" if kind.is_company_place else "Gem og offentliggør"


def _save(form: VacancyForm, kind: VacancyKind, vacancy: Vacancy | None):  # noqa: ANN202
    """Save (and maybe publish or submit) what the form holds, or show it again with errors."""
    action = request.form.get("handling", "save")
    if action == "suggest":  # "Find stillingsbetegnelse" without JavaScript
        return _render_form(form, kind, vacancy, suggest=True)
    db = get_db()
    actor = current_actor()
    # A place's kind may change among places; a vacancy's kind is fixed.
    fixed_kind = kind if vacancy is None or not vacancy.is_company_place else None
    data = VacancyInput.from_form(request.form, kind=fixed_kind)
    publish = action == "publish"
    previous = vacancy.status if vacancy is not None else None
    try:
        if vacancy is None:
            saved = editing.create_vacancy(db, actor, data, publish=publish)
        else:
            saved = editing.update_vacancy(db, actor, vacancy.id, data, publish=publish)
    except ValidationError as exc:
        general = []
        for name, message in exc.errors.items():
            field = form._fields.get(name) if name else None
            if field is None:
                general.append(message)
            else:
                field.errors = [message]
        return _render_form(
            form, kind, vacancy, general_error=" ".join(general) or None, status=400
        )
    flash(_saved_message(saved, previous), "success")
    request_match(saved.id)
    return redirect(url_for("vacancies.detail", vacancy_id=saved.id))


def _saved_message(vacancy: Vacancy, previous: VacancyStatus | None) -> str:
    noun = "Pladsen" if vacancy.is_company_place else "Stillingen"
    if vacancy.status is VacancyStatus.PENDING_APPROVAL and previous is not vacancy.status:
        verdict = editing.rimelighedskrav(vacancy)
        message = f"{noun} er sendt til godkendelse hos jobcentret."
        if previous in (VacancyStatus.OPEN, VacancyStatus.PAUSED, VacancyStatus.CLOSED):
            message = (
                f"{noun} er gemt og skal godkendes igen, fordi oplysninger, som reglerne "
                "bygger på, er ændret. Indtil da kan der ikke findes kandidater til den."
            )
        if verdict is not None:
            message += f" Rimelighedskravet: {verdict.summary_da}"
            if not verdict.fulfilled:
                message += " Jobcentret ser en advarsel om det."
        return message
    if vacancy.status is VacancyStatus.OPEN and previous is not VacancyStatus.OPEN:
        return f"{noun} er offentliggjort."
    if previous is None:
        return f"{noun} er gemt som kladde."
    return "Ændringerne er gemt."


@bp.route("/ny", methods=["GET", "POST"])
@role_required(permissions.EMPLOYERS)
def create():  # noqa: ANN201 - Flask view
    """Choose the kind (ordinary vacancy or a company place), then fill in the form."""
    kind = enum_arg("type", VacancyKind)
    if kind is None:
        chosen = "type" in request.args
        html = render_template(
            "vacancies/choose_kind.html",
            kinds=list(VacancyKind),
            error="Vælg hvad du vil oprette." if chosen else None,
        )
        return html, 400 if chosen else 200
    form = VacancyForm()
    if request.method == "POST":
        return _save(form, kind, None)
    form.kind.data = kind.value
    form.positions.data = "1"
    form.weekly_hours.data = "37"
    form.working_time.data = WorkingTime.NORMAL.value
    form.esco_uri.data = ""
    return _render_form(form, kind, None)


@bp.route("/<int:vacancy_id>/rediger", methods=["GET", "POST"])
@role_required(permissions.EMPLOYERS)
def edit(vacancy_id: int):  # noqa: ANN201 - Flask view
    """Edit the employer's own vacancy or place (404 and an audit entry for anyone else's)."""
    vacancy = get_vacancy_for(get_db(), current_actor(), vacancy_id)
    if request.method == "POST":
        return _save(VacancyForm(), vacancy.kind, vacancy)
    form = VacancyForm(data=_form_data(vacancy))
    return _render_form(form, vacancy.kind, vacancy)


# --- lifecycle --------------------------------------------------------------------------------

# "{noun}" is "Stillingen" or "Pladsen".
STATUS_MESSAGES = {
    "publish": "{noun} er offentliggjort.",
    "submit": "Pladsen er sendt til godkendelse hos jobcentret.",
    "pause": "{noun} er sat på pause. Den vises ikke for jobrådgivere, før du genoptager den.",
    "resume": "{noun} er åben igen.",
    "close": "{noun} er lukket.",
    "reopen": "{noun} er genåbnet.",
    "fill": "{noun} er markeret som besat.",
}


@bp.post("/<int:vacancy_id>/status")
@role_required(permissions.EMPLOYERS)
def change_status(vacancy_id: int):  # noqa: ANN201 - Flask view
    """Publish, pause, resume, close (after a confirmation), reopen or mark as filled."""
    db = get_db()
    actor = current_actor()
    vacancy = get_vacancy_for(db, actor, vacancy_id)
    form = StatusForm()
    event = form.event.data or ""
    if event in lifecycle.CONFIRM_EVENTS and form.confirm.data != "ja":
        allowed = event in lifecycle.allowed_events(vacancy, actor.role or "")
        if allowed:
            return render_template(
                "vacancies/confirm.html", vacancy=vacancy, event=event, label=EVENT_LABELS_DA[event]
            )
    try:
        lifecycle.change_status(db, actor, vacancy_id, event)
    except ValidationError as exc:
        return vacancies.detail_page(vacancy_id, errors=list(exc.errors.values()), status=400)
    except InvalidTransition:
        noun = "pladsen" if vacancy.is_company_place else "stillingen"
        action = EVENT_LABELS_DA.get(event, "Handlingen")
        message = f"»{action}« er ikke mulig, mens {noun} har status »{vacancy.status.label_da}«."
        return vacancies.detail_page(vacancy_id, errors=[message], status=400)
    noun = "Pladsen" if vacancy.is_company_place else "Stillingen"
    flash(STATUS_MESSAGES[event].format(noun=noun), "success")
    request_match(vacancy_id)
    return redirect(url_for("vacancies.detail", vacancy_id=vacancy_id))
