"""The vector index: exact and HNSW search, updates, filters, persistence, consistency."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from embeddings.index import (
    ConsistencyReport,
    IndexCorrupt,
    ModelVersionMismatch,
    VectorIndex,
)

DIM = 384
MODEL = "test-model@1"


def clustered(n: int, seed: int = 0, clusters: int = 200, noise: float = 0.7) -> np.ndarray:
    """Unit vectors around fixed random centres (queries come from the same clusters)."""
    centres = np.random.default_rng(1234).normal(size=(clusters, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    vectors = centres[rng.integers(0, clusters, n)] + noise * rng.normal(size=(n, DIM)).astype(
        np.float32
    ) / np.sqrt(DIM)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-(vectors @ query))[:k]
    return ids[order].tolist()


def test_flat_search_is_exact() -> None:
    vectors = clustered(2000)
    ids = np.arange(1000, 3000)
    index = VectorIndex.build(DIM, MODEL, ids, vectors)
    assert index.kind == "flat" and len(index) == 2000
    scores, found = index.search(vectors[:3], 10)
    for q in range(3):
        assert found[q].tolist() == exact_top(vectors, ids, vectors[q], 10)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_hnsw_recall_at_100_against_exact() -> None:
    vectors = clustered(20_000, seed=1)
    ids = np.arange(20_000) * 3
    index = VectorIndex.build(DIM, MODEL, ids, vectors, exact_threshold=5_000)
    assert index.kind == "hnsw"
    queries = clustered(50, seed=2)
    _, found = index.search(queries, 100)
    recall = np.mean(
        [
            len(set(found[q]) & set(exact_top(vectors, ids, queries[q], 100))) / 100
            for q in range(50)
        ]
    )
    assert recall >= 0.99


@pytest.mark.parametrize("threshold", [100_000, 500])
def test_upsert_and_remove(threshold: int) -> None:
    vectors = clustered(3000, seed=3)
    ids = np.arange(3000)
    index = VectorIndex.build(DIM, MODEL, ids, vectors, exact_threshold=threshold)
    target = vectors[10]
    index.search(target, 5)  # builds the search structure first
    # Move id 2999 onto the target: it must now be found first (beside id 10 itself).
    index.upsert([2999], target[None, :], ["changed"])
    _, found = index.search(target, 2)
    assert set(found[0]) == {10, 2999}
    assert index.fingerprint(2999) == "changed"
    assert index.remove([10, 2999, 123456]) == 2
    _, found = index.search(target, 50)
    assert 10 not in found[0] and 2999 not in found[0]
    assert len(index) == 2998 and 10 not in index


@pytest.mark.parametrize("threshold", [100_000, 500])
def test_filtered_search_returns_k_after_filtering(threshold: int) -> None:
    vectors = clustered(10_000, seed=4)
    ids = np.arange(10_000)
    index = VectorIndex.build(DIM, MODEL, ids, vectors, exact_threshold=threshold)
    for share in (0.01, 0.3):
        allowed = set(range(0, 10_000, int(1 / share)))
        _, found = index.search(clustered(5, seed=5), 50, allowed_ids=allowed)
        assert (found >= 0).sum(axis=1).tolist() == [50] * 5
        assert set(found.ravel().tolist()) <= allowed
    _, found = index.search(vectors[0], 10, allowed_ids={7, 8})
    assert sorted(found[0][:2].tolist()) == [7, 8] and found[0][2:].tolist() == [-1] * 8


def test_bad_input_is_rejected_clearly() -> None:
    index = VectorIndex(DIM, MODEL)
    good = clustered(2)
    with pytest.raises(ValueError, match="float32"):
        index.upsert([1, 2], good.astype(np.float64))
    with pytest.raises(ValueError, match="shape"):
        index.upsert([1, 2], good[:, :10].copy())
    with pytest.raises(ValueError, match="unit length"):
        index.upsert([1, 2], good * 2)
    with pytest.raises(ValueError, match="unique"):
        index.upsert([1, 1], good)
    with pytest.raises(ValueError, match="2 vectors for 3 ids"):
        index.upsert([1, 2, 3], good)
    bad = good.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        index.upsert([1, 2], bad)
    assert len(index) == 0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    vectors = clustered(500, seed=6)
    ids = np.arange(500) + 7
    index = VectorIndex.build(DIM, MODEL, ids, vectors, [f"fp{i}" for i in ids])
    index.save(tmp_path / "vacancies")
    loaded = VectorIndex.load(tmp_path / "vacancies", expected_model_version=MODEL)
    assert len(loaded) == 500 and loaded.fingerprint(7) == "fp7"
    assert np.array_equal(loaded.search(vectors[:2], 5)[1], index.search(vectors[:2], 5)[1])
    # Saving again replaces the version folder and leaves only the current one.
    index.remove([7])
    index.save(tmp_path / "vacancies")
    assert len(VectorIndex.load(tmp_path / "vacancies", expected_model_version=MODEL)) == 499
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("vacancies.v-")]) == 1


def test_other_model_version_is_refused(tmp_path: Path) -> None:
    VectorIndex.build(DIM, MODEL, [1], clustered(1)).save(tmp_path / "i")
    with pytest.raises(ModelVersionMismatch, match="must be rebuilt"):
        VectorIndex.load(tmp_path / "i", expected_model_version="other-model@2")


def test_corrupt_or_missing_files_are_detected(tmp_path: Path) -> None:
    VectorIndex.build(DIM, MODEL, [1, 2], clustered(2)).save(tmp_path / "i")
    vectors_file = tmp_path / "i" / "vectors.npy"
    data = bytearray(vectors_file.read_bytes())
    data[-5] ^= 0xFF
    vectors_file.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="vectors.npy does not match its checksum"):
        VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)
    (tmp_path / "i" / "ids.npy").unlink()
    with pytest.raises(IndexCorrupt, match="missing"):
        VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)


def test_interrupted_save_keeps_the_previous_index(tmp_path: Path, monkeypatch) -> None:
    old = VectorIndex.build(DIM, MODEL, [1, 2, 3], clustered(3, seed=7))
    old.save(tmp_path / "i")
    new = VectorIndex.build(DIM, MODEL, np.arange(100), clustered(100, seed=8))

    def crash(*_args, **_kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        new.save(tmp_path / "i")
    monkeypatch.undo()
    assert len(VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)) == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("i.v-")].__len__() == 1


def test_killed_process_mid_save_leaves_a_loadable_index(tmp_path: Path) -> None:
    """A real SIGKILL while a large index is being written."""
    import signal
    import subprocess
    import sys
    import time

    VectorIndex.build(DIM, MODEL, [1, 2], clustered(2)).save(tmp_path / "i")
    code = (
        "import numpy as np, sys; sys.path.insert(0, '.');"
        "from embeddings.index import VectorIndex;"
        f"v = np.random.default_rng(0).normal(size=(200000, {DIM})).astype('float32');"
        "v /= np.linalg.norm(v, axis=1, keepdims=True);"
        f"idx = VectorIndex.build({DIM}, {MODEL!r}, np.arange(200000), v, exact_threshold=10**9);"
        "print('saving', flush=True);"
        f"idx.save(__import__('pathlib').Path({str(tmp_path / 'i')!r}))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saving"
    time.sleep(0.15)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    loaded = VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)
    assert len(loaded) in (2, 200_000)  # the old index, or the new one if it finished


def test_consistency_check_and_repair() -> None:
    vectors = clustered(10, seed=9)
    index = VectorIndex.build(DIM, MODEL, range(10), vectors, [f"v1-{i}" for i in range(10)])
    expected = {i: f"v1-{i}" for i in range(2, 12)}  # 0,1 extra; 10,11 missing
    expected[5] = "v2-5"  # stale
    report = index.check(expected)
    assert (report.missing, report.stale, report.extra) == ([10, 11], [5], [0, 1])
    assert not report.ok and report.to_dict()["missing"] == 2

    fresh = clustered(12, seed=10)

    def vectors_for(ids: list[int]) -> tuple[np.ndarray, list[str]]:
        return fresh[ids], [expected[i] for i in ids]

    index.repair(report, vectors_for)
    assert index.check(expected).ok
    assert np.allclose(index.get(5), fresh[5])
    assert ConsistencyReport().ok


def test_filtered_graph_search_for_large_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the exact-filter size the HNSW graph is walked with a selector: still k results,
    only allowed ids, and high recall."""
    import embeddings.index as index_module

    monkeypatch.setattr(index_module, "EXACT_FILTER_MAX_IDS", 100)
    monkeypatch.setattr(index_module, "EXACT_FILTER_MAX_SHARE", 0.001)
    vectors = clustered(20_000, seed=11)
    ids = np.arange(20_000)
    index = VectorIndex.build(DIM, MODEL, ids, vectors, exact_threshold=1_000)
    queries = clustered(20, seed=12)
    # Small graph: a bitmap scan of its storage (exact); large graph: a filtered graph walk.
    for scan_max, step, min_recall in ((10**6, 50, 1.0), (1_000, 4, 0.95), (1_000, 20, 0.9)):
        monkeypatch.setattr(index_module, "FILTER_SCAN_MAX_VECTORS", scan_max)
        rows = np.arange(0, 20_000, step)
        _, found = index.search(queries, 50, allowed_ids=rows)
        assert (found >= 0).sum(axis=1).tolist() == [50] * 20
        assert set(found.ravel().tolist()) <= set(rows.tolist())
        recall = np.mean(
            [len(set(found[q]) & set(exact_top(vectors[rows], rows, queries[q], 50))) / 50
             for q in range(20)]
        )  # fmt: skip
        assert recall >= min_recall


def test_add_refuses_known_ids_and_upsert_replaces() -> None:
    vectors = clustered(3, seed=13)
    index = VectorIndex.build(DIM, MODEL, [1, 2], vectors[:2], ["a", "b"])
    with pytest.raises(ValueError, match="already indexed.*upsert"):
        index.add([2, 3], vectors[1:3])
    assert len(index) == 2 and 3 not in index  # a rejected call changes nothing
    index.upsert([2], vectors[2:3], ["c"])
    np.testing.assert_array_equal(index.get(2), vectors[2])
    assert index.fingerprint(2) == "c"
    with pytest.raises(KeyError):
        index.get(99)


def test_hnsw_tombstones_and_rebuild() -> None:
    """Removed and updated ids never come back; many tombstones trigger a rebuild."""
    vectors = clustered(2_000, seed=14)
    ids = np.arange(2_000)
    index = VectorIndex.build(DIM, MODEL, ids, vectors, exact_threshold=500)
    graph = index._faiss
    removed = list(range(0, 200))  # 10 %: tombstoned, no rebuild yet
    index.remove(removed)
    _, found = index.search(vectors[:200], 20)
    assert not set(found.ravel().tolist()) & set(removed)
    assert (found >= 0).all() and index._faiss is graph
    index.upsert([500], vectors[:1], ["moved"])  # id 500 now sits on vector 0
    _, found = index.search(vectors[0], 1)
    assert found[0, 0] == 500
    index.remove(range(200, 600))  # now > 20 % tombstones: rebuilt on the next search
    _, found = index.search(vectors[:50], 10)
    assert index._faiss is not graph and index._tombstones == 0
    assert found.min() >= 600 and (found >= 0).all()


def test_fewer_eligible_than_k_are_padded() -> None:
    index = VectorIndex.build(DIM, MODEL, [5, 6, 7], clustered(3, seed=15), exact_threshold=2)
    scores, found = index.search(clustered(2, seed=16), 5)
    assert (found[:, :3] >= 0).all() and (found[:, 3:] == -1).all()
    assert np.isneginf(scores[:, 3:]).all()
    _, found = index.search(clustered(1, seed=16), 5, allowed_ids=[6, 99])
    assert found[0].tolist() == [6, -1, -1, -1, -1]
    assert VectorIndex(DIM, MODEL).search(clustered(1), 3)[1].tolist() == [[-1, -1, -1]]
    with pytest.raises(ValueError, match="k must be a positive integer"):
        index.search(clustered(1), 0)


def test_hnsw_graph_is_saved_and_reused(tmp_path: Path) -> None:
    vectors = clustered(3_000, seed=17)
    ids = np.arange(3_000) * 2
    index = VectorIndex.build(DIM, MODEL, ids, vectors, exact_threshold=1_000)
    index.remove([0, 2])  # tombstones survive the round trip
    index.upsert([4], vectors[:1])
    index.save(tmp_path / "i")
    meta = json.loads((tmp_path / "i" / "meta.json").read_text())
    assert meta["kind"] == "hnsw" and meta["count"] == 2_998
    assert set(meta["sha256"]) == {
        "vectors.npy", "ids.npy", "fingerprints.json", "index.faiss", "labels.npy"
    }  # fmt: skip
    assert meta["params"]["hnsw_m"] == index.hnsw_m and "created_at" in meta
    loaded = VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)
    assert loaded._faiss_kind == "hnsw" and loaded._tombstones == index._tombstones
    queries = clustered(10, seed=18)
    np.testing.assert_array_equal(loaded.search(queries, 20)[1], index.search(queries, 20)[1])
    with pytest.raises(ModelVersionMismatch, match="384-d vectors, not 768-d"):
        VectorIndex.load(tmp_path / "i", expected_model_version=MODEL, expected_dimension=768)


def test_meta_without_checksums_is_corrupt(tmp_path: Path) -> None:
    VectorIndex.build(DIM, MODEL, [1], clustered(1)).save(tmp_path / "i")
    meta_path = tmp_path / "i" / "meta.json"
    meta = json.loads(meta_path.read_text())
    del meta["sha256"]["vectors.npy"]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexCorrupt, match="no checksum for vectors.npy"):
        VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)
    meta_path.write_text("{not json")
    with pytest.raises(IndexCorrupt, match="unreadable"):
        VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)


def test_save_interrupted_while_writing_a_file(tmp_path: Path, monkeypatch) -> None:
    """A failure half-way through the data files (not only at the switch)."""
    import embeddings.index_files as index_files

    VectorIndex.build(DIM, MODEL, [1, 2, 3], clustered(3, seed=19)).save(tmp_path / "i")
    real = index_files._write_npy
    calls = {"n": 0}

    def half_then_fail(path: Path, array: np.ndarray) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # vectors.npy written, ids.npy half-written
            path.write_bytes(b"\x93NUMPY partial")
            raise OSError("killed (simulated)")
        real(path, array)

    monkeypatch.setattr(index_files, "_write_npy", half_then_fail)
    with pytest.raises(OSError, match="simulated"):
        VectorIndex.build(DIM, MODEL, np.arange(50), clustered(50, seed=20)).save(tmp_path / "i")
    loaded = VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)
    assert sorted(loaded.ids().tolist()) == [1, 2, 3]
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("i.v-")]) == 1


def test_repair_with_a_vectors_only_callback() -> None:
    vectors = clustered(6, seed=21)
    index = VectorIndex.build(DIM, MODEL, [0, 1, 2], vectors[:3], ["f0", "f1", "old"])
    expected = {1: "f1", 2: "f2", 3: "f3", 4: "f4"}
    report = index.check(expected)
    assert (report.missing, report.stale, report.extra) == ([3, 4], [2], [0])
    index.repair(report, lambda ids: vectors[ids])
    assert index.check(expected).ok
    assert index.fingerprint(2) == "f2" and 0 not in index
