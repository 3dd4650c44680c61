"""FakeEncoder: the deterministic stand-in used by unit tests elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.encoder import Encoder, FakeEncoder


def test_shape_dtype_and_unit_length() -> None:
    vectors = FakeEncoder().encode(["Lagermedarbejder", "Sygeplejerske", "x"], "passage")
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


def test_is_an_encoder_with_a_fixed_version() -> None:
    encoder = FakeEncoder(dimension=64)
    assert isinstance(encoder, Encoder)
    assert encoder.model_version == "fake-trigram-v1"
    assert encoder.encode(["kok"], "query").shape == (1, 64)


def test_deterministic_across_instances_and_case_insensitive() -> None:
    a = FakeEncoder().encode(["Truckfører  søges"], "query")
    b = FakeEncoder().encode(["truckfører søges"], "query")
    np.testing.assert_array_equal(a, b)


def test_similar_strings_are_closer_than_unrelated_ones() -> None:
    anchor, near, far = FakeEncoder().encode(
        ["lagermedarbejder med truckcertifikat", "lagerarbejder med truckkort", "sygeplejerske"],
        "passage",
    )
    assert anchor @ near > anchor @ far + 0.2


def test_different_texts_give_different_vectors() -> None:
    a, b = FakeEncoder().encode(["kok", "kokke"], "passage")
    assert not np.allclose(a, b)


def test_empty_list_and_invalid_input() -> None:
    encoder = FakeEncoder()
    assert encoder.encode([], "query").shape == (0, 384)
    with pytest.raises(ValueError, match=r"texts\[1\] is empty"):
        encoder.encode(["kok", "   \n"], "query")
    with pytest.raises(TypeError, match="single string"):
        encoder.encode("kok", "query")
    with pytest.raises(ValueError, match="kind"):
        encoder.encode(["kok"], "document")  # type: ignore[arg-type]
