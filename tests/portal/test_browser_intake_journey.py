"""A new person from registration to a job fair's shortlist, in a real browser, with a real
Redis and the real RQ worker.

On the seeded demo portal, a counsellor of Jobcenter Odense registers a person, uploads the
person's CV as a DOCX document, corrects a field the parser read and accepts the draft, and
records the consent to share the name with employers. The worker (the hash-based test encoder
standing in for the model, everything else the production path) computes the person's list and
the lists of the vacancies the person now belongs on: the person is on the candidate list of a
vacancy of the demo job fair. The fair's organiser builds that vacancy's shortlist and sees the
name; the counsellor withdraws the consent, and the shortlist and a new export show only the
invitation code. Every page is checked with axe-core and saved in var/screenshots/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.db import make_engine
from matching.demo.seed import seed_demo
from matching.models import (
    CV,
    ConsentEvent,
    CVDraft,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    ShortlistEntry,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.ranking.taxonomy.importer import install_builtin_taxonomy
from portal.app import create_app
from tests.support.browser import (
    BrowserPortal,
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
ORGANISER = "arrangoer@jobmesse-fyn.demo"
FIRST_NAME = "Birgitte"
LAST_NAME = "Kjærsgaard"
FULL_NAME = f"{FIRST_NAME} {LAST_NAME}"
CPR = "140392-3817"
EMPLOYER_AS_PARSED = "Kildvang A/S"  # a typo in the document, corrected in the review
EMPLOYER_CORRECTED = "Kildevang A/S"
CONSENT = "Navn og kontaktoplysninger må deles med arbejdsgivere"


@dataclass(frozen=True)
class FairVacancy:
    """The demo fair and the vacancy on it the new person's CV is written around."""

    fair_id: int
    vacancy_id: int
    title: str
    description: str
    requirements: str


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[BrowserPortal]:
    import redis

    from matching.core.migrate import reset_schema_for_tests
    from workers import jobs, runtime

    ensure_chromium()
    ensure_assets()
    settings = browser_test_settings(tmp_path_factory.mktemp("intake"), "intake", redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    engine = make_engine(settings)
    reset_schema_for_tests(engine)
    with Session(engine) as session:
        install_builtin_taxonomy(session)
        seed_demo(session, settings, size=300)
        session.commit()
    # The start-up backfill of `jobbro serve`: every vacancy and CV is encoded.
    runtime.init(settings, engine)
    jobs.encode_all("vacancy")
    jobs.encode_all("jobseeker")
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield BrowserPortal(base, settings, engine, redis_url)
    finally:
        engine.dispose()
        redis.Redis.from_url(redis_url).flushdb()


def fair_vacancy(portal: BrowserPortal) -> FairVacancy:
    """The first open ordinary job on the demo fair (an Odense employer's)."""
    with Session(portal.engine) as session:
        fair = session.scalars(select(JobFair)).one()
        vacancy = session.scalars(
            select(Vacancy)
            .join(JobFairVacancy, JobFairVacancy.vacancy_id == Vacancy.id)
            .where(
                JobFairVacancy.job_fair_id == fair.id,
                Vacancy.kind == VacancyKind.ORDINARY,
                Vacancy.status == VacancyStatus.OPEN,
                Vacancy.isco_code.is_not(None),
            )
            .order_by(Vacancy.id)
        ).first()
        assert vacancy is not None, "the demo fair has no open ordinary job"
        return FairVacancy(
            fair.id, vacancy.id, vacancy.title, vacancy.description, vacancy.requirements or ""
        )


def cv_document(job: FairVacancy) -> bytes:
    """A DOCX CV written around the vacancy's occupation (its title as the person's latest
    job), with the usual Danish headings."""
    from docx import Document

    document = Document()
    document.add_paragraph(FULL_NAME)
    document.add_paragraph(f"Erfaren {job.title.lower()}")
    document.add_heading("Profil", level=1)
    document.add_paragraph(
        f"Jeg har arbejdet som {job.title.lower()} i syv år. Jeg er stabil, tager ansvar og "
        "arbejder godt både selvstændigt og i tæt samarbejde med mine kolleger."
    )
    document.add_heading("Erfaring", level=1)
    document.add_paragraph(f"2018 - 2025 {job.title}, {EMPLOYER_AS_PARSED}")
    document.add_paragraph("2014 - 2018 Butiksassistent, Netto Vollsmose")
    document.add_heading("Uddannelse", level=1)
    document.add_paragraph("2013 Erhvervsuddannelse, Syddansk Erhvervsskole")
    document.add_heading("Kompetencer", level=1)
    document.add_paragraph("Samarbejde på tværs af faggrupper")
    document.add_paragraph("Dokumentation")
    document.add_heading("Sprog", level=1)
    document.add_paragraph("Dansk: modersmål")
    document.add_paragraph("Engelsk: godt")
    document.add_heading("Kørekort", level=1)
    document.add_paragraph("B")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def shortlist_names(page) -> list[str]:  # noqa: ANN001
    """The row headers of the shortlist table: invitation code and name (or "Navn ikke delt")."""
    return [
        " ".join(t.split()) for t in page.locator("#liste tbody tr th[scope=row]").all_inner_texts()
    ]


def export_text(page, portal: BrowserPortal, fair_url: str) -> str:  # noqa: ANN001
    """Order the fair's shortlists as XLSX, let the worker run it, download it; its cells."""
    page.goto(fair_url)
    page.get_by_role("link", name="Eksporter").click()
    page.wait_for_url(f"{fair_url}/eksporter")
    page.get_by_label("Shortlister", exact=False).first.check()
    page.get_by_label(re.compile("^XLSX")).check()
    page.get_by_role("button", name="Bestil eksport").click()
    page.wait_for_url(re.compile(rf"{portal.base}/eksporter/\d+$"))
    portal.run_worker("export")
    page.get_by_role("link", name="Hent filen").wait_for(timeout=20_000)
    with page.expect_download() as info:
        page.get_by_role("link", name="Hent filen").click()
    workbook = load_workbook(io.BytesIO(info.value.path().read_bytes()), read_only=True)
    return "\n".join(
        " ".join(str(c) for c in row if c is not None)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def test_registered_person_with_an_uploaded_cv_reaches_a_fair_shortlist(
    portal: BrowserPortal,
    page,  # noqa: ANN001
    tmp_path,  # noqa: ANN001
) -> None:
    base = portal.base
    job = fair_vacancy(portal)
    start = (today_dk() - timedelta(days=20)).isoformat()

    # 1. The counsellor registers the person.
    log_in(page, base, COUNSELLOR)
    page.goto(f"{base}/ledige/ny")
    check(page, "intake-01-register")
    page.get_by_label("CPR-nummer").fill(CPR)
    page.get_by_label("Fornavn").fill(FIRST_NAME)
    page.get_by_label("Efternavn").fill(LAST_NAME)
    page.get_by_label("E-mail (valgfri)").fill("birgitte.k@eksempel.dk")
    page.get_by_label("Adresse (valgfri)").fill("Vesterbro 12, 2. th.")
    page.get_by_label("Postnummer").fill("5000")
    page.get_by_label("Ledig siden (valgfri)").fill(start)
    page.locator("#target_groups-0-target_group").select_option("kontanthjaelp_jobparat")
    page.locator("#target_groups-0-valid_from").fill(start)
    page.get_by_role("button", name="Opret ledig").click()
    page.wait_for_url(re.compile(rf"{base}/ledige/\d+$"))
    person_id = int(page.url.rsplit("/", 1)[1])
    assert page.get_by_role("heading", level=1).inner_text().strip() == FULL_NAME
    assert f"{FULL_NAME} er oprettet" in page.locator(".alert-success").first.inner_text()
    check(page, "intake-02-person")
    with Session(portal.engine) as session:
        person = session.get(Jobseeker, person_id)
        assert (person.first_name, person.last_name, person.municipality_code) == (
            FIRST_NAME,
            LAST_NAME,
            461,
        )
        assert person.cv is None and person.consent_share_with_employers is False
        pseudonym = person.pseudonym

    # 2. The CV document: upload, review (one field corrected), accept.
    page.get_by_role("link", name="Upload cv-dokument").click()
    page.wait_for_url(f"{base}/ledige/{person_id}/cv/upload")
    check(page, "intake-03-upload")
    document = tmp_path / "birgitte-cv.docx"
    document.write_bytes(cv_document(job))
    page.locator("#fil").set_input_files(str(document))
    page.get_by_role("button", name="Upload og læs dokumentet").click()
    page.wait_for_url(f"{base}/ledige/{person_id}/cv/kladde")
    assert EMPLOYER_AS_PARSED in page.locator(".jb-document").inner_text()
    check(page, "intake-04-review")
    assert page.locator("#headline").input_value() == f"Erfaren {job.title.lower()}"
    assert page.locator("#experiences-0-title").input_value() == job.title
    assert page.locator("#experiences-0-employer_name").input_value() == EMPLOYER_AS_PARSED
    for use in ("headline", "summary", "experiences-0", "skills-0", "languages-0"):
        assert page.locator(f"#{use}-use").is_checked(), use  # the CV is empty: all preset
    page.locator("#experiences-0-employer_name").fill(EMPLOYER_CORRECTED)
    page.get_by_role("button", name="Gem valgte felter").click()
    page.wait_for_url(f"{base}/ledige/{person_id}")
    assert "De valgte felter er gemt" in page.locator(".alert-success").first.inner_text()
    check(page, "intake-05-cv-saved")
    with Session(portal.engine) as session:
        assert session.scalars(select(CVDraft).where(CVDraft.jobseeker_id == person_id)).all() == []
        cv = session.scalars(select(CV).where(CV.jobseeker_id == person_id)).one()
        first = cv.experiences[0]
        assert (first.title, first.employer_name) == (job.title, EMPLOYER_CORRECTED)
        assert first.isco_code is not None
        assert {s.name for s in cv.skills} >= {"Dokumentation"}
        assert [d.category for d in cv.driving_licences] == ["B"]

    # 3. The consent to share the name with employers.
    page.get_by_role("link", name="Samtykker").first.click()
    page.wait_for_url(f"{base}/ledige/{person_id}/samtykker")
    page.get_by_label(CONSENT).check()
    page.locator("#given-0").check()  # ja
    page.get_by_label("Hvordan").select_option("in_person")
    page.get_by_role("button", name="Registrér").click()
    page.get_by_text(f"»{CONSENT}« er registreret som givet").wait_for()
    check(page, "intake-06-consent-given")
    consents_url = page.url

    # 4. The worker computes the person's list and the lists the person now belongs on (the
    # demo stores no lists: the vacancy's list comes from the person's job).
    with Session(portal.engine) as session:
        assert session.get(Jobseeker, person_id).consent_share_with_employers is True
        assert session.scalars(select(Match).where(Match.jobseeker_id == person_id)).all() == []
    portal.run_worker()
    with Session(portal.engine) as session:
        mine = session.scalar(
            select(Match).where(
                Match.vacancy_id == job.vacancy_id,
                Match.jobseeker_id == person_id,
                Match.rank.is_not(None),
            )
        )
        assert mine is not None, "the person is not on the vacancy's stored candidate list"
    page.goto(f"{base}/stillinger/{job.vacancy_id}/kandidater")
    card = page.locator("li.jb-candidate").filter(has_text=pseudonym)
    assert card.count() == 1, "the person is not on the first page of the candidate list"
    assert FULL_NAME in card.locator(".jb-candidate-name").inner_text()
    check(page, "intake-07-candidates")
    log_out(page)

    # 5. The fair's organiser builds the vacancy's shortlist: the name is shown (consent).
    log_in(page, base, ORGANISER)
    fair_url = f"{base}/jobmesser/{job.fair_id}"
    page.goto(f"{fair_url}/stillinger/{job.vacancy_id}")
    page.get_by_label("Antal fra matchlisten").fill("10")
    page.get_by_role("button", name="Byg listen").click()
    page.get_by_text("Listen er bygget: 10 personer.").wait_for()
    with Session(portal.engine) as session:
        code = session.scalar(
            select(ShortlistEntry.invitation_code)
            .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
            .where(
                ShortlistEntry.jobseeker_id == person_id,
                JobFairVacancy.vacancy_id == job.vacancy_id,
            )
        )
    assert code, "the person is not on the fair's shortlist"
    assert shortlist_names(page).count(f"{code} {FULL_NAME}") == 1
    check(page, "intake-08-shortlist-named")
    log_out(page)

    # 6. The counsellor withdraws the consent; the organiser sees only the invitation code.
    log_in(page, base, COUNSELLOR)
    page.goto(consents_url)
    page.get_by_label(CONSENT).check()
    page.locator("#given-1").check()  # nej: withdraw
    page.get_by_label("Hvordan").select_option("digital")
    page.get_by_role("button", name="Registrér").click()
    page.get_by_text(f"»{CONSENT}« er registreret som trukket tilbage").wait_for()
    check(page, "intake-09-consent-withdrawn")
    with Session(portal.engine) as session:
        events = session.scalars(
            select(ConsentEvent.given)
            .where(ConsentEvent.jobseeker_id == person_id)
            .order_by(ConsentEvent.id)
        ).all()
        assert events == [True, False]
        assert session.get(Jobseeker, person_id).consent_share_with_employers is False
    log_out(page)

    log_in(page, base, ORGANISER)
    page.goto(f"{fair_url}/stillinger/{job.vacancy_id}")
    assert shortlist_names(page).count(f"{code} Navn ikke delt") == 1
    assert FIRST_NAME not in page.locator("main").inner_text()
    assert LAST_NAME not in page.locator("main").inner_text()
    check(page, "intake-10-shortlist-withdrawn")

    text = export_text(page, portal, fair_url)
    assert code in text
    assert FIRST_NAME not in text and LAST_NAME not in text
    check(page, "intake-11-export")
