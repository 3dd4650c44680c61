"""Process-wide resources of a worker, created once at start-up (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matching.core.db import check_database, make_engine, make_session_factory, session_scope
from matching.core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    _encoder: Any = field(default=None, repr=False)
    _indexes: dict[str, Any] = field(default_factory=dict, repr=False)

    def encoder(self) -> Any:
        """The process's encoder, loaded once on first use (the model is never reloaded per job)."""
        if self._encoder is None:
            self._encoder = load_encoder(self.settings)
        return self._encoder

    def index(self, kind: str) -> Any:
        """This process's vector index service for ``kind`` (loaded and reconciled once)."""
        if kind not in self._indexes:
            from workers.index_service import IndexService

            if self._encoder is not None:
                version, dimension = self._encoder.model_version, self._encoder.dimension
            else:  # read from the model's manifest: no need to load the model for the index
                version, dimension = encoder_identity(self.settings)
            self._indexes[kind] = IndexService(
                kind,
                model_version=version,
                dimension=dimension,
                index_dir=self.settings.data_dir / "index",
                session_factory=self.session_factory,
            )
        return self._indexes[kind]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.session_factory) as session:
            yield session


_runtime: Runtime | None = None


def init(settings: Settings, engine: Engine | None = None) -> Runtime:
    """Create the runtime for this process (the worker calls it before taking jobs)."""
    global _runtime
    engine = engine or make_engine(settings)
    check_database(engine)
    _runtime = Runtime(settings, engine, make_session_factory(engine))
    return _runtime


def get() -> Runtime:
    if _runtime is None:
        # A job run outside a Jobbro worker (e.g. `rq worker`): build from the environment.
        return init(Settings.from_env())
    return _runtime


def load_encoder(settings: Settings):  # noqa: ANN201 - an embeddings.encoder.Encoder
    """The encoder chosen by ``JOBBRO_ENCODER``.

    ``auto`` is the backend that passes the quality gate: torch. The int8 ONNX path is 3×
    faster and within 0.3 points MRR on Danish titles, but loses 1.4 points on English ones
    (docs/performance.md), so it is used only when asked for (``onnx``).
    """
    from embeddings.encoder import FakeEncoder, SentenceTransformerEncoder
    from embeddings.model import MODEL_NAME

    choice = settings.encoder
    if choice == "fake":
        return FakeEncoder()
    if choice == "onnx":
        from embeddings.onnx_backend import ONNX_MODEL_NAME, OnnxEncoder

        return OnnxEncoder(settings.model_dir / ONNX_MODEL_NAME)
    return SentenceTransformerEncoder(settings.model_dir / MODEL_NAME)


def encoder_identity(settings: Settings) -> tuple[str, int]:
    """(model_version, dimension) of the encoder ``load_encoder`` would return, without loading."""
    from embeddings.encoder import FakeEncoder
    from embeddings.model import MODEL_NAME, verify_model

    if settings.encoder == "fake":
        fake = FakeEncoder()
        return fake.model_version, fake.dimension
    if settings.encoder == "onnx":
        from embeddings.onnx_backend import ONNX_MODEL_NAME, verify_onnx

        prepared = verify_onnx(settings.model_dir / ONNX_MODEL_NAME)
        return prepared.model_version, prepared.dimension
    prepared = verify_model(settings.model_dir / MODEL_NAME)
    return prepared.model_version, prepared.dimension
