"""Job fairs, their participants, shortlists, and exports."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.models.base import (
    Base,
    CreatedAtMixin,
    JSONType,
    Timestamp,
    TimestampMixin,
    enum_column,
    event_log,
)
from matching.models.enums import ExportFormat, ExportStatus
from matching.models.organisations import Organisation
from matching.models.vacancies import Vacancy

if TYPE_CHECKING:
    from matching.models.workflow import WorkflowEvent


class JobFair(TimestampMixin, Base):
    __tablename__ = "job_fairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    target_groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    municipality_codes: Mapped[list[int]] = mapped_column(JSONType, default=list)
    description: Mapped[str] = mapped_column(Text, default="")

    organiser: Mapped[Organisation] = relationship()


class JobFairEmployer(CreatedAtMixin, Base):
    __tablename__ = "job_fair_employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_fair_id: Mapped[int] = mapped_column(
        ForeignKey("job_fairs.id", ondelete="CASCADE"), index=True
    )
    employer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="invited")  # invited|accepted|declined
    responded_at: Mapped[datetime | None] = mapped_column(Timestamp())

    employer: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("job_fair_id", "employer_id"),)


class JobFairVacancy(CreatedAtMixin, Base):
    __tablename__ = "job_fair_vacancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_fair_id: Mapped[int] = mapped_column(
        ForeignKey("job_fairs.id", ondelete="CASCADE"), index=True
    )
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"))
    shortlist_locked: Mapped[bool] = mapped_column(Boolean, default=False)

    vacancy: Mapped[Vacancy] = relationship()

    __table_args__ = (UniqueConstraint("job_fair_id", "vacancy_id"),)


class ShortlistEntry(CreatedAtMixin, Base):
    __tablename__ = "shortlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_fair_vacancy_id: Mapped[int] = mapped_column(
        ForeignKey("job_fair_vacancies.id", ondelete="CASCADE"), index=True
    )
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(10), default="match")  # match | manual
    rank: Mapped[int | None] = mapped_column(SmallInteger)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    invited: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why the organiser added someone by hand (required when not on the match list).
    note: Mapped[str] = mapped_column(Text, default="")
    # Opaque id printed on exports instead of identity when consent is missing.
    invitation_code: Mapped[str] = mapped_column(String(16), unique=True)

    __table_args__ = (UniqueConstraint("job_fair_vacancy_id", "jobseeker_id"),)


class Export(CreatedAtMixin, Base):
    """A file produced in the background (shortlist CSV/XLSX/PDF); deleted after ``expires_at``."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    job_fair_id: Mapped[int | None] = mapped_column(ForeignKey("job_fairs.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))  # shortlist | invitations
    format: Mapped[ExportFormat] = mapped_column(enum_column(ExportFormat, "export_format"))
    status: Mapped[ExportStatus] = mapped_column(
        enum_column(ExportStatus, "export_status"), default=ExportStatus.QUEUED
    )
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)  # percent
    row_count: Mapped[int | None] = mapped_column()
    file_name: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # Written every few seconds while a worker runs the export: a running export whose
    # heartbeat stopped (the worker was killed) is marked failed and can be retried.
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp())
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp())
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp())
    params: Mapped[dict] = mapped_column(JSONType, default=dict)

    events: Mapped[list[WorkflowEvent]] = event_log("export_id")
