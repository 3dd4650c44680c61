"""`jobbro people purge` and `jobbro people export`: the retention rules and a person's data
export from the command line, on a fresh SQLite database."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from matching.core.dates import add_months, today_dk
from matching.core.db import make_engine
from matching.core.migrate import upgrade
from matching.core.security import encrypt_cpr
from matching.core.settings import Settings
from matching.models import (
    AuditAction,
    AuditEntry,
    ExitReason,
    Jobseeker,
    Organisation,
    OrgKind,
    ResponsibilityPeriod,
)
from tests.support.cli import cli_variables
from workers.cli import main


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Settings]]:
    for name in list(os.environ):
        if name.startswith("JOBBRO_"):
            monkeypatch.delenv(name)
    env = cli_variables(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)
    engine = make_engine(settings)
    upgrade(engine)
    yield engine, settings
    engine.dispose()


def _person(org: Organisation, pseudonym: str, left_on: date | None, key: bytes) -> Jobseeker:
    person = Jobseeker(
        pseudonym=pseudonym,
        first_name="Karen",
        last_name=f"Holm {pseudonym}",
        birth_date=date(1970, 8, 9),
        postal_code="5000",
        cpr_encrypted=encrypt_cpr(key, "0908701234"),
        active=left_on is None,
        left_on=left_on,
        exit_reason=ExitReason.EDUCATION if left_on else None,
    )
    person.responsibilities = [
        ResponsibilityPeriod(
            organisation=org, valid_from=today_dk() - timedelta(days=800), reason="test"
        )
    ]
    return person


@pytest.fixture
def people(cli_db: tuple[Engine, Settings]) -> None:
    engine, settings = cli_db
    with Session(engine) as session:
        org = Organisation(kind=OrgKind.JOBCENTRE, name="Jobcenter Odense")
        session.add_all(
            [
                _person(org, "CLI-DUE", add_months(today_dk(), -13), settings.cpr_key),
                _person(org, "CLI-NOTYET", today_dk() - timedelta(days=10), settings.cpr_key),
                _person(org, "CLI-ACTIVE", None, settings.cpr_key),
            ]
        )
        session.commit()


def jobbro(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _names(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.execute(select(Jobseeker.pseudonym, Jobseeker.first_name)).all())


def test_purge_dry_run_then_for_real_then_nothing(
    cli_db: tuple[Engine, Settings], people: None, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, _ = cli_db
    code, out, err = jobbro(capsys, "people", "purge", "--dry-run")
    assert code == 0, err
    assert "People who would be anonymised: 1" in out and "  CLI-DUE" in out
    assert set(_names(engine).values()) == {"Karen"}

    code, out, err = jobbro(capsys, "people", "purge")
    assert code == 0, err
    assert "People who were anonymised: 1" in out
    assert _names(engine) == {
        "CLI-DUE": "Anonymiseret",
        "CLI-NOTYET": "Karen",
        "CLI-ACTIVE": "Karen",
    }

    code, out, _ = jobbro(capsys, "people", "purge")
    assert code == 0 and "People who were anonymised: 0" in out


def test_a_longer_period_from_the_environment(
    cli_db: tuple[Engine, Settings],
    people: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBBRO_RETENTION_LEFT_MONTHS", "24")
    code, out, _ = jobbro(capsys, "people", "purge", "--dry-run")
    assert code == 0 and "would be anonymised: 0" in out  # 13 months is not 24


def test_export_json_and_pdf_for_a_lawful_request(
    cli_db: tuple[Engine, Settings],
    people: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine, _ = cli_db
    target = tmp_path / "karen.json"
    code, out, err = jobbro(
        capsys, "people", "export", "CLI-ACTIVE", "--format", "json", "--out", str(target)
    )
    assert code == 0, err
    assert out.strip() == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["person"]["pseudonym"] == "CLI-ACTIVE"
    assert data["person"]["cpr"] == "090870-1234"
    pdf = tmp_path / "karen.pdf"
    code, _, err = jobbro(
        capsys, "people", "export", "CLI-ACTIVE", "--format", "PDF", "--out", str(pdf)
    )
    assert code == 0, err
    assert "Karen Holm CLI-ACTIVE" in PdfReader(pdf).pages[0].extract_text()
    with Session(engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT)
        ).all()
    assert [(e.actor_id, e.purpose, e.details["format"]) for e in entries] == [
        (None, "indsigt", "json"),
        (None, "indsigt", "pdf"),
    ]


def test_export_of_an_unknown_pseudonym_fails_and_writes_nothing(
    cli_db: tuple[Engine, Settings],
    people: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "x.json"
    code, _, err = jobbro(
        capsys, "people", "export", "NOPE", "--format", "json", "--out", str(target)
    )
    assert code == 1 and "NOPE" in err
    assert not target.exists()
