"""Forwarded vacancies (videregivelse): the receiving counsellors' inbox with accept and return,
forwarding by hand from the vacancy page, and the administrators' forwarding rules.

The rules, scoping and state machine live in :mod:`matching.vacancies.forwarding`; these views
only read forms and call it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from matching.core import permissions
from matching.core.audit import Actor
from matching.core.errors import InvalidTransition, ValidationError
from matching.models import ForwardingState, Organisation, OrgKind, Vacancy, VacancyStatus
from matching.vacancies.forwarding import inbox as forwarding_inbox
from matching.vacancies.forwarding import policy as forwarding_policy
from matching.vacancies.forwarding import workflow as forwarding_workflow
from matching.vacancies.forwarding.decisions import forward_manually, target_choices
from portal.auth import current_actor, role_required
from portal.forms import IntegerField, form_page, reason_field, show_errors, unreadable
from portal.transaction import get_db

bp = Blueprint("forwarding", __name__)

REASON_HINT = "Den anden organisation ser begrundelsen. Højst 2.000 tegn."


def _base_url() -> str:
    return current_app.extensions["jobbro_settings"].base_url


class ReturnForm(FlaskForm):
    reason = reason_field("Begrundelse", message="Højst 2.000 tegn.")


class ForwardForm(FlaskForm):
    """The target is checked by the domain (a forged id is refused there, with a message)."""

    target = StringField("Videregiv til")
    reason = reason_field("Begrundelse", message="Højst 2.000 tegn.")


def _number(label: str, name: str) -> IntegerField:
    return IntegerField(label, message=forwarding_policy.POLICY_LIMITS[name][2])


class PolicyForm(FlaskForm):
    """An organisation's forwarding rules, read as typed values (:meth:`to_input`);
    :func:`~matching.vacancies.forwarding.policy.check_policy` judges them."""

    enabled = BooleanField("Videregiv automatisk efter reglerne nedenfor")
    min_pool = _number("Mindste antal egne kandidater", "min_pool")
    min_score_percent = _number("Mindste match for en egen kandidat (0–100)", "min_score_percent")
    no_referral_days = _number("Dage uden henvisninger", "no_referral_days")
    to_jobcentre = BooleanField("Jobcentret i stillingens kommune")
    to_a_kasser = BooleanField("A-kasser")
    max_targets = _number("Højst antal organisationer ad gangen", "max_targets")

    def to_input(self) -> forwarding_policy.PolicyInput:
        return forwarding_policy.PolicyInput(
            enabled=self.enabled.data,
            min_pool=self.min_pool.data,
            min_score_percent=self.min_score_percent.data,
            no_referral_days=self.no_referral_days.data,
            to_jobcentre=self.to_jobcentre.data,
            to_a_kasser=self.to_a_kasser.data,
            max_targets=self.max_targets.data,
            unreadable=unreadable(self),
        )


# --- the inbox --------------------------------------------------------------------------------


def _inbox_page(*, errors=None, typed=None, status: int = 200):  # noqa: ANN001, ANN202
    db = get_db()
    actor = current_actor()
    box = forwarding_inbox.inbox(db, actor)
    return form_page(
        "forwarding/inbox.html",
        errors=errors,
        typed=typed,
        status=status,
        inbox=box,
        state_labels=forwarding_workflow.STATE_LABELS_DA,
        rule_labels=forwarding_workflow.RULE_LABELS_DA,
        allowed={
            i.forwarding.id: forwarding_workflow.allowed_events(i.forwarding) for i in box.waiting
        },
        OPEN=VacancyStatus.OPEN,
    )


@bp.get("/videregivne")
@role_required(permissions.COUNSELLORS)
def inbox():  # noqa: ANN201 - Flask view
    """Vacancies forwarded to the counsellor's organisation: waiting ones first, then answered."""
    return _inbox_page()


@bp.post("/videregivne/<int:forwarding_id>/accepter")
@role_required(permissions.COUNSELLORS)
def accept(forwarding_id: int):  # noqa: ANN201 - Flask view
    """Accept a forwarded vacancy; the organisation's counsellors then refer as usual."""
    db = get_db()
    try:
        item = forwarding_inbox.accept(db, current_actor(), forwarding_id)
    except InvalidTransition:
        return _inbox_page(errors={forwarding_id: ["Stillingen er allerede besvaret."]}, status=400)
    flash(
        f"Du har accepteret »{item.vacancy.title}«. Henvis jeres kandidater fra kandidatlisten.",
        "success",
    )
    return redirect(url_for("forwarding.inbox") + f"#videregivelse-{forwarding_id}")


@bp.post("/videregivne/<int:forwarding_id>/retur")
@role_required(permissions.COUNSELLORS)
def give_back(forwarding_id: int):  # noqa: ANN201 - Flask view
    """Return a forwarded vacancy with a reason (the owner will not forward it here again)."""
    form = ReturnForm()
    typed = {forwarding_id: form.reason.data or ""}
    if not form.validate():
        return _inbox_page(errors={forwarding_id: form.reason.errors}, typed=typed, status=400)
    db = get_db()
    try:
        forwarding_inbox.return_(
            db, current_actor(), forwarding_id, form.reason.data or "", base_url=_base_url()
        )
    except (ValidationError, InvalidTransition) as exc:
        messages = (
            list(exc.errors.values())
            if isinstance(exc, ValidationError)
            else ["Stillingen er allerede besvaret."]
        )
        return _inbox_page(errors={forwarding_id: messages}, typed=typed, status=400)
    flash("Stillingen er sendt retur.", "success")
    return redirect(url_for("forwarding.inbox"))


# --- the vacancy page -------------------------------------------------------------------------


def vacancy_panel(
    actor: Actor,
    vacancy: Vacancy,
    form: ForwardForm | None = None,
    errors: dict[str, str] | None = None,
) -> dict | None:
    """What the vacancy page shows about forwarding: the timeline to the owner's and the
    receivers' counsellors, and the form to forward by hand to the owner's. None for others."""
    if not permissions.has_role(actor, permissions.COUNSELLORS):
        return None
    db = get_db()
    rows = forwarding_inbox.forwardings_for_vacancy(db, actor, vacancy)
    is_owner = permissions.may_forward(actor, vacancy)
    if not is_owner and not rows:
        return None
    timeline = sorted(
        ((event, item) for item in rows for event in item.events),
        key=lambda pair: (pair[0].at, pair[0].id),
    )
    targets: list[Organisation] = (
        target_choices(db, vacancy) if is_owner and vacancy.status is VacancyStatus.OPEN else []
    )
    return {
        "is_owner": is_owner,
        "owner": db.get(Organisation, vacancy.owner_id) if vacancy.owner_id else None,
        "timeline": timeline,
        "waiting_here": any(
            f.to_organisation_id == actor.organisation_id and f.state is ForwardingState.OPEN
            for f in rows
        ),
        "jobcentres": [o for o in targets if o.kind is OrgKind.JOBCENTRE],
        "a_kasser": [o for o in targets if o.kind is OrgKind.A_KASSE],
        "form": form or ForwardForm(formdata=None),
        "errors": errors or {},
        "rule_labels": forwarding_workflow.RULE_LABELS_DA,
    }


@bp.post("/stillinger/<int:vacancy_id>/videregiv")
@role_required(permissions.COUNSELLORS)
def forward(vacancy_id: int):  # noqa: ANN201 - Flask view
    """The owner's counsellor forwards the vacancy by hand to a chosen organisation."""
    from portal.vacancies import detail_page

    form = ForwardForm()
    if not form.validate():
        errors = {name: messages[0] for name, messages in form.errors.items()}
        return detail_page(vacancy_id, forward_form=form, forward_errors=errors, status=400)
    raw = (form.target.data or "").strip()
    db = get_db()
    try:
        made = forward_manually(
            db,
            current_actor(),
            vacancy_id,
            int(raw) if raw.isdigit() else None,
            form.reason.data or "",
            base_url=_base_url(),
        )
    except ValidationError as exc:
        return detail_page(vacancy_id, forward_form=form, forward_errors=exc.errors, status=400)
    flash(f"Stillingen er videregivet til {made.to_organisation.name}.", "success")
    return redirect(url_for("vacancies.detail", vacancy_id=vacancy_id) + "#videregivelse")


# --- the organisation's rules -----------------------------------------------------------------


def _service_organisation() -> Organisation:
    return permissions.require_forwarding_admin(get_db(), current_actor())


@bp.route("/organisation/videregivelse", methods=["GET", "POST"])
@role_required(permissions.ADMINS)
def policy():  # noqa: ANN201 - Flask view
    """An administrator of an a-kasse or jobcentre edits when and to whom it forwards."""
    organisation = _service_organisation()
    db = get_db()
    if request.method == "GET":
        current = forwarding_policy.PolicyInput.of(forwarding_policy.policy_for(db, organisation))
        form = PolicyForm(formdata=None, obj=current)
        return render_template("forwarding/policy.html", form=form, organisation=organisation)
    form = PolicyForm()  # what was typed is shown again; the domain judges it
    try:
        chosen = forwarding_policy.check_policy(form.to_input())
    except ValidationError as exc:
        show_errors(form, exc.errors)
    else:
        forwarding_policy.save_policy(db, current_actor(), chosen)
        flash("Reglerne for videregivelse er gemt.", "success")
        return redirect(url_for("forwarding.policy"))
    html = render_template("forwarding/policy.html", form=form, organisation=organisation)
    return html, 400
