"""Job fairs (jobmesser): organisers create fairs, invite verified employers and attach
vacancies, whose shortlists :mod:`matching.shortlists` builds; employers answer the invitation
and register their own open vacancies for the fair.

Who may do what:

- **Organisers** are users with role organiser or admin in an organisation of kind
  job_fair_organiser, jobcentre or a_kasse. They create fairs and manage their own
  organisation's fairs: employers, vacancies, shortlists and invitation marks.
- **Employers** (role employer) see the fairs their company is invited to, accept or decline
  (and may change their answer until the day of the fair), and once they have accepted, attach
  and detach their own open vacancies.
- Anyone else may not create or list fairs (:class:`PermissionDenied`); a fair outside the
  actor's scope raises :class:`OutOfScope`, shown as "not found" whether or not it exists.

Decisions worth knowing:

- Declining detaches the employer's vacancies from the fair, with their shortlists (each
  detachment audited): a vacancy cannot be at a fair its employer does not attend, and the
  employer's answer cannot be blocked by the organiser's lists.
- An organiser removes an employer only when none of its vacancies is attached: removing is a
  click, a shortlist is work, so the vacancies are detached first, one by one and on purpose.
- A locked shortlist keeps its vacancy on the fair: it is detached only after unlocking (except
  when the employer declines). Marking people invited is allowed on a locked list: lock the
  list, export it, then record who was invited.
- Invitations, answers and new vacancies are refused once the day of the fair has passed.
- The invitation e-mail goes to the employer's users (role employer), else to the company's
  address, once per fair, company and recipient (``dedupe_key``); it holds no personal data.

People on a shortlist are shown the way exports show them (:mod:`matching.exports`): by
invitation code, postal district, occupation and the match reasons an employer may read; the
name only when the person consented to share with employers. CPR and birth date are never read.

Every change writes an audit entry. Functions flush, never commit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, case, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching import notifications, shortlist_rows, shortlists
from matching.access import OutOfScope, Page, today_dk
from matching.audit import Actor, record
from matching.errors import PermissionDenied, ValidationError
from matching.exports import danish_date
from matching.geo import MUNICIPALITIES, municipality_code, municipality_name
from matching.match_lists import matchable_vacancy_filter
from matching.models import (
    AuditAction,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Organisation,
    OrgKind,
    Role,
    ShortlistEntry,
    TargetGroup,
    Vacancy,
    utcnow,
)
from matching.shortlist_rows import CandidateRow

NAME_MAX_CHARS = 200
PLACE_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 5000
SEARCH_MAX_CHARS = 100
EMPLOYER_SEARCH_LIMIT = 20
MORE_CANDIDATES = 10
FAIR_PAGE_SIZE = 20
FIELDS = ("name", "held_on", "place", "target_groups", "municipality_codes", "description")

ORGANISER_KINDS = frozenset({OrgKind.JOB_FAIR_ORGANISER, OrgKind.JOBCENTRE, OrgKind.A_KASSE})
ORGANISER_ROLES = frozenset({Role.ORGANISER, Role.ADMIN})

INVITED, ACCEPTED, DECLINED = "invited", "accepted", "declined"
STATUS_LABELS_DA = {INVITED: "Inviteret", ACCEPTED: "Deltager", DECLINED: "Takket nej"}

DATE_MESSAGE = "Skriv datoen som dd-mm-åååå, fx 14-03-2027."
NOT_MATCHABLE_MESSAGE = (
    "Stillingen er ikke åben for match. Kun åbne stillinger og godkendte virksomhedspladser "
    "kan tilmeldes messen."
)
HELD_MESSAGE = "Messen er afholdt, så den kan ikke længere ændres på den måde."


# --- who may do what ------------------------------------------------------------------------


def _role(actor: Actor) -> Role | None:
    try:
        return Role(actor.role) if actor.role else None
    except ValueError:
        return None


def _organiser_organisation(session: Session, actor: Actor) -> Organisation:
    """The actor's organisation, if the actor may organise fairs; PermissionDenied otherwise."""
    if _role(actor) not in ORGANISER_ROLES or actor.organisation_id is None:
        raise PermissionDenied(f"role {actor.role!r} may not organise job fairs")
    organisation = session.get(Organisation, actor.organisation_id)
    if organisation is None or not organisation.active or organisation.kind not in ORGANISER_KINDS:
        raise PermissionDenied("only job-fair organisers, jobcentres and a-kasser organise fairs")
    return organisation


def may_organise(session: Session, actor: Actor) -> bool:
    """Whether the actor may create fairs (to show or hide "Opret jobmesse")."""
    try:
        _organiser_organisation(session, actor)
    except PermissionDenied:
        return False
    return True


def organiser_fair(session: Session, actor: Actor, fair_id: int) -> JobFair:
    """The fair, if the actor organises fairs and the fair is their organisation's.

    Raises :class:`PermissionDenied` for a role that never organises, :class:`OutOfScope` for
    an unknown fair or another organisation's (so the two cannot be told apart).
    """
    _organiser_organisation(session, actor)
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
    if _role(actor) is not Role.EMPLOYER or actor.organisation_id is None:
        raise OutOfScope("job_fair", fair_id, exists=session.get(JobFair, fair_id) is not None)
    row = _invitation(session, fair_id, actor.organisation_id)
    if row is None:
        raise OutOfScope("job_fair", fair_id, exists=session.get(JobFair, fair_id) is not None)
    return row


def get_fair(session: Session, actor: Actor, fair_id: int) -> JobFair:
    """The fair, for its organiser organisation or an invited employer; :class:`OutOfScope`
    (404) for anyone else, whether or not the fair exists."""
    if _role(actor) is Role.EMPLOYER:
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


# --- the fair form --------------------------------------------------------------------------


def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    # Windows line endings from browsers would count twice against the length limits.
    return str(value or "").replace("\r\n", "\n").strip()


def _values(data: Mapping, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), from a MultiDict or a plain mapping."""
    if hasattr(data, "getlist"):
        raw = data.getlist(name)
    else:
        raw = data.get(name) or []
        raw = [raw] if isinstance(raw, str) else list(raw)
    return [str(v).strip() for v in raw if str(v).strip()]


def parse_date(text: str) -> date | None:
    """A Danish date (``14-03-2027``, ``14.03.2027``, ``14/3/2027``) or an ISO date from
    ``<input type=date>``; None when it is neither."""
    text = text.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    danish = re.fullmatch(r"(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})", text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if danish:
            return date(int(danish[3]), int(danish[2]), int(danish[1]))
    except ValueError:
        return None
    return None


def _one_line(errors: dict[str, str], key: str, value: str, limit: int, what: str) -> None:
    if "\n" in value or "\r" in value:
        errors.setdefault(key, f"{what} skal stå på én linje.")
    elif len(value) > limit:
        errors.setdefault(key, f"{what} må højst være {limit} tegn (du har skrevet {len(value)}).")


def _municipality_codes(text: str, errors: dict[str, str]) -> list[int]:
    codes: list[int] = []
    unknown: list[str] = []
    for part in re.split(r"[,;\n]+", text):
        if not part.strip():
            continue
        code = municipality_code(part)
        if code is None:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    if unknown:
        shown = ", ".join(f"»{u[:40]}«" for u in unknown[:3])
        errors["municipality_codes"] = (
            f"Ukendt kommune: {shown}. Skriv kommunernes navne eller koder adskilt af komma, "
            "fx »Odense, Nyborg« eller »461, 450«."
        )
    return codes


def _check_fields(
    fields: Mapping[str, object],
    *,
    errors: dict[str, str],
    today: date,
    previous_day: date | None,
) -> None:
    """The rules for typed values (also for callers that skip :func:`read_fair_form`).
    ``previous_day`` is the stored date of a fair being edited (None for a new fair): only a
    date other than that one must not lie in the past."""
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


def read_fair_form(
    data: Mapping, *, fair: JobFair | None = None, today: date | None = None
) -> dict[str, object]:
    """The fair form's strings as typed values for :func:`create_fair` / :func:`update_fair`.

    ``held_on`` may be Danish (``dd-mm-åååå``) or ISO; ``target_groups`` are the checked
    :class:`TargetGroup` values; ``municipality_codes`` is text with kommune names or codes
    separated by commas. With ``fair`` (editing) an unchanged past date is accepted; a new fair
    cannot be in the past. Raises :class:`ValidationError` naming every bad field at once.
    """
    errors: dict[str, str] = {}
    day_text = _text(data, "held_on")
    held_on = parse_date(day_text) if day_text else None
    if day_text and held_on is None:
        errors["held_on"] = DATE_MESSAGE
    order = {g.value: i for i, g in enumerate(TargetGroup)}
    groups = sorted(set(_values(data, "target_groups")), key=lambda g: order.get(g, len(order)))
    fields: dict[str, object] = {
        "name": _text(data, "name"),
        "held_on": held_on,
        "place": _text(data, "place"),
        "target_groups": groups,
        "municipality_codes": _municipality_codes(_text(data, "municipality_codes"), errors),
        "description": _text(data, "description"),
    }
    _check_fields(
        fields,
        errors=errors,
        today=today or today_dk(),
        previous_day=fair.held_on if fair is not None else None,
    )
    if errors:
        raise ValidationError(errors)
    return fields


def fair_form_values(fair: JobFair) -> dict[str, object]:
    """The fair's values as the form shows them (municipalities by name)."""
    return {
        "name": fair.name,
        "held_on": fair.held_on.isoformat(),
        "place": fair.place,
        "target_groups": list(fair.target_groups or []),
        "municipality_codes": ", ".join(municipality_name(c) for c in fair.municipality_codes),
        "description": fair.description or "",
    }


def default_municipalities(session: Session, actor: Actor) -> str:
    """For a new fair: the organiser's own municipality by name, if it has one."""
    organisation = session.get(Organisation, actor.organisation_id or 0)
    code = organisation.municipality_code if organisation is not None else None
    return municipality_name(code) if code in MUNICIPALITIES else ""


def _audit_values(fair: JobFair) -> dict[str, object]:
    return {
        "name": fair.name,
        "held_on": fair.held_on.isoformat(),
        "place": fair.place,
        "target_groups": list(fair.target_groups or []),
        "municipality_codes": list(fair.municipality_codes or []),
    }


def _checked_fields(
    name: str,
    held_on: date,
    place: str,
    target_groups: Sequence[str],
    municipality_codes: Sequence[int],
    description: str,
    *,
    today: date | None,
    previous_day: date | None,
) -> dict[str, object]:
    """The fair's stored values, trimmed and checked (ValidationError naming every bad field)."""
    fields: dict[str, object] = {
        "name": (name or "").strip(),
        "held_on": held_on,
        "place": (place or "").strip(),
        "target_groups": list(target_groups),
        "municipality_codes": list(municipality_codes),
        "description": (description or "").strip(),
    }
    errors: dict[str, str] = {}
    _check_fields(fields, errors=errors, today=today or today_dk(), previous_day=previous_day)
    if errors:
        raise ValidationError(errors)
    return fields


def create_fair(
    session: Session,
    actor: Actor,
    *,
    name: str,
    held_on: date,
    place: str,
    target_groups: Sequence[str] = (),
    municipality_codes: Sequence[int] = (),
    description: str = "",
    today: date | None = None,
) -> JobFair:
    """Create a fair for the actor's organisation (organisers only). Audited; flushes."""
    organisation = _organiser_organisation(session, actor)
    fields = _checked_fields(
        name, held_on, place, target_groups, municipality_codes, description,
        today=today, previous_day=None,
    )  # fmt: skip
    fair = JobFair(organiser_id=organisation.id, **fields)
    session.add(fair)
    session.flush()
    record(session, actor, AuditAction.CREATE, "job_fair", fair.id, details=_audit_values(fair))
    session.flush()
    return fair


def update_fair(
    session: Session,
    actor: Actor,
    fair_id: int,
    *,
    name: str,
    held_on: date,
    place: str,
    target_groups: Sequence[str] = (),
    municipality_codes: Sequence[int] = (),
    description: str = "",
    today: date | None = None,
) -> JobFair:
    """Change the organiser's own fair. An unchanged past date is kept; a new date cannot be
    in the past. Shortlists are not rebuilt: the organiser rebuilds them after a change of
    scope. Audited with the names of the changed fields; flushes."""
    fair = organiser_fair(session, actor, fair_id)
    fields = _checked_fields(
        name, held_on, place, target_groups, municipality_codes, description,
        today=today, previous_day=fair.held_on,
    )  # fmt: skip
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


# --- lists of fairs -------------------------------------------------------------------------


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


def _page(session: Session, query: Select, page: int, per_page: int) -> tuple[list, int, int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return items, total, page


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
    role = _role(actor)
    if role is Role.EMPLOYER and actor.organisation_id is not None:
        query = (
            select(JobFair)
            .join(JobFairEmployer, JobFairEmployer.job_fair_id == JobFair.id)
            .where(JobFairEmployer.employer_id == actor.organisation_id)
        )
    else:
        organisation = _organiser_organisation(session, actor)
        query = select(JobFair).where(JobFair.organiser_id == organisation.id)
    if upcoming_only:
        query = query.where(JobFair.held_on >= today)
    query = query.order_by(*_upcoming_first(today)).options(selectinload(JobFair.organiser))
    fairs, total, page = _page(session, query, page, per_page)
    ids = [f.id for f in fairs]
    if not ids:
        return Page(items=[], total=total, page=page, per_page=per_page)

    if role is Role.EMPLOYER:
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
        return Page(items=items, total=total, page=page, per_page=per_page)

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
    return Page(items=items, total=total, page=page, per_page=per_page)


def unanswered_invitations(session: Session, actor: Actor, *, today: date | None = None) -> int:
    """How many upcoming fairs the employer's company has not answered yet (0 for others)."""
    if _role(actor) is not Role.EMPLOYER or actor.organisation_id is None:
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


# --- employers ------------------------------------------------------------------------------


def _notify_invitation(
    session: Session, fair: JobFair, organiser: Organisation, employer: Organisation, base_url: str
) -> int:
    body = (
        "Hej\n\n"
        f"{organiser.name} inviterer {employer.name} til jobmessen »{fair.name}« "
        f"den {danish_date(fair.held_on)} på {fair.place}.\n\n"
        "Se invitationen, svar ja eller nej, og tilmeld jeres stillinger her:\n"
        f"{base_url}/jobmesser/{fair.id}\n\n"
        "Venlig hilsen\nJobbro"
    )
    queued = 0
    for recipient in notifications.employer_recipients(session, employer):
        made = notifications.notify(
            session,
            kind="fair_invitation",
            recipient=recipient,
            subject=f"Invitation til jobmessen {fair.name}",
            body=body,
            object_type="job_fair",
            object_id=fair.id,
            dedupe_key=f"fair-invitation:{fair.id}:{employer.id}:{recipient.lower()}",
        )
        queued += made is not None
    return queued


def _verified_employer(session: Session, employer_id: int) -> Organisation | None:
    return session.scalar(
        select(Organisation).where(
            Organisation.id == employer_id,
            Organisation.kind == OrgKind.EMPLOYER,
            Organisation.active.is_(True),
            Organisation.verified_at.is_not(None),
        )
    )


def invite_employer(
    session: Session,
    actor: Actor,
    fair_id: int,
    employer_id: int,
    *,
    base_url: str = "",
    today: date | None = None,
) -> JobFairEmployer:
    """Invite a verified employer to the organiser's fair and queue the invitation e-mail to
    its users (deduplicated). A second invitation of the same company is refused."""
    fair = organiser_fair(session, actor, fair_id)
    _require_upcoming(fair, today, "employer_id")
    employer = _verified_employer(session, employer_id)
    if employer is None:
        raise ValidationError(
            {
                "employer_id": (
                    "Virksomheden findes ikke eller er ikke bekræftet af jobcentret. "
                    "Kun bekræftede virksomheder kan inviteres."
                )
            }
        )
    existing = _invitation(session, fair.id, employer.id)
    if existing is not None:
        raise ValidationError(
            {
                "employer_id": (
                    f"{employer.name} er allerede inviteret "
                    f"({STATUS_LABELS_DA[existing.status].lower()})."
                )
            }
        )
    row = JobFairEmployer(job_fair_id=fair.id, employer_id=employer.id, status=INVITED)
    try:
        with session.begin_nested():  # two organisers clicking at once: one invitation
            session.add(row)
    except IntegrityError:
        raise ValidationError({"employer_id": f"{employer.name} er allerede inviteret."}) from None
    organiser = session.get(Organisation, fair.organiser_id)
    assert organiser is not None
    mails = _notify_invitation(session, fair, organiser, employer, base_url)
    record(
        session,
        actor,
        AuditAction.CREATE,
        "job_fair_employer",
        row.id,
        details={"job_fair_id": fair.id, "employer_id": employer.id, "emails": mails},
    )
    session.flush()
    return row


@dataclass(frozen=True)
class EmployerCandidate:
    """A verified employer found by the organiser's search, with its status on this fair."""

    organisation: Organisation
    status: str | None  # None: not invited yet

    @property
    def status_label(self) -> str | None:
        return STATUS_LABELS_DA.get(self.status) if self.status else None


def employer_candidates(
    session: Session, actor: Actor, fair_id: int, query: str, *, limit: int = EMPLOYER_SEARCH_LIMIT
) -> list[EmployerCandidate]:
    """Verified, active employers whose name contains ``query`` or whose CVR starts with it
    (at most ``limit``, by name), each with its status on the fair if already invited."""
    fair = organiser_fair(session, actor, fair_id)
    needle = " ".join((query or "").split())[:SEARCH_MAX_CHARS]
    if not needle:
        return []
    conditions = [
        # SQLite's lower() folds ASCII only: compare as typed too, so "Ældre" finds "Ældre".
        func.lower(Organisation.name).contains(needle.lower(), autoescape=True),
        Organisation.name.contains(needle, autoescape=True),
    ]
    digits = needle.replace(" ", "")
    if digits.isdigit():
        conditions.append(Organisation.cvr.startswith(digits, autoescape=True))
    found = list(
        session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == OrgKind.EMPLOYER,
                Organisation.active.is_(True),
                Organisation.verified_at.is_not(None),
                or_(*conditions),
            )
            .order_by(Organisation.name, Organisation.id)
            .limit(limit)
        )
    )
    statuses = {
        row.employer_id: row.status
        for row in session.scalars(
            select(JobFairEmployer).where(
                JobFairEmployer.job_fair_id == fair.id,
                JobFairEmployer.employer_id.in_([o.id for o in found]),
            )
        )
    }
    return [EmployerCandidate(o, statuses.get(o.id)) for o in found]


def _employer_vacancies(session: Session, fair_id: int, employer_id: int) -> list[JobFairVacancy]:
    return list(
        session.scalars(
            select(JobFairVacancy)
            .join(Vacancy, Vacancy.id == JobFairVacancy.vacancy_id)
            .where(JobFairVacancy.job_fair_id == fair_id, Vacancy.employer_id == employer_id)
            .order_by(JobFairVacancy.id)
        )
    )


def remove_employer(session: Session, actor: Actor, fair_id: int, employer_id: int) -> None:
    """Withdraw an employer's invitation. Refused while any of its vacancies is attached (their
    shortlists are the organiser's work: detach them first, on purpose). Audited."""
    fair = organiser_fair(session, actor, fair_id)
    row = _invitation(session, fair.id, employer_id)
    if row is None:
        raise ValidationError({"employer_id": "Virksomheden er ikke inviteret til messen."})
    attached = _employer_vacancies(session, fair.id, employer_id)
    if attached:
        raise ValidationError(
            {
                "employer_id": (
                    f"Virksomheden har {len(attached)} "
                    f"{'stilling' if len(attached) == 1 else 'stillinger'} på messen. "
                    "Fjern stillingerne fra messen først."
                )
            }
        )
    record(
        session,
        actor,
        AuditAction.DELETE,
        "job_fair_employer",
        row.id,
        details={"job_fair_id": fair.id, "employer_id": employer_id, "status": row.status},
    )
    session.delete(row)
    session.flush()


def _detach(session: Session, actor: Actor, fair_vacancy: JobFairVacancy, reason: str) -> None:
    """Delete the attachment and its shortlist (ON DELETE CASCADE), audited with its size."""
    entries = session.scalar(
        select(func.count())
        .select_from(ShortlistEntry)
        .where(ShortlistEntry.job_fair_vacancy_id == fair_vacancy.id)
    )
    invited = session.scalar(
        select(func.count())
        .select_from(ShortlistEntry)
        .where(
            ShortlistEntry.job_fair_vacancy_id == fair_vacancy.id,
            ShortlistEntry.invited.is_(True),
        )
    )
    record(
        session,
        actor,
        AuditAction.DELETE,
        "job_fair_vacancy",
        fair_vacancy.id,
        details={
            "job_fair_id": fair_vacancy.job_fair_id,
            "vacancy_id": fair_vacancy.vacancy_id,
            "shortlist_entries": entries or 0,
            "invited": invited or 0,
            "reason": reason,
        },
    )
    # Explicitly, not by the foreign key's cascade: SQLite enforces it only when asked to.
    session.execute(
        delete(ShortlistEntry).where(ShortlistEntry.job_fair_vacancy_id == fair_vacancy.id)
    )
    session.delete(fair_vacancy)
    session.flush()


def respond(
    session: Session,
    actor: Actor,
    fair_id: int,
    accept: bool,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> JobFairEmployer:
    """The employer accepts or declines its invitation (and may change its mind until the
    day of the fair). Declining detaches the company's vacancies with their shortlists.
    Audited; ``responded_at`` is set."""
    row = _employer_invitation(session, actor, fair_id)
    fair = session.get(JobFair, fair_id)
    assert fair is not None
    _require_upcoming(fair, today)
    new = ACCEPTED if accept else DECLINED
    if row.status == new:
        return row
    old = row.status
    row.status = new
    row.responded_at = now or utcnow()
    session.flush()
    detached = []
    if not accept:
        for fair_vacancy in _employer_vacancies(session, fair.id, row.employer_id):
            detached.append(fair_vacancy.vacancy_id)
            _detach(session, actor, fair_vacancy, "employer declined")
    record(
        session,
        actor,
        AuditAction.UPDATE,
        "job_fair_employer",
        row.id,
        details={
            "job_fair_id": fair.id,
            "employer_id": row.employer_id,
            "status": [old, new],
            "detached_vacancy_ids": detached,
        },
    )
    session.flush()
    return row


# --- vacancies ------------------------------------------------------------------------------


def _fair_vacancy(session: Session, fair_id: int, vacancy_id: int) -> JobFairVacancy | None:
    return session.scalar(
        select(JobFairVacancy).where(
            JobFairVacancy.job_fair_id == fair_id, JobFairVacancy.vacancy_id == vacancy_id
        )
    )


def _matchable(session: Session, vacancy_id: int) -> bool:
    return (
        session.scalar(
            select(Vacancy.id).where(Vacancy.id == vacancy_id, matchable_vacancy_filter())
        )
        is not None
    )


def attach_vacancy(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int, *, today: date | None = None
) -> JobFairVacancy:
    """Put a vacancy on the fair, so a shortlist can be built for it.

    The organiser attaches any open vacancy of an invited or accepted employer; an employer
    attaches its own open vacancy once it has accepted (another company's vacancy is "not
    found"). The vacancy must be matchable (open; a company place approved). Audited.
    """
    if _role(actor) is Role.EMPLOYER:
        invitation = _employer_invitation(session, actor, fair_id)
        fair = session.get(JobFair, fair_id)
        assert fair is not None
        vacancy = session.get(Vacancy, vacancy_id)
        if vacancy is None or vacancy.employer_id != actor.organisation_id:
            raise OutOfScope("vacancy", vacancy_id, exists=vacancy is not None)
        if invitation.status == DECLINED:
            raise ValidationError(
                {"vacancy_id": "I har takket nej til messen. Svar ja, hvis I alligevel deltager."}
            )
        if invitation.status != ACCEPTED:
            raise ValidationError(
                {"vacancy_id": "Svar ja til invitationen, før I tilmelder stillinger."}
            )
        by = "employer"
    else:
        fair = organiser_fair(session, actor, fair_id)
        vacancy = session.get(Vacancy, vacancy_id)
        if vacancy is None:
            raise ValidationError({"vacancy_id": "Vælg en stilling på listen."})
        invitation = _invitation(session, fair.id, vacancy.employer_id)
        if invitation is None or invitation.status == DECLINED:
            raise ValidationError(
                {
                    "vacancy_id": (
                        "Virksomheden bag stillingen er ikke inviteret til messen eller har "
                        "takket nej."
                    )
                }
            )
        by = "organiser"
    _require_upcoming(fair, today, "vacancy_id")
    if _fair_vacancy(session, fair.id, vacancy.id) is not None:
        raise ValidationError({"vacancy_id": f"»{vacancy.title}« er allerede tilmeldt messen."})
    if not _matchable(session, vacancy.id):
        raise ValidationError({"vacancy_id": NOT_MATCHABLE_MESSAGE})
    fair_vacancy = JobFairVacancy(job_fair_id=fair.id, vacancy_id=vacancy.id)
    try:
        with session.begin_nested():  # the organiser and the employer at the same moment
            session.add(fair_vacancy)
    except IntegrityError:
        raise ValidationError(
            {"vacancy_id": f"»{vacancy.title}« er allerede tilmeldt messen."}
        ) from None
    record(
        session,
        actor,
        AuditAction.CREATE,
        "job_fair_vacancy",
        fair_vacancy.id,
        details={"job_fair_id": fair.id, "vacancy_id": vacancy.id, "by": by},
    )
    session.flush()
    return fair_vacancy


def detach_vacancy(session: Session, actor: Actor, fair_id: int, vacancy_id: int) -> None:
    """Take a vacancy off the fair, with its shortlist (the organiser, or the employer for its
    own vacancy). A locked shortlist must be unlocked first. Audited with the list's size."""
    if _role(actor) is Role.EMPLOYER:
        _employer_invitation(session, actor, fair_id)
        vacancy = session.get(Vacancy, vacancy_id)
        if vacancy is None or vacancy.employer_id != actor.organisation_id:
            raise OutOfScope("vacancy", vacancy_id, exists=vacancy is not None)
        locked_message = (
            "Arrangøren har låst kandidatlisten til stillingen. Kontakt arrangøren for at "
            "fjerne stillingen fra messen."
        )
    else:
        organiser_fair(session, actor, fair_id)
        locked_message = "Kandidatlisten er låst. Lås den op, før stillingen fjernes fra messen."
    fair_vacancy = _fair_vacancy(session, fair_id, vacancy_id)
    if fair_vacancy is None:
        raise ValidationError({"vacancy_id": "Stillingen er ikke tilmeldt messen."})
    if fair_vacancy.shortlist_locked:
        raise ValidationError({"vacancy_id": locked_message})
    _detach(session, actor, fair_vacancy, "detached")


def attachable_vacancies(session: Session, actor: Actor, fair_id: int) -> list[Vacancy]:
    """Matchable vacancies that could be attached and are not yet: for the organiser, those
    of invited or accepted employers; for an employer, its own."""
    if _role(actor) is Role.EMPLOYER:
        _employer_invitation(session, actor, fair_id)
        owner = Vacancy.employer_id == actor.organisation_id
    else:
        fair = organiser_fair(session, actor, fair_id)
        owner = Vacancy.employer_id.in_(
            select(JobFairEmployer.employer_id).where(
                JobFairEmployer.job_fair_id == fair.id, JobFairEmployer.status != DECLINED
            )
        )
    attached = select(JobFairVacancy.vacancy_id).where(JobFairVacancy.job_fair_id == fair_id)
    return list(
        session.scalars(
            select(Vacancy)
            .join(Organisation, Organisation.id == Vacancy.employer_id)
            .where(owner, matchable_vacancy_filter(), Vacancy.id.not_in(attached))
            .order_by(Organisation.name, Vacancy.title, Vacancy.id)
            .options(selectinload(Vacancy.employer))
        )
    )


# --- invitation marks -----------------------------------------------------------------------


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
    entry = session.scalar(
        select(ShortlistEntry).where(
            ShortlistEntry.job_fair_vacancy_id == fair_vacancy.id,
            ShortlistEntry.jobseeker_id == jobseeker_id,
            ShortlistEntry.removed.is_(False),
        )
    )
    if entry is None:
        raise ValidationError({"jobseeker_id": "Personen er ikke på listen."})
    if entry.invited == invited:
        return entry
    entry.invited = invited
    session.flush()
    record(
        session,
        actor,
        AuditAction.UPDATE,
        shortlists.OBJECT_TYPE,
        entry.id,
        jobseeker_id=jobseeker_id,
        details={
            "job_fair_id": fair.id,
            "vacancy_id": vacancy_id,
            "invited": [not invited, invited],
        },
    )
    session.flush()
    return entry


# --- what the portal shows ------------------------------------------------------------------


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


def _attached(session: Session, fair: JobFair, vacancy_id: int) -> JobFairVacancy:
    fair_vacancy = _fair_vacancy(session, fair.id, vacancy_id)
    if fair_vacancy is None:
        raise OutOfScope(
            "job_fair_vacancy", vacancy_id, exists=session.get(Vacancy, vacancy_id) is not None
        )
    return fair_vacancy


def shortlist_view(session: Session, actor: Actor, fair_id: int, vacancy_id: int) -> ShortlistView:
    """The vacancy's shortlist for the organiser: ranked match entries, then manual ones,
    each with invitation code, source, brancheskift, district, occupation, the reasons an
    employer may read, score, invitation mark, note and on how many of the fair's lists the
    person is; removed people separately (they can be added again)."""
    fair = organiser_fair(session, actor, fair_id)
    fair_vacancy = _attached(session, fair, vacancy_id)
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
    people = shortlist_rows.people(session, ids)
    matches = shortlist_rows.matches(session, vacancy_id, ids)
    several = shortlists.people_on_several_shortlists(session, actor, fair.id)
    rows, removed = [], []
    for entry in entries:
        pid = entry.jobseeker_id
        row = shortlist_rows.row(
            pid,
            people[pid],
            matches.get(pid),
            entry=entry,
            lists=several.get(pid, 0 if entry.removed else 1),
        )
        (removed if entry.removed else rows).append(row)
    return ShortlistView(
        fair, fair_vacancy, vacancy, rows, removed, _matchable(session, vacancy_id)
    )


def more_candidates(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int, *, limit: int = MORE_CANDIDATES
) -> list[CandidateRow]:
    """The next ranked matches in the fair's scope that are not on the list (and were not
    removed from it), for "Tilføj" buttons; the same pseudonymous fields as the list."""
    fair = organiser_fair(session, actor, fair_id)
    fair_vacancy = _attached(session, fair, vacancy_id)
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
    people = shortlist_rows.people(session, [m.jobseeker_id for m in chosen])
    counts: dict[int, int] = {}
    for entry, _ in _fair_entries(session, fair.id):
        counts[entry.jobseeker_id] = counts.get(entry.jobseeker_id, 0) + 1
    return [
        shortlist_rows.row(
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
    fair_vacancy = _attached(session, fair, vacancy_id)
    codes: dict[int, list[str]] = {}
    here: set[int] = set()
    for entry, entry_vacancy in _fair_entries(session, fair.id):
        if entry_vacancy == fair_vacancy.vacancy_id:
            here.add(entry.jobseeker_id)
        else:
            codes.setdefault(entry.jobseeker_id, []).append(entry.invitation_code)
    ids = [pid for pid in codes if pid not in here]
    people = shortlist_rows.people(session, ids)
    matches = shortlist_rows.matches(session, vacancy_id, ids)
    rows = [
        shortlist_rows.row(
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
    fair_vacancy = _attached(session, fair, vacancy_id)
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
    organiser = _role(actor) is not Role.EMPLOYER
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
        several = _several(session, actor, fair, {v.id: v for _, v in attached})
    rows = [
        FairVacancyRow(fv, v, shortlisted.get(fv.id, 0), invited.get(fv.id, 0), v.id in matchable)
        for fv, v in attached
    ]
    accepted = organiser or (invitation is not None and invitation.status == ACCEPTED)
    upcoming = fair.held_on >= (today or today_dk())
    attachable = attachable_vacancies(session, actor, fair.id) if accepted and upcoming else []
    return FairOverview(fair, organiser, invitation, employers, rows, attachable, several)


def _several(
    session: Session, actor: Actor, fair: JobFair, vacancies: Mapping[int, Vacancy]
) -> list[PersonOnLists]:
    counts = shortlists.people_on_several_shortlists(session, actor, fair.id)
    if not counts:
        return []
    people = shortlist_rows.people(session, counts)
    lists: dict[int, list[tuple[str, str, str]]] = {}
    for entry, vacancy_id in _fair_entries(session, fair.id):
        if entry.jobseeker_id in counts:
            vacancy = vacancies[vacancy_id]
            lists.setdefault(entry.jobseeker_id, []).append(
                (vacancy.employer.name, vacancy.title, entry.invitation_code)
            )
    result = [
        PersonOnLists(
            pid,
            people[pid].name,
            people[pid].district,
            people[pid].occupation,
            tuple(sorted(lists.get(pid, []))),
        )
        for pid in counts
    ]
    return sorted(result, key=lambda p: (-len(p.entries), p.entries))
