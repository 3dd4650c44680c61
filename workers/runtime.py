"""Process-wide resources of a worker, created once at start-up (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matching.db import check_database, make_engine, make_session_factory, session_scope
from matching.settings import Settings


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

            encoder = self.encoder()
            self._indexes[kind] = IndexService(
                kind,
                model_version=encoder.model_version,
                dimension=encoder.dimension,
                index_dir=self.settings.data_dir / "index",
                session_factory=self.session_factory,
            )
        return self._indexes[kind]

    def save_indexes(self) -> None:
        for service in self._indexes.values():
            service.save()

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
    """The encoder chosen by ``JOBBRO_ENCODER`` (auto: ONNX int8 if prepared, else torch)."""
    from embeddings.encoder import FakeEncoder, SentenceTransformerEncoder
    from embeddings.model import MODEL_NAME

    choice = settings.encoder
    if choice == "fake":
        return FakeEncoder()
    if choice in ("onnx", "auto"):
        from embeddings.onnx_backend import ONNX_MODEL_NAME, OnnxEncoder

        onnx_dir = settings.model_dir / ONNX_MODEL_NAME
        if choice == "onnx" or onnx_dir.is_dir():
            return OnnxEncoder(onnx_dir)
    return SentenceTransformerEncoder(settings.model_dir / MODEL_NAME)
