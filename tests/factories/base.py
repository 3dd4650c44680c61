"""What every factory shares: the session, one password hash and a counter for unique names."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

PASSWORD = "korrekt-hest-batteri-haefteklamme"  # every factory-made user's password
_counter = itertools.count(1)


def next_number() -> int:
    """A number no other factory-made row in this test process has used."""
    return next(_counter)


class FactoryBase:
    """Creates rows through the models, flushing (and committing the savepoint) as it goes."""

    def __init__(self, session: Session, password_hash: str) -> None:
        self.session = session
        self.password_hash = password_hash

    def _save(self, *objects: object) -> None:
        self.session.add_all(objects)
        self.session.commit()


def put_in_state(session: Session, obj: object, state: object) -> None:
    """Put a row straight into a workflow state, for a test's set-up: the application changes
    states only through its workflows (``matching.core.workflow``), which refuse assignment."""
    from sqlalchemy import update

    attribute = "state" if hasattr(type(obj), "state") else "status"
    session.flush()
    session.execute(
        update(type(obj))
        .where(type(obj).id == obj.id)  # type: ignore[attr-defined]
        .values({attribute: state})
        .execution_options(synchronize_session=False)
    )
    session.refresh(obj)
