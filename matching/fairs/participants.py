"""Job fairs (jobmesser): organisers create fairs, invite verified employers and attach
vacancies, whose shortlists :mod:`matching.fairs.shortlists` builds; employers answer the invitation
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

People on a shortlist are shown the way exports show them (:mod:`matching.fairs.exports.rows`): by
invitation code, postal district, occupation and the match reasons an employer may read; the
name only when the person consented to share with employers. CPR and birth date are never read.

Every change writes an audit entry. Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.core import notifications, permissions
from matching.core.audit import Actor, record
from matching.core.dates import format_long_date
from matching.core.errors import OutOfScope, ValidationError
from matching.fairs.planning import (
    ACCEPTED,
    DECLINED,
    INVITED,
    STATUS_LABELS_DA,
    _employer_invitation,
    _invitation,
    _require_upcoming,
    organiser_fair,
)
from matching.models import (
    AuditAction,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Organisation,
    OrgKind,
    Role,
    ShortlistEntry,
    Vacancy,
    utcnow,
)
from matching.vacancies.queries import is_matchable, matchable_vacancy_filter

SEARCH_MAX_CHARS = 100


EMPLOYER_SEARCH_LIMIT = 20


NOT_MATCHABLE_MESSAGE = (
    "Stillingen er ikke åben for match. Kun åbne stillinger og godkendte virksomhedspladser "
    "kan tilmeldes messen."
)


def _notify_invitation(
    session: Session, fair: JobFair, organiser: Organisation, employer: Organisation, base_url: str
) -> int:
    body = (
        "Hej\n\n"
        f"{organiser.name} inviterer {employer.name} til jobmessen »{fair.name}« "
        f"den {format_long_date(fair.held_on)} på {fair.place}.\n\n"
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


def _fair_vacancy(session: Session, fair_id: int, vacancy_id: int) -> JobFairVacancy | None:
    return session.scalar(
        select(JobFairVacancy).where(
            JobFairVacancy.job_fair_id == fair_id, JobFairVacancy.vacancy_id == vacancy_id
        )
    )


def attached_fair_vacancy(session: Session, fair_id: int, vacancy_id: int) -> JobFairVacancy:
    """The vacancy's attachment to the fair; :class:`OutOfScope` when it is not attached."""
    fair_vacancy = _fair_vacancy(session, fair_id, vacancy_id)
    if fair_vacancy is None:
        raise OutOfScope(
            "job_fair_vacancy", vacancy_id, exists=session.get(Vacancy, vacancy_id) is not None
        )
    return fair_vacancy


def attach_vacancy(
    session: Session, actor: Actor, fair_id: int, vacancy_id: int, *, today: date | None = None
) -> JobFairVacancy:
    """Put a vacancy on the fair, so a shortlist can be built for it.

    The organiser attaches any open vacancy of an invited or accepted employer; an employer
    attaches its own open vacancy once it has accepted (another company's vacancy is "not
    found"). The vacancy must be matchable (open; a company place approved). Audited.
    """
    if permissions.role_of(actor) is Role.EMPLOYER:
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
    if not is_matchable(session, vacancy.id):
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
    if permissions.role_of(actor) is Role.EMPLOYER:
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
    if permissions.role_of(actor) is Role.EMPLOYER:
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
