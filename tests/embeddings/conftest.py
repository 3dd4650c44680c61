"""Fixtures for the embeddings tests.

The real model folder (~465 MB, ~10 s to build) is prepared once into ``var/test-models/`` and
reused by later sessions as long as its manifest verifies.
"""

from __future__ import annotations

import pytest

from embeddings.model import PreparedModel, prepare_model
from tests.support.paths import TEST_MODELS as TEST_MODELS_DIR


@pytest.fixture(scope="session")
def prepared_model() -> PreparedModel:
    """The real multilingual-e5-small folder, built on first use (idempotent)."""
    return prepare_model(TEST_MODELS_DIR)


@pytest.fixture(scope="session")
def st_encoder(prepared_model: PreparedModel):  # noqa: ANN201
    """The real encoder, loaded once per session."""
    from embeddings.encoder import SentenceTransformerEncoder

    return SentenceTransformerEncoder(prepared_model.path)
