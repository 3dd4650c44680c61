"""`jobbro people …`: bulk import from a case system's export, and the retention rules."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click


@click.group("people")
def people() -> None:
    """People (ledige): import, export and the retention rules."""


# --- the retention rules and a person's data export (matching.intake.rights) ----------------


@people.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
def purge_people(dry_run: bool) -> None:
    """Apply the retention rules now: anonymise the people whose period after leaving the
    register is over, delete expired CV drafts and finished import files."""
    from matching.core.dates import today_dk
    from matching.core.db import check_database, make_engine, make_session_factory, session_scope
    from matching.core.settings import Settings
    from matching.intake.rights import purge, retention_overrides

    settings = Settings.from_env()
    engine = make_engine(settings)
    check_database(engine)
    with session_scope(make_session_factory(engine)) as session:
        summary = purge(
            session,
            today=today_dk(),
            dry_run=dry_run,
            overrides=retention_overrides(settings),
        )
        if dry_run:
            session.rollback()
    verb = "would be" if dry_run else "were"
    click.echo(f"People who {verb} anonymised: {len(summary.anonymised)}")
    for pseudonym in summary.anonymised:
        click.echo(f"  {pseudonym}")
    click.echo(f"CV drafts that {verb} deleted: {summary.cv_drafts}")
    click.echo(f"Import files that {verb} deleted: {summary.import_files}")
    click.echo(
        f"Audit entries past their retention period (kept, never deleted): "
        f"{summary.audit_entries_past_period}"
    )


@people.command("export")
@click.argument("pseudonym")
@click.option(
    "--format", "fmt", type=click.Choice(("json", "pdf"), case_sensitive=False), required=True,
    help="JSON (machine-readable, art. 20) or PDF (readable, art. 15).",
)  # fmt: skip
@click.option(
    "--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
    help="The file to write (readable by its owner only).",
)  # fmt: skip
def export_person(pseudonym: str, fmt: str, out: Path) -> None:
    """Export everything held about the person PSEUDONYM, for a lawful request (audited as the
    system, purpose "indsigt"). The file holds the full CPR number."""
    from sqlalchemy import select

    from matching.core.audit import Actor
    from matching.core.db import check_database, make_engine, make_session_factory, session_scope
    from matching.core.settings import Settings
    from matching.intake.rights import person_data_export, person_data_pdf
    from matching.models import Jobseeker

    if not out.parent.is_dir():
        raise click.ClickException(f"mappen {out.parent} findes ikke")
    fmt = fmt.lower()
    settings = Settings.from_env()
    engine = make_engine(settings)
    check_database(engine)
    with session_scope(make_session_factory(engine)) as session:
        person = session.scalar(select(Jobseeker).where(Jobseeker.pseudonym == pseudonym.strip()))
        if person is None:
            raise click.ClickException(f"ingen person med pseudonymet {pseudonym!r}")
        data = person_data_export(
            session, Actor.system(), person, cpr_key=settings.cpr_key, file_format=fmt
        )
        body = (
            person_data_pdf(data)
            if fmt == "pdf"
            else json.dumps(data, ensure_ascii=False, indent=2).encode()
        )
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
    click.echo(str(out))


# --- bulk import from a case system's export (matching.intake.imports) ------------------------

from workers.people_import import import_people as _import_people  # noqa: E402

people.add_command(_import_people)
