"""Process-wide resources of a worker, created once at start-up (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matching.db import check_database, make_engine, make_session_factory, session_scope
from matching.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.session_factory) as session:
            yield session


_runtime: Runtime | None = None


def init(settings: Settings, engine: Engine | None = None) -> Runtime:
    """Create the runtime for this process (the worker calls it before taking jobs)."""
    global _runtime
    engine = engine or make_engine(settings)
    check_database(engine)
    _runtime = Runtime(settings, engine, make_session_factory(engine))
    return _runtime


def get() -> Runtime:
    if _runtime is None:
        # A job run outside a Jobbro worker (e.g. `rq worker`): build from the environment.
        return init(Settings.from_env())
    return _runtime
