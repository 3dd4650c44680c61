"""What ``jobbro serve`` does with its processes: start them, restart a crashed one, stop all.

Each child runs in a process group of its own, so stopping it also stops what it started
itself (RQ's scheduler process, gunicorn's workers) and nothing is left orphaned. A child that
exits while the server runs (the kernel's out-of-memory killer, a bug) is restarted after a
back-off that doubles with each crash, and the others keep running: the portal answers while
the worker comes back. A child that keeps crashing (:data:`MAX_CRASHES` within
:data:`CRASH_WINDOW_SECONDS`) stops the server with a message naming it, rather than a
restart loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("jobbro.serve")

MAX_CRASHES = 5
CRASH_WINDOW_SECONDS = 60.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.5


class SupervisionFailed(Exception):
    """A child crashed too often; the message names it and its last exit code."""


@dataclass
class Child:
    """One supervised process: its name (worker, scheduler, web) and command."""

    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


class Supervisor:
    """Starts ``children``, keeps them running until :meth:`stop` (or a signal), stops them."""

    def __init__(
        self,
        children: Sequence[Child],
        env: Mapping[str, str],
        *,
        max_crashes: int = MAX_CRASHES,
        crash_window: float = CRASH_WINDOW_SECONDS,
        first_backoff: float = FIRST_BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = list(children)
        self.env = dict(env)
        self.max_crashes = max_crashes
        self.crash_window = crash_window
        self.first_backoff = first_backoff
        self.clock = clock
        self.stopping = False

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        # A session (and process group) of its own: its whole tree can be signalled at once,
        # and a Ctrl+C in the terminal reaches only `serve`, which then stops everyone in order.
        child.process = subprocess.Popen(list(child.argv), env=self.env, start_new_session=True)
        child.restart_at = None
        log.info("started the %s process (pid %d)", child.name, child.process.pid)

    def request_stop(self, _signum: int = 0, _frame: object = None) -> None:
        self.stopping = True

    def run(self) -> None:
        """Supervise until a stop is requested; raises :class:`SupervisionFailed` when a child
        crashed :attr:`max_crashes` times within :attr:`crash_window` seconds."""
        while not self.stopping:
            self.check()
            time.sleep(POLL_SECONDS)

    def check(self) -> None:
        """One round: note exited children, restart those whose back-off is over."""
        now = self.clock()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at and not self.stopping:
                    self._spawn(child)
                continue
            code = child.process.poll() if child.process is not None else None
            if code is None:
                continue
            _signal_group(child.process.pid, signal.SIGKILL)  # what it left behind
            child.crashes.append(now)
            while child.crashes and now - child.crashes[0] > self.crash_window:
                child.crashes.popleft()
            if len(child.crashes) >= self.max_crashes:
                raise SupervisionFailed(
                    f"the {child.name} process exited {len(child.crashes)} times within "
                    f"{self.crash_window:.0f} seconds (last exit code {code}); "
                    "stopping instead of restarting it again (see the log above)"
                )
            delay = min(MAX_BACKOFF_SECONDS, self.first_backoff * 2 ** (len(child.crashes) - 1))
            child.restart_at = now + delay
            log.error(
                "the %s process (pid %d) exited with code %s; restarting it in %.0f s "
                "(%d of %d exits allowed within %.0f s)",
                child.name, child.process.pid, code, delay, len(child.crashes),
                self.max_crashes - 1, self.crash_window,
            )  # fmt: skip

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM to every child's process group, SIGKILL to what is left after ``timeout``."""
        self.stopping = True
        running = [c.process for c in self.children if c.process is not None]
        for process in running:
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("pid %d did not stop within %.0f s; killing it", process.pid, timeout)
        for process in running:
            # The leader may be gone while its own children linger: end the whole group.
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
