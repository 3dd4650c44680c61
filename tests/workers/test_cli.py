"""The jobbro command as a user runs it: real processes, a real database, a real Redis."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli import cli_env as support_cli_env
from tests.support.cli import run_jobbro
from tests.support.paths import ROOT


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """A fresh SQLite database and data folder, embedded Redis (no JOBBRO_REDIS_URL)."""
    return support_cli_env(tmp_path)


def test_help_everywhere(cli_env: dict[str, str]) -> None:
    for args in ([], ["--help"], ["db", "--help"], ["seed", "--help"], ["serve", "--help"],
                 ["worker", "--help"], ["taxonomy", "import", "--help"]):  # fmt: skip
        result = run_jobbro(*args, env=cli_env)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage: jobbro" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["seed", "--demo", "--size", "many"],
        ["seed", "--demo", "--size", "10"],
        ["seed"],
        ["serve", "--port", "70000"],
        ["taxonomy", "import", "/no/such/file.tsv"],
        ["taxonomy", "import", "x.tsv", "--format", "xml"],
        ["worker", "--queue", "nope"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(cli_env: dict[str, str], args: list[str]) -> None:
    result = run_jobbro(*args, env=cli_env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jobbro: error: ")
    assert "Traceback" not in result.stderr


def test_invalid_setting_fails_with_one_clear_message(cli_env: dict[str, str]) -> None:
    env = dict(cli_env, JOBBRO_DATABASE_URL="mysql://x@y/z")
    result = run_jobbro("db", "upgrade", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "jobbro: error: Invalid configuration: JOBBRO_DATABASE_URL must point at "
        "PostgreSQL or SQLite, got 'mysql'"
    ]


def test_unreachable_database_names_the_variable(cli_env: dict[str, str]) -> None:
    env = dict(cli_env, JOBBRO_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = run_jobbro("db", "upgrade", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("jobbro: error: JOBBRO_DATABASE_URL: cannot connect")


def test_unreachable_redis_names_the_variable(cli_env: dict[str, str]) -> None:
    assert run_jobbro("db", "upgrade", env=cli_env).returncode == 0
    env = dict(cli_env, JOBBRO_REDIS_URL="redis://127.0.0.1:1/0")
    result = run_jobbro("worker", "--burst", env=env)
    assert result.returncode == 1
    assert "JOBBRO_REDIS_URL: cannot connect" in result.stderr


def test_upgrade_taxonomy_seed_and_garbage_import(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run_jobbro("db", "upgrade", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "Database at revision" in result.stdout
    assert run_jobbro("db", "current", env=cli_env).stdout.strip().endswith("up to date")

    result = run_jobbro("taxonomy", "builtin", env=cli_env)
    assert result.returncode == 0, result.stderr

    garbage = tmp_path / "garbage.tsv"
    garbage.write_bytes(b"\x00\x01\x02 not a taxonomy")
    result = run_jobbro("taxonomy", "import", str(garbage), env=cli_env)
    assert result.returncode == 1
    assert result.stderr.startswith("jobbro: error: ") and "garbage.tsv" in result.stderr

    result = run_jobbro("seed", "--demo", "--size", "60", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "Demo logins:" in result.stdout
    again = run_jobbro("seed", "--demo", "--size", "60", "--if-empty", env=cli_env)
    assert again.returncode == 0 and "already present" in again.stdout
    refused = run_jobbro("seed", "--demo", "--size", "60", env=cli_env)
    assert refused.returncode == 1 and refused.stderr.startswith("jobbro: error: ")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - localhost only
        return response.status, response.read().decode()


def test_serve_runs_portal_worker_and_embedded_redis_then_stops_cleanly(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # The fake encoder keeps the start-up backfill fast; everything else is the real thing.
    env = dict(cli_env, JOBBRO_ENV="test", JOBBRO_ENCODER="fake")
    assert run_jobbro("db", "upgrade", env=env).returncode == 0
    assert run_jobbro("seed", "--demo", "--size", "60", env=env).returncode == 0
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "serve", "--port", str(port), "--web-workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    socket_path = tmp_path / "var" / "redis" / "redis.sock"
    try:
        deadline = time.monotonic() + 60
        status, body = 0, ""
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.3)
        assert status == 200, body
        assert json.loads(body)["database"] == "ok"
        assert socket_path.exists()

        # The worker started by `serve` takes jobs from the embedded Redis.
        import redis
        from rq.job import Job as RQJob

        from workers.queues import Job, QueueName, enqueue

        conn = redis.Redis.from_url(f"unix://{socket_path}")
        job = enqueue(conn, Job.CHECK_WORKER, queue=QueueName.ENCODE)
        # serve queued the embedding backfill and the match lists at start; the worker takes
        # them in queue order (match, encode, …, maintenance) and computes lists one by one.
        database = sqlite3.connect(tmp_path / "cli.sqlite3")
        lists = 0
        for _ in range(1200):
            if job.get_status(refresh=True) == "finished":
                lists = database.execute("SELECT count(*) FROM match_runs").fetchone()[0]
                if lists:
                    break
            time.sleep(0.1)
        database.close()
        assert job.get_status() == "finished"
        backfill = RQJob.fetch("encode_all-vacancy", connection=conn)
        assert backfill.get_status() == "finished"
        assert backfill.return_value()["encoded"] == backfill.return_value()["total"] >= 500
        startup = RQJob.fetch("recompute_stale_matches-startup", connection=conn)
        assert startup.get_status() == "finished"
        assert startup.return_value()["vacancy"] > 0 and startup.return_value()["jobseeker"] > 0
        assert lists > 0, "no match list was computed by the worker"

        status, page = _get(f"http://127.0.0.1:{port}/login")
        assert status == 200 and 'lang="da"' in page
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert not socket_path.exists(), "embedded Redis was not stopped"
