"""An organiser orders a job-fair export in a real browser and watches it finish: the progress
bar moves without reloading (jobbro.js polls the status JSON; the CSP forbids inline scripts),
the status is announced, the file downloads. Every page is checked with axe-core."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matching.core.security import hash_password
from matching.fairs.exports import tables
from matching.fairs.exports.runs import run_export
from matching.models import Export, ExportStatus
from tests.factories.fairs import ExportWorld, build_world
from tests.support.browser import BrowserPortal, check, seeded_portal

pytestmark = pytest.mark.browser

PASSWORD = "eksport-i-browseren"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[BrowserPortal]:
    def seed(session: Session) -> ExportWorld:
        return build_world(session, people=40, password_hash=hash_password(PASSWORD))

    with seeded_portal(tmp_path_factory, redis_url, "exports", seed) as running:
        yield running


def test_an_organiser_orders_an_export_and_watches_it_finish(
    portal: BrowserPortal,
    page,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, world = portal.base, portal.seeded
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(world.emails["organiser"])
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/jobmesser/{world.fair_id}/eksporter")
    check(page, "e01-exports")
    page.get_by_label("Shortlister", exact=False).first.check()
    page.get_by_label("CSV – semikolonsepareret, til Excel").check()
    page.get_by_role("button", name="Bestil eksport").click()
    page.wait_for_url(f"{base}/eksporter/*")
    assert page.get_by_role("status").filter(has_text="I kø").count() == 1
    check(page, "e02-export-queued")

    # The worker's part, slowed down so the bar is seen moving between polls.
    with Session(portal.engine) as session:
        export_id = session.scalars(select(Export.id).order_by(Export.id.desc())).first()
    real = tables.shortlist_csv

    def slow_csv(groups, progress):  # noqa: ANN001, ANN202
        def tick(done: int, total: int) -> None:
            time.sleep(1.2)
            progress(done, total)
            time.sleep(1.5)

        return real(groups, tick)

    monkeypatch.setattr(tables, "shortlist_csv", slow_csv)
    factory = sessionmaker(bind=portal.engine, expire_on_commit=False)
    worker = threading.Thread(
        target=run_export,
        args=(factory, export_id, portal.settings.export_dir),
        kwargs={"ttl": timedelta(hours=24)},
    )
    worker.start()
    try:
        # Polled, not reloaded: rows read (5 %), then the writer's tick (95 %).
        page.locator("#export-percent").filter(has_text="95 % færdig").wait_for(timeout=20_000)
        assert page.locator("#export-progress").get_attribute("value") == "95"
        assert page.get_by_role("status").filter(has_text="I gang").count() == 1
        check(page, "e03-export-running")
        page.get_by_role("link", name="Hent filen").wait_for(timeout=20_000)
    finally:
        worker.join(timeout=30)
    assert page.get_by_role("status").filter(has_text="Klar til download").count() == 1
    assert page.locator("#export-progress").get_attribute("value") == "100"
    assert not page.get_by_role("link", name="Opdater").is_visible()
    check(page, "e04-export-done")

    with page.expect_download() as info:
        page.get_by_role("link", name="Hent filen").click()
    download = info.value
    assert download.suggested_filename == "jobmesse-aeroe-oeresund-2026-03-14-shortlister.csv"
    assert download.path().read_bytes().startswith(b"\xef\xbb\xbfVirksomhed;Stilling")
    with Session(portal.engine) as session:
        assert session.get(Export, export_id).status is ExportStatus.DONE

    # The fair's list of exports shows it, ready, with its download link.
    page.goto(f"{base}/jobmesser/{world.fair_id}/eksporter")
    row = page.locator("tbody tr").first
    assert row.get_by_text("Klar til download").is_visible()
    assert row.get_by_role("link", name="Hent shortlister som CSV", exact=False).is_visible()
    check(page, "e05-exports-list")
