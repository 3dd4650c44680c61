"""The jobbro command as a user runs it: its environment and a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT


def cli_variables(tmp_path: Path) -> dict[str, str]:
    """The JOBBRO_* settings of a fresh SQLite database and data folder below ``tmp_path``
    (no JOBBRO_REDIS_URL: the command starts its embedded Redis)."""
    return {
        "JOBBRO_DATA_DIR": str(tmp_path / "var"),
        "JOBBRO_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "JOBBRO_SECRET_KEY": "cli-test-secret-key-long-enough-0123456789",
    }


def cli_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment without its JOBBRO_* settings, plus :func:`cli_variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBRO_")}
    env.update(cli_variables(tmp_path))
    return env


def run_jobbro(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``jobbro ARGS`` in a child process from the project folder."""
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
