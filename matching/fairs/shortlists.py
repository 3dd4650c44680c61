"""Job-fair shortlists: which people to invite for each vacancy at a fair.

A shortlist is built from the vacancy's stored, ranked candidate list (``Match.rank``), limited to
the fair's scope: people living in one of the fair's municipalities
(``Jobseeker.municipality_code`` in ``JobFair.municipality_codes``) who belong to one of the
fair's target groups *on the day of the fair* (a :class:`TargetGroupPeriod` covering
``JobFair.held_on``). An empty ``municipality_codes`` or ``target_groups`` means the fair is not
limited on that dimension.

Filtering by scope can drop the brancheskift candidates the matcher promoted, so the share is
applied again: when the filtered list has cross-industry candidates, at least a fifth of the
match-built part of the shortlist are cross-industry (the lowest-ranked others make room).

People decide, the matcher proposes: manual additions and removals survive a rebuild (a removed
row is kept with ``removed=True`` and is never re-added), and a locked list
(``JobFairVacancy.shortlist_locked``) is never rebuilt or edited until it is unlocked.

Only users of the fair's organiser organisation (role organiser or admin) may do any of this:
other roles get :class:`PermissionDenied`; another organisation's fair, an unknown fair, or a
vacancy not attached to the fair raise :class:`OutOfScope` (shown as "not found"). Every
change writes an audit entry. Functions flush, never commit.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from matching.core.audit import Actor, record
from matching.core.errors import OutOfScope, ValidationError
from matching.fairs.participants import _fair_vacancy, attached_fair_vacancy
from matching.fairs.planning import organiser_fair
from matching.models import (
    AuditAction,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    ShortlistEntry,
    TargetGroup,
    TargetGroupPeriod,
)
from matching.vacancies.queries import is_matchable


def mark_invited(
    session: Session,
    actor: Actor,
    fair_id: int,
    vacancy_id: int,
    jobseeker_id: int,
    invited: bool,
) -> ShortlistEntry:
    """Record that a person on the shortlist has (not) been invited: the invitation export
    takes the marked people. Organisers only; allowed on a locked list. Audited."""
    fair = organiser_fair(session, actor, fair_id)
    fair_vacancy = _fair_vacancy(session, fair.id, vacancy_id)
    if fair_vacancy is None:
        raise OutOfScope("job_fair_vacancy", vacancy_id, exists=False)
    entry = _listed_entry(session, fair_vacancy.id, jobseeker_id)
    if entry.invited == invited:
        return entry
    entry.invited = invited
    session.flush()
    details = {"job_fair_id": fair.id, "vacancy_id": vacancy_id, "invited": [not invited, invited]}
    _record(session, actor, AuditAction.UPDATE, entry, details)
    session.flush()
    return entry


DEFAULT_SIZE = 20


MAX_SIZE = 200


CROSS_INDUSTRY_SHARE = 5  # at least 1 in 5 of the match-built part, when there are any


INVITATION_CODE_BYTES = 9  # token_urlsafe(9): 12 characters, fits String(16)


INVITATION_CODE_ATTEMPTS = 10


MAX_REASON_CHARS = 500


SOURCE_MATCH = "match"


SOURCE_MANUAL = "manual"


OBJECT_TYPE = "shortlist_entry"


@dataclass(frozen=True)
class _Context:
    fair: JobFair
    fair_vacancy: JobFairVacancy


def _context(session: Session, actor: Actor, fair_id: int, vacancy_id: int) -> _Context:
    fair = organiser_fair(session, actor, fair_id)
    return _Context(fair, attached_fair_vacancy(session, fair.id, vacancy_id))


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    entry: ShortlistEntry,
    details: dict,
    note: str = "",
) -> None:
    """Audit a change of one entry, under the person's id."""
    record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        entry.id,
        jobseeker_id=entry.jobseeker_id,
        details=details,
        note=note,
    )


def _listed_entry(session: Session, fair_vacancy_id: int, jobseeker_id: int) -> ShortlistEntry:
    """The person's entry on the list (removed ones left out); ValidationError if none."""
    entry = session.scalar(
        select(ShortlistEntry).where(
            ShortlistEntry.job_fair_vacancy_id == fair_vacancy_id,
            ShortlistEntry.jobseeker_id == jobseeker_id,
            ShortlistEntry.removed.is_(False),
        )
    )
    if entry is None:
        raise ValidationError({"jobseeker_id": "Personen er ikke på listen."})
    return entry


def _require_unlocked(fair_vacancy: JobFairVacancy) -> None:
    if fair_vacancy.shortlist_locked:
        raise ValidationError({"shortlist": "Listen er låst. Lås den op for at ændre den."})


def _target_groups(fair: JobFair) -> list[TargetGroup]:
    """The fair's target groups as enums (an unknown stored name matches nobody)."""
    known = {g.value for g in TargetGroup}
    return [TargetGroup(g) for g in fair.target_groups if g in known]


def _in_fair_scope(fair: JobFair) -> list[ColumnElement[bool]]:
    """Conditions on Jobseeker: active, in the fair's municipalities and target groups on the
    fair's day (an empty list on the fair means no limit on that dimension)."""
    conditions: list[ColumnElement[bool]] = [Jobseeker.active.is_(True)]
    if fair.municipality_codes:
        conditions.append(Jobseeker.municipality_code.in_(list(fair.municipality_codes)))
    if fair.target_groups:
        day: date = fair.held_on
        conditions.append(
            exists().where(
                TargetGroupPeriod.jobseeker_id == Jobseeker.id,
                TargetGroupPeriod.target_group.in_(_target_groups(fair)),
                TargetGroupPeriod.valid_on(day),
            )
        )
    return conditions


def ranked_in_scope(session: Session, fair: JobFair, vacancy_id: int) -> list[Match]:
    """The vacancy's stored candidate list, in rank order, limited to the fair's scope (also
    the "more candidates" list of :mod:`matching.fairs.overviews`; the caller has checked the
    actor)."""
    return list(
        session.scalars(
            select(Match)
            .join(Jobseeker, Jobseeker.id == Match.jobseeker_id)
            .where(Match.vacancy_id == vacancy_id, Match.rank.is_not(None), *_in_fair_scope(fair))
            .order_by(Match.rank, Match.id)
        )
    )


def _select_with_share(candidates: Sequence[Match], size: int) -> list[Match]:
    """The top ``size`` candidates, with at least a fifth cross-industry when there are any.

    Missing cross-industry candidates are taken from further down the list, in rank order, and
    replace the lowest-ranked others. The result is in rank order.
    """
    chosen = list(candidates[:size])
    need = math.ceil(len(chosen) / CROSS_INDUSTRY_SHARE)
    missing = need - sum(1 for m in chosen if m.cross_industry)
    if missing > 0:
        extra = [m for m in candidates[size:] if m.cross_industry][:missing]
        others = [m for m in chosen if not m.cross_industry]
        drop = {id(m) for m in others[len(others) - len(extra) :]} if extra else set()
        chosen = [m for m in chosen if id(m) not in drop] + extra
        chosen.sort(key=lambda m: (m.rank, m.id))
    return chosen


def new_invitation_code(session: Session, taken: set[str] | None = None) -> str:
    """A random, opaque code (no id, name or order in it), unique among stored entries."""
    taken = taken if taken is not None else set()
    for _ in range(INVITATION_CODE_ATTEMPTS):
        code = secrets.token_urlsafe(INVITATION_CODE_BYTES)
        if code in taken:
            continue
        if session.scalar(select(ShortlistEntry.id).where(ShortlistEntry.invitation_code == code)):
            continue
        taken.add(code)
        return code
    raise RuntimeError("could not draw a unique invitation code")  # pragma: no cover


def _entries(session: Session, fair_vacancy_id: int) -> list[ShortlistEntry]:
    return list(
        session.scalars(
            select(ShortlistEntry)
            .where(ShortlistEntry.job_fair_vacancy_id == fair_vacancy_id)
            .order_by(ShortlistEntry.rank.is_(None), ShortlistEntry.rank, ShortlistEntry.id)
        )
    )


def _current(session: Session, fair_vacancy_id: int) -> list[ShortlistEntry]:
    """The list as shown: match entries by rank, then manual; removed entries left out."""
    return [e for e in _entries(session, fair_vacancy_id) if not e.removed]


def shortlist(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int
) -> list[ShortlistEntry]:
    """The current shortlist (removed entries left out): match entries by rank, then manual."""
    ctx = _context(session, actor, fair_id, vacancy_id)
    return _current(session, ctx.fair_vacancy.id)


def build_shortlist(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int, *, size: int = DEFAULT_SIZE
) -> list[ShortlistEntry]:
    """Build or rebuild a vacancy's shortlist from its ranked matches in the fair's scope.

    ``size`` people are taken from the match list; manual additions are kept on top of them,
    removed people are never re-added, and a locked list is returned unchanged. Entries that
    fall off the list are deleted unless the person was already invited (then kept, unranked).
    Returns the list as :func:`shortlist` does.
    """
    ctx = _context(session, actor, fair_id, vacancy_id)
    if not 1 <= size <= MAX_SIZE:
        raise ValidationError({"size": f"Antal skal være mellem 1 og {MAX_SIZE}."})
    if ctx.fair_vacancy.shortlist_locked:
        return _current(session, ctx.fair_vacancy.id)
    if not is_matchable(session, vacancy_id):
        raise ValidationError({"vacancy_id": "Stillingen er ikke åben for match."})

    existing = {e.jobseeker_id: e for e in _entries(session, ctx.fair_vacancy.id)}
    # Removed people and manual additions are the organiser's decisions: not the matcher's.
    decided = {pid for pid, e in existing.items() if e.removed or e.source == SOURCE_MANUAL}
    candidates = [
        m for m in ranked_in_scope(session, ctx.fair, vacancy_id) if m.jobseeker_id not in decided
    ]
    chosen = _select_with_share(candidates, size)
    chosen_ids = {m.jobseeker_id for m in chosen}

    details = {"job_fair_id": ctx.fair.id, "vacancy_id": vacancy_id}
    for pid, entry in existing.items():
        if entry.source != SOURCE_MATCH or entry.removed or pid in chosen_ids:
            continue
        if entry.invited:  # keep the invitation; no rank: not on the current match list
            if entry.rank is not None:
                unranked = {**details, "rank": [entry.rank, None]}
                _record(session, actor, AuditAction.UPDATE, entry, unranked)
                entry.rank = None
            continue
        deleted = {**details, "reason": "no longer on the match list"}
        _record(session, actor, AuditAction.DELETE, entry, deleted)
        session.delete(entry)

    codes: set[str] = set()
    new_entries: list[ShortlistEntry] = []
    for position, match in enumerate(chosen, start=1):
        entry = existing.get(match.jobseeker_id)
        if entry is None:
            entry = ShortlistEntry(
                job_fair_vacancy_id=ctx.fair_vacancy.id,
                jobseeker_id=match.jobseeker_id,
                source=SOURCE_MATCH,
                rank=position,
                invitation_code=new_invitation_code(session, codes),
            )
            session.add(entry)
            new_entries.append(entry)
        elif entry.rank != position:
            old = entry.rank
            entry.rank = position
            session.flush()
            _record(session, actor, AuditAction.UPDATE, entry, {**details, "rank": [old, position]})
    session.flush()
    for entry in new_entries:
        created = {**details, "source": SOURCE_MATCH, "rank": entry.rank}
        _record(session, actor, AuditAction.CREATE, entry, created)
    session.flush()
    return _current(session, ctx.fair_vacancy.id)


def add_person(
    session: Session,
    actor: Actor,
    fair_id: int,
    vacancy_id: int,
    jobseeker_id: int,
    *,
    reason: str = "",
) -> ShortlistEntry:
    """Add a person by hand (also re-adds a removed person).

    The person must be in the fair's scope and already known to the organiser: on the
    vacancy's ranked match list or on one of the fair's shortlists (else :class:`OutOfScope`).
    Someone not on the vacancy's match list needs a ``reason`` (kept on the entry and in the
    audit entry).
    """
    ctx = _context(session, actor, fair_id, vacancy_id)
    _require_unlocked(ctx.fair_vacancy)
    reason = reason.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError({"reason": f"Begrundelsen må højst være {MAX_REASON_CHARS} tegn."})
    match = session.scalar(
        select(Match).where(
            Match.vacancy_id == vacancy_id,
            Match.jobseeker_id == jobseeker_id,
            Match.rank.is_not(None),
        )
    )
    # Only people the organiser already sees: on this vacancy's match list, or on one of this
    # fair's lists (this one, removed, or another). Anyone else is "not found", whether the id
    # exists or not, so the form cannot be used to test who is in the fair's target groups.
    on_a_list = session.scalar(
        select(ShortlistEntry.id)
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .where(
            JobFairVacancy.job_fair_id == ctx.fair.id,
            ShortlistEntry.jobseeker_id == jobseeker_id,
            or_(
                ShortlistEntry.job_fair_vacancy_id == ctx.fair_vacancy.id,
                ShortlistEntry.removed.is_(False),
            ),
        )
        .limit(1)
    )
    in_scope = session.scalar(
        select(Jobseeker.id).where(Jobseeker.id == jobseeker_id, *_in_fair_scope(ctx.fair))
    )
    if (match is None and on_a_list is None) or in_scope is None:
        exists = session.get(Jobseeker, jobseeker_id) is not None
        raise OutOfScope(
            "jobseeker", jobseeker_id, exists=exists, jobseeker_id=jobseeker_id if exists else None
        )
    if match is None and not reason:
        raise ValidationError(
            {"reason": "Skriv en begrundelse: personen er ikke på stillingens matchliste."}
        )
    details = {
        "job_fair_id": ctx.fair.id,
        "vacancy_id": vacancy_id,
        "source": SOURCE_MANUAL,
        "on_match_list": match is not None,
    }
    entry = session.scalar(
        select(ShortlistEntry).where(
            ShortlistEntry.job_fair_vacancy_id == ctx.fair_vacancy.id,
            ShortlistEntry.jobseeker_id == jobseeker_id,
        )
    )
    if entry is not None:
        if not entry.removed:
            raise ValidationError({"jobseeker_id": "Personen er allerede på listen."})
        entry.removed = False
        entry.source = SOURCE_MANUAL
        entry.rank = None
        entry.note = reason
        session.flush()
        _record(session, actor, AuditAction.UPDATE, entry, {**details, "removed": False}, reason)
        return entry
    entry = ShortlistEntry(
        job_fair_vacancy_id=ctx.fair_vacancy.id,
        jobseeker_id=jobseeker_id,
        source=SOURCE_MANUAL,
        rank=None,
        note=reason,
        invitation_code=new_invitation_code(session),
    )
    session.add(entry)
    session.flush()
    _record(session, actor, AuditAction.CREATE, entry, details, reason)
    session.flush()
    return entry


def remove_person(
    session: Session,
    actor: Actor,
    fair_id: int,
    vacancy_id: int,
    jobseeker_id: int,
    *,
    reason: str = "",
) -> ShortlistEntry:
    """Remove a person by hand: the row stays, marked removed, so a rebuild does not re-add
    them (and the invitation code is not reused)."""
    ctx = _context(session, actor, fair_id, vacancy_id)
    _require_unlocked(ctx.fair_vacancy)
    entry = _listed_entry(session, ctx.fair_vacancy.id, jobseeker_id)
    entry.removed = True
    session.flush()
    details = {"job_fair_id": ctx.fair.id, "vacancy_id": vacancy_id, "removed": True}
    _record(session, actor, AuditAction.DELETE, entry, details, reason.strip()[:MAX_REASON_CHARS])
    session.flush()
    return entry


def _set_locked(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int, locked: bool
) -> JobFairVacancy:
    ctx = _context(session, actor, fair_id, vacancy_id)
    if ctx.fair_vacancy.shortlist_locked == locked:
        return ctx.fair_vacancy
    ctx.fair_vacancy.shortlist_locked = locked
    session.flush()
    # The lock belongs to the list, not one person: one entry for the list itself.
    record(
        session,
        actor,
        AuditAction.UPDATE,
        "job_fair_vacancy",
        ctx.fair_vacancy.id,
        details={"job_fair_id": ctx.fair.id, "vacancy_id": vacancy_id, "shortlist_locked": locked},
    )
    session.flush()
    return ctx.fair_vacancy


def lock(session: Session, actor: Actor, fair_id: int, vacancy_id: int) -> JobFairVacancy:
    """Lock the shortlist: no rebuild, no manual change until it is unlocked."""
    return _set_locked(session, actor, fair_id, vacancy_id, True)


def unlock(session: Session, actor: Actor, fair_id: int, vacancy_id: int) -> JobFairVacancy:
    return _set_locked(session, actor, fair_id, vacancy_id, False)


def people_on_several_shortlists(session: Session, actor: Actor, fair_id: int) -> dict[int, int]:
    """``{jobseeker_id: number of this fair's shortlists}`` for people on two or more
    (removed entries not counted), so the organiser sees who would be invited many times."""
    fair = organiser_fair(session, actor, fair_id)
    rows = session.execute(
        select(ShortlistEntry.jobseeker_id, func.count())
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .where(JobFairVacancy.job_fair_id == fair.id, ShortlistEntry.removed.is_(False))
        .group_by(ShortlistEntry.jobseeker_id)
        .having(func.count() >= 2)
    )
    return {jobseeker_id: count for jobseeker_id, count in rows}
