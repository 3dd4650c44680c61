"""`jobbro match …`: compute match lists from the command line (same code as the worker jobs)."""

from __future__ import annotations

import json

import click

from matching.core.errors import NotFound


def register(cli: click.Group) -> None:
    cli.add_command(match)


@click.group()
def match() -> None:
    """Compute and show match lists (the worker does this on every change)."""


def _runtime():  # noqa: ANN202 - a workers.runtime.Runtime
    from matching.core.settings import Settings
    from workers import runtime

    return runtime.init(Settings.from_env())


def _show(kind: str, subject_id: int, as_json: bool, top: int) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from matching.models import Match, MatchRun
    from workers import runtime

    rt = runtime.get()
    with rt.session() as session:
        if kind == "vacancy":
            order = Match.rank
            query = select(Match).where(Match.vacancy_id == subject_id, Match.rank.is_not(None))
        else:
            order = Match.person_rank
            query = select(Match).where(
                Match.jobseeker_id == subject_id, Match.person_rank.is_not(None)
            )
        rows = session.scalars(
            query.order_by(order)
            .limit(top)
            .options(selectinload(Match.jobseeker), selectinload(Match.vacancy))
        ).all()
        run = session.scalar(
            select(MatchRun).where(MatchRun.subject_kind == kind, MatchRun.subject_id == subject_id)
        )
        items = [
            {
                "rank": m.rank if kind == "vacancy" else m.person_rank,
                "vacancy_id": m.vacancy_id,
                "jobseeker": m.jobseeker.pseudonym,
                "vacancy": m.vacancy.title,
                "score": round(m.score, 4),
                "cross_industry": m.cross_industry,
                "promoted": m.promoted,
                "distance_km": m.distance_km,
                "explanation": m.explanation,
            }
            for m in rows
        ]
        summary = {
            "considered": run.considered if run else 0,
            "listed": run.listed if run else 0,
            "excluded": run.excluded if run else {},
            "duration_ms": run.duration_ms if run else None,
        }
    if as_json:
        click.echo(json.dumps({"matches": items, **summary}, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{summary['listed']} på listen, {summary['considered']} vurderet, "
        f"fravalgt: {summary['excluded'] or 'ingen'}"
    )
    for item in items:
        other = item["jobseeker"] if kind == "vacancy" else item["vacancy"]
        flag = " [brancheskift]" if item["cross_industry"] else ""
        click.echo(f"{item['rank']:>3}. {item['score']:.3f}  {other}{flag}")
        click.echo("       " + " · ".join(item["explanation"]))


@match.command("vacancy")
@click.argument("vacancy_id", type=int)
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def match_vacancy_command(vacancy_id: int, top: int, as_json: bool) -> None:
    """Compute VACANCY_ID's candidate list now and show the top of it."""
    from matching.models import Vacancy
    from workers.match_service import get_service

    rt = _runtime()
    with rt.session() as session:
        if session.get(Vacancy, vacancy_id) is None:
            raise NotFound(f"vacancy {vacancy_id} does not exist")
    result = get_service().compute_vacancy(vacancy_id)
    if result.status == "not_open" and not as_json:
        click.echo("Stillingen er ikke åben (eller pladsen ikke godkendt): listen er tom.")
    _show("vacancy", vacancy_id, as_json, top)


@match.command("jobseeker")
@click.argument("jobseeker_id", type=int)
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def match_jobseeker_command(jobseeker_id: int, top: int, as_json: bool) -> None:
    """Compute JOBSEEKER_ID's list of vacancies and places now and show the top of it."""
    from matching.models import Jobseeker
    from workers.match_service import get_service

    rt = _runtime()
    with rt.session() as session:
        if session.get(Jobseeker, jobseeker_id) is None:
            raise NotFound(f"jobseeker {jobseeker_id} does not exist")
    get_service().compute_jobseeker(jobseeker_id)
    _show("jobseeker", jobseeker_id, as_json, top)


@match.command("stale")
@click.option("--limit", default=None, type=click.IntRange(1), help="At most this many lists.")
def match_stale_command(limit: int | None) -> None:
    """Recompute every missing or out-of-date list now, in this process."""
    from matching.ranking.scoring import rules_version
    from matching.ranking.storage import stale_subjects
    from workers.match_service import get_service

    rt = _runtime()
    service = get_service()
    for kind in ("vacancy", "jobseeker"):
        with rt.session() as session:
            ids = stale_subjects(
                session,
                kind,
                model_version=rt.encoder().model_version,
                rules_version=rules_version(),
                limit=limit,
            )
        with click.progressbar(ids, label=f"{kind}: {len(ids)} lists") as bar:
            for subject_id in bar:
                if kind == "vacancy":
                    service.compute_vacancy(subject_id)
                else:
                    service.compute_jobseeker(subject_id)
