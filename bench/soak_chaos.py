"""Soak and chaos test of the whole system (prints JSON, then a Markdown table).

    python bench/soak_chaos.py [--users 50] [--seconds 600] [--think-ms 3000] [--size 500]
        [--encoder fake|onnx] [--web-workers 2] [--json-out FILE]

Starts a PostgreSQL cluster (``initdb`` in a temporary folder) and a Redis server of its own on
free ports of 127.0.0.1, creates the database ``soak_<pid>``, seeds the demo data (``--size``
people) and runs the system as ``jobbro serve`` does (gunicorn, a worker and the scheduler under
its supervisor) plus a second worker under the same supervisor code. Then ``--users`` simulated
users with think time (counsellors, employers and a fair organiser logging in with the demo
logins) browse caseloads and candidate lists, save vacancies (match jobs), edit CVs in the CV
editor, refer candidates and request fair exports, while a chaos schedule:

1. at 20 % of the run SIGKILLs a worker in the middle of a job (the supervisor restarts it);
2. at 45 % stops Redis for ``--redis-down`` seconds and starts it again, empty (as deployed:
   nothing persisted);
3. at 70 % stops PostgreSQL (``pg_ctl -m fast``) for ``--pg-down`` seconds and starts it again.

After the run the queues are given ``--settle`` seconds, the check is made, then the nightly
``recompute_stale_matches`` is run once and the check made again. The report: answers by
status and every 5xx (or unanswered request) with the windows they fell in; lost jobs (saved
vacancies and CVs whose list was computed before the save; exports not done or failed); duplicate
effects (open referrals per vacancy and person, forwardings, notifications, e-mails in the
outbox); each process's memory at the start and end of the load; the recovery after each fault
(first 2xx answer, first finished probe job).

Nothing of the machine's own PostgreSQL or Redis is used or restarted; everything is removed at
the end.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import hashlib
import json
import logging
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from soak_support import (  # noqa: E402
    PYTHON,
    ROOT,
    Answer,
    Browser,
    OwnPostgres,
    OwnRedis,
    Recorder,
    forms,
    free_port,
    jobbro,
    links,
    system_processes,
)

COUNSELLORS = [
    "raadgiver@jobcenter-odense.demo",
    "raadgiver@jobcenter-koebenhavn.demo",
    "raadgiver@jobcenter-aalborg.demo",
    "raadgiver@3f-a-kasse.demo",
    "raadgiver@foa-a-kasse.demo",
    "raadgiver@akademikernes-a-kasse.demo",
]
EMPLOYERS = ["arbejdsgiver@fynsk-lager-logistik.demo", "arbejdsgiver@odense-aeldrepleje.demo"]
ORGANISERS = ["arrangoer@jobmesse-fyn.demo"]
# Every tenth user organises fairs, three in ten are employers, the rest counsellors.
ROLE_CYCLE = ["counsellor", "employer", "counsellor", "counsellor", "employer",
              "counsellor", "organiser", "counsellor", "employer", "counsellor"]  # fmt: skip
RECOVERY_LIMIT_SECONDS = 30
WARMUP_LIMIT_SECONDS = 900
ERROR_WINDOW_GAP_SECONDS = 3.0


class RestartLog(logging.Handler):
    """Counts the restarts the supervisor of the second worker logs (``serve`` logs its own)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.restarts = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "restarting it" in record.getMessage():
            self.restarts += 1


@dataclass
class Touched:
    """What the users changed, to check afterwards that the work it asked for was done."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    vacancies: dict[int, float] = field(default_factory=dict)
    cvs: dict[int, float] = field(default_factory=dict)
    exports: set[int] = field(default_factory=set)
    referrals: int = 0
    retries_pressed: int = 0

    def add(self, kind: str, subject_id: int) -> None:
        with self.lock:
            if kind == "export":
                self.exports.add(subject_id)
            else:
                getattr(self, kind)[subject_id] = time.monotonic()


# --- the simulated users ----------------------------------------------------------------------


class User(threading.Thread):
    def __init__(self, number: int, base: str, recorder: Recorder, touched: Touched,
                 stop: threading.Event, think: float, seed: int) -> None:  # fmt: skip
        super().__init__(name=f"user-{number}", daemon=True)
        self.role = ROLE_CYCLE[number % len(ROLE_CYCLE)]
        logins = {"counsellor": COUNSELLORS, "employer": EMPLOYERS, "organiser": ORGANISERS}
        self.email = logins[self.role][number % len(logins[self.role])]
        self.browser = Browser(base, recorder)
        self.touched = touched
        self.stop_event = stop
        self.think = think
        self.random = random.Random(seed * 1000 + number)
        self.logged_in = False
        self.people: list[str] = []
        self.vacancies: list[str] = []
        self.own_exports: list[int] = []

    def pause(self, factor: float = 1.0) -> None:
        self.stop_event.wait(self.random.uniform(0.5, 1.5) * self.think * factor)

    def run(self) -> None:
        self.pause()  # users arrive over one pause, not all at once
        while not self.stop_event.is_set():
            try:
                if not self.logged_in:
                    self.logged_in = self.browser.login(self.email, "demo-jobbro-1")
                    if not self.logged_in:
                        self.pause()
                        continue
                getattr(self, self.role)()
            except LookupError:
                pass  # a page without the expected form (an error page): try something else
            self.pause()

    def _page(self, path: str, name: str) -> Answer:
        answer = self.browser.get(path, name)
        if "/login" in answer.url:
            self.logged_in = False
        return answer

    # counsellors
    def counsellor(self) -> None:
        if not self.people or self.random.random() < 0.1:
            page = self._page("/ledige/", "/ledige/")
            self.people = links(page.text, r"/ledige/\d+") or self.people
        if not self.vacancies or self.random.random() < 0.1:
            page = self._page("/stillinger/", "/stillinger/")
            self.vacancies = links(page.text, r"/stillinger/\d+") or self.vacancies
        action = self.random.choices(
            ["caseload", "candidates", "cv", "refer"], weights=[30, 30, 20, 20]
        )[0]
        if action == "caseload" and self.people:
            self._page(self.random.choice(self.people), "/ledige/[id]")
        elif action == "candidates" and self.vacancies:
            self._page(self.random.choice(self.vacancies) + "/kandidater",
                       "/stillinger/[id]/kandidater")  # fmt: skip
        elif action == "cv" and self.people:
            self.edit_cv(self.random.choice(self.people))
        elif action == "refer" and self.vacancies:
            self.refer(self.random.choice(self.vacancies))

    def edit_cv(self, person: str) -> None:
        page = self._page(person + "/cv", "/ledige/[id]/cv")
        if page.status != 200:
            return
        summary = next(
            (v for f in forms(page.text) if f.action.endswith("/cv") for n, v in f.fields
             if n == "summary"),
            "",
        )  # fmt: skip
        summary = re.sub(r"\s*\[soak [^\]]*\]$", "", summary)
        stamp = f"[soak {secrets.token_hex(3)}]"
        self.pause(0.5)  # typing
        answer = self.browser.submit(page, person + "/cv", "/ledige/[id]/cv (POST)",
                                     summary=f"{summary} {stamp}".strip())  # fmt: skip
        if answer.status == 200 and not answer.url.endswith("/cv"):
            self.touched.add("cvs", int(person.rsplit("/", 1)[1]))

    def refer(self, vacancy: str) -> None:
        page = self._page(vacancy + "/kandidater", "/stillinger/[id]/kandidater")
        targets = [f.action for f in forms(page.text) if f.action.split("?")[0].endswith("/henvis")]
        if page.status != 200 or not targets:
            return
        target = self.random.choice(targets).split("?")[0]
        self.pause(0.5)
        answer = self.browser.submit(page, target, "/stillinger/[id]/kandidater/[id]/henvis",
                                     note="Henvist under belastningstest")  # fmt: skip
        if answer.status == 200:
            with self.touched.lock:
                self.touched.referrals += 1

    # employers
    def employer(self) -> None:
        if not self.vacancies or self.random.random() < 0.1:
            page = self._page("/stillinger/", "/stillinger/")
            self.vacancies = links(page.text, r"/stillinger/\d+") or self.vacancies
        if not self.vacancies:
            return
        vacancy = self.random.choice(self.vacancies)
        action = self.random.choices(["list", "detail", "save"], weights=[30, 30, 40])[0]
        if action == "list":
            self._page("/stillinger/", "/stillinger/")
        elif action == "detail":
            self._page(vacancy, "/stillinger/[id]")
        else:
            page = self._page(vacancy + "/rediger", "/stillinger/[id]/rediger")
            if page.status != 200:
                return
            description = next(
                (v for f in forms(page.text) if f.action.endswith("/rediger")
                 for n, v in f.fields if n == "description"),
                "",
            )  # fmt: skip
            description = re.sub(r"\s*\[soak [^\]]*\]$", "", description)
            self.pause(0.5)
            answer = self.browser.submit(
                page, vacancy + "/rediger", "/stillinger/[id]/rediger (POST)",
                description=f"{description} [soak {secrets.token_hex(3)}]",
            )  # fmt: skip
            if answer.status == 200 and not answer.url.endswith("/rediger"):
                self.touched.add("vacancies", int(vacancy.rsplit("/", 1)[1]))

    # fair organisers
    def organiser(self) -> None:
        fairs = links(self._page("/jobmesser", "/jobmesser").text, r"/jobmesser/\d+")
        if not fairs:
            return
        fair = self.random.choice(fairs)
        action = self.random.choices(
            ["fair", "build", "export", "status"], weights=[30, 15, 25, 30]
        )[0]
        if action == "fair":
            self._page(fair, "/jobmesser/[id]")
        elif action == "build":
            # As an organiser does before exporting: build a vacancy's shortlist (the demo
            # fair's lists start empty, and an export of empty lists is refused).
            lists = links(self._page(fair, "/jobmesser/[id]").text, rf"{fair}/stillinger/\d+")
            if lists:
                page = self._page(self.random.choice(lists), "/jobmesser/[id]/stillinger/[id]")
                if page.status == 200 and any(f.action.endswith("/byg") for f in forms(page.text)):
                    self.browser.submit(
                        page, "/byg", "/jobmesser/[id]/stillinger/[id]/byg (POST)", size="10"
                    )
        elif action == "export":
            page = self._page(fair + "/eksporter", "/jobmesser/[id]/eksporter")
            if page.status != 200:
                return
            kinds = next(
                (f.choices.get("kind", []) for f in forms(page.text)
                 if f.action.endswith("/eksporter")),
                [],
            )  # fmt: skip
            if not kinds:
                return
            answer = self.browser.submit(page, fair + "/eksporter",
                                         "/jobmesser/[id]/eksporter (POST)",
                                         kind=self.random.choice(kinds))  # fmt: skip
            found = re.search(r"/eksporter/(\d+)", answer.url)
            if found:
                self.own_exports.append(int(found.group(1)))
                self.touched.add("export", int(found.group(1)))
        elif self.own_exports:
            # As an organiser does: look at an export, and send it again when offered.
            export_id = self.random.choice(self.own_exports[-5:])
            page = self._page(f"/eksporter/{export_id}", "/eksporter/[id]")
            if page.status == 200 and any("/igen" in f.action for f in forms(page.text)):
                answer = self.browser.submit(page, "/igen", "/eksporter/[id]/igen")
                if answer.status == 200:
                    with self.touched.lock:
                        self.touched.retries_pressed += 1


# --- the system -------------------------------------------------------------------------------


class System:
    """PostgreSQL, Redis, ``jobbro serve`` and the second worker, all of our own."""

    def __init__(self, folder: Path, args: argparse.Namespace) -> None:
        self.folder = folder
        self.args = args
        self.pg = OwnPostgres(folder / "pg")
        self.redis = OwnRedis(folder / "redis")
        self.database = f"soak_{os.getpid()}"
        self.redis_db = 1
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.serve: subprocess.Popen[bytes] | None = None
        self.extra = None  # workers.supervisor.Supervisor of the second worker
        self.extra_thread: threading.Thread | None = None
        self.extra_failed: str | None = None
        self.env: dict[str, str] = {}

    def start(self) -> None:
        self.pg.init()
        self.pg.start()
        self.pg.create_database(self.database)
        self.redis.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBRO_")}
        env.update(
            JOBBRO_DATABASE_URL=self.pg.url(self.database),
            JOBBRO_REDIS_URL=self.redis.url(self.redis_db),
            JOBBRO_DATA_DIR=str(self.folder / "data"),
            JOBBRO_SECRET_KEY=secrets.token_hex(32),
            JOBBRO_ENCODER=self.args.encoder,
            JOBBRO_LOG_LEVEL="INFO",
            TOKENIZERS_PARALLELISM="false",
            HF_HUB_OFFLINE="1",
        )
        if self.args.encoder == "fake":
            env["JOBBRO_ENV"] = "test"  # the fake encoder is refused elsewhere
        if self.args.model_dir:
            env["JOBBRO_MODEL_DIR"] = str(self.args.model_dir)
        self.env = env
        self.flush_redis()
        jobbro("db", "upgrade", env=env)
        jobbro("seed", "--demo", "--size", str(self.args.size), env=env)
        log = (self.folder / "serve.log").open("wb")
        self.serve = subprocess.Popen(
            [PYTHON, "-m", "workers.cli", "serve", "--port", str(self.port),
             "--web-workers", str(self.args.web_workers)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        from workers.supervisor import Child, Supervisor

        # The second worker under the same supervisor code (``exec``: the pid is the worker's).
        log_path = self.folder / "worker2.log"
        command = f'exec "$0" -m workers.cli worker >>"{log_path}" 2>&1'
        second = Child("worker", ["sh", "-c", command, PYTHON])
        self.extra = Supervisor([second], {**env, "PYTHONPATH": str(ROOT)})
        self.extra.start()
        self.extra_thread = threading.Thread(target=self._supervise_extra, daemon=True)
        self.extra_thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.healthy():
            if self.serve.poll() is not None:
                raise RuntimeError(f"jobbro serve exited:\n{self.log_tail()}")
            time.sleep(0.5)
        if not self.healthy():
            raise RuntimeError(f"the portal did not answer:\n{self.log_tail()}")

    def _supervise_extra(self) -> None:
        from workers.supervisor import SupervisionFailed

        try:
            self.extra.run()
        except SupervisionFailed as exc:
            self.extra_failed = str(exc)

    def flush_redis(self) -> None:
        self.connection().flushdb()

    def connection(self):  # noqa: ANN201 - redis.Redis
        import redis

        return redis.Redis.from_url(
            self.redis.url(self.redis_db), socket_timeout=5, socket_connect_timeout=2
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=3) as answer:  # noqa: S310
                return answer.status == 200
        except OSError:
            return False

    def roots(self) -> list[int]:
        pids = [self.serve.pid] if self.serve else []
        if self.extra is not None:
            pids += [c.pid for c in self.extra.children if c.pid]
        return pids

    def worker_pids(self) -> list[int]:
        from rq import Worker

        return [w.pid for w in Worker.all(connection=self.connection()) if w.pid]

    def busy_worker(self, seconds: float) -> tuple[int | None, str | None]:
        """A worker that is running a job (pid, job id), waiting up to ``seconds``."""
        from rq import Worker

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                for worker in Worker.all(connection=self.connection()):
                    job_id = worker.get_current_job_id()
                    if job_id and worker.pid:
                        return worker.pid, job_id
            time.sleep(0.05)
        return None, None

    def queued(self) -> int:
        """Jobs waiting or running on any queue (the scheduler's own periodic ones included)."""
        from rq import Queue
        from rq.registry import StartedJobRegistry

        from workers.queues import ALL_QUEUES

        connection = self.connection()
        total = 0
        for name in ALL_QUEUES:
            total += Queue(name.value, connection=connection).count
            total += len(StartedJobRegistry(name.value, connection=connection))
        return total

    def wait_idle(self, seconds: float) -> float:
        """Wait until the queues are empty (twice in a row); the seconds it took."""
        started = time.monotonic()
        quiet = 0
        while time.monotonic() - started < seconds:
            try:
                quiet = quiet + 1 if self.queued() == 0 else 0
            except Exception:  # noqa: BLE001 - Redis restarting
                quiet = 0
            if quiet >= 2:
                break
            time.sleep(1)
        return time.monotonic() - started

    def probe(self, seconds: float) -> float | None:
        """Seconds until a fresh CHECK_WORKER job has finished (a worker takes jobs and reaches
        the database), or None when it did not within ``seconds``."""
        from rq.job import Job as RQJob

        from workers.queues import Job, enqueue

        started = time.monotonic()
        job_id = f"soak-probe-{secrets.token_hex(4)}"
        enqueued = False
        while time.monotonic() - started < seconds:
            try:
                if not enqueued:
                    enqueue(self.connection(), Job.CHECK_WORKER, job_id=job_id)
                    enqueued = True
                status = RQJob.fetch(job_id, connection=self.connection()).get_status()
                if status == "finished":
                    return round(time.monotonic() - started, 1)
                if status in ("failed", "stopped", "canceled"):
                    enqueued, job_id = False, f"soak-probe-{secrets.token_hex(4)}"
            except Exception:  # noqa: BLE001 - Redis down, job gone with a restart
                enqueued = False
            time.sleep(0.25)
        return None

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join((self.folder / "serve.log").read_text(errors="replace")
                             .splitlines()[-lines:])  # fmt: skip
        return ""

    def stop(self) -> None:
        if self.extra is not None:
            self.extra.request_stop()
            if self.extra_thread is not None:
                self.extra_thread.join(5)
            self.extra.stop(10)
        if self.serve is not None and self.serve.poll() is None:
            self.serve.send_signal(signal.SIGTERM)
            try:
                self.serve.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.serve.pid, signal.SIGKILL)
                self.serve.wait()
        self.redis.stop()
        with contextlib.suppress(Exception):
            subprocess.run(
                [str(self.pg.bin / "dropdb"), "-h", "127.0.0.1", "-p", str(self.pg.port),
                 "-U", "postgres", "--if-exists", self.database],
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        self.pg.stop("fast")


# --- the faults -------------------------------------------------------------------------------


class Chaos(threading.Thread):
    def __init__(self, system: System, seconds: float, started: float, stop: threading.Event,
                 args: argparse.Namespace) -> None:  # fmt: skip
        super().__init__(name="chaos", daemon=True)
        self.system = system
        self.seconds = seconds
        self.started = started
        self.stop_event = stop
        self.args = args
        self.faults: list[dict[str, object]] = []
        self.pg_down: list[tuple[float, float]] = []
        self.error: str | None = None

    def at(self, fraction: float) -> bool:
        return not self.stop_event.wait(
            max(0.0, self.started + fraction * self.seconds - time.monotonic())
        )

    def run(self) -> None:
        try:
            if self.at(0.2):
                self.kill_worker()
            if self.at(0.45):
                self.restart_redis()
            if self.at(0.7):
                self.restart_postgres()
        except Exception as exc:  # noqa: BLE001 - reported, never hidden
            self.error = f"{type(exc).__name__}: {exc}"

    def _fault(self, name: str, began: float, healed: float, **extra: object) -> dict[str, object]:
        fault = {
            "fault": name,
            "at_s": round(began - self.started, 1),
            "down_s": round(healed - began, 1),
            "healed_at": healed,
            **extra,
        }
        fault["job_recovery_s"] = self.system.probe(120)
        self.faults.append(fault)
        return fault

    def kill_worker(self) -> None:
        pid, job_id = self.system.busy_worker(30)
        mid_job = pid is not None
        if pid is None:
            workers = self.system.worker_pids()
            pid = workers[0] if workers else None
        if pid is None:
            self.faults.append({"fault": "SIGKILL worker", "error": "no worker found"})
            return
        began = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        # Healed when two workers (another pid among them) are registered again.
        deadline = began + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                pids = self.system.worker_pids()
                alive = [p for p in pids if p != pid and Path(f"/proc/{p}").exists()]
                if len(alive) >= 2:
                    break
            time.sleep(0.25)
        self._fault("SIGKILL worker", began, time.monotonic(), mid_job=mid_job,
                    killed_job=job_id)  # fmt: skip

    def restart_redis(self) -> None:
        began = time.monotonic()
        self.system.redis.stop()
        time.sleep(self.args.redis_down)
        self.system.redis.start()
        self._fault("restart Redis", began, time.monotonic())

    def restart_postgres(self) -> None:
        began = time.monotonic()
        self.system.pg.stop("fast")
        down = time.monotonic()
        time.sleep(self.args.pg_down)
        self.system.pg.start()
        healed = time.monotonic()
        self.pg_down.append((began, healed))
        self._fault("restart PostgreSQL", began, healed, stop_took_s=round(down - began, 1))


class MemorySampler(threading.Thread):
    def __init__(self, system: System, stop: threading.Event, every: float = 5.0) -> None:
        super().__init__(name="memory", daemon=True)
        self.system = system
        self.stop_event = stop
        self.every = every
        self.peak: dict[int, int] = {}

    def run(self) -> None:
        while not self.stop_event.wait(self.every):
            for entries in system_processes(self.system.roots()).values():
                for pid, rss in entries:
                    self.peak[pid] = max(self.peak.get(pid, 0), rss)


# --- the checks -------------------------------------------------------------------------------


def lost_jobs(system: System, touched: Touched) -> dict[str, object]:
    """Saved vacancies and CVs whose list the product itself counts as missing or stale
    (``matching.ranking.storage.stale_subjects``: computed before the save, or with another
    model or rules version), and the requested exports by state."""
    from sqlalchemy import create_engine, select, text
    from sqlalchemy.orm import Session

    from matching.models import MatchRun
    from matching.ranking.scoring import rules_version
    from matching.ranking.storage import stale_subjects
    from matching.vacancies.queries import matchable_vacancy_ids

    engine = create_engine(system.pg.url(system.database))
    try:
        with Session(engine) as db:
            # The model version the lists are computed with (the encoder's, as the worker's).
            model_version = db.scalar(
                select(MatchRun.model_version).order_by(MatchRun.computed_at.desc()).limit(1)
            )
            stale = {
                kind: set(stale_subjects(db, kind, model_version=model_version or "",
                                         rules_version=rules_version()))
                for kind in ("vacancy", "jobseeker")
            }  # fmt: skip
            matchable = matchable_vacancy_ids(db)
            exports = dict(db.execute(text(
                "SELECT status, count(*) FROM exports WHERE id = ANY(:ids) GROUP BY status"
            ), {"ids": sorted(touched.exports) or [0]}).all())  # fmt: skip
    finally:
        engine.dispose()
    unfinished = sum(n for status, n in exports.items() if status not in ("done", "failed"))
    return {
        "saved_vacancies": len(touched.vacancies),
        "saved_vacancies_not_matchable": len(set(touched.vacancies) - matchable),
        "saved_cvs": len(touched.cvs),
        "vacancies_without_current_list": sorted(stale["vacancy"] & set(touched.vacancies)),
        "cvs_without_current_list": sorted(stale["jobseeker"] & set(touched.cvs)),
        "all_stale_lists": {kind: len(ids) for kind, ids in stale.items()},
        "exports_requested": len(touched.exports),
        "exports_by_status": {str(k): v for k, v in exports.items()},
        "exports_not_done_or_failed": unfinished,
    }


def duplicates(system: System) -> dict[str, object]:
    from sqlalchemy import create_engine, text

    from matching.core.settings import Settings
    from matching.models.workflow import _OPEN_REFERRALS_SQL

    engine = create_engine(system.pg.url(system.database))
    try:
        with engine.connect() as db:
            referrals = db.execute(text(
                "SELECT vacancy_id, jobseeker_id, count(*) FROM referrals"
                f" WHERE {_OPEN_REFERRALS_SQL} GROUP BY 1, 2 HAVING count(*) > 1"
            )).all()  # fmt: skip
            forwardings = db.execute(text(
                "SELECT vacancy_id, to_organisation_id, rule, count(*) FROM forwardings"
                " GROUP BY 1, 2, 3 HAVING count(*) > 1"
            )).all()  # fmt: skip
            notifications = db.execute(text(
                "SELECT kind, recipient, object_type, object_id, count(*) FROM notifications"
                " GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"
            )).all()  # fmt: skip
            counts = {
                table: db.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                for table in ("referrals", "forwardings", "notifications")
            }
    finally:
        engine.dispose()
    outbox = Settings.from_env(system.env).outbox_dir
    seen: dict[str, int] = {}
    for path in sorted(outbox.glob("*.eml")) if outbox.is_dir() else []:
        message = email.message_from_bytes(path.read_bytes())
        body = message.get_payload(decode=False)
        key = hashlib.sha256(
            f"{message['To']}\n{message['Subject']}\n{body}".encode(errors="replace")
        ).hexdigest()
        seen[key] = seen.get(key, 0) + 1
    return {
        "rows": {**counts, "emails": sum(seen.values())},
        "open_referral_pairs_twice": len(referrals),
        "forwardings_twice": len(forwardings),
        "notifications_twice": len(notifications),
        "emails_twice": sum(1 for n in seen.values() if n > 1),
    }


def answers(recorder: Recorder, started: float, pg_down: list[tuple[float, float]]) -> dict:
    rows = sorted(recorder.rows)
    by_status: dict[str, int] = {}
    for _, status, _, _ in rows:
        key = "no answer" if status == 0 else f"{status // 100}xx"
        by_status[key] = by_status.get(key, 0) + 1
    errors = [(t, s, n, d) for t, s, n, d in rows if s == 0 or s >= 500]
    windows: list[dict[str, object]] = []
    for t, status, name, _ in errors:
        if windows and t - windows[-1]["_end"] <= ERROR_WINDOW_GAP_SECONDS:
            window = windows[-1]
        else:
            window = {"_start": t, "_end": t, "count": 0, "statuses": {}, "pages": {}}
            windows.append(window)
        window["_end"] = t
        window["count"] += 1
        window["statuses"][str(status)] = window["statuses"].get(str(status), 0) + 1
        window["pages"][name] = window["pages"].get(name, 0) + 1
    outside = 0
    for window in windows:
        window.pop("_start"), window.pop("_end")
    for window, members in zip(windows, _members(errors), strict=True):
        start = min(t - d for t, d in members)
        end = max(t for t, _ in members)
        window["from_s"] = round(start - started, 1)
        window["lasted_s"] = round(end - start, 1)
        # An error counts as the outage's when its request overlapped the outage.
        inside = [any(t - d <= b and t >= a for a, b in pg_down) for t, d in members]
        window["while_postgres_down"] = all(inside)
        outside += inside.count(False)
    return {
        "requests": len(rows),
        "by_status": by_status,
        "error_windows": windows,
        "errors_outside_postgres_outage": outside,
        "latency_p50_ms": _percentile([d for *_, d in rows], 50),
        "latency_p95_ms": _percentile([d for *_, d in rows], 95),
    }


def _members(errors: list[tuple[float, int, str, float]]) -> list[list[tuple[float, float]]]:
    """The errors grouped as :func:`answers` groups them into windows: (end, duration)."""
    groups: list[list[tuple[float, float]]] = []
    for t, _, _, d in errors:
        if groups and t - groups[-1][-1][0] <= ERROR_WINDOW_GAP_SECONDS:
            groups[-1].append((t, d))
        else:
            groups.append([(t, d)])
    return groups


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000, 1)


def portal_recovery(recorder: Recorder, faults: list[dict[str, object]]) -> None:
    """Per fault: the seconds from the fault's end to the first 2xx answer after it, the
    errors of requests between its start and 30 s after its end, and the last of them."""
    rows = sorted(recorder.rows)
    for fault in faults:
        healed = fault.pop("healed_at", None)
        if healed is None:
            continue
        began = healed - float(fault["down_s"])
        first = next((t for t, s, _, _ in rows if t >= healed and 200 <= s < 300), None)
        fault["portal_first_2xx_after_s"] = None if first is None else round(first - healed, 1)
        errors = [
            t for t, s, _, d in rows
            if t >= began and t - d <= healed + RECOVERY_LIMIT_SECONDS and (s == 0 or s >= 500)
        ]  # fmt: skip
        fault["errors_from_fault_start"] = len(errors)
        fault["last_error_after_heal_s"] = round(max(errors) - healed, 1) if errors else None


def memory(start: dict[str, list[tuple[int, int]]], end: dict[str, list[tuple[int, int]]],
           peak: dict[int, int]) -> list[dict[str, object]]:  # fmt: skip
    """Each process's RSS at the start and the end of the load (and its peak, sampled every
    5 s); a process that was killed or started meanwhile has only one of them. A worker's
    second process is RQ's scheduler, forked by it."""
    mb = 1024 * 1024
    first = {pid: (role, rss) for role, entries in start.items() for pid, rss in entries}
    last = {pid: (role, rss) for role, entries in end.items() for pid, rss in entries}
    rows = []
    for pid in sorted(set(first) | set(last)):
        role = (first.get(pid) or last[pid])[0]
        before = first[pid][1] if pid in first else None
        after = last[pid][1] if pid in last else None
        rows.append({
            "role": role,
            "pid": pid,
            "rss_start_mb": round(before / mb, 1) if before else None,
            "rss_end_mb": round(after / mb, 1) if after else None,
            "rss_peak_mb": round(max(peak.get(pid, 0), before or 0, after or 0) / mb, 1),
            "growth_percent": round(100 * (after - before) / before, 1)
            if before and after else None,
        })  # fmt: skip
    return rows


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, object]:
    report: dict[str, object] = {
        "benchmark": "soak_and_chaos",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "users": args.users,
        "seconds": args.seconds,
        "think_ms": args.think_ms,
        "size": args.size,
        "encoder": args.encoder,
        "web_workers": args.web_workers,
        "workers": 2,
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()},
    }
    with tempfile.TemporaryDirectory(prefix="jobbro-soak-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)  # the postgres user reaches its cluster folder below
        system = System(folder, args)
        restart_log = RestartLog()
        serve_logger = logging.getLogger("jobbro.serve")
        serve_logger.addHandler(restart_log)
        serve_logger.setLevel(logging.INFO)
        try:
            system.start()
            # The backfill `serve` enqueues (encodings, every list) runs before the load.
            report["warmup_s"] = round(system.wait_idle(WARMUP_LIMIT_SECONDS), 1)
            report["warmup_probe_s"] = system.probe(120)
            recorder, touched, stop = Recorder(), Touched(), threading.Event()
            memory_start = system_processes(system.roots())
            sampler = MemorySampler(system, stop)
            sampler.start()
            started = time.monotonic()
            users = [
                User(n, system.base, recorder, touched, stop, args.think_ms / 1000, args.seed)
                for n in range(args.users)
            ]
            for user in users:
                user.start()
            chaos = Chaos(system, args.seconds, started, stop, args)
            chaos.start()
            stop.wait(args.seconds)
            stop.set()
            for user in users:
                user.join(60)
            chaos.join(180)
            memory_end = system_processes(system.roots())
            report["load_s"] = round(time.monotonic() - started, 1)

            report["settle_s"] = round(system.wait_idle(args.settle), 1)
            report["lost_after_settle"] = lost_jobs(system, touched)
            # What the product does every night: recompute whatever is missing or stale.
            from workers.queues import Job, enqueue

            enqueue(system.connection(), Job.RECOMPUTE_STALE_MATCHES,
                    job_id=f"recompute_stale_matches-soak-{secrets.token_hex(3)}")  # fmt: skip
            time.sleep(2)
            system.wait_idle(args.settle)
            report["lost_after_nightly_recompute"] = lost_jobs(system, touched)
            report["duplicates"] = duplicates(system)
            report["referrals_sent_by_users"] = touched.referrals
            report["export_retries_pressed"] = touched.retries_pressed
            portal_recovery(recorder, chaos.faults)
            report["faults"] = chaos.faults
            if chaos.error:
                report["chaos_error"] = chaos.error
            report["answers"] = answers(recorder, started, chaos.pg_down)
            report["memory"] = memory(memory_start, memory_end, sampler.peak)
            report["supervisor"] = {
                "serve_running_at_end": system.serve.poll() is None,
                "second_worker_gave_up": system.extra_failed,
                # The killed worker is either serve's (its log) or the second one, whose
                # supervisor runs in this process (its records counted by restart_log).
                "worker_restarts_logged": (folder / "serve.log")
                .read_text(errors="replace")
                .count("restarting it in")
                + restart_log.restarts,
            }
            report["targets"] = targets(report)
        finally:
            system.stop()
            if args.keep_logs:
                for name in ("serve.log", "worker2.log"):
                    with contextlib.suppress(OSError):
                        Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
                        (Path(args.keep_logs) / name).write_bytes((folder / name).read_bytes())
    report["machine"]["load_average_at_end"] = os.getloadavg()
    return report


def targets(report: dict[str, object]) -> dict[str, object]:
    lost = report["lost_after_nightly_recompute"]
    dup = report["duplicates"]
    faults = report["faults"]
    recoveries = [
        max(f.get("portal_first_2xx_after_s") or 0, f.get("job_recovery_s") or 0)
        if f.get("job_recovery_s") is not None and f.get("portal_first_2xx_after_s") is not None
        else None
        for f in faults
    ]
    growth = [m["growth_percent"] for m in report["memory"] if m["growth_percent"] is not None]
    return {
        "no_lost_jobs": not lost["vacancies_without_current_list"]
        and not lost["cvs_without_current_list"]
        and lost["exports_not_done_or_failed"] == 0,
        "no_lost_jobs_before_nightly_recompute": not report["lost_after_settle"][
            "vacancies_without_current_list"
        ]
        and not report["lost_after_settle"]["cvs_without_current_list"],
        "no_duplicates": all(
            dup[k] == 0
            for k in (
                "open_referral_pairs_twice",
                "forwardings_twice",
                "notifications_twice",
                "emails_twice",
            )
        ),  # fmt: skip
        "5xx_only_while_postgres_down": report["answers"]["errors_outside_postgres_outage"] == 0,
        "recovery_within_30_s": len(faults) == 3
        and all(r is not None and r <= RECOVERY_LIMIT_SECONDS for r in recoveries),
        "flat_memory_under_25_percent": all(g <= 25 for g in growth),
    }


def markdown(report: dict[str, object]) -> str:
    answers_ = report["answers"]
    lost = report["lost_after_nightly_recompute"]
    settle = report["lost_after_settle"]
    dup = report["duplicates"]
    lines = [
        f"Run {report['date']}: {report['users']} users, {report['seconds']} s, think time "
        f"{report['think_ms']} ms, demo size {report['size']}, encoder {report['encoder']}, "
        f"{report['web_workers']} web workers, 2 workers, load average at start "
        f"{report['machine']['load_average_at_start'][0]:.1f} on {report['machine']['cpus']} CPUs.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| requests | {answers_['requests']} ({', '.join(f'{k}: {v}' for k, v in sorted(answers_['by_status'].items()))}) |",  # noqa: E501
        f"| latency p50 / p95 | {answers_['latency_p50_ms']} / {answers_['latency_p95_ms']} ms |",
    ]
    for window in answers_["error_windows"]:
        where = (
            "while PostgreSQL was down"
            if window["while_postgres_down"]
            else "**outside** the PostgreSQL outage"
        )  # noqa: E501
        lines.append(
            f"| 5xx / no answer at {window['from_s']} s | {window['count']} over "
            f"{window['lasted_s']} s, {where} ({', '.join(f'{k}: {v}' for k, v in window['statuses'].items())}) |"  # noqa: E501
        )
    for fault in report["faults"]:
        extra = " (mid-job)" if fault.get("mid_job") else ""
        lines.append(
            f"| {fault['fault']}{extra} at {fault.get('at_s')} s | down {fault.get('down_s')} s; "
            f"first 2xx {fault.get('portal_first_2xx_after_s')} s after; a worker job done "
            f"{fault.get('job_recovery_s')} s after |"
        )
    lines += [
        f"| saved vacancies / CVs without a current list after settling | "
        f"{len(settle['vacancies_without_current_list'])} of {settle['saved_vacancies']} / "
        f"{len(settle['cvs_without_current_list'])} of {settle['saved_cvs']} |",
        f"| … after the nightly recompute | {len(lost['vacancies_without_current_list'])} / "
        f"{len(lost['cvs_without_current_list'])} |",
        f"| exports requested | {lost['exports_requested']} ({', '.join(f'{k}: {v}' for k, v in lost['exports_by_status'].items())}; retries pressed {report['export_retries_pressed']}) |",  # noqa: E501
        f"| duplicates (open referral pairs, forwardings, notifications, e-mails) | "
        f"{dup['open_referral_pairs_twice']}, {dup['forwardings_twice']}, "
        f"{dup['notifications_twice']}, {dup['emails_twice']} "
        f"(of {dup['rows']['referrals']}, {dup['rows']['forwardings']}, "
        f"{dup['rows']['notifications']}, {dup['rows']['emails']}) |",
    ]
    for m in report["memory"]:
        start = "started during the run" if m["rss_start_mb"] is None else f"{m['rss_start_mb']}"
        end = "killed" if m["rss_end_mb"] is None else f"{m['rss_end_mb']} MB"
        growth = "" if m["growth_percent"] is None else f", {m['growth_percent']:+} %"
        lines.append(
            f"| RSS {m['role']} (pid {m['pid']}) | {start} → {end} "
            f"(peak {m['rss_peak_mb']} MB{growth}) |"
        )
    lines.append("")
    lines.append("Targets: " + ", ".join(
        f"{k} {'met' if v else '**not met**'}" for k, v in report["targets"].items()
    ))  # fmt: skip
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--think-ms", type=int, default=3000)
    parser.add_argument("--size", type=int, default=500, help="demo people (jobbro seed --size)")
    parser.add_argument("--encoder", default="fake", choices=["fake", "onnx", "torch", "auto"])
    parser.add_argument("--model-dir", type=Path, default=None, help="JOBBRO_MODEL_DIR")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--redis-down", type=float, default=5.0)
    parser.add_argument("--pg-down", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--keep-logs", default=None, help="copy serve.log here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    text = json.dumps(report, indent=2, default=str)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    print(text)
    print()
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
