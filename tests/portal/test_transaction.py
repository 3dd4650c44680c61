"""The request's transaction, with real commits: what a response keeps, what it discards, and
what runs only after the commit. (Other portal tests share the test's own transaction and cannot
see this.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, flash, request
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from matching.core.db import make_engine
from matching.core.migrate import upgrade
from matching.core.security import hash_password
from matching.core.settings import Settings
from matching.models import AuditAction, AuditEntry, Membership, Organisation, OrgKind, Role, User
from portal.app import create_app
from portal.transaction import after_commit, get_db, keep_changes
from tests.factories import PASSWORD


def _count(engine: Engine, object_type: str) -> int:
    """Rows as another connection sees them: only what was committed."""
    with Session(engine) as other:
        return other.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == object_type)
        )


@pytest.fixture
def live(committed_database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Engine, list]]:
    settings = Settings.from_env(
        {
            "JOBBRO_ENV": "test",
            "JOBBRO_DATA_DIR": str(tmp_path),
            "JOBBRO_DATABASE_URL": committed_database_url,
            "JOBBRO_SECRET_KEY": "transaction-test-secret-key-0123456789abcdef",
        }
    )
    engine = make_engine(settings)
    upgrade(engine)
    app = create_app(settings, config={"WTF_CSRF_ENABLED": False})
    seen: list[tuple[str, int]] = []  # (what ran after the commit, rows it saw committed)

    def write():  # noqa: ANN202 - a probe view
        status = int(request.args.get("status", 200))
        get_db().add(AuditEntry(action=AuditAction.VIEW, object_type="probe", details={}))
        get_db().flush()
        if request.args.get("keep"):
            keep_changes()
        after_commit(lambda: seen.append(("after", _count(engine, "probe"))))
        flash("Gemt.", "success")
        if request.args.get("explode"):
            raise RuntimeError("the view failed after writing")
        return "ok", status

    def break_at_commit():  # noqa: ANN202 - a probe view
        # Not flushed: the NOT NULL violation surfaces only when the request commits.
        get_db().add(AuditEntry(action=AuditAction.VIEW, object_type=None, details={}))
        after_commit(lambda: seen.append(("after", -1)))
        flash("Gemt.", "success")
        return "ok", 302, {"Location": "/"}

    app.add_url_rule("/probe", view_func=write, methods=["POST"])
    app.add_url_rule("/probe/commit-fails", view_func=break_at_commit, methods=["POST"])
    yield app, engine, seen
    engine.dispose()


@pytest.mark.parametrize(("status", "kept"), [(200, 1), (302, 1), (400, 0), (404, 0), (500, 0)])
def test_a_success_commits_and_an_error_discards(
    live: tuple[Flask, Engine, list], status: int, kept: int
) -> None:
    app, engine, seen = live
    response = app.test_client().post(f"/probe?status={status}")
    assert response.status_code == status
    assert _count(engine, "probe") == kept
    # Work after the commit runs only after a commit, and then sees the committed row.
    assert seen == ([("after", 1)] if kept else [])


def test_an_exception_discards_everything(live: tuple[Flask, Engine, list]) -> None:
    app, engine, seen = live
    response = app.test_client().post("/probe?explode=1")
    assert response.status_code == 500 and "Der opstod en fejl" in response.get_data(as_text=True)
    assert _count(engine, "probe") == 0 and seen == []


def test_kept_changes_survive_an_error_response(live: tuple[Flask, Engine, list]) -> None:
    app, engine, _seen = live
    assert app.test_client().post("/probe?status=400&keep=1").status_code == 400
    assert _count(engine, "probe") == 1


def test_a_failed_commit_shows_an_error_and_no_success(live: tuple[Flask, Engine, list]) -> None:
    app, engine, seen = live
    client = app.test_client()
    response = client.post("/probe/commit-fails")
    assert response.status_code == 409
    assert "Ændringen blev ikke gemt" in response.get_data(as_text=True)
    assert seen == []  # nothing after a commit that did not happen
    with client.session_transaction() as cookie:
        assert "_flashes" not in cookie  # no "Gemt." for what was not saved
    with Session(engine) as other:
        assert other.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_failed_login_is_on_record_although_the_answer_is_an_error(
    live: tuple[Flask, Engine, list],
) -> None:
    app, engine, _seen = live
    with Session(engine) as setup:
        org = Organisation(kind=OrgKind.A_KASSE, name="A-kasse")
        user = User(email="rikke@akasse.dk", name="Rikke", password_hash=hash_password(PASSWORD))
        user.memberships = [Membership(organisation=org, role=Role.COUNSELLOR)]
        setup.add_all([org, user])
        setup.commit()
    client = app.test_client()
    wrong = client.post("/login", data={"email": "rikke@akasse.dk", "password": "forkert"})
    assert wrong.status_code == 400
    right = client.post("/login", data={"email": "rikke@akasse.dk", "password": PASSWORD})
    assert right.status_code == 302
    with Session(engine) as other:
        actions = other.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [AuditAction.LOGIN_FAILED, AuditAction.LOGIN]
