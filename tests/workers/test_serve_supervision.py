"""`jobbro serve` as a single-machine server: a killed worker comes back while the portal keeps
answering, nothing outlives the server, and a child that keeps crashing stops it clearly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_jobbro
from tests.support.paths import ROOT
from workers.supervisor import Child, SupervisionFailed, Supervisor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:  # noqa: S310
            return answer.status
    except OSError:
        return 0


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def _descendants(pid: int) -> set[int]:
    seen: set[int] = set()
    todo = _children(pid)
    while todo:
        child = todo.pop()
        if child not in seen:
            seen.add(child)
            todo += _children(child)
    return seen


def _worker_pid(serve_pid: int) -> int | None:
    for pid in _children(serve_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"workers.cli" in command and b"worker" in command and _alive(pid):
            return pid
    return None


def _wait_for(condition, seconds: float):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


def test_a_killed_worker_is_restarted_while_the_portal_answers_and_nothing_outlives_serve(
    tmp_path: Path,
) -> None:
    env = dict(cli_env(tmp_path), JOBBRO_ENV="test", JOBBRO_ENCODER="fake")
    assert run_jobbro("db", "upgrade", env=env).returncode == 0
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log_file:
        serve = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "serve", "--port", str(port),
             "--web-workers", "1"],
            env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    seen: set[int] = set()
    try:
        assert _wait_for(lambda: _healthz(port) == 200, 90), log_path.read_text()
        first = _wait_for(lambda: _worker_pid(serve.pid), 30)
        assert first, log_path.read_text()
        seen |= _descendants(serve.pid)

        os.kill(first, signal.SIGKILL)  # what the out-of-memory killer does
        for _ in range(5):  # the portal answers all along
            assert _healthz(port) == 200, log_path.read_text()
            assert serve.poll() is None, log_path.read_text()
            time.sleep(0.3)
        second = _wait_for(lambda: _worker_pid(serve.pid) not in (None, first), 30)
        assert second, log_path.read_text()
        second_pid = _worker_pid(serve.pid)
        assert second_pid is not None and second_pid != first
        assert _wait_for(lambda: _healthz(port) == 200, 10)
        time.sleep(2)  # the new worker's own children (RQ's scheduler) have started
        seen |= _descendants(serve.pid)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    log = log_path.read_text()
    assert serve.returncode == 0, log
    assert "the worker process" in log and "exited with code -9; restarting it" in log
    assert len(seen) >= 3  # worker, scheduler, gunicorn and their own children
    survivors = _wait_for(lambda: not [pid for pid in seen if _alive(pid)], 10)
    assert survivors, f"left running: {[pid for pid in seen if _alive(pid)]}\n{log}"


def test_a_child_that_keeps_crashing_stops_the_server_with_a_clear_error() -> None:
    crashing = Child("worker", [sys.executable, "-c", "import sys; sys.exit(3)"])
    steady = Child("web", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([crashing, steady], os.environ, first_backoff=0.01)
    supervisor.start()
    pids: list[int] = []
    try:
        with pytest.raises(SupervisionFailed) as info:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if crashing.pid not in pids:
                    pids.append(crashing.pid)
                supervisor.check()
                time.sleep(0.05)
    finally:
        supervisor.stop(timeout=5)
    message = str(info.value)
    assert "the worker process exited 5 times within 60 seconds" in message
    assert "last exit code 3" in message
    assert len(pids) == 5  # started once and restarted four times, then given up
    assert not _alive(steady.pid)
