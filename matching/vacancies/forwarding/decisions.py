"""Forwarding vacancies an organisation cannot fill from its own people (videregivelse).

Every vacancy or place may have an *owner*: the a-kasse or jobcentre that took the employer's
order. A vacancy an employer publishes without one gets the jobcentre of the employer's
municipality (:func:`assign_owner`). The owner forwards the vacancy to other organisations,
which then refer their own people to it:

* **pool too small** — the list is computed and fewer than ``min_pool`` listed people the owner
  is responsible for today score at least ``min_score``;
* **no referral** — ``no_referral_days`` after publication nobody has been referred;
* **by hand** — a counsellor or administrator of the owner, with a reason.

The rules and targets are each owner's :class:`~matching.models.ForwardingPolicy`
(:func:`default_policy` when it has none). Targets, best first: the jobcentre of the vacancy's
municipality (the employer's, else the owner's), then the a-kasser with the most listed people
above the bar (for a jobcentre: the a-kasser whose members match best; for an a-kasse: joint
recruitment, off unless configured). Never the owner, never an organisation that returned the
vacancy before, never one already holding it; automatic forwarding fills up to ``max_targets``
organisations holding the vacancy at a time.

A forwarding is a small state machine
(:data:`matching.vacancies.forwarding.workflow.FORWARDINGS`)::

    open → accepted → returned | withdrawn
    open → returned | withdrawn

Each change appends a :class:`~matching.models.WorkflowEvent` (the vacancy's timeline) and an
audit entry. Closing or filling the vacancy withdraws its open forwardings everywhere.

:func:`evaluate` (the scheduler's job) creates each forwarding with its event, audit entry and
e-mails in one transaction of its own. Its ``idempotency_key`` (vacancy + target + rule + the
number of earlier withdrawn forwardings to that target, so a reopened vacancy can be forwarded
again) is unique: two runs at once forward once, because the database refuses the second row.
The vacancy row is also locked while a forwarding is made, so a forwarding by another rule, by
hand or a concurrent close sees the first one. Everything else flushes; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.core import audit, notifications, permissions
from matching.core.audit import Actor
from matching.core.dates import DANISH_TZ, aware
from matching.core.errors import OutOfScope, ValidationError
from matching.core.permissions import SERVICE_KINDS
from matching.core.workflow import check_reason
from matching.models import (
    AuditAction,
    Forwarding,
    ForwardingPolicy,
    ForwardingRule,
    Match,
    MatchRun,
    Organisation,
    OrgKind,
    Referral,
    ReferralState,
    ResponsibilityPeriod,
    Vacancy,
    VacancyStatus,
    utcnow,
)
from matching.vacancies.forwarding.policy import Policy, default_policy
from matching.vacancies.forwarding.workflow import ACTIVE, FORWARDINGS, F


def _jobcentres_by_municipality(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Organisation.municipality_code, Organisation.id)
        .where(
            Organisation.kind == OrgKind.JOBCENTRE,
            Organisation.active.is_(True),
            Organisation.municipality_code.is_not(None),
        )
        .order_by(Organisation.id.desc())  # the oldest wins when a municipality has two
    )
    return {code: org_id for code, org_id in rows}


def assign_owner(session: Session, vacancy: Vacancy) -> Organisation | None:
    """Give a vacancy published without an owner the jobcentre of the employer's municipality.

    The employer ordered nothing from an a-kasse, so the public jobcentre where the company is
    takes the order. Returns the new owner, or None when the vacancy has one already, the
    employer has no municipality or the municipality no jobcentre in Jobbro. Audited as a
    system change; flushes with the caller's unit of work.
    """
    if vacancy.owner_id is not None:
        return None
    employer = session.get(Organisation, vacancy.employer_id)
    code = employer.municipality_code if employer is not None else None
    owner_id = _jobcentres_by_municipality(session).get(code) if code is not None else None
    if owner_id is None:
        return None
    vacancy.owner_id = owner_id
    change = {"fields": ["owner_id"], "owner_id": owner_id, "municipality_code": code}
    audit.record(session, Actor.system(), AuditAction.UPDATE, "vacancy", vacancy.id, details=change)
    return session.get(Organisation, owner_id)


@dataclass(frozen=True)
class Proposal:
    """One forwarding a run would make."""

    vacancy_id: int
    owner_id: int
    target_id: int
    rule: ForwardingRule
    reason: str
    max_holders: int | None = None  # automatic rules: organisations holding it at most

    def to_dict(self) -> dict[str, object]:
        return {
            "vacancy_id": self.vacancy_id,
            "from": self.owner_id,
            "to": self.target_id,
            "rule": self.rule.value,
            "reason": self.reason,
        }


def listed_by_organisation(
    session: Session, vacancy_id: int, min_score: float, today: date
) -> dict[int, int]:
    """Per organisation: listed people on the vacancy's stored list it is responsible for
    today with a score of at least ``min_score``."""
    rows = session.execute(
        select(ResponsibilityPeriod.organisation_id, func.count(func.distinct(Match.jobseeker_id)))
        .select_from(Match)
        .join(ResponsibilityPeriod, ResponsibilityPeriod.jobseeker_id == Match.jobseeker_id)
        .where(
            Match.vacancy_id == vacancy_id,
            Match.rank.is_not(None),
            Match.score >= min_score,
            ResponsibilityPeriod.valid_on(today),
        )
        .group_by(ResponsibilityPeriod.organisation_id)
    )
    return {org_id: count for org_id, count in rows}


def _histories(session: Session, vacancy_ids: Sequence[int]) -> dict[int, dict[int, list[F]]]:
    """vacancy → target → the states of every forwarding of the vacancy to that target."""
    found: dict[int, dict[int, list[F]]] = defaultdict(lambda: defaultdict(list))
    if vacancy_ids:
        rows = session.execute(
            select(Forwarding.vacancy_id, Forwarding.to_organisation_id, Forwarding.state)
            .where(Forwarding.vacancy_id.in_(vacancy_ids))
            .order_by(Forwarding.id)
        )
        for vacancy_id, target_id, state in rows:
            found[vacancy_id][target_id].append(state)
    return found


def _blocked(states: Sequence[F]) -> bool:
    """The target holds the vacancy now, or returned it once (then never again)."""
    return any(state in ACTIVE or state is F.RETURNED for state in states)


def _holders(history: Mapping[int, Sequence[F]]) -> int:
    return sum(any(state in ACTIVE for state in states) for states in history.values())


def _pool_reason(pool: int, policy: Policy) -> str:
    counted = {0: "Ingen egne kandidater", 1: "Kun 1 egen kandidat"}.get(
        pool, f"Kun {pool} egne kandidater"
    )
    return (
        f"{counted} med match på mindst {round(policy.min_score * 100)} af 100 "
        f"(grænsen er {policy.min_pool})."
    )


def fired_rule(
    *,
    policy: Policy,
    pool: int | None,
    published_at: datetime | None,
    referred: bool,
    now: datetime,
) -> tuple[ForwardingRule, str] | None:
    """The automatic rule that fires for a vacancy, with its Danish reason (None: neither).

    ``pool`` is None while the vacancy's list has not been computed. Pool-too-small is asked
    first, so two runs looking at the same vacancy choose the same rule (and key).
    """
    if not policy.enabled:
        return None
    if pool is not None and pool < policy.min_pool:
        return ForwardingRule.POOL_TOO_SMALL, _pool_reason(pool, policy)
    if published_at is not None and not referred:
        days = (now - aware(published_at)).days
        if days >= policy.no_referral_days:
            return ForwardingRule.NO_REFERRAL, (
                f"Ingen henvisninger {days} dage efter offentliggørelsen "
                f"(grænsen er {policy.no_referral_days} dage)."
            )
    return None


def choose_targets(
    *,
    owner_id: int,
    jobcentre_id: int | None,
    policy: Policy,
    a_kasser: Mapping[int, str],
    listed: Mapping[int, int],
    history: Mapping[int, Sequence[F]],
) -> list[int]:
    """The organisations to forward to now, best first (see the module docstring).

    ``jobcentre_id`` is the jobcentre of the vacancy's municipality, ``a_kasser`` the active
    a-kasser (id → name), ``listed`` each organisation's listed people above the owner's bar,
    ``history`` the states of earlier forwardings of the vacancy per target.
    """
    slots = policy.max_targets - _holders(history)
    if slots <= 0:
        return []
    preferred: list[int] = []
    if policy.to_jobcentre and jobcentre_id is not None:
        preferred.append(jobcentre_id)
    if policy.to_a_kasser:
        matching = [i for i in a_kasser if listed.get(i, 0) > 0]
        preferred += sorted(matching, key=lambda i: (-listed[i], a_kasser[i], i))
    chosen: list[int] = []
    for target in preferred:
        if target != owner_id and target not in chosen and not _blocked(history.get(target, ())):
            chosen.append(target)
    return chosen[:slots]


def jobcentre_for(
    employer_municipality: int | None, owner: Organisation, jobcentres: Mapping[int, int]
) -> int | None:
    """The jobcentre of the vacancy's municipality: the employer's, else the owner's."""
    for code in (employer_municipality, owner.municipality_code):
        if code is not None and code in jobcentres:
            return jobcentres[code]
    return None


def _service_organisations(session: Session) -> dict[int, Organisation]:
    return {
        o.id: o
        for o in session.scalars(
            select(Organisation).where(
                Organisation.kind.in_(SERVICE_KINDS), Organisation.active.is_(True)
            )
        )
    }


def propose(session: Session, now: datetime) -> list[Proposal]:
    """Every forwarding the owners' rules ask for now (reads only; :func:`evaluate` acts).

    Open vacancies whose application deadline has not passed, owned by an active a-kasse or
    jobcentre whose policy is enabled.
    """
    today = now.astimezone(DANISH_TZ).date()
    organisations = _service_organisations(session)
    jobcentres = _jobcentres_by_municipality(session)
    a_kasser = {o.id: o.name for o in organisations.values() if o.kind is OrgKind.A_KASSE}
    policies = {p.organisation_id: Policy.of(p) for p in session.scalars(select(ForwardingPolicy))}
    referred = exists().where(
        Referral.vacancy_id == Vacancy.id, Referral.state != ReferralState.PROPOSED
    )
    computed = exists().where(MatchRun.subject_kind == "vacancy", MatchRun.subject_id == Vacancy.id)
    rows = session.execute(
        select(Vacancy, referred.label("referred"), computed.label("computed"))
        .join(Organisation, Organisation.id == Vacancy.owner_id)
        .where(
            Vacancy.status == VacancyStatus.OPEN,
            or_(Vacancy.deadline.is_(None), Vacancy.deadline >= today),
            Organisation.kind.in_(SERVICE_KINDS),
            Organisation.active.is_(True),
        )
        .order_by(Vacancy.id)
        .options(selectinload(Vacancy.employer))
    ).all()
    histories = _histories(session, [v.id for v, _, _ in rows])
    proposals: list[Proposal] = []
    for vacancy, was_referred, was_computed in rows:
        owner = organisations[vacancy.owner_id]
        policy = policies.get(owner.id) or default_policy(owner.kind)
        if not policy.enabled:
            continue
        listed = (
            listed_by_organisation(session, vacancy.id, policy.min_score, today)
            if was_computed
            else {}
        )
        fired = fired_rule(
            policy=policy,
            pool=listed.get(owner.id, 0) if was_computed else None,
            published_at=vacancy.published_at,
            referred=bool(was_referred),
            now=now,
        )
        if fired is None:
            continue
        rule, reason = fired
        targets = choose_targets(
            owner_id=owner.id,
            jobcentre_id=jobcentre_for(vacancy.employer.municipality_code, owner, jobcentres),
            policy=policy,
            a_kasser=a_kasser,
            listed=listed,
            history=histories.get(vacancy.id, {}),
        )
        proposals += [
            Proposal(vacancy.id, owner.id, target, rule, reason, policy.max_targets)
            for target in targets
        ]
    return proposals


def idempotency_key(proposal: Proposal, withdrawn_before: int) -> str:
    """vacancy + target + rule; the count of withdrawn forwardings to the target makes a
    vacancy that was closed and reopened forwardable again."""
    return (
        f"forward:{proposal.vacancy_id}:{proposal.target_id}:{proposal.rule.value}:"
        f"{withdrawn_before}"
    )


def _lock_vacancy(session: Session, vacancy_id: int) -> Vacancy | None:
    """The vacancy, re-read and locked until the transaction ends (PostgreSQL; SQLite has one
    writer). ``NO KEY UPDATE`` still lets other transactions insert rows that refer to it."""
    return session.scalar(
        select(Vacancy)
        .where(Vacancy.id == vacancy_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def _make(
    session: Session, proposal: Proposal, actor: Actor, *, now: datetime, base_url: str
) -> Forwarding | None:
    """Create the forwarding with its event, audit entry and e-mails (flushed), or None when
    it is no longer wanted or a concurrent run made it first."""
    vacancy = _lock_vacancy(session, proposal.vacancy_id)
    if (
        vacancy is None
        or vacancy.status is not VacancyStatus.OPEN
        or vacancy.owner_id != proposal.owner_id
    ):
        return None
    history = _histories(session, [vacancy.id]).get(vacancy.id, {})
    states = history.get(proposal.target_id, [])
    if _blocked(states):
        return None
    if proposal.max_holders is not None and _holders(history) >= proposal.max_holders:
        return None
    key = idempotency_key(proposal, states.count(F.WITHDRAWN))
    forwarding = Forwarding(
        vacancy_id=vacancy.id,
        from_organisation_id=proposal.owner_id,
        to_organisation_id=proposal.target_id,
        rule=proposal.rule,
        state=F.OPEN,
        reason=proposal.reason,
        idempotency_key=key,
        created_by_id=actor.user_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(forwarding)
    except IntegrityError:
        if session.scalar(select(Forwarding.id).where(Forwarding.idempotency_key == key)) is None:
            raise  # another constraint: not ours to swallow
        return None  # the same forwarding exists: the unique key decided
    FORWARDINGS.start(session, forwarding, actor=actor, note=proposal.reason, at=now)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "forwarding",
        forwarding.id,
        details={
            "vacancy_id": vacancy.id,
            "from": proposal.owner_id,
            "to": proposal.target_id,
            "rule": proposal.rule.value,
        },
        note=proposal.reason,
    )
    _notify_forwarded(session, forwarding, vacancy, base_url)
    session.flush()
    return forwarding


@dataclass(frozen=True)
class EvaluationResult:
    proposed: int
    forwarded: list[int] = field(default_factory=list)  # new forwarding ids

    def to_dict(self) -> dict[str, object]:
        return {"proposed": self.proposed, "forwarded": self.forwarded}


def evaluate(session: Session, now: datetime, *, base_url: str = "") -> EvaluationResult:
    """The scheduler's run: make every forwarding the rules ask for, one transaction each.

    Commits (call it with nothing pending): a run that dies half-way leaves whole forwardings
    only, and the next run makes the rest. Idempotent, also when two runs overlap.
    """
    proposals = propose(session, now)
    system = Actor.system()
    made: list[int] = []
    for proposal in proposals:
        forwarding = _make(session, proposal, system, now=now, base_url=base_url)
        session.commit()
        if forwarding is not None:
            made.append(forwarding.id)
    return EvaluationResult(len(proposals), made)


def target_choices(session: Session, vacancy: Vacancy) -> list[Organisation]:
    """The organisations the owner may forward the vacancy to by hand: active a-kasser and
    jobcentres other than the owner that neither hold it now nor returned it before."""
    history = _histories(session, [vacancy.id]).get(vacancy.id, {})
    return [
        o
        for o in sorted(
            _service_organisations(session).values(), key=lambda o: (o.kind.value, o.name, o.id)
        )
        if o.id != vacancy.owner_id and not _blocked(history.get(o.id, ()))
    ]


def forward_manually(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    target_id: int | None,
    reason: str,
    *,
    now: datetime | None = None,
    base_url: str = "",
) -> Forwarding:
    """A counsellor or administrator of the owning organisation forwards an open vacancy.

    Raises :class:`OutOfScope` for an unknown vacancy, :class:`PermissionDenied` for anyone
    but the owner's counsellors and administrators, and :class:`ValidationError` (Danish)
    without a reason, for a closed vacancy, or for a target that is not an active a-kasse or
    jobcentre other than the owner, holds the vacancy already or returned it before.
    """
    permissions.require_role(actor, permissions.MANUAL_FORWARDERS, "forward vacancies")
    vacancy = session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise OutOfScope("vacancy", vacancy_id, exists=False)
    permissions.require_manual_forwarder(actor, vacancy)
    if vacancy.status is not VacancyStatus.OPEN:
        raise ValidationError({"": "Kun åbne stillinger kan videregives."})
    reason = check_reason(reason, required=True, missing="Skriv hvorfor stillingen videregives.")
    target = session.get(Organisation, target_id) if target_id is not None else None
    if (
        target is None
        or target.kind not in SERVICE_KINDS
        or not target.active
        or target.id == vacancy.owner_id
    ):
        raise ValidationError({"target": "Vælg en a-kasse eller et jobcenter fra listen."})
    states = _histories(session, [vacancy.id]).get(vacancy.id, {}).get(target.id, [])
    if F.RETURNED in states:
        raise ValidationError(
            {"target": f"{target.name} har sendt stillingen retur og kan ikke få den igen."}
        )
    proposal = Proposal(vacancy.id, vacancy.owner_id, target.id, ForwardingRule.MANUAL, reason)
    forwarding = _make(session, proposal, actor, now=now or utcnow(), base_url=base_url)
    if forwarding is None:
        raise ValidationError({"target": f"Stillingen er allerede videregivet til {target.name}."})
    return forwarding


def _notify_forwarded(
    session: Session, forwarding: Forwarding, vacancy: Vacancy, base_url: str
) -> None:
    owner = session.get(Organisation, forwarding.from_organisation_id)
    target = session.get(Organisation, forwarding.to_organisation_id)
    employer = session.get(Organisation, vacancy.employer_id)
    assert owner is not None and target is not None and employer is not None
    # A counsellor's own words may name people: the e-mail gives the rule, the inbox the rest.
    why = (
        "Begrundelsen står i indbakken."
        if forwarding.rule is ForwardingRule.MANUAL
        else f"Årsag: {forwarding.reason}"
    )
    if target.email:
        notifications.notify(
            session,
            kind="forwarding_received",
            recipient=target.email,
            subject=f"Videregivet stilling: {vacancy.title}",
            body=(
                "Hej\n\n"
                f"{owner.name} har videregivet stillingen »{vacancy.title}« hos {employer.name} "
                f"til {target.name}. {why}\n\n"
                "Se stillingen og jeres egne kandidater, og acceptér den eller send den retur:\n"
                f"{base_url}/videregivne\n\n"
                "Venlig hilsen\nJobbro"
            ),
            object_type="forwarding",
            object_id=forwarding.id,
            dedupe_key=f"forwarding:{forwarding.id}:receiver",
        )
    recipient = vacancy.contact_email or employer.email
    if recipient:
        notifications.notify(
            session,
            kind="forwarding_shared",
            recipient=recipient,
            subject=f"Din stilling er delt med {target.name}",
            body=(
                "Hej\n\n"
                f"Din stilling »{vacancy.title}« er delt med {target.name}, så flere ledige kan "
                f"blive henvist til den. {owner.name} har stadig ansvaret for stillingen.\n\n"
                "Du skal ikke gøre noget. Henvisninger ser du som altid i Jobbro.\n\n"
                "Venlig hilsen\nJobbro"
            ),
            object_type="forwarding",
            object_id=forwarding.id,
            dedupe_key=f"forwarding:{forwarding.id}:employer",
        )
