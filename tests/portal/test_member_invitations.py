"""Invitation links seen from the attacker's side: a link is a server-side record that works
once, not after the administrator withdrew it or removed the role, and only for the user and
organisation it was issued for."""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.mail import OutboxSender
from matching.core.settings import Settings
from matching.models import MemberInvitation, Membership, Organisation, OrgKind, Role, User
from portal.accounts import MAIL_SENDER_KEY
from tests.factories import PASSWORD

NEW_PASSWORD = "sommer-paa-fyn-er-dejlig"


@pytest.fixture
def outbox(app: Flask, tmp_path: Path) -> Path:
    directory = tmp_path / "outbox"
    settings: Settings = app.extensions["jobbro_settings"]
    app.extensions["jobbro_settings"] = settings.with_overrides(outbox_dir=directory)
    app.extensions[MAIL_SENDER_KEY] = OutboxSender(directory, settings.mail_from)
    return directory


def _mails(directory: Path) -> list[EmailMessage]:
    parsed = []
    for path in sorted(directory.glob("*.eml")):
        with path.open("rb") as handle:
            parsed.append(BytesParser(policy=policy.default).parse(handle))
    return parsed


def _link(mail: EmailMessage, path: str) -> str:
    body = mail.get_body(("plain",)).get_content()
    [url] = re.findall(r"http://127\.0\.0\.1:5000(" + re.escape(path) + r"[^\s]+)", body)
    return url


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _roles(session: Session, user: User, org: Organisation) -> list[Role]:
    session.expire_all()
    return list(
        session.scalars(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.organisation_id == org.id
            )
        )
    )


def _invite(admin: FlaskClient, email: str, name: str, role: str = "employer") -> None:
    response = admin.post(
        "/organisation/brugere", data={"email": email, "name": name, "role": role}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def world(make) -> tuple[Organisation, User, User]:  # noqa: ANN001
    org = make.organisation(OrgKind.EMPLOYER, "Fynsk Byg ApS")
    admin = make.user((org, Role.ADMIN), name="Admin i Fynsk Byg")
    elsewhere = make.organisation(OrgKind.EMPLOYER, "Anden ApS")
    ole = make.user((elsewhere, Role.EMPLOYER), name="Ole Olsen", email="ole@anden.dk")
    return org, admin, ole


def _membership_id(session: Session, user: User, org: Organisation) -> int:
    session.expire_all()
    return session.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id, Membership.organisation_id == org.id
        )
    )


def test_a_removed_member_cannot_take_the_role_back_with_the_old_link(
    app: Flask, session: Session, outbox: Path, world
) -> None:
    org, admin_user, ole_user = world
    admin = _client(app, admin_user)
    _invite(admin, "ole@anden.dk", "Ole")
    link = _link(_mails(outbox)[0], "/invitation/rolle/")
    ole = _client(app, ole_user)
    assert ole.post(link).status_code == 302
    assert _roles(session, ole_user, org) == [Role.EMPLOYER]

    removed = admin.post(f"/organisation/brugere/{_membership_id(session, ole_user, org)}/fjern")
    assert removed.status_code == 302
    assert _roles(session, ole_user, org) == []

    # The same link again, opened and submitted: nothing comes back.
    again = ole.get(link)
    assert again.status_code == 400
    assert ole.post(link).status_code == 400
    assert _roles(session, ole_user, org) == []


def test_a_used_link_fails_the_second_time(
    app: Flask, session: Session, outbox: Path, world
) -> None:
    org, admin_user, ole_user = world
    _invite(_client(app, admin_user), "ole@anden.dk", "Ole")
    link = _link(_mails(outbox)[0], "/invitation/rolle/")
    ole = _client(app, ole_user)
    assert ole.post(link).status_code == 302
    second = ole.post(link)
    assert second.status_code == 400
    assert _roles(session, ole_user, org) == [Role.EMPLOYER]


def test_a_withdrawn_link_fails_and_the_admin_sees_what_is_pending(
    app: Flask, session: Session, outbox: Path, world
) -> None:
    org, admin_user, ole_user = world
    admin = _client(app, admin_user)
    _invite(admin, "ole@anden.dk", "Ole Typed")
    link = _link(_mails(outbox)[0], "/invitation/rolle/")

    page = admin.get("/organisation/brugere").get_data(as_text=True)
    assert "Afventende invitationer" in page and "ole@anden.dk" in page
    [withdraw] = re.findall(r'action="(/organisation/invitationer/\d+/traek-tilbage)"', page)
    done = admin.post(withdraw)
    assert done.status_code == 302
    after = admin.get("/organisation/brugere").get_data(as_text=True)
    assert "Invitationen til Ole Typed (ole@anden.dk) er trukket tilbage." in after
    assert withdraw not in after

    ole = _client(app, ole_user)
    assert ole.get(link).status_code == 400
    assert ole.post(link).status_code == 400
    assert _roles(session, ole_user, org) == []
    # Withdrawing twice is refused, not repeated.
    assert admin.post(withdraw).status_code == 302
    assert "trukket tilbage" in admin.get("/organisation/brugere").get_data(as_text=True)


def test_another_organisations_invitation_can_be_neither_withdrawn_nor_used(
    app: Flask, session: Session, outbox: Path, world, make
) -> None:
    org, admin_user, ole_user = world
    _invite(_client(app, admin_user), "ole@anden.dk", "Ole")
    link = _link(_mails(outbox)[0], "/invitation/rolle/")
    invitation = session.scalar(select(MemberInvitation))
    assert invitation is not None

    rival_org = make.organisation(OrgKind.EMPLOYER, "Rival ApS")
    rival_admin = _client(app, make.user((rival_org, Role.ADMIN)))
    response = rival_admin.post(f"/organisation/invitationer/{invitation.id}/traek-tilbage")
    assert response.status_code == 404
    session.refresh(invitation)
    assert invitation.revoked_at is None

    # The rival administrator holding Ole's link cannot use it for themselves.
    assert rival_admin.post(link).status_code == 403
    # Ole cannot bend the link towards another organisation or role: it carries neither.
    nonce = link.rsplit("/", 1)[1]
    assert str(org.id) not in nonce.split("-") and "employer" not in nonce
    ole = _client(app, ole_user)
    assert ole.post(link).status_code == 302
    assert _roles(session, ole_user, org) == [Role.EMPLOYER]
    assert _roles(session, ole_user, rival_org) == []


def test_only_the_hash_of_the_link_is_stored(
    app: Flask, session: Session, outbox: Path, world
) -> None:
    _org, admin_user, _ole = world
    _invite(_client(app, admin_user), "ole@anden.dk", "Ole")
    nonce = _link(_mails(outbox)[0], "/invitation/rolle/").rsplit("/", 1)[1]
    invitation = session.scalar(select(MemberInvitation))
    assert invitation is not None
    assert invitation.nonce_hash == hashlib.sha256(nonce.encode()).hexdigest()
    assert invitation.issued_by_id == admin_user.id


def test_a_new_users_link_fails_once_the_role_is_removed(
    app: Flask, session: Session, outbox: Path, world
) -> None:
    org, admin_user, _ole = world
    admin = _client(app, admin_user)
    _invite(admin, "kim@fynskbyg.dk", "Kim")
    link = _link(_mails(outbox)[0], "/invitation/")
    kim = session.scalar(select(User).where(User.email == "kim@fynskbyg.dk"))
    assert kim is not None
    assert (
        admin.post(f"/organisation/brugere/{_membership_id(session, kim, org)}/fjern").status_code
        == 302
    )

    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 400
    form = {"name": "Kim", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    assert anonymous.post(link, data=form).status_code == 400
    session.refresh(kim)
    assert kim.last_login_at is None and _roles(session, kim, org) == []
    assert (
        anonymous.post("/login", data={"email": kim.email, "password": NEW_PASSWORD}).status_code
        != 302
    )


def test_a_new_users_withdrawn_invitation_takes_the_role_with_it(
    app: Flask, session: Session, outbox: Path, world
) -> None:
    org, admin_user, _ole = world
    admin = _client(app, admin_user)
    _invite(admin, "kim@fynskbyg.dk", "Kim")
    link = _link(_mails(outbox)[0], "/invitation/")
    kim = session.scalar(select(User).where(User.email == "kim@fynskbyg.dk"))
    page = admin.get("/organisation/brugere").get_data(as_text=True)
    [withdraw] = re.findall(r'action="(/organisation/invitationer/\d+/traek-tilbage)"', page)
    assert admin.post(withdraw).status_code == 302
    form = {"name": "Kim", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    assert app.test_client().post(link, data=form).status_code == 400
    assert _roles(session, kim, org) == []
