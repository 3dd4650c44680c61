"""Accounts: CVR/P-number rules, employer sign-up, colleagues and the signed password links."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from matching.accounts import members as org_members
from matching.accounts import passwords, signup, throttling, tokens
from matching.accounts.tokens import INVITATION, PASSWORD_RESET
from matching.core.errors import OutOfScope, PermissionDenied, ValidationError
from matching.core.security import verify_password
from matching.models import (
    AuditAction,
    AuditEntry,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
    utcnow,
)

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "en-lang-og-god-adgangskode"


def _errors(call: Callable[[], object]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.errors


def _signup(session: Session, **overrides: object) -> signup.SignupResult:
    data: dict = {
        "company_name": "Fynsk Byg ApS",
        "cvr": "12345678",
        "industry": "Byggeri",
        "address": "Vestergade 12",
        "postal_code": "5000",
        "p_numbers": ["1012345678", "1012345679"],
        "admin_name": "Bente Bygherre",
        "admin_email": "bente@fynskbyg.dk",
        "password": PASSWORD,
    }
    data.update(overrides)
    result = signup.signup_employer(session, **data)
    session.flush()
    return result


def _audit(session: Session, object_type: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    return list(session.scalars(query))


def _admin_of(result: signup.SignupResult) -> Membership:
    return next(m for m in result.user.memberships if m.role is Role.ADMIN)


# --- CVR, P-numbers, passwords ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12345678", "1234 5678", " 12 34 56 78 ", "10000000"])
def test_valid_cvr_numbers(value: str) -> None:
    assert signup.validate_cvr(value) == value.replace(" ", "")


def test_cvr_is_not_checked_with_modulus_11() -> None:
    # 12345679 fails the old modulus-11 check (weights 2,7,6,5,4,3,2,1) and is still accepted.
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    assert sum(int(d) * w for d, w in zip("12345679", weights, strict=True)) % 11 != 0
    assert signup.validate_cvr("12345679") == "12345679"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1234567", "8 cifre"),
        ("123456789", "8 cifre"),
        ("1234567a", "8 cifre"),
        ("１２３４５６７８", "8 cifre"),  # full-width digits are digits to Python, not to CVR
        ("", "8 cifre"),
        ("01234567", "begynde med 0"),
    ],
)
def test_invalid_cvr_numbers(value: str, message: str) -> None:
    assert message in _errors(lambda: signup.validate_cvr(value))["cvr"]


def test_p_numbers() -> None:
    assert signup.validate_pnr("10 1234 5678") == "1012345678"
    assert "10 cifre" in _errors(lambda: signup.validate_pnr("123456789"))["pnr"]
    assert signup.split_p_numbers("1012345678\r\n\n1012345679, 1012345670") == [
        "1012345678",
        "1012345679",
        " 1012345670",
    ]
    assert signup.parse_p_numbers(["1012345678", " ", "1012345679"]) == [
        "1012345678",
        "1012345679",
    ]
    assert "mindst ét" in _errors(lambda: signup.parse_p_numbers(["", " "]))["p_numbers"]
    repeated = _errors(lambda: signup.parse_p_numbers(["1012345678", "10 1234 5678"]))
    assert "flere gange" in repeated["p_numbers"]
    assert "»abc«" in _errors(lambda: signup.parse_p_numbers(["abc"]))["p_numbers"]


def test_password_policy() -> None:
    assert signup.password_problem("a" * 11) == "Adgangskoden skal være mindst 12 tegn."
    assert signup.password_problem("a" * 12) is None
    assert signup.password_problem("a" * 1024) is None
    assert "højst være 1024 tegn" in signup.password_problem("a" * 1025)
    assert signup.password_problem("Bente@FynskByg.dk", "bente@fynskbyg.dk") == (
        "Adgangskoden må ikke være din e-mail."
    )


# --- Sign-up ------------------------------------------------------------------------------------


def test_signup_creates_employer_p_units_and_admin(session: Session) -> None:
    result = _signup(session, admin_email=" Bente@FynskByg.dk ", ip_address="192.0.2.7")
    org = result.organisation
    assert (org.kind, org.name, org.cvr, org.industry) == (
        OrgKind.EMPLOYER,
        "Fynsk Byg ApS",
        "12345678",
        "Byggeri",
    )
    assert org.email == "bente@fynskbyg.dk"
    session.flush()
    session.expire(org)
    assert org.verified_at is None  # waits for the jobcentre (matching.accounts.verification)
    assert [(p.pnr, p.address, p.postal_code) for p in org.p_numbers] == [
        ("1012345678", "Vestergade 12", "5000"),
        ("1012345679", None, None),
    ]
    user = result.user
    assert user.email == "bente@fynskbyg.dk" and user.active
    assert verify_password(user.password_hash, PASSWORD)
    assert sorted(m.role.value for m in user.memberships) == ["admin", "employer"]
    assert result.employer_membership.role is Role.EMPLOYER
    entries = _audit(session)
    assert {(e.action, e.object_type) for e in entries} == {
        (AuditAction.CREATE, "organisation"),
        (AuditAction.CREATE, "user"),
        (AuditAction.CREATE, "membership"),
    }
    assert len([e for e in entries if e.object_type == "membership"]) == 2
    assert all(e.actor_id == user.id and e.ip_address == "192.0.2.7" for e in entries)


def test_signup_reports_every_problem_at_once(session: Session) -> None:
    errors = _errors(
        lambda: _signup(
            session,
            company_name=" ",
            cvr="0123",
            p_numbers=["1012345678", "1012345678"],
            address="",
            postal_code="500",
            admin_name="",
            admin_email="ikke-en-email",
            password="kort",
        )
    )
    assert set(errors) == {
        "company_name",
        "cvr",
        "p_numbers",
        "address",
        "postal_code",
        "admin_name",
        "admin_email",
        "password",
    }
    assert session.scalars(select(Organisation)).all() == []


def test_signup_refuses_what_is_already_registered(session: Session) -> None:
    _signup(session)
    errors = _errors(
        lambda: _signup(
            session,
            company_name="Anden ApS",
            p_numbers=["1012345679", "1099999999"],
            admin_email="BENTE@fynskbyg.dk",
        )
    )
    assert errors == {
        "cvr": signup.CVR_TAKEN_MESSAGE,
        "admin_email": signup.EMAIL_TAKEN_MESSAGE,
        "p_numbers": "P-nummeret 1012345679 er allerede oprettet i Jobbro af en anden virksomhed.",
    }
    assert signup.CVR_TAKEN_MESSAGE == (
        "Virksomheden med dette CVR-nummer er allerede oprettet. Bed en kollega om en invitation."
    )
    # No more than the login page says: it does not state that the user exists.
    assert signup.EMAIL_TAKEN_MESSAGE == (
        "Brug en anden e-mail, eller log ind, hvis du allerede har en bruger."
    )
    assert len(session.scalars(select(Organisation)).all()) == 1


def test_signup_password_may_not_be_the_email(session: Session) -> None:
    errors = _errors(
        lambda: _signup(
            session, admin_email="bente.lang@fynskbyg.dk", password="Bente.Lang@fynskbyg.dk"
        )
    )
    assert errors == {"password": "Adgangskoden må ikke være din e-mail."}


def test_names_lose_line_breaks(session: Session) -> None:
    result = _signup(session, company_name="Fynsk\r\nBcc: x@ondt.example", admin_name="Bente\n B")
    assert result.organisation.name == "Fynsk Bcc: x@ondt.example"
    assert result.user.name == "Bente B"


def test_a_sign_up_request_stores_nothing_but_its_audit_row_and_is_limited(
    session: Session,
) -> None:
    existing = _signup(session).user
    asked = signup.request_signup(session, " Ny@FynskByg.dk ", ip_address="192.0.2.7")
    assert asked == signup.SignupRequest("ny@fynskbyg.dk", None)
    assert session.scalar(select(User).where(User.email == "ny@fynskbyg.dk")) is None
    [row] = _audit(session, signup.SIGNUP_REQUEST)
    assert row.object_id == throttling.email_key("ny@fynskbyg.dk") and row.actor_id is None
    assert "ny@fynskbyg.dk" not in str(row.details)
    assert signup.request_signup(session, existing.email) == signup.SignupRequest(
        existing.email, existing
    )
    existing.active = False  # a deactivated user is mailed nothing
    assert signup.request_signup(session, existing.email) is None
    for _ in range(signup.SIGNUP_REQUESTS_PER_EMAIL - 1):
        assert signup.request_signup(session, "ny@fynskbyg.dk", ip_address="192.0.2.8")
    for _ in range(5):
        assert signup.request_signup(session, "NY@fynskbyg.dk", ip_address="192.0.2.9") is None
    [refused] = _audit(session, signup.SIGNUP_REQUEST + throttling.REFUSED_SUFFIX)
    assert refused.details == {"event": "signup_requested", "by": "email"}


def test_a_sign_up_link_carries_its_email_for_one_purpose_and_a_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = tokens.make_signup_token(SECRET, "ny@fynskbyg.dk")
    assert tokens.signup_email_for_token(SECRET, token) == "ny@fynskbyg.dk"
    assert _errors(lambda: tokens.signup_email_for_token("another-key" * 5, token)) == {
        "token": tokens.TOKEN_INVALID_MESSAGE
    }
    # A password link signed with the same key is no sign-up link, and vice versa.
    reset = tokens._serializer(SECRET, PASSWORD_RESET).dumps(["signup", "ny@fynskbyg.dk"])
    assert "token" in _errors(lambda: tokens.signup_email_for_token(SECRET, reset))
    issued = int(time.time()) - tokens.EMPLOYER_SIGNUP.max_age_seconds - 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
    expired = tokens.make_signup_token(SECRET, "ny@fynskbyg.dk")
    monkeypatch.undo()
    assert _errors(lambda: tokens.signup_email_for_token(SECRET, expired)) == {
        "token": tokens.SIGNUP_EXPIRED_MESSAGE
    }


# --- Colleagues ---------------------------------------------------------------------------------


def test_admin_invites_a_new_user_into_their_own_organisation(session: Session) -> None:
    result = _signup(session)
    invitation = org_members.invite_member(
        session, _admin_of(result), " Kim@FynskByg.dk", "Kim Kollega", "employer"
    )
    assert invitation.new_user
    assert (invitation.email, invitation.name) == ("kim@fynskbyg.dk", "Kim Kollega")
    user, membership = invitation.user, invitation.membership
    assert user.email == "kim@fynskbyg.dk" and user.name == "Kim Kollega"
    assert membership.organisation_id == result.organisation.id
    assert membership.role is Role.EMPLOYER
    # Nobody knows the password until the invitation link is used.
    assert not verify_password(user.password_hash, "")
    assert user.password_hash != result.user.password_hash
    [invited] = [e for e in _audit(session, "user") if e.details.get("event") == "invited"]
    assert invited.action is AuditAction.CREATE and invited.object_id == str(user.id)
    [entry] = [e for e in _audit(session, "membership") if e.object_id == str(membership.id)]
    assert entry.action is AuditAction.CREATE and entry.actor_id == result.user.id


def _second_company(session: Session, **overrides: object) -> signup.SignupResult:
    data: dict = {
        "company_name": "Anden ApS",
        "cvr": "87654321",
        "p_numbers": ["2012345678"],
        "admin_name": "Ole Anden",
        "admin_email": "ole@anden.dk",
    }
    data.update(overrides)
    return _signup(session, **data)


def test_inviting_an_existing_user_adds_nothing_until_they_confirm(session: Session) -> None:
    first = _signup(session)
    other = _second_company(session)
    invitation = org_members.invite_member(
        session, _admin_of(first), "OLE@anden.dk", "Omdøbt Navn", Role.EMPLOYER
    )
    assert not invitation.new_user and invitation.membership is None
    assert invitation.user.id == other.user.id
    # The administrator's side holds what they typed, not the stored name.
    assert (invitation.email, invitation.name) == ("ole@anden.dk", "Omdøbt Navn")
    assert invitation.user.name == "Ole Anden"  # one organisation does not rename a user
    assert verify_password(invitation.user.password_hash, PASSWORD)
    in_first = session.scalars(
        select(Membership).where(
            Membership.user_id == other.user.id,
            Membership.organisation_id == first.organisation.id,
        )
    ).all()
    assert in_first == []
    [entry] = _audit(session, "membership_invitation")
    assert entry.object_id == str(invitation.record.id)
    assert entry.details == {
        "user_id": other.user.id,
        "organisation_id": first.organisation.id,
        "role": "employer",
        "email": "ole@anden.dk",
        "sent": True,
    }
    # The record holds the hash of the link's nonce, never the nonce.
    record = invitation.record
    assert record.nonce_hash == hashlib.sha256(invitation.nonce.encode()).hexdigest()
    assert (record.user_id, record.organisation_id, record.role) == (
        other.user.id,
        first.organisation.id,
        Role.EMPLOYER,
    )
    assert record.issued_by_id == first.user.id and not record.new_user
    assert record.used_at is None and record.revoked_at is None

    token = invitation.nonce
    assert org_members.membership_link_user_id(session, token) == other.user.id
    offer = org_members.membership_offer(session, token, other.user)
    assert (offer.organisation.id, offer.role) == (first.organisation.id, Role.EMPLOYER)
    # Only the invited user can confirm.
    with pytest.raises(PermissionDenied):
        org_members.accept_membership(session, token, first.user)
    membership = org_members.accept_membership(session, token, other.user, ip_address="::1")
    session.refresh(record)
    assert record.used_at is not None
    assert (membership.organisation_id, membership.role) == (first.organisation.id, Role.EMPLOYER)
    [accepted] = [
        e
        for e in _audit(session, "membership")
        if e.details.get("event") == "membership_invitation_accepted"
    ]
    assert accepted.actor_id == other.user.id and accepted.object_id == str(membership.id)
    # Single use: once confirmed the link is dead.
    used = _errors(lambda: org_members.accept_membership(session, token, other.user))
    assert used == {"token": org_members.MEMBERSHIP_USED_MESSAGE}
    # The role is now on the members page, so refusing it again reveals nothing.
    again = _errors(
        lambda: org_members.invite_member(
            session, _admin_of(first), "ole@anden.dk", "Ole", "employer"
        )
    )
    assert again == {"email": org_members.ALREADY_LISTED_MESSAGE}
    assert "har allerede rollen" not in org_members.ALREADY_LISTED_MESSAGE


def test_inviting_a_deactivated_user_says_nothing_and_sends_nothing(session: Session) -> None:
    first = _signup(session)
    other = _second_company(session)
    other.user.active = False
    session.flush()
    invitation = org_members.invite_member(
        session, _admin_of(first), "ole@anden.dk", "Ole", Role.EMPLOYER
    )
    assert invitation.user is None and invitation.membership is None and not invitation.new_user
    assert invitation.name == "Ole"
    [entry] = _audit(session, "membership_invitation")
    assert entry.details["sent"] is False
    # Listed as pending like any other, so the list does not tell who is deactivated; its
    # link (never sent) would not work.
    assert org_members.pending_invitations(session, first.organisation.id) == [invitation.record]
    errors = _errors(lambda: org_members.membership_offer(session, invitation.nonce, other.user))
    assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}


def test_membership_links_are_checked(session: Session) -> None:
    first = _signup(session)
    other = _second_company(session)
    invitation = org_members.invite_member(
        session, _admin_of(first), "ole@anden.dk", "Ole", Role.ADMIN
    )
    token = invitation.nonce
    for bad in (
        tokens.make_token(SECRET, INVITATION, other.user),
        tokens.make_token(SECRET, PASSWORD_RESET, other.user),
        invitation.record.nonce_hash,  # the stored hash is no link
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "",
        "x" * 600,
    ):
        errors = _errors(lambda bad=bad: org_members.membership_link_user_id(session, bad))
        assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}
    # Not a password link either.
    errors = _errors(lambda: org_members.new_user_invitation(session, token))
    assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}

    invitation.record.expires_at = utcnow() - timedelta(seconds=5)
    session.flush()
    errors = _errors(lambda: org_members.membership_offer(session, token, other.user))
    assert errors == {"token": org_members.MEMBERSHIP_EXPIRED_MESSAGE}
    errors = _errors(lambda: org_members.accept_membership(session, token, other.user))
    assert errors == {"token": org_members.MEMBERSHIP_EXPIRED_MESSAGE}
    invitation.record.expires_at = utcnow() + timedelta(days=1)

    # A stopped organisation or user makes the link invalid.
    first.organisation.active = False
    session.flush()
    errors = _errors(lambda: org_members.accept_membership(session, token, other.user))
    assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}
    first.organisation.active = True
    other.user.active = False
    session.flush()
    errors = _errors(lambda: org_members.accept_membership(session, token, other.user))
    assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}


def test_removing_a_role_or_withdrawing_ends_its_links(session: Session) -> None:
    first = _signup(session)
    other = _second_company(session)
    admin = _admin_of(first)
    invitation = org_members.invite_member(session, admin, "ole@anden.dk", "Ole", "employer")
    membership = org_members.accept_membership(session, invitation.nonce, other.user)
    # A second link for the same role, sent before the removal, dies with the role too.
    org_members.remove_member(session, admin, membership.id)
    errors = _errors(lambda: org_members.accept_membership(session, invitation.nonce, other.user))
    assert errors == {"token": org_members.INVITATION_USED_MESSAGE}

    second = org_members.invite_member(session, admin, "ole@anden.dk", "Ole", "employer")
    third = org_members.invite_member(session, admin, "ole@anden.dk", "Ole", "employer")
    # Only the newest link of one role works.
    errors = _errors(lambda: org_members.membership_offer(session, second.nonce, other.user))
    assert errors == {"token": org_members.INVITATION_WITHDRAWN_MESSAGE}
    assert org_members.pending_invitations(session, first.organisation.id) == [third.record]
    withdrawn = org_members.withdraw_invitation(session, admin, third.record.id, ip_address="::1")
    assert withdrawn.revoked_at is not None
    errors = _errors(lambda: org_members.accept_membership(session, third.nonce, other.user))
    assert errors == {"token": org_members.INVITATION_WITHDRAWN_MESSAGE}
    assert org_members.pending_invitations(session, first.organisation.id) == []
    again = _errors(lambda: org_members.withdraw_invitation(session, admin, third.record.id))
    assert again == {"": org_members.WITHDRAWN_ALREADY_MESSAGE}
    [entry] = [
        e
        for e in _audit(session, "membership_invitation")
        if e.details.get("event") == "invitation_withdrawn"
    ]
    assert entry.action is AuditAction.DELETE and entry.object_id == str(third.record.id)
    # Another organisation's administrator cannot withdraw it (nor learn it exists).
    with pytest.raises(OutOfScope):
        org_members.withdraw_invitation(session, _admin_of(other), invitation.record.id)


def test_a_new_users_link_sets_the_password_once(session: Session) -> None:
    result = _signup(session)
    admin = _admin_of(result)
    invitation = org_members.invite_member(session, admin, "kim@fynskbyg.dk", "Kim", "employer")
    assert invitation.record.new_user
    # A new user's link confirms no role and is not a role link.
    errors = _errors(lambda: org_members.membership_link_user_id(session, invitation.nonce))
    assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}
    assert org_members.new_user_invitation(session, invitation.nonce) == invitation.user
    refused = _errors(
        lambda: org_members.accept_new_user_invitation(session, invitation.nonce, "kort", name=" ")
    )
    assert set(refused) == {"name", "password"}
    user = org_members.accept_new_user_invitation(
        session, invitation.nonce, "en-god-adgangskode", name="Kim K."
    )
    assert user.name == "Kim K." and verify_password(user.password_hash, "en-god-adgangskode")
    used = _errors(
        lambda: org_members.accept_new_user_invitation(
            session, invitation.nonce, "en-anden-adgangskode", name="Kim"
        )
    )
    assert used == {"token": tokens.TOKEN_USED_MESSAGE}


def test_a_password_reset_ends_an_unused_new_user_link(session: Session) -> None:
    result = _signup(session)
    invitation = org_members.invite_member(
        session, _admin_of(result), "kim@fynskbyg.dk", "Kim", "employer"
    )
    user = invitation.user
    reset = tokens.make_token(SECRET, PASSWORD_RESET, user)
    passwords.set_password_with_token(session, SECRET, PASSWORD_RESET, reset, "en-god-adgangskode")
    errors = _errors(lambda: org_members.new_user_invitation(session, invitation.nonce))
    assert errors == {"token": org_members.INVITATION_WITHDRAWN_MESSAGE}


def _count_selects(session: Session, call: Callable[[], object]) -> int:
    statements: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(connection, "before_cursor_execute", note)
    return len(statements)


def test_members_are_loaded_with_their_users_in_one_query(session: Session) -> None:
    counts = {}
    for size in (5, 25):
        org = Organisation(kind=OrgKind.EMPLOYER, name=f"Virksomhed med {size}")
        users = [
            User(email=f"m{i}@v{size}.dk", name=f"Medarbejder {i}", password_hash="x", active=True)
            for i in range(size)
        ]
        session.add_all([org, *users])
        session.add_all(Membership(user=u, organisation=org, role=Role.EMPLOYER) for u in users)
        session.flush()
        session.expire_all()  # nothing in the identity map: lazy loads would show

        def show(org_id: int = org.id, size: int = size) -> None:
            members = org_members.organisation_members(session, org_id)
            assert len(members) == size
            # What the members page reads of each row.
            rows = [
                (m.user.name, m.user.email, m.user.active, m.user.last_login_at) for m in members
            ]
            assert rows[0][0] == "Medarbejder 0"

        counts[size] = _count_selects(session, show)
    assert counts[5] == counts[25] == 1


def test_only_admins_invite_and_only_roles_of_the_organisation_kind(session: Session) -> None:
    result = _signup(session)
    with pytest.raises(PermissionDenied):
        org_members.invite_member(session, result.employer_membership, "x@y.dk", "X", "employer")
    for role in ("counsellor", "approver", "superuser"):
        errors = _errors(
            lambda role=role: org_members.invite_member(
                session, _admin_of(result), "x@y.dk", "X", role
            )
        )
        assert errors == {"role": "Vælg en af rollerne på listen."}
    assert org_members.roles_for(OrgKind.EMPLOYER) == [Role.ADMIN, Role.EMPLOYER]
    assert org_members.roles_for(OrgKind.JOBCENTRE) == [
        Role.ADMIN,
        Role.COUNSELLOR,
        Role.APPROVER,
        Role.ORGANISER,
    ]


def test_remove_member_stays_inside_the_organisation(session: Session) -> None:
    mine = _signup(session)
    theirs = _signup(
        session,
        company_name="Anden ApS",
        cvr="87654321",
        p_numbers=["2012345678"],
        admin_email="ole@anden.dk",
    )
    with pytest.raises(OutOfScope):
        org_members.remove_member(session, _admin_of(mine), theirs.employer_membership.id)
    with pytest.raises(OutOfScope):
        org_members.remove_member(session, _admin_of(mine), 987654)
    with pytest.raises(PermissionDenied):
        org_members.remove_member(session, mine.employer_membership, mine.employer_membership.id)
    assert session.get(Membership, theirs.employer_membership.id) is not None


def test_the_last_admin_cannot_be_removed(session: Session) -> None:
    result = _signup(session)
    admin = _admin_of(result)
    assert _errors(lambda: org_members.remove_member(session, admin, admin.id)) == {
        "": org_members.LAST_ADMIN_MESSAGE
    }
    colleague = org_members.invite_member(session, admin, "kim@fynskbyg.dk", "Kim", "admin")
    assert colleague.membership is not None
    removed = org_members.remove_member(session, admin, result.employer_membership.id)
    assert removed.role is Role.EMPLOYER
    # With a second administrator the first may step down; the user remains.
    org_members.remove_member(session, colleague.membership, admin.id)
    session.expire_all()
    assert session.get(User, result.user.id).memberships == []
    deleted = [e for e in _audit(session, "membership") if e.action is AuditAction.DELETE]
    assert [e.details["role"] for e in deleted] == ["employer", "admin"]


# --- Password links -----------------------------------------------------------------------------


@pytest.fixture
def user(session: Session) -> User:
    return _signup(session).user


def test_reset_token_sets_the_password_once(session: Session, user: User) -> None:
    token = tokens.make_token(SECRET, PASSWORD_RESET, user)
    assert tokens.user_for_token(session, SECRET, PASSWORD_RESET, token).id == user.id
    passwords.set_password_with_token(
        session, SECRET, PASSWORD_RESET, token, "en-helt-ny-adgangskode", ip_address="192.0.2.1"
    )
    assert verify_password(user.password_hash, "en-helt-ny-adgangskode")
    [entry] = [e for e in _audit(session, "user") if e.action is AuditAction.UPDATE]
    assert entry.details == {"event": "password_reset_completed"} and entry.actor_id == user.id
    again = _errors(
        lambda: passwords.set_password_with_token(
            session, SECRET, PASSWORD_RESET, token, "endnu-en-ny-adgangskode"
        )
    )
    assert again == {"token": tokens.TOKEN_USED_MESSAGE}


def test_tokens_are_bound_to_purpose_key_and_content(session: Session, user: User) -> None:
    invitation = tokens.make_token(SECRET, INVITATION, user)
    reset = tokens.make_token(SECRET, PASSWORD_RESET, user)
    other_key = tokens.make_token(
        "another-secret-key-that-is-long-enough-012", PASSWORD_RESET, user
    )
    tampered = reset[:-2] + ("AA" if not reset.endswith("AA") else "BB")
    for bad in (invitation, other_key, tampered, "", "x" * 600, "abc.def.ghi"):
        errors = _errors(
            lambda bad=bad: tokens.user_for_token(session, SECRET, PASSWORD_RESET, bad)
        )
        assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}, bad
    assert tokens.user_for_token(session, SECRET, INVITATION, invitation).id == user.id


def test_expired_tokens_are_refused(
    session: Session, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = int(time.time()) - PASSWORD_RESET.max_age_seconds - 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
    old = tokens.make_token(SECRET, PASSWORD_RESET, user)
    old_invitation = tokens.make_token(SECRET, INVITATION, user)
    monkeypatch.undo()
    errors = _errors(lambda: tokens.user_for_token(session, SECRET, PASSWORD_RESET, old))
    assert errors == {"token": tokens.TOKEN_EXPIRED_MESSAGE}
    # An hour is nothing for an invitation (7 days) …
    assert tokens.user_for_token(session, SECRET, INVITATION, old_invitation).id == user.id
    # … and a shorter max age can be asked for.
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 10)
    recent = tokens.make_token(SECRET, PASSWORD_RESET, user)
    monkeypatch.undo()
    assert tokens.user_for_token(session, SECRET, PASSWORD_RESET, recent).id == user.id
    short = _errors(
        lambda: tokens.user_for_token(session, SECRET, PASSWORD_RESET, recent, max_age_seconds=5)
    )
    assert short == {"token": tokens.TOKEN_EXPIRED_MESSAGE}


def test_a_refused_password_does_not_use_up_the_link(session: Session, user: User) -> None:
    token = tokens.make_token(SECRET, INVITATION, user)
    errors = _errors(
        lambda: passwords.set_password_with_token(
            session, SECRET, INVITATION, token, "kort", name=" "
        )
    )
    assert set(errors) == {"password", "name"}
    passwords.set_password_with_token(
        session, SECRET, INVITATION, token, "en-god-adgangskode", name="Bente  B."
    )
    assert user.name == "Bente B."


def test_links_of_deactivated_users_are_refused(session: Session, user: User) -> None:
    token = tokens.make_token(SECRET, PASSWORD_RESET, user)
    user.active = False
    session.flush()
    errors = _errors(lambda: tokens.user_for_token(session, SECRET, PASSWORD_RESET, token))
    assert errors == {"token": tokens.TOKEN_INVALID_MESSAGE}
    assert passwords.request_password_reset(session, user.email) is None


def test_reset_requests_are_limited_per_user_and_hour(session: Session, user: User) -> None:
    answers = [passwords.request_password_reset(session, "bente@fynskbyg.dk") for _ in range(7)]
    assert [a is not None for a in answers] == [True] * 5 + [False] * 2
    requested = _audit(session, passwords.RESET_REQUEST)
    assert len(requested) == 5 and all(e.details["user_id"] == answers[0].id for e in requested)
    # Over the limit: one row for the hour, not one per request.
    [refused] = _audit(session, passwords.RESET_REQUEST + "_refused")
    assert refused.details["by"] == "email" and refused.details["email"] == "bente@fynskbyg.dk"
    # Unknown e-mails never get a mail, and are counted like known ones.
    assert passwords.request_password_reset(session, "ukendt@eksempel.dk") is None


def test_reset_requests_are_audited_for_known_and_unknown_emails(
    session: Session, user: User
) -> None:
    assert (
        passwords.request_password_reset(session, " BENTE@fynskbyg.dk ", ip_address="192.0.2.9").id
        == user.id
    )
    assert passwords.request_password_reset(session, "ukendt@eksempel.dk") is None
    requested = _audit(session, passwords.RESET_REQUEST)
    assert [(e.details.get("user_id"), e.details["email"]) for e in requested] == [
        (user.id, "bente@fynskbyg.dk"),
        (None, "ukendt@eksempel.dk"),
    ]
    assert [e.object_id for e in requested] == [
        throttling.email_key("bente@fynskbyg.dk"),
        throttling.email_key("ukendt@eksempel.dk"),
    ]
    assert all(e.details["event"] == "password_reset_requested" for e in requested)
    assert requested[0].actor_id is None and requested[0].ip_address == "192.0.2.9"


def test_the_emails_carry_the_links(session: Session) -> None:
    result = _signup(session)
    invitation = org_members.invite_member(
        session, _admin_of(result), "kim@fynskbyg.dk", "Kim Kollega", "employer"
    )
    link = "https://jobbro.example/invitation/abc"
    message = org_members.invitation_message(invitation, link, invited_by="Bente Bygherre")
    assert message.to == "kim@fynskbyg.dk"
    assert message.subject == "Invitation til Jobbro fra Fynsk Byg ApS"
    assert link in message.body and "7 dage" in message.body and "Bente Bygherre" in message.body
    reset = passwords.password_reset_message(result.user, "https://jobbro.example/nulstil/x")
    assert reset.to == "bente@fynskbyg.dk" and "60 minutter" in reset.body
    assert "https://jobbro.example/nulstil/x" in reset.body


def test_the_membership_email_fits_whether_the_user_has_logged_in(session: Session) -> None:
    first = _signup(session)
    other = _second_company(session)
    invitation = org_members.invite_member(
        session, _admin_of(first), "ole@anden.dk", "X", "employer"
    )
    link, forgot = "https://jobbro.example/invitation/rolle/abc", "https://jobbro.example/glemt"

    def body() -> str:
        message = org_members.membership_invitation_message(
            invitation, link, forgot, invited_by="Bente Bygherre"
        )
        assert message.to == "ole@anden.dk"
        assert message.subject == "Invitation til Fynsk Byg ApS i Jobbro"
        assert link in message.body and "Bente Bygherre" in message.body
        assert "X" not in message.body.split("\n")[0]  # greeted by their own name
        return message.body

    never = body()  # never logged in: maybe no password of their own yet
    assert "Har du ikke valgt en adgangskode" in never and forgot in never
    other.user.last_login_at = other.user.created_at
    used = body()
    assert "Log ind, og bekræft invitationen" in used and forgot not in used
    for text in (never, used):
        assert "sædvanlige adgangskode" not in text
