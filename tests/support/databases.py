"""Databases for tests whose work must really commit: several processes at once, or the
portal's own request transaction. The usual ``session`` fixture rolls everything back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text


def schema_url(pg_url: str, schema: str) -> str:
    """``pg_url`` with ``schema`` first on the search path (for Settings and subprocesses)."""
    separator = "&" if "?" in pg_url else "?"
    return f"{pg_url}{separator}options=-csearch_path%3D{schema}"


def schema_engine(pg_url: str, schema: str) -> Engine:
    return create_engine(pg_url, connect_args={"options": f"-csearch_path={schema}"})


@contextmanager
def private_schema(pg_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema (its name is yielded), dropped with everything in it
    afterwards, so that committed rows never reach the shared test schema."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
