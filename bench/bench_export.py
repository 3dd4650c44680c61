"""Time of a job-fair export through run_export, per format (prints a table, or JSON).

    python bench/bench_export.py [--employers 50] [--rows 2000] [--runs 3] \
        [--database-url URL] [--json]

Builds one fair in a fresh database (a temporary SQLite file unless --database-url is given;
that database is emptied first): ``--employers`` employers with three vacancies each and
``--rows`` shortlist entries spread over them, half of the people consenting to share their
name and contact details. Then the export is requested and made ``--runs`` times per format
exactly as the worker makes it (rows read, writer with progress, file renamed into place,
heartbeat thread running), and the median time, rows/s and file size are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from matching.core.audit import Actor
from matching.core.db import make_engine
from matching.core.migrate import drop_everything, upgrade
from matching.core.settings import Settings
from matching.fairs.exports.requests import request_export
from matching.fairs.exports.runs import run_export
from matching.models import (
    CV,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    Membership,
    Organisation,
    OrgKind,
    Role,
    ShortlistEntry,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)

VACANCIES_PER_EMPLOYER = 3
TITLES = (
    "Lagermedarbejder",
    "Kok i kantinen",
    "Chauffør (kategori C)",
    "Social- og sundhedshjælper",
)
CHIPS = [
    "Samme faggruppe (ISCO 9333)",
    "12 km fra bopæl",
    "Overlap: truckcertifikat, lagerstyring, plukning",
    "Cv og stilling ligner hinanden meget",
]


def build(session: Session, employers: int, rows: int) -> tuple[int, Actor]:
    """The fair and its organiser; returns (fair id, organiser actor)."""
    organiser = Organisation(kind=OrgKind.JOB_FAIR_ORGANISER, name="Jobcenter Odense Messer")
    session.add(organiser)
    session.flush()
    user = User(email="arrangoer@bench.dk", name="Bench Arrangør", password_hash="x")
    user.memberships = [Membership(organisation=organiser, role=Role.ORGANISER)]
    fair = JobFair(
        organiser_id=organiser.id,
        name="Jobmesse Odense – forår",
        held_on=date(2026, 3, 14),
        place="Odense Congress Center",
    )
    session.add_all([user, fair])
    session.flush()
    fair_vacancies: list[JobFairVacancy] = []
    for e in range(employers):
        company = Organisation(kind=OrgKind.EMPLOYER, name=f"Fynsk Virksomhed {e:02d} ApS")
        session.add(company)
        session.flush()
        for v in range(VACANCIES_PER_EMPLOYER):
            vacancy = Vacancy(
                kind=VacancyKind.ORDINARY,
                status=VacancyStatus.OPEN,
                employer_id=company.id,
                title=TITLES[(e + v) % len(TITLES)],
                description="Vi søger en stabil kollega.",
                postal_code="5000",
            )
            session.add(vacancy)
            session.flush()
            fair_vacancy = JobFairVacancy(job_fair_id=fair.id, vacancy_id=vacancy.id)
            session.add(fair_vacancy)
            fair_vacancies.append(fair_vacancy)
    session.flush()
    for i in range(rows):
        consented = i % 2 == 0
        person = Jobseeker(
            pseudonym=f"B-{i:06d}",
            first_name=f"Fornavn{i}",
            last_name=f"Efternavn{i}",
            email=f"person{i}@eksempel.dk",
            phone="+45 12 34 56 78",
            birth_date=date(1980, 1, 1) + timedelta(days=i),
            postal_code=("5000", "5200", "5230", "5250")[i % 4],
            consent_share_with_employers=consented,
            consent_contact_by_email=consented,
            cv=CV(headline="Lagermedarbejder med truckcertifikat og 8 års erfaring"),
        )
        session.add(person)
        session.flush()
        fair_vacancy = fair_vacancies[i % len(fair_vacancies)]
        session.add_all(
            [
                ShortlistEntry(
                    job_fair_vacancy_id=fair_vacancy.id,
                    jobseeker_id=person.id,
                    rank=i // len(fair_vacancies) + 1,
                    invited=i % 3 == 0,
                    invitation_code=f"B{i:010d}",
                ),
                Match(
                    vacancy_id=fair_vacancy.vacancy_id,
                    jobseeker_id=person.id,
                    score=0.95 - (i % 60) / 100,
                    explanation=CHIPS,
                    cross_industry=i % 5 == 0,
                    model_version="bench",
                    rules_version="bench",
                ),
            ]
        )
    session.commit()
    return fair.id, Actor(user.id, organiser.id, Role.ORGANISER.value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employers", type=int, default=50)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings.from_env({"JOBBRO_DATA_DIR": tmp, "JOBBRO_DATABASE_URL": url})
        engine = make_engine(settings)
        drop_everything(engine)
        upgrade(engine)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        started = time.perf_counter()
        with factory() as session:
            fair_id, actor = build(session, args.employers, args.rows)
        build_seconds = time.perf_counter() - started
        results = []
        for fmt in ("csv", "xlsx", "pdf"):
            seconds, size = [], 0
            for _ in range(args.runs):
                with factory() as session:
                    export = request_export(session, actor, fair_id, kind="shortlist", fmt=fmt)
                    session.commit()
                started = time.perf_counter()
                done = run_export(factory, export.id, settings.export_dir, ttl=timedelta(hours=1))
                seconds.append(time.perf_counter() - started)
                path = settings.export_dir / done.file_name
                size = path.stat().st_size
                path.unlink()
                assert done.row_count == args.rows, done.row_count
            median = statistics.median(seconds)
            results.append(
                {
                    "format": fmt,
                    "rows": args.rows,
                    "median_seconds": round(median, 2),
                    "min_seconds": round(min(seconds), 2),
                    "max_seconds": round(max(seconds), 2),
                    "rows_per_second": round(args.rows / median),
                    "file_kb": round(size / 1024),
                }
            )
        drop_everything(engine)
        engine.dispose()
    report = {
        "benchmark": "export",
        "backend": engine.dialect.name,
        "employers": args.employers,
        "vacancies": args.employers * VACANCIES_PER_EMPLOYER,
        "rows": args.rows,
        "runs": args.runs,
        "build_seconds": round(build_seconds, 1),
        "results": results,
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    print(
        f"{report['backend']}: {args.employers} employers, {report['vacancies']} vacancies, "
        f"{args.rows} rows, median of {args.runs} runs"
    )
    print(f"{'format':<7}{'median s':>10}{'min–max s':>14}{'rows/s':>9}{'file KB':>9}")
    for r in results:
        spread = f"{r['min_seconds']}–{r['max_seconds']}"
        print(
            f"{r['format']:<7}{r['median_seconds']:>10}{spread:>14}"
            f"{r['rows_per_second']:>9}{r['file_kb']:>9}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
