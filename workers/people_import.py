"""`jobbro people import FILE --organisation ORG [--dry-run]`: bulk import of people and their CVs
from a case system's CSV or JSON Lines export (matching.intake.imports; docs/import.md).

The import runs in this process, all or nothing, with a progress bar on stderr. Exit codes:
0 imported (or a clean dry run), 1 the file has errors (listed on stderr by line; nothing is
stored), 2 a bad argument (no such file, an unknown extension or organisation). After the
commit the match lists of the created and changed people are queued when Redis is configured
(one job each, or one catch-up run for a large import); otherwise the nightly run makes them.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click


def _organisation(session, value: str):  # noqa: ANN001, ANN202 - Session -> Organisation
    """The organisation by id or CVR number; a usage error (exit 2) when there is none."""
    from sqlalchemy import select

    from matching.models import Organisation

    text = value.strip().replace(" ", "")
    found = None
    if text.isdigit():
        found = session.scalar(select(Organisation).where(Organisation.cvr == text))
        if found is None and len(text) < 8:
            found = session.get(Organisation, int(text))
    if found is None:
        raise click.BadParameter(
            f"der findes ingen organisation med id eller CVR-nummer {value}",
            param_hint="--organisation",
        )
    return found


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--organisation", "organisation", required=True, metavar="ID|CVR",
    help="The a-kasse or jobcentre the people are imported for (its id or CVR number).",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Check the whole file and report; store nothing.")
def import_people(file: Path, organisation: str, dry_run: bool) -> None:
    """Import the people (and CVs) in FILE (.csv or .jsonl) for an a-kasse or jobcentre."""
    from matching.core.audit import Actor
    from matching.core.db import check_database, make_engine, make_session_factory, session_scope
    from matching.core.errors import ImportFormatError, PermissionDenied
    from matching.core.settings import Settings
    from matching.intake.import_formats import format_of, parse_file
    from matching.intake.imports import run_import

    if not file.is_file():
        raise click.BadParameter(f"filen {file} findes ikke", param_hint="FILE")
    try:
        file_format = format_of(file.name)
    except ImportFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from None
    settings = Settings.from_env()
    engine = make_engine(settings)
    check_database(engine)
    factory = make_session_factory(engine)
    with contextlib.ExitStack() as stack, session_scope(factory) as session:
        org = _organisation(session, organisation)
        # The organisation's administrator, acting from the command line (audited as such).
        actor = Actor(user_id=None, organisation_id=org.id, role="admin")
        try:
            rows, errors = parse_file(file.read_bytes(), file_format)
        except ImportFormatError as exc:
            raise click.ClickException(str(exc)) from None
        bar = stack.enter_context(
            click.progressbar(length=max(len(rows), 1), label="Kontrollerer", file=sys.stderr)
        )

        def progress(done: int, total: int) -> None:
            bar.update(max(0, done - bar.pos))

        try:
            summary = run_import(
                session,
                actor,
                rows,
                key=settings.cpr_key,
                errors=errors,
                dry_run=dry_run,
                progress=progress,
            )
        except PermissionDenied:
            raise click.BadParameter(
                f"{org.name} er hverken en a-kasse eller et jobcenter",
                param_hint="--organisation",
            ) from None
        stack.close()  # end the bar before the summary
        if summary.errors or dry_run:
            session.rollback()
    if summary.errors:
        for error in summary.errors:
            where = f"linje {error.line}" if error.line else "filen"
            column = f" ({error.field})" if error.field else ""
            click.echo(f"{where}{column}: {error.message_da}", err=True)
        raise click.ClickException(f"{len(summary.errors)} fejl i filen; intet er gemt.")
    prefix = "Prøvekørsel – intet er gemt. Ville give: " if dry_run else ""
    click.echo(
        f"{prefix}{summary.created} oprettet, {summary.updated} opdateret, "
        f"{summary.unchanged} uændret."
    )
    if not dry_run:
        _enqueue_matches(settings, summary.created_ids + summary.updated_ids)


def _enqueue_matches(settings, ids: list[int]) -> None:  # noqa: ANN001 - Settings
    if not ids or settings.redis_url is None:
        return
    import redis

    from workers.queues import enqueue_imported_people
    from workers.redis_server import connect

    try:
        jobs = enqueue_imported_people(connect(settings.redis_url), ids)
    except (redis.RedisError, OSError):
        click.echo("Matchlisterne laves ved næste natlige kørsel (køen svarede ikke).", err=True)
        return
    click.echo(f"{jobs} matchjob sat i kø.")
