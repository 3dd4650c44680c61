"""CachedEncoder: texts are encoded once per (model_version, kind, text)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import CACHE_FILE, CachedEncoder, Encoder, FakeEncoder


class CountingEncoder:
    """A FakeEncoder that records what it was asked to encode."""

    def __init__(self, model_version: str = "fake-trigram-v1", fail: bool = False) -> None:
        self.model_version = model_version
        self.dimension = 384
        self.calls: list[list[str]] = []
        self.fail = fail
        self._fake = FakeEncoder()

    def encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        self.calls.append(list(texts))
        if self.fail:
            raise RuntimeError("encoder crashed")
        return self._fake.encode(texts, kind)  # type: ignore[arg-type]


def test_second_call_is_served_from_the_cache(tmp_path: Path) -> None:
    inner = CountingEncoder()
    cached = CachedEncoder(inner, tmp_path)
    assert isinstance(cached, Encoder)
    first = cached.encode(["kok", "tømrer"], "passage")
    assert (cached.hits, cached.misses) == (0, 2)
    second = cached.encode(["tømrer", "kok", "elektriker"], "passage")
    assert inner.calls == [["kok", "tømrer"], ["elektriker"]]
    assert (cached.hits, cached.misses) == (2, 3)
    np.testing.assert_array_equal(second[:2], first[::-1])
    np.testing.assert_array_equal(
        second, FakeEncoder().encode(["tømrer", "kok", "elektriker"], "passage")
    )
    assert second.dtype == np.float32 and second.shape == (3, 384)


def test_cache_persists_across_instances(tmp_path: Path) -> None:
    CachedEncoder(CountingEncoder(), tmp_path).encode(["kok"], "query")
    inner = CountingEncoder()
    again = CachedEncoder(inner, tmp_path)
    again.encode(["kok"], "query")
    assert inner.calls == [] and again.hits == 1


def test_other_model_version_or_kind_misses(tmp_path: Path) -> None:
    CachedEncoder(CountingEncoder("v1"), tmp_path).encode(["kok"], "query")
    inner_v2 = CountingEncoder("v2")
    v2 = CachedEncoder(inner_v2, tmp_path)
    v2.encode(["kok"], "query")
    assert inner_v2.calls == [["kok"]] and v2.misses == 1
    v2.encode(["kok"], "passage")
    assert inner_v2.calls[-1] == ["kok"] and v2.misses == 2


def test_duplicates_in_one_call_are_encoded_once(tmp_path: Path) -> None:
    inner = CountingEncoder()
    cached = CachedEncoder(inner, tmp_path)
    out = cached.encode(["kok", "kok", "smed"], "passage")
    assert inner.calls == [["kok", "smed"]]
    np.testing.assert_array_equal(out[0], out[1])


def test_a_crashed_encode_leaves_the_cache_consistent(tmp_path: Path) -> None:
    cached = CachedEncoder(CountingEncoder(), tmp_path)
    cached.encode(["kok"], "passage")
    broken = CachedEncoder(CountingEncoder(fail=True), tmp_path)
    with pytest.raises(RuntimeError):
        broken.encode(["kok", "smed"], "passage")
    with sqlite3.connect(tmp_path / CACHE_FILE) as conn:
        assert conn.execute("SELECT count(*) FROM embedding").fetchone() == (1,)


def test_a_corrupt_entry_is_re_encoded(tmp_path: Path) -> None:
    inner = CountingEncoder()
    cached = CachedEncoder(inner, tmp_path)
    expected = cached.encode(["kok"], "passage")
    with sqlite3.connect(tmp_path / CACHE_FILE) as conn:
        conn.execute("UPDATE embedding SET vector = x'00'")
    np.testing.assert_array_equal(cached.encode(["kok"], "passage"), expected)
    assert len(inner.calls) == 2


def test_readers_are_not_blocked_by_an_open_reader(tmp_path: Path) -> None:
    cached = CachedEncoder(CountingEncoder(), tmp_path)
    cached.encode(["kok"], "passage")
    reader = sqlite3.connect(tmp_path / CACHE_FILE)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM embedding").fetchone()
    try:
        cached.encode(["smed"], "passage")  # WAL: the write does not wait for the reader
    finally:
        reader.close()
    assert cached.misses == 2


def test_validation_and_empty_input(tmp_path: Path) -> None:
    inner = CountingEncoder()
    cached = CachedEncoder(inner, tmp_path)
    assert cached.encode([], "query").shape == (0, 384)
    with pytest.raises(ValueError, match="empty"):
        cached.encode([" "], "query")
    assert inner.calls == []


def test_a_stopped_long_fill_keeps_the_chunks_already_encoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import embeddings.encoder as encoder_module

    monkeypatch.setattr(encoder_module, "CACHE_WRITE_BATCH", 3)

    class CrashesOnSecondChunk(CountingEncoder):
        def encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
            if self.calls:
                raise RuntimeError("stopped")
            return super().encode(texts, kind)

    texts = [f"stilling {i}" for i in range(7)]
    with pytest.raises(RuntimeError, match="stopped"):
        CachedEncoder(CrashesOnSecondChunk(), tmp_path).encode(texts, "passage")
    again = CountingEncoder()
    CachedEncoder(again, tmp_path).encode(texts, "passage")
    assert again.calls == [texts[3:6], texts[6:]]  # the first chunk was kept
