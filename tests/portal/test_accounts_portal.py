"""Employer sign-up, colleagues, invitations, forgotten passwords and the development outbox,
including what an attacker would try: other organisations, forged fields, bad links, CSRF."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.accounts import members, passwords, signup, throttling, tokens
from matching.accounts.throttling import SIGNUPS_PER_ADDRESS
from matching.core import audit
from matching.core.audit import Actor
from matching.core.mail import Message, OutboxSender
from matching.core.notifications import deliver_pending
from matching.core.security import verify_password
from matching.core.settings import Settings
from matching.models import (
    AuditAction,
    AuditEntry,
    Membership,
    Notification,
    Organisation,
    OrgKind,
    Role,
    User,
    utcnow,
)
from portal.accounts import MAIL_SENDER_KEY
from tests.factories import PASSWORD
from tests.support.portal import csrf_token

NEW_PASSWORD = "sommer-paa-fyn-er-dejlig"
SIGNUP = {
    "company_name": "Fynsk Byg ApS",
    "cvr": "12345678",
    "industry": "Byggeri",
    "p_numbers": "1012345678\n1012345679",
    "address": "Vestergade 12",
    "postal_code": "5000",
    "admin_name": "Bente Bygherre",
    "password": NEW_PASSWORD,
    "password_repeat": NEW_PASSWORD,
}


def _use_outbox(app: Flask, directory: Path) -> None:
    """Send this app's mail to ``directory`` and show that directory in the viewer."""
    settings: Settings = app.extensions["jobbro_settings"]
    app.extensions["jobbro_settings"] = settings.with_overrides(outbox_dir=directory)
    app.extensions[MAIL_SENDER_KEY] = OutboxSender(directory, settings.mail_from)


@pytest.fixture
def outbox(app: Flask, tmp_path: Path) -> Path:
    directory = tmp_path / "outbox"
    _use_outbox(app, directory)
    return directory


@pytest.fixture
def csrf_outbox(csrf_app: Flask, tmp_path: Path) -> Path:
    directory = tmp_path / "outbox"
    _use_outbox(csrf_app, directory)
    return directory


def _deliver(app: Flask, session: Session) -> None:
    """Run the periodic delivery of queued notifications (reset mails go through it)."""
    deliver_pending(session, app.extensions[MAIL_SENDER_KEY])


def _mails(directory: Path) -> list[EmailMessage]:
    """Every .eml in the outbox, oldest first, parsed with the standard library."""
    if not directory.is_dir():
        return []
    parsed = []
    for path in sorted(directory.glob("*.eml")):
        with path.open("rb") as handle:
            parsed.append(BytesParser(policy=policy.default).parse(handle))
    return parsed


def _link(mail: EmailMessage, path: str) -> str:
    """The path of the one absolute link to ``path`` in the mail's body."""
    body = mail.get_body(("plain",)).get_content()
    [url] = re.findall(r"http://127\.0\.0\.1:5000(" + re.escape(path) + r"[^\s]+)", body)
    return url


def _html(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def _signup_link(
    client: FlaskClient, session: Session, email: str = "bente@fynskbyg.dk", **environ: str
) -> str:
    """Sign-up's first step for ``email``: the path of the link in the mail it queued."""
    response = client.post("/opret-virksomhed", data={"email": email}, environ_base=environ)
    assert response.status_code == 200 and "Tjek din e-mail" in _html(response)
    mail = session.scalars(
        select(Notification)
        .where(Notification.recipient == email.lower())
        .order_by(Notification.id.desc())
    ).first()
    [path] = re.findall(r"http://127\.0\.0\.1:5000(/opret-virksomhed/\S+)", mail.body)
    return path


def _employer_with_admin(make, name: str = "Fynsk Byg ApS") -> tuple[Organisation, User]:
    org = make.organisation(OrgKind.EMPLOYER, name)
    admin = make.user((org, Role.ADMIN), name=f"Admin i {name}")
    return org, admin


# --- Links on the login page --------------------------------------------------------------------


def test_login_page_links_to_forgotten_password_and_sign_up(client: FlaskClient) -> None:
    html = _html(client.get("/login"))
    assert '<a href="/glemt-adgangskode">Glemt adgangskode?</a>' in html
    assert '<a href="/opret-virksomhed">Opret virksomhed</a>' in html


# --- Sign-up ------------------------------------------------------------------------------------


def test_signup_page_is_accessible(client: FlaskClient, session: Session) -> None:
    first = _html(client.get("/opret-virksomhed"))
    assert '<html lang="da">' in first and "<h1>Opret virksomhed</h1>" in first
    assert '<label class="form-label" for="email">Din e-mail</label>' in first
    assert 'name="cvr"' not in first and 'type="password"' not in first
    html = _html(client.get(_signup_link(client, session)))
    assert "<h1>Opret virksomhed</h1>" in html and "bente@fynskbyg.dk" in html
    for field_id, label in [
        ("company_name", "Virksomhedens navn"),
        ("cvr", "CVR-nummer"),
        ("p_numbers", "P-numre"),
        ("postal_code", "Postnummer"),
        ("password_repeat", "Gentag adgangskoden"),
    ]:
        assert f'<label class="form-label" for="{field_id}">{label}</label>' in html
    assert 'aria-describedby="cvr-hint"' in html
    assert re.search(r'<textarea[^>]+id="p_numbers"', html)
    assert 'type="False"' not in html


def test_signup_creates_the_employer_and_logs_in(
    client: FlaskClient, session: Session, audit_rows
) -> None:
    response = client.post(_signup_link(client, session), data=SIGNUP)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    org = session.scalar(select(Organisation).where(Organisation.cvr == "12345678"))
    assert org.kind is OrgKind.EMPLOYER and [p.pnr for p in org.p_numbers] == [
        "1012345678",
        "1012345679",
    ]
    home = _html(client.get("/"))
    assert "Fynsk Byg ApS er oprettet" in home
    # Two roles in one company: switching is about the role, not the organisation.
    assert "Vælg »Skift rolle« og rollen Administrator" in home
    assert "Virksomhedsbruger" in home and ">Skift rolle</a>" in home
    assert "Skift organisation" not in home
    created = {(e.object_type, e.action) for e in audit_rows(AuditAction.CREATE)}
    assert created == {
        ("organisation", AuditAction.CREATE),
        ("user", AuditAction.CREATE),
        ("membership", AuditAction.CREATE),
    }
    [login] = audit_rows(AuditAction.LOGIN)
    assert login.actor_organisation_id == org.id
    # The new administrator can switch to the admin role and manage colleagues.
    admin = session.scalar(
        select(Membership).where(
            Membership.organisation_id == org.id, Membership.role == Role.ADMIN
        )
    )
    client.post("/vaelg-organisation", data={"membership": str(admin.id)})
    assert client.get("/organisation/brugere").status_code == 200


@pytest.mark.parametrize(
    ("cvr", "message"),
    [
        ("1234567", "CVR-nummeret skal være 8 cifre, fx 12345678."),
        ("123456789", "CVR-nummeret skal være 8 cifre, fx 12345678."),
        ("01234567", "Et CVR-nummer kan ikke begynde med 0."),
    ],
)
def test_signup_refuses_a_bad_cvr_and_keeps_what_was_typed(
    client: FlaskClient, session: Session, cvr: str, message: str
) -> None:
    response = client.post(_signup_link(client, session), data={**SIGNUP, "cvr": cvr})
    assert response.status_code == 400
    html = _html(response)
    assert message in html
    assert f'<a href="#cvr">{message}</a>' in html  # in the error summary, linked to the field
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="cvr"', html)
    assert f'value="{cvr}"' in html
    assert 'value="Fynsk Byg ApS"' in html and "bente@fynskbyg.dk" in html
    assert 'value="Vestergade 12"' in html and 'value="5000"' in html
    assert "1012345678\n1012345679</textarea>" in html
    assert NEW_PASSWORD not in html  # passwords are never echoed
    assert session.scalars(select(Organisation)).all() == []


def test_signup_reports_field_errors_in_danish(client: FlaskClient, session: Session) -> None:
    data = {
        **SIGNUP,
        "p_numbers": "1012345678\n12345",
        "postal_code": "50000",
        "password": "kort",
        "password_repeat": "andet",
    }
    html = _html(client.post(_signup_link(client, session), data=data))
    assert "»12345« er ikke et P-nummer. Et P-nummer er 10 cifre." in html
    assert html.count("Postnummeret skal være 4 cifre, fx 5000.") == 2  # summary + field
    assert "Adgangskoden skal være mindst 12 tegn." in html
    assert "De to adgangskoder er ikke ens." in html
    assert 'id="error-summary"' in html


def test_signup_of_a_registered_cvr_asks_for_an_invitation(
    client: FlaskClient, make, session: Session
) -> None:
    second_link = _signup_link(client, session)  # two links to one e-mail: the first one wins
    client.post(_signup_link(client, session), data=SIGNUP)
    client.post("/logout")
    again = client.post(
        _signup_link(client, session, "ny@fynskbyg.dk"),
        data={**SIGNUP, "p_numbers": "1099999999"},
    )
    assert again.status_code == 400
    assert signup.CVR_TAKEN_MESSAGE in _html(again)
    taken = client.post(
        _signup_link(client, session, "ny@fynskbyg.dk"), data={**SIGNUP, "cvr": "87654321"}
    )
    html = _html(taken)
    assert 'value="87654321"' in html
    assert "P-nummeret 1012345678, 1012345679 er allerede oprettet" in html
    # The e-mail has a user now: its other link is used up.
    used = client.post(second_link, data={**SIGNUP, "cvr": "87654321", "p_numbers": "1099999998"})
    assert used.status_code == 400 and tokens.TOKEN_USED_MESSAGE in _html(used)
    assert len(session.scalars(select(Organisation)).all()) == 1


def test_csrf_is_enforced_on_signup(csrf_client: FlaskClient, session: Session) -> None:
    rejected = csrf_client.post("/opret-virksomhed", data={"email": "bente@fynskbyg.dk"})
    assert rejected.status_code == 400 and "sikkerhedsfelt" in _html(rejected)
    assert session.scalars(select(Notification)).all() == []
    token = csrf_token(_html(csrf_client.get("/opret-virksomhed")))
    csrf_client.post("/opret-virksomhed", data={"email": "bente@fynskbyg.dk", "csrf_token": token})
    [mail] = session.scalars(select(Notification)).all()
    [link] = re.findall(r"http://127\.0\.0\.1:5000(/opret-virksomhed/\S+)", mail.body)
    rejected = csrf_client.post(link, data=SIGNUP)
    assert rejected.status_code == 400 and "sikkerhedsfelt" in _html(rejected)
    assert session.scalars(select(Organisation)).all() == []
    token = csrf_token(_html(csrf_client.get(link)))
    accepted = csrf_client.post(link, data={**SIGNUP, "csrf_token": token})
    assert accepted.status_code == 302


# --- Colleagues ---------------------------------------------------------------------------------


def test_admin_sees_members_and_an_invite_form_limited_to_the_kind(
    client: FlaskClient, make, login, session: Session
) -> None:
    org, admin = _employer_with_admin(make)
    make.user((org, Role.EMPLOYER), name="Kim Kollega", email="kim@fynskbyg.dk")
    login(admin)
    html = _html(client.get("/organisation/brugere"))
    assert "<h1>Brugere i Fynsk Byg ApS</h1>" in html
    assert "Kim Kollega" in html and "kim@fynskbyg.dk" in html and "Virksomhedsbruger" in html
    assert "Aldrig" in html  # Kim has not logged in; the admin just did
    options = re.findall(r'<option[^>]*value="([a-z_]+)"', html)
    assert options == ["admin", "employer"]
    assert '<option selected value="employer">' in html
    assert 'aria-current="page"><span>Brugere</span>' in html  # the menu item


def test_jobcentre_admin_may_give_the_jobcentre_roles(client: FlaskClient, make, login) -> None:
    org = make.organisation(OrgKind.JOBCENTRE)
    login(make.user((org, Role.ADMIN)))
    options = re.findall(
        r'<option[^>]*value="([a-z_]+)"', _html(client.get("/organisation/brugere"))
    )
    assert options == ["admin", "counsellor", "approver", "organiser"]


def test_invite_a_new_colleague_who_then_sets_a_password(
    client: FlaskClient, make, login, session: Session, outbox: Path, audit_rows
) -> None:
    org, admin = _employer_with_admin(make)
    login(admin)
    response = client.post(
        "/organisation/brugere",
        data={"email": "Kim@FynskByg.dk", "name": "Kim Kollega", "role": "employer"},
    )
    assert response.status_code == 302
    assert "Invitationen er sendt til Kim Kollega (kim@fynskbyg.dk)." in _html(
        client.get("/organisation/brugere")
    )
    [mail] = _mails(outbox)
    assert mail["To"] == "kim@fynskbyg.dk"
    assert mail["Subject"] == "Invitation til Jobbro fra Fynsk Byg ApS"
    assert "Admin i Fynsk Byg ApS har inviteret dig" in mail.get_body(("plain",)).get_content()
    link = _link(mail, "/invitation/")
    kim = session.scalar(select(User).where(User.email == "kim@fynskbyg.dk"))
    assert [(m.organisation_id, m.role) for m in kim.memberships] == [(org.id, Role.EMPLOYER)]

    client.post("/logout")
    form = _html(client.get(link))
    assert 'value="Kim Kollega"' in form and "kim@fynskbyg.dk" in form
    done = client.post(
        link,
        data={"name": "Kim K. Hansen", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Din adgangskode er gemt." in _html(client.get("/"))
    session.refresh(kim)
    assert kim.name == "Kim K. Hansen" and verify_password(kim.password_hash, NEW_PASSWORD)
    events = [e.details.get("event") for e in audit_rows(AuditAction.UPDATE)]
    assert events == ["invitation_accepted"]
    creations = {(e.object_type, e.details.get("event")) for e in audit_rows(AuditAction.CREATE)}
    assert ("user", "invited") in creations and ("membership", None) in creations

    # The link worked once.
    client.post("/logout")
    reused = client.get(link)
    assert reused.status_code == 400 and "Linket er allerede brugt." in _html(reused)


def _invite(client: FlaskClient, email: str, name: str, role: str = "employer"):  # noqa: ANN202
    return client.post("/organisation/brugere", data={"email": email, "name": name, "role": role})


def test_inviting_an_existing_user_needs_their_confirmation(
    client: FlaskClient, make, login, session: Session, outbox: Path, audit_rows
) -> None:
    org, admin = _employer_with_admin(make)
    elsewhere = make.organisation(OrgKind.EMPLOYER, "Anden ApS")
    ole = make.user((elsewhere, Role.EMPLOYER), name="Ole Olsen", email="ole@anden.dk")
    login(admin)
    response = _invite(client, "ole@anden.dk", "Forkert Navn")
    assert response.status_code == 302
    page = _html(client.get("/organisation/brugere"))
    # The administrator sees the name they typed, never the stored one, and no new member.
    assert "Invitationen er sendt til Forkert Navn (ole@anden.dk)." in page
    assert "Ole Olsen" not in page
    session.refresh(ole)
    assert ole.name == "Ole Olsen" and len(ole.memberships) == 1  # nothing added yet
    [mail] = _mails(outbox)
    assert mail["To"] == "ole@anden.dk"
    assert mail["Subject"] == "Invitation til Fynsk Byg ApS i Jobbro"
    body = mail.get_body(("plain",)).get_content()
    assert "/invitation/rolle/" in body and "7 dage" in body
    link = _link(mail, "/invitation/rolle/")

    # The administrator who sent it cannot use the link: it is for Ole only.
    wrong = client.get(link)
    assert wrong.status_code == 403
    assert "Invitationen er til en anden bruger" in _html(wrong)
    assert "Fynsk Byg ApS" not in _html(wrong).split("<main")[1].split("</main>")[0]
    assert client.post(link).status_code == 403
    logout = re.search(r'<form method="post" action="(/logout\?next=[^"]+)"', _html(wrong))
    assert logout is not None
    out = client.post(logout.group(1).replace("&amp;", "&"))
    assert out.headers["Location"] == f"/login?next={link}"

    # Logged out: to the login page, and back to the link after logging in.
    anonymous = client.get(link)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    back = client.post(
        anonymous.headers["Location"], data={"email": ole.email, "password": PASSWORD}
    )
    assert back.headers["Location"] == link
    confirm = _html(client.get(link))
    assert "Bekræft invitation" in confirm and "virksomhedsbruger i Fynsk Byg ApS" in confirm
    session.refresh(ole)
    assert len(ole.memberships) == 1  # opening the link is not consent

    done = client.post(link)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    home = _html(client.get("/"))
    assert "Du har nu rollen virksomhedsbruger i Fynsk Byg ApS" in home
    assert "Fynsk Byg ApS · Virksomhedsbruger" in home  # working in the new role
    session.expire_all()
    ole = session.get(User, ole.id)
    assert sorted((m.organisation_id, m.role) for m in ole.memberships) == sorted(
        [(elsewhere.id, Role.EMPLOYER), (org.id, Role.EMPLOYER)]
    )
    accepted = [
        e
        for e in audit_rows(AuditAction.CREATE)
        if e.details.get("event") == "membership_invitation_accepted"
    ]
    assert [(e.actor_id, e.details["organisation_id"]) for e in accepted] == [(ole.id, org.id)]

    # The link works once.
    used = client.post(link)
    assert used.status_code == 400 and "Invitationen er allerede bekræftet" in _html(used)


def test_invitations_answer_the_same_whoever_has_the_email(
    client: FlaskClient, make, login, session: Session, outbox: Path
) -> None:
    org, admin = _employer_with_admin(make)
    elsewhere = make.organisation(OrgKind.EMPLOYER, "Anden ApS")
    make.user((elsewhere, Role.EMPLOYER), name="Ole Olsen", email="ole@anden.dk")
    make.user((elsewhere, Role.EMPLOYER), name="Stoppet Sten", email="sten@anden.dk", active=False)
    login(admin)
    answers = {}
    for email in ("ny@eksempel.dk", "ole@anden.dk", "sten@anden.dk"):
        response = _invite(client, email, "Navn Som Skrevet")
        assert (
            response.status_code == 302 and response.headers["Location"] == "/organisation/brugere"
        )
        flashed = _html(client.get("/"))
        answers[email] = re.findall(r'<p class="alert-text">([^<]*)</p>', flashed)
    assert answers == {
        email: [f"Invitationen er sendt til Navn Som Skrevet ({email})."]
        for email in ("ny@eksempel.dk", "ole@anden.dk", "sten@anden.dk")
    }
    page = _html(client.get("/organisation/brugere"))
    for secret in ("Ole Olsen", "Stoppet Sten", "deaktiveret", "har allerede rollen"):
        assert secret not in page
    # The deactivated user gets no mail; the others one each.
    assert sorted(m["To"] for m in _mails(outbox)) == ["ny@eksempel.dk", "ole@anden.dk"]


def test_a_role_already_on_the_members_page_is_refused_neutrally(
    client: FlaskClient, make, login, session: Session, outbox: Path
) -> None:
    org, admin = _employer_with_admin(make)
    make.user((org, Role.EMPLOYER), name="Kim Kollega", email="kim@fynskbyg.dk")
    login(admin)
    duplicate = _invite(client, "KIM@fynskbyg.dk", "Kim")
    assert duplicate.status_code == 400
    html = _html(duplicate)
    assert members.ALREADY_LISTED_MESSAGE in html
    assert "har allerede rollen" not in html
    assert 'value="KIM@fynskbyg.dk"' in html
    assert _mails(outbox) == []
    # Another role of the same member is an ordinary invitation to confirm.
    assert _invite(client, "kim@fynskbyg.dk", "Kim", "admin").status_code == 302
    [mail] = _mails(outbox)
    assert "/invitation/rolle/" in mail.get_body(("plain",)).get_content()


def _invitation(
    session: Session, admin: User, email: str, role: Role = Role.EMPLOYER
) -> members.Invitation:
    """An invitation sent by ``admin`` (the administrator of one organisation)."""
    [membership] = [m for m in admin.memberships if m.role is Role.ADMIN]
    return members.invite_member(session, membership, email, "Ole", role)


def test_membership_links_cannot_be_forged_or_reused_after_expiry(
    app: Flask, client: FlaskClient, make, login, session: Session
) -> None:
    org, admin = _employer_with_admin(make)
    elsewhere = make.organisation(OrgKind.EMPLOYER, "Anden ApS")
    ole = make.user((elsewhere, Role.EMPLOYER), name="Ole Olsen", email="ole@anden.dk")
    secret = app.extensions["jobbro_settings"].secret_key
    good = _invitation(session, admin, "ole@anden.dk", Role.ADMIN).nonce
    # The old signed form of a role link (user, organisation, role) is no link any more.
    forged = URLSafeTimedSerializer(secret, salt="membership").dumps([ole.id, org.id, "admin"])
    reset_link = tokens.make_token(secret, tokens.PASSWORD_RESET, ole)
    expired_invitation = _invitation(session, admin, "ole@anden.dk", Role.EMPLOYER)
    expired_invitation.record.expires_at = utcnow() - timedelta(seconds=1)
    expired = expired_invitation.nonce
    session.commit()
    login(ole)
    for token, message in (
        (forged, "Linket er ugyldigt."),
        (good[:-3] + ("xyz" if not good.endswith("xyz") else "abc"), "Linket er ugyldigt."),
        (reset_link, "Linket er ugyldigt."),
        ("x" * 600, "Linket er ugyldigt."),
        (expired, "Invitationen er udløbet."),
    ):
        for method in (client.get, client.post):
            response = method(f"/invitation/rolle/{token}")
            assert response.status_code == 400, token
            assert message in _html(response)
    # A membership link is no password link either.
    assert client.get(f"/nulstil-adgangskode/{good}").status_code == 400
    session.refresh(ole)
    assert len(ole.memberships) == 1
    # The organisation stopped in the meantime: the link is dead.
    org.active = False
    session.commit()
    assert client.post(f"/invitation/rolle/{good}").status_code == 400
    session.refresh(ole)
    assert len(ole.memberships) == 1


def test_confirming_a_membership_needs_the_csrf_token(
    csrf_client: FlaskClient, csrf_app: Flask, make, session: Session
) -> None:
    org, _admin = _employer_with_admin(make)
    elsewhere = make.organisation(OrgKind.EMPLOYER, "Anden ApS")
    ole = make.user((elsewhere, Role.EMPLOYER), name="Ole Olsen", email="ole@anden.dk")
    link = f"/invitation/rolle/{_invitation(session, _admin, 'ole@anden.dk').nonce}"
    token = csrf_token(_html(csrf_client.get("/login")))
    csrf_client.post("/login", data={"email": ole.email, "password": PASSWORD, "csrf_token": token})
    assert csrf_client.post(link).status_code == 400
    session.refresh(ole)
    assert len(ole.memberships) == 1
    token = csrf_token(_html(csrf_client.get(link)))
    assert csrf_client.post(link, data={"csrf_token": token}).status_code == 302
    session.refresh(ole)
    assert len(ole.memberships) == 2


def test_an_invited_user_without_a_password_is_not_told_to_use_it(
    client: FlaskClient, make, login, session: Session, outbox: Path
) -> None:
    first, first_admin = _employer_with_admin(make, "Virksomhed A")
    _second, second_admin = _employer_with_admin(make, "Virksomhed B")
    login(first_admin)
    _invite(client, "kim@eksempel.dk", "Kim")
    client.post("/logout")
    login(second_admin)
    _invite(client, "kim@eksempel.dk", "Kim")
    first_mail, second_mail = _mails(outbox)
    assert "/invitation/" in first_mail.get_body(("plain",)).get_content()
    body = second_mail.get_body(("plain",)).get_content()
    assert "sædvanlige adgangskode" not in body
    assert "Har du ikke valgt en adgangskode til Jobbro endnu" in body
    assert "http://127.0.0.1:5000/glemt-adgangskode" in body
    assert "/invitation/rolle/" in body


def test_invite_errors_keep_what_was_typed(client: FlaskClient, make, login) -> None:
    _org, admin = _employer_with_admin(make)
    login(admin)
    response = client.post(
        "/organisation/brugere", data={"email": "ikke-en-email", "name": "Kim", "role": "admin"}
    )
    assert response.status_code == 400
    html = _html(response)
    assert "Indtast en gyldig e-mail, fx navn@eksempel.dk." in html
    assert 'value="ikke-en-email"' in html and 'value="Kim"' in html
    assert '<option selected value="admin">' in html


def test_admin_cannot_invite_into_another_organisation(
    client: FlaskClient, make, login, session: Session, outbox: Path
) -> None:
    org_a, admin_a = _employer_with_admin(make, "Virksomhed A")
    org_b, admin_b = _employer_with_admin(make, "Virksomhed B")
    login(admin_a)
    response = client.post(
        "/organisation/brugere",
        data={
            "email": "spion@eksempel.dk",
            "name": "Spion",
            "role": "admin",
            # Forged fields are ignored: the organisation comes from the login.
            "organisation_id": str(org_b.id),
            "organisation": str(org_b.id),
        },
    )
    assert response.status_code == 302
    spy = session.scalar(select(User).where(User.email == "spion@eksempel.dk"))
    assert [m.organisation_id for m in spy.memberships] == [org_a.id]
    in_b = session.scalars(select(Membership).where(Membership.organisation_id == org_b.id))
    assert [m.user_id for m in in_b] == [admin_b.id]


def test_a_role_outside_the_organisation_kind_is_refused(
    client: FlaskClient, make, login, session: Session
) -> None:
    _org, admin = _employer_with_admin(make)
    login(admin)
    response = client.post(
        "/organisation/brugere",
        data={"email": "x@eksempel.dk", "name": "X", "role": "counsellor"},
    )
    assert response.status_code == 400
    assert "Vælg en af rollerne på listen." in _html(response)
    assert session.scalar(select(User).where(User.email == "x@eksempel.dk")) is None


def test_non_admins_get_403(client: FlaskClient, make, login, audit_rows) -> None:
    org, admin = _employer_with_admin(make)
    employee = make.user((org, Role.EMPLOYER))
    login(employee)
    assert "Brugere</span>" not in _html(client.get("/"))
    assert client.get("/organisation/brugere").status_code == 403
    invite = client.post(
        "/organisation/brugere", data={"email": "x@eksempel.dk", "name": "X", "role": "employer"}
    )
    assert invite.status_code == 403
    admin_membership = admin.memberships[0]
    remove = client.post(f"/organisation/brugere/{admin_membership.id}/fjern")
    assert remove.status_code == 403
    assert len(audit_rows(AuditAction.ACCESS_DENIED)) == 3


def test_counsellor_cannot_see_another_organisations_users(
    client: FlaskClient, make, login
) -> None:
    _employer, _admin = _employer_with_admin(make)
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    counsellor = make.user((jobcentre, Role.COUNSELLOR))
    login(counsellor)
    response = client.get("/organisation/brugere")
    assert response.status_code == 403
    assert "Admin i Fynsk Byg ApS" not in _html(response)


def test_admin_sees_only_their_own_organisations_users(client: FlaskClient, make, login) -> None:
    _employer, _admin = _employer_with_admin(make)
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    login(make.user((jobcentre, Role.ADMIN), name="Jobcenterchef"))
    html = _html(client.get("/organisation/brugere"))
    assert "Jobcenterchef" in html and "Admin i Fynsk Byg ApS" not in html


def test_remove_a_colleague_and_not_the_last_admin(
    client: FlaskClient, make, login, session: Session, audit_rows
) -> None:
    org, admin = _employer_with_admin(make)
    kim = make.user((org, Role.EMPLOYER), name="Kim Kollega")
    login(admin)
    kim_membership = kim.memberships[0].id
    response = client.post(f"/organisation/brugere/{kim_membership}/fjern")
    assert response.status_code == 302
    assert "Kim Kollega har ikke længere rollen virksomhedsbruger." in _html(
        client.get("/organisation/brugere")
    )
    session.expire_all()
    assert session.get(Membership, kim_membership) is None
    assert session.get(User, kim.id) is not None  # the user may work elsewhere
    [deleted] = audit_rows(AuditAction.DELETE)
    assert deleted.object_type == "membership" and deleted.object_id == str(kim_membership)

    own = admin.memberships[0].id
    refused = client.post(f"/organisation/brugere/{own}/fjern")
    assert refused.status_code == 302
    assert members.LAST_ADMIN_MESSAGE in _html(client.get("/organisation/brugere"))
    assert session.get(Membership, own) is not None


def test_admin_cannot_remove_a_membership_of_another_organisation(
    client: FlaskClient, make, login, session: Session, audit_rows
) -> None:
    _org_a, admin_a = _employer_with_admin(make, "Virksomhed A")
    _org_b, admin_b = _employer_with_admin(make, "Virksomhed B")
    login(admin_a)
    target = admin_b.memberships[0].id
    response = client.post(f"/organisation/brugere/{target}/fjern")
    assert response.status_code == 404
    assert session.get(Membership, target) is not None
    [denied] = audit_rows(AuditAction.ACCESS_DENIED)
    assert denied.object_type == "membership" and denied.object_id == str(target)


def test_csrf_is_enforced_on_invite_and_remove(csrf_client: FlaskClient, make, session) -> None:
    org, admin = _employer_with_admin(make)
    kim = make.user((org, Role.EMPLOYER))
    token = csrf_token(_html(csrf_client.get("/login")))
    csrf_client.post(
        "/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}
    )
    invite = {"email": "x@eksempel.dk", "name": "X", "role": "employer"}
    assert csrf_client.post("/organisation/brugere", data=invite).status_code == 400
    assert (
        csrf_client.post(f"/organisation/brugere/{kim.memberships[0].id}/fjern").status_code == 400
    )
    assert session.scalar(select(User).where(User.email == "x@eksempel.dk")) is None
    assert session.get(Membership, kim.memberships[0].id) is not None

    token = csrf_token(_html(csrf_client.get("/organisation/brugere")))
    removed = csrf_client.post(
        f"/organisation/brugere/{kim.memberships[0].id}/fjern", data={"csrf_token": token}
    )
    assert removed.status_code == 302


# --- Forgotten password -------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(
    app: Flask, client: FlaskClient, make, session: Session, outbox: Path, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")
    assert "<h1>Glemt adgangskode</h1>" in _html(client.get("/glemt-adgangskode"))
    known = client.post("/glemt-adgangskode", data={"email": "rikke@akasse.dk"})
    unknown = client.post("/glemt-adgangskode", data={"email": "ukendt@akasse.dk"})
    assert known.status_code == unknown.status_code == 200
    normalise = lambda r: _html(r).replace("rikke@akasse.dk", "E").replace("ukendt@akasse.dk", "E")  # noqa: E731
    assert normalise(known) == normalise(unknown)
    assert "Hvis der findes en bruger med e-mailen" in _html(known)
    assert ("Set-Cookie" in known.headers) == ("Set-Cookie" in unknown.headers)
    _deliver(app, session)
    [mail] = _mails(outbox)
    assert mail["To"] == "rikke@akasse.dk"
    assert mail["Subject"] == "Nulstil din adgangskode til Jobbro"
    assert _link(mail, "/nulstil-adgangskode/")
    requested = audit_rows(AuditAction.UPDATE)
    assert [e.details["email"] for e in requested] == ["rikke@akasse.dk", "ukendt@akasse.dk"]
    assert {e.details["event"] for e in requested} == {"password_reset_requested"}


def test_no_reset_mail_for_a_deactivated_user(
    app: Flask, client: FlaskClient, make, session: Session, outbox: Path
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    make.user((org, Role.COUNSELLOR), email="stoppet@akasse.dk", active=False)
    assert client.post("/glemt-adgangskode", data={"email": "stoppet@akasse.dk"}).status_code == 200
    _deliver(app, session)
    assert _mails(outbox) == []


class _RecordingSender:
    """A mail server stand-in that notes when it is called."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


def test_forgot_password_queues_the_mail_instead_of_sending_it(
    app: Flask, client: FlaskClient, make, session: Session
) -> None:
    """The mail server's time must not tell an attacker which e-mails have an account."""
    org = make.organisation(OrgKind.A_KASSE)
    make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")
    sender = _RecordingSender()
    app.extensions[MAIL_SENDER_KEY] = sender
    for email in ("rikke@akasse.dk", "ukendt@akasse.dk"):
        assert client.post("/glemt-adgangskode", data={"email": email}).status_code == 200
    assert sender.sent == []  # no mail server contacted while the visitor waits
    [queued] = session.scalars(select(Notification)).all()
    assert (queued.kind, queued.recipient, queued.sent_at) == (
        "password_reset",
        "rikke@akasse.dk",
        None,
    )
    deliver_pending(session, sender)
    [mail] = sender.sent
    assert mail.to == "rikke@akasse.dk" and "/nulstil-adgangskode/" in mail.body


def test_forgot_password_sends_at_most_five_mails_an_hour(
    app: Flask, client: FlaskClient, make, session: Session, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")
    # Requests older than an hour do not count.
    session.add(
        AuditEntry(
            action=AuditAction.UPDATE,
            object_type=passwords.RESET_REQUEST,
            object_id=throttling.email_key(user.email),
            details={"event": "password_reset_requested", "email": user.email},
            at=utcnow() - timedelta(hours=1, minutes=1),
        )
    )
    session.commit()
    pages = [
        _html(client.post("/glemt-adgangskode", data={"email": "RIKKE@akasse.dk"}))
        for _ in range(7)
    ]
    assert len(set(pages)) == 1  # the same answer, over the limit too
    sender = _RecordingSender()
    deliver_pending(session, sender)
    assert len(sender.sent) == passwords.PASSWORD_RESETS_PER_HOUR == 5
    requested = [
        e
        for e in audit_rows(AuditAction.UPDATE)
        if e.details.get("event") == "password_reset_requested"
    ]
    # The old request, five answered, and one row saying the limit was reached.
    assert [e.object_type for e in requested] == [passwords.RESET_REQUEST] * 6 + [
        passwords.RESET_REQUEST + "_refused"
    ]


def test_forgot_password_validates_the_email(client: FlaskClient) -> None:
    response = client.post("/glemt-adgangskode", data={"email": "ikke-en-email"})
    assert response.status_code == 400
    assert "Indtast en gyldig e-mail" in _html(response)
    assert 'value="ikke-en-email"' in _html(response)


def test_reset_password_through_the_mailed_link(
    app: Flask, client: FlaskClient, make, session: Session, outbox: Path, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")
    client.post("/glemt-adgangskode", data={"email": "rikke@akasse.dk"})
    _deliver(app, session)
    link = _link(_mails(outbox)[0], "/nulstil-adgangskode/")
    assert "Vælg en ny adgangskode til rikke@akasse.dk" in _html(client.get(link))

    mismatch = client.post(link, data={"password": NEW_PASSWORD, "password_repeat": "noget-andet"})
    assert mismatch.status_code == 400 and "De to adgangskoder er ikke ens." in _html(mismatch)
    same_as_email = client.post(
        link, data={"password": "rikke@akasse.dk", "password_repeat": "rikke@akasse.dk"}
    )
    assert "Adgangskoden må ikke være din e-mail." in _html(same_as_email)

    done = client.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert "Din adgangskode er ændret." in _html(client.get("/login"))
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    )
    assert (
        client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code
        == 302
    )
    events = [e.details["event"] for e in audit_rows(AuditAction.UPDATE)]
    assert events == ["password_reset_requested", "password_reset_completed"]

    client.post("/logout")
    reused = client.post(link, data={"password": "tredje-adgangskode!", "password_repeat": "x"})
    assert reused.status_code == 400 and "Linket er allerede brugt." in _html(reused)


def test_a_password_reset_ends_the_other_sessions(
    app: Flask, make, session: Session, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")
    victim_browser, attacker_browser = app.test_client(), app.test_client()
    # Someone logged in with the old (stolen) password …
    logged_in = attacker_browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert logged_in.status_code == 302 and attacker_browser.get("/").status_code == 200
    # … and the owner resets it from another browser.
    done = victim_browser.post(
        f"/nulstil-adgangskode/{_reset_token(app, user)}",
        data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert done.status_code == 302
    after = attacker_browser.get("/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert attacker_browser.get("/ledige/").headers["Location"].startswith("/login")
    # The new password works as usual, and that session stays.
    login = victim_browser.post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert victim_browser.get("/").status_code == 200
    assert victim_browser.get("/").status_code == 200


def _reset_token(app: Flask, user: User) -> str:
    return tokens.make_token(
        app.extensions["jobbro_settings"].secret_key, tokens.PASSWORD_RESET, user
    )


def test_bad_links_are_refused(
    app: Flask, client: FlaskClient, make, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    secret = app.extensions["jobbro_settings"].secret_key
    good = _reset_token(app, user)
    tampered = good[:-3] + ("xyz" if not good.endswith("xyz") else "abc")
    invitation = URLSafeTimedSerializer(secret, salt="invitation").dumps([user.id, "x"])
    other_user = make.user((org, Role.COUNSELLOR))
    forged_payload = tokens.make_token(
        "a-different-secret-key-0123456789abcdef", tokens.PASSWORD_RESET, other_user
    )
    for token in (tampered, invitation, forged_payload, "x" * 600):
        for method in (client.get, client.post):
            response = method(
                f"/nulstil-adgangskode/{token}",
                data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
            )
            assert response.status_code == 400, token
            assert "Linket er ugyldigt." in _html(response)
    # A reset link is no invitation either.
    assert client.get(f"/invitation/{good}").status_code == 400

    issued = int(time.time()) - tokens.PASSWORD_RESET.max_age_seconds - 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
    expired = _reset_token(app, user)
    monkeypatch.undo()
    response = client.post(
        f"/nulstil-adgangskode/{expired}",
        data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 400 and "Linket er udløbet." in _html(response)
    session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)  # nothing changed
    assert client.get(f"/nulstil-adgangskode/{good}").status_code == 200


def test_csrf_is_enforced_on_password_forms(
    csrf_app: Flask, csrf_client: FlaskClient, make, session: Session, csrf_outbox: Path
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")
    assert csrf_client.post("/glemt-adgangskode", data={"email": user.email}).status_code == 400
    assert _mails(csrf_outbox) == []
    admin = make.user((org, Role.ADMIN))
    invited = _invitation(session, admin, "ny@akasse.dk", Role.COUNSELLOR)
    for path in (
        f"/nulstil-adgangskode/{_reset_token(csrf_app, user)}",
        f"/invitation/{invited.nonce}",
    ):
        assert csrf_client.get(path).status_code == 200  # a working link
        data = {"name": "X", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
        assert csrf_client.post(path, data=data).status_code == 400
    session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
    assert invited.user is not None
    session.refresh(invited.user)
    assert not verify_password(invited.user.password_hash, NEW_PASSWORD)

    token = csrf_token(_html(csrf_client.get("/glemt-adgangskode")))
    sent = csrf_client.post("/glemt-adgangskode", data={"email": user.email, "csrf_token": token})
    assert sent.status_code == 200
    _deliver(csrf_app, session)
    assert len(_mails(csrf_outbox)) == 1


# --- The development outbox ---------------------------------------------------------------------


def _fill(outbox: Path, count: int) -> None:
    sender = OutboxSender(outbox, "Jobbro <noreply@jobbro.local>")
    for n in range(count):
        sender.send(Message(to=f"p{n}@eksempel.dk", subject=f"Besked {n:02d}", body=f"Tekst {n}"))


def test_outbox_lists_newest_first_in_pages_without_login(
    client: FlaskClient, outbox: Path
) -> None:
    assert "Udbakken er tom" in _html(client.get("/udbakke"))
    _fill(outbox, 26)
    first = _html(client.get("/udbakke"))
    subjects = re.findall(r">(Besked \d\d)</a>", first)
    assert len(subjects) == 25 and subjects[0] == "Besked 25" and subjects[-1] == "Besked 01"
    assert "Side 1 af 2" in first
    second = _html(client.get("/udbakke?side=2"))
    assert re.findall(r">(Besked \d\d)</a>", second) == ["Besked 00"]

    name = re.search(r'href="/udbakke/([^"]+)">Besked 25<', first).group(1)
    detail = client.get(f"/udbakke/{name}")
    assert detail.status_code == 200
    assert '<pre class="jb-pre">Tekst 25\n</pre>' in _html(detail)
    assert "p25@eksempel.dk" in _html(detail)


def test_outbox_shows_the_reset_mail_of_the_demo(
    app: Flask, client: FlaskClient, make, session: Session, outbox: Path
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")
    sent = _html(client.post("/glemt-adgangskode", data={"email": "rikke@akasse.dk"}))
    assert 'href="/udbakke"' in sent
    _deliver(app, session)
    listing = _html(client.get("/udbakke"))
    name = re.search(r'href="/udbakke/([^"]+)">Nulstil din adgangskode til Jobbro<', listing)
    detail = _html(client.get(f"/udbakke/{name.group(1)}"))
    assert "http://127.0.0.1:5000/nulstil-adgangskode/" in detail


def test_outbox_refuses_path_traversal(client: FlaskClient, outbox: Path, tmp_path: Path) -> None:
    _fill(outbox, 1)
    [inside] = [p.name for p in outbox.iterdir()]
    # A file that looks like a message, one directory up.
    outside = tmp_path / "20250101T000000000000Z-deadbeef.eml"
    outside.write_bytes((outbox / inside).read_bytes())
    for path in (
        f"/udbakke/..%2F{outside.name}",
        f"/udbakke/..%2f{outside.name}",
        f"/udbakke/%2e%2e%2F{outside.name}",
        f"/udbakke/..%5C{outside.name}",
        f"/udbakke/{outside.name}",
        "/udbakke/..%2F..%2F..%2Fetc%2Fpasswd",
        "/udbakke/.",
        "/udbakke/%00",
        f"/udbakke/{inside}%00",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Besked 00" not in _html(response)
    assert client.get(f"/udbakke/{inside}").status_code == 200


@pytest.mark.parametrize(
    "overrides", [{"env": "production"}, {"mail_backend": "smtp", "smtp_url": "smtp://mail.x.dk"}]
)
def test_outbox_is_404_in_production_and_with_smtp(
    app: Flask, client: FlaskClient, outbox: Path, overrides: dict
) -> None:
    _fill(outbox, 1)
    [name] = [p.name for p in outbox.iterdir()]
    app.extensions["jobbro_settings"] = app.extensions["jobbro_settings"].with_overrides(
        **overrides
    )
    assert client.get("/udbakke").status_code == 404
    assert client.get(f"/udbakke/{name}").status_code == 404
    app.extensions[MAIL_SENDER_KEY] = OutboxSender(outbox, "x@y.dk")  # still writes, never shown
    sent = _html(client.post("/glemt-adgangskode", data={"email": "a@b.dk"}))
    assert "udbakken" not in sent


@pytest.mark.parametrize("env", ["development", "test"])
@pytest.mark.parametrize(
    ("remote_addr", "status"),
    [
        ("127.0.0.1", 200),
        ("::1", 200),
        ("192.0.2.10", 404),  # anyone else on the network …
        ("10.0.0.7", 404),  # … private addresses included
        ("127.0.0.2", 404),  # only the two usual loopback addresses
    ],
)
def test_outbox_is_only_served_to_this_machine(
    app: Flask, client: FlaskClient, outbox: Path, env: str, remote_addr: str, status: int
) -> None:
    _fill(outbox, 1)
    [name] = [p.name for p in outbox.iterdir()]
    app.extensions["jobbro_settings"] = app.extensions["jobbro_settings"].with_overrides(env=env)
    environ = {"REMOTE_ADDR": remote_addr}
    assert client.get("/udbakke", environ_base=environ).status_code == status
    assert client.get(f"/udbakke/{name}", environ_base=environ).status_code == status
    sent = _html(client.post("/glemt-adgangskode", data={"email": "a@b.dk"}, environ_base=environ))
    assert ('href="/udbakke"' in sent) == (status == 200)


def test_many_sign_ups_from_one_address_are_refused_and_nothing_is_lost(
    client: FlaskClient, session: Session
) -> None:
    """A script creating companies to flood the approvers' queue is stopped after ten an hour
    from one address; the form keeps what was typed; another address is not affected."""
    flooder = "203.0.113.9"
    for n in range(SIGNUPS_PER_ADDRESS):
        audit.record(
            session,
            Actor(user_id=None, organisation_id=None, ip_address=flooder),
            AuditAction.CREATE,
            "organisation",
            10_000 + n,
        )
    session.flush()
    link = _signup_link(client, session, REMOTE_ADDR="198.51.100.30")
    refused = client.post(link, data=SIGNUP, environ_base={"REMOTE_ADDR": flooder})
    assert refused.status_code == 429
    html = _html(refused)
    assert "Der er oprettet mange virksomheder fra din forbindelse" in html
    assert 'value="Fynsk Byg ApS"' in html and NEW_PASSWORD not in html
    assert session.scalar(select(Organisation).where(Organisation.cvr == "12345678")) is None
    accepted = client.post(link, data=SIGNUP, environ_base={"REMOTE_ADDR": "198.51.100.30"})
    assert accepted.status_code == 302
    assert session.scalar(select(Organisation).where(Organisation.cvr == "12345678")) is not None
