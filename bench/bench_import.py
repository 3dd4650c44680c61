"""Bulk import of people with CVs: seconds from the file to committed rows (prints JSON).

    python bench/bench_import.py [--size 10000] [--database-url URL ...] [--out var/bench-import]

Writes ``--size`` people of the demo generator (names, CPR numbers, contact details, target
groups, CVs with experience, education, skills, languages, licences and job goals) as a
``;``-separated CSV with a byte-order mark and as JSON Lines, every person living in Odense
and on kontanthjælp so that the routing rules make one jobcentre responsible for all of them.

For each database (default: a fresh SQLite file; add ``--database-url`` for PostgreSQL, whose
schema is dropped and migrated first) the CSV is imported (everyone created), the JSON Lines
file is imported (everyone unchanged, nothing written) and the CSV with one field changed on
every tenth line (a tenth updated). Each figure is the wall time of reading the file, checking
every line, writing and committing, as ``jobbro people import`` does; encoding and match lists
follow in the background and are not part of it. The target is 60 s for 10,000 people.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from matching.core.audit import Actor  # noqa: E402
from matching.core.migrate import drop_everything, upgrade  # noqa: E402
from matching.demo.generator import generate  # noqa: E402
from matching.demo.records import JobseekerRecord  # noqa: E402
from matching.intake.import_formats import parse_file  # noqa: E402
from matching.intake.imports import run_import  # noqa: E402
from matching.models import CV, Jobseeker, Organisation, OrgKind  # noqa: E402
from matching.models.enums import TargetGroup  # noqa: E402

ODENSE = ("5000", "5200", "5210", "5220", "5230", "5240", "5250", "5260", "5270")
KEY = b"bench-import-cpr-key-32-bytes-!!"
HEADER = (
    "cpr", "fornavn", "efternavn", "email", "telefon", "postnummer", "ledig_siden",
    "maalgruppe", "uddannelsesniveau", "max_km", "brancheskift", "samtykke_arbejdsgivere",
    "samtykke_email", "samtykke_faelles", "cv_overskrift", "cv_resume", "jobmaal",
    "kompetencer", "sprog", "koerekort", "erfaring", "uddannelse",
)  # fmt: skip


def yes(value: bool) -> str:
    return "ja" if value else "nej"


def record(person: JobseekerRecord, i: int) -> dict[str, object]:
    cv = person.cv
    return {
        "cpr": f"{person.cpr[:6]}-{person.cpr[-4:]}",
        "fornavn": person.first_name,
        "efternavn": person.last_name,
        "email": person.email,
        "telefon": person.phone,
        "postnummer": ODENSE[i % len(ODENSE)],
        "ledig_siden": person.unemployment_start.isoformat(),
        "maalgruppe": TargetGroup.KONTANTHJAELP_JOBPARAT.value,
        "uddannelsesniveau": person.education_level.value,
        "max_km": person.max_commute_km,
        "brancheskift": person.willing_to_switch_industry,
        "samtykke_arbejdsgivere": person.consent_share_with_employers,
        "samtykke_email": person.consent_contact_by_email,
        "samtykke_faelles": person.consent_joint_recruitment,
        "cv": {
            "overskrift": cv.headline,
            "resume": cv.summary,
            "jobmaal": [d.title for d in cv.desired_occupations],
            "kompetencer": list(cv.skills),
            "sprog": [{"sprog": x.language, "niveau": x.level} for x in cv.languages],
            "koerekort": list(cv.driving_licences),
            "erfaring": [
                {
                    "titel": e.title,
                    "arbejdsgiver": e.employer_name,
                    "fra": e.start_year,
                    "til": e.end_year,
                }
                for e in cv.experiences
            ],
            "uddannelse": [
                {
                    "titel": e.title,
                    "institution": e.institution,
                    "niveau": e.level.value if e.level else None,
                    "aar": e.completed_year,
                }
                for e in cv.educations
            ],
        },
    }


def csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return yes(value)
    return "" if value is None else str(value)


def as_csv(records: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for rec in records:
        cv = rec["cv"]
        row = {k: csv_cell(v) for k, v in rec.items() if k != "cv"}
        row |= {
            "cv_overskrift": cv["overskrift"],
            "cv_resume": cv["resume"],
            "jobmaal": "; ".join(cv["jobmaal"]),
            "kompetencer": "; ".join(cv["kompetencer"]),
            "sprog": "; ".join(f"{x['sprog']}|{x['niveau']}" for x in cv["sprog"]),
            "koerekort": "; ".join(cv["koerekort"]),
            "erfaring": "; ".join(
                f"{e['titel']}|{e['arbejdsgiver'] or ''}|{e['fra']}|{e['til'] or ''}"
                for e in cv["erfaring"]
            ),
            "uddannelse": "; ".join(
                f"{e['titel']}|{e['institution'] or ''}|{e['niveau'] or ''}|{e['aar'] or ''}"
                for e in cv["uddannelse"]
            ),
        }
        writer.writerow([row[name] for name in HEADER])
    return ("\ufeff" + out.getvalue()).encode()


def as_jsonl(records: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def timed_import(engine, org_id: int, data: bytes, fmt: str) -> dict[str, object]:  # noqa: ANN001
    actor = Actor(user_id=None, organisation_id=org_id, role="admin")
    started = time.perf_counter()
    rows, errors = parse_file(data, fmt)
    parsed = time.perf_counter()
    with Session(engine) as session:
        summary = run_import(session, actor, rows, key=KEY, errors=errors)
        checked_and_written = time.perf_counter()
        session.commit()
    done = time.perf_counter()
    if summary.errors:
        raise SystemExit(f"import failed: {[e.to_dict() for e in summary.errors[:5]]}")
    return {
        "format": fmt,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "read_seconds": round(parsed - started, 2),
        "check_and_write_seconds": round(checked_and_written - parsed, 2),
        "commit_seconds": round(done - checked_and_written, 2),
        "total_seconds": round(done - started, 2),
    }


def run(url: str, csv_data: bytes, jsonl_data: bytes, changed: bytes) -> dict[str, object]:
    engine = create_engine(url)
    drop_everything(engine)
    upgrade(engine)
    with Session(engine) as session:
        org = Organisation(kind=OrgKind.JOBCENTRE, name="Jobcenter Odense", cvr="29189897")
        org.municipality_code = 461
        session.add(org)
        session.commit()
        org_id = org.id
    results = {
        "create": timed_import(engine, org_id, csv_data, "csv"),
        "reimport_unchanged": timed_import(engine, org_id, jsonl_data, "jsonl"),
        "update_a_tenth": timed_import(engine, org_id, changed, "csv"),
    }
    with Session(engine) as session:
        results["stored"] = {
            "people": session.scalar(select(func.count()).select_from(Jobseeker)),
            "cvs": session.scalar(select(func.count()).select_from(CV)),
        }
    engine.dispose()
    return {"database": engine.dialect.name, **results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-import")
    args = parser.parse_args()

    data = generate(args.seed, args.size, today=date(2026, 3, 1))
    people = data.jobseekers[: args.size]
    records = [record(p, i) for i, p in enumerate(people)]
    for i, rec in enumerate(records):  # the demo CVs may name a job goal twice
        rec["cv"]["jobmaal"] = list(dict.fromkeys(rec["cv"]["jobmaal"]))
        del i
    csv_data, jsonl_data = as_csv(records), as_jsonl(records)
    for i, rec in enumerate(records):
        if i % 10 == 0:
            rec["max_km"] = int(rec["max_km"]) + 5
    changed = as_csv(records)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ledige.csv").write_bytes(csv_data)
    (args.out / "ledige.jsonl").write_bytes(jsonl_data)

    results = []
    with tempfile.TemporaryDirectory() as folder:
        urls = [f"sqlite:///{folder}/bench.sqlite3", *args.database_url]
        for url in urls:
            results.append(run(url, csv_data, jsonl_data, changed))
    print(
        json.dumps(
            {
                "people": len(records),
                "csv_bytes": len(csv_data),
                "jsonl_bytes": len(jsonl_data),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
