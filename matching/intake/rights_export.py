"""The export of everything Jobbro holds about a person (GDPR art. 15, right of access, and
art. 20, data portability), as a JSON-serialisable dict with a schema version; the PDF of it is
:mod:`matching.intake.rights_pdf`. Who may ask: see :mod:`matching.intake.rights`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import PermissionDenied
from matching.core.geo import municipality_name
from matching.core.permissions import COUNSELLORS, has_role
from matching.core.security import decrypt_cpr
from matching.models import (
    AuditAction,
    AuditEntry,
    Handover,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    Membership,
    Organisation,
    Referral,
    ShortlistEntry,
    Vacancy,
    utcnow,
)
from matching.people.queries import full_cv_options

EXPORT_SCHEMA_VERSION = 1
PURPOSE_EXPORT = "indsigt"
# Audit entries that name the people a list showed in ``details["jobseeker_ids"]``.
LIST_VIEWS = ("caseload", "handover_list", "job_fair", "shortlist")
SYSTEM_LABEL = "Jobbro (automatisk kørsel)"


# --- who may ask---------------------------------------------------------------------------------


def require_rights_handler(actor: Actor) -> None:
    if actor.role == "system" and actor.user_id is None:
        return
    if not has_role(actor, COUNSELLORS):
        raise PermissionDenied(f"role {actor.role!r} may not handle a person's data rights")


# --- the export (art. 15 and 20) --------------------------------------------------------------


def _day(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    rows = session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return dict(rows.all())


def _person_facts(person: Jobseeker, cpr_key: bytes | None, a_kasse: str | None) -> dict:
    cpr = None
    if cpr_key and person.cpr_encrypted:
        cpr = decrypt_cpr(cpr_key, person.cpr_encrypted)
        cpr = f"{cpr[:6]}-{cpr[6:]}"
    return {
        "pseudonym": person.pseudonym,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "cpr": cpr,
        "birth_date": _day(person.birth_date),
        "email": person.email,
        "phone": person.phone,
        "street_address": person.street_address,
        "postal_code": person.postal_code,
        "municipality": (
            municipality_name(person.municipality_code) if person.municipality_code else None
        ),
        "a_kasse": a_kasse,
        "unemployment_start": _day(person.unemployment_start),
        "education_level": person.education_level.value if person.education_level else None,
        "education_level_label": (
            person.education_level.label_da if person.education_level else None
        ),
        "residence_years": person.residence_years,
        "single_provider": person.single_provider,
        "max_commute_km": person.max_commute_km,
        "willing_to_switch_industry": person.willing_to_switch_industry,
        "chose_jobcentre": person.chose_jobcentre,
        "active": person.active,
        "registered_at": _day(person.created_at),
        "anonymised_at": _day(person.anonymised_at),
    }


def _cv(person: Jobseeker) -> dict | None:
    cv = person.cv
    if cv is None:
        return None
    return {
        "headline": cv.headline,
        "summary": cv.summary,
        "language": cv.language,
        "searchable": cv.searchable,
        "experiences": [
            {
                "title": e.title,
                "employer": e.employer_name,
                "start_year": e.start_year,
                "end_year": e.end_year,
                "description": e.description,
                "industry": e.industry,
            }
            for e in cv.experiences
        ],
        "educations": [
            {
                "title": e.title,
                "institution": e.institution,
                "level": e.level.label_da if e.level else None,
                "completed_year": e.completed_year,
            }
            for e in cv.educations
        ],
        "skills": [s.name for s in cv.skills],
        "languages": [{"language": x.language, "level": x.level} for x in cv.languages],
        "driving_licences": [d.category for d in cv.driving_licences],
        "desired_occupations": [o.title for o in cv.desired_occupations],
    }


def _roles(session: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The role label of each (user, organisation), from the memberships that still exist."""
    users = {user for user, _ in pairs}
    if not users:
        return {}
    rows = session.execute(
        select(Membership.user_id, Membership.organisation_id, Membership.role).where(
            Membership.user_id.in_(users)
        )
    )
    return {(u, o): role.label_da for u, o, role in rows if (u, o) in pairs}


def _listed_ids(entry: AuditEntry) -> list[int]:
    return list((entry.details or {}).get("jobseeker_ids") or [])


def _access_log(session: Session, person: Jobseeker, organisations: set[int]) -> list[dict]:
    """Who saw or changed the person's data by the audit log: organisation and role, never a
    member of staff's name (see docs/privacy.md)."""
    entries = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.jobseeker_id == person.id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
    if organisations:
        listed = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.jobseeker_id.is_(None),
                AuditEntry.object_type.in_(LIST_VIEWS),
                AuditEntry.actor_organisation_id.in_(organisations),
                AuditEntry.at >= person.created_at - timedelta(days=1),
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        entries += [
            e for e in listed if person.id in ((e.details or {}).get("jobseeker_ids") or [])
        ]
        entries.sort(key=lambda e: (e.at, e.id))
    org_names = _names(session, {e.actor_organisation_id for e in entries})
    roles = _roles(
        session,
        {(e.actor_id, e.actor_organisation_id) for e in entries if e.actor_id is not None},
    )
    rows = []
    for entry in entries:
        if entry.actor_id is None:
            organisation, role = SYSTEM_LABEL, None
        else:
            organisation = org_names.get(entry.actor_organisation_id, "Ukendt organisation")
            role = roles.get((entry.actor_id, entry.actor_organisation_id), "Tidligere medarbejder")
        rows.append(
            {
                "at": _day(entry.at),
                "organisation": organisation,
                "role": role,
                "action": entry.action.value,
                "object": entry.object_type,
                "purpose": entry.purpose,
                "on_a_list": entry.jobseeker_id is None,
            }
        )
    return rows


def person_data_export(
    session: Session,
    actor: Actor,
    person: Jobseeker,
    *,
    cpr_key: bytes | None = None,
    file_format: str = "json",
) -> dict:
    """Everything Jobbro holds about ``person``, JSON-serialisable (dates as ISO text), for
    the person: identity and contact (the full CPR number when ``cpr_key`` is given: the
    export is the person's own), target-group and responsibility periods, the CV, the consent
    ledger, referrals with their events, the match lists they were on, job-fair shortlist
    places, handovers, the exit, and who saw their data by the audit log.

    Written to the audit log (EXPORT, purpose "indsigt") after it is gathered.
    """
    require_rights_handler(actor)
    person = session.scalar(
        select(Jobseeker)
        .where(Jobseeker.id == person.id)
        .options(
            *full_cv_options(),
            selectinload(Jobseeker.target_groups),
            selectinload(Jobseeker.responsibilities),
            selectinload(Jobseeker.consent_events),
        )
    )
    assert person is not None
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.jobseeker_id == person.id)
            .options(
                selectinload(Referral.events),
                selectinload(Referral.vacancy).selectinload(Vacancy.employer),
            )
            .order_by(Referral.created_at, Referral.id)
        )
    )
    matches = session.execute(
        select(Match, Vacancy.title, Organisation.name)
        .join(Vacancy, Vacancy.id == Match.vacancy_id)
        .join(Organisation, Organisation.id == Vacancy.employer_id)
        .where(Match.jobseeker_id == person.id)
        .order_by(Match.computed_at.desc(), Match.id)
    ).all()
    places = session.execute(
        select(ShortlistEntry, JobFair.name, JobFair.held_on, Vacancy.title, Organisation.name)
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .join(JobFair, JobFair.id == JobFairVacancy.job_fair_id)
        .join(Vacancy, Vacancy.id == JobFairVacancy.vacancy_id)
        .join(Organisation, Organisation.id == Vacancy.employer_id)
        .where(ShortlistEntry.jobseeker_id == person.id)
        .order_by(JobFair.held_on, ShortlistEntry.id)
    ).all()
    handovers = list(
        session.scalars(
            select(Handover).where(Handover.jobseeker_id == person.id).order_by(Handover.id)
        )
    )
    organisations = {p.organisation_id for p in person.responsibilities}
    names = _names(
        session,
        organisations
        | {e.organisation_id for e in person.consent_events if e.organisation_id}
        | {r.organisation_id for r in referrals}
        | {h.to_organisation_id for h in handovers}
        | {h.from_organisation_id for h in handovers if h.from_organisation_id}
        | ({person.a_kasse_id} if person.a_kasse_id else set()),
    )
    export = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "made_at": _day(utcnow()),
        "person": _person_facts(person, cpr_key, names.get(person.a_kasse_id)),
        "consent_now": {
            "share_with_employers": person.consent_share_with_employers,
            "contact_by_email": person.consent_contact_by_email,
            "joint_recruitment": person.consent_joint_recruitment,
            "updated_at": _day(person.consent_updated_at),
        },
        "target_groups": [
            {
                "target_group": p.target_group.value,
                "label": p.target_group.label_da,
                "valid_from": _day(p.valid_from),
                "valid_to": _day(p.valid_to),
            }
            for p in person.target_groups
        ],
        "responsibilities": [
            {
                "organisation": names.get(p.organisation_id),
                "valid_from": _day(p.valid_from),
                "valid_to": _day(p.valid_to),
                "reason": p.reason,
            }
            for p in person.responsibilities
        ],
        "cv": _cv(person),
        "consents": [
            {
                "kind": e.kind.value,
                "label": e.kind.label_da,
                "given": e.given,
                "given_on": _day(e.given_on),
                "recorded_at": _day(e.recorded_at),
                "organisation": names.get(e.organisation_id) if e.organisation_id else None,
                "channel": e.channel.value,
                "channel_label": e.channel.label_da,
                "note": e.note,
            }
            for e in person.consent_events
        ],
        "referrals": [
            {
                "vacancy": r.vacancy.title,
                "employer": r.vacancy.employer.name,
                "organisation": names.get(r.organisation_id),
                "type": r.type.value,
                "state": r.state.value,
                "state_label": r.state.label_da,
                "created_at": _day(r.created_at),
                "respond_by": _day(r.respond_by),
                "note": r.note,
                "events": [
                    {
                        "event": e.event,
                        "from_state": e.from_state,
                        "to_state": e.to_state,
                        "at": _day(e.at),
                        "note": e.note,
                    }
                    for e in sorted(r.events, key=lambda e: (e.at, e.id))
                ],
            }
            for r in referrals
        ],
        "matches": [
            {
                "vacancy": title,
                "employer": employer,
                "rank": m.rank,
                "person_rank": m.person_rank,
                "score": round(m.score, 4),
                "computed_at": _day(m.computed_at),
                "explanation": list(m.explanation or []),
            }
            for m, title, employer in matches
        ],
        "shortlists": [
            {
                "fair": fair,
                "held_on": _day(held_on),
                "vacancy": title,
                "employer": employer,
                "rank": entry.rank,
                "removed": entry.removed,
                "invited": entry.invited,
                "added_at": _day(entry.created_at),
            }
            for entry, fair, held_on, title, employer in places
        ],
        "handovers": [
            {
                "from": names.get(h.from_organisation_id) if h.from_organisation_id else None,
                "to": names.get(h.to_organisation_id),
                "effective_date": _day(h.effective_date),
            }
            for h in handovers
        ],
        "exit": {
            "left_on": _day(person.left_on),
            "reason": person.exit_reason.value if person.exit_reason else None,
            "reason_label": person.exit_reason.label_da if person.exit_reason else None,
            "note": person.exit_note,
        },
        "access_log": _access_log(session, person, organisations),
    }
    audit.record(
        session,
        actor,
        AuditAction.EXPORT,
        "jobseeker",
        person.id,
        jobseeker_id=person.id,
        purpose=PURPOSE_EXPORT,
        details={"format": file_format, "schema_version": EXPORT_SCHEMA_VERSION},
    )
    session.flush()
    return export
