"""How a :class:`~embeddings.index.VectorIndex` is kept on disk: saved atomically, loaded verified.

* :func:`save` writes a new version folder next to ``directory`` and switches the symlink
  ``directory`` to it with one atomic ``os.replace``; a process killed at any point leaves the
  previous index loadable. ``meta.json`` carries model version, dimension, count, kind,
  parameters, the sha256 of every data file and the creation time; :func:`load` verifies them
  and refuses an index made by another model version (vectors of different models never mix).
* The FAISS structure is saved too and reused by :func:`load` after a check against the
  canonical vectors, because an HNSW graph can take minutes to rebuild.
* Version folders of saves that were killed are removed by a later save once they are older
  than ``ORPHAN_MAX_AGE_SECONDS``.

This is the on-disk half of :mod:`embeddings.index` and works on a ``VectorIndex``'s internals;
callers use :meth:`VectorIndex.save <embeddings.index.VectorIndex.save>` and
:meth:`VectorIndex.load <embeddings.index.VectorIndex.load>`, which delegate here.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from embeddings.errors import EmbeddingsError
from embeddings.model_files import sha256

if TYPE_CHECKING:
    from embeddings.index import VectorIndex

ORPHAN_MAX_AGE_SECONDS = 3_600  # version folders of killed saves are removed after this
META_FILE = "meta.json"
VECTORS_FILE = "vectors.npy"
IDS_FILE = "ids.npy"
FINGERPRINTS_FILE = "fingerprints.json"
FAISS_FILE = "index.faiss"
LABELS_FILE = "labels.npy"  # application id of each FAISS label, -1 for tombstones
REQUIRED_FILES = (VECTORS_FILE, IDS_FILE, FINGERPRINTS_FILE)
FORMAT_VERSION = 2


class IndexCorrupt(EmbeddingsError):
    """A saved index is missing a file, or a file does not match its checksum or metadata."""


class ModelVersionMismatch(EmbeddingsError):
    """A saved index was built with another model version; rebuild it, never mix vectors."""


def save(index: VectorIndex, directory: Path | str) -> None:
    """:meth:`VectorIndex.save <embeddings.index.VectorIndex.save>`: a new version folder, then
    the symlink switch; the previous version is removed only after the switch."""
    directory = Path(directory)
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    index._prepare()
    version_dir = parent / f"{directory.name}.v-{uuid.uuid4().hex[:12]}"
    version_dir.mkdir()
    try:
        live = len(index._row)
        writers: dict[str, Callable[[Path], None]] = {
            VECTORS_FILE: lambda p: _write_npy(p, index._vectors[:live]),
            IDS_FILE: lambda p: _write_npy(p, index._ids[:live]),
            FINGERPRINTS_FILE: lambda p: _write_bytes(
                p,
                json.dumps(
                    {str(i): index._fingerprints[i] for i in index._row if i in index._fingerprints}
                ).encode(),
            ),
        }
        if index._faiss is not None:
            writers[FAISS_FILE] = lambda p: _write_faiss(p, index._faiss)
            writers[LABELS_FILE] = lambda p: _write_npy(p, index._label_to_id)
        checksums = {}
        for name, write in writers.items():
            path = version_dir / name
            write(path)
            checksums[name] = sha256(path)
        meta = {
            "format": FORMAT_VERSION,
            "model_version": index.model_version,
            "dimension": index.dimension,
            "count": live,
            "kind": index._faiss_kind or index.kind,
            "params": {
                "exact_threshold": index.exact_threshold,
                "hnsw_m": index.hnsw_m,
                "ef_construction": index.ef_construction,
                "ef_search": index.ef_search,
            },
            "sha256": checksums,
            "created_at": datetime.now(UTC).isoformat(),
        }
        _write_bytes(version_dir / META_FILE, json.dumps(meta, indent=2).encode())
        _fsync_dir(version_dir)
        previous = directory.resolve() if directory.is_symlink() else None
        legacy = None
        if directory.exists() and not directory.is_symlink():
            # A plain folder (older layout): move it aside, remove it after the switch.
            legacy = parent / f".{directory.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(directory, legacy)
        link_tmp = parent / f".{directory.name}.link-{uuid.uuid4().hex[:8]}"
        os.symlink(version_dir.name, link_tmp)
        try:
            os.replace(link_tmp, directory)  # the atomic switch
        except BaseException:
            link_tmp.unlink(missing_ok=True)
            if legacy is not None:
                os.rename(legacy, directory)
            raise
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(version_dir, ignore_errors=True)
        raise
    if previous is not None and previous != version_dir.resolve():
        shutil.rmtree(previous, ignore_errors=True)
    if legacy is not None:
        shutil.rmtree(legacy, ignore_errors=True)
    _remove_orphans(directory, keep=version_dir)


def load(
    cls: type[VectorIndex],
    directory: Path | str,
    *,
    expected_model_version: str,
    expected_dimension: int | None = None,
) -> VectorIndex:
    """:meth:`VectorIndex.load <embeddings.index.VectorIndex.load>`: verify ``meta.json`` and every
    checksum, then build a ``cls`` from the files (and its saved FAISS structure, if any)."""
    directory = Path(directory)
    where = f"vector index {directory}"
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise IndexCorrupt(f"{where}: {META_FILE} is missing")
    try:
        meta = json.loads(meta_path.read_text())
        stored_version = meta["model_version"]
        dimension = int(meta["dimension"])
        count = int(meta["count"])
        checksums: dict[str, str] = dict(meta["sha256"])
        params = {k: int(v) for k, v in meta["params"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"{where}: {META_FILE} is unreadable ({exc})") from exc
    if stored_version != expected_model_version:
        raise ModelVersionMismatch(
            f"{where} was built with model {stored_version!r}, not "
            f"{expected_model_version!r}; it must be rebuilt"
        )
    if expected_dimension is not None and dimension != expected_dimension:
        raise ModelVersionMismatch(
            f"{where} holds {dimension}-d vectors, not {expected_dimension}-d; it must be rebuilt"
        )
    for name in REQUIRED_FILES:
        if name not in checksums:
            raise IndexCorrupt(f"{where}: {META_FILE} lists no checksum for {name}")
    for name, digest in checksums.items():
        path = directory / name
        if not path.is_file():
            raise IndexCorrupt(f"{where}: {name} is missing")
        if sha256(path) != digest:
            raise IndexCorrupt(f"{where}: {name} does not match its checksum")
    try:
        vectors = np.load(directory / VECTORS_FILE)
        ids = np.load(directory / IDS_FILE)
        raw = json.loads((directory / FINGERPRINTS_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{where}: unreadable data file ({exc})") from exc
    if (
        vectors.shape != (count, dimension)
        or vectors.dtype != np.float32
        or ids.shape != (count,)
        or ids.dtype != np.int64
    ):
        raise IndexCorrupt(f"{where}: data files disagree with {META_FILE}")
    index = cls(dimension, stored_version, **params)
    fingerprints = raw.get
    index.add(
        ids,
        vectors,
        [fingerprints(str(i), "") for i in ids.tolist()],
    )
    if FAISS_FILE in checksums:
        _restore_structure(index, directory, where, meta.get("kind"))
    return index


def _restore_structure(index: VectorIndex, directory: Path, where: str, kind: object) -> None:
    """Reuse the saved FAISS structure (an HNSW graph can take minutes to rebuild)."""
    try:
        structure = faiss.read_index(str(directory / FAISS_FILE))
        labels = np.load(directory / LABELS_FILE)
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexCorrupt(f"{where}: unreadable {FAISS_FILE} ({exc})") from exc
    expected_type = faiss.IndexFlatIP if kind == "flat" else faiss.IndexHNSWFlat
    live_labels = np.flatnonzero(labels >= 0)
    if (
        not isinstance(structure, expected_type)
        or structure.d != index.dimension
        or structure.ntotal != labels.shape[0]
        or labels.dtype != np.int64
        or live_labels.size != len(index)
        or not np.array_equal(np.sort(labels[live_labels]), np.sort(index.ids()))
    ):
        raise IndexCorrupt(f"{where}: {FAISS_FILE} disagrees with the stored vectors")
    index._adopt_structure(structure, str(kind), labels)


def _write_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())


def _write_faiss(path: Path, structure: faiss.Index) -> None:
    faiss.write_index(structure, str(path))
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _write_bytes(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_orphans(directory: Path, *, keep: Path) -> None:
    """Remove version folders left by saves killed long enough ago to be surely dead."""
    cutoff = time.time() - ORPHAN_MAX_AGE_SECONDS
    for candidate in directory.parent.glob(f"{directory.name}.v-*"):
        try:
            if candidate != keep and candidate.stat().st_mtime < cutoff:
                shutil.rmtree(candidate, ignore_errors=True)
        except OSError:
            continue
