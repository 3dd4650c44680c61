"""Workflows: every state machine in Jobbro is a transition table, and every change of state goes
through it and into one event log.

A :class:`Workflow` holds the table of one model's status column: (state, event) → the next state,
who may fire it and whether a reason is required. :meth:`Workflow.fire` checks the table, the
party and the reason, sets the state and appends a :class:`~matching.models.WorkflowEvent` (who,
when, from, to, the reason) in the caller's transaction. Concurrent writers use
:meth:`Workflow.fire_where`, one conditional UPDATE that changes the row only while it is still
in the expected state (a worker claiming an export, a sweep failing a stalled one).

The areas own their tables (``referrals.workflow.REFERRALS``, ``vacancies.lifecycle.VACANCIES``,
``vacancies.forwarding.workflow.FORWARDINGS``, ``fairs.exports.requests.EXPORTS``) and the guards
and side effects around a transition; the mechanism is here, once. Assigning a workflow's status
anywhere else raises :class:`WorkflowBypass` (a new row may start in any state); a test checks
the source for bulk UPDATEs of a status column.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, event, insert, inspect, update
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.errors import InvalidTransition, JobbroError, PermissionDenied, ValidationError
from matching.models import WorkflowEvent, utcnow

S = TypeVar("S", bound=StrEnum)

MAX_REASON_CHARS = 2000
REASON_MISSING_MESSAGE = "Skriv en begrundelse."

_firing: ContextVar[bool] = ContextVar("workflow_firing", default=False)
_GUARDED: set[tuple[type, str]] = set()


class WorkflowBypass(JobbroError):
    """A workflow's status was assigned outside :class:`Workflow` (a programming error)."""


@dataclass(frozen=True)
class Transition(Generic[S]):
    """One row of a transition table."""

    source: S
    event: str
    target: S
    by: frozenset[str]  # the parties that may fire it (roles, "system", "worker", …)
    reason_required: bool = False
    applies_to: str = "any"  # a subset of subjects the row is for (see Workflow.kind_of)


def check_reason(
    reason: str | None, *, required: bool, missing: str = REASON_MISSING_MESSAGE
) -> str:
    """The reason, stripped; :class:`ValidationError` (field ``reason``) when a required one is
    missing or any is longer than :data:`MAX_REASON_CHARS`."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": missing})
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError({"reason": f"Begrundelsen må højst være {MAX_REASON_CHARS} tegn."})
    return reason


@contextmanager
def _assigning() -> Iterator[None]:
    token = _firing.set(True)
    try:
        yield
    finally:
        _firing.reset(token)


class Workflow(Generic[S]):
    """The transition table of ``model.<attribute>`` and the events it writes.

    ``subject`` names the foreign key of :class:`~matching.models.WorkflowEvent` that points at
    the model (``referral_id``); ``label_da`` names the machine in error messages. ``kind_of``
    maps a subject to the ``applies_to`` value of the rows meant for it (a company place or an
    ordinary vacancy); rows with ``applies_to="any"`` apply to every subject.
    """

    def __init__(
        self,
        name: str,
        label_da: str,
        model: type,
        attribute: str,
        subject: str,
        transitions: Iterable[Transition[S]],
        *,
        kind_of: Any = None,  # Callable[[subject], str] | None
    ) -> None:
        self.name = name
        self.label_da = label_da
        self.model = model
        self.attribute = attribute
        self.subject = subject
        self.transitions: tuple[Transition[S], ...] = tuple(transitions)
        self.kind_of = kind_of
        self._table: dict[tuple[S, str], list[Transition[S]]] = {}
        for row in self.transitions:
            self._table.setdefault((row.source, row.event), []).append(row)
        _guard(model, attribute)

    # --- reading the table -------------------------------------------------------------------

    def _applies(self, row: Transition[S], obj: object) -> bool:
        return row.applies_to == "any" or (
            self.kind_of is not None and self.kind_of(obj) == row.applies_to
        )

    def find(self, obj: object, event: str) -> Transition[S]:
        """The row for ``event`` from the subject's state; :class:`InvalidTransition` if none."""
        state = getattr(obj, self.attribute)
        for row in self._table.get((state, event), []):
            if self._applies(row, obj):
                return row
        raise InvalidTransition(self.label_da, state.value, event)

    def events(self, obj: object, party: str | None) -> list[str]:
        """The events ``party`` may fire on the subject now, in table order (for buttons)."""
        state = getattr(obj, self.attribute)
        return list(
            dict.fromkeys(
                row.event
                for row in self.transitions
                if row.source is state and party in row.by and self._applies(row, obj)
            )
        )

    def events_of(self, party: str) -> tuple[str, ...]:
        """Every event ``party`` may ever fire, in table order."""
        return tuple(dict.fromkeys(row.event for row in self.transitions if party in row.by))

    # --- changing state ----------------------------------------------------------------------

    def fire(
        self,
        session: Session,
        obj: object,
        event: str,
        *,
        party: str | None,
        actor: Actor,
        reason: str | None = "",
        missing_reason: str = REASON_MISSING_MESSAGE,
        at: datetime | None = None,
    ) -> WorkflowEvent:
        """Apply ``event`` to ``obj`` for ``party``: check the table, the party and the reason,
        set the state and append the event (flushed with the caller's work); returns the event.

        Raises :class:`InvalidTransition` (no such row from this state),
        :class:`PermissionDenied` (the party may not) and :class:`ValidationError` (reason).
        """
        row = self.find(obj, event)
        if party not in row.by:
            raise PermissionDenied(f"{party!r} may not {event!r} a {self.name}")
        note = check_reason(reason, required=row.reason_required, missing=missing_reason)
        previous = getattr(obj, self.attribute)
        with _assigning():
            setattr(obj, self.attribute, row.target)
        return _append(session, obj, self.name, previous, row.target, event, actor, at, note)

    def start(
        self,
        session: Session,
        obj: object,
        *,
        actor: Actor,
        note: str = "",
        at: datetime | None = None,
    ) -> None:
        """Record the state a new subject starts in (its first event, from no state)."""
        _append(
            session, obj, self.name, None, getattr(obj, self.attribute), "create", actor, at, note
        )

    def fire_where(
        self,
        session: Session,
        subject_id: int,
        event: str,
        *,
        source: S,
        party: str,
        actor: Actor,
        where: Iterable[ColumnElement[bool]] = (),
        values: dict[str, object] | None = None,
        note: str = "",
        at: datetime | None = None,
    ) -> bool:
        """Fire ``event`` as one conditional UPDATE: the row changes (with ``values``) only while
        it is in ``source`` and ``where`` holds, so of two processes racing one wins. Returns
        whether this call changed it (and logged the event). The session's copy of the row is
        not refreshed."""
        rows = [r for r in self._table.get((source, event), []) if party in r.by]
        if not rows:
            raise InvalidTransition(self.label_da, source.value, event)
        target = rows[0].target
        column = getattr(self.model, self.attribute)
        changed = session.execute(
            update(self.model)
            .where(self.model.id == subject_id, column == source, *where)
            .values({self.attribute: target, **(values or {})})
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            return False
        columns = _event(self.name, source, target, event, actor, at, note)
        session.execute(insert(WorkflowEvent).values(**columns, **{self.subject: subject_id}))
        return True


def note(
    session: Session,
    obj: object,
    note: str,
    *,
    workflow: str,
    attribute: str,
    actor: Actor,
    event: str = "note",
    at: datetime | None = None,
) -> None:
    """Append an event that changes no state to ``obj``'s history (a handover moving an open
    referral, say): code outside the area that owns the table can record without the table."""
    state = getattr(obj, attribute)
    _append(session, obj, workflow, state, state, event, actor, at, note)


def _append(
    session: Session,
    obj: object,
    workflow: str,
    previous: StrEnum | None,
    state: StrEnum,
    event: str,
    actor: Actor,
    at: datetime | None,
    note: str,
) -> WorkflowEvent:
    entry = WorkflowEvent(**_event(workflow, previous, state, event, actor, at, note))
    obj.events.append(entry)  # type: ignore[attr-defined]
    session.flush()
    return entry


def _event(
    workflow: str,
    previous: StrEnum | None,
    state: StrEnum,
    event: str,
    actor: Actor,
    at: datetime | None,
    note: str,
) -> dict[str, object]:
    """The columns of one :class:`~matching.models.WorkflowEvent` (without its subject)."""
    return {
        "workflow": workflow,
        "event": event,
        "from_state": previous.value if previous is not None else None,
        "to_state": state.value,
        "actor_id": actor.user_id,
        "at": at or utcnow(),
        "note": note,
    }


def _guard(model: type, attribute: str) -> None:
    """Refuse assignments of the status outside a workflow (a new row may start anywhere)."""

    def check(target: object, _value: object, _old: object, _initiator: object) -> None:
        if _firing.get():
            return
        state = inspect(target)
        if state.transient or state.pending:
            return
        raise WorkflowBypass(
            f"{type(target).__name__}.{attribute} is changed by its workflow, not assigned"
        )

    if (model, attribute) not in _GUARDED:
        _GUARDED.add((model, attribute))
        event.listen(getattr(model, attribute), "set", check)
