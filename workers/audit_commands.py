"""`jobbro audit seal` and `jobbro audit verify`: the audit log's seals
(matching/core/audit_seals.py, docs/security.md)."""

from __future__ import annotations

import re
from datetime import datetime

import click


def _session_factory():  # noqa: ANN202
    from matching.core.db import check_database, make_engine, make_session_factory
    from matching.core.settings import Settings

    settings = Settings.from_env()
    engine = make_engine(settings)
    check_database(engine)
    return settings, engine, make_session_factory(engine)


def _checkpoint(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    found = re.fullmatch(r"\s*(?:seal=)?(\d+)\s*[:,]\s*(?:hash=)?([0-9a-fA-F]{64})\s*", value)
    if found is None:
        raise click.BadParameter("give it as SEAL_ID:HASH, from an `audit checkpoint` log line")
    return int(found[1]), found[2].lower()


@click.group("audit")
def audit() -> None:
    """The audit log's seals: make them now, or check that no entry was changed or deleted."""


@audit.command("seal")
def seal_command() -> None:
    """Seal the audit entries written since the last seal (the worker does it every minute)."""
    from matching.core.audit_seals import seal_key, seal_pending
    from matching.core.db import session_scope

    settings, engine, factory = _session_factory()
    try:
        with session_scope(factory) as session:
            seals = seal_pending(session, seal_key(settings.secret_key))
            rows = sum(s.row_count for s in seals)
    finally:
        engine.dispose()
    click.echo(f"Sealed {rows} audit entries in {len(seals)} seal(s).")


@audit.command("verify")
@click.option(
    "--from-date",
    "from_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Check only the seals made from this day (UTC) on, chained to the one before.",
)
@click.option(
    "--checkpoint",
    "checkpoint_text",
    metavar="SEAL_ID:HASH",
    help="A checkpoint from the log output: that seal must still have that hash.",
)
def verify_command(from_date: datetime | None, checkpoint_text: str | None) -> None:
    """Recompute every seal of the audit log. Exit 1 naming the first broken seal and its
    range of audit ids when an entry or a seal was changed or deleted; else print what was
    checked and the newest seal's hash (compare it with the daily checkpoint in the logs)."""
    from datetime import UTC

    from matching.core.audit_seals import seal_key, verify
    from matching.core.db import session_scope

    expected = _checkpoint(checkpoint_text)
    since = from_date.replace(tzinfo=UTC) if from_date is not None else None
    settings, engine, factory = _session_factory()
    try:
        with session_scope(factory) as session:
            result = verify(
                session,
                [seal_key(key) for key in settings.signing_keys],
                since=since,
                checkpoint=expected,
            )
            latest = result.latest
            newest = (
                f"Newest seal {latest.id} (audit ids up to {latest.last_id}): {latest.hash}"
                if latest
                else "No seal yet."
            )
    finally:
        engine.dispose()
    if result.broken is not None:
        click.echo(
            f"{result.rows} entries in {result.seals} seal(s) before it were intact.", err=True
        )
        raise click.ClickException(
            f"audit log verification failed: {result.broken.describe()}"
        )  # exit 1
    click.echo(
        f"Audit log intact: {result.rows} entries in {result.seals} seal(s) verified"
        f"{f' from {since.date().isoformat()}' if since else ''}; "
        f"{result.unsealed_rows} newer entries not sealed yet."
    )
    click.echo(newest)


def register(cli: click.Group) -> None:
    cli.add_command(audit)
