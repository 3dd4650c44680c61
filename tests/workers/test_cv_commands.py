"""`jobbro cv parse`: a CV file read into a draft from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.cv_documents import docx, tiny_png
from tests.support.paths import FIXTURES
from workers.cli import cli, main

LINES = [
    "Mette Hansen",
    "mette@example.dk",
    "Erfaren lagermedarbejder",
    "# Erfaring",
    "Lagermedarbejder, Netto A/S, 2019 - nu",
    "# Kørekort",
    "B",
]


@pytest.fixture
def cv_file(tmp_path: Path) -> Path:
    path = tmp_path / "cv.docx"
    path.write_bytes(docx(LINES))
    return path


@pytest.fixture(autouse=True)
def no_jobbro_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("JOBBRO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JOBBRO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JOBBRO_DATABASE_URL", f"sqlite:///{tmp_path / 'none.sqlite3'}")


def test_json_without_normalisation(cv_file: Path) -> None:
    result = CliRunner().invoke(cli, ["cv", "parse", str(cv_file), "--json", "--no-normalise"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["media_type"].endswith("wordprocessingml.document")
    assert data["cv"]["headline"] == "Erfaren lagermedarbejder"
    assert data["cv"]["experiences"][0]["title"] == "Lagermedarbejder"
    assert data["cv"]["experiences"][0]["isco_code"] is None
    assert data["cv"]["driving_licences"] == ["B"]
    assert "mette@example.dk" not in json.dumps(data["cv"])


def test_text_output(cv_file: Path) -> None:
    result = CliRunner().invoke(cli, ["cv", "parse", str(cv_file), "--no-normalise"])
    assert result.exit_code == 0, result.output
    assert "headline:  Erfaren lagermedarbejder" in result.output
    assert "2019–nu" in result.output


def test_lexical_normalisation_with_a_taxonomy_file(cv_file: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["cv", "parse", str(cv_file), "--json", "--variant", "lexical",
         "--taxonomy", str(FIXTURES / "occupations" / "tiny.tsv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    experience = json.loads(result.output)["cv"]["experiences"][0]
    assert experience["isco_code"] == "9333"
    assert experience["esco_uri"] == "http://example.org/occupation/warehouse-worker"
    assert experience["occupation_label"] == "lagerarbejder"


def test_a_refused_file_exits_2_with_the_danish_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cv.docx"
    path.write_bytes(tiny_png())
    assert main(["cv", "parse", str(path), "--no-normalise"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "indholdet er et billede (PNG)" in captured.err
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1


def test_a_refused_file_is_refused_before_any_model_or_database(tmp_path: Path) -> None:
    path = tmp_path / "cv.pdf"
    path.write_bytes(b"")
    result = CliRunner().invoke(cli, ["cv", "parse", str(path)])  # with normalisation
    assert result.exit_code == 2
    assert "Filen er tom" in result.output
