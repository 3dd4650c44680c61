"""SentenceTransformerEncoder on the real multilingual-e5-small model."""

from __future__ import annotations

import os

import numpy as np
import pytest

from embeddings.encoder import Encoder, SentenceTransformerEncoder
from embeddings.model import PASSAGE_PROMPT, QUERY_PROMPT, PreparedModel

pytestmark = pytest.mark.slow

VACANCY = "Vi søger en erfaren lagermedarbejder med truckcertifikat"
MATCH = "Lagerarbejder med truckkort søges"
UNRELATED = "Sygeplejerske til nattevagt på hospitalet"

WAREHOUSE = (
    "Jeg har arbejdet på lager i mange år, kører truck og gaffeltruck, plukker ordrer, "
    "modtager varer og holder styr på lagerbeholdningen med håndscanner. "
)
NURSING = (
    "Senere blev jeg uddannet sygeplejerske og har haft nattevagter på hospitalets "
    "medicinske afdeling, givet medicin, plejet patienter og talt med pårørende. "
)


def test_offline_mode_is_set() -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_model_identity(st_encoder: SentenceTransformerEncoder, prepared_model: PreparedModel):
    assert isinstance(st_encoder, Encoder)
    assert st_encoder.model_version == prepared_model.model_version
    assert st_encoder.dimension == 384


def test_danish_pair_is_closer_than_unrelated(st_encoder: SentenceTransformerEncoder) -> None:
    (query,) = st_encoder.encode([VACANCY], "query")
    match, unrelated = st_encoder.encode([MATCH, UNRELATED], "passage")
    assert query @ match > 0.85
    assert query @ match > query @ unrelated + 0.05


def test_shape_dtype_and_normalisation(st_encoder: SentenceTransformerEncoder) -> None:
    vectors = st_encoder.encode([VACANCY, MATCH, UNRELATED, "kok"], "passage")
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_inputs(st_encoder: SentenceTransformerEncoder) -> None:
    empty = st_encoder.encode([], "query")
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    with pytest.raises(ValueError, match=r"texts\[1\] is empty or whitespace"):
        st_encoder.encode(["kok", " \t "], "query")
    with pytest.raises(ValueError, match=r"texts\[0\]"):
        st_encoder.encode([""], "passage")


def test_order_is_preserved_after_length_sorting(st_encoder: SentenceTransformerEncoder) -> None:
    texts = ["kok", WAREHOUSE * 2, MATCH, NURSING, VACANCY, "IT-supporter", UNRELATED]
    small_batches = SentenceTransformerEncoder.__new__(SentenceTransformerEncoder)
    small_batches.__dict__.update(st_encoder.__dict__, batch_size=2)
    together = small_batches.encode(texts, "passage")
    one_by_one = np.vstack([st_encoder.encode([text], "passage") for text in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)
    # Rows really differ, so a permutation would have been caught.
    assert np.abs(together @ together.T - np.eye(len(texts))).max() < 0.9999


def test_matches_sentence_transformers_on_short_texts(
    st_encoder: SentenceTransformerEncoder,
) -> None:
    texts = [VACANCY, MATCH + "  ", " " + UNRELATED]
    ours = st_encoder.encode(texts, "query")
    reference = st_encoder._model.encode(texts, prompt=QUERY_PROMPT, show_progress_bar=False)
    assert (ours * reference).sum(axis=1).min() > 0.9999


def test_query_and_passage_prompts_change_the_vector(
    st_encoder: SentenceTransformerEncoder,
) -> None:
    (query,) = st_encoder.encode([VACANCY], "query")
    (passage,) = st_encoder.encode([VACANCY], "passage")
    assert query @ passage < 0.99
    (reference,) = st_encoder._model.encode([VACANCY], prompt=PASSAGE_PROMPT)
    assert passage @ reference > 0.9999


def test_long_text_is_chunked_not_truncated(st_encoder: SentenceTransformerEncoder) -> None:
    # Warehouse work for well over 512 tokens, then nursing: truncation would drop the nursing.
    long_cv = WAREHOUSE * 16 + NURSING * 16
    n_tokens = len(st_encoder._tokenizer.encode(long_cv).ids)
    assert n_tokens > 1000

    (chunked,) = st_encoder.encode([long_cv], "passage")
    (truncated,) = st_encoder._model.encode([long_cv], prompt=PASSAGE_PROMPT)  # first 512 only
    (nurse_query,) = st_encoder.encode(["Sygeplejerske til hospital"], "query")

    assert np.linalg.norm(chunked) == pytest.approx(1.0, abs=1e-5)
    assert chunked @ truncated < 0.98
    assert chunked @ nurse_query > truncated @ nurse_query + 0.01

    segments, owners, _ = st_encoder._segments([long_cv], PASSAGE_PROMPT)
    assert len(segments) >= 3 and set(owners.tolist()) == {0}
    assert max(len(s) for s in segments) == 512
