"""Employer sign-up from the attacker's side: the first step asks only for an e-mail and answers
the same whether or not the e-mail has a user (so the form tells no one who has an account), is
limited per client address and per e-mail before it mails or audits anything, and the company
is created only from a signed, expiring link that was mailed to the address."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.accounts import signup, tokens
from matching.models import (
    AuditAction,
    AuditEntry,
    Membership,
    Notification,
    Organisation,
    OrgKind,
    Role,
    User,
)
from tests.support.portal import csrf_token, html

NEW_PASSWORD = "sommer-paa-fyn-er-dejlig"
COMPANY = {
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
CSRF_INPUT = re.compile(r'name="csrf_token"( type="hidden")? value="[^"]+"')


def _count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _mails_to(session: Session, email: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.recipient == email).order_by(Notification.id)
        )
    )


def _signup_link(session: Session, email: str) -> str:
    """The path of the sign-up link in the one mail queued for ``email``."""
    [mail] = _mails_to(session, email)
    [path] = re.findall(r"http://127\.0\.0\.1:5000(/opret-virksomhed/\S+)", mail.body)
    return path


def _ask(client: FlaskClient, email: str, address: str = "192.0.2.10", **extra: str):
    return client.post(
        "/opret-virksomhed",
        data={"email": email, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def test_an_existing_and_a_new_email_get_the_same_answer(
    csrf_client: FlaskClient, make, session: Session
) -> None:
    org = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    make.user((org, Role.ADMIN), email="ejer@fynslager.dk")
    session.commit()

    def answer(email: str) -> tuple[int, str]:
        token = csrf_token(html(csrf_client.get("/opret-virksomhed")))
        # The attacker sends the whole old form too: a new and a taken e-mail must still look
        # alike (apart from the CSRF token and the e-mail typed).
        response = csrf_client.post(
            "/opret-virksomhed",
            data={**COMPANY, "email": email, "admin_email": email, "csrf_token": token},
        )
        body = CSRF_INPUT.sub("csrf", html(response)).replace(email, "E-MAIL")
        return response.status_code, body

    taken = answer("ejer@fynslager.dk")
    new = answer("ny@fynskbyg.dk")
    assert taken == new
    assert taken[0] == 200 and "Tjek din e-mail" in taken[1]
    # Nothing is created before the link is opened; each address got its own kind of mail.
    assert _count(session, Organisation, Organisation.cvr == "12345678") == 0
    assert _count(session, User, User.email == "ny@fynskbyg.dk") == 0
    [warning] = _mails_to(session, "ejer@fynslager.dk")
    assert warning.subject == "Nogen har forsøgt at oprette en konto med din e-mail"
    assert "/opret-virksomhed/" not in warning.body
    assert "http://127.0.0.1:5000/glemt-adgangskode" in warning.body
    assert "http://127.0.0.1:5000/login" in warning.body
    [invite] = _mails_to(session, "ny@fynskbyg.dk")
    assert invite.subject == "Bekræft din e-mail og opret virksomheden i Jobbro"
    assert _signup_link(session, "ny@fynskbyg.dk")


def test_a_flood_of_sign_up_requests_for_one_email_sends_at_most_the_limit(
    client: FlaskClient, make, session: Session
) -> None:
    org = make.organisation(OrgKind.EMPLOYER)
    target = make.user((org, Role.ADMIN), email="ejer@fynslager.dk")
    session.commit()
    for email in (target.email, "ny@fynskbyg.dk"):
        before = _count(session, AuditEntry)
        statuses = {
            _ask(client, email, address=f"198.51.100.{n % 250 + 1}").status_code for n in range(200)
        }
        assert statuses == {200}
        assert len(_mails_to(session, email)) == signup.SIGNUP_REQUESTS_PER_EMAIL
        assert _count(session, AuditEntry) - before <= signup.SIGNUP_REQUESTS_PER_EMAIL + 1
    assert _count(session, Organisation, Organisation.kind == OrgKind.EMPLOYER) == 1


def test_a_flood_of_sign_up_requests_from_one_address_is_limited(
    client: FlaskClient, session: Session
) -> None:
    before_audit = _count(session, AuditEntry)
    before_mails = _count(session, Notification)
    statuses = {_ask(client, f"gaet{n}@eksempel.dk", "203.0.113.7").status_code for n in range(200)}
    assert statuses == {200}
    assert _count(session, Notification) - before_mails == signup.SIGNUP_REQUESTS_PER_ADDRESS
    assert _count(session, AuditEntry) - before_audit <= signup.SIGNUP_REQUESTS_PER_ADDRESS + 1
    refused = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "signup_request_refused")
    ).all()
    assert [row.details["by"] for row in refused] == ["address"]
    # Another address is not held up by this one.
    _ask(client, "anden@eksempel.dk", "203.0.113.8")
    assert len(_mails_to(session, "anden@eksempel.dk")) == 1


def test_an_expired_or_tampered_sign_up_link_is_refused_in_danish(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ask(client, "ny@fynskbyg.dk")
    good = _signup_link(session, "ny@fynskbyg.dk")
    token = good.rsplit("/", 1)[1]
    secret = app.extensions["jobbro_settings"].secret_key
    reset_like = tokens._serializer(secret, tokens.PASSWORD_RESET).dumps("ny@fynskbyg.dk")
    for bad, message in (
        (token[:-3] + ("xyz" if not token.endswith("xyz") else "abc"), "Linket er ugyldigt."),
        (reset_like, "Linket er ugyldigt."),  # another purpose's signature
        ("x" * 600, "Linket er ugyldigt."),
    ):
        for method in (client.get, client.post):
            response = method(f"/opret-virksomhed/{bad}", data=COMPANY)
            assert response.status_code == 400, bad
            assert message in html(response)
            assert "Start forfra" in html(response)

    issued = int(time.time()) - tokens.EMPLOYER_SIGNUP.max_age_seconds - 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
    expired = tokens.make_signup_token(secret, "ny@fynskbyg.dk")
    monkeypatch.undo()
    response = client.post(f"/opret-virksomhed/{expired}", data=COMPANY)
    assert response.status_code == 400
    assert tokens.SIGNUP_EXPIRED_MESSAGE in html(response)
    assert "Linket er udløbet." in html(response)
    assert _count(session, Organisation, Organisation.cvr == "12345678") == 0


def test_the_link_creates_the_company_and_user_with_the_mailed_email(
    client: FlaskClient, session: Session, audit_rows
) -> None:
    _ask(client, "Bente@FynskByg.dk")
    link = _signup_link(session, "bente@fynskbyg.dk")
    page = client.get(link)
    assert page.status_code == 200
    assert "bente@fynskbyg.dk" in html(page) and 'name="admin_email"' not in html(page)
    # An e-mail typed into the form is ignored: the account gets the address that was mailed.
    response = client.post(link, data={**COMPANY, "admin_email": "angriber@ondt.example"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    org = session.scalar(select(Organisation).where(Organisation.cvr == "12345678"))
    user = session.scalar(select(User).where(User.email == "bente@fynskbyg.dk"))
    assert org is not None and org.kind is OrgKind.EMPLOYER and org.verified_at is None
    roles = {
        m.role
        for m in session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    }
    assert roles == {Role.ADMIN, Role.EMPLOYER}
    assert _count(session, User, User.email == "angriber@ondt.example") == 0
    assert "Fynsk Byg ApS er oprettet" in html(client.get("/"))
    created = {e.object_type for e in audit_rows(AuditAction.CREATE)}
    assert created == {"organisation", "user", "membership"}

    # The link made one account; opened again it is used up.
    client.post("/logout")
    again = client.get(link)
    assert again.status_code == 400 and "Linket er allerede brugt." in html(again)
    assert _count(session, Organisation, Organisation.kind == OrgKind.EMPLOYER) == 1
