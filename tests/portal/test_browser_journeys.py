"""The main journeys end to end in a real browser, with a real Redis and a real worker.

An employer signs up (from the link mailed to its e-mail, read in the outbox), posts a vacancy
(choosing an occupation from the live suggestions) and publishes it; the save queues the match
job in Redis and an RQ worker computes the list (the hash-based test encoder stands in for the
model, everything else is the production path); a jobcentre counsellor opens the list and
refers the top candidate; the employer sees the referral and marks the person hired. Then a
company place goes through the jobcentre's approval queue, and a colleague is invited and a
password reset through the mail outbox. Every page is checked with axe-core and saved as a
screenshot in var/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.db import make_engine
from matching.core.settings import Settings
from matching.demo.seed import seed_demo
from matching.models import (
    ApprovalStatus,
    Match,
    Referral,
    ReferralState,
    Vacancy,
    VacancyStatus,
)
from matching.ranking.taxonomy.importer import install_builtin_taxonomy
from portal.app import create_app
from tests.support.browser import (
    browser_test_settings,
    check,
    ensure_assets,
    ensure_chromium,
    log_in,
    log_out,
    serving,
)

pytestmark = pytest.mark.browser

COUNSELLOR = "raadgiver@jobcenter-odense.demo"
APPROVER = "godkender@jobcenter-odense.demo"
NEW_EMPLOYER = "ejer@fyns-smedie.dk"
NEW_PASSWORD = "smedien-er-aaben-2026"
COLLEAGUE = "kollega@fyns-smedie.dk"


class Portal:
    def __init__(self, base: str, settings: Settings, engine, redis_url: str) -> None:  # noqa: ANN001
        self.base = base
        self.settings = settings
        self.engine = engine
        self.redis_url = redis_url

    def run_worker(self) -> None:
        """What `jobbro serve`'s worker does: run the queued jobs until the queue is empty."""
        import redis

        from workers.worker import run_worker

        connection = redis.Redis.from_url(self.redis_url)
        run_worker(self.settings, connection, burst=True)

    def deliver_mail(self) -> None:
        """What the scheduler's minutely `deliver_notifications` does: send queued e-mails."""
        from matching.core.mail import sender_from_settings
        from matching.core.notifications import deliver_pending

        with Session(self.engine) as session:
            deliver_pending(session, sender_from_settings(self.settings))


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Portal]:
    import redis

    from workers import jobs, runtime

    ensure_chromium()
    ensure_assets()
    tmp = tmp_path_factory.mktemp("journeys")
    settings = browser_test_settings(tmp, "journeys", redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    engine = make_engine(settings)
    from matching.core.migrate import reset_schema_for_tests

    reset_schema_for_tests(engine)
    with Session(engine) as session:
        install_builtin_taxonomy(session)
        seed_demo(session, settings, size=300)
        session.commit()
    # The start-up backfill of `jobbro serve`: every CV is encoded before lists are computed.
    runtime.init(settings, engine)
    jobs.encode_all("jobseeker")
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield Portal(base, settings, engine, redis_url)
    finally:
        engine.dispose()
        redis.Redis.from_url(redis_url).flushdb()


def fill_dates(page, start_days: int = 30, deadline_days: int = 14) -> None:  # noqa: ANN001
    today = today_dk()
    # Date inputs take ISO dates from scripts; people see the browser's date picker.
    page.get_by_label("Tiltrædelse").fill((today + timedelta(days=start_days)).isoformat())
    page.get_by_label("Ansøgningsfrist (valgfri)").fill(
        (today + timedelta(days=deadline_days)).isoformat()
    )


def test_employer_posts_counsellor_refers_employer_hires(portal: Portal, page) -> None:  # noqa: ANN001
    base = portal.base

    # 1. A new company signs up: the e-mail first, then the form from the link mailed to it
    # (a wrong CVR first: the error is shown, nothing typed is lost).
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Opret virksomhed").click()
    page.wait_for_load_state()
    check(page, "j01-signup")
    page.get_by_label("Din e-mail").fill(NEW_EMPLOYER)
    page.get_by_role("button", name="Send link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Tjek din e-mail").is_visible()
    check(page, "j01b-signup-mail-sent")
    portal.deliver_mail()
    page.goto(f"{base}/udbakke")
    page.get_by_role("link", name="Bekræft din e-mail og opret virksomheden i Jobbro").click()
    page.wait_for_load_state()
    link = re.search(r"http://\S+/opret-virksomhed/\S+", page.content()).group(0)
    page.goto(link.replace(portal.settings.base_url, base))
    check(page, "j01c-signup-company")
    page.get_by_label("Virksomhedens navn").fill("Fyns Smedie ApS")
    page.get_by_label("CVR-nummer").fill("1234567")
    page.get_by_label("P-numre").fill("1012345678")
    page.get_by_label("Adresse").fill("Havnegade 4")
    page.get_by_label("Postnummer").fill("5000")
    page.get_by_label("Dit navn").fill("Søren Smed")
    page.get_by_label("Adgangskode", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Gentag adgangskoden").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Opret virksomhed").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Virksomhedens navn").input_value() == "Fyns Smedie ApS"
    check(page, "j02-signup-error")
    page.get_by_label("CVR-nummer").fill("12345678")
    page.get_by_label("Adgangskode", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Gentag adgangskoden").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Opret virksomhed").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_text("Fyns Smedie ApS").first.is_visible()

    # 2. The employer posts a vacancy: the title brings live occupation suggestions.
    page.goto(f"{base}/stillinger/")
    page.get_by_role("link", name="Opret stilling").click()
    page.wait_for_load_state()
    check(page, "j03-choose-kind")
    page.get_by_label("Ordinært job").check()
    page.get_by_role("button", name="Fortsæt").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Gem som kladde").click()  # empty: every error at once
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    check(page, "j04-vacancy-errors")
    page.get_by_label("Titel").fill("Lagermedarbejder")
    suggestion = page.get_by_label(re.compile(r"\(ISCO 9333\)")).first
    suggestion.wait_for(timeout=10_000)  # fetched while typing, no page load
    check(page, "j05-vacancy-suggestions")
    suggestion.check()
    page.get_by_label("Beskrivelse").fill(
        "Vi søger en lagermedarbejder til plukning, pakning og varemodtagelse på vores lager i "
        "Odense. Truckcertifikat er en fordel."
    )
    page.get_by_label("Krav til kandidaten (valgfri)").fill("Truckcertifikat\nMødestabil")
    page.get_by_label("Postnummer").fill("5000")
    fill_dates(page)
    page.get_by_role("button", name="Gem og offentliggør").click()
    page.wait_for_load_state()
    heading = page.get_by_role("heading", level=1)
    assert "Lagermedarbejder" in heading.inner_text()
    check(page, "j06-vacancy-published")
    with Session(portal.engine) as session:
        vacancy = session.scalar(
            select(Vacancy).where(Vacancy.title == "Lagermedarbejder").order_by(Vacancy.id.desc())
        )
        assert vacancy is not None and vacancy.isco_code == "9333"
        vacancy_id = vacancy.id
    with Session(portal.engine) as session:
        assert session.get(Vacancy, vacancy_id).status is VacancyStatus.OPEN
    log_out(page)

    # 3. The jobcentre confirms the new company (CVR checked); until then counsellors see nothing.
    log_in(page, base, APPROVER)
    page.goto(f"{base}/godkendelser")
    page.get_by_role("link", name=re.compile("virksomhed")).first.click()
    page.wait_for_load_state()
    check(page, "j06b-confirm-employers")
    card = page.locator("li.jb-candidate", has_text="Fyns Smedie ApS")
    card.get_by_label("Bekræft virksomheden").check()
    card.get_by_role("button", name="Gem afgørelse").click()
    page.wait_for_load_state()
    assert page.get_by_text("Fyns Smedie ApS er bekræftet.").is_visible()
    log_out(page)

    # 4. The worker computes the list the confirmation asked for (job id match-vacancy-<id>).
    portal.run_worker()
    with Session(portal.engine) as session:
        listed = session.scalars(
            select(Match).where(Match.vacancy_id == vacancy_id, Match.rank.is_not(None))
        ).all()
    assert listed, "the match job stored no list"

    # 5. The counsellor opens the list and refers the top candidate of the jobcentre.
    log_in(page, base, COUNSELLOR)
    page.goto(f"{base}/stillinger/{vacancy_id}/kandidater")
    check(page, "j07-candidates")
    first = page.locator("li.jb-candidate").first
    name = first.locator(".jb-candidate-name").inner_text()
    first.locator("summary").click()
    first.get_by_label("Besked med henvisningen (valgfri)").fill("Har truckcertifikat.")
    first.get_by_role("button", name="Henvis til stillingen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Henvisningen er sendt.").is_visible()
    check(page, "j08-referred")
    log_out(page)

    # 6. The employer sees the referral (anonymous without consent) and marks the person hired.
    log_in(page, base, NEW_EMPLOYER, NEW_PASSWORD)
    page.goto(f"{base}/stillinger/{vacancy_id}")
    page.get_by_role("link", name=re.compile("Henviste kandidater")).click()
    page.wait_for_load_state()
    card = page.locator("li.jb-candidate").first
    heading_text = card.locator("h2").inner_text()
    with Session(portal.engine) as session:
        referral = session.scalar(select(Referral).where(Referral.vacancy_id == vacancy_id))
        person = referral.jobseeker
        expected = (
            person.display_name
            if person.consent_share_with_employers
            else f"Kandidat {person.pseudonym}"
        )
    assert heading_text == expected and name.split(".", 1)[-1].strip().startswith(person.first_name)
    check(page, "j09-employer-referrals")
    card.get_by_label("Ansat").check()
    card.get_by_role("button", name="Gem status").click()
    page.wait_for_load_state()
    assert page.get_by_text("Status er gemt.").is_visible()
    check(page, "j10-hired")
    with Session(portal.engine) as session:
        assert session.get(Referral, referral.id).state is ReferralState.HIRED


def test_company_place_goes_through_the_approval_queue(portal: Portal, page) -> None:  # noqa: ANN001
    base = portal.base
    log_in(page, base, "arbejdsgiver@fynsk-lager-logistik.demo")
    page.goto(f"{base}/stillinger/ny")
    page.get_by_label("Virksomhedspraktik").check()
    page.get_by_role("button", name="Fortsæt").click()
    page.wait_for_load_state()
    page.get_by_label("Titel").fill("Praktik på lageret")
    page.get_by_label("Beskrivelse").fill("Praktik med plukning og pakning.")
    page.get_by_label("Postnummer").fill("5000")
    fill_dates(page)
    page.get_by_label("Ordinært ansatte på arbejdsstedet").fill("40")
    page.get_by_label("Personer i virksomhedsrettede tilbud nu").fill("2")
    page.get_by_label("Ja").check()
    page.get_by_label("Varighed i uger").fill("14")  # more than the rules allow
    page.get_by_label("Formål med pladsen").fill("Afklaring af lagerarbejde som jobmål.")
    page.get_by_role("button", name="Gem og send til godkendelse").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Formål med pladsen").input_value().startswith("Afklaring")
    check(page, "j11-place-duration-error")
    page.get_by_label("Varighed i uger").fill("4")
    page.get_by_role("button", name="Gem og send til godkendelse").click()
    page.wait_for_load_state()
    check(page, "j12-place-submitted")
    with Session(portal.engine) as session:
        place = session.scalar(select(Vacancy).where(Vacancy.title == "Praktik på lageret"))
        assert place.status is VacancyStatus.PENDING_APPROVAL
        place_id = place.id
    log_out(page)

    log_in(page, base, APPROVER)
    page.get_by_role("link", name="Godkendelser").click()
    page.wait_for_load_state()
    check(page, "j13-approval-queue")
    page.get_by_role("link", name="Praktik på lageret").click()
    page.wait_for_load_state()
    check(page, "j14-approval-detail")
    page.get_by_label("Godkend").check()
    page.get_by_role("button", name="Gem afgørelse").click()
    page.wait_for_load_state()
    with Session(portal.engine) as session:
        place = session.get(Vacancy, place_id)
        assert place.status is VacancyStatus.OPEN
        assert place.approval_status is ApprovalStatus.APPROVED
    check(page, "j15-approved")


def test_colleague_invitation_and_password_reset_through_the_outbox(portal: Portal, page) -> None:  # noqa: ANN001
    base = portal.base
    log_in(page, base, "arbejdsgiver@fynsk-lager-logistik.demo", role="Administrator")
    page.get_by_role("link", name="Brugere", exact=True).click()
    page.wait_for_load_state()
    check(page, "j16-members")
    page.get_by_label("E-mail").fill(COLLEAGUE)
    page.get_by_label("Navn").fill("Karin Kollega")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_load_state()
    check(page, "j17-invited")
    log_out(page)

    page.goto(f"{base}/udbakke")
    check(page, "j18-outbox")
    page.get_by_role("link", name=re.compile("^Invitation til Jobbro")).first.click()
    page.wait_for_load_state()
    link = re.search(r"http://\S+/invitation/\S+", page.content()).group(0)
    page.goto(link.replace(portal.settings.base_url, base))
    check(page, "j19-accept-invitation")
    page.get_by_label("Adgangskode", exact=True).fill("kollegaens-kodeord-1")
    page.get_by_label("Gentag adgangskoden").fill("kollegaens-kodeord-1")
    page.get_by_role("button", name="Gem og log ind").click()
    page.wait_for_url(f"{base}/")
    log_out(page)

    # Forgot password: the same answer for everyone, the mail in the outbox, a new password.
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Glemt adgangskode?").click()
    page.wait_for_load_state()
    check(page, "j20-forgot")
    page.get_by_label("E-mail").fill(COLLEAGUE)
    page.get_by_role("button", name="Send link").click()
    page.wait_for_load_state()
    portal.deliver_mail()
    page.goto(f"{base}/udbakke")
    page.get_by_role("link", name="Nulstil din adgangskode til Jobbro").first.click()
    page.wait_for_load_state()
    link = re.search(r"http://\S+/nulstil-adgangskode/\S+", page.content()).group(0)
    page.goto(link.replace(portal.settings.base_url, base))
    check(page, "j21-reset")
    page.get_by_label("Ny adgangskode").fill("helt-nyt-kodeord-2026")
    page.get_by_label("Gentag adgangskoden").fill("helt-nyt-kodeord-2026")
    page.get_by_role("button", name="Gem adgangskode").click()
    page.wait_for_url(re.compile(r".*/login.*"))
    log_in(page, base, COLLEAGUE, "helt-nyt-kodeord-2026")
    assert page.get_by_role("heading", name="Velkommen, Karin Kollega").is_visible()
