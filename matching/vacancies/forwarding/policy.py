"""Each organisation's forwarding rules (when to forward, to whom), edited by its
administrator; defaults apply when it has none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import audit, permissions
from matching.core.audit import Actor
from matching.core.errors import ValidationError
from matching.models import (
    AuditAction,
    ForwardingPolicy,
    Organisation,
    OrgKind,
)


@dataclass(frozen=True)
class Policy:
    """The forwarding rules in effect for one organisation (its row, or the defaults)."""

    enabled: bool = True
    min_pool: int = 5
    min_score: float = 0.5
    no_referral_days: int = 14
    to_jobcentre: bool = True
    to_a_kasser: bool = True
    max_targets: int = 3

    @classmethod
    def of(cls, row: ForwardingPolicy) -> Policy:
        return cls(**{column.name: getattr(row, column.name) for column in fields(cls)})


def default_policy(kind: OrgKind) -> Policy:
    """Rules for an organisation without a policy row. A jobcentre forwards to the a-kasser
    whose members match best; an a-kasse to the jobcentre only, because joint recruitment with
    other a-kasser is an agreement it has to make (and then configure)."""
    return Policy(to_a_kasser=kind is OrgKind.JOBCENTRE)


def _row(session: Session, organisation_id: int) -> ForwardingPolicy | None:
    return session.scalar(
        select(ForwardingPolicy).where(ForwardingPolicy.organisation_id == organisation_id)
    )


def policy_for(session: Session, organisation: Organisation) -> Policy:
    row = _row(session, organisation.id)
    return Policy.of(row) if row is not None else default_policy(organisation.kind)


POLICY_LIMITS = {  # field → (lowest, highest, Danish message); the table's check constraints
    "min_pool": (0, 1000, "Skriv et helt tal mellem 0 og 1.000."),
    "min_score_percent": (0, 100, "Skriv et helt tal mellem 0 og 100."),
    "no_referral_days": (1, 365, "Skriv et antal dage mellem 1 og 365."),
    "max_targets": (1, 20, "Skriv et helt tal mellem 1 og 20."),
}
NO_RECIPIENT_MESSAGE = "Vælg mindst én slags modtager, eller slå automatisk videregivelse fra."


@dataclass(frozen=True)
class PolicyInput:
    """Forwarding rules as typed by an administrator: the score bar in percent (0–100, as the
    candidate list shows scores); ``unreadable`` names numbers the caller could not read."""

    enabled: bool
    min_pool: int | None
    min_score_percent: int | None
    no_referral_days: int | None
    to_jobcentre: bool
    to_a_kasser: bool
    max_targets: int | None
    unreadable: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, policy: Policy) -> PolicyInput:
        return cls(
            enabled=policy.enabled,
            min_pool=policy.min_pool,
            min_score_percent=round(policy.min_score * 100),
            no_referral_days=policy.no_referral_days,
            to_jobcentre=policy.to_jobcentre,
            to_a_kasser=policy.to_a_kasser,
            max_targets=policy.max_targets,
        )


def check_policy(data: PolicyInput) -> Policy:
    """The rules as a :class:`Policy`; :class:`ValidationError` names every bad field."""
    errors: dict[str, str] = {}
    for name, (low, high, message) in POLICY_LIMITS.items():
        value = getattr(data, name)
        if value is None or not low <= value <= high:
            errors[name] = message
    if data.enabled and not (data.to_jobcentre or data.to_a_kasser):
        errors["to_jobcentre"] = NO_RECIPIENT_MESSAGE
    errors.update(data.unreadable)
    if errors:
        raise ValidationError(errors)
    assert data.min_score_percent is not None
    return Policy(
        enabled=data.enabled,
        min_pool=data.min_pool or 0,
        min_score=data.min_score_percent / 100,
        no_referral_days=data.no_referral_days or 0,
        to_jobcentre=data.to_jobcentre,
        to_a_kasser=data.to_a_kasser,
        max_targets=data.max_targets or 0,
    )


def save_policy(session: Session, actor: Actor, policy: Policy) -> ForwardingPolicy:
    """An administrator of an a-kasse or jobcentre sets its forwarding rules (checked with
    :func:`check_policy`; audited)."""
    organisation = permissions.require_forwarding_admin(session, actor)
    check_policy(PolicyInput.of(policy))
    row = _row(session, organisation.id)
    if row is None:
        row = ForwardingPolicy(organisation_id=organisation.id)
        session.add(row)
    values = asdict(policy)
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by_id = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "forwarding_policy",
        organisation.id,
        details={"fields": changed, **values},
    )
    return row
