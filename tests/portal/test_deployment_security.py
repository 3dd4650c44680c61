"""Deployment controls seen from the attacker's side: the published development key, client
addresses behind a proxy (and spoofed ones without), HSTS."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matching.accounts import tokens
from matching.core.settings import DEV_SECRET_KEY, Settings
from matching.models import OrgKind, Role
from tests.support.portal import html, make_app

PROXY = "10.0.0.2"  # the TLS proxy in front of the portal
ENOUGH_FAILURES = 200  # far above any per-address limit


def _development_settings(settings: Settings, data_dir: Path) -> Settings:
    """What `make run` gives a laptop without JOBBRO_* keys, on the test's database."""
    plain = Settings.from_env({"JOBBRO_DATA_DIR": str(data_dir)})
    return settings.with_overrides(
        env="development", secret_key=plain.secret_key, cpr_key=plain.cpr_key
    )


def test_a_link_signed_with_the_published_development_key_is_refused(
    settings: Settings, session: Session, make, tmp_path: Path
) -> None:
    app = make_app(_development_settings(settings, tmp_path), session, csrf=False)
    org = make.organisation(OrgKind.A_KASSE)
    victim = make.user((org, Role.ADMIN))
    forged = tokens.make_token(DEV_SECRET_KEY, tokens.PASSWORD_RESET, victim)
    client = app.test_client()
    new_password = "angriberens-nye-kode-123"
    response = client.post(
        f"/nulstil-adgangskode/{forged}",
        data={"password": new_password, "password_repeat": new_password},
    )
    assert response.status_code == 400
    assert "Linket er ugyldigt." in html(response)


def _fail_logins_until_throttled(client: FlaskClient, forwarded_for: str) -> int:
    """Failed logins (a new e-mail each time) from one forwarded client until one is answered
    429; how many it took."""
    for attempt in range(1, ENOUGH_FAILURES + 1):
        response = client.post(
            "/login",
            data={"email": f"gaet{attempt}@eksempel.dk", "password": "forkert"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        if response.status_code == 429:
            return attempt
    raise AssertionError("never throttled")


def _login_status(client: FlaskClient, forwarded_for: str) -> int:
    return client.post(
        "/login",
        data={"email": "ny-bruger@eksempel.dk", "password": "forkert"},
        headers={"X-Forwarded-For": forwarded_for},
    ).status_code


def _client_from(app: Flask, address: str) -> FlaskClient:
    """A client whose connections come from ``address`` (the proxy, or the attacker)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _behind_proxy(settings: Settings, session: Session, hops: int) -> Flask:
    return make_app(settings.with_overrides(trusted_proxies=hops), session, csrf=False)


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own_address(
    settings: Settings, session: Session
) -> None:
    app = _behind_proxy(settings, session, 1)
    client = _client_from(app, PROXY)
    _fail_logins_until_throttled(client, "203.0.113.5")
    assert _login_status(client, "203.0.113.5") == 429
    # Another person behind the same proxy is not locked out by the first one's guessing.
    assert _login_status(client, "198.51.100.7") == 400


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(
    settings: Settings, session: Session
) -> None:
    app = _behind_proxy(settings, session, 0)
    client = _client_from(app, "203.0.113.9")
    # An attacker rotating X-Forwarded-For still counts as the one address they come from.
    for attempt in range(1, ENOUGH_FAILURES + 1):
        response = client.post(
            "/login",
            data={"email": f"gaet{attempt}@eksempel.dk", "password": "forkert"},
            headers={"X-Forwarded-For": f"192.0.2.{attempt % 250}"},
        )
        if response.status_code == 429:
            break
    else:
        raise AssertionError("rotating X-Forwarded-For escaped the per-address limit")


def test_only_the_configured_number_of_hops_is_trusted(
    settings: Settings, session: Session
) -> None:
    # One trusted proxy: a client-supplied first entry is not believed, the proxy's is.
    app = _behind_proxy(settings, session, 1)
    client = _client_from(app, PROXY)
    seen: list[str | None] = []

    @app.before_request
    def remember_address() -> None:
        from flask import request

        seen.append(request.remote_addr)

    client.get("/healthz", headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.5"})
    client.get("/healthz")
    assert seen == ["203.0.113.5", PROXY]


def test_hsts_only_in_production(settings: Settings, session: Session, client) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    production = make_app(settings.with_overrides(env="production"), session, csrf=False)
    header = production.test_client().get("/login").headers["Strict-Transport-Security"]
    assert "max-age=31536000" in header and "includeSubDomains" in header
