"""Apply the routing rules: hand a jobseeker over when the responsible organisation changes.

:func:`apply_routing` compares, for each active person, the organisation the rules in
:mod:`matching.rules.routing` name for a day with the person's current responsibility period. When
they differ the current period is closed on that day, a new one opens with the rule's reason,
and a :class:`~matching.models.Handover` records it. The person's open referrals move to the
new organisation (same state, a history event saying so); the handover note lists them and the
old organisation's reviews, so nothing is dropped. Matches belong to the person and stay.

The Handover's unique ``idempotency_key`` (person + day + receiving organisation) is inserted
first, in a savepoint: a second run, or a run in another process at the same time, loses the
insert and changes nothing else. Services flush; callers commit (:func:`run_routing` commits
per batch so a concurrent run waits for seconds, not for the whole night).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from matching.core import audit, notifications, workflow
from matching.core.audit import Actor
from matching.core.dates import format_date
from matching.core.db import session_scope
from matching.models import (
    OPEN_REFERRAL_STATES,
    AuditAction,
    Handover,
    Jobseeker,
    Match,
    MatchReview,
    Organisation,
    Referral,
    ResponsibilityPeriod,
    Vacancy,
    utcnow,
)
from matching.people.responsibility import Router
from matching.rules.routing import RULES_VERSION, Decision

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # people per transaction in run_routing
NOTE_ITEMS = 50  # referrals / reviews listed by name in a handover note; the rest are counted
REASON_CHARS = 200  # ResponsibilityPeriod.reason
PURPOSE = "ansvarsoverdragelse"

REVIEW_LABELS_DA = {
    "accept": "Godkendt",
    "reject": "Fravalgt",
    "override": "Foreslået uden for listen",
}


@dataclass
class RoutingReport:
    """What a routing run did (or, with ``dry_run``, would do).

    ``handed_over``: moved from one organisation to another; ``assigned``: had no responsible
    organisation and got one; ``done_elsewhere``: a concurrent run handed over first;
    ``unresolved``: Danish reason → number of people left as they were.
    """

    day: date
    dry_run: bool = False
    checked: int = 0
    handed_over: int = 0
    assigned: int = 0
    unchanged: int = 0
    done_elsewhere: int = 0
    unresolved: Counter[str] = field(default_factory=Counter)
    handover_ids: list[int] = field(default_factory=list)

    def merge(self, other: RoutingReport) -> None:
        self.checked += other.checked
        self.handed_over += other.handed_over
        self.assigned += other.assigned
        self.unchanged += other.unchanged
        self.done_elsewhere += other.done_elsewhere
        self.unresolved.update(other.unresolved)
        self.handover_ids += other.handover_ids

    def to_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "dry_run": self.dry_run,
            "rules_version": RULES_VERSION,
            "checked": self.checked,
            "handed_over": self.handed_over,
            "assigned": self.assigned,
            "unchanged": self.unchanged,
            "done_elsewhere": self.done_elsewhere,
            "unresolved": sum(self.unresolved.values()),
            "unresolved_reasons": dict(self.unresolved.most_common()),
        }


def active_jobseeker_ids(session: Session) -> list[int]:
    """Ids of every active jobseeker, ascending (the order every run takes them in)."""
    return list(
        session.scalars(
            select(Jobseeker.id).where(Jobseeker.active.is_(True)).order_by(Jobseeker.id)
        )
    )


def apply_routing(
    session: Session,
    day: date,
    *,
    jobseeker_ids: Sequence[int] | None = None,
    base_url: str = "",
    dry_run: bool = False,
) -> RoutingReport:
    """Bring the responsibility of every active jobseeker (or of ``jobseeker_ids``) in line
    with the routing rules on ``day``. Flushes; the caller commits.

    People are taken in id order, so two concurrent runs meet on the same person first and the
    later one waits for the earlier one's commit instead of deadlocking. A period that began
    on ``day`` itself is left alone (it cannot be closed on the day it opened) and reported.
    With ``dry_run`` nothing is written.
    """
    report = RoutingReport(day=day, dry_run=dry_run)
    router = Router(session, day)
    query = (
        select(Jobseeker)
        .where(Jobseeker.active.is_(True))
        .order_by(Jobseeker.id)
        .options(
            selectinload(Jobseeker.target_groups),
            selectinload(Jobseeker.responsibilities).selectinload(
                ResponsibilityPeriod.organisation
            ),
        )
    )
    if jobseeker_ids is not None:
        query = query.where(Jobseeker.id.in_(list(jobseeker_ids)))
    for person in session.scalars(query).all():
        report.checked += 1
        resolution = router.resolve(person)
        target = resolution.organisation
        if target is None:
            report.unresolved[resolution.problem_da or resolution.decision.reason_da] += 1
            continue
        current = person.responsible_on(day)
        if current is not None and current.organisation_id == target.id:
            report.unchanged += 1
            continue
        if current is not None and current.valid_from >= day:
            report.unresolved["Ansvaret er ændret i dag; vurderes igen ved næste kørsel"] += 1
            continue
        if dry_run:
            report.handed_over += current is not None
            report.assigned += current is None
            continue
        handover = _hand_over(session, person, current, target, resolution.decision, day, base_url)
        if handover is None:
            report.done_elsewhere += 1
            continue
        report.handed_over += current is not None
        report.assigned += current is None
        report.handover_ids.append(handover.id)
    session.flush()
    return report


def run_routing(
    session_factory: sessionmaker[Session],
    day: date,
    *,
    base_url: str = "",
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> RoutingReport:
    """Apply the routing rules to every active jobseeker, one committed transaction per batch
    (a dry run commits nothing). Used by the nightly job and `jobbro routing apply`."""
    with session_scope(session_factory) as session:
        ids = active_jobseeker_ids(session)
    report = RoutingReport(day=day, dry_run=dry_run)
    for start in range(0, len(ids), batch_size):
        with session_scope(session_factory) as session:
            report.merge(
                apply_routing(
                    session,
                    day,
                    jobseeker_ids=ids[start : start + batch_size],
                    base_url=base_url,
                    dry_run=dry_run,
                )
            )
            if dry_run:
                session.rollback()  # nothing of a dry run is kept
    return report


def _hand_over(
    session: Session,
    person: Jobseeker,
    current: ResponsibilityPeriod | None,
    target: Organisation,
    decision: Decision,
    day: date,
    base_url: str,
) -> Handover | None:
    """Hand ``person`` over to ``target``; None if the handover exists already.

    One savepoint holds all of the person's changes, so they land together or not at all
    (also on SQLite without explicit BEGIN, where a savepoint is its own transaction). Inside
    it the Handover is inserted first, in a savepoint of its own: its unique key decides a race
    before anything else changes, and any other integrity error is not mistaken for one.
    """
    source = current.organisation if current is not None else None
    handover = Handover(
        jobseeker_id=person.id,
        from_organisation_id=source.id if source is not None else None,
        to_organisation_id=target.id,
        effective_date=day,
        rule_id=decision.rule_id,
        note="",
        open_referrals=0,
        idempotency_key=f"handover:{person.id}:{day.isoformat()}:{target.id}",
    )
    with session.begin_nested():
        try:
            with session.begin_nested():
                session.add(handover)
        except IntegrityError:
            return None  # another run (or an earlier one today) did it
        _move_person(session, person, current, source, target, decision, handover, base_url)
    return handover


def _move_person(
    session: Session,
    person: Jobseeker,
    current: ResponsibilityPeriod | None,
    source: Organisation | None,
    target: Organisation,
    decision: Decision,
    handover: Handover,
    base_url: str,
) -> None:
    """Close the current period, open the new one, move the open referrals, write the note,
    the audit entry and the receiver's e-mail."""
    day = handover.effective_date
    later = [p.valid_from for p in person.responsibilities if p.valid_from > day]
    if current is not None:
        current.valid_to = day
    person.responsibilities.append(
        ResponsibilityPeriod(
            organisation=target,
            valid_from=day,
            # A period already planned after today keeps its place.
            valid_to=min(later) if later else None,
            reason=decision.reason_da[:REASON_CHARS],
        )
    )
    moved = _move_open_referrals(session, person, target, decision)
    reviews = _reviews_by(session, person, source) if source is not None else []
    matches = (
        session.scalar(
            select(func.count())
            .select_from(Match)
            .where(Match.jobseeker_id == person.id, Match.person_rank.is_not(None))
        )
        or 0
    )
    handover.note = _note(source, target, decision, day, moved, reviews, matches)
    handover.open_referrals = len(moved)
    audit.record(
        session,
        Actor.system(),
        AuditAction.UPDATE,
        "jobseeker",
        person.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={
            "handover_id": handover.id,
            "from_organisation_id": handover.from_organisation_id,
            "to_organisation_id": target.id,
            "rule_id": decision.rule_id,
            "ground": decision.ground,
            "rules_version": RULES_VERSION,
            "referral_ids": [r.id for r in moved],
        },
    )
    if target.email:
        _notify_receiver(session, person, target, handover, base_url)
    session.flush()


def _move_open_referrals(
    session: Session, person: Jobseeker, target: Organisation, decision: Decision
) -> list[Referral]:
    """Give the person's undecided referrals to ``target``, keeping their state; decided ones
    stay with the organisation that made them (their history is theirs)."""
    referrals = session.scalars(
        select(Referral)
        .where(
            Referral.jobseeker_id == person.id,
            Referral.state.in_(OPEN_REFERRAL_STATES),
            Referral.organisation_id != target.id,
        )
        .order_by(Referral.id)
        .options(selectinload(Referral.vacancy).selectinload(Vacancy.employer))
    ).all()
    now = utcnow()
    for referral in referrals:
        referral.organisation_id = target.id
        workflow.note(
            session,
            referral,
            f"Overdraget til {target.name} ({decision.rule_id})",
            workflow="referral",
            attribute="state",
            actor=Actor.system(),
            event="hand_over",
            at=now,
        )
    return list(referrals)


@dataclass(frozen=True)
class _Review:
    decision: str
    vacancy_title: str
    at: date
    reason: str


def _reviews_by(session: Session, person: Jobseeker, source: Organisation) -> list[_Review]:
    """The handing-over organisation's decisions on the person's match proposals."""
    rows = session.execute(
        select(MatchReview.decision, Vacancy.title, MatchReview.created_at, MatchReview.reason)
        .join(Vacancy, Vacancy.id == MatchReview.vacancy_id)
        .where(MatchReview.jobseeker_id == person.id, MatchReview.organisation_id == source.id)
        .order_by(MatchReview.id)
    ).all()
    return [_Review(d, title, at.date(), reason) for d, title, at, reason in rows]


def _note(
    source: Organisation | None,
    target: Organisation,
    decision: Decision,
    day: date,
    moved: Sequence[Referral],
    reviews: Sequence[_Review],
    matches: int,
) -> str:
    """The handover note: why, what moved and what the previous organisation decided."""
    if source is not None:
        lines = [f"Overdraget fra {source.name} til {target.name} den {format_date(day)}."]
    else:
        lines = [f"{target.name} har ansvaret fra {format_date(day)}."]
    lines.append(f"Begrundelse: {decision.reason_da} [{decision.rule_id}].")
    if moved:
        lines.append(f"Åbne henvisninger flyttet med ({len(moved)}):")
        for referral in moved[:NOTE_ITEMS]:
            due = f", svar senest {format_date(referral.respond_by)}" if referral.respond_by else ""
            lines.append(
                f"- {referral.vacancy.title} hos {referral.vacancy.employer.name}: "
                f"{referral.state.label_da}{due}"
            )
        if len(moved) > NOTE_ITEMS:
            lines.append(f"- … og {len(moved) - NOTE_ITEMS} flere")
    else:
        lines.append("Ingen åbne henvisninger.")
    if reviews and source is not None:
        lines.append(f"Vurderinger fra {source.name} ({len(reviews)}):")
        for review in reviews[:NOTE_ITEMS]:
            label = REVIEW_LABELS_DA.get(review.decision, review.decision)
            reason = f" – {review.reason[:200]}" if review.reason else ""
            lines.append(f"- {label}: {review.vacancy_title} ({format_date(review.at)}){reason}")
        if len(reviews) > NOTE_ITEMS:
            lines.append(f"- … og {len(reviews) - NOTE_ITEMS} flere")
    lines.append(f"Matchforslagene følger personen ({matches} på personens liste).")
    return "\n".join(lines)


def _notify_receiver(
    session: Session, person: Jobseeker, target: Organisation, handover: Handover, base_url: str
) -> None:
    """Tell the receiving organisation. Pseudonym and a link only: no name, no CPR, and not
    the previous organisation (an a-kasse may reveal union membership)."""
    referrals = (
        f"{handover.open_referrals} åbne henvisninger er flyttet med."
        if handover.open_referrals != 1
        else "1 åben henvisning er flyttet med."
    )
    notifications.notify(
        session,
        kind="jobseeker_handover",
        recipient=target.email or "",
        subject=f"Ny ledig overdraget til jer: {person.pseudonym}",
        body=(
            "Hej\n\n"
            f"{target.name} har fra den {format_date(handover.effective_date)} ansvaret for den "
            f"ledige med pseudonym {person.pseudonym}. {referrals}\n\n"
            "Se personen og overdragelsesnoten her:\n"
            f"{base_url}/ledige/{person.id}\n\n"
            "Venlig hilsen\nJobbro"
        ),
        object_type="handover",
        object_id=handover.id,
        dedupe_key=handover.idempotency_key,
    )
