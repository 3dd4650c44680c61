"""/import/personer: an administrator uploads a file, a worker runs it, the page shows what it
did or the errors by line; other roles are refused and another organisation's import is "not
found" (and logged)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.settings import Settings
from matching.intake.import_runs import decrypt_file, run_person_import
from matching.models import (
    AuditAction,
    AuditEntry,
    ImportStatus,
    Jobseeker,
    PersonImport,
    User,
)
from tests.factories import PASSWORD
from tests.support.intake import IntakeWorld, build_intake_world, unique_cpr
from tests.support.portal import csrf_token

START = (today_dk() - timedelta(days=20)).isoformat()
HEADER = "cpr;fornavn;efternavn;postnummer;maalgruppe;ledig_siden;cv_overskrift\r\n"


def person(cpr: str, postal: str = "5000") -> str:
    return f"{cpr};Anna;Jensen;{postal};kontanthjaelp_jobparat;{START};Lagermedarbejder\r\n"


@pytest.fixture
def world(session: Session, password_hash: str) -> IntakeWorld:
    return build_intake_world(session, password_hash)


def upload(client: FlaskClient, text: str, name: str = "ledige.csv", **form: str):  # noqa: ANN201
    data = {"fil": (io.BytesIO(text.encode("utf-8-sig")), name), **form}
    return client.post("/import/personer", data=data, content_type="multipart/form-data")


def run(session: Session, settings: Settings, import_id: int) -> PersonImport:
    """The worker's code path, on the test's connection (commits become savepoints)."""
    connection = session.connection()

    def factory() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    made, _summary = run_person_import(
        factory, import_id, cpr_key=settings.cpr_key, heartbeat_seconds=600
    )
    session.expire_all()
    return made


def count_people(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Jobseeker))


def test_an_upload_is_stored_encrypted_run_by_the_job_and_summarised(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    login(world.admin)
    cpr = unique_cpr()
    response = upload(client, HEADER + person(cpr) + person(unique_cpr()))
    assert response.status_code == 302
    [stored] = session.scalars(select(PersonImport)).all()
    assert response.headers["Location"].endswith(f"/import/personer/{stored.id}")
    assert stored.status is ImportStatus.QUEUED and stored.file_format == "csv"
    assert cpr.encode() not in stored.file_encrypted
    assert cpr.encode() in decrypt_file(settings.cpr_key, stored.id, stored.file_encrypted)

    page = client.get(f"/import/personer/{stored.id}").get_data(as_text=True)
    assert 'id="import-progress"' in page and "data-status-url" in page

    made = run(session, settings, stored.id)

    assert made.status is ImportStatus.DONE and made.file_encrypted is None
    assert (made.created_count, made.updated_count, made.unchanged_count) == (2, 0, 0)
    assert count_people(session) == 2
    page = client.get(f"/import/personer/{stored.id}").get_data(as_text=True)
    assert "Importen er gennemført" in page and "import-progress" not in page
    status = client.get(f"/import/personer/{stored.id}/status.json").get_json()
    assert status == {"status": "done", "status_label": "Færdig", "progress": 100, "active": False}
    listing = client.get("/import/personer").get_data(as_text=True)
    assert "ledige.csv" in listing


def test_a_file_with_errors_stores_nothing_and_lists_them_by_line(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    login(world.admin)
    upload(client, HEADER + person(unique_cpr()) + person(unique_cpr(), postal="0000"))
    [stored] = session.scalars(select(PersonImport)).all()

    made = run(session, settings, stored.id)

    assert made.status is ImportStatus.DONE and made.file_encrypted is None
    assert [(e["line"], e["field"]) for e in made.errors] == [(3, "postnummer")]
    assert count_people(session) == 0
    page = client.get(f"/import/personer/{stored.id}").get_data(as_text=True)
    assert "intet er gemt" in page and "Postnummeret findes ikke." in page


def test_a_dry_run_stores_nothing(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    login(world.admin)
    upload(client, HEADER + person(unique_cpr()), dry_run="y")
    [stored] = session.scalars(select(PersonImport)).all()
    made = run(session, settings, stored.id)
    assert made.dry_run and made.created_count == 1
    assert count_people(session) == 0


def test_a_wrong_kind_of_file_is_refused_on_the_form(
    client: FlaskClient, login: Callable[[User], None], session: Session, world: IntakeWorld
) -> None:
    login(world.admin)
    response = upload(client, "x", name="ledige.xlsx")
    assert response.status_code == 400
    assert "CSV-fil" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(PersonImport)) == 0


def test_a_counsellor_is_refused(
    client: FlaskClient, login: Callable[[User], None], world: IntakeWorld
) -> None:
    login(world.counsellor)
    assert client.get("/import/personer").status_code == 403
    assert upload(client, HEADER).status_code == 403


def test_another_organisations_import_is_not_found_and_logged(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    world: IntakeWorld,
    audit_rows: Callable[..., list[AuditEntry]],
) -> None:
    login(world.admin)
    upload(client, HEADER + person(unique_cpr()))
    [stored] = session.scalars(select(PersonImport)).all()
    client.post("/logout")

    login(world.other_admin)
    assert client.get(f"/import/personer/{stored.id}").status_code == 404
    assert client.get(f"/import/personer/{stored.id}/status.json").status_code == 404
    denied = audit_rows(AuditAction.ACCESS_DENIED)
    assert [(e.object_type, e.object_id) for e in denied][-2:] == [
        ("person_import", str(stored.id)),
        ("person_import", str(stored.id)),
    ]
    assert "ledige.csv" not in client.get("/import/personer").get_data(as_text=True)


def test_the_upload_form_is_csrf_protected(
    csrf_client: FlaskClient, session: Session, world: IntakeWorld
) -> None:
    user = world.admin
    token = csrf_token(csrf_client.get("/login").get_data(as_text=True))
    login = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    assert csrf_client.post("/login", data=login).status_code == 302

    assert upload(csrf_client, HEADER + person(unique_cpr())).status_code == 400
    assert session.scalar(select(func.count()).select_from(PersonImport)) == 0
    token = csrf_token(csrf_client.get("/import/personer").get_data(as_text=True))
    accepted = upload(csrf_client, HEADER + person(unique_cpr()), csrf_token=token)
    assert accepted.status_code == 302
    assert session.scalar(select(func.count()).select_from(PersonImport)) == 1
