"""Alembic environment: the engine comes from the caller (matching.core.migrate) or from
Settings."""

from __future__ import annotations

from alembic import context

from matching.models import Base

config = context.config
target_metadata = Base.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is None:
        from matching.core.db import make_engine
        from matching.core.settings import Settings

        engine = make_engine(Settings.from_env())
    return engine


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode recreates tables instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `jobbro db upgrade`.")
run_migrations_online()
