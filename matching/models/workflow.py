"""Matches, referrals (henvisninger) and forwardings, and the one event log of every workflow."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.models.base import (
    Base,
    CreatedAtMixin,
    JSONType,
    Timestamp,
    TimestampMixin,
    enum_column,
    event_log,
    utcnow,
)
from matching.models.enums import (
    OPEN_REFERRAL_STATES,
    ForwardingRule,
    ForwardingState,
    ReferralState,
    ReferralType,
)
from matching.models.organisations import Organisation, User
from matching.models.people import Jobseeker
from matching.models.vacancies import Vacancy


class Match(Base):
    """A proposed pairing of a vacancy and a jobseeker, as last computed by the matcher.

    One row serves both lists: ``rank`` is the person's position in the vacancy's candidate
    list, ``person_rank`` the vacancy's position in the person's list (NULL: not in that
    list). ``components`` holds the machine-readable score parts, ``explanation`` the Danish
    chips shown to counsellors. A match is a proposal: people decide (see MatchReview).
    """

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"))
    jobseeker_id: Mapped[int] = mapped_column(ForeignKey("jobseekers.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(SmallInteger)
    person_rank: Mapped[int | None] = mapped_column(SmallInteger)
    components: Mapped[dict] = mapped_column(JSONType, default=dict)
    explanation: Mapped[list[str]] = mapped_column(JSONType, default=list)
    eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    cross_industry: Mapped[bool] = mapped_column(Boolean, default=False)
    # Placed by the list's brancheskift share rather than by score alone.
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    distance_km: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(80))
    rules_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)

    vacancy: Mapped[Vacancy] = relationship()
    jobseeker: Mapped[Jobseeker] = relationship()

    __table_args__ = (
        UniqueConstraint("vacancy_id", "jobseeker_id"),
        Index("ix_matches_vacancy_rank", "vacancy_id", "rank"),
        Index("ix_matches_jobseeker_rank", "jobseeker_id", "person_rank"),
    )


class MatchRun(Base):
    """The last computation of one list (a vacancy's candidates or a person's vacancies).

    The nightly job recomputes lists whose ``model_version`` or ``rules_version`` is not the
    current one, or whose subject changed after ``computed_at``. ``excluded`` counts the
    candidates the hard rules removed, by reason, for the counsellor's "why not" view.
    """

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # vacancy | jobseeker
    subject_id: Mapped[int] = mapped_column()
    model_version: Mapped[str] = mapped_column(String(80))
    rules_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    considered: Mapped[int] = mapped_column(default=0)
    listed: Mapped[int] = mapped_column(default=0)
    excluded: Mapped[dict] = mapped_column(JSONType, default=dict)
    duration_ms: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id"),
        CheckConstraint("subject_kind IN ('vacancy', 'jobseeker')", name="subject_kind"),
    )


class MatchReview(CreatedAtMixin, Base):
    """A counsellor's decision on a match: accept, reject (with reason) or override."""

    __tablename__ = "match_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"))
    jobseeker_id: Mapped[int] = mapped_column(ForeignKey("jobseekers.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    decision: Mapped[str] = mapped_column(String(20))  # accept | reject | override
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_match_reviews_pair", "vacancy_id", "jobseeker_id"),)


_OPEN_REFERRALS_SQL = "state IN ({})".format(
    ", ".join(f"'{state.value}'" for state in OPEN_REFERRAL_STATES)
)


class Referral(TimestampMixin, Base):
    """A henvisning (or opfordring / jobordre referral) of a jobseeker to a vacancy."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(
        ForeignKey("vacancies.id", ondelete="RESTRICT"), index=True
    )
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    type: Mapped[ReferralType] = mapped_column(
        enum_column(ReferralType, "referral_type"), default=ReferralType.HENVISNING
    )
    state: Mapped[ReferralState] = mapped_column(
        enum_column(ReferralState, "referral_state"), default=ReferralState.PROPOSED, index=True
    )
    notice_days: Mapped[int] = mapped_column(SmallInteger, default=1)
    respond_by: Mapped[date | None] = mapped_column(Date)
    reminded_at: Mapped[datetime | None] = mapped_column(Timestamp())
    note: Mapped[str] = mapped_column(Text, default="")

    vacancy: Mapped[Vacancy] = relationship()
    jobseeker: Mapped[Jobseeker] = relationship()
    organisation: Mapped[Organisation] = relationship()
    events: Mapped[list[WorkflowEvent]] = event_log("referral_id")

    # One open referral per person and vacancy: two »henvis« at once cannot both succeed.
    __table_args__ = (
        Index(
            "uq_referrals_open_pair",
            "vacancy_id",
            "jobseeker_id",
            unique=True,
            postgresql_where=text(_OPEN_REFERRALS_SQL),
            sqlite_where=text(_OPEN_REFERRALS_SQL),
        ),
    )


class Forwarding(TimestampMixin, Base):
    """A vacancy passed from one organisation to another (videregivelse).

    ``idempotency_key`` (vacancy + target + rule) is unique, so concurrent scheduler runs
    forward once: the database decides, not a lock.
    """

    __tablename__ = "forwardings"

    id: Mapped[int] = mapped_column(primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(
        ForeignKey("vacancies.id", ondelete="CASCADE"), index=True
    )
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    rule: Mapped[ForwardingRule] = mapped_column(enum_column(ForwardingRule, "forwarding_rule"))
    state: Mapped[ForwardingState] = mapped_column(
        enum_column(ForwardingState, "forwarding_state"), default=ForwardingState.OPEN
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    vacancy: Mapped[Vacancy] = relationship()
    from_organisation: Mapped[Organisation] = relationship(foreign_keys=[from_organisation_id])
    to_organisation: Mapped[Organisation] = relationship(foreign_keys=[to_organisation_id])
    events: Mapped[list[WorkflowEvent]] = event_log("forwarding_id")


SUBJECT_COLUMNS = ("referral_id", "vacancy_id", "forwarding_id", "export_id")
# Exactly one subject: portable SQL (PostgreSQL does not add booleans).
ONE_SUBJECT_SQL = (
    " + ".join(f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in SUBJECT_COLUMNS)
    + " = 1"
)


class WorkflowEvent(Base):
    """One step in the history of a referral, vacancy, forwarding or export: written by
    :class:`matching.core.workflow.Workflow` whenever one changes state (``from_state`` is NULL
    for the state a subject starts in; equal to ``to_state`` for a note such as a handover).

    Exactly one subject column is set: real foreign keys, so a subject's history goes with it.
    """

    __tablename__ = "workflow_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow: Mapped[str] = mapped_column(String(20))  # referral | vacancy | forwarding | export
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    vacancy_id: Mapped[int | None] = mapped_column(
        ForeignKey("vacancies.id", ondelete="CASCADE"), index=True
    )
    forwarding_id: Mapped[int | None] = mapped_column(
        ForeignKey("forwardings.id", ondelete="CASCADE"), index=True
    )
    export_id: Mapped[int | None] = mapped_column(
        ForeignKey("exports.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str | None] = mapped_column(String(32))  # NULL on events from before 0008
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(ONE_SUBJECT_SQL, name="one_subject"),
        CheckConstraint(
            "workflow IN ('referral', 'vacancy', 'forwarding', 'export')", name="workflow_name"
        ),
    )
