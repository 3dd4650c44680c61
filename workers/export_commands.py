"""`jobbro export …`: make a job-fair export now, in this process, through the same code as
the worker's job (matching.fairs.exports.runs.run_export), with a progress bar."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

FORMATS = ("csv", "xlsx", "pdf")
KINDS = ("shortlist", "invitations")


def register(cli: click.Group) -> None:
    cli.add_command(export)


@click.group()
def export() -> None:
    """Job-fair exports: shortlists (CSV, XLSX, PDF) and invitation lists (CSV)."""


@export.command("shortlist")
@click.argument("fair_id", type=click.IntRange(min=1))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS, case_sensitive=False), required=True,
    help="File format (the invitation list is CSV only).",
)  # fmt: skip
@click.option(
    "--kind", type=click.Choice(KINDS), default="shortlist", show_default=True,
    help="The shortlists of every vacancy, or the mail-merge list of invited people.",
)  # fmt: skip
@click.option(
    "--output", type=click.Path(path_type=Path), default=None,
    help="File or folder to write to (default: the download name in the current folder).",
)  # fmt: skip
@click.option(
    "--as", "as_email", required=True, metavar="EMAIL",
    help="The user the export is made for: an organiser or administrator of the fair's "
    "organiser organisation (audited in their name).",
)  # fmt: skip
def export_shortlist(fair_id: int, fmt: str, kind: str, output: Path | None, as_email: str) -> None:
    """Export job fair FAIR_ID's shortlists (or invitation list) to a file."""
    from datetime import timedelta

    from matching.core.db import check_database, make_engine, make_session_factory, session_scope
    from matching.core.errors import JobbroError, PermissionDenied, ValidationError
    from matching.core.settings import Settings
    from matching.fairs.exports.requests import open_download, request_export
    from matching.fairs.exports.runs import run_export
    from matching.models import ExportStatus

    if output is not None and not output.is_dir() and not output.parent.is_dir():
        raise click.ClickException(f"mappen {output.parent} findes ikke")
    settings = Settings.from_env()
    engine = make_engine(settings)
    check_database(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        actor = _actor(session, as_email, fair_id)
        try:
            export_id = request_export(session, actor, fair_id, kind=kind, fmt=fmt.lower()).id
        except ValidationError as exc:
            raise click.ClickException(" ".join(exc.errors.values())) from None
        except PermissionDenied:
            raise click.ClickException(_not_organiser(as_email)) from None

    with contextlib.ExitStack() as stack:
        bars: list = []

        def on_progress(done: int, total: int) -> None:
            if not bars:
                bars.append(
                    stack.enter_context(
                        click.progressbar(
                            length=max(total, 1), label="Eksporterer", file=sys.stderr
                        )
                    )
                )
            bar = bars[0]
            bar.update(max(0, done - bar.pos))

        try:
            made = run_export(
                factory,
                export_id,
                settings.export_dir,
                ttl=timedelta(hours=settings.export_ttl_hours),
                on_progress=on_progress,
            )
        except JobbroError:
            raise
        except Exception as exc:
            raise click.ClickException(_failure(factory, export_id)) from exc
    if made.status is not ExportStatus.DONE:
        raise click.ClickException(made.error or f"eksporten blev ikke lavet ({made.status})")

    with session_scope(factory) as session:
        source, download_name, _mimetype = open_download(
            session, actor, export_id, settings.export_dir
        )
        target = output or Path.cwd()
        if target.is_dir():
            target = target / download_name
        _copy_atomically(source, target)
    click.echo(f"{target}")
    rows = "række" if made.row_count == 1 else "rækker"
    click.echo(f"{made.row_count} {rows} eksporteret (eksport {export_id}).")
    left_out = (made.params or {}).get("left_out")
    if left_out:
        click.echo(
            f"{left_out} inviterede er udeladt: de har ikke givet samtykke til at blive "
            "kontaktet på e-mail, eller der mangler en e-mailadresse."
        )


def _actor(session, email: str, fair_id: int):  # noqa: ANN001, ANN202 - Session -> Actor
    """The user's organiser or admin role in the fair's organiser organisation, else a clear
    one-line refusal."""
    from sqlalchemy import func, select

    from matching.core.audit import Actor
    from matching.core.permissions import FAIR_ORGANISERS
    from matching.models import JobFair, User

    user = session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower(), User.active.is_(True))
    )
    if user is None:
        raise click.ClickException(f"der findes ingen aktiv bruger med e-mailen {email}")
    fair = session.get(JobFair, fair_id)
    if fair is None:
        raise click.ClickException(f"jobmesse {fair_id} findes ikke")
    for membership in user.memberships:
        if (
            membership.organisation_id == fair.organiser_id
            and membership.role in FAIR_ORGANISERS
            and membership.organisation.active
        ):
            return Actor.member(membership)
    raise click.ClickException(_not_organiser(email, fair.organiser.name))


def _not_organiser(email: str, organisation: str | None = None) -> str:
    where = f" i {organisation}" if organisation else ""
    return (
        f"{email} må ikke eksportere jobmessen: kun arrangører og administratorer{where}, "
        "som holder jobmessen, må"
    )


def _failure(factory, export_id: int) -> str:  # noqa: ANN001
    """The Danish error stored on the failed export (never the exception's own text)."""
    from matching.core.db import session_scope
    from matching.models import Export

    with session_scope(factory) as session:
        export = session.get(Export, export_id)
        error = export.error if export is not None else None
    return error or f"eksport {export_id} fejlede"


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy via a temporary file beside the target and a rename: never half a file."""
    partial = target.with_name(f".{target.name}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle, source.open("rb") as data:
            while chunk := data.read(1 << 20):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
