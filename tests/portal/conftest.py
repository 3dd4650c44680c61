"""Portal fixtures: apps whose requests share the test's rolled-back transaction, logging in,
the audit rows written, and the browser for the browser tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.settings import Settings
from matching.models import (
    AuditAction,
    AuditEntry,
    Organisation,
    OrgKind,
    Role,
    User,
)
from tests.factories import PASSWORD, Factory
from tests.support.browser import AXE_JS, CHROMIUM, CHROMIUM_ARGS
from tests.support.portal import make_app


@pytest.fixture
def app(settings: Settings, session: Session) -> Flask:
    """The portal with CSRF switched off, for tests about everything else."""
    return make_app(settings, session, csrf=False)


@pytest.fixture
def csrf_app(settings: Settings, session: Session) -> Flask:
    """The portal with CSRF protection on, as in production."""
    return make_app(settings, session, csrf=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def csrf_client(csrf_app: Flask) -> FlaskClient:
    return csrf_app.test_client()


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], None]:
    """Log a user in through the login form (CSRF off)."""

    def do_login(user: User, password: str = PASSWORD) -> None:
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do_login


@pytest.fixture
def audit_rows(session: Session) -> Callable[..., list[AuditEntry]]:
    """Audit entries written so far, optionally only one action."""

    def rows(action: AuditAction | None = None) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))

    return rows


@pytest.fixture
def akasse_counsellor(make: Factory) -> Iterator[tuple[Organisation, User]]:
    org = make.organisation(OrgKind.A_KASSE, "A-kasse Fyn")
    user = make.user((org, Role.COUNSELLOR), name="Rådgiver Rikke")
    yield org, user


# --- browser tests (Playwright) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    """Debian's Chromium under Playwright, one per test module (browser tests only)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    """A fresh browser context with axe-core, failing the test on console errors and 5xx."""

    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE_JS))
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None,
    )
    yield page
    context.close()
    assert problems == [], f"browser errors: {problems}"
