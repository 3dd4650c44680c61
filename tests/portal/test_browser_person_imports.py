"""An administrator imports people in a real browser: uploads a file, watches the bar follow
the worker without reloading by hand (jobbro.js polls; the CSP forbids inline scripts), then
sees the summary; a file with errors shows them by line. Every page is checked with axe-core."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.core.dates import today_dk
from matching.core.security import hash_password
from matching.intake import imports
from matching.intake.import_runs import run_person_import
from matching.models import Jobseeker, Membership, Organisation, OrgKind, PersonImport, Role, User
from tests.support.browser import BrowserPortal, check, log_in, seeded_portal

pytestmark = pytest.mark.browser

PASSWORD = "import-i-browseren"
START = (today_dk() - timedelta(days=20)).isoformat()
HEADER = "cpr;fornavn;efternavn;postnummer;maalgruppe;ledig_siden;cv_overskrift\n"


@dataclass
class Seeded:
    email: str


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[BrowserPortal]:
    def seed(session: Session) -> Seeded:
        org = Organisation(kind=OrgKind.JOBCENTRE, name="Jobcenter Odense", cvr="29189897")
        org.municipality_code = 461
        user = User(
            email="admin@odense.dk", name="Ida Admin", password_hash=hash_password(PASSWORD)
        )
        user.memberships = [Membership(organisation=org, role=Role.ADMIN)]
        session.add_all([org, user])
        session.commit()
        return Seeded(user.email)

    with seeded_portal(tmp_path_factory, redis_url, "person-imports", seed) as running:
        yield running


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8-sig")
    return path


def person(cpr: str, postal: str = "5000") -> str:
    return f"{cpr};Anna;Jensen;{postal};kontanthjaelp_jobparat;{START};Lagermedarbejder\n"


def latest(portal: BrowserPortal) -> int:
    with Session(portal.engine) as session:
        return session.scalars(select(PersonImport.id).order_by(PersonImport.id.desc())).first()


def test_an_administrator_uploads_watches_and_reads_the_result(
    portal: BrowserPortal,
    page,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = portal.base
    log_in(page, base, portal.seeded.email, PASSWORD)
    page.goto(f"{base}/import/personer")
    check(page, "i01-person-imports")

    people = [person(f"{day:02d}0190-1234") for day in range(1, 9)]
    page.get_by_label("Fil med personer").set_input_files(write(tmp_path, "ledige.csv", people))
    page.get_by_role("button", name="Start importen").click()
    page.wait_for_url(f"{base}/import/personer/*")
    assert page.get_by_role("status").filter(has_text="I kø").count() == 1
    check(page, "i02-import-queued")

    # The worker's part, slowed down so the bar is seen between polls.
    original = imports._Checker.plan

    def slow_plan(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        time.sleep(0.4)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(imports._Checker, "plan", slow_plan)
    factory = sessionmaker(bind=portal.engine, expire_on_commit=False)
    worker = threading.Thread(
        target=run_person_import,
        args=(factory, latest(portal)),
        kwargs={"cpr_key": portal.settings.cpr_key, "heartbeat_seconds": 0.5},
    )
    worker.start()
    try:
        page.get_by_role("status").filter(has_text="I gang").wait_for(timeout=20_000)
        check(page, "i03-import-running")
        page.get_by_text("Importen er gennemført").wait_for(timeout=30_000)
    finally:
        worker.join(timeout=30)
    check(page, "i04-import-done")
    facts = page.locator("dl.jb-facts").last
    assert (
        facts.locator("dt", has_text="Oprettet")
        .locator("xpath=following-sibling::dd[1]")
        .inner_text()
        == "8"
    )
    with Session(portal.engine) as session:
        assert session.scalar(select(func.count()).select_from(Jobseeker)) == 8

    # A file with an error: nothing stored, the error by line.
    page.goto(f"{base}/import/personer")
    bad = [person("010290-1234"), person("020290-1234", postal="0000")]
    page.get_by_label("Fil med personer").set_input_files(write(tmp_path, "fejl.csv", bad))
    page.get_by_role("button", name="Start importen").click()
    page.wait_for_url(f"{base}/import/personer/*")
    run_person_import(factory, latest(portal), cpr_key=portal.settings.cpr_key)
    page.reload()
    assert page.get_by_text("Filen har fejl – intet er gemt").is_visible()
    assert page.get_by_role("cell", name="Postnummeret findes ikke.").is_visible()
    check(page, "i05-import-errors")
    page.goto(f"{base}/import/personer")
    check(page, "i06-person-imports-list")
