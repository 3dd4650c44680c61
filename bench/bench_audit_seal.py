"""Cost of sealing and verifying the audit log (matching/core/audit_seals.py).

    python bench/bench_audit_seal.py [--rows 100000] [--database-url URL] [--json]

Writes ``--rows`` audit entries (like a caseload page view's: a search text in ``details``)
into a fresh database (a temporary SQLite file unless --database-url is given; that database
is emptied first), then times: sealing them all at once (a first run over an existing log,
seals of 50,000), ``jobbro audit verify`` over them, and one worker run sealing a minute's
worth of new entries (``--minute`` of them) on top.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from matching.core.audit_seals import seal_key, seal_pending, verify
from matching.core.db import make_engine
from matching.core.migrate import drop_everything, upgrade
from matching.core.settings import Settings
from matching.models import AuditAction, AuditEntry, utcnow

SECRET = "bench-audit-seal-secret-key-0123456789abcdef"


def _write(engine, count: int) -> None:  # noqa: ANN001
    now = utcnow()
    batch = 5_000
    with Session(engine) as session, session.begin():
        for start in range(0, count, batch):
            session.execute(
                insert(AuditEntry),
                [
                    {
                        "at": now,
                        "actor_id": 7,
                        "actor_organisation_id": 3,
                        "action": AuditAction.VIEW,
                        "object_type": "jobseeker_list",
                        "object_id": None,
                        "jobseeker_id": n,
                        "purpose": "sagsbehandling",
                        "details": {"search": "Sø", "page": n % 20, "filters": ["ledig"]},
                        "ip_address": "10.0.0.9",
                        "note": "",
                    }  # fmt: skip
                    for n in range(start, min(start + batch, count))
                ],
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--minute", type=int, default=600)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings.from_env(
            {"JOBBRO_ENV": "test", "JOBBRO_DATA_DIR": tmp, "JOBBRO_DATABASE_URL": url,
             "JOBBRO_SECRET_KEY": SECRET}
        )  # fmt: skip
        engine = make_engine(settings)
        drop_everything(engine)
        upgrade(engine)
        key = seal_key(SECRET)
        _write(engine, args.rows)

        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session, session.begin():
            seals = seal_pending(session, key)
        seal_seconds = time.perf_counter() - started

        started = time.perf_counter()
        with Session(engine) as session:
            result = verify(session, [key])
        verify_seconds = time.perf_counter() - started
        assert result.ok and result.rows == args.rows, result

        _write(engine, args.minute)
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session, session.begin():
            minute = seal_pending(session, key)
        minute_seconds = time.perf_counter() - started
        assert sum(s.row_count for s in minute) == args.minute
        engine.dispose()

    report = {
        "database": engine.dialect.name,
        "rows": args.rows,
        "seals": len(seals),
        "seal_seconds": round(seal_seconds, 2),
        "seal_rows_per_second": round(args.rows / seal_seconds),
        "verify_seconds": round(verify_seconds, 2),
        "verify_rows_per_second": round(args.rows / verify_seconds),
        "minute_rows": args.minute,
        "minute_seal_ms": round(minute_seconds * 1000, 1),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name:>24}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
