"""The lifecycle of vacancies and company places as a transition table: publish, submit,
pause, reopen, close, fill; the jobcentre approves or rejects places."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from matching.core import audit, dates, permissions
from matching.core.audit import Actor
from matching.core.dates import format_date
from matching.core.errors import InvalidTransition, PermissionDenied, ValidationError
from matching.models import (
    ApprovalStatus,
    AuditAction,
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from matching.referrals.workflow import MAX_REASON_CHARS
from matching.vacancies.forwarding import inbox
from matching.vacancies.forwarding.decisions import assign_owner
from matching.vacancies.queries import get_vacancy_for

# The rimelighedskrav (and its written statement from the employee representative) applies to
# praktik and løntilskud (BEK 2636/2021 § 65, domain.md §2); not to voksenlærling or IGU.
STATEMENT_REQUIRED = frozenset(
    {
        VacancyKind.VIRKSOMHEDSPRAKTIK,
        VacancyKind.LOENTILSKUD_PRIVATE,
        VacancyKind.LOENTILSKUD_PUBLIC,
    }
)


S = VacancyStatus


EMPLOYER = Role.EMPLOYER.value


APPROVER = Role.APPROVER.value


@dataclass(frozen=True)
class Transition:
    to: VacancyStatus
    role: str
    applies_to: str = "any"  # any | ordinary | place
    reason_required: bool = False
    deadline_open: bool = False  # refused while the application deadline has passed


def _t(to: VacancyStatus, role: str = EMPLOYER, applies_to: str = "any", **kw: bool) -> Transition:
    return Transition(to, role, applies_to, **kw)


# (status, event) → transition. Anything not in the table is refused.
TRANSITIONS: dict[tuple[VacancyStatus, str], Transition] = {
    (S.DRAFT, "publish"): _t(S.OPEN, applies_to="ordinary", deadline_open=True),
    (S.DRAFT, "submit"): _t(S.PENDING_APPROVAL, applies_to="place", deadline_open=True),
    (S.REJECTED, "submit"): _t(S.PENDING_APPROVAL, applies_to="place", deadline_open=True),
    (S.PENDING_APPROVAL, "approve"): _t(S.OPEN, APPROVER, "place"),
    (S.PENDING_APPROVAL, "reject"): _t(S.REJECTED, APPROVER, "place", reason_required=True),
    (S.OPEN, "pause"): _t(S.PAUSED),
    (S.PAUSED, "resume"): _t(S.OPEN, deadline_open=True),
    (S.OPEN, "close"): _t(S.CLOSED),
    (S.PAUSED, "close"): _t(S.CLOSED),
    (S.CLOSED, "reopen"): _t(S.OPEN, deadline_open=True),
    (S.OPEN, "fill"): _t(S.FILLED),
    (S.PAUSED, "fill"): _t(S.FILLED),
}


EVENT_LABELS_DA = {
    "publish": "Offentliggør",
    "submit": "Send til godkendelse",
    "approve": "Godkend",
    "reject": "Afvis",
    "pause": "Sæt på pause",
    "resume": "Genoptag",
    "close": "Luk",
    "reopen": "Genåbn",
    "fill": "Markér som besat",
}


CONFIRM_EVENTS = frozenset({"close"})  # asked "are you sure?" first


# Statuses that end a vacancy's forwardings, with the note on the forwarding's timeline.
WITHDRAWING_FORWARDINGS = {S.CLOSED: "Stillingen er lukket.", S.FILLED: "Stillingen er besat."}


def _applies(transition: Transition, vacancy: Vacancy) -> bool:
    if transition.applies_to == "any":
        return True
    return (transition.applies_to == "place") == vacancy.is_company_place


def allowed_events(vacancy: Vacancy, role: str) -> list[str]:
    """The events ``role`` may apply to the vacancy now (for the portal's buttons)."""
    return [
        event
        for (status, event), t in TRANSITIONS.items()
        if status is vacancy.status and t.role == role and _applies(t, vacancy)
    ]


def change_status(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    event: str,
    *,
    reason: str = "",
    today: date | None = None,
    now: datetime | None = None,
) -> Vacancy:
    """Apply a lifecycle ``event`` to a vacancy the actor may see (404 otherwise).

    Raises :class:`InvalidTransition` for an event the table does not allow now,
    :class:`PermissionDenied` for a role it does not allow, and :class:`ValidationError`
    (Danish) when a guard fails (deadline passed, reason missing, statement missing).
    """
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    _apply(session, vacancy, event, actor, reason=reason, today=today or dates.today_dk(), now=now)
    session.flush()
    return vacancy


def approve_place(
    session: Session, actor: Actor, vacancy_id: int, *, now: datetime | None = None
) -> Vacancy:
    """A jobcentre approver approves a place: it opens and can be matched."""
    return change_status(session, actor, vacancy_id, "approve", now=now)


def reject_place(
    session: Session, actor: Actor, vacancy_id: int, reason: str, *, now: datetime | None = None
) -> Vacancy:
    """A jobcentre approver rejects a place with a reason the employer sees."""
    return change_status(session, actor, vacancy_id, "reject", reason=reason, now=now)


def _apply(
    session: Session,
    vacancy: Vacancy,
    event: str,
    actor: Actor,
    *,
    reason: str = "",
    today: date,
    now: datetime | None = None,
) -> None:
    transition = TRANSITIONS.get((vacancy.status, event))
    if transition is None or not _applies(transition, vacancy):
        raise InvalidTransition("vacancy", vacancy.status.value, event)
    if actor.role != transition.role:
        raise PermissionDenied(f"role {actor.role!r} may not {event!r} a vacancy")
    if transition.role == APPROVER:
        permissions.require_place_approver(session, actor, vacancy)
    reason = reason.strip()
    if transition.reason_required and not reason:
        raise ValidationError({"reason": "Skriv en begrundelse."})
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError({"reason": f"Begrundelsen må højst være {MAX_REASON_CHARS} tegn."})
    if transition.deadline_open and vacancy.deadline is not None and vacancy.deadline < today:
        raise ValidationError(
            {
                "deadline": f"Ansøgningsfristen ({format_date(vacancy.deadline)}) er overskredet. "
                "Flyt ansøgningsfristen under »Rediger«, og prøv igen."
            }
        )
    if (
        event == "submit"
        and vacancy.kind in STATEMENT_REQUIRED
        and not vacancy.employee_rep_statement
    ):
        raise ValidationError(
            {
                "employee_rep_statement": f"{vacancy.kind.label_da} kræver en skriftlig "
                "udtalelse fra tillidsrepræsentanten eller medarbejderne (rimelighedskravet). "
                "Ret pladsen under »Rediger«, og send den igen."
            }
        )
    now = now or utcnow()
    previous = vacancy.status
    vacancy.status = transition.to
    if event == "submit":
        vacancy.approval_status = ApprovalStatus.PENDING
    elif event == "approve":
        vacancy.approval_status = ApprovalStatus.APPROVED
        vacancy.approved_by_id = actor.user_id
        vacancy.approved_at = now
        vacancy.approval_note = None
    elif event == "reject":
        vacancy.approval_status = ApprovalStatus.REJECTED
        vacancy.approved_by_id = None
        vacancy.approved_at = None
        vacancy.approval_note = reason
    if transition.to is S.OPEN and vacancy.published_at is None:
        vacancy.published_at = now
    if transition.to is S.CLOSED:
        vacancy.closed_at = now
    elif previous is S.CLOSED:
        vacancy.closed_at = None
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "vacancy",
        vacancy.id,
        details={"event": event, "from": previous.value, "to": transition.to.value},
        note=reason,
    )
    # Forwarding (matching.vacancies.forwarding): an open vacancy without an owner gets one;
    # closing or filling ends every forwarding, so no organisation keeps working a vacancy that
    # is gone.
    if transition.to is S.OPEN:
        assign_owner(session, vacancy)
    if transition.to in WITHDRAWING_FORWARDINGS:
        inbox.withdraw_for_vacancy(
            session, vacancy, WITHDRAWING_FORWARDINGS[transition.to], actor=actor, now=now
        )
