"""Portal fixtures: an app whose requests share the test's rolled-back transaction, and
factories that create organisations, users, jobseekers and vacancies through the models."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from matching.access import today_dk
from matching.models import (
    CV,
    AuditAction,
    AuditEntry,
    CVDesiredOccupation,
    CVEducation,
    CVExperience,
    CVLanguage,
    CVSkill,
    Jobseeker,
    Membership,
    Organisation,
    OrgKind,
    ResponsibilityPeriod,
    Role,
    TargetGroup,
    TargetGroupPeriod,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.models.enums import ApprovalStatus
from matching.security import hash_password
from matching.settings import Settings
from portal.app import create_app

PASSWORD = "korrekt-hest-batteri-haefteklamme"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every test user (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def _app(settings: Settings, session: Session, *, csrf: bool) -> Flask:
    connection = session.connection()

    def factory() -> Session:
        # Same connection as the test: requests see the test's rows and vice versa, and
        # everything is rolled back at the end. Commits become savepoint releases.
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    session.commit()  # close the test session's savepoint before a request opens its own
    return create_app(settings, session_factory=factory, config={"WTF_CSRF_ENABLED": csrf})


@pytest.fixture
def app(settings: Settings, session: Session) -> Flask:
    """The portal with CSRF switched off, for tests about everything else."""
    return _app(settings, session, csrf=False)


@pytest.fixture
def csrf_app(settings: Settings, session: Session) -> Flask:
    """The portal with CSRF protection on, as in production."""
    return _app(settings, session, csrf=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def csrf_client(csrf_app: Flask) -> FlaskClient:
    return csrf_app.test_client()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no csrf_token in the page"
    return match.group(1)


class Factory:
    """Creates rows through the models, flushing (and committing the savepoint) as it goes."""

    def __init__(self, session: Session, password_hash: str) -> None:
        self.session = session
        self.password_hash = password_hash

    def _save(self, *objects: object) -> None:
        self.session.add_all(objects)
        self.session.commit()

    def organisation(
        self, kind: OrgKind = OrgKind.A_KASSE, name: str | None = None
    ) -> Organisation:
        n = next(_counter)
        org = Organisation(kind=kind, name=name or f"{kind.label_da} {n}")
        self._save(org)
        return org

    def user(
        self,
        *memberships: tuple[Organisation, Role],
        email: str | None = None,
        name: str | None = None,
        active: bool = True,
    ) -> User:
        n = next(_counter)
        user = User(
            email=email or f"bruger{n}@eksempel.dk",
            name=name or f"Bruger {n}",
            password_hash=self.password_hash,
            active=active,
        )
        user.memberships = [Membership(organisation=o, role=r) for o, r in memberships]
        self._save(user)
        return user

    def jobseeker(
        self,
        responsible: Organisation | None,
        *,
        first_name: str = "Anna",
        last_name: str | None = None,
        postal_code: str = "5000",
        target_group: TargetGroup | None = TargetGroup.DAGPENGE,
        responsible_from: date | None = None,
        responsible_to: date | None = None,
        with_cv: bool = False,
        commit: bool = True,
    ) -> Jobseeker:
        n = next(_counter)
        today = today_dk()
        person = Jobseeker(
            pseudonym=f"L-{n:06d}",
            first_name=first_name,
            last_name=last_name or f"Jensen{n}",
            birth_date=date(1985, 5, 17),
            postal_code=postal_code,
            unemployment_start=today - timedelta(days=30),
        )
        if responsible is not None:
            person.responsibilities = [
                ResponsibilityPeriod(
                    organisation=responsible,
                    valid_from=responsible_from or today - timedelta(days=30),
                    valid_to=responsible_to,
                    reason="test",
                )
            ]
        if target_group is not None:
            person.target_groups = [
                TargetGroupPeriod(target_group=target_group, valid_from=today - timedelta(days=30))
            ]
        if with_cv:
            person.cv = CV(
                headline="Erfaren lagermedarbejder",
                summary="Mødestabil og glad for at arbejde i team.",
                experiences=[
                    CVExperience(
                        position=0,
                        title="Lagermedarbejder",
                        employer_name="Fynsk Logistik A/S",
                        start_year=2015,
                        end_year=2024,
                    )
                ],
                educations=[CVEducation(position=0, title="Lager- og terminaluddannelsen")],
                skills=[CVSkill(position=0, name="Truckcertifikat")],
                languages=[CVLanguage(language="Dansk", level="Modersmål")],
                desired_occupations=[CVDesiredOccupation(position=0, title="Chauffør")],
            )
        self.session.add(person)
        if commit:
            self.session.commit()
        return person

    def vacancy(
        self,
        employer: Organisation,
        *,
        title: str = "Lagermedarbejder",
        kind: VacancyKind = VacancyKind.ORDINARY,
        status: VacancyStatus = VacancyStatus.OPEN,
    ) -> Vacancy:
        vacancy = Vacancy(
            kind=kind,
            status=status,
            employer_id=employer.id,
            title=title,
            description="Vi søger en stabil kollega.",
            postal_code="5000",
            approval_status=(
                ApprovalStatus.NOT_REQUIRED
                if kind is VacancyKind.ORDINARY
                else (
                    ApprovalStatus.PENDING
                    if status is VacancyStatus.PENDING_APPROVAL
                    else ApprovalStatus.APPROVED
                )
            ),
        )
        self._save(vacancy)
        return vacancy


@pytest.fixture
def make(session: Session, password_hash: str) -> Factory:
    return Factory(session, password_hash)


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

    from tests.portal.test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    """A fresh browser context with axe-core, failing the test on console errors and 5xx."""
    from tests.portal.test_browser import AXE_JS

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


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread (browser tests); yields the base URL."""
    import socket
    import threading

    from werkzeug.serving import make_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        engine = app.extensions.get("jobbro_engine")
        if engine is not None:
            engine.dispose()


def browser_test_settings(tmp: Path, name: str, redis_url: str) -> Settings:
    """Settings of a browser test's own portal: a SQLite file, a real Redis, the test encoder."""
    return Settings.from_env(
        {
            "JOBBRO_ENV": "test",
            "JOBBRO_ENCODER": "fake",
            "JOBBRO_DATA_DIR": str(tmp),
            "JOBBRO_DATABASE_URL": f"sqlite:///{tmp / f'{name}.sqlite3'}",
            "JOBBRO_REDIS_URL": redis_url,
            "JOBBRO_SECRET_KEY": f"{name}-browser-test-secret-key-0123456789abcdef",
        }
    )


@dataclass
class BrowserPortal:
    """A browser test's running portal: its address, settings, database and Redis."""

    base: str
    settings: Settings
    engine: Engine
    redis_url: str
    seeded: object = None  # what the seed function returned

    def run_worker(self, *queues: str) -> None:
        """What `jobbro serve`'s worker does: run the queued jobs until the queues are empty."""
        import redis

        from workers.queues import QueueName
        from workers.worker import run_worker

        connection = redis.Redis.from_url(self.redis_url)
        run_worker(self.settings, connection, [QueueName(q) for q in queues] or None, burst=True)


@contextmanager
def seeded_portal(
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    name: str,
    seed: Callable[[Session], object],
) -> Iterator[BrowserPortal]:
    """A fresh schema in its own SQLite file, seeded by ``seed``, served for a browser, with
    an empty Redis before and after."""
    import redis

    from matching.db import make_engine
    from matching.migrate import reset_schema_for_tests
    from tests.portal.test_browser import _ensure_assets, _ensure_chromium

    _ensure_chromium()
    _ensure_assets()
    settings = browser_test_settings(tmp_path_factory.mktemp(name), name, redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    engine = make_engine(settings)
    reset_schema_for_tests(engine)
    with Session(engine) as session:
        seeded = seed(session)
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield BrowserPortal(base, settings, engine, redis_url, seeded)
    finally:
        engine.dispose()
        redis.Redis.from_url(redis_url).flushdb()
