"""The application factory, security headers, health check and error pages."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from matching.core.errors import ServiceUnavailable
from matching.core.settings import Settings
from portal.app import create_app


def test_healthz_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True)


def test_session_cookie_flags(client: FlaskClient, make, login) -> None:
    from matching.models import OrgKind, Role

    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    response = client.post(
        "/login", data={"email": user.email, "password": "korrekt-hest-batteri-haefteklamme"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only in production


def test_production_cookies_are_secure(settings: Settings) -> None:
    prod = settings.with_overrides(env="production")
    app = create_app(prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == settings.secret_key


def test_unreachable_database_fails_at_start_up(settings: Settings, tmp_path) -> None:
    bad = settings.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ServiceUnavailable, match="JOBBRO_DATABASE_URL"):
        create_app(bad)


def test_404_page_is_danish(client: FlaskClient) -> None:
    response = client.get("/findes-ikke")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Siden blev ikke fundet" in html and '<html lang="da">' in html


def test_500_page_is_danish(app, client: FlaskClient) -> None:
    @app.get("/boom")
    def boom():  # noqa: ANN202
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Der opstod en fejl" in response.get_data(as_text=True)


def test_domain_validation_error_is_a_400(app, client: FlaskClient) -> None:
    from matching.core.errors import ValidationError

    @app.get("/ugyldig")
    def invalid():  # noqa: ANN202
        raise ValidationError({"title": "Titlen må højst være 100 tegn."})

    response = client.get("/ugyldig")
    assert response.status_code == 400
    assert "Titlen må højst være 100 tegn." in response.get_data(as_text=True)


def test_pages_render_without_built_assets(settings: Settings, session, make) -> None:
    """Before `portal/assets/build.sh` has run the pages still render, only unstyled."""
    from tests.support.portal import make_app

    app = make_app(settings, session, csrf=False)
    app.config["DKFDS_AVAILABLE"] = False
    html = app.test_client().get("/login").get_data(as_text=True)
    assert "dkfds" not in html and "jobbro.css" in html and "Log ind" in html
