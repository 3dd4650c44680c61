"""Time from "vacancy saved" to "searchable in the index" through a warm worker (prints JSON).

    python bench/bench_index_update.py [--updates 40] [--encoder auto|torch|onnx]

Seeds a small demo database (SQLite in a temporary folder), starts an embedded Redis and a
real `jobbro worker` process with the real model, warms it with a full encode, then saves
changed vacancies one at a time: commit, enqueue `encode_vacancy`, wait until the job has
finished (the worker updates its in-memory index before the job ends).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings.model import prepare_model
from matching.core.db import make_engine, make_session_factory, session_scope
from matching.core.migrate import upgrade
from matching.core.settings import PROJECT_ROOT, Settings
from matching.demo.seed import seed_demo
from matching.models import Vacancy
from workers.queues import Job, enqueue
from workers.redis_server import EmbeddedRedis, connect

POLL_SECONDS = 0.002


def wait(job, timeout: float = 600) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.get_status(refresh=True)
        if status == "finished":
            return
        if status == "failed":
            raise RuntimeError(job.latest_result().exc_string)
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"job {job.id} did not finish")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--encoder", default="auto", choices=["auto", "torch", "onnx"])
    args = parser.parse_args()
    model_dir = Path(os.environ.get("JOBBRO_MODEL_DIR", PROJECT_ROOT / "var" / "models"))
    prepare_model(model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "JOBBRO_DATA_DIR": tmp,
            "JOBBRO_MODEL_DIR": str(model_dir),
            "JOBBRO_ENCODER": args.encoder,
            "JOBBRO_LOG_LEVEL": "WARNING",
        }
        settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("JOBBRO_")})
        engine = make_engine(settings)
        upgrade(engine)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            seed_demo(session, settings, seed=5, size=200)
        with EmbeddedRedis(Path(tmp) / "redis") as redis_server:
            env["JOBBRO_REDIS_URL"] = redis_server.url
            conn = connect(redis_server.url)
            worker = subprocess.Popen(
                [sys.executable, "-m", "workers.cli", "worker", "--queue", "encode"], env=env
            )
            try:
                started = time.perf_counter()
                warm = enqueue(conn, Job.ENCODE_ALL, "vacancy")
                wait(warm)
                warm_seconds = time.perf_counter() - started
                warm_result = warm.return_value()
                with Session(engine) as session:
                    ids = list(session.scalars(select(Vacancy.id).order_by(Vacancy.id)))
                latencies = []
                for n in range(args.updates):
                    vacancy_id = ids[(n * 37) % len(ids)]
                    with session_scope(factory) as session:
                        vacancy = session.get(Vacancy, vacancy_id)
                        vacancy.description += f" Opdateret opslag nr. {n + 1}."
                    t0 = time.perf_counter()
                    job = enqueue(conn, Job.ENCODE_VACANCY, vacancy_id)
                    wait(job)
                    latencies.append(time.perf_counter() - t0)
                    assert job.return_value()["encoded"] == 1
            finally:
                worker.terminate()
                worker.wait(30)
        engine.dispose()
    ms = np.array(latencies) * 1000
    result = {
        "benchmark": "vacancy_saved_to_searchable",
        "encoder": warm_result["model_version"],
        "warm_up_encode_all_seconds": round(warm_seconds, 1),
        "vacancies": warm_result["total"],
        "updates": len(latencies),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "max_ms": round(float(ms.max()), 1),
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
