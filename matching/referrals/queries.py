"""Referrals as the employer and the person's counsellor may see them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from matching.core.audit import Actor
from matching.core.errors import OutOfScope
from matching.core.permissions import EMPLOYERS, require_role
from matching.models import (
    CV,
    Jobseeker,
    Referral,
    ReferralState,
    Vacancy,
)
from matching.people.queries import require_in_caseload
from matching.vacancies.queries import get_vacancy_for

# What an employer never sees of a referral to its vacancy: a proposal not yet sent stays
# internal, and a referral the counsellor withdrew shows nothing of the person any more (it is
# only counted, see :func:`withdrawn_count`).
HIDDEN_FROM_EMPLOYERS = (ReferralState.PROPOSED, ReferralState.WITHDRAWN)


def referred_counts(session: Session, actor: Actor, vacancy_ids: Sequence[int]) -> dict[int, int]:
    """Referrals sent to each of the employer's own vacancies, in one grouped query (a
    proposal not yet sent and a withdrawn referral count nothing, nor do other employers'
    vacancies)."""
    require_role(actor, EMPLOYERS, "see referrals to a vacancy")
    if not vacancy_ids:
        return {}
    rows = session.execute(
        select(Referral.vacancy_id, func.count())
        .join(Vacancy, Vacancy.id == Referral.vacancy_id)
        .where(
            Referral.vacancy_id.in_(vacancy_ids),
            Referral.state.not_in(HIDDEN_FROM_EMPLOYERS),
            Vacancy.employer_id == actor.organisation_id,
        )
        .group_by(Referral.vacancy_id)
    )
    return {vacancy_id: count for vacancy_id, count in rows}


def referrals_for_employer(session: Session, actor: Actor, vacancy_id: int) -> list[Referral]:
    """Referrals sent to the employer's own vacancy (not :data:`HIDDEN_FROM_EMPLOYERS`).

    Raises :class:`OutOfScope` for another employer's vacancy.
    """
    require_role(actor, EMPLOYERS, "see referrals to a vacancy")
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    return list(
        session.scalars(
            select(Referral)
            .where(
                Referral.vacancy_id == vacancy.id,
                Referral.state.not_in(HIDDEN_FROM_EMPLOYERS),
            )
            .order_by(Referral.id)
            .options(
                selectinload(Referral.organisation),
                *(
                    selectinload(Referral.jobseeker).selectinload(Jobseeker.cv).selectinload(rel)
                    for rel in (
                        CV.experiences,
                        CV.educations,
                        CV.skills,
                        CV.languages,
                        CV.driving_licences,
                    )
                ),
            )
        )
    )


def withdrawn_count(session: Session, actor: Actor, vacancy_id: int) -> int:
    """How many referrals to the employer's own vacancy the counsellors withdrew (a number
    only: nothing of the people). Raises :class:`OutOfScope` for another employer's vacancy."""
    require_role(actor, EMPLOYERS, "see referrals to a vacancy")
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    return session.scalar(
        select(func.count()).where(
            Referral.vacancy_id == vacancy.id, Referral.state == ReferralState.WITHDRAWN
        )
    )


def get_referral_for_employer(session: Session, actor: Actor, referral_id: int) -> Referral:
    """One referral the employer may see (sent, not withdrawn) to the actor's own vacancy;
    :class:`OutOfScope` otherwise."""
    require_role(actor, EMPLOYERS, "see referrals to a vacancy")
    referral = session.scalar(
        select(Referral)
        .join(Vacancy, Vacancy.id == Referral.vacancy_id)
        .where(
            Referral.id == referral_id,
            Referral.state.not_in(HIDDEN_FROM_EMPLOYERS),
            Vacancy.employer_id == actor.organisation_id,
        )
    )
    if referral is None:
        raise OutOfScope(
            "referral", referral_id, exists=session.get(Referral, referral_id) is not None
        )
    return referral


def referrals_for_jobseeker(session: Session, actor: Actor, jobseeker_id: int) -> list[Referral]:
    """A person's referrals, newest first, for a counsellor whose organisation is responsible
    for the person now (referrals follow the person, not the organisation that made them).

    Raises :class:`OutOfScope` for a person outside the caseload.
    """
    require_in_caseload(session, actor, jobseeker_id)
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.jobseeker_id == jobseeker_id)
            .order_by(Referral.id.desc())
            .options(
                selectinload(Referral.vacancy).selectinload(Vacancy.employer),
                selectinload(Referral.organisation),
                selectinload(Referral.events),
            )
        )
    )


def get_referral_for_counsellor(
    session: Session, actor: Actor, jobseeker_id: int, referral_id: int
) -> Referral:
    """One referral of a person in the actor's caseload; :class:`OutOfScope` otherwise."""
    person_id = require_in_caseload(session, actor, jobseeker_id)
    referral = session.scalar(
        select(Referral).where(Referral.id == referral_id, Referral.jobseeker_id == person_id)
    )
    if referral is None:
        raise OutOfScope(
            "referral",
            referral_id,
            exists=session.get(Referral, referral_id) is not None,
            jobseeker_id=person_id,
        )
    return referral
