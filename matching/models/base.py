"""Declarative base, naming convention and shared column types."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, ColumnElement, DateTime, MetaData, and_, or_
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from matching.core.dates import valid_on

# Named constraints make migrations portable (SQLite batch mode needs names to alter them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def Timestamp() -> DateTime:  # noqa: N802 - reads like a type in column definitions
    return DateTime(timezone=True)


def enum_column(enum_cls: type, name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint, storing the enum *values*."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)


class TimestampMixin(CreatedAtMixin):
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp(), default=utcnow, onupdate=utcnow, nullable=False
    )


class Dated:
    """A row valid from ``valid_from`` up to, not including, ``valid_to`` (open-ended: NULL).

    ``row.valid_on(day)`` answers for one row; ``Model.valid_on(day)`` is the same rule as SQL,
    the only place it is written (a test keeps it that way)::

        select(ResponsibilityPeriod).where(ResponsibilityPeriod.valid_on(today))
    """

    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    @hybrid_method
    def valid_on(self, day: date) -> bool:
        return valid_on(day, self.valid_from, self.valid_to)

    @valid_on.inplace.expression
    @classmethod
    def _valid_on_expression(cls, day: date) -> ColumnElement[bool]:
        return and_(cls.valid_from <= day, or_(cls.valid_to.is_(None), cls.valid_to > day))


def event_log(subject_column: str):  # noqa: ANN201 - a relationship() for the model's events
    """A workflow subject's history: its rows of ``workflow_events`` (by ``subject_column``,
    e.g. ``referral_id``), oldest first; deleted with the subject (by the database)."""
    return relationship(
        "WorkflowEvent",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="WorkflowEvent.id",
        foreign_keys=f"WorkflowEvent.{subject_column}",
    )
