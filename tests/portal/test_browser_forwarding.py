"""Forwarding end to end in a real browser, with a real Redis and a real worker.

An a-kasse owns a vacancy its own members cannot fill; the scheduler's job (queued in Redis, run
by an RQ worker) forwards it to the jobcentre of the employer's municipality. A jobcentre
counsellor finds it in the inbox, accepts it, opens the candidate list and refers a candidate.
Then the a-kasse follows the timeline and forwards by hand, and its administrator edits the
forwarding rules. Every page is checked with axe-core and saved in var/screenshots/.
"""

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
    CV,
    CVExperience,
    CVSkill,
    Forwarding,
    ForwardingRule,
    ForwardingState,
    Jobseeker,
    Match,
    MatchRun,
    Membership,
    Organisation,
    OrgKind,
    Referral,
    ResponsibilityPeriod,
    Role,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from tests.support.browser import BrowserPortal, check, log_in, log_out, seeded_portal

pytestmark = pytest.mark.browser

PASSWORD = "videregivelse-i-browseren"
JOBCENTRE_COUNSELLOR = "jonas@jobcenter-odense.dk"
AKASSE_COUNSELLOR = "rikke@akasse-fyn.dk"
AKASSE_ADMIN = "ada@akasse-fyn.dk"
TITLE = "Lagermedarbejder til nathold"


def _seed(session: Session) -> int:
    """Jobcenter Odense, two a-kasser, an Odense employer and a vacancy A-kasse Fyn owns, whose
    stored list holds three of the jobcentre's people and one of the a-kasse's (below the bar)."""
    today = today_dk()
    password = hash_password(PASSWORD)
    jobcentre = Organisation(
        kind=OrgKind.JOBCENTRE, name="Jobcenter Odense", municipality_code=461,
        email="jobcenter@odense.dk",
    )  # fmt: skip
    akasse = Organisation(kind=OrgKind.A_KASSE, name="A-kasse Fyn", email="fyn@akasse.dk")
    other = Organisation(kind=OrgKind.A_KASSE, name="A-kasse Syd", email="syd@akasse.dk")
    employer = Organisation(
        kind=OrgKind.EMPLOYER, name="Fynsk Lager ApS", municipality_code=461, email="job@lager.dk"
    )
    users = [
        (JOBCENTRE_COUNSELLOR, "Jonas Jobcenter", jobcentre, Role.COUNSELLOR),
        (AKASSE_COUNSELLOR, "Rikke Rådgiver", akasse, Role.COUNSELLOR),
        (AKASSE_ADMIN, "Ada Administrator", akasse, Role.ADMIN),
    ]
    for email, name, org, role in users:
        user = User(email=email, name=name, password_hash=password)
        user.memberships = [Membership(organisation=org, role=role)]
        session.add(user)
    session.add_all([jobcentre, akasse, other, employer])
    session.flush()
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY, status=VacancyStatus.OPEN, employer=employer, owner=akasse,
        title=TITLE, description="Pluk og pak om natten på vores lager i Odense.",
        postal_code="5000", published_at=utcnow() - timedelta(days=3),
        contact_email="hr@lager.dk",
    )  # fmt: skip
    session.add(vacancy)
    listed = [
        ("Mette", "Hansen", jobcentre, 0.82),
        ("Said", "Ali", jobcentre, 0.74),
        ("Bo", "Lund", jobcentre, 0.66),
        ("Eva", "Holm", akasse, 0.41),
    ]
    for rank, (first, last, responsible, score) in enumerate(listed, start=1):
        person = Jobseeker(
            pseudonym=f"FWD-{rank:04d}", first_name=first, last_name=last,
            birth_date=today - timedelta(days=365 * 35), postal_code="5000",
            unemployment_start=today - timedelta(days=40),
        )  # fmt: skip
        person.responsibilities = [
            ResponsibilityPeriod(
                organisation=responsible, valid_from=today - timedelta(days=40), reason="test"
            )
        ]
        person.cv = CV(
            headline="Lagermedarbejder med truckcertifikat",
            experiences=[
                CVExperience(position=0, title="Lagermedarbejder", start_year=2018, end_year=2025)
            ],
            skills=[CVSkill(position=0, name="Truckcertifikat")],
        )
        session.add(person)
        session.flush()
        session.add(
            Match(
                vacancy_id=vacancy.id, jobseeker_id=person.id, score=score, rank=rank,
                explanation=["Samme faggruppe (ISCO 9333)", "Overlap: truckcertifikat"],
                distance_km=float(rank * 3), model_version="test", rules_version="test",
            )
        )  # fmt: skip
    session.add(
        MatchRun(
            subject_kind="vacancy", subject_id=vacancy.id, model_version="test",
            rules_version="test", considered=30, listed=len(listed),
        )
    )  # fmt: skip
    session.commit()
    return vacancy.id


class Portal(BrowserPortal):
    def run_scheduled_forwarding(self) -> None:
        """What the scheduler and a worker do every 15 minutes: queue the job, run it."""
        import redis

        from workers.queues import Job, QueueName, enqueue

        connection = redis.Redis.from_url(self.redis_url)
        enqueue(connection, Job.EVALUATE_FORWARDING)
        self.run_worker(QueueName.FORWARD)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Portal]:
    with seeded_portal(tmp_path_factory, redis_url, "forwarding", _seed) as running:
        yield Portal(running.base, running.settings, running.engine, running.redis_url)


def sign_in(page, base: str, email: str) -> None:  # noqa: ANN001
    log_in(page, base, email, PASSWORD)


def test_jobcentre_receives_accepts_and_refers_from_a_forwarded_vacancy(
    portal: Portal,
    page,  # noqa: ANN001
) -> None:
    base = portal.base

    # 1. The scheduler's job runs in a worker: A-kasse Fyn has no one above its bar (0 < 5).
    portal.run_scheduled_forwarding()
    with Session(portal.engine) as session:
        made = session.scalars(select(Forwarding)).one()
        assert made.rule is ForwardingRule.POOL_TOO_SMALL and made.state is ForwardingState.OPEN
        assert made.to_organisation.name == "Jobcenter Odense"
        vacancy_id = made.vacancy_id
    portal.run_scheduled_forwarding()  # the next run changes nothing
    with Session(portal.engine) as session:
        assert len(session.scalars(select(Forwarding)).all()) == 1

    # 2. The jobcentre counsellor finds it in the inbox, with why it came and their candidates.
    sign_in(page, base, JOBCENTRE_COUNSELLOR)
    assert page.get_by_text("1 videregivet stilling venter på jeres svar").is_visible()
    check(page, "f01-home-counsellor")
    page.get_by_role("link", name="Indbakke").click()
    page.wait_for_url(f"{base}/videregivne")
    item = page.locator("li.jb-candidate").first
    assert item.get_by_role("link", name=TITLE, exact=True).is_visible()
    why = re.compile("For få egne kandidater: Ingen egne kandidater")
    assert item.get_by_text(why).is_visible()
    assert item.get_by_text("3 på kandidatlisten").is_visible()
    check(page, "f02-inbox")

    # A return without a reason is refused, and says so.
    item.locator("summary").click()
    item.get_by_role("button", name="Send retur").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()
    assert page.get_by_text("Skriv en begrundelse.").first.is_visible()
    check(page, "f03-inbox-return-error")

    # 3. Accept; the candidate list opens from the inbox.
    item = page.locator("li.jb-candidate").first
    item.get_by_role("button", name=re.compile("^Acceptér")).click()
    page.wait_for_load_state()
    assert page.get_by_text(f"Du har accepteret »{TITLE}«.", exact=False).is_visible()
    check(page, "f04-accepted")
    page.get_by_role("link", name=re.compile("^Se jeres kandidater")).first.click()
    page.wait_for_url(f"{base}/stillinger/{vacancy_id}/kandidater")
    assert page.get_by_role("link", name="Mette Hansen").is_visible()
    assert page.get_by_text("Eva Holm").count() == 0  # A-kasse Fyn's member stays hidden
    check(page, "f05-candidates")

    # 4. Refer the top candidate as usual.
    first = page.locator("li.jb-candidate").first
    first.locator("summary").click()
    first.get_by_label("Besked med henvisningen (valgfri)").fill("Har truckcertifikat.")
    first.get_by_role("button", name="Henvis til stillingen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Henvisningen er sendt.").is_visible()
    check(page, "f06-referred")
    with Session(portal.engine) as session:
        referral = session.scalars(select(Referral)).one()
        assert referral.vacancy_id == vacancy_id
        assert referral.organisation.name == "Jobcenter Odense"
        assert referral.jobseeker.last_name == "Hansen"
        assert session.get(Forwarding, made.id).state is ForwardingState.ACCEPTED

    # The vacancy page shows the receiver its forwarding's timeline.
    page.goto(f"{base}/stillinger/{vacancy_id}")
    assert page.get_by_text("Jobcenter Odense har accepteret stillingen.").is_visible()
    check(page, "f07-vacancy-receiver")
    log_out(page)


def test_the_owner_follows_and_forwards_by_hand_and_the_admin_sets_the_rules(
    portal: Portal,
    page,  # noqa: ANN001
) -> None:
    base = portal.base
    portal.run_scheduled_forwarding()
    with Session(portal.engine) as session:
        vacancy_id = session.scalar(select(Vacancy.id).where(Vacancy.title == TITLE))

    sign_in(page, base, AKASSE_COUNSELLOR)
    page.goto(f"{base}/stillinger/{vacancy_id}")
    assert page.get_by_text(re.compile("Videregivet til Jobcenter Odense")).is_visible()
    check(page, "f08-vacancy-owner")
    page.get_by_role("button", name="Videregiv").click()  # nothing chosen, no reason
    page.wait_for_load_state()
    assert page.get_by_text("Skriv hvorfor stillingen videregives.").first.is_visible()
    check(page, "f09-forward-error")
    page.get_by_label("Videregiv til").select_option(label="A-kasse Syd")
    page.get_by_label("Begrundelse").fill("Fælles rekruttering af lagerfolk med Syd.")
    page.get_by_role("button", name="Videregiv").click()
    page.wait_for_load_state()
    assert page.get_by_text("Stillingen er videregivet til A-kasse Syd.").is_visible()
    check(page, "f10-forwarded-by-hand")
    log_out(page)

    sign_in(page, base, AKASSE_ADMIN)
    page.get_by_role("link", name="Ret reglerne for videregivelse").click()
    page.wait_for_load_state()
    check(page, "f11-policy")
    page.get_by_label("Mindste antal egne kandidater").fill("mange")
    page.get_by_role("button", name="Gem regler").click()
    page.wait_for_load_state()
    assert page.get_by_label("Mindste antal egne kandidater").input_value() == "mange"
    assert page.get_by_role("link", name="Skriv et helt tal mellem 0 og 1.000.").is_visible()
    check(page, "f12-policy-error")
    page.get_by_label("Mindste antal egne kandidater").fill("3")
    page.get_by_role("button", name="Gem regler").click()
    page.wait_for_load_state()
    assert page.get_by_text("Reglerne for videregivelse er gemt.").is_visible()
    check(page, "f13-policy-saved")
