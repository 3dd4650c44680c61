"""What organisers see of a fair's lists: a shortlist with its candidate rows, the next
candidates, people from the fair's other lists, and the fair overview (who is on several
lists). People appear as the exports show them: by invitation code unless they consented."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from matching.core import permissions
from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import ValidationError
from matching.core.geo import municipality_name
from matching.fairs import shortlists
from matching.fairs.exports.rows import (
    district_name,
    employer_reasons,
    latest_titles,
    score_percent,
)
from matching.fairs.participants import attachable_vacancies, attached_fair_vacancy
from matching.fairs.planning import ACCEPTED, _counts, _invitation, get_fair, organiser_fair
from matching.fairs.shortlists import SOURCE_MANUAL, SOURCE_MATCH
from matching.models import (
    CV,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Jobseeker,
    Match,
    Organisation,
    Role,
    ShortlistEntry,
    TargetGroup,
    Vacancy,
)
from matching.vacancies.queries import is_matchable, matchable_vacancy_filter

MORE_CANDIDATES = 10


def _fair_entries(session: Session, fair_id: int) -> list[tuple[ShortlistEntry, int]]:
    """Every current entry of the fair's shortlists with its vacancy id."""
    return list(
        session.execute(
            select(ShortlistEntry, JobFairVacancy.vacancy_id)
            .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
            .where(JobFairVacancy.job_fair_id == fair_id, ShortlistEntry.removed.is_(False))
            .order_by(ShortlistEntry.id)
        )
    )


@dataclass(frozen=True)
class ShortlistView:
    """One vacancy's shortlist as the organiser's page shows it."""

    fair: JobFair
    fair_vacancy: JobFairVacancy
    vacancy: Vacancy
    rows: list[CandidateRow]
    removed: list[CandidateRow]
    matchable: bool

    @property
    def locked(self) -> bool:
        return self.fair_vacancy.shortlist_locked

    @property
    def invited(self) -> int:
        return sum(1 for r in self.rows if r.invited)


def shortlist_view(session: Session, actor: Actor, fair_id: int, vacancy_id: int) -> ShortlistView:
    """The vacancy's shortlist for the organiser: ranked match entries, then manual ones,
    each with invitation code, source, brancheskift, district, occupation, the reasons an
    employer may read, score, invitation mark, note and on how many of the fair's lists the
    person is; removed people separately (they can be added again)."""
    fair = organiser_fair(session, actor, fair_id)
    fair_vacancy = attached_fair_vacancy(session, fair.id, vacancy_id)
    vacancy = session.scalar(
        select(Vacancy).where(Vacancy.id == vacancy_id).options(selectinload(Vacancy.employer))
    )
    assert vacancy is not None
    entries = list(
        session.scalars(
            select(ShortlistEntry)
            .where(ShortlistEntry.job_fair_vacancy_id == fair_vacancy.id)
            .order_by(ShortlistEntry.rank.is_(None), ShortlistEntry.rank, ShortlistEntry.id)
        )
    )
    ids = [e.jobseeker_id for e in entries]
    people = load_people(session, ids)
    matches = load_matches(session, vacancy_id, ids)
    several = shortlists.people_on_several_shortlists(session, actor, fair.id)
    rows, removed = [], []
    for entry in entries:
        pid = entry.jobseeker_id
        row = candidate_row(
            pid,
            people[pid],
            matches.get(pid),
            entry=entry,
            lists=several.get(pid, 0 if entry.removed else 1),
        )
        (removed if entry.removed else rows).append(row)
    return ShortlistView(
        fair, fair_vacancy, vacancy, rows, removed, is_matchable(session, vacancy_id)
    )


def more_candidates(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int, *, limit: int = MORE_CANDIDATES
) -> list[CandidateRow]:
    """The next ranked matches in the fair's scope that are not on the list (and were not
    removed from it), for "Tilføj" buttons; the same pseudonymous fields as the list."""
    fair = organiser_fair(session, actor, fair_id)
    fair_vacancy = attached_fair_vacancy(session, fair.id, vacancy_id)
    taken = set(
        session.scalars(
            select(ShortlistEntry.jobseeker_id).where(
                ShortlistEntry.job_fair_vacancy_id == fair_vacancy.id
            )
        )
    )
    chosen = [
        m
        for m in shortlists.ranked_in_scope(session, fair, vacancy_id)
        if m.jobseeker_id not in taken
    ][: max(0, limit)]
    people = load_people(session, [m.jobseeker_id for m in chosen])
    counts: dict[int, int] = {}
    for entry, _ in _fair_entries(session, fair.id):
        counts[entry.jobseeker_id] = counts.get(entry.jobseeker_id, 0) + 1
    return [
        candidate_row(
            m.jobseeker_id, people[m.jobseeker_id], m, lists=counts.get(m.jobseeker_id, 0)
        )
        for m in chosen
    ]


def other_list_candidates(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int
) -> list[CandidateRow]:
    """People on another of this fair's shortlists but not on this one (to add by hand, with
    a reason), with their codes on the other lists; their match to this vacancy if any."""
    fair = organiser_fair(session, actor, fair_id)
    fair_vacancy = attached_fair_vacancy(session, fair.id, vacancy_id)
    codes: dict[int, list[str]] = {}
    here: set[int] = set()
    for entry, entry_vacancy in _fair_entries(session, fair.id):
        if entry_vacancy == fair_vacancy.vacancy_id:
            here.add(entry.jobseeker_id)
        else:
            codes.setdefault(entry.jobseeker_id, []).append(entry.invitation_code)
    ids = [pid for pid in codes if pid not in here]
    people = load_people(session, ids)
    matches = load_matches(session, vacancy_id, ids)
    rows = [
        candidate_row(
            pid,
            people[pid],
            matches.get(pid),
            lists=len(codes[pid]),
            other_codes=tuple(codes[pid]),
        )
        for pid in ids
    ]
    return sorted(rows, key=lambda r: (r.score is None, -(r.score or 0), r.jobseeker_id))


def add_from_other_list(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int, jobseeker_id: int, reason: str
) -> ShortlistEntry:
    """Add someone who is on another of this fair's shortlists. A reason is required (kept on
    the entry and in the audit log), whether or not the person is on this vacancy's match list.
    """
    fair = organiser_fair(session, actor, fair_id)
    fair_vacancy = attached_fair_vacancy(session, fair.id, vacancy_id)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Skriv hvorfor personen skal på denne liste."})
    elsewhere = session.scalar(
        select(ShortlistEntry.id)
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .where(
            JobFairVacancy.job_fair_id == fair.id,
            JobFairVacancy.id != fair_vacancy.id,
            ShortlistEntry.jobseeker_id == jobseeker_id,
            ShortlistEntry.removed.is_(False),
        )
        .limit(1)
    )
    if elsewhere is None:
        raise ValidationError({"jobseeker_id": "Personen er ikke på en anden af messens lister."})
    return shortlists.add_person(
        session, actor, fair.id, vacancy_id, jobseeker_id, reason=reason.strip()
    )


@dataclass(frozen=True)
class FairVacancyRow:
    """An attached vacancy on the fair's page."""

    fair_vacancy: JobFairVacancy
    vacancy: Vacancy
    shortlisted: int
    invited: int
    matchable: bool


@dataclass(frozen=True)
class PersonOnLists:
    """Someone on two or more of the fair's shortlists: each list's vacancy and code."""

    jobseeker_id: int
    name: str | None  # only with consent
    district: str | None
    occupation: str | None
    entries: tuple[tuple[str, str, str], ...]  # (employer, vacancy title, invitation code)


@dataclass(frozen=True)
class FairOverview:
    """What the fair's page shows: for the organiser everything, for an employer its own
    invitation and vacancies."""

    fair: JobFair
    organiser: bool
    invitation: JobFairEmployer | None
    employers: list[JobFairEmployer]
    vacancies: list[FairVacancyRow]
    attachable: list[Vacancy]
    several: list[PersonOnLists]

    @property
    def municipalities(self) -> list[str]:
        return [municipality_name(c) for c in self.fair.municipality_codes or []]

    @property
    def target_groups(self) -> list[str]:
        known = {g.value: g for g in TargetGroup}
        return [known[g].label_da for g in self.fair.target_groups or [] if g in known]


def fair_overview(
    session: Session, actor: Actor, fair_id: int, *, today: date | None = None
) -> FairOverview:
    """The fair's page for its organiser or an invited employer (OutOfScope otherwise)."""
    fair = get_fair(session, actor, fair_id)
    organiser = permissions.role_of(actor) is not Role.EMPLOYER
    invitation = None if organiser else _invitation(session, fair.id, actor.organisation_id or 0)
    query = (
        select(JobFairVacancy, Vacancy)
        .join(Vacancy, Vacancy.id == JobFairVacancy.vacancy_id)
        .join(Organisation, Organisation.id == Vacancy.employer_id)
        .where(JobFairVacancy.job_fair_id == fair.id)
        .order_by(Organisation.name, Vacancy.title, Vacancy.id)
        .options(selectinload(Vacancy.employer))
    )
    if not organiser:
        query = query.where(Vacancy.employer_id == actor.organisation_id)
    attached = [(fv, v) for fv, v in session.execute(query)]
    matchable = set(
        session.scalars(
            select(Vacancy.id).where(
                Vacancy.id.in_([v.id for _, v in attached]), matchable_vacancy_filter()
            )
        )
    )
    shortlisted: dict[int, int] = {}
    invited: dict[int, int] = {}
    employers: list[JobFairEmployer] = []
    several: list[PersonOnLists] = []
    if organiser:
        fv_ids = [fv.id for fv, _ in attached]
        shortlisted = _counts(
            session,
            select(ShortlistEntry.job_fair_vacancy_id, func.count())
            .where(
                ShortlistEntry.job_fair_vacancy_id.in_(fv_ids), ShortlistEntry.removed.is_(False)
            )
            .group_by(ShortlistEntry.job_fair_vacancy_id),
        )
        invited = _counts(
            session,
            select(ShortlistEntry.job_fair_vacancy_id, func.count())
            .where(
                ShortlistEntry.job_fair_vacancy_id.in_(fv_ids),
                ShortlistEntry.removed.is_(False),
                ShortlistEntry.invited.is_(True),
            )
            .group_by(ShortlistEntry.job_fair_vacancy_id),
        )
        employers = list(
            session.scalars(
                select(JobFairEmployer)
                .join(Organisation, Organisation.id == JobFairEmployer.employer_id)
                .where(JobFairEmployer.job_fair_id == fair.id)
                .order_by(Organisation.name, Organisation.id)
                .options(selectinload(JobFairEmployer.employer))
            )
        )
        several = _several(session, fair, {v.id: v for _, v in attached})
    rows = [
        FairVacancyRow(fv, v, shortlisted.get(fv.id, 0), invited.get(fv.id, 0), v.id in matchable)
        for fv, v in attached
    ]
    accepted = organiser or (invitation is not None and invitation.status == ACCEPTED)
    upcoming = fair.held_on >= (today or today_dk())
    attachable = attachable_vacancies(session, actor, fair.id) if accepted and upcoming else []
    return FairOverview(fair, organiser, invitation, employers, rows, attachable, several)


def _several(
    session: Session, fair: JobFair, vacancies: Mapping[int, Vacancy]
) -> list[PersonOnLists]:
    """People on two or more of the fair's lists (removed entries not counted), read in one
    query: the entries :func:`shortlists.people_on_several_shortlists` counts."""
    by_person: dict[int, list[tuple[ShortlistEntry, int]]] = {}
    for entry, vacancy_id in _fair_entries(session, fair.id):
        by_person.setdefault(entry.jobseeker_id, []).append((entry, vacancy_id))
    several = {pid: rows for pid, rows in by_person.items() if len(rows) >= 2}
    if not several:
        return []
    people = load_people(session, several)
    result = []
    for pid, rows in several.items():
        lists = []
        for entry, vacancy_id in rows:
            vacancy = vacancies[vacancy_id]
            lists.append((vacancy.employer.name, vacancy.title, entry.invitation_code))
        person = people[pid]
        result.append(
            PersonOnLists(
                pid, person.name, person.district, person.occupation, tuple(sorted(lists))
            )
        )
    return sorted(result, key=lambda p: (-len(p.entries), p.entries))


SOURCE_LABELS_DA = {SOURCE_MATCH: "matchet", SOURCE_MANUAL: "tilføjet"}


@dataclass(frozen=True)
class CandidateRow:
    """A person as the organiser sees them on a shortlist: pseudonymous unless the person
    consented to share with employers. CPR and birth date are never part of it."""

    jobseeker_id: int
    postal_code: str
    district: str | None
    occupation: str | None
    consented: bool
    name: str | None = None  # only with consent
    invitation_code: str | None = None  # None: not on this list
    rank: int | None = None
    source: str | None = None  # match | manual
    score: int | None = None  # 0–100; None without a computed match
    reasons: tuple[str, ...] = ()
    cross_industry: bool = False
    invited: bool = False
    note: str = ""
    lists: int = 0  # how many of this fair's shortlists the person is on
    other_codes: tuple[str, ...] = ()  # codes on the fair's other lists

    def __post_init__(self) -> None:
        if not self.consented and self.name is not None:
            raise ValueError("a name on a row without consent to share")

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS_DA.get(self.source or "", "")

    @property
    def label(self) -> str:
        """How the person is named in buttons and options: the name, else an invitation code,
        else the place on the match list."""
        if self.name:
            return self.name
        code = self.invitation_code or (self.other_codes[0] if self.other_codes else None)
        if code:
            return f"Kandidat {code}"
        return f"Kandidat nr. {self.rank} på matchlisten" if self.rank else "Kandidat"


@dataclass(frozen=True)
class Person:
    """The columns of a person a shortlist may show."""

    postal_code: str
    district: str | None
    occupation: str | None
    consented: bool
    name: str | None


def load_people(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    """The people with the given ids, reading only the columns a shortlist may show (never
    CPR or birth date), in at most two queries."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            Jobseeker.id,
            Jobseeker.first_name,
            Jobseeker.last_name,
            Jobseeker.postal_code,
            Jobseeker.consent_share_with_employers,
            CV.headline,
        )
        .outerjoin(CV, CV.jobseeker_id == Jobseeker.id)
        .where(Jobseeker.id.in_(ids))
    ).all()
    titles = latest_titles(
        session, (r.id for r in rows if r.headline is not None and not r.headline.strip())
    )
    people = {}
    for r in rows:
        consented = bool(r.consent_share_with_employers)
        people[r.id] = Person(
            postal_code=r.postal_code,
            district=district_name(r.postal_code),
            occupation=(r.headline or "").strip() or titles.get(r.id),
            consented=consented,
            name=f"{r.first_name} {r.last_name}" if consented else None,
        )
    return people


def load_matches(session: Session, vacancy_id: int, ids: Iterable[int]) -> dict[int, Match]:
    """The stored matches of these people to the vacancy (a manual addition may have none)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {
        m.jobseeker_id: m
        for m in session.scalars(
            select(Match).where(Match.vacancy_id == vacancy_id, Match.jobseeker_id.in_(ids))
        )
    }


def candidate_row(
    person_id: int,
    person: Person,
    match: Match | None,
    *,
    entry: ShortlistEntry | None = None,
    lists: int = 0,
    other_codes: tuple[str, ...] = (),
) -> CandidateRow:
    chips = tuple(c for c in (match.explanation or []) if employer_reasons([c])) if match else ()
    return CandidateRow(
        jobseeker_id=person_id,
        postal_code=person.postal_code,
        district=person.district,
        occupation=person.occupation,
        consented=person.consented,
        name=person.name,
        invitation_code=entry.invitation_code if entry else None,
        rank=entry.rank if entry else (match.rank if match else None),
        source=entry.source if entry else None,
        score=None if match is None else score_percent(match.score),
        reasons=chips,
        cross_industry=bool(match.cross_industry) if match else False,
        invited=bool(entry.invited) if entry else False,
        note=entry.note if entry else "",
        lists=lists,
        other_codes=other_codes,
    )
