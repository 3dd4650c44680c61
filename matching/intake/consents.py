"""The consent ledger (GDPR art. 7): every consent given or withdrawn is an event that is only
ever added; the person's ``consent_*`` columns are the state derived from it, kept for the
queries that filter on it, and are changed only here, in the same flush as the event.

The latest *recorded* event per kind decides (the ledger's order, not ``given_on``): a
withdrawal takes effect the moment it is recorded, whatever day a paper form says. Recording
the state a consent already has is allowed and appended as an event of its own (a consent
renewed on paper is evidence too); the derived columns do not change then, but
``consent_updated_at`` does. Each event is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.dates import format_date, today_dk
from matching.core.errors import ValidationError
from matching.core.permissions import COUNSELLORS, require_role
from matching.models import (
    AuditAction,
    ConsentChannel,
    ConsentEvent,
    ConsentKind,
    Jobseeker,
    utcnow,
)

PURPOSE = "samtykke"
NOTE_MAX_CHARS = 500

# The person's column holding the current state of each consent.
CONSENT_COLUMNS: dict[ConsentKind, str] = {kind: f"consent_{kind.value}" for kind in ConsentKind}


def derive_state(events: Iterable[ConsentEvent]) -> dict[ConsentKind, ConsentEvent | None]:
    """The deciding event per kind: the last one in ledger order (pure; ``events`` in the
    order they were recorded). None for a kind never recorded (not given)."""
    state: dict[ConsentKind, ConsentEvent | None] = dict.fromkeys(ConsentKind)
    for event in events:
        state[event.kind] = event
    return state


def current_consents(person: Jobseeker) -> dict[ConsentKind, ConsentEvent | None]:
    """The deciding event per kind for ``person`` (from its loaded ledger)."""
    return derive_state(person.consent_events)


def consent_history(session: Session, person: Jobseeker) -> list[ConsentEvent]:
    """Every event of the person's ledger, in the order it was recorded."""
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.jobseeker_id == person.id)
            .order_by(ConsentEvent.id)
        )
    )


def record_consent(
    session: Session,
    actor: Actor,
    person: Jobseeker,
    kind: ConsentKind,
    given: bool,
    *,
    channel: ConsentChannel,
    given_on: date | None = None,
    note: str = "",
    today: date | None = None,
) -> ConsentEvent:
    """Append a consent given (``given``) or withdrawn and update the person's derived state.

    The caller has checked the person is in the actor's caseload. ``given_on`` (default today)
    may precede today (a paper form) but not follow it. Raises :class:`ValidationError`.
    """
    if actor.role != "system":
        require_role(actor, COUNSELLORS, "record consents")
    today = today or today_dk()
    given_on = given_on or today
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if given_on > today:
        errors["given_on"] = f"Datoen kan ikke ligge efter i dag ({format_date(today)})."
    elif given_on < person.birth_date:
        errors["given_on"] = "Datoen ligger før personens fødsel."
    if len(note) > NOTE_MAX_CHARS:
        errors["note"] = f"Højst {NOTE_MAX_CHARS} tegn."
    if given and (person.anonymised_at is not None or person.left_on is not None):
        errors["given"] = "Personen er afmeldt; et samtykke kan kun trækkes tilbage."
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    event = ConsentEvent(
        jobseeker_id=person.id,
        kind=kind,
        given=given,
        given_on=given_on,
        recorded_at=now,
        recorded_by_id=actor.user_id,
        organisation_id=actor.organisation_id,
        channel=channel,
        note=note,
    )
    person.consent_events.append(event)
    previous = getattr(person, CONSENT_COLUMNS[kind])
    setattr(person, CONSENT_COLUMNS[kind], given)
    person.consent_updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "consent_event",
        event.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={
            "kind": kind.value,
            "given": given,
            "previous": bool(previous),
            "channel": channel.value,
            "given_on": given_on.isoformat(),
        },
    )
    return event
