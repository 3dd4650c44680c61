"""Employers create and edit vacancies and company places, and move them through their
lifecycle (/stillinger/ny, /stillinger/ID/rediger, /stillinger/ID/status); live occupation
suggestions for the title (/stillinger/erhverv-forslag).

The rules live in :mod:`matching.vacancies`; these views read the form, show its errors
next to the fields (everything typed is kept) and enqueue the match job after the request's
commit.
"""

from __future__ import annotations

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
from wtforms import HiddenField, RadioField, StringField, TextAreaField
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
from portal.forms import (
    DateField,
    DecimalField,
    EnumRadioField,
    EnumSelectField,
    IntegerField,
    IntegerSelectField,
    YesNoField,
    clean_text,
    one_line,
    show_errors,
    unreadable,
)
from portal.listing import enum_arg
from portal.match_queue import request_match
from portal.transaction import get_db

bp = Blueprint("vacancy_forms", __name__, url_prefix="/stillinger")

PLACE_KINDS = [kind for kind in VacancyKind if kind.is_company_place]
NONE_OF_THESE = "Ingen af disse"


class VacancyForm(FlaskForm):
    """The fields of a vacancy or place, read as typed values (:meth:`to_input`); the domain
    (:func:`~matching.vacancies.editing.create_vacancy`) judges them."""

    kind = EnumRadioField(
        "Type virksomhedsplads",
        enum=VacancyKind,
        message="Vælg hvilken type stilling det er.",
        choices=[SelectChoice(k.value, k.label_da) for k in PLACE_KINDS],
    )
    title = StringField("Titel", filters=[one_line])
    esco_uri = RadioField("Stillingsbetegnelse (valgfri)", validate_choice=False)
    description = TextAreaField("Beskrivelse", filters=[clean_text])
    requirements = TextAreaField("Krav til kandidaten (valgfri)", filters=[clean_text])
    address = StringField("Adresse (valgfri)", filters=[clean_text])
    postal_code = StringField("Postnummer", filters=[clean_text])
    weekly_hours = DecimalField("Timer pr. uge", message="Skriv antal timer som et tal, fx 37.")
    working_time = EnumSelectField(
        "Arbejdstid",
        enum=WorkingTime,
        message="Vælg arbejdstid.",
        default_value=WorkingTime.NORMAL.value,
        choices=[SelectChoice(w.value, w.label_da) for w in WorkingTime],
    )
    positions = IntegerField("Antal stillinger", message="Skriv antal stillinger som et helt tal.")
    start_date = DateField("Tiltrædelse")
    deadline = DateField("Ansøgningsfrist (valgfri)")
    p_number_id = IntegerSelectField(
        "Arbejdssted (P-nummer)", message="Vælg et P-nummer fra listen."
    )
    contact_name = StringField("Kontaktperson (valgfri)", filters=[clean_text])
    contact_email = StringField("Kontaktpersonens e-mail (valgfri)", filters=[clean_text])
    contact_phone = StringField("Kontaktpersonens telefon (valgfri)", filters=[clean_text])
    ordinary_staff_fte = DecimalField(
        "Ordinært ansatte på arbejdsstedet",
        message="Skriv antal ordinært ansatte som et tal, fx 12,5.",
    )
    current_subsidised_count = IntegerField(
        "Personer i virksomhedsrettede tilbud nu", message="Skriv antallet som et helt tal, fx 0."
    )
    employee_rep_statement = YesNoField(
        "Foreligger der en skriftlig udtalelse fra tillidsrepræsentanten eller medarbejderne?"
    )
    employee_rep_name = StringField("Tillidsrepræsentantens navn (valgfri)", filters=[clean_text])
    duration_weeks = IntegerField("Varighed i uger", message="Skriv varigheden i hele uger.")
    purpose = TextAreaField("Formål med pladsen", filters=[clean_text])

    def to_input(self, kind: VacancyKind | None) -> VacancyInput:
        """What was sent, typed, for the domain; ``kind`` is fixed unless the employer may
        choose it (among company places). Unreadable values are named, not dropped."""
        problems = unreadable(self)
        if kind is not None:
            problems.pop("kind", None)
        return VacancyInput(
            kind=kind or self.kind.data or VacancyKind.ORDINARY,
            title=self.title.data or "",
            description=self.description.data or "",
            postal_code=self.postal_code.data or "",
            weekly_hours=self.weekly_hours.data,
            positions=self.positions.data,
            requirements=self.requirements.data or "",
            esco_uri=clean_text(self.esco_uri.data) or None,
            address=self.address.data or "",
            working_time=self.working_time.data or WorkingTime.NORMAL,
            start_date=self.start_date.data,
            deadline=self.deadline.data,
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            p_number_id=self.p_number_id.data,
            ordinary_staff_fte=self.ordinary_staff_fte.data,
            current_subsidised_count=self.current_subsidised_count.data,
            employee_rep_statement=self.employee_rep_statement.data,
            employee_rep_name=self.employee_rep_name.data or "",
            duration_weeks=self.duration_weeks.data,
            purpose=self.purpose.data or "",
            unreadable=problems,
        )

    @classmethod
    def of(cls, vacancy: Vacancy) -> VacancyForm:
        """The form showing a stored vacancy (nothing was sent)."""
        return cls(formdata=None, obj=vacancy)


class StatusForm(FlaskForm):
    event = HiddenField()
    confirm = HiddenField()


# --- occupation suggestions -------------------------------------------------------------------


def occupation_suggester() -> LexicalSuggester:
    """This process's lexical index (built on first use, rebuilt when the taxonomy changes)."""
    return current_app.extensions.setdefault("jobbro_occupation_suggester", LexicalSuggester())


@bp.get("/erhverv-forslag")
@role_required(permissions.VACANCY_READERS)
def occupation_suggestions():  # noqa: ANN201 - Flask view
    """JSON ``[{uri, isco_code, label, score}]``: the best occupations for ``?titel=``."""
    try:
        matches = occupation_suggester().suggest(get_db(), request.args.get("titel", ""))
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
            for match in occupation_suggester().suggest(db, title):
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
    data = form.to_input(fixed_kind)
    publish = action == "publish"
    previous = vacancy.status if vacancy is not None else None
    try:
        if vacancy is None:
            saved = editing.create_vacancy(db, actor, data, publish=publish)
        else:
            saved = editing.update_vacancy(db, actor, vacancy.id, data, publish=publish)
    except ValidationError as exc:
        general = show_errors(form, exc.errors)
        return _render_form(form, kind, vacancy, general_error=general, status=400)
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
    form = VacancyForm.of(vacancy)
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
