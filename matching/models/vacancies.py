"""Vacancies and company places (virksomhedspraktik, løntilskud, voksenlærling, IGU)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.models.base import Base, Timestamp, TimestampMixin, enum_column, event_log
from matching.models.enums import ApprovalStatus, VacancyKind, VacancyStatus, WorkingTime
from matching.models.organisations import Organisation, PNumber, User

if TYPE_CHECKING:
    from matching.models.workflow import WorkflowEvent

TITLE_MAX_CHARS = 100  # jobordre title limit (domain.md §3)
DESCRIPTION_MAX_CHARS = 5000  # jobordre description limit


class Vacancy(TimestampMixin, Base):
    """An ordinary vacancy or a company place.

    ``employer_id`` is the company; ``owner_id`` is the a-kasse or jobcentre that took the order
    and owns it in the forwarding sense (NULL while the employer handles it alone).
    Company places carry the fields the rules need (staff count for the rimelighedskrav,
    employee-representative statement, duration, purpose) and an approval by the jobcentre.
    """

    __tablename__ = "vacancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[VacancyKind] = mapped_column(enum_column(VacancyKind, "vacancy_kind"), index=True)
    status: Mapped[VacancyStatus] = mapped_column(
        enum_column(VacancyStatus, "vacancy_status"), default=VacancyStatus.DRAFT, index=True
    )
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    p_number_id: Mapped[int | None] = mapped_column(ForeignKey("p_numbers.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    title: Mapped[str] = mapped_column(String(TITLE_MAX_CHARS))
    esco_uri: Mapped[str | None] = mapped_column(String(200))
    isco_code: Mapped[str | None] = mapped_column(String(4), index=True)
    disco_code: Mapped[str | None] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    industry: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(4), index=True)
    weekly_hours: Mapped[float] = mapped_column(Numeric(4, 1), default=37)
    working_time: Mapped[WorkingTime] = mapped_column(
        enum_column(WorkingTime, "working_time"), default=WorkingTime.NORMAL
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    positions: Mapped[int] = mapped_column(SmallInteger, default=1)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    published_at: Mapped[datetime | None] = mapped_column(Timestamp())
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp())

    # Company place fields (NULL for ordinary vacancies).
    ordinary_staff_fte: Mapped[float | None] = mapped_column(Numeric(7, 1))
    current_subsidised_count: Mapped[int | None] = mapped_column(SmallInteger)
    employee_rep_statement: Mapped[bool | None] = mapped_column(Boolean)
    employee_rep_name: Mapped[str | None] = mapped_column(String(200))
    duration_weeks: Mapped[int | None] = mapped_column(SmallInteger)
    purpose: Mapped[str | None] = mapped_column(Text)
    approval_status: Mapped[ApprovalStatus] = mapped_column(
        enum_column(ApprovalStatus, "approval_status"), default=ApprovalStatus.NOT_REQUIRED
    )
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(Timestamp())
    approval_note: Mapped[str | None] = mapped_column(Text)
    # Raised by every change of the employer's fields or the status: the approver's decision
    # names the version it was made on and is refused if the place changed since.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    employer: Mapped[Organisation] = relationship(foreign_keys=[employer_id])
    owner: Mapped[Organisation | None] = relationship(foreign_keys=[owner_id])
    p_number: Mapped[PNumber | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    events: Mapped[list[WorkflowEvent]] = event_log("vacancy_id")

    __table_args__ = (
        CheckConstraint("positions >= 1 AND positions <= 999", name="positions_range"),
        CheckConstraint("weekly_hours > 0 AND weekly_hours <= 80", name="hours_range"),
        CheckConstraint(
            "duration_weeks IS NULL OR (duration_weeks >= 1 AND duration_weeks <= 156)",
            name="duration_range",
        ),
        CheckConstraint(
            "kind = 'ordinary' OR approval_status <> 'not_required'",
            name="places_need_approval",
        ),
        Index("ix_vacancies_status_kind", "status", "kind"),
    )

    @property
    def is_company_place(self) -> bool:
        return self.kind.is_company_place
