"""`jobbro people import`: the import in this process with a summary; errors by line on stderr
and exit 1 with nothing stored; a bad argument is one line and exit 2; a dry run stores
nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.db import make_engine
from matching.core.migrate import upgrade
from matching.core.settings import Settings
from matching.models import AuditEntry, Jobseeker, Organisation, OrgKind
from tests.support.cli import cli_env, cli_variables, run_jobbro
from workers.cli import main

START = (today_dk() - timedelta(days=20)).isoformat()
HEADER = "cpr;fornavn;efternavn;postnummer;maalgruppe;ledig_siden;cv_overskrift\n"


def person(cpr: str, email_column: str = "") -> str:
    return f"{cpr};Anna;Jensen;5000;kontanthjaelp_jobparat;{START};Lagermedarbejder\n"


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    for name in list(os.environ):
        if name.startswith("JOBBRO_"):
            monkeypatch.delenv(name)
    env = cli_variables(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(Settings.from_env(env))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def jobcentre(cli_db: Engine) -> int:
    with Session(cli_db) as session:
        org = Organisation(kind=OrgKind.JOBCENTRE, name="Jobcenter Odense", cvr="29189897")
        org.municipality_code = 461
        employer = Organisation(kind=OrgKind.EMPLOYER, name="Fynsk Lager", cvr="12345678")
        session.add_all([org, employer])
        session.commit()
        return org.id


def people(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Jobseeker))


def jobbro(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_an_import_stores_people_and_a_second_run_changes_nothing(
    tmp_path: Path, cli_db: Engine, jobcentre: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "ledige.csv", HEADER + person("010190-1234") + person("020290-1234"))

    code, out, err = jobbro(capsys, "people", "import", str(path), "--organisation", "29189897")
    assert code == 0, err
    assert out.splitlines()[0] == "2 oprettet, 0 opdateret, 0 uændret."
    assert people(cli_db) == 2
    with Session(cli_db) as session:
        audited = session.scalar(select(func.count()).select_from(AuditEntry))

    code, out, _ = jobbro(capsys, "people", "import", str(path), "--organisation", str(jobcentre))
    assert code == 0
    assert out.splitlines()[0] == "0 oprettet, 0 opdateret, 2 uændret."
    with Session(cli_db) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audited


def test_a_dry_run_stores_nothing(
    tmp_path: Path, cli_db: Engine, jobcentre: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "ledige.csv", HEADER + person("010190-1234"))
    code, out, _ = jobbro(
        capsys, "people", "import", str(path), "--organisation", str(jobcentre), "--dry-run"
    )
    assert code == 0
    assert "Prøvekørsel" in out and "1 oprettet" in out
    assert people(cli_db) == 0


def test_errors_are_listed_by_line_exit_1_and_nothing_is_stored(
    tmp_path: Path, cli_db: Engine, jobcentre: int, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEADER + person("010190-1234") + "310290-1234;Bo;Jensen;9999;;;\n"
    path = write(tmp_path, "ledige.csv", text)
    code, out, err = jobbro(capsys, "people", "import", str(path), "--organisation", "29189897")
    assert code == 1
    assert "linje 3 (cpr): CPR-nummeret indeholder ikke en gyldig dato." in err
    assert "linje 3 (postnummer)" in err
    assert "intet er gemt" in err and "310290" not in err + out
    assert people(cli_db) == 0


@pytest.mark.parametrize(
    ("name", "organisation", "expected"),
    [
        ("mangler.csv", "29189897", "findes ikke"),
        ("ledige.xlsx", "29189897", "CSV-fil"),
        ("ledige.csv", "99999999", "ingen organisation"),
        ("ledige.csv", "12345678", "hverken en a-kasse eller et jobcenter"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    tmp_path: Path,
    cli_db: Engine,
    jobcentre: int,
    capsys: pytest.CaptureFixture[str],
    name: str,
    organisation: str,
    expected: str,
) -> None:
    for existing in ("ledige.csv", "ledige.xlsx"):
        write(tmp_path, existing, HEADER + person("010190-1234"))
    code, _, err = jobbro(
        capsys, "people", "import", str(tmp_path / name), "--organisation", organisation
    )
    assert code == 2, err
    assert expected in err and "Traceback" not in err
    assert people(cli_db) == 0


def test_the_real_command_runs_in_a_process(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    upgrade(make_engine(Settings.from_env(cli_variables(tmp_path))))
    path = write(tmp_path, "ledige.jsonl", '{"cpr": "010190-1234"}\n')
    result = run_jobbro("people", "import", str(path), "--organisation", "1", env=env)
    # A database without organisations: a bad argument, not a traceback.
    assert result.returncode == 2, result.stderr
    assert "ingen organisation" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_few_imported_people_get_a_match_job_each_many_one_catch_up(redis_conn) -> None:  # noqa: ANN001
    from rq import Queue

    from workers.queues import IMPORT_MATCH_JOBS_MAX, Job, enqueue_imported_people

    assert enqueue_imported_people(redis_conn, [4, 5, 6]) == 3
    match = Queue(Job.MATCH_JOBSEEKER.queue.value, connection=redis_conn)
    assert sorted(match.job_ids) == ["match-jobseeker-4", "match-jobseeker-5", "match-jobseeker-6"]

    many = list(range(100, 101 + IMPORT_MATCH_JOBS_MAX))
    assert enqueue_imported_people(redis_conn, many) == 1
    assert len(match.job_ids) == 3
    [catch_up] = Queue(Job.RECOMPUTE_STALE_MATCHES.queue.value, connection=redis_conn).jobs
    assert catch_up.func_name == Job.RECOMPUTE_STALE_MATCHES.path
    assert catch_up.kwargs["limit"] >= len(many)
