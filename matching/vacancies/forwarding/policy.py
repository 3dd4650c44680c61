"""Each organisation's forwarding rules (when to forward, to whom), edited by its
administrator; defaults apply when it has none."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

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
        return cls(
            row.enabled,
            row.min_pool,
            row.min_score,
            row.no_referral_days,
            row.to_jobcentre,
            row.to_a_kasser,
            row.max_targets,
        )


def default_policy(kind: OrgKind) -> Policy:
    """Rules for an organisation without a policy row. A jobcentre forwards to the a-kasser
    whose members match best; an a-kasse to the jobcentre only, because joint recruitment with
    other a-kasser is an agreement it has to make (and then configure)."""
    return Policy(to_a_kasser=kind is OrgKind.JOBCENTRE)


def policy_for(session: Session, organisation: Organisation) -> Policy:
    row = session.scalar(
        select(ForwardingPolicy).where(ForwardingPolicy.organisation_id == organisation.id)
    )
    return Policy.of(row) if row is not None else default_policy(organisation.kind)


POLICY_LIMITS = {  # field → (lowest, highest, Danish message); the table's check constraints
    "min_pool": (0, 1000, "Skriv et helt tal mellem 0 og 1.000."),
    "min_score": (0, 100, "Skriv et helt tal mellem 0 og 100."),
    "no_referral_days": (1, 365, "Skriv et antal dage mellem 1 og 365."),
    "max_targets": (1, 20, "Skriv et helt tal mellem 1 og 20."),
}


CHECKBOXES = ("enabled", "to_jobcentre", "to_a_kasser")


def policy_form_values(policy: Policy) -> dict[str, str]:
    """The policy as the form shows it (the score bar as 0–100, like the candidate list)."""
    return {
        "min_pool": str(policy.min_pool),
        "min_score": str(round(policy.min_score * 100)),
        "no_referral_days": str(policy.no_referral_days),
        "max_targets": str(policy.max_targets),
        **{name: "ja" for name in CHECKBOXES if getattr(policy, name)},
    }


def read_policy_form(form: Mapping[str, str]) -> Policy:
    """The form's strings as a policy; :class:`ValidationError` names every bad field."""
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name, (low, high, message) in POLICY_LIMITS.items():
        text = (form.get(name) or "").strip()
        if not re.fullmatch(r"\d{1,4}", text) or not low <= int(text) <= high:
            errors[name] = message
        else:
            numbers[name] = int(text)
    checked = {name: bool(form.get(name)) for name in CHECKBOXES}
    if checked["enabled"] and not (checked["to_jobcentre"] or checked["to_a_kasser"]):
        errors["to_jobcentre"] = (
            "Vælg mindst én slags modtager, eller slå automatisk videregivelse fra."
        )
    if errors:
        raise ValidationError(errors)
    return Policy(
        enabled=checked["enabled"],
        min_pool=numbers["min_pool"],
        min_score=numbers["min_score"] / 100,
        no_referral_days=numbers["no_referral_days"],
        to_jobcentre=checked["to_jobcentre"],
        to_a_kasser=checked["to_a_kasser"],
        max_targets=numbers["max_targets"],
    )


def save_policy(session: Session, actor: Actor, policy: Policy) -> ForwardingPolicy:
    """An administrator of an a-kasse or jobcentre sets its forwarding rules (audited)."""
    organisation = permissions.require_forwarding_admin(session, actor)
    row = session.scalar(
        select(ForwardingPolicy).where(ForwardingPolicy.organisation_id == organisation.id)
    )
    if row is None:
        row = ForwardingPolicy(organisation_id=organisation.id)
        session.add(row)
    values = {
        "enabled": policy.enabled,
        "min_pool": policy.min_pool,
        "min_score": policy.min_score,
        "no_referral_days": policy.no_referral_days,
        "to_jobcentre": policy.to_jobcentre,
        "to_a_kasser": policy.to_a_kasser,
        "max_targets": policy.max_targets,
    }
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
