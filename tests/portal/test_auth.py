"""Logging in and out, CSRF, choosing an organisation, and the audit trail of it all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matching.accounts.throttling import (
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_EMAIL,
    LOGIN_WINDOW,
    login_throttled,
    record_login_failure,
)
from matching.models import AuditAction, OrgKind, Role, utcnow
from portal.auth import LOGIN_FAILED_MESSAGE, LOGIN_THROTTLED_MESSAGE
from tests.factories import PASSWORD
from tests.support.portal import csrf_token


def test_login_page_is_danish_and_accessible(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in html
    assert '<label class="form-label" for="email">E-mail</label>' in html
    assert '<label class="form-label" for="password">Adgangskode</label>' in html
    assert 'href="#main-content"' in html and 'id="main-content"' in html


def test_login_success_sets_last_login_and_audits(
    client: FlaskClient, make, session: Session, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    session.refresh(user)
    assert user.last_login_at is not None
    [entry] = audit_rows(AuditAction.LOGIN)
    assert entry.actor_id == user.id and entry.actor_organisation_id == org.id
    assert client.get("/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, make, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    wrong = client.post("/login", data={"email": user.email, "password": "forkert-kode-123"})
    unknown = client.post(
        "/login", data={"email": "findes.ikke@eksempel.dk", "password": "forkert-kode-123"}
    )
    for response in (wrong, unknown):
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert LOGIN_FAILED_MESSAGE in html
        assert 'id="error-summary"' in html
    # The typed e-mail is kept; the password is not echoed back.
    assert f'value="{user.email}"' in wrong.get_data(as_text=True)
    assert "forkert-kode-123" not in wrong.get_data(as_text=True)
    failed = audit_rows(AuditAction.LOGIN_FAILED)
    assert [e.actor_id for e in failed] == [user.id, None]
    assert failed[1].details["email"] == "findes.ikke@eksempel.dk"
    assert client.get("/").status_code == 302  # still logged out


def test_empty_form_shows_field_errors(client: FlaskClient) -> None:
    html = client.post("/login", data={}).get_data(as_text=True)
    assert "Indtast din e-mail." in html and "Indtast din adgangskode." in html
    assert 'aria-invalid="true"' in html
    assert '<a href="#email">' in html


def test_inactive_user_cannot_log_in(client: FlaskClient, make) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR), active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert LOGIN_FAILED_MESSAGE in response.get_data(as_text=True)


def test_login_redirects_to_local_next_only(client: FlaskClient, make) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/ledige/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/ledige/"


# What browsers turn into another site: a tab or line break inside the URL is dropped, a
# backslash is read as a slash, and leading spaces are trimmed.
HOSTILE_NEXT = [
    "/%09/evil.example",
    "/%0A/x",
    "/%0D%0ALocation:%20https://evil.example",
    "/%00/evil.example",
    "/%7F/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "%20//evil.example",
    "https://evil.example/",
    "https:/evil.example",
    "javascript:alert(1)",
    "///evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site(client: FlaskClient, make, target: str) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    page = client.get(f"/login?next={target}")
    assert page.status_code == 200
    assert "evil.example" not in page.get_data(as_text=True)
    response = client.post(
        f"/login?next={target}", data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_choosing_an_organisation_never_redirects_off_site(
    client: FlaskClient, make, target: str
) -> None:
    akasse = make.organisation(OrgKind.A_KASSE)
    jobcentre = make.organisation(OrgKind.JOBCENTRE)
    user = make.user((akasse, Role.COUNSELLOR), (jobcentre, Role.APPROVER))
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.post(
        f"/vaelg-organisation?next={target}",
        data={"membership": str(user.memberships[0].id)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_local_next_keeps_its_query(client: FlaskClient, make) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    response = client.post(
        "/login?next=/ledige/%3Fq%3Dlager%26side%3D2",
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/ledige/?q=lager&side=2"


def test_anonymous_is_sent_to_login(client: FlaskClient) -> None:
    response = client.get("/ledige/?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_audits_and_ends_session(client: FlaskClient, make, login, audit_rows) -> None:
    org = make.organisation(OrgKind.EMPLOYER)
    user = make.user((org, Role.EMPLOYER))
    login(user)
    response = client.post("/logout")
    assert response.status_code == 302
    [entry] = audit_rows(AuditAction.LOGOUT)
    assert entry.actor_id == user.id and entry.actor_organisation_id == org.id
    assert client.get("/").status_code == 302
    assert "Du er nu logget ud." in client.get("/login").get_data(as_text=True)


def test_logout_is_post_only(client: FlaskClient) -> None:
    assert client.get("/logout").status_code == 405


def test_csrf_is_enforced_on_login(csrf_client: FlaskClient, make, audit_rows) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    rejected = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert rejected.status_code == 400
    assert "sikkerhedsfelt" in rejected.get_data(as_text=True)
    assert audit_rows(AuditAction.LOGIN) == []

    token = csrf_token(csrf_client.get("/login").get_data(as_text=True))
    accepted = csrf_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302


def test_csrf_is_enforced_on_logout(csrf_client: FlaskClient, make, audit_rows) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    token = csrf_token(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )

    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/").status_code == 200  # still logged in
    assert audit_rows(AuditAction.LOGOUT) == []

    token = csrf_token(csrf_client.get("/").get_data(as_text=True))
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert csrf_client.get("/").status_code == 302


def test_user_with_several_memberships_chooses(client: FlaskClient, make) -> None:
    akasse = make.organisation(OrgKind.A_KASSE, "A-kasse Nord")
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Syd")
    user = make.user((akasse, Role.COUNSELLOR), (jobcentre, Role.APPROVER))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].startswith("/vaelg-organisation")
    # Not usable before choosing.
    assert client.get("/").headers["Location"].startswith("/vaelg-organisation")
    html = client.get("/vaelg-organisation").get_data(as_text=True)
    assert "Vælg organisation" in html and "Jobcenter Syd" in html
    assert ">Skift organisation</a>" in html  # two organisations: the header says so

    approver = next(m for m in user.memberships if m.role is Role.APPROVER)
    response = client.post("/vaelg-organisation", data={"membership": str(approver.id)})
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "afventer godkendelse" in home
    assert client.get("/ledige/").status_code == 403  # approver is no counsellor


def test_cannot_choose_someone_elses_membership(client: FlaskClient, make) -> None:
    org_a = make.organisation(OrgKind.A_KASSE)
    org_b = make.organisation(OrgKind.JOBCENTRE)
    user = make.user((org_a, Role.COUNSELLOR), (org_a, Role.ADMIN))
    other = make.user((org_b, Role.COUNSELLOR))
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.post("/vaelg-organisation", data={"membership": str(other.memberships[0].id)})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


# --- throttling -----------------------------------------------------------------------------


def _fail(client: FlaskClient, email: str, times: int, addr: str = "127.0.0.1") -> None:
    for _ in range(times):
        response = client.post(
            "/login",
            data={"email": email, "password": "forkert-kode-123"},
            environ_base={"REMOTE_ADDR": addr},
        )
        assert response.status_code == 400


def test_ten_failures_stop_password_checks_for_that_email(
    client: FlaskClient, make, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    other = make.user((org, Role.COUNSELLOR))
    _fail(client, user.email, LOGIN_FAILURES_PER_EMAIL)

    # Even the right password is not checked now; the answer says why and what to do.
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "For mange mislykkede forsøg" in html and "Glemt adgangskode?" in html
    assert client.get("/").status_code == 302  # not logged in
    last = audit_rows(AuditAction.LOGIN_FAILED)[-1]
    assert last.actor_id == user.id and last.details["throttled"] is True

    # A colleague on the same network is not locked out by it.
    assert (
        client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302
    )


def test_an_unknown_email_is_throttled_like_a_real_one(client: FlaskClient) -> None:
    _fail(client, "findes.ikke@eksempel.dk", LOGIN_FAILURES_PER_EMAIL)
    response = client.post(
        "/login", data={"email": "Findes.Ikke@eksempel.dk", "password": "forkert-kode-123"}
    )
    assert response.status_code == 429
    assert LOGIN_THROTTLED_MESSAGE in response.get_data(as_text=True)


def test_the_wait_ends_after_the_window_and_refused_attempts_do_not_extend_it(
    client: FlaskClient, make, session: Session
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    _fail(client, user.email, LOGIN_FAILURES_PER_EMAIL - 1)
    for _ in range(5):  # attempts refused while throttled are logged once, not counted
        record_login_failure(
            session, user.email, user_id=user.id, ip_address="127.0.0.1", throttled=True
        )
    session.flush()
    assert not login_throttled(session, user.email, "127.0.0.1")
    _fail(client, user.email, 1)
    assert login_throttled(session, user.email, "127.0.0.1")
    later = utcnow() + LOGIN_WINDOW + timedelta(seconds=1)
    assert not login_throttled(session, user.email, "127.0.0.1", now=later)


def test_many_failures_from_one_address_stop_logins_from_it(
    client: FlaskClient, make, session: Session
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    attacker = "203.0.113.7"
    for n in range(LOGIN_FAILURES_PER_ADDRESS):
        record_login_failure(session, f"gaet{n}@eksempel.dk", user_id=None, ip_address=attacker)
    session.flush()
    blocked = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": attacker},
    )
    assert blocked.status_code == 429
    elsewhere = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
    )
    assert elsewhere.status_code == 302


def _copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("jobbro_session")
    assert cookie is not None
    target.set_cookie("jobbro_session", cookie.value)


def test_a_cookie_kept_from_before_logout_opens_nothing(
    app, client: FlaskClient, make, login, akasse_counsellor
) -> None:
    _org, counsellor = akasse_counsellor
    login(counsellor)
    assert client.get("/ledige/").status_code == 200
    stolen = app.test_client()
    _copy_cookie(client, stolen)  # e.g. read off a shared computer before logging out
    assert stolen.get("/ledige/").status_code == 200
    client.post("/logout")
    replayed = stolen.get("/ledige/")
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")
    # Logging in again starts a new session that works.
    login(counsellor)
    assert client.get("/ledige/").status_code == 200


def test_sessions_end_when_idle_and_after_the_absolute_limit(
    client: FlaskClient, make, login, akasse_counsellor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portal.auth

    _org, counsellor = akasse_counsellor
    start = portal.auth.time.time()
    clock = {"now": start}
    monkeypatch.setattr(portal.auth.time, "time", lambda: clock["now"])
    login(counsellor)
    # Busy all day: a request every 20 minutes keeps the session until 8 hours after login.
    for minutes in range(20, 8 * 60, 20):
        clock["now"] = start + minutes * 60
        assert client.get("/ledige/").status_code == 200, minutes
    clock["now"] = start + 8 * 3600 + 1
    assert client.get("/ledige/").status_code == 302
    # Idle for 30 minutes: the session is over.
    clock["now"] = start = start + 9 * 3600
    login(counsellor)
    clock["now"] = start + 29 * 60
    assert client.get("/ledige/").status_code == 200
    clock["now"] = start + 29 * 60 + 30 * 60
    assert client.get("/ledige/").status_code == 302


def test_losing_the_last_role_ends_the_session(
    app, client: FlaskClient, make, login, session: Session
) -> None:
    org = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    admin = make.user((org, Role.ADMIN))
    colleague = make.user((org, Role.EMPLOYER))
    login(colleague)
    assert client.get("/").status_code == 200
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    [membership] = colleague.memberships
    removed = admin_client.post(f"/organisation/brugere/{membership.id}/fjern")
    assert removed.status_code == 302
    session.refresh(colleague)
    assert colleague.session_version >= 1
    # Without a role the user is simply logged out: nothing of the session is left.
    with client.session_transaction() as cookie:
        pass
    client.get("/")
    with client.session_transaction() as cookie:
        assert "user_id" not in cookie
