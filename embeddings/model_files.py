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
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"


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
