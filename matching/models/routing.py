"""Who is responsible for a jobseeker (routing) and the handovers between organisations,
and each organisation's rules for forwarding vacancies it cannot fill."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.models.base import Base, CreatedAtMixin, Dated, TimestampMixin
from matching.models.organisations import Organisation, User
from matching.models.people import Jobseeker


class MunicipalityRouting(Dated, CreatedAtMixin, Base):
    """A municipality's choice among the routing rule sets in force (dated), e.g. a 2009–14
    partnership with the local a-kasser or the 2027–29 trial. Without a row the national rule
    set for the date applies."""

    __tablename__ = "municipality_routing"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_code: Mapped[int] = mapped_column(index=True)
    rule_set: Mapped[str] = mapped_column(String(60))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_order"),
        CheckConstraint("municipality_code BETWEEN 100 AND 999", name="municipality_code_range"),
    )


class Handover(CreatedAtMixin, Base):
    """A jobseeker passed from one responsible organisation to another on ``effective_date``.

    The note lists what moved with the person (open referrals, reviews); both organisations
    see the handover. ``idempotency_key`` (person + date + receiving organisation) is unique,
    so a routing run repeated or run twice at once hands over once.
    """

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="CASCADE"), index=True
    )
    from_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    to_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    effective_date: Mapped[date] = mapped_column(Date)
    rule_id: Mapped[str] = mapped_column(String(80))  # the routing rule that decided it
    note: Mapped[str] = mapped_column(Text, default="")
    open_referrals: Mapped[int] = mapped_column(SmallInteger, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)

    jobseeker: Mapped[Jobseeker] = relationship()
    from_organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[from_organisation_id]
    )
    to_organisation: Mapped[Organisation] = relationship(foreign_keys=[to_organisation_id])


class ForwardingPolicy(TimestampMixin, Base):
    """An organisation's rules for forwarding vacancies it owns (videregivelse).

    Forward when fewer than ``min_pool`` of the organisation's own people score at least
    ``min_score`` on the computed list, or when ``no_referral_days`` pass without a referral.
    Targets: the jobcentre (from an a-kasse), the a-kasser whose members match best (from the
    jobcentre, at most ``max_targets``), or other a-kasser (joint recruitment).
    """

    __tablename__ = "forwarding_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    min_pool: Mapped[int] = mapped_column(SmallInteger, default=5)
    min_score: Mapped[float] = mapped_column(Float, default=0.5)
    no_referral_days: Mapped[int] = mapped_column(SmallInteger, default=14)
    to_jobcentre: Mapped[bool] = mapped_column(Boolean, default=True)
    to_a_kasser: Mapped[bool] = mapped_column(Boolean, default=True)
    max_targets: Mapped[int] = mapped_column(SmallInteger, default=3)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("min_pool >= 0 AND min_pool <= 1000", name="min_pool_range"),
        CheckConstraint("min_score >= 0 AND min_score <= 1", name="min_score_range"),
        CheckConstraint(
            "no_referral_days >= 1 AND no_referral_days <= 365", name="no_referral_days_range"
        ),
        CheckConstraint("max_targets >= 1 AND max_targets <= 20", name="max_targets_range"),
    )


__all__ = ["ForwardingPolicy", "Handover", "MunicipalityRouting"]
