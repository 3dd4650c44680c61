"""`jobbro keys …`: a new CPR key, and rotating the stored data to it (docs/operations.md).

Keys are read from a file or the environment, never from the command line, where they would
reach the shell history and the process list.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import click


@click.group("keys")
def keys() -> None:
    """Encryption keys: make a new CPR key and re-encrypt the stored data under it."""


@keys.command("new-cpr-key")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
def new_cpr_key(key_file: Path) -> None:
    """Write a new random CPR key (32 bytes, urlsafe base64) to KEY_FILE, readable only by
    its owner. An existing file is never overwritten."""
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{key_file} exists already; choose another file") from None
    with os.fdopen(fd, "w") as out:
        out.write(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
    click.echo(f"Wrote a new CPR key to {key_file}. Keep it with the other secrets.")


def _read_key_file(path: Path) -> bytes:
    from matching.core.keys import decode_key

    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        click.echo(f"warning: {path} can be read by others than its owner (chmod 600)", err=True)
    key = decode_key(path.read_text(encoding="ascii", errors="replace"))
    if key is None:
        raise click.ClickException(f"{path} holds no key: 32 bytes as urlsafe base64 are expected")
    return key


@keys.command("rotate-cpr")
@click.option(
    "--new-key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The new key (default: JOBBRO_CPR_KEY, rotating from JOBBRO_CPR_KEY_PREVIOUS).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1, max=100_000),
    default=500,
    show_default=True,
    help="Rows per committed batch.",
)
def rotate_cpr(new_key_file: Path | None, batch_size: int) -> None:
    """Re-encrypt every CPR number (and its look-up hash), CV draft and import file under the
    new key. Safe to interrupt and run again; rows already under the new key are skipped.

    The usual way: set JOBBRO_CPR_KEY to the new key and JOBBRO_CPR_KEY_PREVIOUS to the old one
    for the portal, the workers and this command, run it, then remove JOBBRO_CPR_KEY_PREVIOUS.
    """
    from matching.core.db import check_database, make_engine, make_session_factory
    from matching.core.keys import keys_of
    from matching.core.settings import Settings
    from matching.intake.key_rotation import rotate_cpr_key

    settings = Settings.from_env()
    configured = keys_of(settings.cpr_key)
    new_key = _read_key_file(new_key_file) if new_key_file else configured[0]
    old_keys = [k for k in configured if k != new_key]
    if not old_keys:
        raise click.ClickException(
            "nothing to rotate from: set JOBBRO_CPR_KEY_PREVIOUS to the old key "
            "(or give the new key with --new-key-file)"
        )
    if new_key != configured[0]:
        click.echo(
            "note: the new key is not JOBBRO_CPR_KEY: processes running meanwhile cannot read "
            "the rows already rotated. Stop them, or give them the new key as JOBBRO_CPR_KEY and "
            "the old one as JOBBRO_CPR_KEY_PREVIOUS.",
            err=True,
        )
    engine = make_engine(settings)
    check_database(engine)

    def progress(table: str, last_id: int, report) -> None:  # noqa: ANN001
        click.echo(
            f"  {table}: up to id {last_id}: {report.rotated[table]} re-encrypted, "
            f"{report.current[table]} already under the new key"
        )

    report = rotate_cpr_key(
        make_session_factory(engine),
        new_key=new_key,
        old_keys=old_keys,
        batch_size=batch_size,
        after_batch=progress,
    )
    for table in ("jobseekers", "cv_drafts", "person_imports"):
        click.echo(
            f"{table}: {report.rotated[table]} re-encrypted, "
            f"{report.current[table]} already under the new key"
        )
    if not report.complete:
        for failure in report.failures:
            click.echo(f"  {failure.table} id {failure.row_id}: {failure.reason}", err=True)
        raise click.ClickException(
            f"{len(report.failures)} row(s) could not be rotated (listed above); the old key is "
            "still needed for them"
        )
    click.echo("Every value is under the new key; JOBBRO_CPR_KEY_PREVIOUS can be removed.")


def register(cli: click.Group) -> None:
    cli.add_command(keys)
