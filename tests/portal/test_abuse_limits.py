"""Anonymous abuse from the attacker's side: floods of failed logins and forgotten-password
requests are limited before they reach the append-only audit log, and junk failures for other
e-mails do not dilute the limit on the e-mail under attack."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.accounts import passwords
from matching.accounts.throttling import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_EMAIL
from matching.models import AuditEntry, Notification, OrgKind, Role
from tests.factories import PASSWORD


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong passwords without argon2's cost, so a flood of attempts runs in seconds."""
    monkeypatch.setattr("portal.auth.verify_password", lambda _hash, _password: False)


def _audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))


def _post_login(client: FlaskClient, email: str, address: str, password: str = "forkert-1234"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_junk_failures_for_other_emails_do_not_reset_the_limit_on_the_target(
    client: FlaskClient, make, session: Session, fast_passwords: None
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    target = make.user((org, Role.COUNSELLOR))
    for n in range(LOGIN_FAILURES_PER_EMAIL):
        assert _post_login(client, target.email, f"198.51.100.{n + 1}").status_code == 400
    assert _post_login(client, target.email, "198.51.100.200").status_code == 429
    # 1,100 failures for other e-mails from many addresses (each below its address limit).
    for n in range(1_100):
        address = f"10.{n // 40}.{n % 40}.1"
        assert _post_login(client, f"junk{n}@eksempel.dk", address).status_code == 400
    still = _post_login(client, target.email, "203.0.113.99", password=PASSWORD)
    assert still.status_code == 429


def test_a_flood_of_failed_and_throttled_logins_adds_a_bounded_number_of_audit_rows(
    client: FlaskClient, make, session: Session, fast_passwords: None
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    target = make.user((org, Role.COUNSELLOR))
    before = _audit_count(session)
    statuses = [
        _post_login(client, f"gaet{n}@eksempel.dk", "203.0.113.7").status_code for n in range(200)
    ]
    assert statuses.count(429) == 200 - LOGIN_FAILURES_PER_ADDRESS
    # Failures count until the address is stopped; then one row says it was stopped.
    assert _audit_count(session) - before <= LOGIN_FAILURES_PER_ADDRESS + 1

    # 200 attempts on one account from 200 addresses: the e-mail limit, then one row.
    before = _audit_count(session)
    statuses = [
        _post_login(client, target.email, f"192.0.2.{n % 250 + 1}").status_code for n in range(200)
    ]
    assert statuses.count(429) == 200 - LOGIN_FAILURES_PER_EMAIL
    assert _audit_count(session) - before <= LOGIN_FAILURES_PER_EMAIL + 1


def test_a_flood_of_forgotten_password_requests_is_limited_per_address_and_per_email(
    client: FlaskClient, make, session: Session
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    target = make.user((org, Role.COUNSELLOR))
    before = _audit_count(session)
    statuses = {
        client.post(
            "/glemt-adgangskode",
            data={"email": f"gaet{n}@eksempel.dk"},
            environ_base={"REMOTE_ADDR": "203.0.113.7"},
        ).status_code
        for n in range(200)
    }
    assert _audit_count(session) - before <= passwords.PASSWORD_RESETS_PER_ADDRESS + 1

    before = _audit_count(session)
    for n in range(200):
        response = client.post(
            "/glemt-adgangskode",
            data={"email": target.email},
            environ_base={"REMOTE_ADDR": f"192.0.2.{n % 250 + 1}"},
        )
        statuses.add(response.status_code)
    assert _audit_count(session) - before <= passwords.PASSWORD_RESETS_PER_HOUR + 1
    mails = session.scalar(select(func.count()).where(Notification.recipient == target.email))
    assert mails == passwords.PASSWORD_RESETS_PER_HOUR
    assert statuses == {200}  # the same answer as always: nothing tells who has an account
