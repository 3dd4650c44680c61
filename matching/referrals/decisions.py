"""A counsellor's decisions on a candidate list: accept or reject (with a reason), and refer.

Accepting or referring someone the matcher did not list is an *override* with a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import ValidationError
from matching.core.workflow import check_reason
from matching.models import (
    OPEN_REFERRAL_STATES,
    AuditAction,
    Match,
    MatchReview,
    Referral,
)
from matching.people.queries import require_in_caseload
from matching.referrals.workflow import apply
from matching.vacancies.queries import get_vacancy_for

REVIEW_DECISIONS = ("accept", "reject")
ALREADY_REFERRED_MESSAGE = "Personen er allerede henvist til denne stilling."


def _on_list(session: Session, vacancy_id: int, jobseeker_id: int) -> bool:
    return (
        session.scalar(
            select(Match.id).where(
                Match.vacancy_id == vacancy_id,
                Match.jobseeker_id == jobseeker_id,
                Match.rank.is_not(None),
            )
        )
        is not None
    )


def review_candidate(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    jobseeker_id: int,
    decision: str,
    reason: str = "",
) -> MatchReview:
    """A counsellor accepts or rejects a candidate for a vacancy (human oversight).

    Rejecting needs a reason. Accepting someone the matcher did not list is an *override* and
    needs a reason too; it is stored as such. The person must be in the counsellor's caseload
    and the vacancy visible (404 otherwise). Flushes; the caller commits.
    """
    person_id = require_in_caseload(session, actor, jobseeker_id)
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    if decision not in REVIEW_DECISIONS:
        raise ValidationError({"decision": "Vælg godkend eller fravælg."})
    on_list = decision != "accept" or _on_list(session, vacancy.id, person_id)
    return _review(session, actor, vacancy.id, person_id, decision, reason, on_list=on_list)


def _review(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    person_id: int,
    decision: str,
    reason: str,
    *,
    on_list: bool,
) -> MatchReview:
    reason = check_reason(reason, required=False)
    if decision == "accept" and not on_list:
        decision = "override"
        if not reason:
            raise ValidationError(
                {"reason": "Skriv hvorfor du foreslår en person, som ikke er på listen."}
            )
    if decision == "reject" and not reason:
        raise ValidationError({"reason": "Skriv hvorfor kandidaten fravælges."})
    review = MatchReview(
        vacancy_id=vacancy_id,
        jobseeker_id=person_id,
        reviewer_id=actor.user_id,
        organisation_id=actor.organisation_id,
        decision=decision,
        reason=reason,
    )
    session.add(review)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "match_review",
        f"{vacancy_id}:{person_id}",
        jobseeker_id=person_id,
        purpose="formidling",
        details={"decision": decision},
    )
    session.flush()
    return review


def refer_candidate(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    jobseeker_id: int,
    *,
    note: str = "",
    respond_days: int = 7,
    now: datetime | None = None,
) -> Referral:
    """Refer (henvis) a person to a vacancy: a referral is created and sent at once.

    A person not on the matcher's list can be referred with a reason (stored as an override
    review). A second open referral of the same person to the same vacancy is refused, also
    when two arrive at once (the unique index ``uq_referrals_open_pair``).
    """
    person_id = require_in_caseload(session, actor, jobseeker_id)
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    note = note.strip()
    if session.scalar(
        select(Referral.id).where(
            Referral.vacancy_id == vacancy.id,
            Referral.jobseeker_id == person_id,
            Referral.state.in_(OPEN_REFERRAL_STATES),
        )
    ):
        raise ValidationError({"": ALREADY_REFERRED_MESSAGE})
    if not _on_list(session, vacancy.id, person_id):
        _review(session, actor, vacancy.id, person_id, "accept", note, on_list=False)
    referral = Referral(
        vacancy_id=vacancy.id,
        jobseeker_id=person_id,
        organisation_id=actor.organisation_id,
        created_by_id=actor.user_id,
        note=note,
    )
    session.add(referral)
    try:
        # The unique index on open referrals decides between two »henvis« at once.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationError({"": ALREADY_REFERRED_MESSAGE}) from None
    apply(session, referral, "send", actor, now=now, respond_days=respond_days)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "referral",
        referral.id,
        jobseeker_id=person_id,
        purpose="formidling",
        details={"vacancy_id": vacancy.id},
    )
    session.flush()
    return referral
