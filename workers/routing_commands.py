"""`jobbro routing …`: apply the dated routing rules now (same code as the nightly job)."""

from __future__ import annotations

import json
from datetime import date

import click

from matching.core.dates import format_date


def register(cli: click.Group) -> None:
    cli.add_command(routing)


@click.group()
def routing() -> None:
    """Who is responsible for each jobseeker (a-kasse or jobcentre) and the handovers."""


def _parse_day(value: str | None) -> date:
    """The --date option, or today's Danish date. A bad date is a one-line Danish error with
    exit code 1 (ClickException), as the command's other failures."""
    from matching.core.dates import DATE_HINT, parse_date, today_dk

    if value is None:
        return today_dk()
    day = parse_date(value)
    if day is None:
        raise click.ClickException(f"ugyldig dato »{value}«: {DATE_HINT[0].lower()}{DATE_HINT[1:]}")
    return day


@routing.command("apply")
@click.option(
    "--date",
    "day_text",
    metavar="DATE",
    help="Day to apply, dd.mm.yyyy or yyyy-mm-dd (default: today).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def routing_apply(day_text: str | None, dry_run: bool, as_json: bool) -> None:
    """Hand jobseekers over where the routing rules name another responsible organisation."""
    from matching.core.db import check_database, make_engine, make_session_factory
    from matching.core.settings import Settings
    from matching.people.handovers import run_routing

    day = _parse_day(day_text)
    settings = Settings.from_env()
    engine = make_engine(settings)
    check_database(engine)
    report = run_routing(
        make_session_factory(engine), day, base_url=settings.base_url, dry_run=dry_run
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    verb = "ville blive" if dry_run else "blev"
    click.echo(f"Ansvar pr. {format_date(day)}{' (prøvekørsel, intet gemt)' if dry_run else ''}:")
    click.echo(f"  vurderet:       {report.checked}")
    click.echo(f"  overdraget:     {report.handed_over} {verb} overdraget")
    click.echo(f"  tildelt:        {report.assigned} uden ansvarlig {verb} tildelt en")
    click.echo(f"  uændret:        {report.unchanged}")
    if report.done_elsewhere:
        click.echo(f"  allerede gjort: {report.done_elsewhere} (af en samtidig kørsel)")
    click.echo(f"  uafklaret:      {sum(report.unresolved.values())}")
    for reason, count in report.unresolved.most_common():
        click.echo(f"    {count:>6}  {reason}")
