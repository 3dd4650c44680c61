"""Time to seed the demo data set (prints JSON).

    python bench/bench_seed.py [--size 2000] [--database-url URL]

Without --database-url a temporary SQLite file is used. The database is emptied first.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from matching.core.migrate import drop_everything, upgrade
from matching.core.settings import Settings
from matching.demo.seed import seed_demo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings.from_env({"JOBBRO_DATA_DIR": tmp, "JOBBRO_DATABASE_URL": url})
        engine = create_engine(url)
        drop_everything(engine)
        upgrade(engine)
        started = time.perf_counter()
        with Session(engine) as session:
            report = seed_demo(session, settings, seed=args.seed, size=args.size)
            session.commit()
        seconds = time.perf_counter() - started
        drop_everything(engine)
    result = {
        "benchmark": "seed_demo",
        "backend": engine.dialect.name,
        "size": args.size,
        "seconds": round(seconds, 2),
        "jobseekers_per_second": round(args.size / seconds, 1),
        "rows": report.counts,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
