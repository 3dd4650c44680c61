"""Registering and maintaining people: the person's data checked field by field, the CPR number
stored encrypted with its look-up hash, the target-group history, and responsibility given by
the dated routing rules.

A person is created only by the organisation the routing rules name as responsible today
(:class:`NotResponsible` otherwise), and only once: the CPR look-up hash finds an existing
person (:class:`DuplicatePerson`, which tells whether the actor may see that person). A change
that would make another organisation responsible is refused with
:class:`ResponsibilityWouldChange` unless the caller confirms it (``hand_over=True``); the
data is then saved and the person handed over through the ordinary handover
(:func:`matching.people.handovers.apply_routing`), with its note, referrals and e-mail.
Services flush and never commit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import audit, geo
from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import JobbroError, ValidationError
from matching.core.permissions import COUNSELLORS, require_role
from matching.core.security import (
    cpr_birth_date,
    cpr_lookup_hash,
    cpr_lookup_hashes,
    encrypt_cpr,
    normalise_cpr,
)
from matching.core.settings import Settings
from matching.models import (
    AuditAction,
    EducationLevel,
    Jobseeker,
    Organisation,
    OrgKind,
    ResponsibilityPeriod,
    TargetGroup,
    TargetGroupPeriod,
)
from matching.people.handovers import apply_routing
from matching.people.queries import responsible_on
from matching.people.responsibility import Resolution, resolve_organisation

PURPOSE = "sagsbehandling"
NAME_MAX_CHARS = 100
EMAIL_MAX_CHARS = 254
PHONE_MAX_CHARS = 20
ADDRESS_MAX_CHARS = 200
REASON_MAX_CHARS = 200  # ResponsibilityPeriod.reason
MAX_COMMUTE_KM = 500
PSEUDONYM_PREFIX = "L-"
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_PHONE_RE = re.compile(r"^\+?[0-9 ]{8,19}$")
_POSTAL_RE = re.compile(r"^\d{4}$")

# The fields of PersonData that are compared and reported by name in an update.
PERSON_FIELDS = (
    "cpr",
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "postal_code",
    "municipality_code",
    "a_kasse_id",
    "unemployment_start",
    "target_groups",
    "education_level",
    "max_commute_km",
    "willing_to_switch_industry",
    "chose_jobcentre",
)


@dataclass(frozen=True)
class TargetGroupSpan:
    """A target group from ``valid_from`` until ``valid_to`` (exclusive; None: still)."""

    target_group: TargetGroup
    valid_from: date
    valid_to: date | None = None


@dataclass(kw_only=True)
class PersonData:
    """What a counsellor (or an import) states about a person."""

    cpr: str
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    street_address: str | None = None
    postal_code: str
    municipality_code: int | None = None  # None: derived from the postal code
    a_kasse_id: int | None = None  # None: not insured
    unemployment_start: date | None = None
    target_groups: list[TargetGroupSpan] = field(default_factory=list)
    education_level: EducationLevel | None = None
    max_commute_km: int = 30
    willing_to_switch_industry: bool = True
    chose_jobcentre: bool = False  # the person chose the jobcentre over the a-kasse

    @classmethod
    def of(cls, person: Jobseeker, cpr: str) -> PersonData:
        """The stored person as PersonData (``cpr`` decrypted by the caller)."""
        return cls(
            cpr=cpr,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            phone=person.phone,
            street_address=person.street_address,
            postal_code=person.postal_code,
            municipality_code=person.municipality_code,
            a_kasse_id=person.a_kasse_id,
            unemployment_start=person.unemployment_start,
            target_groups=[
                TargetGroupSpan(p.target_group, p.valid_from, p.valid_to)
                for p in person.target_groups
            ],
            education_level=person.education_level,
            max_commute_km=person.max_commute_km,
            willing_to_switch_industry=person.willing_to_switch_industry,
            chose_jobcentre=person.chose_jobcentre,
        )


@dataclass(frozen=True)
class FieldError:
    """One problem with one field (``target_groups-0-valid_to`` for a period's field)."""

    field: str
    message_da: str


class InvalidPerson(ValidationError):
    """The data breaks one or more rules; ``field_errors`` lists every problem."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.field_errors = list(errors)
        merged: dict[str, str] = {}
        for error in self.field_errors:
            merged[error.field] = (
                f"{merged[error.field]} {error.message_da}"
                if error.field in merged
                else error.message_da
            )
        super().__init__(merged)


class DuplicatePerson(JobbroError):
    """A person with this CPR number exists already. ``visible``: the actor's organisation is
    responsible for that person today (else the portal must not hint who is)."""

    def __init__(self, existing_id: int, visible: bool) -> None:
        self.existing_id = existing_id
        self.visible = visible
        super().__init__(
            "Personen er allerede oprettet."
            if visible
            else "Personen kan ikke oprettes. Kontakt den ansvarlige organisation."
        )


class NotResponsible(JobbroError):
    """The routing rules name another organisation (or none) as responsible today."""

    def __init__(self, message_da: str) -> None:
        self.message_da = message_da
        super().__init__(message_da)


class ResponsibilityWouldChange(NotResponsible):
    """An update would make another organisation (or none) responsible; nothing was saved."""


# --- validation ------------------------------------------------------------------------------


def _check_length(errors: list[FieldError], name: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        errors.append(FieldError(name, f"Højst {limit} tegn."))


def validate(session: Session, data: PersonData) -> list[FieldError]:
    """Every problem with ``data`` (empty when it may be stored). Reads the a-kasse."""
    errors: list[FieldError] = []
    try:
        normalise_cpr(data.cpr or "")
    except ValidationError as exc:
        errors.append(FieldError("cpr", exc.errors["cpr"]))
    for name, label in (("first_name", "Fornavn"), ("last_name", "Efternavn")):
        value = (getattr(data, name) or "").strip()
        if not value:
            errors.append(FieldError(name, f"{label} skal udfyldes."))
        _check_length(errors, name, value, NAME_MAX_CHARS)
    if data.email and (len(data.email) > EMAIL_MAX_CHARS or not _EMAIL_RE.match(data.email)):
        errors.append(FieldError("email", "Skriv en gyldig e-mailadresse, fx navn@eksempel.dk."))
    if data.phone and not _PHONE_RE.match(data.phone):
        errors.append(FieldError("phone", "Skriv et telefonnummer med mindst 8 cifre."))
    _check_length(errors, "street_address", data.street_address, ADDRESS_MAX_CHARS)
    postal = (data.postal_code or "").strip()
    if not postal:
        errors.append(FieldError("postal_code", "Postnummer skal udfyldes."))
    elif not _POSTAL_RE.match(postal) or not geo.is_postal_code(postal):
        errors.append(FieldError("postal_code", "Postnummeret findes ikke."))
    if data.municipality_code is not None:
        if data.municipality_code not in geo.MUNICIPALITIES:
            errors.append(FieldError("municipality_code", "Kommunekoden findes ikke."))
    elif postal and geo.is_postal_code(postal) and geo.municipality_for_postal_code(postal) is None:
        errors.append(
            FieldError(
                "municipality_code",
                "Kommunen kan ikke udledes af postnummeret. Vælg bopælskommunen.",
            )
        )
    if data.a_kasse_id is not None:
        org = session.get(Organisation, data.a_kasse_id)
        if org is None or org.kind is not OrgKind.A_KASSE or not org.active:
            errors.append(FieldError("a_kasse_id", "Vælg en aktiv a-kasse."))
    errors.extend(_target_group_errors(data.target_groups))
    if not 0 <= data.max_commute_km <= MAX_COMMUTE_KM:
        errors.append(
            FieldError("max_commute_km", f"Transportafstanden skal være 0-{MAX_COMMUTE_KM} km.")
        )
    return errors


def _target_group_errors(spans: list[TargetGroupSpan]) -> list[FieldError]:
    if not spans:
        return [FieldError("target_groups", "Angiv mindst én målgruppeperiode.")]
    errors: list[FieldError] = []
    for i, span in enumerate(spans):
        if span.valid_to is not None and span.valid_to <= span.valid_from:
            errors.append(
                FieldError(
                    f"target_groups-{i}-valid_to", "Slutdatoen skal ligge efter startdatoen."
                )
            )
    ordered = sorted(enumerate(spans), key=lambda pair: pair[1].valid_from)
    for (_, earlier), (j, later) in zip(ordered, ordered[1:], strict=False):
        if earlier.valid_to is None or earlier.valid_to > later.valid_from:
            errors.append(
                FieldError(
                    f"target_groups-{j}-valid_from",
                    "Perioden overlapper en anden målgruppeperiode.",
                )
            )
    return errors


def _require_valid(session: Session, data: PersonData) -> None:
    errors = validate(session, data)
    if errors:
        raise InvalidPerson(errors)


# --- look-up ---------------------------------------------------------------------------------


def _key(settings_or_key: Settings | bytes) -> bytes:
    return settings_or_key if isinstance(settings_or_key, bytes) else settings_or_key.cpr_key


def find_by_cpr(session: Session, settings_or_key: Settings | bytes, cpr: str) -> Jobseeker | None:
    """The person with this CPR number (by the keyed look-up hash), or None.

    Raises :class:`ValidationError` for a CPR number that cannot be read."""
    lookups = cpr_lookup_hashes(_key(settings_or_key), cpr)  # a key rotation: both keys
    return session.scalar(select(Jobseeker).where(Jobseeker.cpr_lookup.in_(lookups)))


def _visible(session: Session, actor: Actor, person_id: int, day: date) -> bool:
    if actor.organisation_id is None:
        return False
    return (
        session.scalar(
            select(Jobseeker.id).where(
                Jobseeker.id == person_id, responsible_on(actor.organisation_id, day)
            )
        )
        is not None
    )


def _new_pseudonym(session: Session) -> str:
    """``L-`` and eight digits, like the demo's, unused so far."""
    while True:
        candidate = f"{PSEUDONYM_PREFIX}{secrets.randbelow(10**8):08d}"
        if session.scalar(select(Jobseeker.id).where(Jobseeker.pseudonym == candidate)) is None:
            return candidate


# --- create ----------------------------------------------------------------------------------


def apply_person_data(person: Jobseeker, data: PersonData) -> None:
    """Copy the data (except CPR) onto the person, target-group periods included."""
    person.first_name = data.first_name.strip()
    person.last_name = data.last_name.strip()
    person.email = (data.email or "").strip() or None
    person.phone = (data.phone or "").strip() or None
    person.street_address = (data.street_address or "").strip() or None
    person.postal_code = data.postal_code.strip()
    person.municipality_code = (
        data.municipality_code
        if data.municipality_code is not None
        else geo.municipality_for_postal_code(person.postal_code)
    )
    person.a_kasse_id = data.a_kasse_id
    person.unemployment_start = data.unemployment_start
    person.education_level = data.education_level
    person.max_commute_km = data.max_commute_km
    person.willing_to_switch_industry = data.willing_to_switch_industry
    person.chose_jobcentre = data.chose_jobcentre
    wanted = sorted(data.target_groups, key=lambda s: s.valid_from)
    current = [
        TargetGroupSpan(p.target_group, p.valid_from, p.valid_to) for p in person.target_groups
    ]
    if current != wanted:
        person.target_groups = [
            TargetGroupPeriod(
                target_group=s.target_group, valid_from=s.valid_from, valid_to=s.valid_to
            )
            for s in wanted
        ]


def _not_responsible_message(resolution: Resolution, actor: Actor) -> str | None:
    """None when the actor's organisation is the one the rules name; else why not (Danish)."""
    org = resolution.organisation
    if org is not None and org.id == actor.organisation_id:
        return None
    if org is None:
        return (
            "Det kan ikke afgøres, hvem der er ansvarlig for personen i dag: "
            f"{resolution.problem_da or resolution.decision.reason_da}."
        )
    kind = "personens a-kasse" if org.kind is OrgKind.A_KASSE else "bopælskommunens jobcenter"
    return (
        f"Efter reglerne er {kind} ({org.name}) ansvarlig for personen i dag: "
        f"{resolution.decision.reason_da}."
    )


def create_person(
    session: Session,
    actor: Actor,
    data: PersonData,
    *,
    settings: Settings | bytes | None = None,
    day: date | None = None,
) -> Jobseeker:
    """Register a person in the actor's organisation's caseload.

    ``settings`` (or the CPR key itself) encrypts the CPR number; without it the settings are
    read from the environment. Raises :class:`InvalidPerson`, :class:`DuplicatePerson` and
    :class:`NotResponsible`; nothing is stored then.
    """
    require_role(actor, COUNSELLORS, "register people")
    day = day or today_dk()
    _require_valid(session, data)
    key = _key(settings if settings is not None else _env_settings())
    cpr = normalise_cpr(data.cpr)
    existing = find_by_cpr(session, key, cpr)
    if existing is not None:
        raise DuplicatePerson(existing.id, _visible(session, actor, existing.id, day))
    person = Jobseeker(
        pseudonym=_new_pseudonym(session),
        cpr_encrypted=encrypt_cpr(key, cpr),
        cpr_lookup=cpr_lookup_hash(key, cpr),
        birth_date=cpr_birth_date(cpr),
        active=True,
    )
    apply_person_data(person, data)
    resolution = resolve_organisation(session, person, day)
    problem = _not_responsible_message(resolution, actor)
    if problem is not None:
        raise NotResponsible(problem)
    assert resolution.organisation is not None
    person.responsibilities = [
        ResponsibilityPeriod(
            organisation_id=resolution.organisation.id,
            counsellor_id=actor.user_id,
            valid_from=day,
            valid_to=None,
            reason=resolution.decision.reason_da[:REASON_MAX_CHARS],
        )
    ]
    session.add(person)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "jobseeker",
        person.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={"rule": resolution.decision.rule_id, "ground": resolution.decision.ground},
    )
    return person


def _env_settings() -> Settings:
    return Settings.from_env()


# --- update ----------------------------------------------------------------------------------


def changed_fields(person: Jobseeker, data: PersonData, cpr_lookup: str | None) -> set[str]:
    """The names of the fields ``data`` would change on ``person``."""
    changed: set[str] = set()
    if cpr_lookup is not None and cpr_lookup != person.cpr_lookup:
        changed.add("cpr")
    municipality = (
        data.municipality_code
        if data.municipality_code is not None
        else geo.municipality_for_postal_code(data.postal_code.strip())
    )
    wanted = {
        "first_name": data.first_name.strip(),
        "last_name": data.last_name.strip(),
        "email": (data.email or "").strip() or None,
        "phone": (data.phone or "").strip() or None,
        "street_address": (data.street_address or "").strip() or None,
        "postal_code": data.postal_code.strip(),
        "municipality_code": municipality,
        "a_kasse_id": data.a_kasse_id,
        "unemployment_start": data.unemployment_start,
        "education_level": data.education_level,
        "max_commute_km": data.max_commute_km,
        "willing_to_switch_industry": data.willing_to_switch_industry,
        "chose_jobcentre": data.chose_jobcentre,
    }
    changed |= {name for name, value in wanted.items() if getattr(person, name) != value}
    current = [
        TargetGroupSpan(p.target_group, p.valid_from, p.valid_to) for p in person.target_groups
    ]
    if current != sorted(data.target_groups, key=lambda s: s.valid_from):
        changed.add("target_groups")
    return changed


# Fields the routing rules read: a change may make another organisation responsible.
ROUTING_FIELDS = frozenset(
    {
        "cpr",
        "postal_code",
        "municipality_code",
        "a_kasse_id",
        "unemployment_start",
        "target_groups",
        "chose_jobcentre",
    }
)


def probe_person(data: PersonData, cpr: str) -> Jobseeker:
    """An unsaved person with the routing facts of ``data`` (never added to the session)."""
    probe = Jobseeker(
        birth_date=cpr_birth_date(cpr),
        a_kasse_id=data.a_kasse_id,
        unemployment_start=data.unemployment_start,
        chose_jobcentre=data.chose_jobcentre,
        municipality_code=(
            data.municipality_code
            if data.municipality_code is not None
            else geo.municipality_for_postal_code(data.postal_code.strip())
        ),
    )
    probe.target_groups = [
        TargetGroupPeriod(target_group=s.target_group, valid_from=s.valid_from, valid_to=s.valid_to)
        for s in data.target_groups
    ]
    return probe


def update_person(
    session: Session,
    actor: Actor,
    person: Jobseeker,
    data: PersonData,
    *,
    settings: Settings | bytes | None = None,
    day: date | None = None,
    hand_over: bool = False,
) -> set[str]:
    """Change a person in the actor's caseload; returns the names of the changed fields.

    The caller has checked that the person is in the actor's caseload. A CPR number belonging
    to another person raises :class:`InvalidPerson` (on ``cpr``, naming no one). When the new
    data makes another organisation (or none) responsible today, nothing is saved and
    :class:`ResponsibilityWouldChange` says why, unless ``hand_over``: then the data is saved
    and the person handed over by the routing rules at once (a handover the same day as the
    responsibility began waits for the nightly run).
    """
    require_role(actor, COUNSELLORS, "change people")
    day = day or today_dk()
    _require_valid(session, data)
    key = _key(settings if settings is not None else _env_settings())
    cpr = normalise_cpr(data.cpr)
    lookups = cpr_lookup_hashes(key, cpr)  # under a key rotation: the current and previous key
    lookup = person.cpr_lookup if person.cpr_lookup in lookups else lookups[0]
    if lookup != person.cpr_lookup:
        other = session.scalar(
            select(Jobseeker.id).where(Jobseeker.cpr_lookup.in_(lookups), Jobseeker.id != person.id)
        )
        if other is not None:
            raise InvalidPerson(
                [FieldError("cpr", "CPR-nummeret tilhører en anden person i Jobbro.")]
            )
    changed = changed_fields(person, data, lookup)
    if not changed:
        return changed
    if changed & ROUTING_FIELDS:
        problem = _not_responsible_message(
            resolve_organisation(session, probe_person(data, cpr), day), actor
        )
        if problem is not None and not hand_over:
            raise ResponsibilityWouldChange(
                f"Ændringen gør en anden ansvarlig for personen. {problem} "
                "Bekræft ændringen, så overdrages personen efter reglerne."
            )
    if "cpr" in changed:
        person.cpr_encrypted = encrypt_cpr(key, cpr)
        person.cpr_lookup = lookup
        person.birth_date = cpr_birth_date(cpr)
    apply_person_data(person, data)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "jobseeker",
        person.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={"fields": sorted(changed)},
    )
    if hand_over and changed & ROUTING_FIELDS:
        apply_routing(session, day, jobseeker_ids=[person.id])
    return changed
