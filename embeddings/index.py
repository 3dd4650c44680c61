"""A vector index over int64 application ids that stays correct under updates.

Design
------
* The canonical vectors (float32, L2-normalised) and one fingerprint per id are owned by
  :class:`VectorIndex`; the FAISS structure is derived from them, so updates and removals are
  exact and the structure can always be rebuilt.
* Below ``exact_threshold`` vectors the search structure is an exact ``IndexFlatIP``; from
  ``exact_threshold`` on it is an ``IndexHNSWFlat`` with the inner-product metric. FAISS labels
  are positions in that structure (append-only), mapped to application ids by an array, which
  is what an ``IndexIDMap`` would do but lets updates and removals be handled uniformly.
* Neither structure is edited in place: an updated or removed id *tombstones* its label, which
  is excluded at search time with an ``IDSelectorBitmap`` in ``SearchParameters``; the new
  vector is appended under a new label before the next search. Once tombstones exceed
  ``REBUILD_TOMBSTONE_FRACTION`` of the structure it is rebuilt from the canonical vectors.
* Filtered search (``allowed_ids``) returns ``min(k, allowed ids indexed)`` results *after*
  filtering. Up to ``EXACT_FILTER_MAX_IDS`` allowed ids (or ``EXACT_FILTER_MAX_SHARE`` of the
  index) it is an exact product over just those vectors; a larger filter on the flat
  structure, or on an HNSW graph of at most ``FILTER_SCAN_MAX_VECTORS``, is an exact scan with
  an ``IDSelectorBitmap``; only larger graphs are walked with the selector and a raised
  efSearch, because a graph walk under a filter loses recall (measured: 0.83 recall@100 with a
  10 % filter at 100k vectors and ef 1000, 0.93 at ef 2000). Queries the walk cannot fill
  are answered exactly, so a filter never returns fewer results than it could.
* ``save`` and ``load`` keep the index on disk (:mod:`embeddings.index_files`): a save is
  atomic, so a process killed at any point leaves the previous index loadable, and a load
  verifies every checksum and refuses an index made by another model version (vectors of
  different models never mix).
* ``check``/``repair`` compare the index with what the database says should be in it.

Parameters (measured with ``bench/bench_search.py``: 2 cores, 384-d clustered unit vectors,
top-100, one query at a time with one OpenMP thread; p50/p99 in ms):

* ``EXACT_THRESHOLD`` 20,000 vectors. Exact search: 0.40/0.69 at 10k, 7.1/8.1 at 100k (over
  the 5 ms p99 target), ~140 at 1M. HNSW builds cost 1.2 s at 10k, 21.5 s at 100k and 255 s
  at 1M (machine shared with other jobs), and at 10k the graph gave recall@100 of only
  0.976 on this data, so small indexes stay exact (recall 1, nothing to build).
* ``HNSW_M`` 32, ``HNSW_EF_CONSTRUCTION`` 80, ``HNSW_EF_SEARCH`` 256: recall@100 0.9964 at
  1.09/1.42 ms (100k) and 0.9935 at 0.82/1.51 ms (1M). Alternatives measured at 100k:
  M=16/efC=100 gave recall 0.992 (ef 128) to 0.997 (ef 256) at similar latency but less
  margin; M=32/efC=200 took ~6x the build time for +0.003 recall; ef 384 buys +0.001
  recall for +50 % latency. Memory: canonical vectors 1.46 GiB + graph structure 1.68 GiB
  per million vectors.
* Filters: at 100k a 10 % filter walked on the graph needed ef 2,000 for recall 0.93
  (7.5 ms) while the exact bitmap scan costs 4.1/5.0 ms with recall 1; at 1M the walk
  (ef 2,560) gives recall 0.988 at 14/20 ms, and a 1 % filter answered exactly 8/9 ms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from embeddings import index_files

# Raised by VectorIndex.load; callers import them from here, with the index.
from embeddings.index_files import IndexCorrupt as IndexCorrupt
from embeddings.index_files import ModelVersionMismatch as ModelVersionMismatch

EXACT_THRESHOLD = 20_000  # vectors: below this the search is exact (IndexFlatIP)
HNSW_M = 32  # graph neighbours per node (FAISS stores 2*M on the bottom layer)
HNSW_EF_CONSTRUCTION = 80  # candidate list length while building
HNSW_EF_SEARCH = 256  # candidate list length while searching (raised to k when k is larger)
REBUILD_TOMBSTONE_FRACTION = 0.2  # rebuild once this share of FAISS labels are tombstones
# A filter allowing at most this many ids is answered by an exact product over just their
# vectors (cost proportional to the allowed ids); a larger one by a bitmap-filtered FAISS scan,
# which was faster from ~10k ids on (100k vectors, 10 % filter: 2.2 ms vs 3.8 ms gathered).
EXACT_FILTER_MAX_IDS = 5_000
EXACT_FILTER_MAX_SHARE = 0.02  # ... or at most this share of the index (1M vectors: 20k ids)
# Up to this many vectors a larger filter on HNSW is still an exact bitmap scan of the graph's
# own storage (100k vectors, 10 % filter: ~3 ms, recall 1); above it the graph is walked with
# a selector and efSearch raised to ef_search / share (100k, 10 %, ef 2000: recall 0.93).
FILTER_SCAN_MAX_VECTORS = 200_000
MAX_EF_SEARCH = 4_096  # upper bound of the raised efSearch of a filtered graph walk
NORM_TOLERANCE = 1e-3  # allowed | ||v|| - 1 | of an input vector
REPAIR_BATCH = 10_000  # ids per ``vectors_for`` call in :meth:`VectorIndex.repair`


@dataclass
class ConsistencyReport:
    """How the index differs from what should be in it (ids sorted ascending)."""

    missing: list[int] = field(default_factory=list)  # should be indexed, is not
    stale: list[int] = field(default_factory=list)  # indexed with another fingerprint
    extra: list[int] = field(default_factory=list)  # indexed, should not be
    # Expected fingerprint of each missing and stale id, used by ``repair``.
    expected: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when nothing is missing, stale or extra."""
        return not (self.missing or self.stale or self.extra)

    def to_dict(self) -> dict[str, object]:
        """Counts for logs and the CLI."""
        return {
            "ok": self.ok,
            "missing": len(self.missing),
            "stale": len(self.stale),
            "extra": len(self.extra),
        }


VectorsFor = Callable[[list[int]], "np.ndarray | tuple[np.ndarray, Sequence[str]]"]


class VectorIndex:
    """Exact or HNSW inner-product search over unit vectors keyed by non-negative int64 ids.

    Not thread-safe: one worker thread owns an index (searches may rebuild the structure).
    """

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
        if dimension < 1:
            raise ValueError(f"dimension must be positive, not {dimension}")
        self.dimension = int(dimension)
        self.model_version = model_version
        self.exact_threshold = int(exact_threshold)
        self.hnsw_m = int(hnsw_m)
        self.ef_construction = int(ef_construction)
        self.ef_search = int(ef_search)
        # Canonical contents: rows 0..len-1 of these arrays are live (capacity grows by doubling).
        self._vectors = np.zeros((0, dimension), dtype=np.float32)
        self._ids = np.zeros(0, dtype=np.int64)
        self._label_of_row = np.zeros(0, dtype=np.int64)  # FAISS label of a row, -1: not in it
        self._row: dict[int, int] = {}
        self._fingerprints: dict[int, str] = {}
        # Derived search structure (None until the first search or save).
        self._faiss: faiss.Index | None = None
        self._faiss_kind: str | None = None
        self._label_to_id = np.zeros(0, dtype=np.int64)  # -1 marks a tombstone
        self._tombstones = 0
        self._unlabelled = 0  # live rows whose current vector is not in the structure yet
        self._live_bitmap: np.ndarray | None = None  # cached selector bitmap of live labels
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None  # (ids sorted, their rows)

    # --- contents -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._row

    def ids(self) -> np.ndarray:
        """The indexed ids (int64, in storage order)."""
        return self._ids[: len(self._row)].copy()

    def get(self, entity_id: int) -> np.ndarray:
        """A copy of the stored vector of ``entity_id`` (``KeyError`` when not indexed)."""
        return self._vectors[self._row[int(entity_id)]].copy()

    def fingerprint(self, entity_id: int) -> str | None:
        """The fingerprint stored with ``entity_id``, or None."""
        return self._fingerprints.get(int(entity_id))

    @property
    def kind(self) -> str:
        """``flat`` or ``hnsw``: the structure the next search will use."""
        return "flat" if len(self) < self.exact_threshold else "hnsw"

    def add(
        self,
        ids: Sequence[int] | np.ndarray,
        vectors: np.ndarray,
        fingerprints: Sequence[str] | None = None,
    ) -> None:
        """Add new ids; raises ``ValueError`` if one is already indexed (use :meth:`upsert`)."""
        ids_arr = self._check_ids(ids)
        present = [int(i) for i in ids_arr.tolist() if i in self._row]
        if present:
            raise ValueError(
                f"{len(present)} id(s) already indexed (e.g. {present[:5]}); use upsert"
            )
        self.upsert(ids_arr, vectors, fingerprints)

    def upsert(
        self,
        ids: Sequence[int] | np.ndarray,
        vectors: np.ndarray,
        fingerprints: Sequence[str] | None = None,
    ) -> None:
        """Add new ids and replace the vector (and fingerprint) of indexed ones.

        Validation happens before any change: a rejected call leaves the index as it was.
        """
        ids_arr = self._check_ids(ids)
        vectors = self._check_vectors(vectors, len(ids_arr))
        if fingerprints is not None and len(fingerprints) != len(ids_arr):
            raise ValueError(
                f"got {len(fingerprints)} fingerprints for {len(ids_arr)} ids; give one per id"
            )
        new_positions: list[int] = []
        for i, entity_id in enumerate(ids_arr.tolist()):
            row = self._row.get(entity_id)
            if row is None:
                new_positions.append(i)
            else:
                self._unlabel(row)
                self._vectors[row] = vectors[i]
            if fingerprints is not None:
                self._fingerprints[entity_id] = str(fingerprints[i])
        if new_positions:
            self._sorted = None
            start = len(self._row)
            end = start + len(new_positions)
            self._ensure_capacity(end)
            self._vectors[start:end] = vectors[new_positions]
            self._ids[start:end] = ids_arr[new_positions]
            self._label_of_row[start:end] = -1
            self._row.update(zip(ids_arr[new_positions].tolist(), range(start, end), strict=True))
            self._unlabelled += len(new_positions)

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids (unknown ones are ignored). Returns how many were removed."""
        removed = 0
        for entity_id in {int(i) for i in ids}:
            row = self._row.get(entity_id)
            if row is None:
                continue
            self._unlabel(row)
            self._unlabelled -= 1  # the row itself goes away
            del self._row[entity_id]
            self._fingerprints.pop(entity_id, None)
            last = len(self._row)  # the last live row after the deletion
            if row != last:  # keep rows dense: move the last row into the gap
                moved_id = int(self._ids[last])
                self._vectors[row] = self._vectors[last]
                self._ids[row] = moved_id
                self._label_of_row[row] = self._label_of_row[last]
                self._row[moved_id] = row
            removed += 1
        if removed:
            self._sorted = None
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
        """A new index holding exactly these entries, its search structure built.

        ``params`` are the keyword parameters of the constructor.
        """
        index = cls(dimension, model_version, **params)
        index.add(ids, vectors, fingerprints)
        index._prepare()
        return index

    # --- search ---------------------------------------------------------------------------

    def search(
        self,
        queries: np.ndarray,
        k: int,
        *,
        allowed_ids: Collection[int] | np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` inner products per query: ``(scores, ids)``, each of shape ``(n, k)``.

        ``queries`` is one unit vector ``(dimension,)`` or a batch ``(n, dimension)``. Each row
        holds ``min(k, eligible ids)`` results, best first, padded with -inf / -1. With
        ``allowed_ids`` only those ids are eligible (ids not indexed are ignored); a numpy
        int64 array is the cheapest form for large filters.
        """
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"k must be a positive integer, not {k!r}")
        k = int(k)
        queries = self._check_vectors(np.atleast_2d(queries), None, what="query vectors")
        n_queries = queries.shape[0]
        empty = (
            np.full((n_queries, k), -np.inf, dtype=np.float32),
            np.full((n_queries, k), -1, dtype=np.int64),
        )
        live = len(self)
        if live == 0 or n_queries == 0:
            return empty
        if allowed_ids is None:
            self._prepare()
            return self._faiss_search(queries, k, self._live_selector_bitmap(), live)
        rows = self._rows_for(allowed_ids)
        if rows.size == 0:
            return empty
        if rows.size <= max(EXACT_FILTER_MAX_IDS, EXACT_FILTER_MAX_SHARE * len(self)):
            return self._exact_rows(queries, k, np.unique(rows))
        self._prepare()
        mask = np.zeros(self._faiss.ntotal, dtype=bool)
        mask[self._label_of_row[rows]] = True  # live rows always have a label after _prepare
        bitmap = np.packbits(mask, bitorder="little")
        return self._faiss_search(queries, k, bitmap, int(np.count_nonzero(mask)))

    def _faiss_search(
        self, queries: np.ndarray, k: int, bitmap: np.ndarray | None, eligible: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Search the FAISS structure restricted to the labels set in ``bitmap`` (None: all)."""
        assert self._faiss is not None
        selector = None if bitmap is None else faiss.IDSelectorBitmap(bitmap.size, _ptr(bitmap))
        want = min(k, eligible)
        if self._faiss_kind == "flat":
            return self._labels_to_ids(*self._flat_search(self._faiss, queries, k, selector))
        share = eligible / max(len(self), 1)
        if bitmap is not None and self._faiss.ntotal <= FILTER_SCAN_MAX_VECTORS:
            storage = faiss.downcast_index(self._faiss.storage)
            return self._labels_to_ids(*self._flat_search(storage, queries, k, selector))
        # A filter keeping a share s of the graph needs about 1/s times the candidates.
        ef = min(MAX_EF_SEARCH, max(self.ef_search, k, math.ceil(self.ef_search / share)))
        params = faiss.SearchParametersHNSW(efSearch=ef)
        if selector is not None:
            params.sel = selector
        scores, ids = self._labels_to_ids(*self._faiss.search(queries, k, params=params))
        short = (ids >= 0).sum(axis=1) < want
        if short.any():  # the graph walk missed some: answer those queries exactly
            storage = faiss.downcast_index(self._faiss.storage)
            exact = self._labels_to_ids(*self._flat_search(storage, queries[short], k, selector))
            scores[short], ids[short] = exact
        return scores, ids

    @staticmethod
    def _flat_search(
        index: faiss.Index, queries: np.ndarray, k: int, selector: faiss.IDSelector | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if selector is None:
            return index.search(queries, k)
        return index.search(queries, k, params=faiss.SearchParameters(sel=selector))

    def _labels_to_ids(
        self, distances: np.ndarray, labels: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        ids = np.where(labels >= 0, self._label_to_id[np.clip(labels, 0, None)], -1)
        scores = np.where(ids >= 0, distances, -np.inf).astype(np.float32)
        if (ids < 0).any():  # keep results first and padding last (tombstones never pass)
            order = np.argsort(ids < 0, axis=1, kind="stable")
            ids = np.take_along_axis(ids, order, axis=1)
            scores = np.take_along_axis(scores, order, axis=1)
        return scores, ids

    def _exact_rows(
        self, queries: np.ndarray, k: int, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k over the canonical vectors of ``rows`` (cost proportional to rows).

        FAISS's own kernel rather than a numpy product: OpenBLAS threads fighting OpenMP ones
        on two cores made the numpy version 4x slower at p50 (measured).
        """
        scores, positions = faiss.knn(
            queries, self._vectors[rows], k, metric=faiss.METRIC_INNER_PRODUCT
        )
        ids = np.where(positions >= 0, self._ids[rows][np.clip(positions, 0, None)], -1)
        return np.where(ids >= 0, scores, -np.inf).astype(np.float32), ids

    def _rows_for(self, allowed_ids: Collection[int] | np.ndarray) -> np.ndarray:
        """Rows of the allowed ids that are indexed, unordered and with the duplicates of
        ``allowed_ids`` (vectorised: filters can be large)."""
        if isinstance(allowed_ids, np.ndarray):
            wanted = allowed_ids.astype(np.int64, copy=False).ravel()
        else:
            wanted = np.fromiter(allowed_ids, dtype=np.int64, count=len(allowed_ids))
        if self._sorted is None:
            live = len(self._row)
            order = np.argsort(self._ids[:live], kind="stable")
            self._sorted = (self._ids[:live][order], order.astype(np.int64))
        sorted_ids, sorted_rows = self._sorted
        pos = np.clip(np.searchsorted(sorted_ids, wanted), 0, len(sorted_ids) - 1)
        hit = sorted_ids[pos] == wanted
        return sorted_rows[pos[hit]]

    def _live_selector_bitmap(self) -> np.ndarray | None:
        """Bitmap of the labels that are not tombstones; None when there are no tombstones."""
        if self._tombstones == 0:
            return None
        if self._live_bitmap is None:
            self._live_bitmap = np.packbits(self._label_to_id >= 0, bitorder="little")
        return self._live_bitmap

    # --- search structure -----------------------------------------------------------------

    def _prepare(self) -> None:
        """Bring the FAISS structure up to date with the canonical vectors."""
        live = len(self)
        if live == 0:
            return
        kind = self.kind
        if (
            self._faiss is None
            or self._faiss_kind != kind
            or self._tombstones > REBUILD_TOMBSTONE_FRACTION * self._faiss.ntotal
        ):
            self._rebuild(kind)
            return
        if self._unlabelled:
            rows = np.flatnonzero(self._label_of_row[:live] < 0)
            start = self._faiss.ntotal
            self._faiss.add(self._vectors[rows])
            self._label_to_id = np.concatenate([self._label_to_id, self._ids[rows]])
            self._label_of_row[rows] = np.arange(start, start + rows.size)
            self._unlabelled = 0
            self._live_bitmap = None

    def _rebuild(self, kind: str) -> None:
        live = len(self)
        if kind == "flat":
            structure = faiss.IndexFlatIP(self.dimension)
        else:
            structure = faiss.IndexHNSWFlat(self.dimension, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            structure.hnsw.efConstruction = self.ef_construction
            structure.hnsw.efSearch = self.ef_search
        structure.add(self._vectors[:live])
        self._faiss, self._faiss_kind = structure, kind
        self._label_to_id = self._ids[:live].copy()
        self._label_of_row[:live] = np.arange(live)
        self._tombstones = 0
        self._unlabelled = 0
        self._live_bitmap = None

    def _adopt_structure(self, structure: faiss.Index, kind: str, labels: np.ndarray) -> None:
        """Use a saved structure whose live ``labels`` (-1: tombstone) are exactly our ids."""
        live_labels = np.flatnonzero(labels >= 0)
        rows = np.array([self._row[i] for i in labels[live_labels].tolist()], dtype=np.int64)
        self._faiss, self._faiss_kind = structure, kind
        self._label_to_id = labels
        self._label_of_row[rows] = live_labels
        self._tombstones = int(labels.shape[0] - live_labels.size)
        self._unlabelled = 0
        self._live_bitmap = None

    def _unlabel(self, row: int) -> None:
        """The row's vector leaves the structure (tombstone); it is re-added when needed."""
        label = int(self._label_of_row[row])
        if label >= 0:
            self._label_to_id[label] = -1
            self._label_of_row[row] = -1
            self._tombstones += 1
            self._unlabelled += 1
            self._live_bitmap = None

    # --- consistency ----------------------------------------------------------------------

    def check(self, expected: Mapping[int, str]) -> ConsistencyReport:
        """Compare with ``expected``: id → fingerprint of what should be indexed.

        A fingerprint is any string that changes when the embedded text or the model does
        (e.g. sha256 of the scrubbed text and the model version).
        """
        report = ConsistencyReport()
        for entity_id, fingerprint in expected.items():
            entity_id = int(entity_id)
            if entity_id not in self._row:
                report.missing.append(entity_id)
                report.expected[entity_id] = fingerprint
            elif self._fingerprints.get(entity_id) != fingerprint:
                report.stale.append(entity_id)
                report.expected[entity_id] = fingerprint
        expected_ids = {int(i) for i in expected}
        report.extra = [i for i in self._row if i not in expected_ids]
        report.missing.sort()
        report.stale.sort()
        report.extra.sort()
        return report

    def repair(self, report: ConsistencyReport, vectors_for: VectorsFor) -> None:
        """Remove extras and (re)load missing and stale ids through ``vectors_for``.

        ``vectors_for(ids)`` returns their vectors ``(len(ids), dimension)`` in that order,
        or ``(vectors, fingerprints)``; without fingerprints the expected ones from the report
        are stored. It is called with at most ``REPAIR_BATCH`` ids at a time.
        """
        self.remove(report.extra)
        todo = report.missing + report.stale
        for start in range(0, len(todo), REPAIR_BATCH):
            chunk = todo[start : start + REPAIR_BATCH]
            result = vectors_for(chunk)
            if isinstance(result, tuple):
                vectors, fingerprints = result
            else:
                vectors, fingerprints = result, [report.expected.get(i, "") for i in chunk]
            self.upsert(chunk, vectors, list(fingerprints))

    # --- persistence (the on-disk format is in :mod:`embeddings.index_files`) ---------------

    def save(self, directory: Path | str) -> None:
        """Save atomically: write a version folder beside ``directory``, then switch the
        symlink ``directory`` to it with ``os.replace``. The previous version is removed
        only after the switch, so a crash at any point leaves a loadable index.
        """
        index_files.save(self, directory)

    @classmethod
    def load(
        cls,
        directory: Path | str,
        *,
        expected_model_version: str,
        expected_dimension: int | None = None,
    ) -> VectorIndex:
        """Load a saved index after verifying it.

        Raises :class:`ModelVersionMismatch` when it was built by another model version (or
        has another dimension than ``expected_dimension``) and :class:`IndexCorrupt` when a
        file is missing, fails its checksum or disagrees with ``meta.json``.
        """
        return index_files.load(
            cls,
            directory,
            expected_model_version=expected_model_version,
            expected_dimension=expected_dimension,
        )

    # --- validation -----------------------------------------------------------------------

    def _check_ids(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise ValueError(
                f"ids must be a 1-d sequence of integers, not {arr.dtype} of shape {arr.shape}"
            )
        arr = arr.astype(np.int64)
        if np.unique(arr).size != arr.size:
            raise ValueError("ids must be unique within one call")
        if arr.size and arr.min() < 0:
            raise ValueError("ids must be non-negative (-1 marks 'no result')")
        return arr

    def _check_vectors(
        self, vectors: np.ndarray, count: int | None, *, what: str = "vectors"
    ) -> np.ndarray:
        if not isinstance(vectors, np.ndarray):
            raise ValueError(f"{what} must be a float32 numpy array, not {type(vectors).__name__}")
        if vectors.dtype != np.float32:
            raise ValueError(f"{what} must be float32, not {vectors.dtype}")
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"{what} must have shape (n, {self.dimension}), not {vectors.shape}")
        if count is not None and vectors.shape[0] != count:
            raise ValueError(f"got {vectors.shape[0]} vectors for {count} ids")
        if not np.isfinite(vectors).all():
            raise ValueError(f"{what} contain NaN or infinity")
        if vectors.shape[0]:
            norms = np.linalg.norm(vectors, axis=1)
            worst = int(np.argmax(np.abs(norms - 1)))
            if abs(norms[worst] - 1) > NORM_TOLERANCE:
                raise ValueError(
                    f"{what} must be L2-normalised (unit length); row {worst} has norm "
                    f"{norms[worst]:.4f} (the encoder normalises, the index does not)"
                )
        return np.ascontiguousarray(vectors)

    def _ensure_capacity(self, needed: int) -> None:
        if needed <= self._vectors.shape[0]:
            return
        capacity = max(needed, 2 * self._vectors.shape[0], 1024)
        live = len(self._row)
        vectors = np.zeros((capacity, self.dimension), dtype=np.float32)
        ids = np.zeros(capacity, dtype=np.int64)
        labels = np.full(capacity, -1, dtype=np.int64)
        vectors[:live] = self._vectors[:live]
        ids[:live] = self._ids[:live]
        labels[:live] = self._label_of_row[:live]
        self._vectors, self._ids, self._label_of_row = vectors, ids, labels


def _ptr(array: np.ndarray):  # noqa: ANN202 - a SWIG pointer
    return faiss.swig_ptr(array)
