"""Writing a checked bulk import (:mod:`matching.intake.imports`): new people by bulk INSERTs,
changed people through the ORM, consents to the ledger, and the audit entries.

New people are many (a first import of a caseload is thousands), so they go in as a handful of
multi-row INSERT … RETURNING statements per table rather than through the ORM's unit of work,
which would build and track some 25 objects per person. Their column values are still made by
:func:`matching.intake.registration.apply_person_data` on a transient person, so an imported
person is stored exactly as a registered one. Changed people are few and are updated through
the ORM as the editor does (:func:`matching.intake.cvs.replace_cv_content`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from matching.core.audit import Actor, record_many
from matching.core.security import cpr_birth_date, encrypt_cpr
from matching.intake import consents, cvs, registration
from matching.models import (
    CV,
    AuditAction,
    ConsentChannel,
    ConsentEvent,
    ConsentKind,
    Jobseeker,
    ResponsibilityPeriod,
    TargetGroupPeriod,
    utcnow,
)

CHUNK = 500  # rows per look-up; INSERTs are batched by the driver
IMPORT_REASON = "Importeret fra fagsystem"
PERSON_COLUMNS = (
    "first_name", "last_name", "email", "phone", "street_address", "postal_code",
    "municipality_code", "a_kasse_id", "unemployment_start", "education_level",
    "max_commute_km", "willing_to_switch_industry", "chose_jobcentre",
)  # fmt: skip


@dataclass
class Write:
    """One line to store: a new person (``person`` None) or a change to ``person``."""

    person: Jobseeker | None
    data: registration.PersonData
    cpr: str
    lookup: str
    person_changed: bool
    cv: cvs.CVData | None
    consents: dict[ConsentKind, bool]
    person_id: int | None = None


def new_pseudonyms(session: Session, count: int) -> list[str]:
    """``count`` unused pseudonyms like registration's (``L-`` and eight digits)."""
    chosen: set[str] = set()
    while len(chosen) < count:
        candidates = sorted(
            {
                f"{registration.PSEUDONYM_PREFIX}{secrets.randbelow(10**8):08d}"
                for _ in range(count - len(chosen) + 8)
            }
            - chosen
        )
        for start in range(0, len(candidates), CHUNK):
            chunk = candidates[start : start + CHUNK]
            taken = session.scalars(
                select(Jobseeker.pseudonym).where(Jobseeker.pseudonym.in_(chunk))
            )
            chosen |= set(chunk) - set(taken)
    return sorted(chosen)[:count]


def _cv_rows(cv_id: int, data: cvs.CVData) -> dict[type, list[dict]]:
    """The CV's rows by table, with the values the editor stores (:func:`cvs.row_values`)."""
    return {
        cvs.ROW_MODELS[name]: [{"cv_id": cv_id, **values} for values in cvs.row_values(data, name)]
        for name in cvs.ROW_SECTIONS
    }


def _insert_returning_ids(session: Session, model: type, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _consent_event(person_id: int, kind: ConsentKind, given: bool, actor: Actor, day: date, now):  # noqa: ANN001, ANN202, E501
    return {
        "jobseeker_id": person_id, "kind": kind, "given": given, "given_on": day,
        "recorded_at": now, "recorded_by_id": actor.user_id,
        "organisation_id": actor.organisation_id, "channel": ConsentChannel.IMPORTED, "note": "",
    }  # fmt: skip


def _insert_new(session: Session, actor: Actor, key: bytes, day: date, new: list[Write]) -> None:
    now = utcnow()
    people = []
    for write, pseudonym in zip(new, new_pseudonyms(session, len(new)), strict=True):
        probe = Jobseeker()
        registration.apply_person_data(probe, write.data)
        row = {name: getattr(probe, name) for name in PERSON_COLUMNS}
        row |= {
            "pseudonym": pseudonym,
            "cpr_encrypted": encrypt_cpr(key, write.cpr),
            "cpr_lookup": write.lookup,
            "birth_date": cpr_birth_date(write.cpr),
            "active": True,
            "single_provider": False,
            "consent_updated_at": now if write.consents else None,
        }
        for kind in ConsentKind:
            row[consents.CONSENT_COLUMNS[kind]] = write.consents.get(kind, False)
        people.append(row)
    for write, person_id in zip(
        new, _insert_returning_ids(session, Jobseeker, people), strict=True
    ):
        write.person_id = person_id
    periods = [
        {"jobseeker_id": w.person_id, "target_group": s.target_group,
         "valid_from": s.valid_from, "valid_to": s.valid_to}
        for w in new for s in sorted(w.data.target_groups, key=lambda s: s.valid_from)
    ]  # fmt: skip
    responsible = [
        {"jobseeker_id": w.person_id, "organisation_id": actor.organisation_id,
         "counsellor_id": None, "valid_from": day, "valid_to": None, "reason": IMPORT_REASON}
        for w in new
    ]  # fmt: skip
    with_cv = [w for w in new if w.cv is not None]
    cv_ids = _insert_returning_ids(
        session,
        CV,
        [
            {
                "jobseeker_id": w.person_id,
                "headline": w.cv.headline,
                "summary": w.cv.summary,
                "language": w.cv.language,
                "searchable": w.cv.searchable,
            }
            for w in with_cv
        ],  # fmt: skip
    )
    rows: dict[type, list[dict]] = {TargetGroupPeriod: periods, ResponsibilityPeriod: responsible}
    for write, cv_id in zip(with_cv, cv_ids, strict=True):
        for model, cv_rows in _cv_rows(cv_id, write.cv).items():
            rows.setdefault(model, []).extend(cv_rows)
    rows[ConsentEvent] = [
        _consent_event(w.person_id, kind, given, actor, day, now)
        for w in new
        for kind, given in w.consents.items()
    ]
    for model, values in rows.items():
        if values:
            session.execute(insert(model), values)


def _update(session: Session, actor: Actor, day: date, changed: list[Write]) -> None:
    now = utcnow()
    for write in changed:
        person = write.person
        assert person is not None
        write.person_id = person.id
        if write.person_changed:
            registration.apply_person_data(person, write.data)
            if person.cv is not None and write.cv is None:
                person.cv.updated_at = now  # the match list depends on both
        if write.cv is not None:
            cvs.replace_cv_content(session, person, write.cv)
        for kind, given in write.consents.items():
            session.add(ConsentEvent(**_consent_event(person.id, kind, given, actor, day, now)))
            setattr(person, consents.CONSENT_COLUMNS[kind], given)
            person.consent_updated_at = now
    session.flush()


def _audit(session: Session, actor: Actor, writes: list[Write]) -> None:
    details = {"event": "imported", "channel": "import"}
    for action, people in (
        (AuditAction.CREATE, [w.person_id for w in writes if w.person is None]),
        (AuditAction.UPDATE, [w.person_id for w in writes if w.person is not None]),
    ):
        record_many(session, actor, action, "jobseeker", jobseeker_ids=people,
                    purpose=registration.PURPOSE, details=details)  # fmt: skip
    for kind in ConsentKind:
        for given in (True, False):
            record_many(
                session,
                actor,
                AuditAction.UPDATE,
                "consent_event",
                jobseeker_ids=[w.person_id for w in writes if w.consents.get(kind) is given],
                purpose=consents.PURPOSE,
                details={"kind": kind.value, "given": given, "channel": "imported"},
            )


def store(session: Session, actor: Actor, key: bytes, day: date, writes: list[Write]) -> None:
    """Write every line of a checked import and its audit entries; sets ``person_id``."""
    _update(session, actor, day, [w for w in writes if w.person is not None])
    _insert_new(session, actor, key, day, [w for w in writes if w.person is None])
    _audit(session, actor, writes)
    session.flush()
