"""Engine and session factory. Sessions are passed in; services flush, callers commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from matching.core.errors import ServiceUnavailable
from matching.core.settings import Settings, _redact

CONNECT_TIMEOUT_SECONDS = 5


def make_engine(settings: Settings, **kwargs: object) -> Engine:
    url = settings.database_url
    if settings.is_sqlite:
        db_path = url.removeprefix("sqlite:///")
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        **kwargs,
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # Enforce foreign keys (off by default in SQLite) and allow a reader beside the writer.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def use_explicit_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (tests).

    By default the sqlite3 module begins a transaction only before the first write, so a
    SAVEPOINT issued first becomes the outermost transaction and its RELEASE commits: a test
    transaction would not roll back. With this, BEGIN is emitted at the start of every
    transaction. It is not used by the application: in WAL mode a transaction that read before
    another connection's commit cannot then write ("database is locked" at once, without the
    busy timeout), which read-then-write web requests beside a busy worker would run into.
    """

    def no_implicit_begin(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

    def begin(connection: object) -> None:
        connection.exec_driver_sql("BEGIN")  # type: ignore[attr-defined]

    event.listen(engine, "connect", no_implicit_begin)
    event.listen(engine, "begin", begin)


def check_database(engine: Engine) -> None:
    """Fail with a message naming JOBBRO_DATABASE_URL if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ServiceUnavailable(
            f"JOBBRO_DATABASE_URL: cannot connect to {_redact(str(engine.url))}: {reason}"
        ) from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: Callable[[], Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
