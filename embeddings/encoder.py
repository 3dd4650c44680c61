"""Text encoders: texts in, L2-normalised float32 vectors out.

Prompt convention (multilingual-e5 is trained with asymmetric prefixes, and mixing them up costs
retrieval quality):

* ``kind="query"`` (prefix ``query: ``) for the side that *searches*: a job title to normalise
  against the occupation taxonomy, a vacancy searching for candidates.
* ``kind="passage"`` (prefix ``passage: ``) for the documents *being searched*: CVs, taxonomy
  labels and occupation descriptions.

Vectors of the two kinds are meant to be compared with each other (query · passage); both are
unit length, so the dot product is the cosine similarity. e5 scores are compressed (matches
≈0.80-0.93, non-matches ≈0.77-0.82): rank by them, do not threshold on absolute values.

Implementations:

* :class:`SentenceTransformerEncoder` — the real model prepared by :mod:`embeddings.model`.
* :class:`embeddings.onnx_backend.OnnxEncoder` — the same model exported to ONNX, int8, run with
  onnxruntime (same text handling, via :class:`WindowedEncoder`).
* :class:`CachedEncoder` — wraps any encoder with an on-disk cache (sqlite3).
* :class:`FakeEncoder` — deterministic character-trigram hashing for fast unit tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

import embeddings._offline  # noqa: F401  (before any Hugging Face import below)
from embeddings.model import (
    DIMENSION,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    PreparedModel,
    read_manifest,
    verify_model,
)

Kind = Literal["query", "passage"]
PROMPTS: dict[str, str] = {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}

DEFAULT_BATCH_SIZE = 32
# Overlap between consecutive windows of a long text, so no sentence is only ever seen cut in two.
CHUNK_OVERLAP_TOKENS = 64

CACHE_FILE = "embeddings-cache.sqlite3"
CACHE_BUSY_TIMEOUT_SECONDS = 30.0
# SQLite's default limit on host parameters per statement is 999 (older builds).
CACHE_WRITE_BATCH = 1024  # texts encoded and committed at a time
CACHE_LOOKUP_BATCH = 500


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into unit-length float32 vectors of shape ``(len(texts), dimension)``."""

    model_version: str
    dimension: int

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Encode ``texts`` as queries or passages (see the module docstring)."""
        ...


def validate_texts(texts: Sequence[str], kind: str) -> list[str]:
    """Check the arguments every encoder accepts; return the texts as a list.

    Raises:
        TypeError: ``texts`` is a single string or holds a non-string.
        ValueError: unknown ``kind``, or an empty / whitespace-only text (named by its index).
    """
    if kind not in PROMPTS:
        raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
    if isinstance(texts, str | bytes):
        raise TypeError("texts must be a sequence of strings, not a single string")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] is a {type(text).__name__}, not a str")
        if not text.strip():
            raise ValueError(f"texts[{index}] is empty or whitespace only; it cannot be embedded")
    return texts


def _empty(dimension: int) -> np.ndarray:
    return np.zeros((0, dimension), dtype=np.float32)


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, np.finfo(np.float32).tiny)).astype(np.float32)


# --------------------------------------------------------------------------------------------


class WindowedEncoder:
    """Shared text handling of the real-model encoders; subclasses run one padded batch.

    Texts are tokenised once, sorted by token count and batched, so each batch pads to similar
    lengths; results come back in input order. A text longer than the model's 512-token window
    is not truncated: it is split into overlapping token windows (each with the prompt and the
    special tokens), and the window embeddings are averaged, weighted by their token counts, and
    re-normalised.
    """

    model_version: str
    dimension: int
    batch_size: int
    max_seq_length: int

    def _init_model(self, prepared: PreparedModel, batch_size: int) -> None:
        """Take version, dimension and window length from the prepared folder's manifest, and
        the tokenizer from its ``tokenizer.json``."""
        self.model_version = prepared.model_version
        self.dimension = prepared.dimension
        self.batch_size = batch_size
        self.max_seq_length = prepared.max_seq_length
        self._init_tokenizer(prepared.path / "tokenizer.json")

    def _init_tokenizer(self, tokenizer_file: Path) -> None:
        from tokenizers import Tokenizer

        # The same tokenizer.json the model uses, without truncation, so long texts can be
        # windowed instead of cut off.
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._cls_id = self._tokenizer.token_to_id("<s>")
        self._sep_id = self._tokenizer.token_to_id("</s>")
        self._pad_id = self._tokenizer.token_to_id("<pad>")

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Encode ``texts`` as ``kind``; returns an ``(n, 384)`` float32 array of unit rows."""
        texts = validate_texts(texts, kind)
        if not texts:
            return _empty(self.dimension)
        segments, owners, weights = self._segments(texts, PROMPTS[kind])
        vectors = self._embed_segments(segments)
        pooled = np.zeros((len(texts), self.dimension), dtype=np.float64)
        np.add.at(pooled, owners, vectors.astype(np.float64) * weights[:, None])
        return _normalise_rows(pooled)

    def _segments(
        self, texts: list[str], prompt: str
    ) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
        """Token-id sequences of at most ``max_seq_length``, their owning text and weight."""
        # Surrounding whitespace would become a lone "▁" token; the transformers tokenizer drops it.
        encodings = self._tokenizer.encode_batch(
            [prompt + text.strip() for text in texts], add_special_tokens=False
        )
        segments: list[list[int]] = []
        owners: list[int] = []
        weights: list[float] = []
        for index, encoding in enumerate(encodings):
            # Tokenise prompt and text together, exactly as sentence-transformers does, then split
            # off the prompt's tokens (those ending inside it) to repeat them in every window.
            split = sum(1 for _, end in encoding.offsets if end <= len(prompt))
            prompt_ids, body = encoding.ids[:split], encoding.ids[split:]
            # Room for the text once the special tokens and the prompt are in the window.
            room = self.max_seq_length - 2 - len(prompt_ids)
            start = 0
            while True:
                window = body[start : start + room]
                segments.append([self._cls_id, *prompt_ids, *window, self._sep_id])
                owners.append(index)
                weights.append(float(len(window)))
                if start + room >= len(body):
                    break
                start += room - CHUNK_OVERLAP_TOKENS
        return segments, np.asarray(owners), np.asarray(weights)

    def _embed_segments(self, segments: list[list[int]]) -> np.ndarray:
        """Sentence embeddings of the segments, computed longest first, in segment order."""
        order = sorted(range(len(segments)), key=lambda i: len(segments[i]), reverse=True)
        out = np.empty((len(segments), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = len(segments[batch[0]])  # longest first
            input_ids = np.full((len(batch), width), self._pad_id, dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                ids = segments[index]
                input_ids[row, : len(ids)] = ids
                attention[row, : len(ids)] = 1
            out[batch] = self._embed_batch(input_ids, attention)
        return out

    def _embed_batch(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """``(rows, dimension)`` embeddings of one padded ``int64`` batch."""
        raise NotImplementedError


class SentenceTransformerEncoder(WindowedEncoder):
    """The prepared multilingual-e5-small model, run with sentence-transformers on the CPU.

    Text handling (sorting, windowing of long texts) is that of :class:`WindowedEncoder`.
    """

    def __init__(
        self, model_path: Path, batch_size: int = DEFAULT_BATCH_SIZE, *, verify: bool = True
    ) -> None:
        """Load the model folder once; ``verify`` checks its checksums first (~0.3 s)."""
        from sentence_transformers import SentenceTransformer

        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, not {batch_size}")
        model_path = Path(model_path)
        prepared = verify_model(model_path) if verify else read_manifest(model_path)
        self._init_model(prepared, batch_size)
        self._model = SentenceTransformer(str(model_path), device="cpu")
        self._model.eval()

    def _embed_batch(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            features = self._model(
                {
                    "input_ids": torch.from_numpy(input_ids),
                    "attention_mask": torch.from_numpy(attention_mask),
                }
            )
            return features["sentence_embedding"].float().numpy()


# --------------------------------------------------------------------------------------------


class CachedEncoder:
    """An encoder that remembers what it has encoded, in an sqlite3 file under ``cache_dir``.

    Entries are keyed by (``model_version``, ``kind``, sha256 of the text), so a text is encoded
    once per model version and kind, and a new model version never returns stale vectors. SQLite
    in WAL mode lets readers work while a writer inserts, and a killed writer's transaction is
    rolled back on the next open. ``hits`` and ``misses`` count input texts served from the cache
    and texts that had to be encoded.
    """

    def __init__(self, inner: Encoder, cache_dir: Path) -> None:
        """Wrap ``inner``; the cache file is created in ``cache_dir`` if needed."""
        self.inner = inner
        self.path = Path(cache_dir) / CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS embedding ("
                " model_version TEXT NOT NULL, kind TEXT NOT NULL, text_sha256 TEXT NOT NULL,"
                " vector BLOB NOT NULL,"
                " PRIMARY KEY (model_version, kind, text_sha256)) WITHOUT ROWID"
            )
            conn.commit()

    @property
    def model_version(self) -> str:
        """The wrapped encoder's model version."""
        return self.inner.model_version

    @property
    def dimension(self) -> int:
        """The wrapped encoder's vector dimension."""
        return self.inner.dimension

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Encode ``texts``, asking the wrapped encoder only for texts not in the cache."""
        texts = validate_texts(texts, kind)
        if not texts:
            return _empty(self.dimension)
        version, dim = self.model_version, self.dimension
        keys = [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts]
        with self._connect() as conn:
            found = self._lookup(conn, version, kind, list(dict.fromkeys(keys)))
            missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
            hits = sum(key in found for key in keys)
            self.hits += hits
            self.misses += len(keys) - hits
            # In chunks, each committed: a long fill (a whole taxonomy) keeps its progress if the
            # process is stopped, and another process filling the same cache sees it.
            pending = list(missing.items())
            for start in range(0, len(pending), CACHE_WRITE_BATCH):
                chunk = dict(pending[start : start + CACHE_WRITE_BATCH])
                vectors = np.asarray(self.inner.encode(list(chunk.values()), kind), np.float32)
                if vectors.shape != (len(chunk), dim):
                    raise ValueError(
                        f"inner encoder returned shape {vectors.shape}, expected "
                        f"{(len(chunk), dim)}"
                    )
                rows = [
                    (version, kind, key, vector.tobytes())
                    for key, vector in zip(chunk, vectors, strict=True)
                ]
                with conn:  # one transaction per chunk
                    conn.executemany("INSERT OR REPLACE INTO embedding VALUES (?, ?, ?, ?)", rows)
                found.update(zip(chunk, vectors, strict=True))
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def _lookup(
        self, conn: sqlite3.Connection, version: str, kind: str, keys: list[str]
    ) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        expected_bytes = self.dimension * np.dtype(np.float32).itemsize
        for start in range(0, len(keys), CACHE_LOOKUP_BATCH):
            chunk = keys[start : start + CACHE_LOOKUP_BATCH]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT text_sha256, vector FROM embedding"
                f" WHERE model_version = ? AND kind = ? AND text_sha256 IN ({marks})",
                (version, kind, *chunk),
            )
            for key, blob in rows:
                if len(blob) == expected_bytes:  # anything else is re-encoded and overwritten
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per call: safe across threads and forked workers.
        conn = sqlite3.connect(self.path, timeout=CACHE_BUSY_TIMEOUT_SECONDS)
        try:
            yield conn
        finally:
            conn.close()


# --------------------------------------------------------------------------------------------


class FakeEncoder:
    """Deterministic stand-in for unit tests: hashed character trigrams, no model needed.

    Each trigram of the lower-cased, whitespace-collapsed text adds ±1 to a hashed coordinate, so
    texts that share many trigrams get similar vectors. ``kind`` is validated but does not change
    the vector.
    """

    model_version = "fake-trigram-v1"

    def __init__(self, dimension: int = DIMENSION) -> None:
        """Vectors have ``dimension`` coordinates (384, like the real model, by default)."""
        if dimension < 1:
            raise ValueError(f"dimension must be positive, not {dimension}")
        self.dimension = dimension

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Encode ``texts``; the same text always gives the same unit vector."""
        texts = validate_texts(texts, kind)
        if not texts:
            return _empty(self.dimension)
        return _normalise_rows(np.stack([self._vector(text) for text in texts]))

    def _vector(self, text: str) -> np.ndarray:
        padded = f"  {' '.join(text.lower().split())}  "
        vector = np.zeros(self.dimension, dtype=np.float64)
        for i in range(len(padded) - 2):
            digest = hashlib.blake2b(padded[i : i + 3].encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vector[value % self.dimension] += 1.0 if (value >> 63) & 1 else -1.0
        if not vector.any():  # every trigram cancelled out: still return a unit vector
            vector[0] = 1.0
        return vector
