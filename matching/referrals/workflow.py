"""Referrals (henvisninger) as a state machine written as a transition table.

    proposed → sent → interview → hired
                 ↘        ↘→ rejected_by_employer / declined_by_jobseeker / withdrawn / expired

Every transition is a row of :data:`TRANSITIONS`: (state, event) → (new state, who may do it,
whether a reason is required). Each change appends a :class:`ReferralEvent` with the actor and
the time, so the referral's history is its list of events. A referral left unanswered is
reminded after ``reminder_days`` and expires after twice that (:func:`process_overdue`, run by
the scheduler); both are system events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import notifications
from matching.core.audit import Actor
from matching.core.dates import format_date
from matching.core.errors import InvalidTransition, PermissionDenied, ValidationError
from matching.models import (
    Referral,
    ReferralEvent,
    ReferralState,
    User,
    Vacancy,
    utcnow,
)

SYSTEM = "system"


COUNSELLOR = "counsellor"


EMPLOYER = "employer"


MAX_REASON_CHARS = 2000


S = ReferralState


@dataclass(frozen=True)
class Transition:
    to: ReferralState
    roles: frozenset[str]
    reason_required: bool = False


def _t(to: ReferralState, *roles: str, reason: bool = False) -> Transition:
    return Transition(to, frozenset(roles), reason)


# (state, event) → transition. Anything not in the table is refused.
TRANSITIONS: dict[tuple[ReferralState, str], Transition] = {
    (S.PROPOSED, "send"): _t(S.SENT, COUNSELLOR),
    (S.PROPOSED, "withdraw"): _t(S.WITHDRAWN, COUNSELLOR, reason=True),
    (S.SENT, "invite"): _t(S.INTERVIEW, EMPLOYER, COUNSELLOR),
    (S.SENT, "hire"): _t(S.HIRED, EMPLOYER, COUNSELLOR),
    (S.SENT, "reject"): _t(S.REJECTED_BY_EMPLOYER, EMPLOYER, reason=True),
    (S.SENT, "decline"): _t(S.DECLINED_BY_JOBSEEKER, COUNSELLOR, reason=True),
    (S.SENT, "withdraw"): _t(S.WITHDRAWN, COUNSELLOR, reason=True),
    (S.SENT, "expire"): _t(S.EXPIRED, SYSTEM),
    (S.INTERVIEW, "hire"): _t(S.HIRED, EMPLOYER, COUNSELLOR),
    (S.INTERVIEW, "reject"): _t(S.REJECTED_BY_EMPLOYER, EMPLOYER, reason=True),
    (S.INTERVIEW, "decline"): _t(S.DECLINED_BY_JOBSEEKER, COUNSELLOR, reason=True),
    (S.INTERVIEW, "withdraw"): _t(S.WITHDRAWN, COUNSELLOR, reason=True),
    (S.INTERVIEW, "expire"): _t(S.EXPIRED, SYSTEM),
}


# Events a counsellor may record in the portal (in the order they are offered).
COUNSELLOR_EVENTS = tuple(
    dict.fromkeys(e for (_, e), t in TRANSITIONS.items() if COUNSELLOR in t.roles)
)


WAITING_STATES = (S.SENT, S.INTERVIEW)  # waiting for the employer's answer


OPEN_STATES = (S.PROPOSED, *WAITING_STATES)  # not yet decided


EVENT_LABELS_DA = {
    "send": "Send henvisning",
    "invite": "Indkaldt til samtale",
    "hire": "Ansat",
    "reject": "Afvist af virksomheden",
    "decline": "Takket nej (den ledige)",
    "withdraw": "Træk tilbage",
    "expire": "Udløbet",
}


def allowed_events(referral: Referral, role: str) -> list[str]:
    """The events ``role`` may apply to the referral now (for the portal's buttons)."""
    return [
        event
        for (state, event), t in TRANSITIONS.items()
        if state is referral.state and role in t.roles
    ]


def apply(
    session: Session,
    referral: Referral,
    event: str,
    actor: Actor,
    *,
    reason: str = "",
    now: datetime | None = None,
    respond_days: int = 7,
) -> ReferralEvent:
    """Apply ``event`` to the referral as ``actor``; flushes, the caller commits.

    Raises :class:`InvalidTransition` for an event the table does not allow from the current
    state, :class:`PermissionDenied` for a role it does not allow, and
    :class:`ValidationError` (Danish message) when a required reason is missing or too long.
    Sending sets ``respond_by`` to ``respond_days`` days ahead.
    """
    transition = TRANSITIONS.get((referral.state, event))
    if transition is None:
        raise InvalidTransition("henvisning", referral.state.value, event)
    role = actor.role or ""
    if role not in transition.roles:
        raise PermissionDenied(f"role {role!r} may not {event!r} a referral")
    reason = reason.strip()
    if transition.reason_required and not reason:
        raise ValidationError({"reason": "Skriv en begrundelse."})
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError({"reason": f"Begrundelsen må højst være {MAX_REASON_CHARS} tegn."})
    now = now or utcnow()
    entry = ReferralEvent(
        from_state=referral.state.value,
        to_state=transition.to.value,
        actor_id=actor.user_id,
        at=now,
        note=reason,
    )
    referral.events.append(entry)
    referral.state = transition.to
    if event == "send":
        referral.respond_by = now.date() + timedelta(days=respond_days)
        referral.reminded_at = None
    session.flush()
    return entry


@dataclass(frozen=True)
class OverdueResult:
    reminded: list[int]
    expired: list[int]


def process_overdue(
    session: Session, *, now: datetime, reminder_days: int, base_url: str = ""
) -> OverdueResult:
    """Remind referrals waiting past their ``respond_by`` and expire those still unanswered
    ``reminder_days`` after the reminder. Idempotent: a second run the same day does nothing.

    The e-mails go into the notification queue in the same transaction: a reminder to the
    employer (the vacancy's contact, else its employer users) and, on expiry, a note to the
    counsellor who referred. Neither names the person. Flushes; the caller commits.
    """
    today = now.date()
    waiting = session.scalars(
        select(Referral)
        .where(
            Referral.state.in_(WAITING_STATES),
            Referral.respond_by.is_not(None),
            Referral.respond_by < today,
        )
        .order_by(Referral.id)
    ).all()
    reminded: list[int] = []
    expired: list[int] = []
    system = Actor.system()
    for referral in waiting:
        if referral.reminded_at is None:
            referral.reminded_at = now
            reminded.append(referral.id)
            _notify_reminder(session, referral, today + timedelta(days=reminder_days), base_url)
        elif referral.reminded_at.date() + timedelta(days=reminder_days) <= today:
            apply(session, referral, "expire", system, reason="Ubesvaret efter påmindelse", now=now)
            expired.append(referral.id)
            _notify_expired(session, referral, base_url)
    session.flush()
    return OverdueResult(reminded, expired)


def _employer_recipients(session: Session, vacancy: Vacancy) -> list[str]:
    """The vacancy's contact address, else the company's (see employer_recipients)."""
    if vacancy.contact_email:
        return [vacancy.contact_email]
    return notifications.employer_recipients(session, vacancy.employer)


def _notify_reminder(session: Session, referral: Referral, expires: date, base_url: str) -> None:
    vacancy = referral.vacancy
    sent = referral.events[0].at.date() if referral.events else None
    body = (
        "Hej\n\n"
        f"{referral.organisation.name} har henvist en kandidat til stillingen »{vacancy.title}«"
        + (f" den {format_date(sent)}" if sent else "")
        + f". Svarfristen var {format_date(referral.respond_by)}, og vi har ikke fået svar.\n\n"
        "Se kandidaten og giv besked om samtale, ansættelse eller afslag her:\n"
        f"{base_url}/stillinger/{vacancy.id}/henvisninger\n\n"
        f"Uden svar udløber henvisningen den {format_date(expires)}.\n\n"
        "Venlig hilsen\nJobbro"
    )
    for recipient in _employer_recipients(session, vacancy):
        notifications.notify(
            session,
            kind="referral_reminder",
            recipient=recipient,
            subject=f"Påmindelse: henvisning til {vacancy.title} venter på svar",
            body=body,
            object_type="referral",
            object_id=referral.id,
            dedupe_key=f"referral-reminder:{referral.id}:{recipient.lower()}",
        )


def _notify_expired(session: Session, referral: Referral, base_url: str) -> None:
    creator = session.get(User, referral.created_by_id) if referral.created_by_id else None
    if creator is None or not creator.active:
        return
    vacancy = referral.vacancy
    notifications.notify(
        session,
        kind="referral_expired",
        recipient=creator.email,
        subject=f"Henvisning udløbet: {vacancy.title}",
        body=(
            "Hej\n\n"
            f"En henvisning til stillingen »{vacancy.title}« hos {vacancy.employer.name} er "
            "udløbet, fordi virksomheden ikke svarede efter påmindelsen.\n\n"
            f"Se den ledige og henvisningen her:\n{base_url}/ledige/{referral.jobseeker_id}\n\n"
            "Venlig hilsen\nJobbro"
        ),
        object_type="referral",
        object_id=referral.id,
        dedupe_key=f"referral-expired:{referral.id}",
    )
