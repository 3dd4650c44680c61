"""Uploaded CV documents under review: the draft parsed from a document, kept while a
counsellor chooses field by field what goes into the CV.

The file and its text are stored encrypted (AES-256-GCM, a fresh nonce per value, bound to the
person and the purpose) under a key derived from the CPR key with HKDF and its own label, so
the two keys are never the same. A person has at most one open draft: a new upload replaces
the old. The row is deleted when the draft is accepted or discarded, and by the hourly
:func:`purge_expired_drafts` once it is :data:`DRAFT_DAYS` old (data minimisation). A document
the parser refuses is never stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import OutOfScope
from matching.core.permissions import COUNSELLORS, require_role
from matching.core.security import decrypt, derive_key, encrypt
from matching.intake.cvs import (
    CVData,
    DesiredOccupationData,
    EducationData,
    ExperienceData,
    LanguageData,
    cv_data_of,
    save_cv,
)
from matching.models import AuditAction, CVDraft, Jobseeker, utcnow
from matching.people.documents.draft import ParsedCV, ParsedDocument

PURPOSE = "sagsbehandling"
DRAFT_DAYS = 7
KEY_LABEL = b"jobbro cv-drafts"


def draft_key(cpr_key: bytes) -> bytes:
    """The drafts' AES-256 key, derived from the CPR key (``Settings.cpr_key``)."""
    return derive_key(cpr_key, KEY_LABEL)


def _aad(jobseeker_id: int, part: str) -> bytes:
    return f"cv-draft:{jobseeker_id}:{part}".encode()


def _encrypt(cpr_key: bytes, plain: bytes, aad: bytes) -> bytes:
    return encrypt(draft_key(cpr_key), plain, aad)


def _decrypt(cpr_key: bytes, blob: bytes, aad: bytes) -> bytes:
    return decrypt(draft_key(cpr_key), blob, aad)


def create_draft(
    session: Session,
    actor: Actor,
    person: Jobseeker,
    *,
    data: bytes,
    filename: str,
    parsed: ParsedDocument,
    key: bytes,
    now: datetime | None = None,
) -> CVDraft:
    """Store the uploaded document (already read by the parser) as the person's open draft,
    replacing any earlier one. ``key`` is the CPR key."""
    require_role(actor, COUNSELLORS, "upload CV documents")
    assert actor.organisation_id is not None
    now = now or utcnow()
    replaced = session.scalars(
        delete(CVDraft).where(CVDraft.jobseeker_id == person.id).returning(CVDraft.id)
    ).all()
    draft = CVDraft(
        jobseeker_id=person.id,
        organisation_id=actor.organisation_id,
        uploaded_by_id=actor.user_id,
        file_name=(os.path.basename(filename.replace("\\", "/")) or "cv")[:255],
        media_type=parsed.media_type[:120],
        size_bytes=len(data),
        file_encrypted=_encrypt(key, data, _aad(person.id, "file")),
        text_encrypted=_encrypt(key, parsed.text.encode(), _aad(person.id, "text")),
        parsed={**parsed.cv.to_dict(), "warnings": list(parsed.warnings)},
        decisions={},
        expires_at=now + timedelta(days=DRAFT_DAYS),
        created_at=now,
    )
    session.add(draft)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "cv_draft",
        draft.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={
            "media_type": draft.media_type,
            "size_bytes": draft.size_bytes,
            "replaced": list(replaced),
        },
    )
    return draft


def open_draft(
    session: Session, actor: Actor, person: Jobseeker, *, now: datetime | None = None
) -> CVDraft | None:
    """The person's draft uploaded in the actor's organisation, unless it has expired."""
    require_role(actor, COUNSELLORS, "see CV drafts")
    return session.scalar(
        select(CVDraft).where(
            CVDraft.jobseeker_id == person.id,
            CVDraft.organisation_id == actor.organisation_id,
            CVDraft.expires_at > (now or utcnow()),
        )
    )


def draft_text(draft: CVDraft, key: bytes) -> str:
    """The document's text, decrypted (``key``: the CPR key)."""
    return _decrypt(key, draft.text_encrypted, _aad(draft.jobseeker_id, "text")).decode()


def draft_file(draft: CVDraft, key: bytes) -> bytes:
    """The uploaded file, decrypted (``key``: the CPR key)."""
    return _decrypt(key, draft.file_encrypted, _aad(draft.jobseeker_id, "file"))


def parsed_cv(draft: CVDraft) -> ParsedCV:
    return ParsedCV.from_dict(draft.parsed or {})


def draft_warnings(draft: CVDraft) -> list[str]:
    return [str(w) for w in (draft.parsed or {}).get("warnings") or []]


@dataclass
class Chosen:
    """What the counsellor chose to take from the draft: scalars replace the CV's (None: keep
    the CV's), rows are added after the CV's own (a skill, language or licence already on the
    CV is not added twice)."""

    headline: str | None = None
    summary: str | None = None
    experiences: list[ExperienceData] | None = None
    educations: list[EducationData] | None = None
    skills: list[str] | None = None
    languages: list[LanguageData] | None = None
    driving_licences: list[str] | None = None
    desired_occupations: list[DesiredOccupationData] | None = None

    @classmethod
    def of(cls, chosen: dict[str, Any]) -> Chosen:
        return cls(**{k: v for k, v in chosen.items() if k in cls.__dataclass_fields__})


def merge(current: CVData, chosen: Chosen) -> CVData:
    """``current`` with ``chosen`` taken in (see :class:`Chosen`)."""

    def new(values: list, existing: list, key: Any) -> list:  # noqa: ANN401
        seen = {key(v) for v in existing}
        added = []
        for value in values:
            if key(value) not in seen:
                seen.add(key(value))
                added.append(value)
        return [*existing, *added]

    def fold(text: str) -> str:
        return text.strip().casefold()

    return CVData(
        headline=chosen.headline if chosen.headline is not None else current.headline,
        summary=chosen.summary if chosen.summary is not None else current.summary,
        language=current.language,
        searchable=current.searchable,
        experiences=[*current.experiences, *(chosen.experiences or [])],
        educations=[*current.educations, *(chosen.educations or [])],
        skills=new(chosen.skills or [], current.skills, fold),
        languages=new(chosen.languages or [], current.languages, lambda x: fold(x.language)),
        driving_licences=new(chosen.driving_licences or [], current.driving_licences, fold),
        desired_occupations=new(
            chosen.desired_occupations or [], current.desired_occupations, lambda d: fold(d.title)
        ),
    )


def accept_draft(
    session: Session,
    actor: Actor,
    person: Jobseeker,
    draft: CVDraft,
    chosen: dict[str, Any] | Chosen,
) -> CVData:
    """Take the chosen fields into the person's CV (:func:`~matching.intake.cvs.save_cv`,
    raising its ValidationError) and delete the draft. Returns the CV as saved."""
    _check(actor, person, draft)
    choice = chosen if isinstance(chosen, Chosen) else Chosen.of(chosen)
    merged = merge(cv_data_of(person), choice)
    changed = save_cv(session, actor, person, merged)
    _delete(session, actor, draft, "accepted", changed=changed)
    return cv_data_of(person)


def discard_draft(session: Session, actor: Actor, person: Jobseeker, draft: CVDraft) -> None:
    """Delete the draft without using it."""
    _check(actor, person, draft)
    _delete(session, actor, draft, "discarded")


def purge_expired_drafts(session: Session, now: datetime | None = None) -> int:
    """Delete every draft past its expiry (hourly job); how many."""
    now = now or utcnow()
    expired = session.execute(
        delete(CVDraft).where(CVDraft.expires_at <= now).returning(CVDraft.id, CVDraft.jobseeker_id)
    ).all()
    for draft_id, jobseeker_id in expired:
        audit.record(
            session,
            Actor.system(),
            AuditAction.DELETE,
            "cv_draft",
            draft_id,
            jobseeker_id=jobseeker_id,
            details={"reason": "expired"},
        )
    session.flush()
    return len(expired)


def _check(actor: Actor, person: Jobseeker, draft: CVDraft) -> None:
    require_role(actor, COUNSELLORS, "review CV drafts")
    if draft.jobseeker_id != person.id or draft.organisation_id != actor.organisation_id:
        raise OutOfScope("cv_draft", draft.id, exists=True, jobseeker_id=draft.jobseeker_id)


def _delete(session: Session, actor: Actor, draft: CVDraft, reason: str, **details: Any) -> None:  # noqa: ANN401
    draft_id, jobseeker_id = draft.id, draft.jobseeker_id
    session.delete(draft)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.DELETE,
        "cv_draft",
        draft_id,
        jobseeker_id=jobseeker_id,
        purpose=PURPOSE,
        details={"reason": reason, **details},
    )
