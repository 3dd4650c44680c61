"""The receiving side of forwarding: the inbox, accepting and returning, the timeline on the
vacancy page, withdrawal when the vacancy closes, and the results counts."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from matching.core import notifications, permissions
from matching.core.audit import Actor
from matching.core.dates import aware, today_dk
from matching.core.errors import OutOfScope
from matching.models import (
    AuditAction,
    AuditEntry,
    Forwarding,
    Match,
    Organisation,
    Vacancy,
    VacancyStatus,
)
from matching.people.queries import responsible_on
from matching.vacancies.forwarding.workflow import RECEIVER, F, apply

HANDLED_IN_INBOX = 50  # answered forwardings shown under the waiting ones


def get_forwarding_for_receiver(session: Session, actor: Actor, forwarding_id: int) -> Forwarding:
    """A forwarding addressed to the counsellor's organisation, locked for the answer.

    Raises :class:`PermissionDenied` for other roles and :class:`OutOfScope` (404, audited by
    the portal) for a forwarding addressed to anyone else, whether or not it exists.
    """
    permissions.require_role(actor, permissions.COUNSELLORS, "answer forwardings")
    forwarding = session.scalar(
        select(Forwarding)
        .where(
            Forwarding.id == forwarding_id,
            Forwarding.to_organisation_id == actor.organisation_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if forwarding is None:
        found = session.get(Forwarding, forwarding_id) is not None
        raise OutOfScope("forwarding", forwarding_id, exists=found)
    return forwarding


def accept(
    session: Session, actor: Actor, forwarding_id: int, *, now: datetime | None = None
) -> Forwarding:
    """The receiving organisation takes the vacancy on; its counsellors then refer as usual."""
    forwarding = get_forwarding_for_receiver(session, actor, forwarding_id)
    apply(session, forwarding, "accept", actor, RECEIVER, now=now)
    return forwarding


def return_(
    session: Session,
    actor: Actor,
    forwarding_id: int,
    reason: str,
    *,
    now: datetime | None = None,
    base_url: str = "",
) -> Forwarding:
    """The receiving organisation gives the vacancy back, with a reason. The owner is told by
    e-mail and will not forward it to this organisation again."""
    forwarding = get_forwarding_for_receiver(session, actor, forwarding_id)
    apply(session, forwarding, "return", actor, RECEIVER, reason=reason, now=now)
    _notify_returned(session, forwarding, base_url)
    return forwarding


def _notify_returned(session: Session, forwarding: Forwarding, base_url: str) -> None:
    owner = session.get(Organisation, forwarding.from_organisation_id)
    target = session.get(Organisation, forwarding.to_organisation_id)
    vacancy = session.get(Vacancy, forwarding.vacancy_id)
    if owner is None or not owner.email or target is None or vacancy is None:
        return
    notifications.notify(
        session,
        kind="forwarding_returned",
        recipient=owner.email,
        subject=f"Stilling sendt retur: {vacancy.title}",
        body=(
            "Hej\n\n"
            f"{target.name} har sendt stillingen »{vacancy.title}« retur. Se begrundelsen og "
            f"videregiv den eventuelt til en anden her:\n{base_url}/stillinger/{vacancy.id}\n\n"
            "Venlig hilsen\nJobbro"
        ),
        object_type="forwarding",
        object_id=forwarding.id,
        dedupe_key=f"forwarding:{forwarding.id}:returned",
    )


@dataclass(frozen=True)
class InboxItem:
    forwarding: Forwarding
    own_candidates: int  # listed people the receiving organisation is responsible for today


@dataclass(frozen=True)
class Inbox:
    waiting: list[InboxItem]  # open, oldest first
    handled: list[InboxItem]  # accepted, returned or withdrawn, newest first


def _own_candidates(
    session: Session, organisation_id: int, vacancy_ids: Sequence[int], today: date
) -> dict[int, int]:
    if not vacancy_ids:
        return {}
    rows = session.execute(
        select(Match.vacancy_id, func.count())
        .where(
            Match.vacancy_id.in_(vacancy_ids),
            Match.rank.is_not(None),
            responsible_on(organisation_id, today, Match.jobseeker_id),
        )
        .group_by(Match.vacancy_id)
    )
    return {vacancy_id: count for vacancy_id, count in rows}


def inbox(session: Session, actor: Actor, *, today: date | None = None) -> Inbox:
    """Forwardings addressed to the counsellor's organisation: the ones waiting for an answer
    first, then the latest answered ones, each with how many of the organisation's own people
    are on the vacancy's list."""
    permissions.require_role(actor, permissions.COUNSELLORS, "open a forwarding inbox")
    today = today or today_dk()
    query = (
        select(Forwarding)
        .where(Forwarding.to_organisation_id == actor.organisation_id)
        .options(
            selectinload(Forwarding.vacancy).selectinload(Vacancy.employer),
            selectinload(Forwarding.from_organisation),
            selectinload(Forwarding.events),
        )
    )
    waiting = session.scalars(query.where(Forwarding.state == F.OPEN).order_by(Forwarding.id)).all()
    handled = session.scalars(
        query.where(Forwarding.state != F.OPEN)
        .order_by(Forwarding.updated_at.desc(), Forwarding.id.desc())
        .limit(HANDLED_IN_INBOX)
    ).all()
    counts = _own_candidates(
        session, actor.organisation_id, sorted({f.vacancy_id for f in [*waiting, *handled]}), today
    )
    return Inbox(
        [InboxItem(f, counts.get(f.vacancy_id, 0)) for f in waiting],
        [InboxItem(f, counts.get(f.vacancy_id, 0)) for f in handled],
    )


def forwardings_for_vacancy(session: Session, actor: Actor, vacancy: Vacancy) -> list[Forwarding]:
    """The vacancy's forwardings the actor's organisation may follow: all of them for the
    owner, the ones addressed to it for a receiver, none for anyone else."""
    if actor.organisation_id is None:
        return []
    query = (
        select(Forwarding)
        .where(Forwarding.vacancy_id == vacancy.id)
        .order_by(Forwarding.id)
        .options(selectinload(Forwarding.events), selectinload(Forwarding.to_organisation))
    )
    if vacancy.owner_id != actor.organisation_id:
        query = query.where(Forwarding.to_organisation_id == actor.organisation_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class ForwardingStats:
    """An organisation's forwarding since a date, for the results dashboard."""

    forwarded: int  # forwardings it made
    accepted: int  # of those, accepted by the receiver
    returned: int  # of those, returned
    filled: int  # vacancies it forwarded that were filled since
    median_days_to_fill: float | None  # publication to filling, for those
    received: int  # forwardings it received
    waiting: int  # forwardings to it waiting for an answer now


def _filled_at(session: Session, vacancy_ids: Sequence[int]) -> dict[int, datetime]:
    """When each vacancy was marked filled: the audit log is where that moment is recorded."""
    found: dict[int, datetime] = {}
    if not vacancy_ids:
        return found
    rows = session.execute(
        select(AuditEntry.object_id, AuditEntry.at, AuditEntry.details)
        .where(
            AuditEntry.object_type == "vacancy",
            AuditEntry.action == AuditAction.UPDATE,
            AuditEntry.object_id.in_([str(i) for i in vacancy_ids]),
        )
        .order_by(AuditEntry.id)
    )
    for object_id, at, details in rows:
        if (details or {}).get("event") == "fill":
            found[int(object_id)] = aware(at)
    return found


def stats(session: Session, organisation_id: int, since: datetime) -> ForwardingStats:
    """Forwarded, accepted, returned, filled after forwarding and the median days to fill."""
    made = session.scalars(
        select(Forwarding)
        .where(Forwarding.from_organisation_id == organisation_id, Forwarding.created_at >= since)
        .options(selectinload(Forwarding.events), selectinload(Forwarding.vacancy))
    ).all()
    accepted = sum(any(e.to_state == F.ACCEPTED.value for e in f.events) for f in made)
    returned = sum(f.state is F.RETURNED for f in made)
    filled = {f.vacancy_id: f.vacancy for f in made if f.vacancy.status is VacancyStatus.FILLED}
    when = _filled_at(session, sorted(filled))
    days = [
        (when.get(v.id, aware(v.updated_at)) - aware(v.published_at)).total_seconds() / 86400
        for v in filled.values()
        if v.published_at is not None
    ]
    received = session.scalar(
        select(func.count()).where(
            Forwarding.to_organisation_id == organisation_id, Forwarding.created_at >= since
        )
    )
    waiting = (
        session.scalar(
            select(func.count()).where(
                Forwarding.to_organisation_id == organisation_id, Forwarding.state == F.OPEN
            )
        )
        or 0
    )
    return ForwardingStats(
        forwarded=len(made),
        accepted=accepted,
        returned=returned,
        filled=len(filled),
        median_days_to_fill=round(statistics.median(days), 1) if days else None,
        received=received or 0,
        waiting=waiting,
    )
