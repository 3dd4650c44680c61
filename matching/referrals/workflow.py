"""Referrals (henvisninger) as a transition table.

    proposed → sent → interview → hired
                 ↘        ↘→ rejected_by_employer / declined_by_jobseeker / withdrawn / expired

:data:`REFERRALS` is the table: (state, event) → new state, who may do it (counsellor, employer
or the system) and whether a reason is required. Each change appends a workflow event with the
actor and the time (:mod:`matching.core.workflow`), so the referral's history is its list of
events. A referral left unanswered is reminded after ``reminder_days`` and expires after twice
that (:func:`process_overdue`, run by the scheduler); both are system events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import notifications
from matching.core.audit import Actor
from matching.core.dates import format_date
from matching.core.workflow import Transition, Workflow
from matching.models import (
    WAITING_REFERRAL_STATES,
    Referral,
    ReferralState,
    User,
    Vacancy,
    utcnow,
)

SYSTEM = "system"
COUNSELLOR = "counsellor"
EMPLOYER = "employer"
S = ReferralState


def _t(source: S, event: str, target: S, *by: str, reason: bool = False) -> Transition[S]:
    return Transition(source, event, target, frozenset(by), reason_required=reason)


REFERRALS: Workflow[ReferralState] = Workflow(
    "referral",
    "henvisning",
    Referral,
    "state",
    "referral_id",
    [
        _t(S.PROPOSED, "send", S.SENT, COUNSELLOR),
        _t(S.PROPOSED, "withdraw", S.WITHDRAWN, COUNSELLOR, reason=True),
        _t(S.SENT, "invite", S.INTERVIEW, EMPLOYER, COUNSELLOR),
        _t(S.SENT, "hire", S.HIRED, EMPLOYER, COUNSELLOR),
        _t(S.SENT, "reject", S.REJECTED_BY_EMPLOYER, EMPLOYER, reason=True),
        _t(S.SENT, "decline", S.DECLINED_BY_JOBSEEKER, COUNSELLOR, reason=True),
        _t(S.SENT, "withdraw", S.WITHDRAWN, COUNSELLOR, reason=True),
        _t(S.SENT, "expire", S.EXPIRED, SYSTEM),
        _t(S.INTERVIEW, "hire", S.HIRED, EMPLOYER, COUNSELLOR),
        _t(S.INTERVIEW, "reject", S.REJECTED_BY_EMPLOYER, EMPLOYER, reason=True),
        _t(S.INTERVIEW, "decline", S.DECLINED_BY_JOBSEEKER, COUNSELLOR, reason=True),
        _t(S.INTERVIEW, "withdraw", S.WITHDRAWN, COUNSELLOR, reason=True),
        _t(S.INTERVIEW, "expire", S.EXPIRED, SYSTEM),
    ],
)
# Events a counsellor may record in the portal (in the order they are offered).
COUNSELLOR_EVENTS = REFERRALS.events_of(COUNSELLOR)

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
    return REFERRALS.events(referral, role)


def apply(
    session: Session,
    referral: Referral,
    event: str,
    actor: Actor,
    *,
    reason: str = "",
    now: datetime | None = None,
    respond_days: int = 7,
) -> None:
    """Apply ``event`` to the referral as ``actor`` (its role is the party); flushes, the
    caller commits.

    Raises :class:`InvalidTransition` for an event the table does not allow from the current
    state, :class:`PermissionDenied` for a role it does not allow, and
    :class:`ValidationError` (Danish message) when a required reason is missing or too long.
    Sending sets ``respond_by`` to ``respond_days`` days ahead.
    """
    now = now or utcnow()
    REFERRALS.fire(session, referral, event, party=actor.role, actor=actor, reason=reason, at=now)
    if event == "send":
        referral.respond_by = now.date() + timedelta(days=respond_days)
        referral.reminded_at = None
        session.flush()


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
            Referral.state.in_(WAITING_REFERRAL_STATES),
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
