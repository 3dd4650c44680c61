"""The CV editor and the review of an uploaded CV document in a real browser: live occupation
suggestions while typing a title, an error summary that keeps what was typed, a DOCX upload, the
review page and saving the chosen fields. Every page is checked with axe-core and saved in
var/screenshots/."""

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
    CVDraft,
    CVSkill,
    Jobseeker,
    Membership,
    Organisation,
    OrgKind,
    ResponsibilityPeriod,
    Role,
    User,
)
from tests.factories.vacancies import TINY_TAXONOMY
from tests.support.browser import BrowserPortal, check, log_in, seeded_portal
from tests.support.cv_documents import docx

pytestmark = pytest.mark.browser

PASSWORD = "cv-editoren-i-browseren"
COUNSELLOR = "carla@jobcenter-odense.dk"


def _seed(session: Session) -> int:
    from matching.ranking.taxonomy.importer import import_taxonomy

    import_taxonomy(session, TINY_TAXONOMY)
    jobcentre = Organisation(
        kind=OrgKind.JOBCENTRE, name="Jobcenter Odense", municipality_code=461,
        email="jobcenter@odense.dk",
    )  # fmt: skip
    user = User(email=COUNSELLOR, name="Carla Rådgiver", password_hash=hash_password(PASSWORD))
    user.memberships = [Membership(organisation=jobcentre, role=Role.COUNSELLOR)]
    person = Jobseeker(
        pseudonym="L-000777",
        first_name="Mette",
        last_name="Madsen",
        birth_date=today_dk().replace(year=1988),
        postal_code="5000",
        responsibilities=[
            ResponsibilityPeriod(
                organisation=jobcentre, valid_from=today_dk() - timedelta(days=10), reason="test"
            )
        ],
    )
    person.cv = CV(headline="Smed", skills=[CVSkill(position=0, name="Truckcertifikat")])
    session.add_all([jobcentre, user, person])
    session.commit()
    return person.id


def docx_file() -> bytes:
    return docx(
        [
            "Mette Madsen",
            "Erfaren svejser og smed",
            "# Profil",
            "Jeg har svejset i ti år og er vant til at arbejde selvstændigt.",
            "# Erhvervserfaring",
            "2016 - 2024 Svejser, Odense Stål A/S",
            "2012 - 2016 Lagermedarbejder, Fynsk Lager ApS",
            "# Kompetencer",
            "MIG/MAG-svejsning",
            "# Sprog",
            "Dansk: modersmål",
            "Engelsk: godt",
        ]
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[BrowserPortal]:
    with seeded_portal(tmp_path_factory, redis_url, "cv_editor", _seed) as running:
        yield running


def test_editor_with_suggestions_errors_and_saving(portal: BrowserPortal, page) -> None:  # noqa: ANN001
    person_id = portal.seeded
    log_in(page, portal.base, COUNSELLOR, PASSWORD)
    page.goto(f"{portal.base}/ledige/{person_id}")
    page.get_by_role("link", name="Rediger cv").click()
    page.wait_for_load_state()
    check(page, "cv-editor")

    page.locator("#experiences-0-title").fill("lagermand")
    suggestion = page.get_by_label(re.compile(r"lagerarbejder \(ISCO 9333\)")).first
    suggestion.wait_for()
    suggestion.check()
    page.locator("#experiences-0-start_year").fill("2030")
    page.locator("#headline").fill("")
    page.get_by_role("button", name="Gem cv").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#experiences-0-title").input_value() == "lagermand"
    check(page, "cv-editor-errors")

    page.locator("#headline").fill("Lagermedarbejder og svejser")
    page.locator("#experiences-0-start_year").fill("2015")
    page.get_by_label(re.compile(r"lagerarbejder \(ISCO 9333\)")).first.check()
    page.get_by_role("button", name="Gem cv").click()
    page.wait_for_load_state()
    assert "Cv'et er gemt" in page.content()
    assert "ikke beregnet endnu" in page.locator("#cv-lists-status").inner_text()
    check(page, "cv-person-after-save")
    with Session(portal.engine) as session:
        cv = session.scalars(select(CV).where(CV.jobseeker_id == person_id)).one()
        assert [(e.title, e.isco_code) for e in cv.experiences] == [("lagermand", "9333")]


def test_upload_review_and_accept(portal: BrowserPortal, page, tmp_path) -> None:  # noqa: ANN001
    person_id = portal.seeded
    log_in(page, portal.base, COUNSELLOR, PASSWORD)
    page.goto(f"{portal.base}/ledige/{person_id}")
    page.get_by_role("link", name="Upload cv-dokument").click()
    page.wait_for_load_state()
    check(page, "cv-upload")

    wrong = tmp_path / "cv.pdf"
    wrong.write_bytes(b"MZ" + bytes(300))
    page.locator("#fil").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload og læs dokumentet").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    check(page, "cv-upload-refused")

    document = tmp_path / "mette.docx"
    document.write_bytes(docx_file())
    page.locator("#fil").set_input_files(str(document))
    page.get_by_role("button", name="Upload og læs dokumentet").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/ledige/{person_id}/cv/kladde")
    assert "Odense Stål" in page.locator(".jb-document").inner_text()
    check(page, "cv-review")

    assert page.locator("#experiences-0-use").is_checked()
    assert not page.locator("#headline-use").is_checked()  # the CV has a headline
    page.locator("#headline-use").check()
    page.get_by_role("button", name="Gem valgte felter").click()
    page.wait_for_load_state()
    assert "De valgte felter er gemt" in page.content()
    with Session(portal.engine) as session:
        assert session.scalars(select(CVDraft)).all() == []
        cv = session.scalars(select(CV).where(CV.jobseeker_id == person_id)).one()
        assert "Svejser" in [e.title for e in cv.experiences]
        assert cv.headline != "Smed"
