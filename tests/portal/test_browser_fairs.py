"""A job fair end to end in a real browser, with a real Redis and a real RQ worker.

The organiser creates a fair, invites an employer, who accepts and registers its vacancy; the
organiser builds the vacancy's shortlist from the stored match list, marks a person invited,
orders an XLSX export, which a worker runs from the export queue, and downloads it. The file is
opened with openpyxl: a person who consented is named, one who did not is shown by an
invitation code only. Every page is checked with axe-core and saved in var/screenshots/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.security import hash_password
from matching.models import (
    CV,
    AuditAction,
    AuditEntry,
    CVExperience,
    Export,
    ExportStatus,
    JobFair,
    Jobseeker,
    Match,
    MatchRun,
    Membership,
    Organisation,
    OrgKind,
    Role,
    ShortlistEntry,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from tests.support.browser import BrowserPortal, check, log_in, log_out, seeded_portal

pytestmark = pytest.mark.browser

PASSWORD = "jobmesse-i-browseren"
ORGANISER = "ole@messer-fyn.dk"
EMPLOYER = "hanne@fynsk-lager.dk"
TITLE = "Lagermedarbejder til dagholdet"
FAIR = "Jobmesse for lager og logistik"
# (first name, last name, consented to share with employers, score)
PEOPLE = [
    ("Mette", "Østergaard", True, 0.84),
    ("Said", "Ali", False, 0.77),
    ("Bo", "Lund", True, 0.71),
    ("Åse", "Holm", False, 0.66),
]


def _seed(session: Session) -> None:
    """A fair organiser, a confirmed Odense employer with an open vacancy, and four Odense
    people on the vacancy's stored match list (two consented to share with employers)."""
    today = today_dk()
    password = hash_password(PASSWORD)
    organiser = Organisation(
        kind=OrgKind.JOB_FAIR_ORGANISER, name="Messer på Fyn", email="info@messer-fyn.dk"
    )
    employer = Organisation(
        kind=OrgKind.EMPLOYER, name="Fynsk Lager ApS", cvr="31234567", municipality_code=461,
        email="job@fynsk-lager.dk",
    )  # fmt: skip
    for email, name, org, role in (
        (ORGANISER, "Ole Arrangør", organiser, Role.ORGANISER),
        (EMPLOYER, "Hanne Lagerchef", employer, Role.EMPLOYER),
    ):
        user = User(email=email, name=name, password_hash=password)
        user.memberships = [Membership(organisation=org, role=role)]
        session.add(user)
    session.add_all([organiser, employer])
    session.flush()
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY, status=VacancyStatus.OPEN, employer=employer, owner=employer,
        title=TITLE, description="Pluk, pak og truckkørsel på vores lager i Odense.",
        postal_code="5000", published_at=utcnow() - timedelta(days=2),
        contact_email="hr@fynsk-lager.dk",
    )  # fmt: skip
    session.add(vacancy)
    for rank, (first, last, consent, score) in enumerate(PEOPLE, start=1):
        person = Jobseeker(
            pseudonym=f"JM-{rank:04d}", first_name=first, last_name=last,
            birth_date=today - timedelta(days=365 * 30), postal_code="5000",
            municipality_code=461, unemployment_start=today - timedelta(days=60),
            email=f"{first.lower()}@eksempel.dk", consent_share_with_employers=consent,
        )  # fmt: skip
        person.cv = CV(
            headline="Lagermedarbejder med truckcertifikat",
            experiences=[CVExperience(position=0, title="Truckfører", start_year=2017)],
        )
        session.add(person)
        session.flush()
        session.add(
            Match(
                vacancy_id=vacancy.id, jobseeker_id=person.id, score=score, rank=rank,
                explanation=["Samme faggruppe (ISCO 9333)", "Overlap: truckcertifikat"],
                distance_km=2.0, model_version="test", rules_version="test",
            )
        )  # fmt: skip
    session.add(
        MatchRun(
            subject_kind="vacancy", subject_id=vacancy.id, model_version="test",
            rules_version="test", considered=40, listed=len(PEOPLE),
        )
    )  # fmt: skip
    session.commit()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[BrowserPortal]:
    with seeded_portal(tmp_path_factory, redis_url, "fairs", _seed) as running:
        yield running


def sign_in(page, base: str, email: str) -> None:  # noqa: ANN001
    log_in(page, base, email, PASSWORD)


def test_organiser_creates_a_fair_builds_a_shortlist_and_downloads_the_xlsx(
    portal: BrowserPortal,
    page,  # noqa: ANN001
) -> None:
    base = portal.base
    fair_day = today_dk() + timedelta(days=21)

    # 1. The organiser creates the fair; a date in the past is refused first, typed input kept.
    sign_in(page, base, ORGANISER)
    page.get_by_role("link", name="Jobmesser", exact=True).click()
    page.wait_for_url(f"{base}/jobmesser")
    check(page, "m01-fairs-empty")
    page.get_by_role("link", name="Opret jobmesse").first.click()
    page.get_by_label("Navn på messen").fill(FAIR)
    page.get_by_label("Dato").fill((today_dk() - timedelta(days=1)).isoformat())
    page.get_by_label("Sted").fill("Odense Congress Center, Ørbækvej 350")
    page.get_by_label("Kommuner (valgfri)").fill("Odense")
    page.get_by_role("button", name="Opret jobmesse").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()
    assert page.get_by_label("Navn på messen").input_value() == FAIR
    check(page, "m02-fair-form-error")
    page.get_by_label("Dato").fill(fair_day.isoformat())
    page.get_by_role("button", name="Opret jobmesse").click()
    page.wait_for_url(re.compile(rf"{base}/jobmesser/\d+$"))
    fair_url = page.url
    assert page.get_by_role("heading", name=FAIR, level=1).is_visible()
    check(page, "m03-fair-created")
    with Session(portal.engine) as session:
        fair = session.scalars(select(JobFair)).one()
        assert fair.held_on == fair_day and fair.municipality_codes == [461]

    # 2. It invites the employer, found by name.
    page.get_by_role("link", name="Invitér virksomheder", exact=True).click()
    page.get_by_label("Virksomhedens navn eller CVR-nummer").fill("fynsk")
    page.get_by_role("button", name="Søg").click()
    page.wait_for_load_state()
    check(page, "m04-invite-search")
    page.get_by_role("button", name="Invitér Fynsk Lager ApS").click()
    page.wait_for_load_state()
    check(page, "m05-invited")
    log_out(page)

    # 3. The employer accepts and registers its vacancy for the fair.
    sign_in(page, base, EMPLOYER)
    page.goto(fair_url)
    page.get_by_role("button", name="Ja, vi deltager").click()
    page.wait_for_load_state()
    with Session(portal.engine) as session:
        vacancy_id = session.scalar(select(Vacancy.id).where(Vacancy.title == TITLE))
    page.get_by_label("Stilling", exact=True).select_option(value=str(vacancy_id))
    page.get_by_role("button", name="Tilmeld stillingen").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=TITLE).first.is_visible()
    check(page, "m06-employer-registered")
    log_out(page)

    # 4. The organiser builds the shortlist and marks a person invited.
    sign_in(page, base, ORGANISER)
    page.goto(fair_url)
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(r".*/stillinger/\d+$"))
    page.get_by_role("button", name="Byg listen").click()
    page.wait_for_load_state()
    rows = page.locator("#liste tbody tr")
    assert rows.count() == len(PEOPLE)
    assert page.get_by_text("Mette Østergaard").first.is_visible()
    assert page.get_by_text("Said").count() == 0  # no consent: no name on the page
    check(page, "m07-shortlist")
    page.get_by_role("button", name=re.compile("^Markér som inviteret")).first.click()
    page.wait_for_load_state()
    check(page, "m08-shortlist-invited")
    with Session(portal.engine) as session:
        entries = session.scalars(select(ShortlistEntry).order_by(ShortlistEntry.rank)).all()
        assert [e.invited for e in entries] == [True, False, False, False]
        said = session.scalars(select(Jobseeker).where(Jobseeker.first_name == "Said")).one()
        said_code = next(e.invitation_code for e in entries if e.jobseeker_id == said.id)

    # 5. Export as XLSX: queued, run by the worker, downloaded.
    page.goto(fair_url)
    page.get_by_role("link", name="Eksporter").click()
    page.wait_for_load_state()
    page.get_by_label("Shortlister", exact=False).first.check()
    page.get_by_label(re.compile("^XLSX")).check()
    page.get_by_role("button", name="Bestil eksport").click()
    page.wait_for_url(re.compile(rf"{base}/eksporter/\d+$"))
    check(page, "m09-export-queued")
    portal.run_worker("export")
    page.get_by_role("link", name="Hent filen").wait_for(timeout=20_000)
    assert page.locator("#export-progress").get_attribute("value") == "100"
    check(page, "m10-export-done")
    with page.expect_download() as info:
        page.get_by_role("link", name="Hent filen").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    assert workbook.sheetnames == ["Fynsk Lager ApS"]
    cells = [
        [str(c) for c in row if c is not None]
        for row in workbook["Fynsk Lager ApS"].iter_rows(values_only=True)
    ]
    text = "\n".join(" ".join(row) for row in cells)
    assert "Mette" in text and "Østergaard" in text and "Bo" in text
    assert "Said" not in text and "Ali" not in text and "Åse" not in text
    assert said_code in text
    assert TITLE in text

    with Session(portal.engine) as session:
        export = session.scalars(select(Export)).one()
        assert export.status is ExportStatus.DONE and export.row_count == len(PEOPLE)
        audited = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.EXPORT, AuditEntry.object_type == "export"
            )
        ).all()
        assert audited, "the export is in the audit log"
