"""The portal in a real browser: log in as a counsellor, open the caseload and a jobseeker,
check accessibility with axe-core, and save screenshots to var/screenshots/.

Uses Debian's Chromium (no browser download) and Playwright. Assets come from
portal/assets (`bash portal/assets/build.sh`), built here if missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.db import make_engine
from matching.core.security import hash_password
from matching.core.settings import Settings
from matching.models import (
    CV,
    CVDesiredOccupation,
    CVDrivingLicence,
    CVEducation,
    CVExperience,
    CVLanguage,
    CVSkill,
    Jobseeker,
    Match,
    MatchRun,
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
from portal.app import create_app
from tests.support.browser import (
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_check,
    ensure_assets,
    ensure_chromium,
    screenshot,
    serving,
)

pytestmark = pytest.mark.browser

EMAIL = "rikke@akasse-fyn.dk"
PASSWORD = "browser-test-adgangskode"


def _seed(session: Session) -> int:
    """A counsellor at an a-kasse with 60 jobseekers (two pages), one with a full CV."""
    today = today_dk()
    akasse = Organisation(kind=OrgKind.A_KASSE, name="A-kasse Fyn")
    employer = Organisation(kind=OrgKind.EMPLOYER, name="Fynsk Logistik A/S")
    user = User(email=EMAIL, name="Rikke Rådgiver", password_hash=hash_password(PASSWORD))
    user.memberships = [Membership(organisation=akasse, role=Role.COUNSELLOR)]
    session.add_all([akasse, employer, user])
    session.flush()
    first_names = ["Anna", "Bo", "Camilla", "Dennis", "Emma", "Frederik", "Gitte", "Hassan"]
    groups = [TargetGroup.DAGPENGE, TargetGroup.KONTANTHJAELP_JOBPARAT, TargetGroup.INTEGRATION]
    people = []
    for i in range(60):
        person = Jobseeker(
            pseudonym=f"FYN-{i:04d}",
            first_name=first_names[i % len(first_names)],
            last_name=f"Nielsen{i}",
            birth_date=date(1980 + i % 20, 1 + i % 12, 1 + i % 28),
            postal_code=str(5000 + (i % 10) * 10),
            unemployment_start=today - timedelta(days=10 + i),
        )
        person.responsibilities = [
            ResponsibilityPeriod(
                organisation=akasse, valid_from=today - timedelta(days=60), reason="a-kasse"
            )
        ]
        person.target_groups = [
            TargetGroupPeriod(target_group=groups[i % 3], valid_from=today - timedelta(days=60))
        ]
        people.append(person)
    people[-1].cv = CV(
        headline="Lagermedarbejder med truckcertifikat",
        summary="Otte års erfaring fra lager og logistik. Vil gerne prøve kræfter med transport.",
        experiences=[
            CVExperience(
                position=0,
                title="Lagermedarbejder",
                employer_name="Fynsk Logistik A/S",
                start_year=2016,
                end_year=2024,
                description="Plukning, pakning og varemodtagelse.",
            ),
            CVExperience(position=1, title="Pakkeribud", start_year=2013, end_year=2016),
        ],
        educations=[
            CVEducation(
                position=0,
                title="Lager- og terminaluddannelsen",
                institution="SOSU Fyn",
                completed_year=2015,
            )
        ],
        skills=[CVSkill(position=0, name="Truckkørsel"), CVSkill(position=1, name="WMS")],
        languages=[
            CVLanguage(language="Dansk", level="Modersmål"),
            CVLanguage(language="Engelsk", level="Godt"),
        ],
        driving_licences=[CVDrivingLicence(category="B"), CVDrivingLicence(category="C")],
        desired_occupations=[CVDesiredOccupation(position=0, title="Lastbilchauffør")],
    )
    session.add_all(people)
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY,
        status=VacancyStatus.OPEN,
        employer=employer,
        title="Chauffør til distributionskørsel",
        description="Kørsel på Fyn.",
        postal_code="5220",
    )
    session.add(vacancy)
    session.flush()
    # The candidate list as the worker stores it (computing it needs the model: not here).
    for rank, person in enumerate(reversed(people[-3:]), start=1):
        session.add(
            Match(
                vacancy_id=vacancy.id,
                jobseeker_id=person.id,
                score=0.8 - rank / 20,
                rank=rank,
                components={"signals": {"semantic": 0.7}},
                explanation=[
                    "Jobmål: Lastbilchauffør" if rank == 1 else "Samme hovedområde (ISCO 83)",
                    f"{rank * 4} km fra bopæl",
                    "Brancheskift: fra transport og lager til handel"
                    if rank == 2
                    else "Overlap: Truckkørsel",
                    "Mangler måske: kørekort C/CE",
                ],
                cross_industry=rank == 2,
                distance_km=rank * 4.0,
                model_version="test",
                rules_version="test",
            )
        )
    session.add(
        MatchRun(
            subject_kind="vacancy", subject_id=vacancy.id, model_version="test",
            rules_version="test", considered=40, listed=3, excluded={"distance": 37},
        )
    )  # fmt: skip
    session.commit()
    return people[-1].id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    ensure_chromium()
    ensure_assets()
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings.from_env(
        {
            "JOBBRO_ENV": "test",
            "JOBBRO_DATA_DIR": str(tmp),
            "JOBBRO_DATABASE_URL": f"sqlite:///{tmp / 'browser.sqlite3'}",
            "JOBBRO_SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
        }
    )
    engine = make_engine(settings)
    from matching.core.migrate import reset_schema_for_tests

    reset_schema_for_tests(engine)  # Alembic migrations when present, else create_all
    with Session(engine) as session:
        detail_id = _seed(session)
    try:
        with serving(create_app(settings)) as base:
            yield base, detail_id
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: .venv/bin/pip install playwright")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def test_counsellor_journey_is_accessible(server, browser) -> None:
    base, detail_id = server
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    # axe-core is injected before any page script; an init script is not subject to the CSP,
    # so the pages keep their real policy (no inline scripts) during the test.
    context.add_init_script(path=str(AXE_JS))
    page = context.new_page()
    problems: list[str] = []
    # Failed loads are checked through the responses below (a failed login is a 400 on purpose).
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    failed_requests: list[str] = []
    page.on(
        "response",
        lambda r: (
            failed_requests.append(f"{r.status} {r.url}")
            if r.status == 404 or r.status >= 500
            else None
        ),
    )

    # Log in: first a wrong password (same message, e-mail kept), then the right one.
    page.goto(f"{base}/ledige/")
    assert page.url.startswith(f"{base}/login")
    axe_check(page, "login")
    screenshot(page, "01-login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Adgangskode").fill("forkert-adgangskode")
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()
    assert page.get_by_text("Forkert e-mail eller adgangskode.").is_visible()
    assert page.get_by_label("E-mail").input_value() == EMAIL
    axe_check(page, "login with error")
    screenshot(page, "02-login-error")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}/ledige/")

    # The caseload: two pages of 50 + 10.
    assert page.get_by_role("heading", name="Ledige", level=1).is_visible()
    assert page.get_by_text("Viser 1–50 af 60 ledige").is_visible()
    axe_check(page, "caseload")
    screenshot(page, "03-caseload")
    page.get_by_role("link", name="Næste side").click()
    page.wait_for_url("**/ledige/?side=2")
    assert page.get_by_text("Viser 51–60 af 60 ledige").is_visible()

    # Search by pseudonym and open the jobseeker with the full CV.
    page.get_by_label("Søg", exact=True).fill("FYN-0059")
    page.get_by_role("button", name="Søg").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Dennis Nielsen59").click()
    page.wait_for_url(f"{base}/ledige/{detail_id}")
    assert page.get_by_role("heading", name="Erhvervserfaring").is_visible()
    assert page.get_by_text("Lagermedarbejder med truckcertifikat").is_visible()
    axe_check(page, "jobseeker detail")
    screenshot(page, "04-jobseeker")

    # The open vacancy and its candidate list with the explanation chips.
    page.goto(f"{base}/stillinger/")
    page.get_by_role("link", name="Chauffør til distributionskørsel").click()
    page.get_by_role("link", name="Se kandidater").click()
    page.wait_for_url("**/kandidater")
    assert page.get_by_text("Jobmål: Lastbilchauffør").is_visible()
    assert page.get_by_text("Brancheskift", exact=True).is_visible()
    axe_check(page, "candidate list")
    screenshot(page, "05-candidates")

    # Home dashboard and the keyboard: the skip link is the first tab stop.
    page.goto(f"{base}/")
    axe_check(page, "home")
    screenshot(page, "05b-home")
    page.keyboard.press("Tab")
    page.wait_for_timeout(400)  # dkfds slides the skip link in (0.2 s transition)
    assert page.evaluate("document.activeElement.textContent") == "Gå til sidens indhold"
    screenshot(page, "06-skiplink-focus")

    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(f"{base}/login")
    assert page.get_by_text("Du er nu logget ud.").is_visible()

    assert problems == [], f"browser console errors (CSP violations?): {problems}"
    assert failed_requests == [], f"failed requests: {failed_requests}"
    context.close()
