"""Which organisation is responsible for a person: the routing rules applied to stored data
(municipality rule sets, the person's facts), and the handovers a counsellor may read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.paging import DEFAULT_PAGE_SIZE, Page, paginate
from matching.core.permissions import COUNSELLORS, require_role
from matching.models import (
    Handover,
    Jobseeker,
    MunicipalityRouting,
    Organisation,
    OrgKind,
)
from matching.people.queries import require_in_caseload
from matching.rules.routing import NATIONAL, Decision, RoutingFacts, decide

HANDOVER_LIST_DAYS = 90


def handovers_for_jobseeker(session: Session, actor: Actor, jobseeker_id: int) -> list[Handover]:
    """Every handover of a person, newest first, for a counsellor whose organisation is
    responsible for the person now (the notes follow the person, like the referrals).

    Raises :class:`OutOfScope` for a person outside the caseload.
    """
    require_in_caseload(session, actor, jobseeker_id)
    return list(
        session.scalars(
            select(Handover)
            .where(Handover.jobseeker_id == jobseeker_id)
            .order_by(Handover.effective_date.desc(), Handover.id.desc())
            .options(
                selectinload(Handover.from_organisation), selectinload(Handover.to_organisation)
            )
        )
    )


def handovers_from_organisation(
    session: Session,
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PAGE_SIZE,
    today: date | None = None,
    days: int = HANDOVER_LIST_DAYS,
) -> Page[Handover]:
    """The handovers *from* the actor's organisation in the last ``days`` days, newest first.

    The organisation is no longer responsible for these people: only the pseudonym is loaded
    with each row (no name, no CV), and the note stays with the receiving organisation.
    """
    require_role(actor, COUNSELLORS, "see jobseekers")
    today = today or today_dk()
    query = (
        select(Handover)
        .where(
            Handover.from_organisation_id == actor.organisation_id,
            Handover.effective_date >= today - timedelta(days=days),
        )
        .order_by(Handover.effective_date.desc(), Handover.id.desc())
        .options(
            selectinload(Handover.jobseeker).load_only(Jobseeker.id, Jobseeker.pseudonym),
            selectinload(Handover.to_organisation),
        )
    )
    return paginate(session, query, page, per_page)


def facts_for(person: Jobseeker, day: date) -> RoutingFacts:
    """The routing facts of a stored person on ``day``."""
    return RoutingFacts(
        birth_date=person.birth_date,
        insured=person.a_kasse_id is not None,
        target_group=person.target_group_on(day),
        unemployment_start=person.unemployment_start,
        chose_jobcentre=person.chose_jobcentre,
    )


@dataclass(frozen=True)
class Resolution:
    """The decision and the organisation it names; ``organisation`` None when there is none
    (``problem_da`` says why, e.g. no jobcentre for the municipality)."""

    decision: Decision
    organisation: Organisation | None
    problem_da: str | None = None


class Router:
    """Resolves many people on one day with the municipal rule sets and the jobcentres read
    once (a nightly run checks every active person)."""

    def __init__(self, session: Session, day: date) -> None:
        self.session = session
        self.day = day
        self.rows = _routing_rows(session, day)
        jobcentres = session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == OrgKind.JOBCENTRE,
                Organisation.active.is_(True),
                Organisation.municipality_code.is_not(None),
            )
            .order_by(Organisation.id.desc())  # the lowest id wins if a code is used twice
        )
        self.jobcentres: dict[int, Organisation] = {
            org.municipality_code: org for org in jobcentres if org.municipality_code is not None
        }

    def rule_set_for(self, municipality_code: int | None, unemployment_start: date | None) -> str:
        return _pick_rule_set(self.rows, municipality_code, unemployment_start)

    def resolve(self, person: Jobseeker) -> Resolution:
        rule_set = self.rule_set_for(person.municipality_code, person.unemployment_start)
        decision = decide(facts_for(person, self.day), self.day, rule_set)
        if decision.kind is None:
            return Resolution(decision, None, decision.reason_da)
        if decision.kind is OrgKind.A_KASSE:
            org = self.session.get(Organisation, person.a_kasse_id)
            if org is None or org.kind is not OrgKind.A_KASSE or not org.active:
                return Resolution(decision, None, "Personens a-kasse findes ikke eller er lukket")
            return Resolution(decision, org)
        if person.municipality_code is None:
            return Resolution(decision, None, "Bopælskommune mangler")
        jobcentre = self.jobcentres.get(person.municipality_code)
        if jobcentre is None:
            return Resolution(
                decision, None, f"Intet aktivt jobcenter for kommune {person.municipality_code}"
            )
        return Resolution(decision, jobcentre)


def _routing_rows(session: Session, day: date) -> dict[int, list[MunicipalityRouting]]:
    """The MunicipalityRouting rows in force on ``day`` by municipality, latest start first."""
    rows = session.scalars(
        select(MunicipalityRouting)
        .where(
            MunicipalityRouting.valid_on(day),
        )
        .order_by(MunicipalityRouting.valid_from.desc(), MunicipalityRouting.id.desc())
    )
    by_code: dict[int, list[MunicipalityRouting]] = {}
    for row in rows:
        by_code.setdefault(row.municipality_code, []).append(row)
    return by_code


def _pick_rule_set(
    rows: dict[int, list[MunicipalityRouting]],
    municipality_code: int | None,
    unemployment_start: date | None,
) -> str:
    """The rule set of the latest-starting row that already applied when the unemployment
    began (a municipality joining an arrangement takes its new cohorts, not people mid-spell)."""
    for row in rows.get(municipality_code, []) if municipality_code is not None else []:
        if unemployment_start is None or row.valid_from <= unemployment_start:
            return row.rule_set
    return NATIONAL


def rule_set_for(
    session: Session,
    municipality_code: int | None,
    day: date,
    unemployment_start: date | None = None,
) -> str:
    """The rule set for a person of ``municipality_code`` on ``day`` whose unemployment began
    on ``unemployment_start``: the municipality's (MunicipalityRouting), else national."""
    return _pick_rule_set(_routing_rows(session, day), municipality_code, unemployment_start)


def resolve_organisation(session: Session, person: Jobseeker, day: date) -> Resolution:
    """The organisation responsible for ``person`` on ``day``: their a-kasse, or the active
    jobcentre with their municipality code. ``organisation`` is None (with ``problem_da``)
    when the rules cannot decide or no such organisation exists; nothing should change then."""
    return Router(session, day).resolve(person)
