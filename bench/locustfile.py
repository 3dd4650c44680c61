"""Counsellors reading candidate lists, for ``bench/bench_portal.py`` (locust).

Each simulated counsellor carries the session cookie ``JOBBRO_BENCH_COOKIE`` (the bench logs in
once: fifty argon2 password checks at the start would measure logging in, not lists) and opens a
random candidate list of ``JOBBRO_BENCH_PATHS`` (comma-separated), pausing
``JOBBRO_BENCH_THINK_MS`` on average (0.5x to 1.5x) between pages, as a browser does: a new
request only after the pause. FastHttpUser keeps the client's own CPU use low, which matters
when it shares two cores with the server.
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, task

PATHS = [p for p in os.environ.get("JOBBRO_BENCH_PATHS", "").split(",") if p]
THINK_SECONDS = int(os.environ.get("JOBBRO_BENCH_THINK_MS", "2000")) / 1000
COOKIE = os.environ.get("JOBBRO_BENCH_COOKIE", "")


class Counsellor(FastHttpUser):
    def wait_time(self) -> float:
        return random.uniform(THINK_SECONDS / 2, THINK_SECONDS * 1.5)

    def on_start(self) -> None:
        # Users arrive over one pause, not all in the same instant: fifty simultaneous first
        # requests would measure a thundering herd that counsellors never produce.
        self.wait()

    @task
    def candidate_list(self) -> None:
        self.client.get(
            random.choice(PATHS), name="/stillinger/[id]/kandidater", headers={"Cookie": COOKIE}
        )
