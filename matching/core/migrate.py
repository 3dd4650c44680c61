"""Schema migrations (Alembic), runnable from code and from ``jobbro db upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from matching.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config_without_engine()).get_current_head()


def alembic_config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def drop_everything(engine: Engine) -> None:
    """Drop every table (tests only), as the database has them: also tables of another
    revision that the models no longer know, and Alembic's version table."""
    with engine.begin() as conn:
        existing = MetaData()
        existing.reflect(conn)
        existing.drop_all(conn)


def reset_schema_for_tests(engine: Engine) -> None:
    drop_everything(engine)
    if MIGRATIONS_DIR.joinpath("versions").is_dir() and any(
        MIGRATIONS_DIR.joinpath("versions").glob("*.py")
    ):
        upgrade(engine)
    else:
        Base.metadata.create_all(engine)
