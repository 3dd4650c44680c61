"""A vector index over int64 application ids that stays correct under updates.

* The canonical vectors (and a fingerprint per id) are owned by :class:`VectorIndex`; the FAISS
  structure is derived from them, so updates and removals are exact and it can be rebuilt.
* Below ``exact_threshold`` vectors the search is exact (``IndexFlatIP``); above it an HNSW
  graph (inner product) is used. HNSW cannot delete, so updated/removed entries are tombstoned
  (filtered with an ``IDSelectorNot``) and the graph is rebuilt once tombstones pass
  ``REBUILD_TOMBSTONE_FRACTION`` of the live entries.
* Filtered search returns k results *after* filtering: a selective filter (few allowed ids) is
  answered exactly over the allowed subset, because HNSW with a very selective filter loses
  recall; otherwise FAISS searches with an ``IDSelectorBatch``, falling back to the exact subset
  search if it finds fewer than k.
* ``save`` writes a new version folder and switches a symlink atomically, so a process killed
  mid-write leaves the previous index loadable; ``meta.json`` carries model version, dimension,
  count and checksums, and ``load`` refuses an index made by another model version.
* ``check``/``repair`` compare the index with what the database says should be in it.

Parameters (measured with ``bench/bench_search.py``, see docs/performance.md): exact search up
to 20,000 vectors (exact top-100: ~0.3 ms at 10k, ~8 ms at 100k); HNSW above, with M=32,
efConstruction=80, efSearch=256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from embeddings.errors import EmbeddingsError

EXACT_THRESHOLD = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256
REBUILD_TOMBSTONE_FRACTION = 0.2
# A filter allowing at most this many ids is answered by exact search over them (cheaper than
# a filtered graph walk, and exact); larger filters walk the graph with a raised efSearch.
EXACT_FILTER_MAX_IDS = 50_000
MAX_EF_SEARCH = 4_096
NORM_TOLERANCE = 1e-3
META_FILE = "meta.json"
FORMAT_VERSION = 1


class IndexCorrupt(EmbeddingsError):
    """A saved index is missing a file or a file does not match its checksum."""


class ModelVersionMismatch(EmbeddingsError):
    """A saved index was built with another model version; it must be rebuilt, never mixed."""


@dataclass
class ConsistencyReport:
    """How the index differs from what should be in it."""

    missing: list[int] = field(default_factory=list)  # should be indexed, is not
    stale: list[int] = field(default_factory=list)  # indexed from another text/version
    extra: list[int] = field(default_factory=list)  # indexed, should not be

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "missing": len(self.missing),
            "stale": len(self.stale),
            "extra": len(self.extra),
        }


class VectorIndex:
    """Exact or HNSW inner-product search over unit vectors keyed by int64 ids."""

    def __init__(
        self,
        dimension: int,
        model_version: str,
        *,
        exact_threshold: int = EXACT_THRESHOLD,
        hnsw_m: int = HNSW_M,
        ef_construction: int = HNSW_EF_CONSTRUCTION,
        ef_search: int = HNSW_EF_SEARCH,
    ) -> None:
        self.dimension = dimension
        self.model_version = model_version
        self.exact_threshold = exact_threshold
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self._vectors = np.zeros((0, dimension), dtype=np.float32)
        self._ids = np.zeros(0, dtype=np.int64)
        self._row: dict[int, int] = {}
        self._fingerprints: dict[int, str] = {}
        # Search structure: None until first search after a change of size class.
        self._faiss: faiss.Index | None = None
        self._kind = "flat"
        # HNSW bookkeeping: FAISS labels are rows of the vectors at build time.
        self._label_to_id: np.ndarray = np.zeros(0, dtype=np.int64)
        self._id_to_label: dict[int, int] = {}
        self._tombstones: set[int] = set()
        # Ids whose vector changed since the graph was built (re-added before the next search).
        self._pending: set[int] = set()
        # (ids sorted, their rows) for vectorised filter look-ups; None when out of date.
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    # --- contents -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._row

    def ids(self) -> np.ndarray:
        return self._ids[: len(self._row)].copy()

    def get(self, entity_id: int) -> np.ndarray:
        return self._vectors[self._row[entity_id]].copy()

    def fingerprint(self, entity_id: int) -> str | None:
        return self._fingerprints.get(entity_id)

    @property
    def kind(self) -> str:
        """``flat`` or ``hnsw``: what the next search will use."""
        return "flat" if len(self) < self.exact_threshold else "hnsw"

    def upsert(
        self,
        ids: Sequence[int] | np.ndarray,
        vectors: np.ndarray,
        fingerprints: Sequence[str] | None = None,
    ) -> None:
        """Add new ids and replace the vectors of known ones."""
        ids_arr = self._check_ids(ids)
        vectors = self._check_vectors(vectors, len(ids_arr))
        if fingerprints is not None and len(fingerprints) != len(ids_arr):
            raise ValueError("fingerprints must have one entry per id")
        new_rows = []
        for i, entity_id in enumerate(ids_arr.tolist()):
            row = self._row.get(entity_id)
            if row is None:
                new_rows.append(i)
            else:
                self._vectors[row] = vectors[i]
                self._invalidate(entity_id)
            if fingerprints is not None:
                self._fingerprints[entity_id] = fingerprints[i]
        if new_rows:
            self._sorted = None
            start = len(self._row)
            self._ensure_capacity(start + len(new_rows))
            for offset, i in enumerate(new_rows):
                entity_id = int(ids_arr[i])
                self._vectors[start + offset] = vectors[i]
                self._ids[start + offset] = entity_id
                self._row[entity_id] = start + offset
            self._append_to_search(ids_arr[new_rows], vectors[new_rows])

    add = upsert

    def remove(self, ids: Collection[int]) -> int:
        """Remove ids (unknown ones are ignored). Returns how many were removed."""
        removed = 0
        self._sorted = None
        for entity_id in {int(i) for i in ids}:
            row = self._row.pop(entity_id, None)
            if row is None:
                continue
            self._fingerprints.pop(entity_id, None)
            self._invalidate(entity_id)
            last = len(self._row)  # index of the last live row after the pop
            if row != last:
                moved_id = int(self._ids[last])
                self._vectors[row] = self._vectors[last]
                self._ids[row] = moved_id
                self._row[moved_id] = row
            removed += 1
        return removed

    @classmethod
    def build(
        cls,
        dimension: int,
        model_version: str,
        ids: Sequence[int] | np.ndarray,
        vectors: np.ndarray,
        fingerprints: Sequence[str] | None = None,
        **params: int,
    ) -> VectorIndex:
        """A new index holding exactly these entries."""
        index = cls(dimension, model_version, **params)
        index.upsert(ids, vectors, fingerprints)
        return index

    # --- search ---------------------------------------------------------------------------

    def search(
        self,
        queries: np.ndarray,
        k: int,
        *,
        allowed_ids: Collection[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` inner products per query: (scores, ids), padded with -inf / -1.

        With ``allowed_ids`` only those ids can be returned, and up to ``k`` of them are.
        """
        if k < 1:
            raise ValueError(f"k must be positive, not {k}")
        queries = self._check_vectors(np.atleast_2d(queries), None)
        n_queries = queries.shape[0]
        scores = np.full((n_queries, k), -np.inf, dtype=np.float32)
        found = np.full((n_queries, k), -1, dtype=np.int64)
        if not self._row:
            return scores, found
        if allowed_ids is not None:
            rows = self._rows_for(allowed_ids)
            if rows.size == 0:
                return scores, found
            if rows.size <= EXACT_FILTER_MAX_IDS or self.kind == "flat":
                return self._exact_subset(queries, k, rows)
            return self._hnsw_search(queries, k, rows)
        if self.kind == "flat":
            return self._exact_subset(queries, k, None)
        return self._hnsw_search(queries, k, None)

    def _rows_for(self, allowed_ids: Collection[int]) -> np.ndarray:
        """Rows of the allowed ids that are indexed (vectorised: filters can be large)."""
        if isinstance(allowed_ids, np.ndarray):
            wanted = np.unique(allowed_ids.astype(np.int64, copy=False))
        else:
            wanted = np.unique(np.fromiter(allowed_ids, dtype=np.int64, count=len(allowed_ids)))
        if self._sorted is None:
            live = len(self._row)
            order = np.argsort(self._ids[:live], kind="stable")
            self._sorted = (self._ids[:live][order], order.astype(np.int64))
        sorted_ids, sorted_rows = self._sorted
        pos = np.searchsorted(sorted_ids, wanted)
        pos = np.clip(pos, 0, max(len(sorted_ids) - 1, 0))
        hit = sorted_ids[pos] == wanted if len(sorted_ids) else np.zeros(0, dtype=bool)
        return np.sort(sorted_rows[pos[hit]])

    def _exact_subset(
        self, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        live = len(self._row)
        matrix = self._vectors[:live] if rows is None else self._vectors[rows]
        ids = self._ids[:live] if rows is None else self._ids[rows]
        sims = queries @ matrix.T
        take = min(k, sims.shape[1])
        scores = np.full((queries.shape[0], k), -np.inf, dtype=np.float32)
        found = np.full((queries.shape[0], k), -1, dtype=np.int64)
        top = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        for q in range(queries.shape[0]):
            order = top[q][np.argsort(-sims[q, top[q]], kind="stable")]
            scores[q, :take] = sims[q, order]
            found[q, :take] = ids[order]
        return scores, found

    def _hnsw_search(
        self, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        self._ensure_hnsw()
        assert self._faiss is not None
        if rows is None:
            selector = (
                faiss.IDSelectorNot(faiss.IDSelectorBatch(np.fromiter(self._tombstones, np.int64)))
                if self._tombstones
                else None
            )
        else:
            labels = np.array([self._id_to_label[int(i)] for i in self._ids[rows]], np.int64)
            selector = faiss.IDSelectorBatch(labels)
        # A filter that keeps a share s of the graph needs about 1/s times the candidates.
        share = 1.0 if rows is None else rows.size / max(len(self), 1)
        ef = min(MAX_EF_SEARCH, max(self.ef_search, int(2 * k / share)))
        params = faiss.SearchParametersHNSW(efSearch=ef)
        if selector is not None:
            params.sel = selector
        distances, labels = self._faiss.search(queries, k, params=params)
        ids = np.where(labels >= 0, self._label_to_id[np.clip(labels, 0, None)], -1)
        scores = np.where(labels >= 0, distances, -np.inf).astype(np.float32)
        want = min(k, len(self) if rows is None else rows.size)
        short = (ids >= 0).sum(axis=1) < want
        if short.any():  # HNSW missed some under the filter: answer those queries exactly
            exact_scores, exact_ids = self._exact_subset(queries[short], k, rows)
            scores[short], ids[short] = exact_scores, exact_ids
        return scores, ids

    # --- consistency ----------------------------------------------------------------------

    def check(self, expected: Mapping[int, str]) -> ConsistencyReport:
        """Compare with ``expected`` (id → fingerprint of what should be indexed)."""
        report = ConsistencyReport()
        for entity_id, fingerprint in expected.items():
            if entity_id not in self._row:
                report.missing.append(entity_id)
            elif self._fingerprints.get(entity_id) != fingerprint:
                report.stale.append(entity_id)
        report.extra = [i for i in self._row if i not in expected]
        report.missing.sort()
        report.stale.sort()
        report.extra.sort()
        return report

    def repair(
        self,
        report: ConsistencyReport,
        vectors_for: Callable[[list[int]], tuple[np.ndarray, list[str]]],
    ) -> None:
        """Remove extras and (re)load missing and stale ids through ``vectors_for``."""
        self.remove(report.extra)
        todo = report.missing + report.stale
        if todo:
            vectors, fingerprints = vectors_for(todo)
            self.upsert(todo, vectors, fingerprints)

    # --- persistence ----------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write a new version folder beside ``directory`` and switch the symlink to it."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        version_dir = directory.parent / f"{directory.name}.v-{uuid.uuid4().hex[:12]}"
        version_dir.mkdir()
        try:
            live = len(self._row)
            files = {
                "vectors.npy": lambda p: np.save(p, self._vectors[:live]),
                "ids.npy": lambda p: np.save(p, self._ids[:live]),
                "fingerprints.json": lambda p: p.write_text(
                    json.dumps({str(i): self._fingerprints.get(i) for i in self._row})
                ),
            }
            checksums = {}
            for name, write in files.items():
                path = version_dir / name
                write(path)
                checksums[name] = _sha256(path)
            meta = {
                "format": FORMAT_VERSION,
                "model_version": self.model_version,
                "dimension": self.dimension,
                "count": live,
                "kind": self.kind,
                "params": {
                    "exact_threshold": self.exact_threshold,
                    "hnsw_m": self.hnsw_m,
                    "ef_construction": self.ef_construction,
                    "ef_search": self.ef_search,
                },
                "sha256": checksums,
                "created_at": datetime.now(UTC).isoformat(),
            }
            (version_dir / META_FILE).write_text(json.dumps(meta, indent=2))
            _fsync_dir(version_dir)
            link_tmp = directory.parent / f".{directory.name}.link-{uuid.uuid4().hex[:8]}"
            os.symlink(version_dir.name, link_tmp)
            previous = directory.resolve() if directory.is_symlink() else None
            if directory.exists() and not directory.is_symlink():
                shutil.rmtree(directory)  # a plain folder from an older layout
            os.replace(link_tmp, directory)  # atomic switch
            _fsync_dir(directory.parent)
        except BaseException:
            shutil.rmtree(version_dir, ignore_errors=True)
            raise
        if previous is not None and previous != version_dir.resolve():
            shutil.rmtree(previous, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, *, expected_model_version: str) -> VectorIndex:
        """Load a saved index; refuses another model version or a damaged file."""
        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.is_file():
            raise IndexCorrupt(f"vector index {directory}: {META_FILE} is missing")
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"vector index {directory}: {META_FILE} is unreadable") from exc
        if meta.get("model_version") != expected_model_version:
            raise ModelVersionMismatch(
                f"vector index {directory} was built with {meta.get('model_version')!r}, "
                f"not {expected_model_version!r}; it must be rebuilt"
            )
        for name, digest in meta.get("sha256", {}).items():
            path = directory / name
            if not path.is_file():
                raise IndexCorrupt(f"vector index {directory}: {name} is missing")
            if _sha256(path) != digest:
                raise IndexCorrupt(f"vector index {directory}: {name} does not match its checksum")
        vectors = np.load(directory / "vectors.npy")
        ids = np.load(directory / "ids.npy")
        raw = json.loads((directory / "fingerprints.json").read_text())
        if vectors.shape != (meta["count"], meta["dimension"]) or ids.shape != (meta["count"],):
            raise IndexCorrupt(f"vector index {directory}: sizes disagree with {META_FILE}")
        index = cls(meta["dimension"], meta["model_version"], **meta["params"])
        fingerprints = [raw.get(str(int(i))) or "" for i in ids]
        index.upsert(ids, vectors, fingerprints)
        return index

    # --- internals ------------------------------------------------------------------------

    def _check_ids(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise ValueError("ids must be a 1-d sequence of integers")
        arr = arr.astype(np.int64)
        if len(np.unique(arr)) != len(arr):
            raise ValueError("ids must be unique within one call")
        if (arr < 0).any():
            raise ValueError("ids must be non-negative (-1 marks 'no result')")
        return arr

    def _check_vectors(self, vectors: np.ndarray, count: int | None) -> np.ndarray:
        if not isinstance(vectors, np.ndarray) or vectors.dtype != np.float32:
            raise ValueError("vectors must be a float32 numpy array")
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"vectors must have shape (n, {self.dimension}), not {vectors.shape}")
        if count is not None and vectors.shape[0] != count:
            raise ValueError(f"got {vectors.shape[0]} vectors for {count} ids")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors contain NaN or infinity")
        norms = np.linalg.norm(vectors, axis=1)
        if vectors.shape[0] and np.abs(norms - 1).max() > NORM_TOLERANCE:
            raise ValueError("vectors must be L2-normalised (unit length)")
        return np.ascontiguousarray(vectors)

    def _ensure_capacity(self, needed: int) -> None:
        if needed <= self._vectors.shape[0]:
            return
        capacity = max(needed, 2 * self._vectors.shape[0], 1024)
        vectors = np.zeros((capacity, self.dimension), dtype=np.float32)
        ids = np.zeros(capacity, dtype=np.int64)
        live = len(self._row)
        vectors[:live] = self._vectors[:live]
        ids[:live] = self._ids[:live]
        self._vectors, self._ids = vectors, ids

    def _invalidate(self, entity_id: int) -> None:
        label = self._id_to_label.pop(entity_id, None)
        if label is not None:
            self._tombstones.add(label)
            self._pending.add(entity_id)

    def _append_to_search(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self._faiss is None or self._kind != "hnsw":
            return  # built lazily on the next HNSW search
        start = len(self._label_to_id)
        self._faiss.add(vectors)
        self._label_to_id = np.concatenate([self._label_to_id, ids])
        for offset, entity_id in enumerate(ids.tolist()):
            self._id_to_label[entity_id] = start + offset

    def _ensure_hnsw(self) -> None:
        stale = self._faiss is None or self._kind != "hnsw"
        if not stale and len(self._tombstones) > REBUILD_TOMBSTONE_FRACTION * max(len(self), 1):
            stale = True
        # Updated vectors were tombstoned; re-add them under new labels.
        if not stale:
            pending = [i for i in self._pending if i in self._row]  # removed ones stay out
            self._pending.clear()
            if pending:
                rows = np.array([self._row[i] for i in pending], dtype=np.int64)
                self._append_to_search(np.array(pending, np.int64), self._vectors[rows])
            return
        live = len(self._row)
        graph = faiss.IndexHNSWFlat(self.dimension, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = self.ef_construction
        graph.add(self._vectors[:live])
        self._faiss, self._kind = graph, "hnsw"
        self._label_to_id = self._ids[:live].copy()
        self._id_to_label = {int(i): label for label, i in enumerate(self._label_to_id)}
        self._tombstones = set()
        self._pending = set()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
