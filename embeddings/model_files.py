"""The files of a prepared model folder, shared by the torch model and its ONNX export.

Both :func:`embeddings.model.prepare_model` and :func:`embeddings.onnx_backend.prepare_onnx`
build their folder in a temporary sibling and move it into place with ``os.replace`` under a
lock file, so an interrupted or killed preparation never leaves a half-written model at the
final path (left-over temporary folders are removed by the next preparation). Each folder
carries a ``manifest.json`` with the size and sha256 of every other file, checked before use.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from embeddings.errors import ModelError

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"

T = TypeVar("T")


@dataclass(frozen=True)
class FolderKind:
    """What a kind of prepared folder must hold, and how its errors name it and its repair."""

    label: str  # "embedding model", in every error message
    repair_hint: str
    manifest_values: Mapping[str, Any]  # manifest entries that must have exactly these values
    manifest_keys: tuple[str, ...]  # entries that must be present
    required_files: tuple[str, ...]  # files beside the manifest the manifest must list

    def read_manifest(self, path: Path) -> dict[str, Any]:
        """The folder's manifest; :class:`ModelError` if it is missing, corrupt or of another
        format."""
        try:
            manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self.error(path, f"{MANIFEST_FILE} is missing") from None
        except (OSError, ValueError) as exc:
            raise self.error(path, f"{MANIFEST_FILE} is corrupt ({exc})") from None
        if (
            not isinstance(manifest, dict)
            or any(manifest.get(key) != value for key, value in self.manifest_values.items())
            or any(key not in manifest for key in self.manifest_keys)
        ):
            raise self.error(path, f"{MANIFEST_FILE} is corrupt or of an unknown format")
        return manifest

    def verify(self, path: Path) -> dict[str, Any]:
        """The manifest of a folder whose every file matches it; :class:`ModelError` naming each
        missing or corrupt file otherwise."""
        if not path.is_dir():
            raise ModelError(f"{self.label} folder {path} does not exist; {self.repair_hint}")
        manifest = self.read_manifest(path)
        problems = file_problems(path, manifest["files"], self.required_files)
        if problems:
            raise self.error(path, "; ".join(problems))
        return manifest

    def error(self, path: Path, problem: str) -> ModelError:
        return ModelError(f"{self.label} at {path}: {problem}; {self.repair_hint}")


def verified_or_none(final: Path, verify: Callable[[Path], T], label: str) -> T | None:
    """``verify(final)``; None when the folder is missing or fails (logged: it is rebuilt)."""
    if not final.exists():
        return None
    try:
        return verify(final)
    except ModelError as exc:
        log.warning("rebuilding the %s: %s", label, exc)
        return None


def build_folder(
    model_dir: Path, name: str, build: Callable[[Path], None], ready: Callable[[], T | None]
) -> T | None:
    """Build the folder ``model_dir / name`` with ``build(staging)`` in a temporary sibling and
    move it into place, under the folder's lock file. ``ready()`` is asked first, with the lock
    held: another process may have finished the folder while this one waited (then its answer
    is returned and nothing is built; None after a build)."""
    with exclusive_lock(model_dir / f".{name}.lock"):
        if done := ready():
            return done
        remove_leftovers(model_dir, name)
        staging = model_dir / f".{name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            build(staging)
            move_into_place(staging, model_dir / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return None


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path`` (created if missing) inside the block."""
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(model_dir: Path, name: str) -> None:
    """Remove temporary folders of earlier preparations that were killed (we hold the lock)."""
    for pattern in (f".{name}.partial-*", f".{name}.old-*"):
        for leftover in model_dir.glob(pattern):
            log.info("removing left-over %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def move_into_place(staging: Path, final: Path) -> None:
    """Make the finished ``staging`` folder the folder ``final``, replacing an old one."""
    # os.replace cannot replace a non-empty directory: move the old one aside first.
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def file_checksums(folder: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """Checksum and size of every file but the manifest, and one digest over all of them."""
    files = {
        file.relative_to(folder).as_posix(): {"sha256": sha256(file), "bytes": file.stat().st_size}
        for file in sorted(folder.rglob("*"))
        if file.is_file() and file.relative_to(folder).as_posix() != MANIFEST_FILE
    }
    digest = hashlib.sha256(
        "".join(f"{name}\0{entry['sha256']}\n" for name, entry in sorted(files.items())).encode()
    ).hexdigest()
    return files, digest


def file_problems(
    folder: Path, files: Mapping[str, Mapping[str, Any]], required: Iterable[str]
) -> list[str]:
    """What is wrong with ``folder`` by its manifest's ``files`` (relative path -> ``sha256`` and
    ``bytes``): each required file the manifest does not list, and each missing or corrupt file.
    """
    problems = [f"{name} is not listed in the manifest" for name in required if name not in files]
    for name, expected in sorted(files.items()):
        file = folder / name
        if not file.is_file():
            problems.append(f"{name} is missing")
        elif file.stat().st_size != expected["bytes"]:
            problems.append(
                f"{name} is corrupt ({file.stat().st_size} bytes, expected {expected['bytes']})"
            )
        elif sha256(file) != expected["sha256"]:
            problems.append(f"{name} is corrupt (checksum mismatch)")
    return problems


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as indented UTF-8 JSON with a final newline (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def sha256(path: Path) -> str:
    """Hex sha256 digest of a file's contents."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
