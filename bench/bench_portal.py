"""Load test of the counsellor's candidate-list page on PostgreSQL (prints JSON).

    python bench/bench_portal.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench \
        [--users 50] [--think-ms 2000] [--seconds 60] [--web-workers 4] [--vacancies 20]

The database must hold computed match lists: run ``bench/bench_match.py`` against it first
(e.g. ``--size 100000 --real-sample 1000 --throughput 400``), which seeds the demo data set and
stores the lists of a few hundred vacancies.

The script picks the organisation responsible for the most listed people among the stored
lists of 100 candidates, gives it a bench counsellor (created once, ``bench-jobraadgiver@…``),
and takes the ``--vacancies`` lists where that counsellor sees the most people. It starts the
portal as ``jobbro serve`` does (gunicorn with ``portal/gunicorn_conf.py``, ``portal.wsgi:app``)
and logs in through the login form once. After a warm-up, two measurements of a random one of
those candidate pages (page 1, 25 people with chips, an audit row written per view):

- ``--users`` counsellors in locust (bench/locustfile.py) who pause ``--think-ms`` on average
  between pages (0.5x to 1.5x; a counsellor reading a list pauses far longer), with the time
  gunicorn itself spent per request from its access log beside locust's;
- ``--users`` wrk connections back to back without pauses: the capacity of the machine.

Needs locust (``pip install -e '.[bench]'``) and ``wrk`` on PATH (Debian: ``apt-get install
wrk``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.security import hash_password
from matching.models import Jobseeker, Match, Membership, Organisation, Role, User
from matching.people.queries import _responsible_now

BENCH_EMAIL = "bench-jobraadgiver@bench.jobbro.dk"
LIST_SIZE = 100
WARMUP_SECONDS = 10
SETTLE_SECONDS = 5

LUA = """
paths = {%s}
cookie = "%s"
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Cookie"] = cookie})
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %%d, \\"non2xx\\": %%d, \\"errors\\": %%d, "
    .. "\\"p50\\": %%.1f, \\"p90\\": %%.1f, \\"p95\\": %%.1f, \\"p99\\": %%.1f, \\"max\\": %%.1f, "
    .. "\\"mean\\": %%.1f, \\"seconds\\": %%.2f}\\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    latency.mean / 1000, summary.duration / 1e6))
end
"""


def choose_lists(session: Session, count: int) -> tuple[int, list[int]]:
    """The organisation seeing the most people in full lists, and its best ``count`` lists."""
    full = (
        select(Match.vacancy_id)
        .where(Match.rank.is_not(None))
        .group_by(Match.vacancy_id)
        .having(func.count() >= LIST_SIZE)
        .subquery()
    )
    rows = []
    today = today_dk()
    for organisation_id in session.scalars(select(Organisation.id)):
        visible = session.execute(
            select(Match.vacancy_id, func.count())
            .join(Jobseeker, Jobseeker.id == Match.jobseeker_id)
            .where(
                Match.vacancy_id.in_(select(full.c.vacancy_id)),
                Match.rank.is_not(None),
                _responsible_now(organisation_id, today),
            )
            .group_by(Match.vacancy_id)
            .order_by(func.count().desc(), Match.vacancy_id)
            .limit(count)
        ).all()
        if visible:
            rows.append((sum(n for _, n in visible), organisation_id, [v for v, _ in visible]))
    if not rows:
        raise SystemExit("No stored lists of 100 candidates: run bench/bench_match.py first.")
    _, organisation_id, vacancies = max(rows)
    return organisation_id, vacancies


def bench_user(session: Session, organisation_id: int, password: str) -> None:
    user = session.scalar(select(User).where(User.email == BENCH_EMAIL))
    if user is None:
        user = User(email=BENCH_EMAIL, name="Bench Jobrådgiver", password_hash="")
        session.add(user)
    user.password_hash = hash_password(password)
    user.active = True
    user.memberships = []
    session.flush()  # a re-run replaces the membership: delete before insert
    user.memberships = [Membership(organisation_id=organisation_id, role=Role.COUNSELLOR)]
    session.commit()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The portal did not answer at {url}")


def login(base: str, password: str) -> str:
    """Log in through the form (CSRF token and all) and return the session cookie."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": BENCH_EMAIL, "password": password}
    ).encode()
    try:
        opener.open(f"{base}/login", data=form).read()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")
        reason = re.findall(r'class="(?:form-error-message|alert-text)"[^>]*>(.*?)<', body)
        raise SystemExit(f"Login failed: HTTP {exc.code} {reason}") from exc
    cookies = {c.name: c.value for c in jar}
    if "jobbro_session" not in cookies:
        raise SystemExit("Login failed: no session cookie")
    return f"jobbro_session={cookies['jobbro_session']}"


def run_wrk(base: str, script: Path, users: int, seconds: int) -> dict:
    threads = min(2, users)
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{users}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(script), base],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    lines = [x for x in done.stdout.splitlines() if x.startswith("JSON ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    line = lines[0]
    result = json.loads(line[5:])
    result["requests_per_second"] = round(result["requests"] / result["seconds"], 1)
    return result


def run_locust(
    base: str,
    tmp: str,
    vacancies: list[int],
    users: int,
    seconds: int,
    think_ms: int,
    cookie: str,
) -> dict:
    """``users`` counsellors with pauses between pages (bench/locustfile.py), headless."""
    env = {
        **os.environ,
        "JOBBRO_BENCH_PATHS": ",".join(f"/stillinger/{v}/kandidater" for v in vacancies),
        "JOBBRO_BENCH_THINK_MS": str(think_ms),
        "JOBBRO_BENCH_COOKIE": cookie,
    }
    prefix = Path(tmp) / "locust"
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
         "--headless", "--host", base, "-u", str(users), "-r", str(users),
         "--run-time", f"{seconds}s", "--csv", str(prefix), "--only-summary"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    rows = list(csv.DictReader(prefix.with_name("locust_stats.csv").open(encoding="utf-8")))
    row = next((r for r in rows if r["Name"] == "/stillinger/[id]/kandidater"), None)
    if done.returncode not in (0, 1) or row is None:
        raise SystemExit(f"locust failed:\n{done.stdout}\n{done.stderr}")
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
        "max": float(row["Max Response Time"]),
        "requests_per_second": round(float(row["Requests/s"]), 1),
    }


def server_times(log: Path, skip: int) -> dict[str, float]:
    """Percentiles of the time gunicorn spent per request (from its access log, in µs)."""
    times = sorted(
        int(line.split()[1]) / 1000 for line in log.read_text().splitlines()[skip:] if line
    )
    if not times:
        return {}
    pick = lambda p: round(times[min(len(times) - 1, int(p / 100 * len(times)))], 1)  # noqa: E731
    return {"p50": pick(50), "p95": pick(95), "p99": pick(99), "max": times[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--vacancies", type=int, default=20)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument(
        "--think-ms", type=int, default=2000,
        help="mean pause of each user between pages (uniform, 0.5x to 1.5x)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    engine = create_engine(args.database_url)
    password = secrets.token_urlsafe(16)
    with Session(engine) as session:
        organisation_id, vacancies = choose_lists(session, args.vacancies)
        bench_user(session, organisation_id, password)
        shown = session.scalar(
            select(func.count())
            .select_from(Match)
            .join(Jobseeker, Jobseeker.id == Match.jobseeker_id)
            .where(
                Match.vacancy_id.in_(vacancies),
                Match.rank.is_not(None),
                _responsible_now(organisation_id, today_dk()),
            )
        )
        rows = session.scalar(text("SELECT count(*) FROM matches"))
    report: dict[str, object] = {
        "benchmark": "candidate_list_page",
        "users": args.users,
        "web_workers": args.web_workers,
        "worker_class": args.worker_class,
        "think_ms": args.think_ms,
        "vacancies": len(vacancies),
        "mean_visible_candidates": round(shown / len(vacancies), 1),
        "match_rows_in_database": rows,
    }

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "JOBBRO_DATABASE_URL": args.database_url,
            "JOBBRO_DATA_DIR": tmp,
            "JOBBRO_SECRET_KEY": secrets.token_hex(32),
        }
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:portal.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.web_workers), "--worker-class", args.worker_class,
             "--access-logfile", f"{tmp}/access.log",
             "--access-logformat", "%(s)s %(D)s",
             "portal.wsgi:app"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/web.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        try:
            wait_for(f"{base}/healthz")
            cookie = login(base, password)
            paths = ", ".join(f'"/stillinger/{v}/kandidater"' for v in vacancies)
            busy = Path(tmp) / "busy.lua"
            busy.write_text(LUA % (paths, cookie), encoding="utf-8")
            run_wrk(base, busy, args.users, WARMUP_SECONDS)
            time.sleep(SETTLE_SECONDS)  # let the server finish what the warm-up left queued
            log = Path(tmp) / "access.log"
            before = len(log.read_text().splitlines())
            report["users_with_think_time_ms"] = run_locust(
                base, tmp, vacancies, args.users, args.seconds, args.think_ms, cookie
            )
            report["users_with_think_time_ms"]["server_ms"] = server_times(log, before)
            report["back_to_back_ms"] = run_wrk(base, busy, args.users, args.seconds)
        finally:
            web.terminate()
            web.wait(timeout=30)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
