"""Fairs: who may organise them, creating and editing them, and the list of fairs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from matching.core import permissions
from matching.core.audit import Actor, record
from matching.core.dates import today_dk
from matching.core.errors import OutOfScope, PermissionDenied, ValidationError
from matching.core.geo import MUNICIPALITIES, municipality_name
from matching.core.paging import Page, paginate
from matching.models import (
    AuditAction,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Organisation,
    Role,
    ShortlistEntry,
    TargetGroup,
    Vacancy,
)

INVITED, ACCEPTED, DECLINED = "invited", "accepted", "declined"


STATUS_LABELS_DA = {INVITED: "Inviteret", ACCEPTED: "Deltager", DECLINED: "Takket nej"}


NAME_MAX_CHARS = 200


PLACE_MAX_CHARS = 200


DESCRIPTION_MAX_CHARS = 5000


FAIR_PAGE_SIZE = 20


FIELDS = ("name", "held_on", "place", "target_groups", "municipality_codes", "description")


HELD_MESSAGE = "Messen er afholdt, så den kan ikke længere ændres på den måde."


def organiser_fair(session: Session, actor: Actor, fair_id: int) -> JobFair:
    """The fair, if the actor organises fairs and the fair is their organisation's.

    Raises :class:`PermissionDenied` for a role that never organises, :class:`OutOfScope` for
    an unknown fair or another organisation's (so the two cannot be told apart).
    """
    permissions.require_fair_organiser(session, actor)
    fair = session.get(JobFair, fair_id)
    if fair is None or fair.organiser_id != actor.organisation_id:
        raise OutOfScope("job_fair", fair_id, exists=fair is not None)
    return fair


def _invitation(session: Session, fair_id: int, employer_id: int) -> JobFairEmployer | None:
    return session.scalar(
        select(JobFairEmployer).where(
            JobFairEmployer.job_fair_id == fair_id, JobFairEmployer.employer_id == employer_id
        )
    )


def _employer_invitation(session: Session, actor: Actor, fair_id: int) -> JobFairEmployer:
    """The employer's own invitation to the fair; OutOfScope when the company is not invited."""
    if not permissions.has_role(actor, permissions.EMPLOYERS):
        raise OutOfScope("job_fair", fair_id, exists=session.get(JobFair, fair_id) is not None)
    row = _invitation(session, fair_id, actor.organisation_id)
    if row is None:
        raise OutOfScope("job_fair", fair_id, exists=session.get(JobFair, fair_id) is not None)
    return row


def get_fair(session: Session, actor: Actor, fair_id: int) -> JobFair:
    """The fair, for its organiser organisation or an invited employer; :class:`OutOfScope`
    (404) for anyone else, whether or not the fair exists."""
    if permissions.role_of(actor) is Role.EMPLOYER:
        _employer_invitation(session, actor, fair_id)
        fair = session.get(JobFair, fair_id)
        assert fair is not None
        return fair
    try:
        return organiser_fair(session, actor, fair_id)
    except PermissionDenied:
        raise OutOfScope(
            "job_fair", fair_id, exists=session.get(JobFair, fair_id) is not None
        ) from None


def _require_upcoming(fair: JobFair, today: date | None, key: str = "") -> None:
    if fair.held_on < (today or today_dk()):
        raise ValidationError({key: HELD_MESSAGE})


def _one_line(errors: dict[str, str], key: str, value: str, limit: int, what: str) -> None:
    if "\n" in value or "\r" in value:
        errors.setdefault(key, f"{what} skal stå på én linje.")
    elif len(value) > limit:
        errors.setdefault(key, f"{what} må højst være {limit} tegn (du har skrevet {len(value)}).")


def _check_fields(
    fields: Mapping[str, object],
    *,
    errors: dict[str, str],
    today: date,
    previous_day: date | None,
) -> None:
    """The rules for a fair's typed values. ``previous_day`` is the stored date of a fair
    being edited (None for a new fair): only a date other than that one must not lie in the
    past."""
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.setdefault("name", "Skriv messens navn.")
    else:
        _one_line(errors, "name", name, NAME_MAX_CHARS, "Navnet")
    place = fields.get("place")
    if not isinstance(place, str) or not place.strip():
        errors.setdefault("place", "Skriv hvor messen holdes.")
    else:
        _one_line(errors, "place", place, PLACE_MAX_CHARS, "Stedet")
    held_on = fields.get("held_on")
    if not isinstance(held_on, date) or isinstance(held_on, datetime):
        errors.setdefault("held_on", "Skriv datoen for messen.")
    elif held_on < today and held_on != previous_day:
        errors.setdefault("held_on", "Datoen kan ikke ligge før i dag.")
    known_groups = {g.value for g in TargetGroup}
    groups = fields.get("target_groups") or []
    if not isinstance(groups, list | tuple) or any(g not in known_groups for g in groups):
        errors.setdefault("target_groups", "Vælg målgrupperne på listen.")
    codes = fields.get("municipality_codes") or []
    if not isinstance(codes, list | tuple) or any(c not in MUNICIPALITIES for c in codes):
        errors.setdefault("municipality_codes", "Vælg kendte kommuner (kommunekoder).")
    description = fields.get("description") or ""
    if not isinstance(description, str):
        errors.setdefault("description", "Beskrivelsen skal være tekst.")
    elif len(description) > DESCRIPTION_MAX_CHARS:
        errors.setdefault(
            "description",
            f"Beskrivelsen må højst være 5.000 tegn (du har skrevet {len(description)}).",
        )


def default_municipalities(session: Session, actor: Actor) -> list[int]:
    """For a new fair: the organiser's own municipality, if it has one."""
    organisation = session.get(Organisation, actor.organisation_id or 0)
    code = organisation.municipality_code if organisation is not None else None
    return [code] if code in MUNICIPALITIES else []


def _audit_values(fair: JobFair) -> dict[str, object]:
    return {
        "name": fair.name,
        "held_on": fair.held_on.isoformat(),
        "place": fair.place,
        "target_groups": list(fair.target_groups or []),
        "municipality_codes": list(fair.municipality_codes or []),
    }


@dataclass(frozen=True)
class FairInput:
    """A fair as typed values (the portal's form converts to this). ``target_groups`` are
    :class:`TargetGroup` values, ``municipality_codes`` kommunekoder (empty: all, the whole
    country); ``unreadable`` names the fields the caller could not read from what was typed."""

    name: str
    held_on: date | None
    place: str
    target_groups: Sequence[str] = ()
    municipality_codes: Sequence[int] = ()
    description: str = ""
    unreadable: Mapping[str, str] = field(default_factory=dict)


def _checked_fields(
    data: FairInput, *, today: date | None, previous_day: date | None
) -> dict[str, object]:
    """The fair's stored values, trimmed and checked (ValidationError naming every bad field,
    with the caller's ``unreadable`` ones: "not a date" says more than "required")."""
    fields: dict[str, object] = {
        "name": (data.name or "").strip(),
        "held_on": data.held_on,
        "place": (data.place or "").strip(),
        "target_groups": list(data.target_groups),
        "municipality_codes": list(data.municipality_codes),
        "description": (data.description or "").strip(),
    }
    errors: dict[str, str] = {}
    _check_fields(fields, errors=errors, today=today or today_dk(), previous_day=previous_day)
    errors.update(data.unreadable)
    if errors:
        raise ValidationError(errors)
    return fields


def create_fair(
    session: Session, actor: Actor, data: FairInput, *, today: date | None = None
) -> JobFair:
    """Create a fair for the actor's organisation (organisers only). Audited; flushes."""
    organisation = permissions.require_fair_organiser(session, actor)
    fields = _checked_fields(data, today=today, previous_day=None)
    fair = JobFair(organiser_id=organisation.id, **fields)
    session.add(fair)
    session.flush()
    record(session, actor, AuditAction.CREATE, "job_fair", fair.id, details=_audit_values(fair))
    session.flush()
    return fair


def update_fair(
    session: Session, actor: Actor, fair_id: int, data: FairInput, *, today: date | None = None
) -> JobFair:
    """Change the organiser's own fair. An unchanged past date is kept; a new date cannot be
    in the past. Shortlists are not rebuilt: the organiser rebuilds them after a change of
    scope. Audited with the names of the changed fields; flushes."""
    fair = organiser_fair(session, actor, fair_id)
    fields = _checked_fields(data, today=today, previous_day=fair.held_on)
    before = _audit_values(fair)
    changed = [k for k in FIELDS if getattr(fair, k) != fields[k]]
    if not changed:
        return fair
    for key in changed:
        setattr(fair, key, fields[key])
    session.flush()
    after = _audit_values(fair)
    record(
        session,
        actor,
        AuditAction.UPDATE,
        "job_fair",
        fair.id,
        details={
            "changed": changed,
            **{k: [before[k], after[k]] for k in changed if k in before},
        },
    )
    session.flush()
    return fair


@dataclass(frozen=True)
class FairSummary:
    """One fair in a list. Counts are the organiser's; for an employer ``vacancies`` counts
    its own attached vacancies and ``invitation`` is its answer."""

    fair: JobFair
    employers: int = 0  # invited or accepted (declined not counted)
    accepted: int = 0
    vacancies: int = 0
    people: int = 0  # distinct people on the fair's shortlists
    invitation: JobFairEmployer | None = None

    @property
    def municipalities(self) -> list[str]:
        return [municipality_name(c) for c in self.fair.municipality_codes or []]


def _upcoming_first(today: date) -> list[ColumnElement]:
    """Upcoming fairs soonest first, then past fairs latest first."""
    upcoming = JobFair.held_on >= today
    return [
        case((upcoming, 0), else_=1),
        case((upcoming, JobFair.held_on), else_=None),
        JobFair.held_on.desc(),
        JobFair.id.desc(),
    ]


def _counts(session: Session, query: Select) -> dict[int, int]:
    return {key: count for key, count in session.execute(query)}


def fairs_for(
    session: Session,
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = FAIR_PAGE_SIZE,
    today: date | None = None,
    upcoming_only: bool = False,
) -> Page[FairSummary]:
    """The fairs the actor works with, upcoming first: an organiser's own organisation's
    fairs with counts of employers, vacancies and shortlisted people; an employer's
    invitations with its answer. Anyone else: :class:`PermissionDenied`."""
    today = today or today_dk()
    employer = permissions.has_role(actor, permissions.EMPLOYERS)
    if employer:
        query = (
            select(JobFair)
            .join(JobFairEmployer, JobFairEmployer.job_fair_id == JobFair.id)
            .where(JobFairEmployer.employer_id == actor.organisation_id)
        )
    else:
        organisation = permissions.require_fair_organiser(session, actor)
        query = select(JobFair).where(JobFair.organiser_id == organisation.id)
    if upcoming_only:
        query = query.where(JobFair.held_on >= today)
    query = query.order_by(*_upcoming_first(today)).options(selectinload(JobFair.organiser))
    paged = paginate(session, query, page, per_page)
    fairs = paged.items
    ids = [f.id for f in fairs]
    if not ids:
        return paged

    if employer:
        invitations = {
            row.job_fair_id: row
            for row in session.scalars(
                select(JobFairEmployer).where(
                    JobFairEmployer.job_fair_id.in_(ids),
                    JobFairEmployer.employer_id == actor.organisation_id,
                )
            )
        }
        own = _counts(
            session,
            select(JobFairVacancy.job_fair_id, func.count())
            .join(Vacancy, Vacancy.id == JobFairVacancy.vacancy_id)
            .where(
                JobFairVacancy.job_fair_id.in_(ids), Vacancy.employer_id == actor.organisation_id
            )
            .group_by(JobFairVacancy.job_fair_id),
        )
        items = [
            FairSummary(f, vacancies=own.get(f.id, 0), invitation=invitations.get(f.id))
            for f in fairs
        ]
        return replace(paged, items=items)

    employers = _counts(
        session,
        select(JobFairEmployer.job_fair_id, func.count())
        .where(JobFairEmployer.job_fair_id.in_(ids), JobFairEmployer.status != DECLINED)
        .group_by(JobFairEmployer.job_fair_id),
    )
    accepted = _counts(
        session,
        select(JobFairEmployer.job_fair_id, func.count())
        .where(JobFairEmployer.job_fair_id.in_(ids), JobFairEmployer.status == ACCEPTED)
        .group_by(JobFairEmployer.job_fair_id),
    )
    vacancies = _counts(
        session,
        select(JobFairVacancy.job_fair_id, func.count())
        .where(JobFairVacancy.job_fair_id.in_(ids))
        .group_by(JobFairVacancy.job_fair_id),
    )
    people = _counts(
        session,
        select(JobFairVacancy.job_fair_id, func.count(func.distinct(ShortlistEntry.jobseeker_id)))
        .join(ShortlistEntry, ShortlistEntry.job_fair_vacancy_id == JobFairVacancy.id)
        .where(JobFairVacancy.job_fair_id.in_(ids), ShortlistEntry.removed.is_(False))
        .group_by(JobFairVacancy.job_fair_id),
    )
    items = [
        FairSummary(
            f,
            employers=employers.get(f.id, 0),
            accepted=accepted.get(f.id, 0),
            vacancies=vacancies.get(f.id, 0),
            people=people.get(f.id, 0),
        )
        for f in fairs
    ]
    return replace(paged, items=items)


def unanswered_invitations(session: Session, actor: Actor, *, today: date | None = None) -> int:
    """How many upcoming fairs the employer's company has not answered yet (0 for others)."""
    if not permissions.has_role(actor, permissions.EMPLOYERS):
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(JobFairEmployer)
            .join(JobFair, JobFair.id == JobFairEmployer.job_fair_id)
            .where(
                JobFairEmployer.employer_id == actor.organisation_id,
                JobFairEmployer.status == INVITED,
                JobFair.held_on >= (today or today_dk()),
            )
        )
        or 0
    )
