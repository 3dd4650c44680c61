"""Employers create and edit vacancies and company places.

Ordinary vacancies::

    draft → open (publish) ⇄ paused;  open/paused → closed → open (reopen);  open/paused → filled

Company places (virksomhedspraktik, løntilskud, voksenlærling, IGU) are approved by a jobcentre
before anyone can be matched to them::

    draft/rejected → pending_approval (submit) → open (approve) | rejected (reject, with a reason)

and then follow the ordinary lifecycle. Editing a field the rules depend on (see
:data:`RULE_FIELDS`) sends an approved place back to the jobcentre.

Every transition is a row of :data:`matching.vacancies.lifecycle.VACANCIES`; anything not in
the table is refused with :class:`~matching.core.errors.InvalidTransition`. Input breaking a
rule raises :class:`~matching.core.errors.ValidationError` with a Danish message per form
field. Every change is written to the audit log. Functions flush; the caller commits (and then
enqueues the match job).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import audit, dates, geo, permissions
from matching.core.audit import Actor
from matching.core.dates import format_date
from matching.core.errors import ValidationError
from matching.models import (
    ApprovalStatus,
    AuditAction,
    Occupation,
    Organisation,
    PNumber,
    Vacancy,
    VacancyKind,
    WorkingTime,
)
from matching.models.vacancies import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS
from matching.rules import eligibility
from matching.rules import rimelighedskrav as rimelighedskrav_rules
from matching.vacancies.lifecycle import (
    RULE_CHANGE,
    STATEMENT_REQUIRED,
    VACANCIES,
    S,
    _apply,
    can_fire,
    claim_version,
)
from matching.vacancies.queries import get_vacancy_for

MIN_WEEKLY_HOURS = Decimal(1)


MAX_WEEKLY_HOURS = Decimal(80)  # the hours_range check constraint


MAX_POSITIONS = 999  # the positions_range check constraint


MAX_DURATION_WEEKS = 156  # the duration_range check constraint


IGU_MAX_WEEKS = 104  # an IGU lasts two years (domain.md §2, S15)


MAX_STAFF = Decimal("99999.9")  # Numeric(7, 1)


MAX_SUBSIDISED = 9999


NAME_MAX_CHARS = 200


PHONE_MAX_CHARS = 20


EMAIL_MAX_CHARS = 254


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


_PHONE_RE = re.compile(r"^\+?[\d ]{8,}$")


# Fields the rules and the rimelighedskrav read: changing one after approval needs a new one.
RULE_FIELDS = frozenset(
    {
        "kind",
        "ordinary_staff_fte",
        "current_subsidised_count",
        "duration_weeks",
        "start_date",
        "employee_rep_statement",
        "weekly_hours",  # IGU's 25 hours, and what the place asks of the person
        "p_number_id",  # the staff count and the rimelighedskrav belong to the workplace
        "purpose",  # required since 2020 and judged by the jobcentre
    }
)


@dataclass(frozen=True)
class VacancyInput:
    """A vacancy or place as typed values (the portal's form and the API convert to this).
    ``unreadable`` names fields whose text the caller could not read as their type (with the
    Danish message), so one round reports every problem and a rule's "required" never hides
    "not a number"."""

    kind: VacancyKind
    title: str
    description: str
    postal_code: str
    weekly_hours: Decimal | None = Decimal(37)
    positions: int | None = 1
    requirements: str = ""
    esco_uri: str | None = None
    address: str = ""
    working_time: WorkingTime = WorkingTime.NORMAL
    start_date: date | None = None
    deadline: date | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    p_number_id: int | None = None
    # company places
    ordinary_staff_fte: Decimal | None = None
    current_subsidised_count: int | None = None
    employee_rep_statement: bool | None = None
    employee_rep_name: str = ""
    duration_weeks: int | None = None
    purpose: str = ""
    unreadable: Mapping[str, str] = field(default_factory=dict)


def _length(errors: dict[str, str], name: str, value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        errors.setdefault(name, f"{what} må højst være {limit} tegn (du har skrevet {len(value)}).")


def _check(
    session: Session,
    employer_id: int,
    data: VacancyInput,
    *,
    today: date,
    current: Vacancy | None,
    strict: bool,
) -> Occupation | None:
    """Raise ValidationError naming every problem of ``data``; returns the chosen occupation.

    ``current`` is the vacancy being edited (dates already in the past may stay as they are);
    ``strict`` adds what a place needs before the jobcentre sees it.
    """
    errors: dict[str, str] = {}
    place = data.kind.is_company_place
    if current is not None and current.is_company_place != place:
        errors["kind"] = (
            "En ordinær stilling kan ikke laves om til en virksomhedsplads eller omvendt. "
            "Opret en ny i stedet."
        )

    if not data.title:
        errors["title"] = "Skriv en titel på stillingen."
    _length(errors, "title", data.title, TITLE_MAX_CHARS, "Titlen")
    if not data.description:
        errors["description"] = "Skriv en beskrivelse af stillingen."
    _length(errors, "description", data.description, DESCRIPTION_MAX_CHARS, "Beskrivelsen")
    _length(errors, "requirements", data.requirements, DESCRIPTION_MAX_CHARS, "Kravene")
    _length(errors, "address", data.address, NAME_MAX_CHARS, "Adressen")

    if not re.fullmatch(r"\d{4}", data.postal_code):
        errors["postal_code"] = "Skriv et postnummer med fire cifre, fx 5000."
    elif data.postal_code not in geo.postal_centroids():
        errors["postal_code"] = f"Postnummeret {data.postal_code} findes ikke i Danmark."

    if data.weekly_hours is None:
        errors["weekly_hours"] = "Skriv antal timer pr. uge."
    elif not MIN_WEEKLY_HOURS <= data.weekly_hours <= MAX_WEEKLY_HOURS:
        errors["weekly_hours"] = "Timer pr. uge skal være mellem 1 og 80."
    if data.positions is None:
        errors["positions"] = "Skriv antal stillinger."
    elif not 1 <= data.positions <= MAX_POSITIONS:
        errors["positions"] = f"Antal stillinger skal være mellem 1 og {MAX_POSITIONS}."

    _check_dates(errors, data, today=today, current=current, place=place)

    _length(errors, "contact_name", data.contact_name, NAME_MAX_CHARS, "Navnet")
    if data.contact_email and (
        len(data.contact_email) > EMAIL_MAX_CHARS or not _EMAIL_RE.match(data.contact_email)
    ):
        errors["contact_email"] = "Skriv en gyldig e-mail, fx navn@virksomhed.dk."
    if data.contact_phone and (
        len(data.contact_phone) > PHONE_MAX_CHARS or not _PHONE_RE.match(data.contact_phone)
    ):
        errors["contact_phone"] = "Skriv et telefonnummer med mindst 8 cifre, fx 12 34 56 78."

    if data.p_number_id is not None:
        p_number = session.get(PNumber, data.p_number_id)
        if p_number is None or p_number.organisation_id != employer_id:
            errors["p_number_id"] = "Vælg et af virksomhedens egne P-numre."

    occupation = None
    if data.esco_uri is not None:
        occupation = session.scalar(
            select(Occupation).where(
                Occupation.uri == data.esco_uri, Occupation.concept_type == "Occupation"
            )
        )
        if occupation is None:
            errors["esco_uri"] = (
                "Den valgte stillingsbetegnelse findes ikke. Vælg en anden, "
                "eller vælg »Ingen af disse«."
            )

    if place:
        _check_place(session, employer_id, errors, data, today=today, strict=strict)
    errors.update(data.unreadable)  # "not a number" says more than "required"
    if errors:
        raise ValidationError(errors)
    return occupation


def _check_dates(
    errors: dict[str, str],
    data: VacancyInput,
    *,
    today: date,
    current: Vacancy | None,
    place: bool,
) -> None:
    """New or changed dates may not lie in the past; a place needs a start date (the rules in
    force are chosen by it); applications close on the start date at the latest."""
    start, deadline = data.start_date, data.deadline
    if start is None:
        if place:
            errors["start_date"] = "Skriv hvornår pladsen starter."
    elif start < today and (current is None or current.start_date != start):
        errors["start_date"] = "Tiltrædelsesdatoen må ikke ligge før i dag."
    if deadline is not None:
        if deadline < today and (current is None or current.deadline != deadline):
            errors["deadline"] = "Ansøgningsfristen må ikke ligge før i dag."
        elif start is not None and start >= today and deadline > start:
            errors["deadline"] = (
                f"Ansøgningsfristen skal ligge senest på tiltrædelsesdagen ({format_date(start)})."
            )


def _check_place(
    session: Session,
    employer_id: int,
    errors: dict[str, str],
    data: VacancyInput,
    *,
    today: date,
    strict: bool,
) -> None:
    start = data.start_date or today
    staff = data.ordinary_staff_fte
    if staff is None:
        errors["ordinary_staff_fte"] = "Skriv antal ordinært ansatte på P-nummeret."
    elif not Decimal(0) <= staff <= MAX_STAFF:
        errors["ordinary_staff_fte"] = "Antal ordinært ansatte skal være mellem 0 og 99.999."
    elif (
        rimelighedskrav_rules.staff_count_basis(start).unit == "heads"
        and staff != staff.to_integral()
    ):
        errors["ordinary_staff_fte"] = "Før 2020 tælles ansatte i hele personer, ikke årsværk."
    subsidised = data.current_subsidised_count
    if subsidised is None:
        errors["current_subsidised_count"] = (
            "Skriv hvor mange i praktik, løntilskud eller nytteindsats I har nu (0 hvis ingen)."
        )
    elif not 0 <= subsidised <= MAX_SUBSIDISED:
        errors["current_subsidised_count"] = f"Antallet skal være mellem 0 og {MAX_SUBSIDISED}."
    if data.employee_rep_statement is None:
        errors["employee_rep_statement"] = (
            "Svar på, om der er en udtalelse fra medarbejderrepræsentanten."
        )
    elif strict and not data.employee_rep_statement and data.kind in STATEMENT_REQUIRED:
        errors["employee_rep_statement"] = (
            f"{data.kind.label_da} kræver en skriftlig udtalelse fra tillidsrepræsentanten "
            "eller medarbejderne (rimelighedskravet), før pladsen sendes til godkendelse."
        )
    _length(errors, "employee_rep_name", data.employee_rep_name, NAME_MAX_CHARS, "Navnet")
    if not data.purpose:
        errors["purpose"] = "Skriv formålet med pladsen."
    _length(errors, "purpose", data.purpose, DESCRIPTION_MAX_CHARS, "Formålet")

    weeks = data.duration_weeks
    limit = IGU_MAX_WEEKS if data.kind is VacancyKind.IGU else MAX_DURATION_WEEKS
    if weeks is None:
        errors["duration_weeks"] = "Skriv hvor mange uger pladsen varer."
    elif not 1 <= weeks <= limit:
        errors["duration_weeks"] = f"Varigheden skal være mellem 1 og {limit} uger."
    if errors.keys() & {"start_date", "duration_weeks", "weekly_hours"}:
        return  # the rules need sound facts
    employer = session.get(Organisation, employer_id)
    facts = eligibility.PlaceFacts(
        kind=data.kind,
        employer_name=employer.name if employer else "",
        duration_weeks=weeks,
        start_date=start,
        weekly_hours=float(data.weekly_hours) if data.weekly_hours is not None else None,
    )
    for name, message in _rule_refusals(facts, today).items():
        errors.setdefault(name, message)


def _rule_refusals(facts: eligibility.PlaceFacts, today: date) -> dict[str, str]:
    """Rule outcomes that refuse the place for everyone, keyed by the field to change: the
    field is the one whose removal makes the refusal go away."""
    found: dict[str, str] = {}
    refusals = eligibility.place_refusals(facts, today)
    if not refusals:
        return found
    cleared = {
        name: {o.rule_id for o in eligibility.place_refusals(replace(facts, **{name: None}), today)}
        for name in ("duration_weeks", "weekly_hours", "start_date")
    }
    for outcome in refusals:
        name = next((n for n, still in cleared.items() if outcome.rule_id not in still), "")
        message = outcome.message_da
        if outcome.max_weeks is not None:
            message += f". Vælg højst {outcome.max_weeks} uger"
        found.setdefault(name, message + ".")
    return found


def _same(old: object, new: object) -> bool:
    """Equal values; numbers by value (the database gives Decimal, the form may give int)."""
    numbers = (int, float, Decimal)
    if isinstance(old, numbers) and isinstance(new, numbers) and bool not in (type(old), type(new)):
        return Decimal(str(old)) == Decimal(str(new))
    return old == new


def _changes(
    vacancy: Vacancy, data: VacancyInput, occupation: Occupation | None
) -> dict[str, object]:
    """The vacancy's columns that ``data`` changes, with their new values."""
    place = data.kind.is_company_place
    values: dict[str, object] = {
        "kind": data.kind,
        "title": data.title,
        "description": data.description,
        "requirements": data.requirements,
        "esco_uri": occupation.uri if occupation else None,
        "isco_code": occupation.isco_code if occupation else None,
        "address": data.address or None,
        "postal_code": data.postal_code,
        "weekly_hours": data.weekly_hours,
        "working_time": data.working_time,
        "start_date": data.start_date,
        "deadline": data.deadline,
        "positions": data.positions,
        "contact_name": data.contact_name or None,
        "contact_email": data.contact_email or None,
        "contact_phone": data.contact_phone or None,
        "p_number_id": data.p_number_id,
        "ordinary_staff_fte": data.ordinary_staff_fte if place else None,
        "current_subsidised_count": data.current_subsidised_count if place else None,
        "employee_rep_statement": data.employee_rep_statement if place else None,
        "employee_rep_name": (data.employee_rep_name or None) if place else None,
        "duration_weeks": data.duration_weeks if place else None,
        "purpose": (data.purpose or None) if place else None,
    }
    return {
        name: value
        for name, value in values.items()
        if not _same(getattr(vacancy, name, None), value)
    }


def _assign(vacancy: Vacancy, changes: dict[str, object]) -> None:
    for name, value in changes.items():
        setattr(vacancy, name, value)


def create_vacancy(
    session: Session,
    actor: Actor,
    data: VacancyInput,
    *,
    publish: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> Vacancy:
    """Create a vacancy or place as a draft for the actor's organisation (an employer).

    ``publish`` then publishes an ordinary vacancy or submits a place for approval.
    """
    employer_id = permissions.require_employer(actor)
    today = today or dates.today_dk()
    strict = publish and data.kind.is_company_place
    occupation = _check(session, employer_id, data, today=today, current=None, strict=strict)
    vacancy = Vacancy(
        kind=data.kind,
        status=S.DRAFT,
        employer_id=employer_id,
        created_by_id=actor.user_id,
        # A place needs an approval from the start (the places_need_approval constraint).
        approval_status=(
            ApprovalStatus.PENDING if data.kind.is_company_place else ApprovalStatus.NOT_REQUIRED
        ),
    )
    _assign(vacancy, _changes(vacancy, data, occupation))
    session.add(vacancy)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "vacancy",
        vacancy.id,
        details={"kind": vacancy.kind.value, "status": vacancy.status.value},
    )
    if publish:
        _apply(session, vacancy, publish_event(vacancy), actor, today=today, now=now)
    session.flush()
    return vacancy


def publish_event(vacancy: Vacancy) -> str:
    """The event of the form's "publish" button: publish a vacancy, submit a place."""
    return "submit" if vacancy.is_company_place else "publish"


def update_vacancy(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    data: VacancyInput,
    *,
    publish: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> Vacancy:
    """Save the employer's changes to its own vacancy or place (404 for anyone else's).

    An approved place whose rule fields changed goes back to the jobcentre for approval.
    ``publish`` then publishes a draft or (re)submits a draft or rejected place.
    """
    employer_id = permissions.require_employer(actor)
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    claim_version(session, vacancy)  # an approver's decision on the old fields is refused
    today = today or dates.today_dk()
    event = publish_event(vacancy) if publish else None
    if event is not None and not can_fire(vacancy, event):
        event = None  # already published or submitted: saving is all there is to do
    strict = vacancy.is_company_place and (
        event == "submit" or vacancy.status not in (S.DRAFT, S.REJECTED)
    )
    occupation = _check(session, employer_id, data, today=today, current=vacancy, strict=strict)
    changes = _changes(vacancy, data, occupation)
    changed = set(changes)
    reapproval = vacancy.approval_status is ApprovalStatus.APPROVED and bool(changed & RULE_FIELDS)
    if reapproval and vacancy.status not in (S.OPEN, S.PENDING_APPROVAL):
        # An approval opens the place: a paused, closed or filled one must not reopen that way.
        raise ValidationError(
            {
                "": "Genoptag eller genåbn pladsen, før du ændrer det, jobcentret har godkendt "
                "(type, ansatte, varighed, start, timer, arbejdssted, formål eller udtalelse)."
            }
        )
    _assign(vacancy, changes)
    previous = vacancy.status
    if reapproval:
        if vacancy.status is S.OPEN:
            VACANCIES.fire(session, vacancy, "resubmit", party=RULE_CHANGE, actor=actor, at=now)
        vacancy.approval_status = ApprovalStatus.PENDING
        vacancy.approved_by_id = None
        vacancy.approved_at = None
    change = {
        "fields": sorted(changed),
        "from": previous.value,
        "to": vacancy.status.value,
        "reapproval": reapproval,
    }
    audit.record(session, actor, AuditAction.UPDATE, "vacancy", vacancy.id, details=change)
    if event is not None:
        _apply(session, vacancy, event, actor, today=today, now=now)
    session.flush()
    return vacancy


def rimelighedskrav(
    vacancy: Vacancy, today: date | None = None
) -> rimelighedskrav_rules.Rimelighedskrav | None:
    """The place's rimelighedskrav on its start date (None for vacancies or without a count).

    A place that does not fulfil it can still be submitted: the approver decides, warned.
    """
    if not vacancy.is_company_place:
        return None
    return rimelighedskrav_rules.rimelighedskrav_for(
        float(vacancy.ordinary_staff_fte) if vacancy.ordinary_staff_fte is not None else None,
        vacancy.current_subsidised_count,
        vacancy.start_date or today or dates.today_dk(),
    )
