"""`jobbro export shortlist`: the worker's code path in this process, with the file written
where asked; wrong input gives one clear line and a non-zero exit, and writes nothing."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from matching.core.db import make_engine
from matching.core.migrate import upgrade
from matching.core.settings import Settings
from matching.fairs.exports import pdf
from matching.models import AuditEntry, Export, ExportStatus
from tests.factories.fairs import NO_CONSENT_NAME, ExportWorld, build_world
from tests.support.cli import cli_variables
from workers.cli import main

DOWNLOAD = "jobmesse-aeroe-oeresund-2026-03-14-shortlister"


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Path]]:
    """A fresh, migrated SQLite database the command reads through JOBBRO_* variables."""
    for name in list(os.environ):
        if name.startswith("JOBBRO_"):
            monkeypatch.delenv(name)
    env = cli_variables(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(Settings.from_env(env))
    upgrade(engine)
    yield engine, tmp_path / "var" / "exports"
    engine.dispose()


@pytest.fixture
def world(cli_db: tuple[Engine, Path]) -> ExportWorld:
    with Session(cli_db[0]) as session:
        return build_world(session, people=9)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "ud"
    folder.mkdir()
    return folder


def jobbro(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _exports(engine: Engine) -> list[Export]:
    with Session(engine) as session:
        return list(session.scalars(select(Export)))


def test_an_export_is_written_where_asked_and_printed(
    cli_db: tuple[Engine, Path], world: ExportWorld, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, export_dir = cli_db
    code, stdout, stderr = jobbro(
        capsys, "export", "shortlist", str(world.fair_id), "--format", "XLSX",
        "--as", world.emails["organiser"].upper(), "--output", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    target = out / f"{DOWNLOAD}.xlsx"
    [export] = _exports(engine)
    assert stdout.splitlines() == [
        str(target),
        f"9 rækker eksporteret (eksport {export.id}).",
    ]
    book = load_workbook(target)
    cells = [c.value for ws in book.worksheets for line in ws.iter_rows() for c in line]
    assert "Invitations-id" in cells and NO_CONSENT_NAME not in " ".join(map(str, cells))
    assert sorted(p.name for p in out.iterdir()) == [target.name]  # no temporary file left
    assert export.status is ExportStatus.DONE and export.requested_by_id == world.organiser_id
    assert (export_dir / export.file_name).is_file()  # also downloadable in the portal
    with Session(engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "export").order_by(AuditEntry.id)
        ).all()
    events = [e.details["event"] for e in entries if e.jobseeker_id is None]
    assert events == ["requested", "completed", "downloaded"]
    assert len([e for e in entries if e.jobseeker_id is not None]) == 9  # one per person


def test_the_invitation_list_goes_to_the_current_folder_by_default(
    cli_db: tuple[Engine, Path],
    world: ExportWorld,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(out)
    code, stdout, stderr = jobbro(
        capsys, "export", "shortlist", str(world.fair_id), "--format", "csv",
        "--kind", "invitations", "--as", world.emails["admin"],
    )  # fmt: skip
    assert code == 0, stderr
    target = out / "jobmesse-aeroe-oeresund-2026-03-14-invitationer.csv"
    lines = stdout.splitlines()
    assert lines[0] == str(target)
    assert lines[1].startswith(f"{world.invited_reachable} rækker eksporteret")
    assert lines[2].startswith(f"{world.invited - world.invited_reachable} inviterede er udeladt")
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + world.invited_reachable


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "docx"], "Invalid value for '--format': 'docx' is not one of"),
        (["--format", "csv", "--kind", "alt"], "Invalid value for '--kind'"),
        (["--format", "csv"], "Missing option '--as'"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    cli_db: tuple[Engine, Path],
    world: ExportWorld,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code, _, stderr = jobbro(capsys, "export", "shortlist", str(world.fair_id), *args)
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert line.startswith("jobbro: error: ") and message in line
    assert _exports(cli_db[0]) == []


@pytest.mark.parametrize(
    ("who", "fair", "extra", "message"),
    [
        ("organiser", "unknown", [], "jobbro: error: jobmesse 99999 findes ikke"),
        ("nobody", "fair", [], "jobbro: error: der findes ingen aktiv bruger med e-mailen "),
        ("rival", "fair", [], "må ikke eksportere jobmessen: kun arrangører og administratorer i "),
        ("employer", "fair", [], "må ikke eksportere jobmessen"),
        ("counsellor", "fair", [], "må ikke eksportere jobmessen"),
        ("organiser", "empty", [], "Der er ingen personer på jobmessens lister endnu."),
        ("organiser", "fair", ["--kind", "invitations", "--format", "pdf"],
         "Invitationslisten laves kun som CSV (til brevfletning)."),
        ("organiser", "fair", ["--output", "/no/such/folder/fil.csv"],
         "jobbro: error: mappen /no/such/folder findes ikke"),
    ],
)  # fmt: skip
def test_refusals_are_clear_exit_1_and_write_nothing(
    cli_db: tuple[Engine, Path],
    world: ExportWorld,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    fair: str,
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(out)
    fair_id = {"unknown": 99999, "fair": world.fair_id, "empty": world.empty_fair_id}[fair]
    email = world.emails.get(who, "ingen@eksport.dk")
    options = extra if "--format" in extra else ["--format", "csv", *extra]
    code, stdout, stderr = jobbro(
        capsys, "export", "shortlist", str(fair_id), *options, "--as", email
    )
    assert code == 1 and stdout == ""
    [line] = stderr.strip().splitlines()
    assert line.startswith("jobbro: error: ") and message in line
    assert _exports(cli_db[0]) == []
    assert list(out.iterdir()) == []


def test_a_failing_export_is_reported_and_leaves_no_file(
    cli_db: tuple[Engine, Path],
    world: ExportWorld,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(groups, *, fair, progress):  # noqa: ANN001, ANN202
        raise MemoryError("Søren Ærbødig0 …")

    monkeypatch.setattr(pdf, "shortlist_pdf", broken)
    code, stdout, stderr = jobbro(
        capsys, "export", "shortlist", str(world.fair_id), "--format", "pdf",
        "--as", world.emails["organiser"], "--output", str(out / "liste.pdf"),
    )  # fmt: skip
    assert code == 1 and stdout == ""
    assert stderr.strip().splitlines()[-1] == (
        "jobbro: error: Eksporten kunne ikke laves (MemoryError). Prøv igen, eller kontakt support."
    )
    assert list(out.iterdir()) == []
    [export] = _exports(cli_db[0])
    assert export.status is ExportStatus.FAILED
    assert not cli_db[1].exists() or list(cli_db[1].iterdir()) == []
