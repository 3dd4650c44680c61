"""CV saved → lists updated, end to end with a warm worker, on PostgreSQL (prints JSON).

    python bench/bench_cv_save.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench \
        --redis-url redis://127.0.0.1:6379/5 [--size 2000] [--real-sample 500] [--saves 40]

Seeds the demo data set (``--size`` people, emptied first unless ``--reuse``) with embeddings as
``bench/bench_match.py`` does (``--real-sample`` encoded with the real model, the rest borrowed
from the same occupation), computes every open vacancy's list once, and starts a real worker
process (``jobbro worker``, the real encoder) on the given Redis, warmed by a few jobs.

Then, ``--saves`` times, for a different person with a CV: the CV is changed as a counsellor's
save does (:func:`matching.intake.cvs.save_cv`: a new skill and a new job, committed) and the
person's match job is enqueued as the portal does after the commit
(``workers.queues.enqueue_match``). The time measured runs from before the save until the
person's list is stored again *and* every vacancy list the job refreshed (the vacancies where
the person now belongs on the candidate list) is stored again: what a counsellor waits for
before the new CV shows in the lists.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from redis import Redis
from rq.job import Job as RQJob
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.migrate import drop_everything, upgrade
from matching.core.settings import Settings
from matching.demo.seed import seed_demo
from matching.intake.cvs import ExperienceData, cv_data_of, save_cv
from matching.models import CV, Jobseeker, MatchRun, utcnow
from matching.people.queries import full_cv_options
from matching.vacancies.queries import matchable_vacancy_ids
from workers import runtime
from workers.match_service import MatchService
from workers.queues import enqueue_match, match_job_id

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_match import fill_embeddings, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 120
SKILLS = ["Truckcertifikat", "Kundeservice", "Excel", "Svejsning", "Rengøring", "Kassesystemer"]
JOBS = ["Lagermedarbejder", "Butiksassistent", "Chauffør", "Social- og sundhedshjælper", "Kok"]


def computed_at(engine, kind: str, ids: list[int]) -> dict[int, object]:  # noqa: ANN001
    with Session(engine) as session:
        rows = session.execute(
            select(MatchRun.subject_id, MatchRun.computed_at).where(
                MatchRun.subject_kind == kind, MatchRun.subject_id.in_(ids)
            )
        )
        return dict(rows.all())


def wait_for_job(connection: Redis, job_id: str, deadline: float) -> RQJob:
    while time.monotonic() < deadline:
        job = RQJob.fetch(job_id, connection=connection)
        status = job.get_status(refresh=True)
        if status == "finished":
            return job
        if status in ("failed", "stopped", "canceled"):
            raise RuntimeError(f"{job_id} {status}: {job.latest_result()}")
        time.sleep(POLL_SECONDS)
    raise TimeoutError(job_id)


def wait_for_lists(engine, kind: str, ids: list[int], since, deadline: float) -> None:  # noqa: ANN001
    while time.monotonic() < deadline:
        stamps = computed_at(engine, kind, ids)
        if all(stamps.get(i) is not None and stamps[i] >= since for i in ids):
            return
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"{kind} lists {ids}")


def change_cv(engine, person_id: int, n: int) -> None:  # noqa: ANN001
    """A counsellor's save: a new skill and a new job (the domain's code path, committed)."""
    with Session(engine) as session:
        person = session.scalar(
            select(Jobseeker).where(Jobseeker.id == person_id).options(*full_cv_options())
        )
        data = cv_data_of(person)
        data.skills = [*data.skills, f"{SKILLS[n % len(SKILLS)]} {n}"]
        data.experiences = [
            *data.experiences,
            ExperienceData(title=JOBS[n % len(JOBS)], start_year=2020, end_year=2024),
        ]
        assert save_cv(session, Actor.system(), person, data)
        session.commit()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own CLI
            [str(ROOT / ".venv" / "bin" / "jobbro"), "worker", "--queue", "match"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()  # a warm shutdown: the current job ends first
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def main() -> int:  # noqa: PLR0915 - a script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--size", type=int, default=2_000)
    parser.add_argument("--real-sample", type=int, default=500)
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database.")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    report: dict[str, object] = {"benchmark": "cv_save_to_lists", "size": args.size}
    connection = Redis.from_url(args.redis_url)
    connection.flushdb()

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "JOBBRO_DATA_DIR": tmp,
            "JOBBRO_DATABASE_URL": args.database_url,
            "JOBBRO_REDIS_URL": args.redis_url,
            "JOBBRO_MODEL_DIR": str(Settings.from_env().model_dir),
            "JOBBRO_LOG_LEVEL": "WARNING",
        }
        settings = Settings.from_env(env)
        engine = create_engine(args.database_url)
        if not args.reuse:
            drop_everything(engine)
            upgrade(engine)
            with Session(engine) as session:
                seed_demo(session, settings, seed=args.seed, size=args.size)
                session.commit()
        rt = runtime.init(settings, engine)
        if not args.reuse:
            for kind in ("jobseeker", "vacancy"):
                fill_embeddings(engine, rt, kind, args.real_sample, rng)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        service = MatchService(rt)
        with Session(engine) as session:
            open_ids = sorted(matchable_vacancy_ids(session))
            people = list(
                session.scalars(
                    select(Jobseeker.id)
                    .join(CV, CV.jobseeker_id == Jobseeker.id)
                    .where(Jobseeker.active.is_(True), CV.searchable.is_(True))
                    .order_by(Jobseeker.id)
                )
            )
        started = time.perf_counter()
        for vacancy_id in open_ids:  # every candidate list exists, as in production
            service.compute_vacancy(vacancy_id)
        report["initial_vacancy_lists"] = len(open_ids)
        report["initial_lists_seconds"] = round(time.perf_counter() - started, 1)
        for kind in ("jobseeker", "vacancy"):
            rt.index(kind).save()  # the worker starts from the indexes on disk

        worker = start_worker(env, Path(tmp) / "worker.log")
        try:
            chosen = rng.choice(people, size=args.warmup + args.saves, replace=False).tolist()
            timings: list[float] = []
            refreshed: list[int] = []
            for n, person_id in enumerate(chosen):
                deadline = time.monotonic() + TIMEOUT_SECONDS
                before = utcnow()
                started = time.perf_counter()
                change_cv(engine, person_id, n)
                enqueue_match(connection, "jobseeker", person_id)
                job = wait_for_job(connection, match_job_id("jobseeker", person_id), deadline)
                wait_for_lists(engine, "jobseeker", [person_id], before, deadline)
                vacancies = list(job.return_value().get("refreshed_vacancy_lists", []))
                if vacancies:
                    wait_for_lists(engine, "vacancy", vacancies, before, deadline)
                elapsed = (time.perf_counter() - started) * 1000
                if n >= args.warmup:  # the first saves load the model and the indexes
                    timings.append(elapsed)
                    refreshed.append(len(vacancies))
        finally:
            stop_worker(worker)
        report["saves"] = len(timings)
        report["cv_saved_to_lists_ms"] = {
            "p50": round(percentile(timings, 50), 1),
            "p95": round(percentile(timings, 95), 1),
            "max": round(max(timings), 1),
            "mean": round(statistics.mean(timings), 1),
        }
        report["vacancy_lists_refreshed_per_save"] = {
            "mean": round(statistics.mean(refreshed), 1),
            "max": max(refreshed),
        }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
