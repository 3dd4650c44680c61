"""The lifecycle of vacancies and company places as a transition table: publish, submit,
pause, reopen, close, fill; the jobcentre approves or rejects places."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from matching.core import audit, dates, permissions
from matching.core.audit import Actor
from matching.core.dates import format_date
from matching.core.errors import InvalidTransition, PermissionDenied, ValidationError
from matching.core.workflow import Transition, Workflow
from matching.models import (
    ApprovalStatus,
    AuditAction,
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from matching.vacancies.forwarding import workflow as forwarding_workflow
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


EMPLOYER_EVENTS = frozenset({EMPLOYER})
APPROVER_EVENTS = frozenset({APPROVER})
# An approved place whose approved fields the employer changes goes back to the jobcentre
# (editing.update_vacancy fires it; it is never a button).
RULE_CHANGE = "rule_change"


def _t(
    source: S,
    event: str,
    target: S,
    by: frozenset[str] = EMPLOYER_EVENTS,
    applies_to: str = "any",
    reason: bool = False,
) -> Transition[S]:
    return Transition(source, event, target, by, reason_required=reason, applies_to=applies_to)


VACANCIES: Workflow[VacancyStatus] = Workflow(
    "vacancy",
    "vacancy",
    Vacancy,
    "status",
    "vacancy_id",
    [
        _t(S.DRAFT, "publish", S.OPEN, applies_to="ordinary"),
        _t(S.DRAFT, "submit", S.PENDING_APPROVAL, applies_to="place"),
        _t(S.REJECTED, "submit", S.PENDING_APPROVAL, applies_to="place"),
        _t(S.PENDING_APPROVAL, "approve", S.OPEN, APPROVER_EVENTS, "place"),
        _t(S.PENDING_APPROVAL, "reject", S.REJECTED, APPROVER_EVENTS, "place", reason=True),
        _t(S.OPEN, "resubmit", S.PENDING_APPROVAL, frozenset({RULE_CHANGE}), "place"),
        _t(S.OPEN, "pause", S.PAUSED),
        _t(S.PAUSED, "resume", S.OPEN),
        _t(S.OPEN, "close", S.CLOSED),
        _t(S.PAUSED, "close", S.CLOSED),
        _t(S.CLOSED, "reopen", S.OPEN),
        _t(S.OPEN, "fill", S.FILLED),
        _t(S.PAUSED, "fill", S.FILLED),
    ],
    kind_of=lambda vacancy: "place" if vacancy.is_company_place else "ordinary",
)
# Events that open a vacancy or send a place for approval: refused while the application
# deadline has passed.
DEADLINE_OPEN_EVENTS = frozenset({"publish", "submit", "resume", "reopen"})


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


CHANGED_MESSAGE = "Pladsen er ændret, siden du åbnede den. Læs den igen, og træf din afgørelse."


class VacancyChanged(ValidationError):
    """The vacancy changed (or was decided) since the version the user acted on."""

    def __init__(self) -> None:
        super().__init__({"": CHANGED_MESSAGE})


def claim_version(session: Session, vacancy: Vacancy, expected: int | None = None) -> None:
    """Raise the vacancy's version if it is still ``expected`` (default: the version read),
    as one conditional UPDATE: of two changes at once one wins, the other (and a decision on a
    version the employer has since changed) gets :class:`VacancyChanged`. On PostgreSQL the
    row stays locked until the commit. The session's copy of the version and status is then
    read again."""
    version = vacancy.version if expected is None else expected
    claimed = session.execute(
        update(Vacancy)
        .where(Vacancy.id == vacancy.id, Vacancy.version == version)
        .values(version=Vacancy.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(vacancy, ["version", "status", "approval_status"])
    if claimed != 1:
        raise VacancyChanged()


def allowed_events(vacancy: Vacancy, role: str) -> list[str]:
    """The events ``role`` may apply to the vacancy now (for the portal's buttons)."""
    return VACANCIES.events(vacancy, role)


def can_fire(vacancy: Vacancy, event: str) -> bool:
    """Whether the table has ``event`` from the vacancy's status (for any party)."""
    try:
        VACANCIES.find(vacancy, event)
    except InvalidTransition:
        return False
    return True


def change_status(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    event: str,
    *,
    reason: str = "",
    today: date | None = None,
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Vacancy:
    """Apply a lifecycle ``event`` to a vacancy the actor may see (404 otherwise), if it is
    still the version read (or ``expected_version``; :class:`VacancyChanged` otherwise).

    Raises :class:`InvalidTransition` for an event the table does not allow now,
    :class:`PermissionDenied` for a role it does not allow, and :class:`ValidationError`
    (Danish) when a guard fails (deadline passed, reason missing, statement missing).
    """
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    claim_version(session, vacancy, expected_version)
    _apply(session, vacancy, event, actor, reason=reason, today=today or dates.today_dk(), now=now)
    session.flush()
    return vacancy


def approve_place(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    *,
    now: datetime | None = None,
    version: int | None = None,
) -> Vacancy:
    """A jobcentre approver approves a place (``version``: the one they read): it opens and
    can be matched."""
    return change_status(session, actor, vacancy_id, "approve", now=now, expected_version=version)


def reject_place(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    reason: str,
    *,
    now: datetime | None = None,
    version: int | None = None,
) -> Vacancy:
    """A jobcentre approver rejects a place (``version``: the one they read) with a reason
    the employer sees."""
    return change_status(
        session, actor, vacancy_id, "reject", reason=reason, now=now, expected_version=version
    )


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
    transition = VACANCIES.find(vacancy, event)
    party = actor.role if actor.role in transition.by else None
    if party is None:
        raise PermissionDenied(f"role {actor.role!r} may not {event!r} a vacancy")
    if party == APPROVER:
        permissions.require_place_approver(session, actor, vacancy)
    if event in DEADLINE_OPEN_EVENTS and vacancy.deadline is not None and vacancy.deadline < today:
        raise ValidationError(
            {
                "deadline": f"Ansøgningsfristen ({format_date(vacancy.deadline)}) er "
                "overskredet. Flyt ansøgningsfristen under »Rediger«, og prøv igen."
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
    reason = VACANCIES.fire(
        session, vacancy, event, party=party, actor=actor, reason=reason, at=now
    ).note
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
    if vacancy.status is S.OPEN and vacancy.published_at is None:
        vacancy.published_at = now
    if vacancy.status is S.CLOSED:
        vacancy.closed_at = now
    elif previous is S.CLOSED:
        vacancy.closed_at = None
    change = {"event": event, "from": previous.value, "to": vacancy.status.value}
    audit.record(
        session, actor, AuditAction.UPDATE, "vacancy", vacancy.id, details=change, note=reason
    )
    # Forwarding (matching.vacancies.forwarding): an open vacancy without an owner gets one;
    # closing or filling ends every forwarding, so no organisation keeps working a vacancy that
    # is gone.
    if vacancy.status is S.OPEN:
        assign_owner(session, vacancy)
    if vacancy.status in WITHDRAWING_FORWARDINGS:
        forwarding_workflow.withdraw_for_vacancy(
            session, vacancy, WITHDRAWING_FORWARDINGS[vacancy.status], actor=actor, now=now
        )
