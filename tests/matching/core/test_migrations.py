"""Migrations build the same schema on PostgreSQL and SQLite, and match the models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from matching.core.migrate import current_revision, downgrade, head_revision, upgrade
from matching.models import Base
from tests.support.databases import private_schema, schema_engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An empty, private PostgreSQL schema (so the main test schema is not disturbed)."""
    with private_schema(pg_url, "mig") as schema:
        engine = schema_engine(pg_url, schema)
        try:
            yield engine
        finally:
            engine.dispose()


def _schema(engine: Engine) -> dict[str, dict]:
    """A backend-neutral description: columns (generic type, nullability), keys, indexes."""
    insp = inspect(engine)
    out: dict[str, dict] = {}
    for table in sorted(insp.get_table_names()):
        columns = {c["name"]: (_generic(c["type"]), c["nullable"]) for c in insp.get_columns(table)}
        out[table] = {
            "columns": columns,
            "pk": tuple(insp.get_pk_constraint(table)["constrained_columns"]),
            "fks": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk.get("options") or {}).get("ondelete"),
                )
                for fk in insp.get_foreign_keys(table)
            ),  # fmt: skip
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(table)
                # PostgreSQL also lists the index behind each unique constraint.
                if not i.get("duplicates_constraint")
            ),
            "checks": sorted(c["name"] for c in insp.get_check_constraints(table)),
        }
    return out


def _generic(sqltype: object) -> str:
    name = type(sqltype).__name__.upper()
    aliases = {
        "JSONB": "JSON", "BYTEA": "BLOB", "LARGEBINARY": "BLOB", "DOUBLE_PRECISION": "FLOAT",
        "REAL": "FLOAT", "DOUBLE": "FLOAT", "TIMESTAMP": "DATETIME", "BIGINT": "INTEGER",
    }  # fmt: skip
    name = aliases.get(name, name)
    length = getattr(sqltype, "length", None)
    return f"{name}({length})" if length else name


def test_sqlite_and_postgres_get_the_same_schema(sqlite_engine: Engine, pg_engine: Engine) -> None:
    upgrade(sqlite_engine)
    upgrade(pg_engine)
    lite, pg = _schema(sqlite_engine), _schema(pg_engine)
    assert set(lite) == set(pg)
    assert len(lite) >= 30
    for table in lite:
        assert lite[table] == pg[table], f"table {table} differs between SQLite and PostgreSQL"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(
        "sqlite_engine" if backend == "sqlite" else "pg_engine"
    )
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations disagree on {backend}: {diff}"
    assert current_revision(engine) == head_revision()


def test_downgrade_to_base_and_up_again(sqlite_engine: Engine) -> None:
    upgrade(sqlite_engine)
    downgrade(sqlite_engine, "base")
    assert inspect(sqlite_engine).get_table_names() == ["alembic_version"]
    upgrade(sqlite_engine)
    assert "vacancies" in inspect(sqlite_engine).get_table_names()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_database_refuses_to_change_audit_log(backend: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(
        "sqlite_engine" if backend == "sqlite" else "pg_engine"
    )
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, action, object_type, purpose, details, note) "
                "VALUES (CURRENT_TIMESTAMP, 'view', 'jobseeker', 'sagsbehandling', '{}', '')"
            )
        )
    for statement in ("UPDATE audit_log SET note = 'rewritten'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT note FROM audit_log")).scalar_one() == ""


def _insert(conn: Connection, table: str, **values: object) -> None:
    """Insert a row at an old revision, filling its other required columns with placeholders."""
    reflected = Table(table, MetaData(), autoload_with=conn)
    row = dict(values)
    for column in reflected.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        if column.primary_key:
            continue
        python_type = column.type.python_type
        row[column.name] = {
            str: "x",
            int: 1,
            bool: True,
            datetime: datetime(2026, 1, 1, tzinfo=UTC),
            date: date(1990, 1, 1),
            dict: {},
            Decimal: Decimal(1),
        }[python_type]
    conn.execute(reflected.insert().values(**row))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_merging_the_event_tables_keeps_every_row(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """0008 moves referral_events and forwarding_events into workflow_events, in order, and
    the downgrade moves them back."""
    engine: Engine = request.getfixturevalue(
        "sqlite_engine" if backend == "sqlite" else "pg_engine"
    )
    upgrade(engine, "0007")
    with engine.begin() as conn:
        _insert(conn, "organisations", id=1, kind="a_kasse", name="A-kasse")
        _insert(conn, "organisations", id=2, kind="jobcentre", name="Jobcenter")
        _insert(conn, "organisations", id=3, kind="employer", name="Firma")
        _insert(
            conn, "vacancies", id=1, kind="ordinary", status="open", employer_id=3,
            weekly_hours=37, working_time="normal", approval_status="not_required",
            postal_code="5000",
        )  # fmt: skip
        _insert(conn, "jobseekers", id=1, pseudonym="L-1")
        _insert(
            conn, "referrals", id=1, vacancy_id=1, jobseeker_id=1, organisation_id=1,
            type="henvisning", state="hired",
        )  # fmt: skip
        _insert(
            conn, "forwardings", id=1, vacancy_id=1, from_organisation_id=2,
            to_organisation_id=1, rule="manual", state="returned", idempotency_key="k1",
        )  # fmt: skip
        steps = [(None, "sent"), ("sent", "interview"), ("interview", "hired")]
        for i, (a, b) in enumerate(steps):  # ids descend: the order is the ids' order
            _insert(
                conn, "referral_events", id=10 - i, referral_id=1, from_state=a, to_state=b,
                note=f"r{i}",
            )  # fmt: skip
        for i, (a, b) in enumerate([(None, "open"), ("open", "returned")]):
            _insert(
                conn, "forwarding_events", id=i + 1, forwarding_id=1, from_state=a, to_state=b,
                note=f"f{i}",
            )  # fmt: skip

    upgrade(engine)
    query = (
        "SELECT workflow, referral_id, forwarding_id, from_state, to_state, note "
        "FROM workflow_events ORDER BY id"
    )
    with engine.connect() as conn:
        merged = [tuple(row) for row in conn.execute(text(query))]
    assert merged == [
        ("referral", 1, None, "interview", "hired", "r2"),
        ("referral", 1, None, "sent", "interview", "r1"),
        ("referral", 1, None, None, "sent", "r0"),
        ("forwarding", None, 1, None, "open", "f0"),
        ("forwarding", None, 1, "open", "returned", "f1"),
    ]
    assert "referral_events" not in inspect(engine).get_table_names()

    downgrade(engine, "0007")
    with engine.connect() as conn:
        back = conn.execute(
            text("SELECT from_state, to_state, note FROM referral_events ORDER BY id")
        ).all()
        forwarded = conn.execute(text("SELECT note FROM forwarding_events ORDER BY id")).all()
    assert [tuple(r) for r in back] == [
        ("interview", "hired", "r2"),
        ("sent", "interview", "r1"),
        (None, "sent", "r0"),
    ]
    assert [r[0] for r in forwarded] == ["f0", "f1"]
