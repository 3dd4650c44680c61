"""Forwarding vacancies an owner cannot fill: owners, rules, targets, the state machine, e-mails,
results; exactly once under concurrent runs and after a worker dies (PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import DANISH_TZ
from matching.core.errors import InvalidTransition, OutOfScope, PermissionDenied, ValidationError
from matching.models import (
    AuditAction,
    AuditEntry,
    Forwarding,
    ForwardingPolicy,
    ForwardingRule,
    ForwardingState,
    Jobseeker,
    Match,
    MatchRun,
    Notification,
    Organisation,
    OrgKind,
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from matching.models.workflow import WorkflowEvent
from matching.referrals.decisions import refer_candidate
from matching.vacancies import editing, lifecycle
from matching.vacancies.editing import VacancyInput
from matching.vacancies.forwarding import decisions as forwarding_decisions
from matching.vacancies.forwarding import inbox
from matching.vacancies.forwarding import policy as forwarding_policy
from matching.vacancies.forwarding.decisions import (
    assign_owner,
    choose_targets,
    evaluate,
    forward_manually,
    jobcentre_for,
    propose,
    target_choices,
)
from tests.factories import Factory
from tests.factories.base import put_in_state
from tests.support.databases import private_schema, schema_engine

NOW = utcnow()
TODAY = NOW.astimezone(DANISH_TZ).date()
ODENSE = 461
BASE = "https://jobbro.test"
F = ForwardingState


def organisation(
    make: Factory,
    kind: OrgKind,
    name: str,
    *,
    municipality: int | None = None,
    email: str | None = None,
) -> Organisation:
    org = make.organisation(kind, name)
    org.municipality_code = municipality
    org.email = email
    make.session.commit()
    return org


def actor(org: Organisation, role: Role, user_id: int | None = None) -> Actor:
    return Actor(user_id=user_id, organisation_id=org.id, role=role.value)


def owned_vacancy(
    make: Factory,
    employer: Organisation,
    owner: Organisation | None,
    *,
    published_days_ago: int = 1,
    title: str = "Lagermedarbejder",
) -> Vacancy:
    vacancy = make.vacancy(employer, title=title)
    vacancy.owner_id = owner.id if owner else None
    vacancy.published_at = NOW - timedelta(days=published_days_ago)
    vacancy.contact_email = "hr@lager.dk"
    make.session.commit()
    return vacancy


def store_list(session: Session, vacancy: Vacancy, scored: list[tuple[Jobseeker, float]]) -> None:
    """The vacancy's candidate list as the worker stores it."""
    for rank, (person, score) in enumerate(scored, start=1):
        session.add(
            Match(
                vacancy_id=vacancy.id, jobseeker_id=person.id, score=score, rank=rank,
                model_version="test", rules_version="test",
            )
        )  # fmt: skip
    session.add(
        MatchRun(
            subject_kind="vacancy", subject_id=vacancy.id, model_version="test",
            rules_version="test", listed=len(scored),
        )
    )  # fmt: skip
    session.commit()


def people(make: Factory, org: Organisation, *scores: float) -> list[tuple[Jobseeker, float]]:
    return [(make.jobseeker(org), score) for score in scores]


def policy(session: Session, org: Organisation, **values: object) -> ForwardingPolicy:
    row = ForwardingPolicy(organisation_id=org.id, **values)
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def audit_rows(session: Session):  # noqa: ANN201
    def found(action: AuditAction | None = None) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))

    return found


def rows(session: Session, vacancy: Vacancy | None = None) -> list[Forwarding]:
    query = select(Forwarding).order_by(Forwarding.id)
    if vacancy is not None:
        query = query.where(Forwarding.vacancy_id == vacancy.id)
    return list(session.scalars(query))


class World:
    """Jobcenter Odense (461), two a-kasser, an employer in Odense and its vacancy."""

    def __init__(self, make: Factory) -> None:
        self.make = make
        self.jobcentre = organisation(
            make, OrgKind.JOBCENTRE, "Jobcenter Odense", municipality=ODENSE,
            email="jobcenter@odense.dk",
        )  # fmt: skip
        self.other_jobcentre = organisation(
            make, OrgKind.JOBCENTRE, "Jobcenter Aarhus", municipality=751
        )
        self.akasse = organisation(make, OrgKind.A_KASSE, "A-kasse Fyn", email="fyn@akasse.dk")
        self.akasse_2 = organisation(make, OrgKind.A_KASSE, "A-kasse Syd", email="syd@akasse.dk")
        self.employer = organisation(
            make, OrgKind.EMPLOYER, "Fyns Lager ApS", municipality=ODENSE, email="job@lager.dk"
        )
        self.counsellor = make.user((self.jobcentre, Role.COUNSELLOR))
        self.akasse_counsellor = make.user((self.akasse, Role.COUNSELLOR))

    def as_jobcentre(self) -> Actor:
        return actor(self.jobcentre, Role.COUNSELLOR, self.counsellor.id)

    def as_akasse(self) -> Actor:
        return actor(self.akasse, Role.COUNSELLOR, self.akasse_counsellor.id)


@pytest.fixture
def world(make: Factory) -> World:
    return World(make)


# --- owners -----------------------------------------------------------------------------------


def _ordinary() -> VacancyInput:
    return VacancyInput(
        kind=VacancyKind.ORDINARY,
        title="Lagermedarbejder",
        description="Pluk og pak.",
        postal_code="5000",
        start_date=TODAY + timedelta(days=30),
        deadline=TODAY + timedelta(days=14),
    )


def test_publishing_gives_an_unowned_vacancy_the_jobcentre_of_the_employers_municipality(
    session: Session, make: Factory, world: World
) -> None:
    boss = make.user((world.employer, Role.EMPLOYER))
    as_employer = actor(world.employer, Role.EMPLOYER, boss.id)
    draft = editing.create_vacancy(session, as_employer, _ordinary())
    assert draft.owner_id is None  # a draft is nobody's order yet
    vacancy = editing.create_vacancy(session, as_employer, _ordinary(), publish=True)
    assert vacancy.owner_id == world.jobcentre.id
    [entry] = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_id == str(vacancy.id), AuditEntry.actor_id.is_(None)
        )
    )
    assert entry.details["owner_id"] == world.jobcentre.id
    assert entry.details["municipality_code"] == ODENSE

    # An owner the vacancy has is kept; no municipality, or none with a jobcentre: no owner.
    vacancy.owner_id = world.akasse.id
    assert assign_owner(session, vacancy) is None
    assert vacancy.owner_id == world.akasse.id
    for municipality in (None, 101):
        world.employer.municipality_code = municipality
        orphan = editing.create_vacancy(session, as_employer, _ordinary(), publish=True)
        assert orphan.owner_id is None


# --- rules ------------------------------------------------------------------------------------


def test_pool_too_small_counts_the_owners_own_people_above_the_bar_today(
    session: Session, make: Factory, world: World
) -> None:
    policy(session, world.akasse, min_pool=2, min_score=0.5)
    vacancy = owned_vacancy(make, world.employer, world.akasse)
    gone = make.jobseeker(world.akasse, responsible_to=TODAY)  # handed over today
    scored = [
        *people(make, world.akasse, 0.8, 0.4),  # one above the bar, one below
        (gone, 0.9),
        *people(make, world.jobcentre, 0.9, 0.7),
    ]
    store_list(session, vacancy, scored)
    [proposal] = propose(session, NOW)
    assert proposal.rule is ForwardingRule.POOL_TOO_SMALL
    assert proposal.target_id == world.jobcentre.id  # the employer's municipality
    assert proposal.reason == "Kun 1 egen kandidat med match på mindst 50 af 100 (grænsen er 2)."

    session.get(ForwardingPolicy, session.scalar(select(ForwardingPolicy.id))).min_pool = 1
    session.commit()
    assert propose(session, NOW) == []


def test_the_pool_rule_waits_for_the_computed_list(
    session: Session, make: Factory, world: World
) -> None:
    owned_vacancy(make, world.employer, world.akasse)
    assert propose(session, NOW) == []  # no list yet, published yesterday


def test_no_referral_after_the_configured_days(
    session: Session, make: Factory, world: World
) -> None:
    policy(session, world.akasse, min_pool=0, no_referral_days=10)
    fresh = owned_vacancy(make, world.employer, world.akasse, published_days_ago=9)
    stale = owned_vacancy(make, world.employer, world.akasse, published_days_ago=12)
    answered = owned_vacancy(make, world.employer, world.akasse, published_days_ago=30)
    person = make.jobseeker(world.akasse)
    store_list(session, answered, [(person, 0.9)])
    refer_candidate(session, world.as_akasse(), answered.id, person.id)
    session.commit()
    [proposal] = propose(session, NOW)
    assert (proposal.vacancy_id, proposal.rule) == (stale.id, ForwardingRule.NO_REFERRAL)
    assert proposal.reason == (
        "Ingen henvisninger 12 dage efter offentliggørelsen (grænsen er 10 dage)."
    )
    assert fresh.id != proposal.vacancy_id


def test_disabled_rules_closed_vacancies_and_passed_deadlines_forward_nothing(
    session: Session, make: Factory, world: World
) -> None:
    disabled = policy(session, world.akasse, enabled=False)
    owned_vacancy(make, world.employer, world.akasse, published_days_ago=60)
    assert propose(session, NOW) == []
    disabled.enabled = True
    late = owned_vacancy(make, world.employer, world.akasse, published_days_ago=60)
    late.deadline = TODAY - timedelta(days=1)
    paused = owned_vacancy(make, world.employer, world.akasse, published_days_ago=60)
    put_in_state(session, paused, VacancyStatus.PAUSED)
    unowned = owned_vacancy(make, world.employer, None, published_days_ago=60)
    session.commit()
    proposed = {p.vacancy_id for p in propose(session, NOW)}
    assert late.id not in proposed and paused.id not in proposed and unowned.id not in proposed
    assert len(proposed) == 1  # the first vacancy, now that its owner's rules are on


# --- targets ----------------------------------------------------------------------------------


def test_a_jobcentre_forwards_to_the_a_kasser_whose_members_match_best(
    session: Session, make: Factory, world: World
) -> None:
    third = organisation(make, OrgKind.A_KASSE, "A-kasse Øst")
    idle = organisation(make, OrgKind.A_KASSE, "A-kasse Vest")
    policy(session, world.jobcentre, max_targets=2)
    vacancy = owned_vacancy(make, world.employer, world.jobcentre)
    store_list(
        session,
        vacancy,
        [
            *people(make, world.akasse, 0.9),
            *people(make, world.akasse_2, 0.8, 0.7, 0.6),
            *people(make, third, 0.9, 0.55),
            *people(make, idle, 0.3, 0.2),  # listed, but below the bar
        ],
    )
    proposals = propose(session, NOW)
    assert [p.target_id for p in proposals] == [world.akasse_2.id, third.id]
    assert {p.rule for p in proposals} == {ForwardingRule.POOL_TOO_SMALL}


def test_an_a_kasse_forwards_to_the_jobcentre_and_to_a_kasser_only_when_configured(
    session: Session, make: Factory, world: World
) -> None:
    vacancy = owned_vacancy(make, world.employer, world.akasse)
    store_list(
        session, vacancy, [*people(make, world.akasse_2, 0.9), *people(make, world.akasse, 0.9)]
    )
    assert [p.target_id for p in propose(session, NOW)] == [world.jobcentre.id]
    policy(session, world.akasse, to_a_kasser=True)  # joint recruitment agreed
    assert [p.target_id for p in propose(session, NOW)] == [
        world.jobcentre.id,
        world.akasse_2.id,  # never the owner itself
    ]


def test_the_owners_municipality_when_the_employer_has_none() -> None:
    owner = Organisation(id=7, kind=OrgKind.A_KASSE, name="A", municipality_code=ODENSE)
    jobcentres = {ODENSE: 1, 751: 2}
    assert jobcentre_for(751, owner, jobcentres) == 2
    assert jobcentre_for(None, owner, jobcentres) == 1
    assert jobcentre_for(999, owner, jobcentres) == 1
    owner.municipality_code = None
    assert jobcentre_for(None, owner, jobcentres) is None


def test_target_choice_skips_holders_and_returners_and_fills_free_slots() -> None:
    rule = forwarding_policy.Policy(max_targets=2)
    listed = {11: 5, 12: 4, 13: 3}
    names = {11: "A", 12: "B", 13: "C"}

    def choose(history: dict[int, list[ForwardingState]]) -> list[int]:
        return choose_targets(
            owner_id=1, jobcentre_id=1, policy=rule, a_kasser=names, listed=listed,
            history=history,
        )  # fmt: skip

    assert choose({}) == [11, 12]  # the jobcentre is the owner itself
    assert choose({11: [F.ACCEPTED]}) == [12]  # one slot left
    assert choose({11: [F.RETURNED]}) == [12, 13]  # returned: never again
    assert choose({11: [F.WITHDRAWN]}) == [11, 12]  # withdrawn on close: may come again
    assert choose({11: [F.OPEN], 12: [F.OPEN]}) == []


# --- evaluate ---------------------------------------------------------------------------------


def _pool_too_small(session: Session, make: Factory, world: World) -> Vacancy:
    vacancy = owned_vacancy(make, world.employer, world.akasse)
    store_list(session, vacancy, people(make, world.jobcentre, 0.9, 0.8))
    return vacancy


def test_evaluate_forwards_once_with_its_event_audit_entry_and_e_mails(
    session: Session, make: Factory, world: World
) -> None:
    vacancy = _pool_too_small(session, make, world)
    first = evaluate(session, NOW, base_url=BASE)
    second = evaluate(session, NOW, base_url=BASE)
    assert len(first.forwarded) == 1 and second.forwarded == []
    [made] = rows(session, vacancy)
    assert (made.from_organisation_id, made.to_organisation_id) == (
        world.akasse.id,
        world.jobcentre.id,
    )
    assert made.state is F.OPEN and made.rule is ForwardingRule.POOL_TOO_SMALL
    assert made.idempotency_key == f"forward:{vacancy.id}:{world.jobcentre.id}:pool_too_small:0"
    assert [(e.from_state, e.to_state, e.actor_id) for e in made.events] == [(None, "open", None)]
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "forwarding"))
    assert entry.action is AuditAction.CREATE and entry.details["rule"] == "pool_too_small"
    mails = {n.kind: n for n in session.scalars(select(Notification))}
    assert mails["forwarding_received"].recipient == "jobcenter@odense.dk"
    assert f"{BASE}/videregivne" in mails["forwarding_received"].body
    assert mails["forwarding_shared"].recipient == "hr@lager.dk"
    assert mails["forwarding_shared"].subject == "Din stilling er delt med Jobcenter Odense"
    names = [p.first_name for p in session.scalars(select(Jobseeker))]
    assert not any(name in n.body for n in mails.values() for name in names)


def test_the_unique_key_decides_when_a_concurrent_run_slipped_past_the_checks(
    session: Session, make: Factory, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    vacancy = _pool_too_small(session, make, world)
    evaluate(session, NOW, base_url=BASE)
    # A second run that did not see the first one's forwarding (it was not committed yet).
    monkeypatch.setattr(forwarding_decisions, "_histories", lambda _session, _ids: {})
    result = evaluate(session, NOW, base_url=BASE)
    assert result.proposed == 1 and result.forwarded == []
    assert len(rows(session, vacancy)) == 1
    assert session.scalar(select(func.count()).select_from(WorkflowEvent)) == 1


# --- answering, returning, withdrawing ----------------------------------------------------------


def test_accept_and_return_are_for_the_receivers_counsellors_only(
    session: Session, make: Factory, world: World, audit_rows
) -> None:
    _pool_too_small(session, make, world)
    evaluate(session, NOW, base_url=BASE)
    [made] = rows(session)
    with pytest.raises(OutOfScope):
        inbox.accept(session, world.as_akasse(), made.id)  # the owner, not the receiver
    with pytest.raises(OutOfScope):
        inbox.accept(session, world.as_jobcentre(), 999_999)
    with pytest.raises(PermissionDenied):
        inbox.accept(session, actor(world.jobcentre, Role.ADMIN), made.id)
    inbox.accept(session, world.as_jobcentre(), made.id, now=NOW)
    with pytest.raises(InvalidTransition):
        inbox.accept(session, world.as_jobcentre(), made.id)
    with pytest.raises(ValidationError) as missing:
        inbox.return_(session, world.as_jobcentre(), made.id, "  ")
    assert missing.value.errors == {"reason": "Skriv en begrundelse."}
    inbox.return_(
        session, world.as_jobcentre(), made.id, "Ingen ledige med truckcertifikat.",
        base_url=BASE,
    )  # fmt: skip
    session.commit()
    assert made.state is F.RETURNED
    assert [e.to_state for e in made.events] == ["open", "accepted", "returned"]
    assert made.events[-1].note == "Ingen ledige med truckcertifikat."
    assert made.events[-1].actor_id == world.counsellor.id
    [told] = session.scalars(select(Notification).where(Notification.kind == "forwarding_returned"))
    assert told.recipient == "fyn@akasse.dk" and "truckcertifikat" not in told.body
    updates = [e for e in audit_rows(AuditAction.UPDATE) if e.object_type == "forwarding"]
    assert [e.details["event"] for e in updates] == ["accept", "return"]


def test_a_returned_vacancy_is_not_forwarded_to_the_same_target_again(
    session: Session, make: Factory, world: World
) -> None:
    vacancy = _pool_too_small(session, make, world)
    vacancy.published_at = NOW - timedelta(days=60)  # both rules would fire
    session.commit()
    evaluate(session, NOW, base_url=BASE)
    [made] = rows(session)
    inbox.return_(session, world.as_jobcentre(), made.id, "Ikke vores område.")
    session.commit()
    assert evaluate(session, NOW, base_url=BASE).forwarded == []
    assert evaluate(session, NOW + timedelta(days=30), base_url=BASE).forwarded == []
    with pytest.raises(ValidationError) as refused:
        forward_manually(session, world.as_akasse(), vacancy.id, world.jobcentre.id, "Prøv igen")
    assert "har sendt stillingen retur" in refused.value.errors["target"]
    assert world.jobcentre not in target_choices(session, vacancy)
    assert len(rows(session, vacancy)) == 1


def test_closing_withdraws_open_and_accepted_forwardings_and_reopening_allows_new_ones(
    session: Session, make: Factory, world: World
) -> None:
    boss = make.user((world.employer, Role.EMPLOYER))
    as_employer = actor(world.employer, Role.EMPLOYER, boss.id)
    policy(session, world.jobcentre, max_targets=2)
    vacancy = owned_vacancy(make, world.employer, world.jobcentre)
    vacancy.deadline = TODAY + timedelta(days=10)
    store_list(
        session, vacancy, [*people(make, world.akasse, 0.9), *people(make, world.akasse_2, 0.8)]
    )
    evaluate(session, NOW, base_url=BASE)
    first, second = rows(session, vacancy)
    inbox.accept(session, world.as_akasse(), first.id)
    session.commit()

    lifecycle.change_status(session, as_employer, vacancy.id, "close")
    session.commit()
    assert [f.state for f in rows(session, vacancy)] == [F.WITHDRAWN, F.WITHDRAWN]
    for made in (first, second):
        last = made.events[-1]
        assert (last.to_state, last.note, last.actor_id) == (
            "withdrawn",
            "Stillingen er lukket.",
            boss.id,
        )
    assert evaluate(session, NOW, base_url=BASE).forwarded == []

    lifecycle.change_status(session, as_employer, vacancy.id, "reopen")
    session.commit()
    again = evaluate(session, NOW, base_url=BASE)
    assert len(again.forwarded) == 2
    assert {f.idempotency_key.rsplit(":", 1)[1] for f in rows(session, vacancy)} == {"0", "1"}


def test_filling_withdraws_and_counts_as_filled_after_forwarding(
    session: Session, make: Factory, world: World
) -> None:
    boss = make.user((world.employer, Role.EMPLOYER))
    vacancy = _pool_too_small(session, make, world)
    vacancy.published_at = NOW - timedelta(days=20)
    session.commit()
    evaluate(session, NOW - timedelta(days=10), base_url=BASE)
    [made] = rows(session)
    inbox.accept(session, world.as_jobcentre(), made.id)
    lifecycle.change_status(
        session, actor(world.employer, Role.EMPLOYER, boss.id), vacancy.id, "fill"
    )
    session.commit()
    assert made.state is F.WITHDRAWN and made.events[-1].note == "Stillingen er besat."

    owner = inbox.stats(session, world.akasse.id, NOW - timedelta(days=90))
    assert (owner.forwarded, owner.accepted, owner.returned, owner.filled) == (1, 1, 0, 1)
    assert owner.median_days_to_fill == pytest.approx(20, abs=0.2)
    receiver = inbox.stats(session, world.jobcentre.id, NOW - timedelta(days=90))
    assert (receiver.forwarded, receiver.received, receiver.waiting) == (0, 1, 0)


# --- by hand ----------------------------------------------------------------------------------


def test_forwarding_by_hand_is_for_the_owner_with_a_reason_to_a_real_target(
    session: Session, make: Factory, world: World
) -> None:
    vacancy = owned_vacancy(make, world.employer, world.akasse)
    as_owner = world.as_akasse()

    def refused(who: Actor, target: int | None, reason: str = "Få egne kandidater") -> str:
        with pytest.raises(ValidationError) as caught:
            forward_manually(session, who, vacancy.id, target, reason)
        return next(iter(caught.value.errors.values()))

    assert refused(as_owner, world.jobcentre.id, " ") == "Skriv hvorfor stillingen videregives."
    for forged in (world.employer.id, world.akasse.id, None, 999_999):
        assert refused(as_owner, forged) == "Vælg en a-kasse eller et jobcenter fra listen."
    with pytest.raises(PermissionDenied):  # a counsellor of another organisation
        forward_manually(session, world.as_jobcentre(), vacancy.id, world.akasse_2.id, "Tag den")
    with pytest.raises(PermissionDenied):
        forward_manually(
            session, actor(world.akasse, Role.ORGANISER), vacancy.id, world.jobcentre.id, "x"
        )
    with pytest.raises(OutOfScope):
        forward_manually(session, as_owner, 999_999, world.jobcentre.id, "x")

    made = forward_manually(
        session, actor(world.akasse, Role.ADMIN), vacancy.id, world.akasse_2.id,
        "Fælles rekruttering aftalt med Syd.", base_url=BASE,
    )  # fmt: skip
    session.commit()
    assert made.rule is ForwardingRule.MANUAL and made.reason.startswith("Fælles")
    assert (
        refused(as_owner, world.akasse_2.id)
        == "Stillingen er allerede videregivet til A-kasse Syd."
    )
    [mail] = session.scalars(select(Notification).where(Notification.kind == "forwarding_received"))
    assert "Fælles rekruttering" not in mail.body  # a counsellor's words stay in Jobbro
    put_in_state(session, vacancy, VacancyStatus.PAUSED)
    assert refused(as_owner, world.jobcentre.id) == "Kun åbne stillinger kan videregives."


def test_the_inbox_lists_waiting_forwardings_first_with_the_receivers_own_candidates(
    session: Session, make: Factory, world: World
) -> None:
    policy(session, world.akasse, to_a_kasser=False)
    older = _pool_too_small(session, make, world)  # two of the jobcentre's people listed
    newer = owned_vacancy(make, world.employer, world.akasse, title="Chauffør")  # no list yet
    evaluate(session, NOW, base_url=BASE)
    handled = forward_manually(
        session, world.as_akasse(), newer.id, world.jobcentre.id, "Vi har for få chauffører."
    )
    inbox.accept(session, world.as_jobcentre(), handled.id)
    session.commit()
    box = inbox.inbox(session, world.as_jobcentre(), today=TODAY)
    assert [(i.forwarding.vacancy_id, i.own_candidates) for i in box.waiting] == [(older.id, 2)]
    assert [(i.forwarding.vacancy_id, i.own_candidates) for i in box.handled] == [(newer.id, 0)]
    assert inbox.inbox(session, world.as_akasse()).waiting == []
    with pytest.raises(PermissionDenied):
        inbox.inbox(session, actor(world.employer, Role.EMPLOYER))
    # The vacancy page: the owner follows every forwarding, a receiver its own, others none.
    assert len(inbox.forwardings_for_vacancy(session, world.as_akasse(), older)) == 1
    assert len(inbox.forwardings_for_vacancy(session, world.as_jobcentre(), older)) == 1
    other = actor(world.akasse_2, Role.COUNSELLOR)
    assert inbox.forwardings_for_vacancy(session, other, older) == []


# --- the policy rules -------------------------------------------------------------------------

VALID_POLICY = forwarding_policy.PolicyInput(
    enabled=True, min_pool=3, min_score_percent=60, no_referral_days=21, to_jobcentre=True,
    to_a_kasser=False, max_targets=2,
)  # fmt: skip


def test_the_policy_rules_are_checked_in_danish() -> None:
    chosen = forwarding_policy.check_policy(VALID_POLICY)
    assert chosen == forwarding_policy.Policy(True, 3, 0.6, 21, True, False, 2)
    assert forwarding_policy.PolicyInput.of(chosen) == VALID_POLICY
    unreadable = {"min_pool": "Skriv et helt tal mellem 0 og 1.000."}
    with pytest.raises(ValidationError) as caught:
        forwarding_policy.check_policy(
            replace(
                VALID_POLICY, min_pool=None, min_score_percent=101, no_referral_days=0,
                max_targets=-1, to_jobcentre=False, unreadable=unreadable,
            )
        )  # fmt: skip
    assert caught.value.errors == {
        "min_pool": "Skriv et helt tal mellem 0 og 1.000.",
        "min_score_percent": "Skriv et helt tal mellem 0 og 100.",
        "no_referral_days": "Skriv et antal dage mellem 1 og 365.",
        "max_targets": "Skriv et helt tal mellem 1 og 20.",
        "to_jobcentre": "Vælg mindst én slags modtager, eller slå automatisk videregivelse fra.",
    }


def test_only_an_a_kasses_or_jobcentres_administrator_saves_the_policy(
    session: Session, make: Factory, world: World, audit_rows
) -> None:
    chosen = forwarding_policy.check_policy(VALID_POLICY)
    for who in (
        actor(world.employer, Role.ADMIN),
        actor(world.akasse, Role.COUNSELLOR),
    ):
        with pytest.raises(PermissionDenied):
            forwarding_policy.save_policy(session, who, chosen)
    admin = make.user((world.akasse, Role.ADMIN))
    assert forwarding_policy.policy_for(session, world.akasse) == forwarding_policy.default_policy(
        OrgKind.A_KASSE
    )
    forwarding_policy.save_policy(session, actor(world.akasse, Role.ADMIN, admin.id), chosen)
    forwarding_policy.save_policy(
        session, actor(world.akasse, Role.ADMIN, admin.id), replace(chosen, max_targets=4)
    )
    session.commit()
    assert forwarding_policy.policy_for(session, world.akasse).max_targets == 4
    [first, second] = [e for e in audit_rows() if e.object_type == "forwarding_policy"]
    assert second.details["fields"] == ["max_targets"] and first.actor_id == admin.id


# --- the worker job and the command line --------------------------------------------------------


def test_the_periodic_job_runs_every_15_minutes_on_the_forward_queue() -> None:
    from workers.queues import Job, QueueName
    from workers.worker import PERIODIC_JOBS

    assert (Job.EVALUATE_FORWARDING, 900) in PERIODIC_JOBS
    assert Job.EVALUATE_FORWARDING.queue is QueueName.FORWARD


def test_the_job_and_the_dry_run_use_the_configured_database(
    settings,  # noqa: ANN001
    engine: Engine,
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from matching.core.db import make_engine
    from matching.core.migrate import reset_schema_for_tests
    from workers import jobs, runtime
    from workers.cli import cli

    own = settings.with_overrides(
        database_url=f"sqlite:///{tmp_path / 'forwarding.sqlite3'}", data_dir=tmp_path
    )
    private = make_engine(own)
    reset_schema_for_tests(private)
    with Session(private) as session:
        world = World(Factory(session, "x"))
        _pool_too_small(session, world.make, world)
    env = {"JOBBRO_DATABASE_URL": own.database_url, "JOBBRO_DATA_DIR": str(tmp_path)}
    dry = CliRunner().invoke(cli, ["forwarding", "evaluate", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert (
        '"rule": "pool_too_small"' in dry.output and "1 forwarding(s) would be made" in dry.output
    )
    runtime.init(own, private)
    try:
        assert len(jobs.evaluate_forwarding()["forwarded"]) == 1
        assert jobs.evaluate_forwarding()["forwarded"] == []
    finally:
        private.dispose()
        runtime.init(settings, engine)  # leave the runtime on the suite's database


# --- PostgreSQL: concurrent runs and a worker that dies -----------------------------------------

KILLED = 17


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[tuple[str, str, Engine]]:
    """A private, migrated PostgreSQL schema whose rows other processes can see (committed)."""
    from matching.core.migrate import upgrade

    with private_schema(pg_url, "fwd") as schema:
        engine = schema_engine(pg_url, schema)
        try:
            upgrade(engine)
            yield pg_url, schema, engine
        finally:
            engine.dispose()


def _evaluate_at_once(url: str, schema: str, barrier, results, now: str) -> None:  # noqa: ANN001
    """A scheduler run in its own process, started at the same moment as another."""
    engine = schema_engine(url, schema)
    with Session(engine) as session:
        session.execute(text("SELECT 1"))  # connected before the start signal
        barrier.wait(timeout=120)
        result = evaluate(session, datetime.fromisoformat(now), base_url=BASE)
    results.put(result.forwarded)
    engine.dispose()


def _evaluate_and_die(url: str, schema: str, now: str) -> None:
    """A scheduler run killed after its forwarding row was written, before the commit."""
    engine = schema_engine(url, schema)
    flushed: list[bool] = []
    event.listen(engine, "commit", lambda _conn: os._exit(KILLED) if flushed else None)
    with Session(engine) as session:
        event.listen(
            session,
            "after_flush",
            lambda s, _ctx: flushed.extend(True for o in s.new if isinstance(o, Forwarding)),
        )
        evaluate(session, datetime.fromisoformat(now), base_url=BASE)
    engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            "forwardings": session.scalar(select(func.count()).select_from(Forwarding)) or 0,
            "events": session.scalar(select(func.count()).select_from(WorkflowEvent)) or 0,
            "notifications": session.scalar(select(func.count()).select_from(Notification)) or 0,
            "audit": session.scalar(
                select(func.count()).where(AuditEntry.object_type == "forwarding")
            )
            or 0,
        }


def test_two_processes_at_once_forward_exactly_once_on_postgresql(pg_schema) -> None:  # noqa: ANN001
    url, schema, engine = pg_schema
    with Session(engine) as session:
        world = World(Factory(session, "x"))
        policy(session, world.jobcentre, max_targets=2)
        for n in range(12):
            vacancy = owned_vacancy(world.make, world.employer, world.jobcentre, title=f"Job {n}")
            store_list(
                session,
                vacancy,
                [*people(world.make, world.akasse, 0.9), *people(world.make, world.akasse_2, 0.8)],
            )
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    runs = [
        context.Process(
            target=_evaluate_at_once, args=(url, schema, barrier, results, NOW.isoformat())
        )
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    made = [results.get(timeout=180) for _ in runs]
    for run in runs:
        run.join(timeout=60)
        assert run.exitcode == 0
    assert sum(len(m) for m in made) == 24  # every vacancy to both a-kasser, made once
    assert _counts(engine) == {"forwardings": 24, "events": 24, "notifications": 48, "audit": 24}
    with Session(engine) as session:
        pairs = session.execute(select(Forwarding.vacancy_id, Forwarding.to_organisation_id)).all()
    assert len(set(pairs)) == 24


def test_a_run_killed_mid_forwarding_leaves_nothing_and_the_next_run_completes_it_on_postgresql(
    pg_schema,  # noqa: ANN001
) -> None:
    url, schema, engine = pg_schema
    with Session(engine) as session:
        world = World(Factory(session, "x"))
        vacancy = _pool_too_small(session, world.make, world)
        vacancy_id = vacancy.id
    context = multiprocessing.get_context("spawn")
    run = context.Process(target=_evaluate_and_die, args=(url, schema, NOW.isoformat()))
    run.start()
    run.join(timeout=120)
    assert run.exitcode == KILLED
    assert _counts(engine) == {"forwardings": 0, "events": 0, "notifications": 0, "audit": 0}

    with Session(engine) as session:
        result = evaluate(session, NOW, base_url=BASE)
        assert len(result.forwarded) == 1
        [made] = rows(session)
        assert made.vacancy_id == vacancy_id and [e.to_state for e in made.events] == ["open"]
    assert _counts(engine) == {"forwardings": 1, "events": 1, "notifications": 2, "audit": 1}
