"""Engine and session factory. Sessions are passed in; services flush, callers commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, Engine, create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement

from matching.core.errors import ServiceUnavailable
from matching.core.settings import Settings, _redact

CONNECT_TIMEOUT_SECONDS = 5


def make_engine(settings: Settings, **kwargs: object) -> Engine:
    """The engine for ``settings``. Statement parameters (names, e-mails, CPR look-ups) are
    left out of database errors and SQL logs, which reach log files and error reports, unless
    ``JOBBRO_LOG_LEVEL=DEBUG`` outside production."""
    url = settings.database_url
    debugging = settings.log_level == "DEBUG" and settings.env != "production"
    kwargs.setdefault("hide_parameters", not debugging)
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


class database_now(FunctionElement):  # noqa: N801 - reads like the SQL function it is
    """The database server's current time (UTC), as SQL: ``clock_timestamp()`` on PostgreSQL
    (not the transaction's start), ``strftime(...)`` on SQLite in the format SQLAlchemy stores.

    Timestamps that processes on different hosts compare (a worker's heartbeat, the sweep that
    fails exports without one) are written and compared on this one clock."""

    type = DateTime(timezone=True)
    inherit_cache = True


@compiles(database_now)
def _database_now(_element: database_now, _compiler: object, **_kw: object) -> str:
    return "clock_timestamp()"


@compiles(database_now, "sqlite")
def _database_now_sqlite(_element: database_now, _compiler: object, **_kw: object) -> str:
    return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def database_time(session: Session) -> datetime:
    """The database server's current time, read now (see :class:`database_now`)."""
    moment = session.scalar(select(database_now()))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
