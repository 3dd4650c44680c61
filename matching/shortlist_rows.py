"""How a person on a job fair's shortlist is shown to the organiser.

The organiser prepares lists that go to employers (:mod:`matching.exports`), so the page shows
what the export shows: an opaque invitation code, the postal district, the occupation (the CV
headline, else the latest job title), the match score and the match reasons an employer may
read (:func:`matching.exports.employer_reasons`; the target group and other benefit details are
left out). The name only when the person consented to share with employers: a
:class:`CandidateRow` cannot be built with a name without consent. CPR and birth date are never
read. Callers check who is asking (:mod:`matching.fairs`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.exports import district_name, employer_reasons
from matching.models import CV, CVExperience, Jobseeker, Match, ShortlistEntry
from matching.shortlists import SOURCE_MANUAL, SOURCE_MATCH

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


def people(session: Session, ids: Iterable[int]) -> dict[int, Person]:
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
    untitled = [r.id for r in rows if r.headline is not None and not r.headline.strip()]
    titles: dict[int, str] = {}
    if untitled:
        experiences = session.execute(
            select(
                CV.jobseeker_id,
                CVExperience.title,
                CVExperience.start_year,
                CVExperience.end_year,
                CVExperience.position,
            )
            .join(CVExperience, CVExperience.cv_id == CV.id)
            .where(CV.jobseeker_id.in_(untitled))
        ).all()
        best: dict[int, tuple] = {}
        for person_id, title, start, end, position in experiences:
            # The current job, else the one that ended last.
            key = (end is None, end or 0, start, -position)
            if person_id not in best or key > best[person_id][0]:
                best[person_id] = (key, title)
        titles = {pid: title for pid, (_, title) in best.items()}
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


def matches(session: Session, vacancy_id: int, ids: Iterable[int]) -> dict[int, Match]:
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


def row(
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
        score=None if match is None else max(0, min(100, round(match.score * 100))),
        reasons=chips,
        cross_industry=bool(match.cross_industry) if match else False,
        invited=bool(entry.invited) if entry else False,
        note=entry.note if entry else "",
        lists=lists,
        other_codes=other_codes,
    )
