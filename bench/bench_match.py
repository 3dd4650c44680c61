"""Time to compute and store match lists with a warm worker, on PostgreSQL (prints JSON).

    python bench/bench_match.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench \
        [--size 100000] [--real-sample 3000] [--measure 200] [--throughput 1000]

Builds a demo data set of ``--size`` jobseekers (and ``size // 4`` vacancies and places) in
the given database, which is emptied first. Embeddings: ``--real-sample`` CVs and as many
vacancies are encoded with the real model; every other entity gets the vector of a sampled
entity of the same occupation plus small noise (re-normalised). Encoding 125,000 texts on two
cores would take more than an hour and changes nothing about the list computation being timed:
the index holds the full number of vectors with a realistic cluster structure.

First the throughput: lists per second over ``--throughput`` vacancies (vector present) — this
also warms the worker's CV cache as a running worker's would be. Then per vacancy, with the
model loaded and the indexes warm, the whole job as the worker runs it: the vacancy's stored
vector is removed first so the job encodes the text with the real model, then the index
search, feature reads, scoring and storing of the top-100 list. Last, the throughput of
people's lists.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.orm import Session

from matching.core.migrate import drop_everything, upgrade
from matching.core.settings import Settings
from matching.demo.seed import seed_demo
from matching.models import CV, CVExperience, Jobseeker, StoredEmbedding, Vacancy
from matching.ranking.documents import text_fingerprint
from workers import runtime
from workers.embedding_service import documents_for, encode_entities
from workers.match_service import MatchService

NOISE = 0.02  # standard deviation of the noise added to a borrowed vector, per dimension
INSERT_BATCH = 5_000


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def occupation_of(session: Session, kind: str) -> dict[int, str]:
    if kind == "vacancy":
        rows = session.execute(select(Vacancy.id, Vacancy.isco_code))
        return {i: code or "?" for i, code in rows}
    first_job: dict[int, str] = {}
    rows = session.execute(
        select(CV.jobseeker_id, CVExperience.isco_code)
        .join(CVExperience, CVExperience.cv_id == CV.id)
        .order_by(CV.jobseeker_id, CVExperience.position)
    )
    for person, code in rows:
        first_job.setdefault(person, code or "?")
    return first_job


def fill_embeddings(engine, rt, kind: str, sample: int, rng: np.random.Generator) -> dict:
    encoder = rt.encoder()
    with Session(engine) as session:
        groups = occupation_of(session, kind)
        model = Vacancy if kind == "vacancy" else Jobseeker
        ids = list(session.scalars(select(model.id).order_by(model.id)))
    chosen = sorted(rng.choice(ids, size=min(sample, len(ids)), replace=False).tolist())
    started = time.perf_counter()
    for start in range(0, len(chosen), 256):
        with rt.session() as session:
            encode_entities(session, encoder, kind, chosen[start : start + 256])
    encode_seconds = time.perf_counter() - started
    with Session(engine) as session:
        real = {
            row.entity_id: np.frombuffer(row.vector, dtype=np.float32)
            for row in session.scalars(
                select(StoredEmbedding).where(StoredEmbedding.entity_kind == kind)
            )
        }
    by_group: dict[str, list[int]] = defaultdict(list)
    for entity_id in real:
        by_group[groups.get(entity_id, "?")].append(entity_id)
    pool = list(real)
    rest = [i for i in ids if i not in real]
    started = time.perf_counter()
    for start in range(0, len(rest), INSERT_BATCH):
        chunk = rest[start : start + INSERT_BATCH]
        with Session(engine) as session:
            texts = documents_for(session, kind, chunk)
            rows = []
            for entity_id in chunk:
                if entity_id not in texts:
                    continue
                donors = by_group.get(groups.get(entity_id, "?")) or pool
                vector = real[donors[int(rng.integers(len(donors)))]] + rng.normal(
                    0, NOISE, encoder.dimension
                ).astype(np.float32)
                vector /= np.linalg.norm(vector)
                rows.append(
                    {
                        "entity_kind": kind,
                        "entity_id": entity_id,
                        "model_version": encoder.model_version,
                        "text_sha256": text_fingerprint(texts[entity_id]),
                        "dimension": encoder.dimension,
                        "vector": vector.astype("<f4").tobytes(),
                    }
                )
            session.execute(StoredEmbedding.__table__.insert(), rows)
            session.commit()
    return {
        "real": len(real),
        "borrowed": len(rest),
        "encode_seconds": round(encode_seconds, 1),
        "fill_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--real-sample", type=int, default=3_000)
    parser.add_argument("--measure", type=int, default=200)
    parser.add_argument("--throughput", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database.")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    report: dict[str, object] = {"benchmark": "match_lists", "size": args.size}

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            {
                "JOBBRO_DATA_DIR": tmp,
                "JOBBRO_DATABASE_URL": args.database_url,
                "JOBBRO_MODEL_DIR": str(Settings.from_env().model_dir),
            }
        )
        engine = create_engine(args.database_url)
        if not args.reuse:
            drop_everything(engine)
            upgrade(engine)
            started = time.perf_counter()
            with Session(engine) as session:
                seed_demo(session, settings, seed=args.seed, size=args.size)
                session.commit()
            report["seed_seconds"] = round(time.perf_counter() - started, 1)
        rt = runtime.init(settings, engine)
        if not args.reuse:
            report["embeddings"] = {
                kind: fill_embeddings(engine, rt, kind, args.real_sample, rng)
                for kind in ("jobseeker", "vacancy")
            }
        if engine.dialect.name == "postgresql":  # fresh statistics after a bulk load
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        with Session(engine) as session:
            report["rows"] = {
                "jobseekers": session.query(Jobseeker).count(),
                "vacancies": session.query(Vacancy).count(),
            }
        started = time.perf_counter()
        service = MatchService(rt)
        for kind in ("jobseeker", "vacancy"):
            rt.index(kind).index  # noqa: B018 - load and build the index now
        report["index_load_seconds"] = round(time.perf_counter() - started, 1)
        report["calibration"] = vars(service.calibration())

        from matching.vacancies.queries import matchable_vacancy_ids

        with Session(engine) as session:
            open_ids = sorted(matchable_vacancy_ids(session))
            people = list(
                session.scalars(
                    select(Jobseeker.id).where(Jobseeker.active.is_(True)).order_by(Jobseeker.id)
                )
            )
        batch = rng.choice(open_ids, size=min(args.throughput, len(open_ids)), replace=False)
        started = time.perf_counter()
        for vacancy_id in batch.tolist():
            service.compute_vacancy(vacancy_id)
        seconds = time.perf_counter() - started
        report["vacancy_throughput_per_second"] = round(len(batch) / seconds, 1)
        report["full_vacancy_recompute_minutes"] = round(
            len(open_ids) / (len(batch) / seconds) / 60, 1
        )

        sample = rng.choice(open_ids, size=min(args.measure + 5, len(open_ids)), replace=False)
        timings, listed = [], []
        for n, vacancy_id in enumerate(sample.tolist()):
            with rt.session() as session:  # the text "changed": the job must encode it
                session.execute(
                    delete(StoredEmbedding).where(
                        StoredEmbedding.entity_kind == "vacancy",
                        StoredEmbedding.entity_id == vacancy_id,
                    )
                )
            started = time.perf_counter()
            result = service.compute_vacancy(vacancy_id)
            elapsed = (time.perf_counter() - started) * 1000
            if n >= 5:  # the first few warm caches up
                timings.append(elapsed)
                listed.append(result.listed)
        report["cv_cache"] = {
            "entries": len(service.cv_cache),
            "hits": service.cv_cache.hits,
            "misses": service.cv_cache.misses,
        }
        report["vacancy_list_ms"] = {
            "n": len(timings),
            "p50": round(percentile(timings, 50), 1),
            "p95": round(percentile(timings, 95), 1),
            "p99": round(percentile(timings, 99), 1),
            "max": round(max(timings), 1),
            "mean_listed": round(statistics.mean(listed), 1),
        }

        batch = rng.choice(people, size=min(args.throughput, len(people)), replace=False)
        started = time.perf_counter()
        for person_id in batch.tolist():
            service.compute_jobseeker(person_id)
        seconds = time.perf_counter() - started
        report["jobseeker_throughput_per_second"] = round(len(batch) / seconds, 1)
        report["full_jobseeker_recompute_minutes"] = round(
            len(people) / (len(batch) / seconds) / 60, 1
        )
        report["open_vacancies"] = len(open_ids)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
