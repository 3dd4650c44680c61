"""Storing computed match lists and finding the ones that are out of date.

Storing a list replaces it in one transaction: a reader sees the old list or the new one, never
a mix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from matching.models import (
    CV,
    Jobseeker,
    Match,
    MatchRun,
    Vacancy,
    utcnow,
)
from matching.ranking.scoring import (
    RankedList,
)
from matching.vacancies.queries import matchable_vacancy_filter


def _row_values(match, *, model_version: str, rules_version: str, now: datetime) -> dict:
    return {
        "score": match.score,
        "components": match.components,
        "explanation": list(match.explanation),
        "eligible": match.eligible,
        "cross_industry": match.cross_industry,
        "distance_km": match.distance_km,
        "model_version": model_version,
        "rules_version": rules_version,
        "computed_at": now,
    }


def store_vacancy_list(
    session: Session,
    vacancy_id: int,
    ranked: RankedList | None,
    *,
    model_version: str,
    rules_version: str,
    duration_ms: int = 0,
) -> None:
    """Replace the vacancy's candidate list (None: clear it). Flushes; the caller commits.

    Rows that are also in a person's own list (``person_rank``) are kept and only lose their
    place in this list; the others are deleted.
    """
    _store_list(
        session,
        "vacancy",
        vacancy_id,
        ranked,
        model_version=model_version,
        rules_version=rules_version,
        duration_ms=duration_ms,
    )


def store_jobseeker_list(
    session: Session,
    jobseeker_id: int,
    ranked: RankedList | None,
    *,
    model_version: str,
    rules_version: str,
    duration_ms: int = 0,
) -> None:
    """Replace the person's list of vacancies and places (None: clear it). Flushes."""
    _store_list(
        session,
        "jobseeker",
        jobseeker_id,
        ranked,
        model_version=model_version,
        rules_version=rules_version,
        duration_ms=duration_ms,
    )


def _store_list(
    session: Session,
    kind: str,
    subject_id: int,
    ranked: RankedList | None,
    *,
    model_version: str,
    rules_version: str,
    duration_ms: int,
) -> None:
    # A row is shared by the vacancy's list (rank) and the person's list (person_rank).
    if kind == "vacancy":
        subject, other, own_rank, other_rank = (
            Match.vacancy_id, Match.jobseeker_id, Match.rank, Match.person_rank
        )  # fmt: skip
        cleared = {"rank": None, "promoted": False}
    else:
        subject, other, own_rank, other_rank = (
            Match.jobseeker_id, Match.vacancy_id, Match.person_rank, Match.rank
        )  # fmt: skip
        cleared = {"person_rank": None}
    other_id = (lambda m: m.jobseeker_id) if kind == "vacancy" else (lambda m: m.vacancy_id)
    now = utcnow()
    session.execute(delete(Match).where(subject == subject_id, other_rank.is_(None)))
    session.execute(update(Match).where(subject == subject_id).values(**cleared))
    matches = ranked.matches if ranked else []
    existing = dict(
        session.execute(
            select(other, Match.id).where(
                subject == subject_id, other.in_([other_id(m) for m in matches])
            )
        ).all()
    )
    inserts, updates = [], []
    for position, match in enumerate(matches, start=1):
        values = _row_values(
            match, model_version=model_version, rules_version=rules_version, now=now
        )
        values[own_rank.key] = position
        if kind == "vacancy":
            values["promoted"] = match.promoted
        elif match.promoted:
            values["components"] = {**match.components, "promoted_in_person_list": True}
        if other_id(match) in existing:
            updates.append({"id": existing[other_id(match)], **values})
        else:
            inserts.append(
                {"vacancy_id": match.vacancy_id, "jobseeker_id": match.jobseeker_id, **values}
            )
    if inserts:
        session.execute(Match.__table__.insert(), inserts)
    if updates:
        session.execute(update(Match), updates)
    run = session.scalar(
        select(MatchRun).where(MatchRun.subject_kind == kind, MatchRun.subject_id == subject_id)
    )
    if run is None:
        run = MatchRun(subject_kind=kind, subject_id=subject_id)
        session.add(run)
    run.model_version = model_version
    run.rules_version = rules_version
    run.computed_at = now
    run.considered = ranked.considered if ranked else 0
    run.listed = len(matches)
    run.excluded = dict(ranked.excluded) if ranked else {}
    run.duration_ms = duration_ms
    session.flush()


def stale_subjects(
    session: Session,
    kind: str,
    *,
    model_version: str,
    rules_version: str,
    limit: int | None = None,
    changed_only: bool = False,
    changed_before: datetime | None = None,
) -> list[int]:
    """Ids whose stored list is missing or out of date: another model or rules version, or
    the vacancy/person changed after the list was computed. Only matchable vacancies and
    active people are returned.

    ``changed_only``: only lists that are missing or older than their subject's last change
    (not those of another model or rules version, which the nightly run recomputes in bulk);
    ``changed_before``: only subjects changed before then (a change whose job is still
    waiting or running is left to that job)."""
    if kind == "vacancy":
        subject = select(Vacancy.id.label("id"), Vacancy.updated_at.label("changed")).where(
            matchable_vacancy_filter()
        )
    elif kind == "jobseeker":
        subject = (
            select(
                Jobseeker.id.label("id"),
                func.coalesce(CV.updated_at, Jobseeker.updated_at).label("changed"),
            )
            .join(CV, CV.jobseeker_id == Jobseeker.id)
            .where(Jobseeker.active.is_(True), CV.searchable.is_(True))
        )
    else:
        raise ValueError(f"unknown subject kind {kind!r}")
    subject = subject.subquery()
    query = (
        select(subject.c.id)
        .outerjoin(
            MatchRun,
            and_(MatchRun.subject_kind == kind, MatchRun.subject_id == subject.c.id),
        )
        .where(
            or_(
                MatchRun.id.is_(None),
                MatchRun.computed_at < subject.c.changed,
                *(
                    ()
                    if changed_only
                    else (
                        MatchRun.model_version != model_version,
                        MatchRun.rules_version != rules_version,
                    )
                ),
            )
        )
        .order_by(subject.c.id)
    )
    if changed_before is not None:
        query = query.where(subject.c.changed < changed_before)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
