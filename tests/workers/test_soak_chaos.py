"""The whole system under users while a worker is killed and Redis and PostgreSQL restart:
the CI-sized run of ``bench/soak_chaos.py`` (10 users, 60 s) on a PostgreSQL cluster and a
Redis server of its own (the suite's are never restarted)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

SCRIPT = ROOT / "bench" / "soak_chaos.py"


def _can_own_services() -> str | None:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return "no PostgreSQL server binaries to start a cluster of its own"
    if shutil.which("redis-server") is None:
        return "no redis-server to start one of its own"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_can_own_services() is not None, reason=str(_can_own_services()))
def test_users_keep_working_through_a_killed_worker_and_redis_and_postgres_restarts(
    tmp_path: Path,
) -> None:
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--users", "10", "--seconds", "60", "--size", "100",
         "--think-ms", "2000", "--settle", "60", "--json-out", str(out),
         "--keep-logs", str(tmp_path / "logs")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(out.read_text())
    detail = json.dumps({k: v for k, v in report.items() if k != "memory"}, indent=1)

    # The users did the work the soak is about.
    answers = report["answers"]
    assert answers["by_status"].get("2xx", 0) > 100, detail
    lost = report["lost_after_nightly_recompute"]
    assert lost["saved_vacancies"] + lost["saved_cvs"] > 0, detail

    # Each fault happened, and the system came back from it within 30 s: the portal answers
    # and a worker takes jobs again (the killed worker was restarted by its supervisor).
    faults = {f["fault"]: f for f in report["faults"]}
    assert set(faults) == {"SIGKILL worker", "restart Redis", "restart PostgreSQL"}, detail
    for fault in faults.values():
        assert fault["portal_first_2xx_after_s"] is not None, detail
        assert fault["portal_first_2xx_after_s"] <= 30, detail
        assert fault["job_recovery_s"] is not None and fault["job_recovery_s"] <= 30, detail
    assert report["supervisor"]["worker_restarts_logged"] >= 1, detail
    assert report["supervisor"]["serve_running_at_end"], detail
    assert report["supervisor"]["second_worker_gave_up"] is None, detail

    # 5xx (or no answer) only for requests that overlapped the PostgreSQL outage.
    assert answers["errors_outside_postgres_outage"] == 0, detail

    # No duplicate effects.
    duplicates = report["duplicates"]
    for key in ("open_referral_pairs_twice", "forwardings_twice", "notifications_twice",
                "emails_twice"):  # fmt: skip
        assert duplicates[key] == 0, detail

    # No lost work once the nightly catch-up has run: every saved vacancy and CV has a list
    # computed after its last save, every requested export is done or failed (to retry).
    assert lost["vacancies_without_current_list"] == [], detail
    assert lost["cvs_without_current_list"] == [], detail
    assert lost["exports_not_done_or_failed"] == 0, detail
