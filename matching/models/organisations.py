"""Organisations, their P-numbers, users and memberships."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.models.base import Base, CreatedAtMixin, Timestamp, enum_column, utcnow
from matching.models.enums import OrgKind, Role


class Organisation(CreatedAtMixin, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # CVR: 8 digits, only for employers (and a-kasser/organisers that have one).
    cvr: Mapped[str | None] = mapped_column(String(8), unique=True)
    # Danish municipality code (kommunekode, 3 digits, e.g. 101 København, 461 Odense).
    municipality_code: Mapped[int | None] = mapped_column()
    # Industry of an employer (DB07 section letter and a Danish label).
    industry_code: Mapped[str | None] = mapped_column(String(8))
    industry: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the jobcentre confirmed a self-registered employer (CVR and P-units checked); until
    # then its vacancies are not shown to counsellors. Organisations created by staff, imports
    # and the demo are confirmed when created.
    verified_at: Mapped[datetime | None] = mapped_column(Timestamp(), default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    p_numbers: Mapped[list[PNumber]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="PNumber.id"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("cvr IS NULL OR length(cvr) = 8", name="cvr_length"),
        CheckConstraint(
            "municipality_code IS NULL OR (municipality_code BETWEEN 100 AND 999)",
            name="municipality_code_range",
        ),
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind.value} {self.name!r}>"


class PNumber(Base):
    """A production unit (P-nummer, 10 digits) of an employer: the place people work."""

    __tablename__ = "p_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    pnr: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(4))

    organisation: Mapped[Organisation] = relationship(back_populates="p_numbers")

    __table_args__ = (CheckConstraint("length(pnr) = 10", name="pnr_length"),)


class User(CreatedAtMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case; unique across the platform.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # argon2id hash (see matching.core.security); never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # Raised by logging out, a new password and losing the last role: every portal session
    # started before carries the old number and ends (portal.auth).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Membership(CreatedAtMixin, Base):
    """A user's role in an organisation. A user may hold several roles in several organisations."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id", "role"),
        Index("ix_memberships_org_role", "organisation_id", "role"),
    )


class MemberInvitation(CreatedAtMixin, Base):
    """An administrator's offer of a role to an existing user, confirmed by its link.

    The link carries only a random nonce; this row stores its SHA-256 (``nonce_hash``), who
    issued it, when it expires and whether it was used or revoked: a link works once, until it
    expires, and not after the administrator withdrew it or removed the role.
    """

    __tablename__ = "member_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))  # as the administrator typed it
    # The invitation created the user with the role (the link sets a password); otherwise the
    # user existed and gets the role only by confirming the link.
    new_user: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    used_at: Mapped[datetime | None] = mapped_column(Timestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp())

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
