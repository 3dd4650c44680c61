"""Registering a person and recording a consent in a real browser: the register form refused
once (typed input kept), then accepted; the person's page; the consents page with a consent
given and withdrawn. Every page is checked with axe-core and saved in var/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.security import hash_password
from matching.models import (
    ConsentEvent,
    ExitReason,
    Jobseeker,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
)
from tests.support.browser import BrowserPortal, check, log_in, seeded_portal

pytestmark = pytest.mark.browser

PASSWORD = "ledige-i-browseren"
COUNSELLOR = "rikke@jobcenter-odense.dk"


def _seed(session: Session) -> None:
    jobcentre = Organisation(kind=OrgKind.JOBCENTRE, name="Jobcenter Odense", municipality_code=461)
    akasse = Organisation(kind=OrgKind.A_KASSE, name="A-kasse Fyn")
    user = User(email=COUNSELLOR, name="Rikke Rådgiver", password_hash=hash_password(PASSWORD))
    user.memberships = [Membership(organisation=jobcentre, role=Role.COUNSELLOR)]
    session.add_all([jobcentre, akasse, user])
    session.commit()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[BrowserPortal]:
    with seeded_portal(tmp_path_factory, redis_url, "people", _seed) as running:
        yield running


def test_counsellor_registers_a_person_and_records_a_consent(
    portal: BrowserPortal,
    page,  # noqa: ANN001
) -> None:
    base = portal.base
    start = (today_dk() - timedelta(days=14)).isoformat()
    log_in(page, base, COUNSELLOR, PASSWORD)
    page.goto(f"{base}/ledige/")
    page.get_by_role("link", name="Opret ledig").click()
    check(page, "people-register-empty")

    page.get_by_label("CPR-nummer").fill("170585-12")  # too short
    page.get_by_label("Fornavn").fill("Åse")
    page.get_by_label("Efternavn").fill("Ødegård")
    page.get_by_label("Postnummer").fill("5000")
    page.locator("#target_groups-0-target_group").select_option("kontanthjaelp_jobparat")
    page.locator("#target_groups-0-valid_from").fill(start)
    page.get_by_role("button", name="Opret ledig").click()
    assert page.locator("#error-summary").is_visible()
    assert page.get_by_label("Efternavn").input_value() == "Ødegård"
    check(page, "people-register-errors")

    page.get_by_label("CPR-nummer").fill("170585-1234")
    page.get_by_label("Ledig siden (valgfri)").fill(start)
    page.get_by_role("button", name="Opret ledig").click()
    page.wait_for_load_state()
    assert "Åse Ødegård er oprettet" in page.content()
    check(page, "people-person-page")

    page.get_by_role("link", name="Samtykker").click()
    page.get_by_label("Navn og kontaktoplysninger må deles med arbejdsgivere").check()
    page.locator("#given-0").check()  # ja
    page.get_by_label("Hvordan").select_option("paper")
    page.get_by_role("button", name="Registrér").click()
    page.wait_for_load_state()
    assert "er registreret som givet" in page.content()
    page.get_by_label("Navn og kontaktoplysninger må deles med arbejdsgivere").check()
    page.locator("#given-1").check()  # nej: withdraw
    page.get_by_role("button", name="Registrér").click()
    page.wait_for_load_state()
    assert "er registreret som trukket tilbage" in page.content()
    check(page, "people-consents")

    with Session(portal.engine) as session:
        person = session.scalar(select(Jobseeker).where(Jobseeker.last_name == "Ødegård"))
        assert person is not None and person.consent_share_with_employers is False
        events = session.scalars(
            select(ConsentEvent.given).where(ConsentEvent.jobseeker_id == person.id)
        ).all()
        assert events == [True, False]

    # Taken off the register: the person is then found under »Afmeldte« with the exit.
    page.get_by_role("link", name="Tilbage til Åse Ødegård").click()
    page.get_by_role("link", name="Afmeld", exact=True).click()
    page.get_by_label(ExitReason.JOB.label_da, exact=True).check()
    page.get_by_role("button", name="Afmeld personen").click()
    page.wait_for_load_state()
    assert "Åse Ødegård er afmeldt" in page.content()
    page.goto(f"{base}/ledige/afmeldte")
    row = page.get_by_role("row", name=re.compile("Åse Ødegård"))
    assert ExitReason.JOB.label_da in row.inner_text()
    check(page, "people-left-register")
    row.get_by_role("link", name="Åse Ødegård").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Indsigt")
