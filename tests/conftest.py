"""Shared fixtures.

By default tests run on a throw-away SQLite file. Set ``JOBBRO_TEST_DATABASE_URL`` (CI does, to
the machine's PostgreSQL) to run the same tests on PostgreSQL; ``JOBBRO_TEST_REDIS_URL`` likewise
for Redis (otherwise an embedded Redis server is started for the session).
Each test runs inside a transaction that is rolled back afterwards.

The suite runs on several processes (pytest-xdist): each gets its own PostgreSQL schema
(``test_gw0``, …) and Redis database (15, 14, …), or its own SQLite file and embedded Redis.
Tests that use the suite's database are marked ``database`` (by their fixtures), so a second
pass on another database can run just those.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matching.core.db import make_engine
from matching.core.migrate import upgrade
from matching.core.settings import Settings
from tests.factories import PASSWORD, Factory
from tests.support.databases import private_schema, schema_url
from tests.support.paths import SHARED_DATA

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", …; "" without xdist
# Fixtures whose tests use the suite's own database (not a PostgreSQL-only or a private one).
DATABASE_FIXTURES = frozenset({"engine", "session", "committed_database_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)


def _worker_number() -> int:
    return int(WORKER[2:]) if WORKER.startswith("gw") else 0


def _worker_database(url: str) -> str:
    """This process's PostgreSQL schema (made if missing); the URL as given without xdist."""
    if not WORKER or not url.startswith("postgresql"):
        return url
    from sqlalchemy import create_engine, text

    schema = f"test_{WORKER}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    return schema_url(url, schema)


def _worker_redis(url: str) -> str:
    """This process's Redis database: 15 for the first worker, 14 for the next, …"""
    if not WORKER:
        return url
    base, _, number = url.rpartition("/")
    first = int(number) if number.isdigit() else 15
    return f"{base}/{first - _worker_number()}"


def _test_env(tmp_path: Path) -> dict[str, str]:
    env = {
        "JOBBRO_ENV": "test",
        "JOBBRO_DATA_DIR": str(tmp_path),
        "JOBBRO_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    }
    if os.environ.get("JOBBRO_TEST_DATABASE_URL"):
        env["JOBBRO_DATABASE_URL"] = _worker_database(os.environ["JOBBRO_TEST_DATABASE_URL"])
    if os.environ.get("JOBBRO_TEST_REDIS_URL"):
        env["JOBBRO_REDIS_URL"] = _worker_redis(os.environ["JOBBRO_TEST_REDIS_URL"])
    return env


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobbro")


@pytest.fixture(scope="session")
def settings(session_tmp: Path) -> Settings:
    return Settings.from_env(_test_env(session_tmp))


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    from matching.core.migrate import reset_schema_for_tests

    engine = make_engine(settings)
    if engine.dialect.name == "sqlite":  # each test's transaction must really roll back
        from matching.core.db import use_explicit_sqlite_transactions

        use_explicit_sqlite_transactions(engine)
    reset_schema_for_tests(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"reference data folder {SHARED_DATA} is missing")
    return SHARED_DATA


DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _unavailable(reason: str) -> None:
    """Outside CI a missing PostgreSQL skips; in CI it fails, so the real path is never skipped."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A PostgreSQL URL for tests that need PostgreSQL whatever the main test database is."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    url = os.environ.get("JOBBRO_TEST_DATABASE_URL") or DEFAULT_PG_URL
    if not url.startswith("postgresql"):
        url = DEFAULT_PG_URL
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        _unavailable(f"PostgreSQL not reachable at {url}: {exc.orig}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_url(session_tmp: Path) -> Iterator[str]:
    """A real Redis: JOBBRO_TEST_REDIS_URL if given, else an embedded server for the session."""
    import redis as redis_lib

    given = os.environ.get("JOBBRO_TEST_REDIS_URL")
    if given:
        given = _worker_redis(given)
        client = redis_lib.Redis.from_url(given)
        client.flushdb()
        yield given
        client.flushdb()
        return
    from workers.redis_server import EmbeddedRedis

    with EmbeddedRedis(session_tmp / "redis") as server:
        yield server.url


@pytest.fixture
def redis_conn(redis_url: str):  # noqa: ANN201
    import redis as redis_lib

    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every factory-made user (hashing is deliberately slow)."""
    from matching.core.security import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def make(session: Session, password_hash: str) -> Factory:
    """Rows for a test, made through the models in the test's transaction."""
    return Factory(session, password_hash)


@pytest.fixture
def committed_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's kind whose rows really commit: a private PostgreSQL
    schema when the suite runs on PostgreSQL, else a SQLite file."""
    given = os.environ.get("JOBBRO_TEST_DATABASE_URL", "")
    if not given.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'committed.sqlite3'}"
        return
    with private_schema(given, "committed") as schema:
        yield schema_url(given, schema)


@pytest.fixture
def committed(committed_database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on :func:`committed_database_url`, migrated: for races between two
    connections that really commit (two requests checking, then writing, at once)."""
    settings = Settings.from_env(
        {
            "JOBBRO_ENV": "test",
            "JOBBRO_DATA_DIR": str(tmp_path),
            "JOBBRO_DATABASE_URL": committed_database_url,
            "JOBBRO_SECRET_KEY": "committed-race-secret-key-0123456789abcdef",
        }
    )
    engine = make_engine(settings)
    upgrade(engine)
    yield engine
    engine.dispose()
