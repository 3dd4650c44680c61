"""`jobbro backup DIR` and `jobbro restore DIR` (workers/backup.py, docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import click


def _engine_and_settings():  # noqa: ANN202
    from matching.core.db import check_database, make_engine
    from matching.core.settings import Settings

    settings = Settings.from_env()
    engine = make_engine(settings)
    check_database(engine)
    return settings, engine


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Back up the database, the vector indexes and the export files into FOLDER (new or
    empty), with a manifest of the schema revision, row counts and checksums. The portal and
    workers may keep running."""
    from workers.backup import backup

    settings, engine = _engine_and_settings()
    try:
        manifest = backup(settings, engine, folder)
    finally:
        engine.dispose()
    database = manifest["database"]
    rows = sum(database["rows"].values())
    click.echo(
        f"Backed up {database['dialect']} at revision {database['revision'] or 'none'} "
        f"({len(database['rows'])} tables, {rows} rows) and {len(manifest['sha256']) - 1} "
        f"other files to {folder.resolve()}."
    )
    click.echo("The CPR key is not in the backup: keep it apart from the backups.")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already has tables.")
def restore_command(folder: Path, force: bool) -> None:
    """Restore the backup in FOLDER into the configured database and data folder. Stop the
    portal and the workers first. Checksums, the schema revision and the target's emptiness are
    checked before anything is changed; row counts after."""
    from workers.backup import restore

    settings, engine = _engine_and_settings()
    try:
        result = restore(settings, engine, folder, force=force)
    finally:
        engine.dispose()
    click.echo(
        f"Restored {len(result.row_counts)} tables ({sum(result.row_counts.values())} rows, "
        f"counts checked) and {result.files} files."
    )
    if result.revision != result.head:
        click.echo(
            f"The backup is at revision {result.revision or 'none'}; run `jobbro db upgrade` "
            f"to bring it to {result.head}."
        )


def register(cli: click.Group) -> None:
    cli.add_command(backup_command)
    cli.add_command(restore_command)
