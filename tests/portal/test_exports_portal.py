"""Job-fair exports in the portal: ordering (queued on the export queue, or saved when Redis is
down), the status page and its JSON, the download as an attachment, expiry (410), retry, CSRF,
and other organisations and roles kept out (404 / 403)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.settings import Settings
from matching.fairs.exports.runs import fail_stalled, run_export
from matching.models import AuditAction, AuditEntry, Export, ExportStatus, utcnow
from tests.factories import PASSWORD
from tests.factories.base import put_in_state
from tests.factories.fairs import ExportWorld, build_world
from tests.support.portal import csrf_token, html, make_app
from workers.queues import Job, QueueName, get_queue

TTL = timedelta(hours=24)
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def world(session: Session, password_hash: str) -> ExportWorld:
    return build_world(session, people=8, password_hash=password_hash)


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    return tmp_path / "exports"


def export_app(
    settings: Settings, session: Session, export_dir: Path, redis_url: str | None, *, csrf=False
) -> Flask:  # noqa: ANN001
    return make_app(
        settings.with_overrides(export_dir=export_dir, redis_url=redis_url), session, csrf=csrf
    )


@pytest.fixture
def app(settings: Settings, session: Session, export_dir: Path, redis_url: str) -> Flask:
    return export_app(settings, session, export_dir, redis_url)


@pytest.fixture
def log_in(world: ExportWorld) -> Callable[[FlaskClient, str], None]:
    def do(client: FlaskClient, who: str) -> None:
        response = client.post("/login", data={"email": world.emails[who], "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do


@pytest.fixture
def organiser(client: FlaskClient, log_in) -> FlaskClient:  # noqa: ANN001
    log_in(client, "organiser")
    return client


def order(client: FlaskClient, world: ExportWorld, kind: str = "shortlist", fmt: str = "xlsx"):  # noqa: ANN201
    return client.post(f"/jobmesser/{world.fair_id}/eksporter", data={"kind": kind, "format": fmt})


def newest(session: Session) -> Export:
    session.expire_all()
    return session.scalars(select(Export).order_by(Export.id.desc())).first()


def make_file(app: Flask, export: Export, export_dir: Path) -> Export:
    """What the worker does, on the test's connection."""
    factory = app.extensions["jobbro_session_factory"]
    return run_export(factory, export.id, export_dir, ttl=TTL)


# --- ordering ---------------------------------------------------------------------------------


def test_ordering_an_export_queues_a_job_and_shows_its_status(
    organiser: FlaskClient, world: ExportWorld, session: Session, redis_conn: redis.Redis
) -> None:
    page = organiser.get(f"/jobmesser/{world.fair_id}/eksporter")
    assert page.status_code == 200
    text = html(page)
    assert "Bestil en eksport" in text and "Der er ikke bestilt eksporter" in text
    assert 'value="invitations"' in text and 'value="pdf"' in text

    response = order(organiser, world)
    export = newest(session)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/eksporter/{export.id}"
    assert export.status is ExportStatus.QUEUED and export.job_id == f"export-{export.id}-1"
    queue = get_queue(QueueName.EXPORT, redis_conn)
    assert queue.job_ids == [f"export-{export.id}-1"]
    job = queue.fetch_job(f"export-{export.id}-1")
    assert job.func_name == Job.EXPORT_SHORTLIST.path and job.args == (export.id,)

    status = organiser.get(f"/eksporter/{export.id}")
    text = html(status)
    assert "Eksporten er bestilt." in text and "Shortlister som XLSX" in text
    assert re.search(
        r'<progress class="jb-progress" id="export-progress" max="100" value="0"', text
    )
    assert '<label class="form-label" for="export-progress">' in text
    assert 'role="status" aria-live="polite"' in text and "I kø" in text
    assert "<script>" not in text  # live updates come from /static/jobbro.js (CSP)
    assert f'data-status-url="/eksporter/{export.id}/status.json"' in text
    assert ">Opdater</a>" in text  # without JavaScript


def test_status_json_follows_the_export_to_the_download(
    app: Flask, organiser: FlaskClient, world: ExportWorld, session: Session, export_dir: Path
) -> None:
    order(organiser, world, fmt="csv")
    export = newest(session)
    queued = organiser.get(f"/eksporter/{export.id}/status.json")
    assert queued.status_code == 200 and queued.headers["Cache-Control"] == "no-store"
    assert queued.get_json() == {
        "status": "queued", "status_label": "I kø", "progress": 0, "row_count": None,
        "download_url": None, "error": None, "retry": False, "waiting_for_worker": False,
    }  # fmt: skip
    make_file(app, export, export_dir)
    done = organiser.get(f"/eksporter/{export.id}/status.json").get_json()
    assert done["status"] == "done" and done["status_label"] == "Klar til download"
    assert done["progress"] == 100 and done["row_count"] == world.people
    assert done["download_url"] == f"/eksporter/{export.id}/hent"
    page = html(organiser.get(f"/eksporter/{export.id}"))
    assert 'value="100"' in page and "Hent filen" in page and "Kan hentes til" in page


def test_the_download_is_an_uncached_attachment_and_audited(
    app: Flask, organiser: FlaskClient, world: ExportWorld, session: Session, export_dir: Path
) -> None:
    order(organiser, world, fmt="pdf")
    made = make_file(app, newest(session), export_dir)
    response = organiser.get(f"/eksporter/{made.id}/hent")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=jobmesse-aeroe-oeresund-2026-03-14-shortlister.pdf"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/pdf"
    assert response.data == (export_dir / made.file_name).read_bytes()
    response.close()
    downloads = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == "export",
            AuditEntry.object_id == str(made.id),
            AuditEntry.jobseeker_id.is_(None),  # the export's own entries, not its people's
        )
        .order_by(AuditEntry.id)
    ).all()
    assert [e.details["event"] for e in downloads] == ["requested", "completed", "downloaded"]
    assert downloads[-1].actor_id == world.organiser_id


def test_an_expired_export_is_gone_with_a_danish_page(
    app: Flask, organiser: FlaskClient, world: ExportWorld, session: Session, export_dir: Path
) -> None:
    order(organiser, world, fmt="csv")
    made = make_file(app, newest(session), export_dir)
    session.get(Export, made.id).expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    response = organiser.get(f"/eksporter/{made.id}/hent")
    assert response.status_code == 410
    text = html(response)
    assert "Eksporten er udløbet" in text and "Bestil en ny eksport" in text
    assert organiser.get(f"/eksporter/{made.id}/status.json").get_json()["status"] == "expired"


def test_a_failed_export_is_retried_as_a_new_job(
    organiser: FlaskClient, world: ExportWorld, session: Session, redis_conn: redis.Redis
) -> None:
    order(organiser, world)
    export = newest(session)
    put_in_state(session, export, ExportStatus.RUNNING)  # a worker took it, then died
    export.attempts = 1
    session.commit()
    assert fail_stalled(session, now=utcnow() + timedelta(hours=1)) == [export.id]
    session.commit()
    page = html(organiser.get(f"/eksporter/{export.id}"))
    assert "Eksporten stoppede uventet (arbejdsprocessen blev afbrudt). Prøv igen." in page
    assert "Prøv igen</button>" in page
    assert organiser.get(f"/eksporter/{export.id}/status.json").get_json()["retry"] is True

    response = organiser.post(f"/eksporter/{export.id}/igen")
    assert response.status_code == 302
    again = newest(session)
    assert again.status is ExportStatus.QUEUED and again.error is None
    assert again.job_id == f"export-{export.id}-2"
    assert f"export-{export.id}-2" in get_queue(QueueName.EXPORT, redis_conn).job_ids
    # Asking again while it waits queues nothing more.
    organiser.post(f"/eksporter/{export.id}/igen")
    assert get_queue(QueueName.EXPORT, redis_conn).count == 2  # the first attempt's job, this


def test_with_redis_down_the_export_is_saved_and_sent_later(
    settings: Settings,
    session: Session,
    world: ExportWorld,
    export_dir: Path,
    redis_url: str,
    redis_conn: redis.Redis,
    log_in,  # noqa: ANN001
) -> None:
    down = export_app(settings, session, export_dir, UNREACHABLE_REDIS).test_client()
    log_in(down, "organiser")
    response = order(down, world, fmt="csv")
    export = newest(session)
    assert response.status_code == 302
    assert export.status is ExportStatus.QUEUED and export.job_id is None
    page = html(down.get(f"/eksporter/{export.id}"))
    assert "kunne ikke sendes til behandling lige nu" in page
    assert "Ikke startet endnu" in page and "Send igen</button>" in page

    up = export_app(settings, session, export_dir, redis_url).test_client()
    log_in(up, "organiser")
    assert up.post(f"/eksporter/{export.id}/igen").status_code == 302
    assert newest(session).job_id == f"export-{export.id}-1"
    assert get_queue(QueueName.EXPORT, redis_conn).job_ids == [f"export-{export.id}-1"]


def test_an_export_whose_job_redis_lost_can_be_sent_again(
    organiser: FlaskClient, session: Session, world: ExportWorld, redis_conn: redis.Redis
) -> None:
    """Redis restarted without persistence after the order: the export is not left "in the
    queue" for an hour; the page offers to send it again, and that works."""
    order(organiser, world, fmt="csv")
    export = newest(session)
    assert export.job_id == f"export-{export.id}-1"
    status = organiser.get(f"/eksporter/{export.id}/status.json").get_json()
    assert status["status_label"] == "I kø"
    assert "Send igen</button>" not in html(organiser.get(f"/eksporter/{export.id}"))

    redis_conn.flushdb()  # what a restart without persistence does
    status = organiser.get(f"/eksporter/{export.id}/status.json").get_json()
    assert status["status"] == "queued" and status["status_label"] == "Ikke startet endnu"
    assert "Send igen</button>" in html(organiser.get(f"/eksporter/{export.id}"))
    assert organiser.post(f"/eksporter/{export.id}/igen").status_code == 302
    assert get_queue(QueueName.EXPORT, redis_conn).job_ids == [f"export-{export.id}-1"]
    status = organiser.get(f"/eksporter/{export.id}/status.json").get_json()
    assert status["status_label"] == "I kø"


# --- forms ------------------------------------------------------------------------------------


def test_invalid_choices_and_an_empty_fair_are_explained(
    organiser: FlaskClient, world: ExportWorld, session: Session
) -> None:
    response = order(organiser, world, kind="nonsens", fmt="pdf")
    assert response.status_code == 400
    assert re.search(r'value="pdf"[^>]*checked|checked[^>]*value="pdf"', html(response))  # kept
    assert newest(session) is None
    # The invitation list is made as CSV whatever format is ticked (XLSX is the default).
    assert order(organiser, world, kind="invitations", fmt="xlsx").status_code == 302
    assert newest(session).kind == "invitations" and newest(session).format.value == "csv"
    session.delete(newest(session))
    session.flush()
    empty = organiser.post(
        f"/jobmesser/{world.empty_fair_id}/eksporter", data={"kind": "shortlist", "format": "csv"}
    )
    assert empty.status_code == 400
    assert "Der er ingen personer på jobmessens lister endnu." in html(empty)
    assert newest(session) is None


def test_ordering_needs_the_csrf_token(
    settings: Settings, session: Session, world: ExportWorld, export_dir: Path, redis_url: str
) -> None:
    client = export_app(settings, session, export_dir, redis_url, csrf=True).test_client()
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": world.emails["organiser"], "password": PASSWORD,
              "csrf_token": csrf_token(html(page))},
    )  # fmt: skip
    forged = client.post(
        f"/jobmesser/{world.fair_id}/eksporter", data={"kind": "shortlist", "format": "csv"}
    )
    assert forged.status_code == 400 and newest(session) is None
    token = csrf_token(html(client.get(f"/jobmesser/{world.fair_id}/eksporter")))
    made = client.post(
        f"/jobmesser/{world.fair_id}/eksporter",
        data={"kind": "shortlist", "format": "csv", "csrf_token": token},
    )
    assert made.status_code == 302 and newest(session) is not None
    retry = client.post(f"/eksporter/{newest(session).id}/igen")
    assert retry.status_code == 400


# --- who may ------------------------------------------------------------------------------------


def test_another_organisation_gets_404_for_every_export_address(
    app: Flask,
    client: FlaskClient,
    log_in,  # noqa: ANN001
    world: ExportWorld,
    session: Session,
    export_dir: Path,
) -> None:
    log_in(client, "organiser")
    order(client, world, fmt="csv")
    made = make_file(app, newest(session), export_dir)
    client.post("/logout")

    log_in(client, "rival")
    for path in (
        f"/eksporter/{made.id}",
        f"/eksporter/{made.id}/status.json",
        f"/eksporter/{made.id}/hent",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Ærø" not in response.get_data(as_text=True)  # nothing about the fair
    assert client.post(f"/eksporter/{made.id}/igen").status_code == 404
    assert client.get(f"/jobmesser/{world.fair_id}/eksporter").status_code == 404
    assert order(client, world).status_code == 404
    denied = session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.ACCESS_DENIED)
    ).all()
    assert [e.object_type for e in denied] == ["export"] * 4 + ["job_fair"] * 2
    assert {e.actor_id for e in denied} == {world.rival_id}
    assert session.get(Export, made.id).status is ExportStatus.DONE


@pytest.mark.parametrize("who", ["employer", "counsellor"])
def test_other_roles_are_refused(
    app: Flask,
    client: FlaskClient,
    log_in,  # noqa: ANN001
    world: ExportWorld,
    session: Session,
    export_dir: Path,
    who: str,
) -> None:
    log_in(client, "organiser")
    order(client, world, fmt="csv")
    made = make_file(app, newest(session), export_dir)
    client.post("/logout")
    log_in(client, who)
    for path in (f"/jobmesser/{world.fair_id}/eksporter", f"/eksporter/{made.id}/hent",
                 f"/eksporter/{made.id}/status.json"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    assert order(client, world).status_code == 403


def test_the_page_links_back_to_the_fair(
    app: Flask, organiser: FlaskClient, world: ExportWorld
) -> None:
    text = html(organiser.get(f"/jobmesser/{world.fair_id}/eksporter"))
    if "fairs.fair_detail" in app.view_functions:
        assert f'href="/jobmesser/{world.fair_id}">Tilbage til jobmessen</a>' in text
    else:
        assert 'href="/">Til forsiden</a>' in text
