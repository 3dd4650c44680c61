"""Jobseekers (ledige), their dated histories and their CVs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.models.base import (
    Base,
    CreatedAtMixin,
    Dated,
    JSONType,
    Timestamp,
    TimestampMixin,
    enum_column,
    utcnow,
)
from matching.models.enums import (
    ConsentChannel,
    ConsentKind,
    EducationLevel,
    ExitReason,
    ImportStatus,
    TargetGroup,
)
from matching.models.organisations import Organisation


class Jobseeker(TimestampMixin, Base):
    """A person registered as unemployed (ledig).

    Identified in the product by ``pseudonym``. The CPR number is stored only encrypted
    (``cpr_encrypted``) with a keyed hash (``cpr_lookup``) for exact look-up; see docs/privacy.md.
    Names and contact details are shown to counsellors, never embedded or used for ranking.
    """

    __tablename__ = "jobseekers"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    cpr_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    cpr_lookup: Mapped[str | None] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(4), index=True)
    municipality_code: Mapped[int | None] = mapped_column(index=True)
    # The a-kasse the person is insured with (None: not insured).
    a_kasse_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    unemployment_start: Mapped[date | None] = mapped_column(Date)
    education_level: Mapped[EducationLevel | None] = mapped_column(
        enum_column(EducationLevel, "education_level")
    )
    # Refugees / family-reunified: years of residence matter for IGU eligibility.
    residence_years: Mapped[int | None] = mapped_column(SmallInteger)
    single_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    # Mobility
    max_commute_km: Mapped[int] = mapped_column(SmallInteger, default=30)
    willing_to_switch_industry: Mapped[bool] = mapped_column(Boolean, default=True)
    # Consent (GDPR art. 7): the current state derived from the ledger (ConsentEvent, see
    # matching.intake.consents), kept here for the queries that filter on it.
    consent_share_with_employers: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_contact_by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_joint_recruitment: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_updated_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # Person chose the jobcentre over the a-kasse (right to choose; see domain.md).
    chose_jobcentre: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # Leaving the register (afgang): the day and why; ``active`` is False from then on.
    left_on: Mapped[date | None] = mapped_column(Date, index=True)
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_column(ExitReason, "exit_reason"))
    exit_note: Mapped[str | None] = mapped_column(Text)
    # Set when the retention rules (or a lawful request) removed the personal data: the row
    # keeps only the pseudonym and the facts the statistics count.
    anonymised_at: Mapped[datetime | None] = mapped_column(Timestamp(), index=True)

    a_kasse: Mapped[Organisation | None] = relationship(foreign_keys=[a_kasse_id])
    cv: Mapped[CV | None] = relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", uselist=False
    )
    target_groups: Mapped[list[TargetGroupPeriod]] = relationship(
        back_populates="jobseeker",
        cascade="all, delete-orphan",
        order_by="TargetGroupPeriod.valid_from",
    )
    responsibilities: Mapped[list[ResponsibilityPeriod]] = relationship(
        back_populates="jobseeker",
        cascade="all, delete-orphan",
        order_by="ResponsibilityPeriod.valid_from",
    )
    consent_events: Mapped[list[ConsentEvent]] = relationship(
        back_populates="jobseeker",
        cascade="all, delete-orphan",
        order_by="ConsentEvent.id",
    )

    __table_args__ = (
        CheckConstraint("max_commute_km >= 0 AND max_commute_km <= 500", name="commute_range"),
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def target_group_on(self, day: date) -> TargetGroup | None:
        for period in self.target_groups:
            if period.valid_on(day):
                return period.target_group
        return None

    def responsible_on(self, day: date) -> ResponsibilityPeriod | None:
        for period in self.responsibilities:
            if period.valid_on(day):
                return period
        return None


class TargetGroupPeriod(Dated, CreatedAtMixin, Base):
    """Målgruppe history: which benefit/target group the person belonged to, and when."""

    __tablename__ = "target_group_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="CASCADE"), index=True
    )
    target_group: Mapped[TargetGroup] = mapped_column(enum_column(TargetGroup, "target_group"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    jobseeker: Mapped[Jobseeker] = relationship(back_populates="target_groups")

    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_order"),
    )


class ResponsibilityPeriod(Dated, CreatedAtMixin, Base):
    """Which organisation is responsible for the person, and when (a-kasse ↔ jobcentre)."""

    __tablename__ = "responsibility_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # Optional named counsellor (user) inside the organisation.
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # Why: the routing rule that decided it, or a manual reason.
    reason: Mapped[str] = mapped_column(String(200))

    jobseeker: Mapped[Jobseeker] = relationship(back_populates="responsibilities")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_order"),
        Index("ix_responsibility_org_open", "organisation_id", "valid_to"),
    )


class CV(TimestampMixin, Base):
    __tablename__ = "cvs"

    id: Mapped[int] = mapped_column(primary_key=True)
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="CASCADE"), unique=True
    )
    headline: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="da")  # language the CV is written in
    searchable: Mapped[bool] = mapped_column(Boolean, default=True)

    jobseeker: Mapped[Jobseeker] = relationship(back_populates="cv")
    experiences: Mapped[list[CVExperience]] = relationship(
        cascade="all, delete-orphan", order_by="CVExperience.position"
    )
    educations: Mapped[list[CVEducation]] = relationship(
        cascade="all, delete-orphan", order_by="CVEducation.position"
    )
    skills: Mapped[list[CVSkill]] = relationship(
        cascade="all, delete-orphan", order_by="CVSkill.position"
    )
    languages: Mapped[list[CVLanguage]] = relationship(cascade="all, delete-orphan")
    driving_licences: Mapped[list[CVDrivingLicence]] = relationship(cascade="all, delete-orphan")
    desired_occupations: Mapped[list[CVDesiredOccupation]] = relationship(
        cascade="all, delete-orphan", order_by="CVDesiredOccupation.position"
    )


class CVExperience(Base):
    __tablename__ = "cv_experiences"

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_id: Mapped[int] = mapped_column(ForeignKey("cvs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    title: Mapped[str] = mapped_column(String(200))
    employer_name: Mapped[str | None] = mapped_column(String(200))
    start_year: Mapped[int] = mapped_column(SmallInteger)
    end_year: Mapped[int | None] = mapped_column(SmallInteger)  # None: still employed
    description: Mapped[str] = mapped_column(Text, default="")
    isco_code: Mapped[str | None] = mapped_column(String(4), index=True)
    esco_uri: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        CheckConstraint("end_year IS NULL OR end_year >= start_year", name="year_order"),
    )


class CVEducation(Base):
    __tablename__ = "cv_educations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_id: Mapped[int] = mapped_column(ForeignKey("cvs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    title: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[EducationLevel | None] = mapped_column(
        enum_column(EducationLevel, "cv_education_level")
    )
    completed_year: Mapped[int | None] = mapped_column(SmallInteger)


class CVSkill(Base):
    __tablename__ = "cv_skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_id: Mapped[int] = mapped_column(ForeignKey("cvs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("cv_id", "name"),)


class CVLanguage(Base):
    __tablename__ = "cv_languages"

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_id: Mapped[int] = mapped_column(ForeignKey("cvs.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(60))  # Danish name, e.g. "Engelsk"
    level: Mapped[str] = mapped_column(String(30))  # e.g. "Modersmål", "Flydende", "Godt"

    __table_args__ = (UniqueConstraint("cv_id", "language"),)


class CVDrivingLicence(Base):
    __tablename__ = "cv_driving_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_id: Mapped[int] = mapped_column(ForeignKey("cvs.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(10))  # B, BE, C, CE, D, truck, …

    __table_args__ = (UniqueConstraint("cv_id", "category"),)


class CVDesiredOccupation(Base):
    """Jobmål: what the person searches for ("jeg søger job som")."""

    __tablename__ = "cv_desired_occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_id: Mapped[int] = mapped_column(ForeignKey("cvs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    title: Mapped[str] = mapped_column(String(200))
    isco_code: Mapped[str | None] = mapped_column(String(4))
    esco_uri: Mapped[str | None] = mapped_column(String(200))


class ConsentEvent(Base):
    """One consent given or withdrawn: the ledger the current consent state is derived from.

    Rows are only ever added; the person's ``consent_*`` columns hold the latest event per kind.
    """

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ConsentKind] = mapped_column(enum_column(ConsentKind, "consent_kind"))
    given: Mapped[bool] = mapped_column(Boolean)  # False: withdrawn
    # The day the person gave or withdrew it (may precede the recording, e.g. a paper form).
    given_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    channel: Mapped[ConsentChannel] = mapped_column(enum_column(ConsentChannel, "consent_channel"))
    note: Mapped[str] = mapped_column(String(500), default="")

    jobseeker: Mapped[Jobseeker] = relationship(back_populates="consent_events")
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (Index("ix_consent_events_person_kind", "jobseeker_id", "kind", "id"),)


class CVDraft(CreatedAtMixin, Base):
    """An uploaded CV document and the draft parsed from it, while a counsellor reviews it.

    The file and its text are kept encrypted (AES-GCM under a key derived from the CPR key),
    and the row is deleted when the draft is accepted or discarded, or when it expires.
    """

    __tablename__ = "cv_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    jobseeker_id: Mapped[int] = mapped_column(
        ForeignKey("jobseekers.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column()
    file_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    text_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # The parsed draft (matching.people.documents.ParsedCV.to_dict()) and the counsellor's
    # choices so far, field by field.
    parsed: Mapped[dict] = mapped_column(JSONType, default=dict)
    decisions: Mapped[dict] = mapped_column(JSONType, default=dict)
    expires_at: Mapped[datetime] = mapped_column(Timestamp(), index=True)


class PersonImport(TimestampMixin, Base):
    """A bulk import of people (and their CVs) from a case system's CSV or JSON Lines export.

    All-or-nothing: either every line is stored or none is (``errors`` then lists them by line).
    The uploaded file is kept encrypted only until the import has run.
    """

    __tablename__ = "person_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))  # csv | jsonl
    file_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.QUEUED
    )
    total_lines: Mapped[int] = mapped_column(default=0)
    processed_lines: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    # [{"line": 7, "field": "cpr", "message": "…"}]: fixed Danish sentences, never the line's data.
    errors: Mapped[list] = mapped_column(JSONType, default=list)
    job_id: Mapped[str | None] = mapped_column(String(80))
    started_at: Mapped[datetime | None] = mapped_column(Timestamp())
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp())
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp())
