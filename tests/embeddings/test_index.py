"""The vector index: exact and HNSW search, updates, filters, persistence, consistency."""

from __future__ import annotations

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
        f"v = np.random.default_rng(0).normal(size=(300000, {DIM})).astype('float32');"
        "v /= np.linalg.norm(v, axis=1, keepdims=True);"
        f"idx = VectorIndex.build({DIM}, {MODEL!r}, np.arange(300000), v);"
        "print('saving', flush=True);"
        f"idx.save(__import__('pathlib').Path({str(tmp_path / 'i')!r}))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saving"
    time.sleep(0.15)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    loaded = VectorIndex.load(tmp_path / "i", expected_model_version=MODEL)
    assert len(loaded) in (2, 300_000)  # the old index, or the new one if it finished


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
    vectors = clustered(20_000, seed=11)
    ids = np.arange(20_000)
    index = VectorIndex.build(DIM, MODEL, ids, vectors, exact_threshold=1_000)
    rows = np.arange(0, 20_000, 5)  # a 20 % filter
    allowed = set(rows.tolist())
    queries = clustered(20, seed=12)
    _, found = index.search(queries, 50, allowed_ids=allowed)
    assert (found >= 0).sum(axis=1).tolist() == [50] * 20
    assert set(found.ravel().tolist()) <= allowed
    recall = np.mean(
        [len(set(found[q]) & set(exact_top(vectors[rows], rows, queries[q], 50))) / 50
         for q in range(20)]
    )  # fmt: skip
    assert recall >= 0.95
