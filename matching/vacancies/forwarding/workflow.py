"""A forwarding's states as a transition table, and its withdrawal when the vacancy closes::

    open → accepted → returned | withdrawn
    open → returned | withdrawn

The receiving organisation accepts or returns (with a reason); the vacancy's lifecycle
withdraws every open or accepted forwarding when the vacancy is closed or filled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import InvalidTransition, PermissionDenied
from matching.core.workflow import Transition, Workflow
from matching.models import Forwarding, ForwardingState
from matching.models.enums import AuditAction, ForwardingRule
from matching.models.vacancies import Vacancy

F = ForwardingState


ACTIVE = (F.OPEN, F.ACCEPTED)  # the target holds the vacancy


STATE_LABELS_DA = {
    F.OPEN: "Afventer svar",
    F.ACCEPTED: "Accepteret",
    F.RETURNED: "Sendt retur",
    F.WITHDRAWN: "Trukket tilbage",
}


RULE_LABELS_DA = {
    ForwardingRule.MANUAL: "Videregivet af en rådgiver",
    ForwardingRule.POOL_TOO_SMALL: "For få egne kandidater",
    ForwardingRule.NO_REFERRAL: "Ingen henvisninger",
}


RECEIVER = "receiver"  # a counsellor of the receiving organisation


LIFECYCLE = "lifecycle"  # the vacancy was closed or filled


FORWARDINGS: Workflow[ForwardingState] = Workflow(
    "forwarding",
    "videregivelse",
    Forwarding,
    "state",
    "forwarding_id",
    [
        Transition(F.OPEN, "accept", F.ACCEPTED, frozenset({RECEIVER})),
        Transition(F.OPEN, "return", F.RETURNED, frozenset({RECEIVER}), reason_required=True),
        Transition(F.ACCEPTED, "return", F.RETURNED, frozenset({RECEIVER}), reason_required=True),
        Transition(F.OPEN, "withdraw", F.WITHDRAWN, frozenset({LIFECYCLE}), reason_required=True),
        Transition(
            F.ACCEPTED, "withdraw", F.WITHDRAWN, frozenset({LIFECYCLE}), reason_required=True
        ),
    ],
)


def allowed_events(forwarding: Forwarding) -> list[str]:
    """What the receiving organisation may do with the forwarding now."""
    return FORWARDINGS.events(forwarding, RECEIVER)


def apply(
    session: Session,
    forwarding: Forwarding,
    event: str,
    actor: Actor,
    by: str,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    previous = forwarding.state
    try:
        logged = FORWARDINGS.fire(
            session, forwarding, event, party=by, actor=actor, reason=reason, at=now
        )
    except PermissionDenied:
        # The receiver cannot withdraw nor the lifecycle accept: not an event of theirs here.
        raise InvalidTransition("videregivelse", previous.value, event) from None
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "forwarding",
        forwarding.id,
        details={
            "event": event,
            "from": previous.value,
            "to": forwarding.state.value,
            "vacancy_id": forwarding.vacancy_id,
        },
        note=logged.note,
    )
    session.flush()


def withdraw_for_vacancy(
    session: Session,
    vacancy: Vacancy,
    reason: str,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> list[Forwarding]:
    """Withdraw every open or accepted forwarding of a vacancy that was closed or filled.

    Called by the vacancy's lifecycle after the status changed: the flush below writes the
    status first, which locks the vacancy row, so a forwarding being made at the same moment
    either finishes first (and is withdrawn here) or sees the vacancy closed.
    """
    session.flush()
    rows = session.scalars(
        select(Forwarding)
        .where(Forwarding.vacancy_id == vacancy.id, Forwarding.state.in_(ACTIVE))
        .order_by(Forwarding.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for forwarding in rows:
        apply(
            session, forwarding, "withdraw", actor or Actor.system(), LIFECYCLE, reason=reason,
            now=now,
        )  # fmt: skip
    return list(rows)
