"""Backups and restores of a Jobbro installation (``jobbro backup`` / ``jobbro restore``).

A backup is a folder:

* ``database.pgdump`` — PostgreSQL: ``pg_dump -Fc`` of the application's schema, taken in the
  same REPEATABLE READ snapshot as the row counts (``--snapshot``), so both agree; or
  ``database.sqlite3`` — SQLite: a copy made through SQLite's online backup API, consistent
  while the portal and workers keep writing;
* ``index/<kind>/`` — the saved vector indexes (``embeddings.index_files``: the files of the
  version the ``<kind>`` symlink points at). They are a cache of the stored embeddings: a worker
  reconciles them with the database on start, so an index slightly older or newer than the
  database is repaired, and a missing one is rebuilt;
* ``exports/`` — the finished job-fair export files still downloadable (personal data, kept for
  hours only, ``settings.export_ttl_hours``);
* ``manifest.json`` — written last: the format, when, the database kind, its schema revision
  (Alembic), the row count of every table, the models' manifests (which model built the
  indexes) and the sha256 of every other file.

The folder is written under a temporary name beside the target and renamed at the end, so an
interrupted backup never looks complete. :func:`restore` checks every checksum before it
changes anything, refuses a backup whose schema revision this version of Jobbro does not know
(made by a newer one), refuses a target database that already has tables unless ``force``, and
compares the row counts afterwards. Backups hold personal data, CPR numbers encrypted under the
CPR key (which is not in the backup: keep it with the other secrets, apart from the backups).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from matching.core.errors import JobbroError
from matching.core.migrate import alembic_config_without_engine, current_revision
from matching.core.settings import Settings

FORMAT = 1
MANIFEST_FILE = "manifest.json"
PG_DUMP_FILE = "database.pgdump"
SQLITE_FILE = "database.sqlite3"
INDEX_DIR = "index"
EXPORTS_DIR = "exports"


class BackupError(JobbroError):
    """A backup cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreResult:
    revision: str | None
    head: str | None
    row_counts: dict[str, int]
    files: int


# --- helpers ----------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH; install the PostgreSQL client programs "
            "(Debian: apt-get install postgresql-client) in the server's major version or newer"
        )
    return found


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """The database URL for pg_dump/pg_restore, and their environment: the password goes in
    PGPASSWORD, never on the command line (where ``ps`` shows it)."""
    url = make_url(settings.database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        problem = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {' '.join(problem[-3:])}")


def table_names(conn: Connection) -> list[str]:
    """The tables of the database (PostgreSQL: of the current schema), sorted."""
    return sorted(inspect(conn).get_table_names())


def row_counts(conn: Connection) -> dict[str, int]:
    return {
        name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
        for name in table_names(conn)
    }


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config_without_engine())
    return {rev.revision for rev in script.walk_revisions()}


def _head() -> str | None:
    from matching.core.migrate import head_revision

    return head_revision()


def _index_kinds(index_dir: Path) -> dict[str, Path]:
    """Each saved index by kind: the folder its symlink points at (``embeddings.index_files``)."""
    if not index_dir.is_dir():
        return {}
    kinds = {}
    for entry in sorted(index_dir.iterdir()):
        if entry.name.startswith(".") or ".v-" in entry.name or not entry.is_dir():
            continue
        kinds[entry.name] = entry.resolve()
    return kinds


def _copy_files(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.is_file() and not path.name.startswith("."):  # not partial files
            shutil.copy2(path, target / path.name)


def _model_manifests(model_dir: Path) -> dict[str, str]:
    """sha256 of each prepared model's manifest.json: which model built the saved indexes."""
    if not model_dir.is_dir():
        return {}
    return {
        folder.name: _sha256(folder / "manifest.json")
        for folder in sorted(model_dir.iterdir())
        if (folder / "manifest.json").is_file()
    }


# --- backup -----------------------------------------------------------------------------------


def backup(settings: Settings, engine: Engine, target: Path) -> dict[str, Any]:
    """Write a backup folder at ``target`` (which must not exist or be empty); returns the
    manifest."""
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder; choose a new one")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
    work.mkdir(mode=0o700)
    try:
        database = _backup_database(settings, engine, work)
        for kind, folder in _index_kinds(settings.data_dir / INDEX_DIR).items():
            _copy_files(folder, work / INDEX_DIR / kind)
        if settings.export_dir.is_dir():
            _copy_files(settings.export_dir, work / EXPORTS_DIR)
        files = {
            str(path.relative_to(work)): _sha256(path)
            for path in sorted(work.rglob("*"))
            if path.is_file()
        }
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": database,
            "models": _model_manifests(settings.model_dir),
            "sha256": files,
        }
        with (work / MANIFEST_FILE).open("w", encoding="utf-8") as out:
            json.dump(manifest, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            target.rmdir()
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _backup_database(settings: Settings, engine: Engine, work: Path) -> dict[str, Any]:
    revision = current_revision(engine)
    if settings.is_sqlite:
        source_path = make_url(settings.database_url).database
        if not source_path or source_path == ":memory:" or not Path(source_path).is_file():
            raise BackupError(f"no SQLite database file at {source_path!r}")
        copy_path = work / SQLITE_FILE
        source = sqlite3.connect(source_path)
        copy = sqlite3.connect(copy_path)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        copy_engine = _sqlite_engine(copy_path)
        try:
            with copy_engine.connect() as conn:
                counts = row_counts(conn)
        finally:
            copy_engine.dispose()
        return {"dialect": "sqlite", "file": SQLITE_FILE, "revision": revision, "rows": counts}
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(settings)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            counts = row_counts(conn)
            _run(
                [
                    pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                    f"--snapshot={snapshot}", f"--schema={schema}",
                    f"--file={work / PG_DUMP_FILE}", f"--dbname={uri}",
                ],
                env,
            )  # fmt: skip
    return {
        "dialect": "postgresql",
        "file": PG_DUMP_FILE,
        "schema": schema,
        "revision": revision,
        "rows": counts,
    }


def _sqlite_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine

    return create_engine(f"sqlite:///{path}")


# --- restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file against its checksum."""
    try:
        manifest = json.loads((source / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source} is not a Jobbro backup: {MANIFEST_FILE} is missing") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST_FILE} is unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of an unknown format")
    listed = manifest.get("sha256") or {}
    for name, digest in sorted(listed.items()):
        path = (source / name).resolve()
        if not path.is_relative_to(source.resolve()) or not path.is_file():
            raise BackupError(f"the backup's file {name} is missing")
        if _sha256(path) != digest:
            raise BackupError(f"the backup's file {name} does not match its checksum")
    database = manifest.get("database") or {}
    if database.get("file") not in listed:
        raise BackupError(f"{source} holds no database file")
    return manifest


def restore(
    settings: Settings, engine: Engine, source: Path, *, force: bool = False
) -> RestoreResult:
    """Restore the backup at ``source`` into the configured database and data folder."""
    source = source.resolve()
    manifest = read_manifest(source)
    database = manifest["database"]
    revision = database.get("revision")
    if revision is not None and revision not in _known_revisions():
        raise BackupError(
            f"the backup's schema revision {revision} is unknown to this version of Jobbro "
            "(made by a newer one?); restore it with the version that made it"
        )
    dialect = "sqlite" if settings.is_sqlite else "postgresql"
    if database.get("dialect") != dialect:
        raise BackupError(
            f"the backup is of a {database.get('dialect')} database; the configured database "
            f"is {dialect}"
        )
    with engine.connect() as conn:
        existing = table_names(conn)
    if existing and not force:
        raise BackupError(
            f"the target database is not empty ({len(existing)} tables); restore into an empty "
            "database, or give --force to replace everything in it"
        )
    engine.dispose()
    if dialect == "sqlite":
        _restore_sqlite(settings, source / database["file"])
    else:
        _restore_postgresql(settings, engine, source / database["file"], database, existing)
    engine.dispose()
    with engine.connect() as conn:
        counts = row_counts(conn)
    expected = {name: int(n) for name, n in database.get("rows", {}).items()}
    if counts != expected:
        differ = sorted(
            name for name in set(counts) | set(expected) if counts.get(name) != expected.get(name)
        )
        raise BackupError(f"the restored row counts differ from the backup's: {', '.join(differ)}")
    files = _restore_files(settings, source, manifest)
    return RestoreResult(revision, _head(), counts, files)


def _restore_sqlite(settings: Settings, copy_path: Path) -> None:
    target_path = make_url(settings.database_url).database
    if not target_path or target_path == ":memory:":
        raise BackupError("the configured SQLite database has no file to restore into")
    Path(target_path).parent.mkdir(parents=True, exist_ok=True)
    copy = sqlite3.connect(copy_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            copy.backup(target)  # replaces every page of the target
    finally:
        target.close()
        copy.close()


def _restore_postgresql(
    settings: Settings, engine: Engine, dump: Path, database: dict[str, Any], existing: list[str]
) -> None:
    pg_restore = _tool("pg_restore")
    uri, env = _libpq(settings)
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        if schema is None:  # the search path names a schema that does not exist yet
            search_path = conn.execute(text("SHOW search_path")).scalar_one()
            schema = search_path.split(",")[0].strip().strip('"')
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    if schema != database.get("schema"):
        raise BackupError(
            f"the backup is of the schema {database.get('schema')!r}; the configured database "
            f"uses {schema!r} (its search_path): restore into a database with that schema"
        )
    # Every entry but the schema itself, which exists already (made above, or ``public``).
    listing = subprocess.run(
        [pg_restore, "--list", str(dump)], env=env, capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read the dump: {listing.stderr.strip()}")
    entries = [
        line
        for line in listing.stdout.splitlines()
        if " SCHEMA - " not in line and " COMMENT - SCHEMA " not in line
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as handle:
        handle.write("\n".join(entries) + "\n")
    command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction", f"--use-list={handle.name}", f"--dbname={uri}"]
    if existing:  # --force: replace what is there
        from matching.core.migrate import drop_everything

        drop_everything(engine)
        command += ["--clean", "--if-exists"]
    try:
        _run([*command, str(dump)], env)
    finally:
        os.unlink(handle.name)


def _restore_files(settings: Settings, source: Path, manifest: dict[str, Any]) -> int:
    """The vector indexes (each switched in atomically, as ``embeddings.index_files`` saves
    them) and the export files; returns how many files were restored."""
    restored = 0
    index_dir = settings.data_dir / INDEX_DIR
    backup_index = source / INDEX_DIR
    if backup_index.is_dir():
        for kind_dir in sorted(p for p in backup_index.iterdir() if p.is_dir()):
            index_dir.mkdir(parents=True, exist_ok=True)
            live = index_dir / kind_dir.name
            version = index_dir / f"{kind_dir.name}.v-{uuid.uuid4().hex[:12]}"
            _copy_files(kind_dir, version)
            restored += sum(1 for _ in version.iterdir())
            previous = live.resolve() if live.is_symlink() else None
            if live.exists() and not live.is_symlink():
                shutil.rmtree(live)
            link = index_dir / f".{kind_dir.name}.link-{uuid.uuid4().hex[:8]}"
            os.symlink(version.name, link)
            os.replace(link, live)
            if previous is not None and previous != version:
                shutil.rmtree(previous, ignore_errors=True)
    backup_exports = source / EXPORTS_DIR
    if backup_exports.is_dir():
        _copy_files(backup_exports, settings.export_dir)
        restored += sum(1 for p in backup_exports.iterdir() if p.is_file())
    return restored
