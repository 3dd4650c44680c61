"""The embedding model as an int8 ONNX graph, run with plain onnxruntime.

On a 2-core CPU onnxruntime with dynamically quantised int8 weights encodes about 2.5x as many
texts per second as sentence-transformers on torch fp32, at under half the memory (measured in
``docs/embedding-model.md``). :func:`prepare_onnx` derives that model from the prepared
sentence-transformers folder (:func:`embeddings.model.prepare_model`):

1. ``torch.onnx.export`` of the ``BertModel`` (eager attention, so onnxruntime's graph optimiser
   recognises and fuses it), opset 17, dynamic batch and sequence axes, inputs ``input_ids`` and
   ``attention_mask`` (plus ``token_type_ids`` only if the model has more than one token type),
   output ``last_hidden_state``;
2. ``onnxruntime.quantization.quantize_dynamic`` with per-channel int8 weights: the per-tensor
   default lost English→Danish quality badly in our measurements, per-channel did not;
3. a check against the torch model on a few Danish and English sentences before the folder is
   moved into place.

The folder holds ``model.onnx``, the model's ``tokenizer.json`` and a ``manifest.json`` of
checksums like the torch folder's. Its ``model_version`` is the torch model's version plus
``+onnx-int8-`` and a short hash of the files: int8 vectors differ slightly from fp32 ones, so
cached embeddings must never be shared between the two backends.

:class:`OnnxEncoder` implements :class:`embeddings.encoder.Encoder` with exactly the text handling
of :class:`~embeddings.encoder.SentenceTransformerEncoder` (both are
:class:`~embeddings.encoder.WindowedEncoder`); only the forward pass differs, with mean pooling
and L2 normalisation done in numpy. Preparing needs torch, transformers and the ``onnx`` package;
encoding needs only onnxruntime, tokenizers and numpy.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

import embeddings._offline  # noqa: F401  (before any Hugging Face import below)
from embeddings import model_files
from embeddings.encoder import (
    DEFAULT_BATCH_SIZE,
    Encoder,
    WindowedEncoder,
)
from embeddings.errors import ModelError
from embeddings.model import (
    MODEL_NAME,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    SANITY_MATCH,
    SANITY_MIN_MARGIN,
    SANITY_MIN_MATCH_COSINE,
    SANITY_QUERY,
    SANITY_UNRELATED,
    VERSION_HASH_CHARS,
    PreparedModel,
    prepare_model,
    read_manifest,
)
from embeddings.model_files import MANIFEST_FILE

log = logging.getLogger(__name__)

ONNX_MODEL_NAME = f"{MODEL_NAME}-onnx-int8"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
ONNX_REQUIRED_FILES = (ONNX_FILE, TOKENIZER_FILE)
ONNX_MANIFEST_FORMAT = 1
VERSION_SUFFIX = "onnx-int8"
OPSET_VERSION = 17

ONNX_REPAIR_HINT = "run `jobbro model prepare --onnx --force` to rebuild it"

ONNX_FOLDER = model_files.FolderKind(
    label="ONNX embedding model",
    repair_hint=ONNX_REPAIR_HINT,
    manifest_values={"format": ONNX_MANIFEST_FORMAT, "name": ONNX_MODEL_NAME},
    manifest_keys=(
        "format",
        "name",
        "model_version",
        "source_model_version",
        "dimension",
        "max_seq_length",
        "files",
    ),
    required_files=ONNX_REQUIRED_FILES,
)

# Per-channel scales keep the quality; per-tensor (the default) lost 3 of 12 English→Danish hits.
# 7-bit weights (reduce_range) cost no speed with AVX-512 VNNI and lost less MRR on the demo
# titles (English → Danish -0.020 instead of -0.035, Danish -0.009 instead of -0.010); on CPUs
# without VNNI they also avoid the int16 saturation of the u8 x s8 AVX2 kernels. Tried and not
# better for speed x quality: the onnxruntime transformer fusions before quantising, keeping the
# FFN output projections in fp32 (-28 % speed), uint8 weights (-40 % speed).
QUANTIZATION = {
    "method": "onnxruntime.quantization.quantize_dynamic",
    "weight_type": "QInt8",
    "per_channel": True,
    "reduce_range": True,
}

# Sentences checked against the torch model before an exported model is accepted. A broken
# export or quantisation gives cosines far below this; int8 per-channel gives >= 0.99.
AGREEMENT_QUERIES = (SANITY_QUERY, "Experienced warehouse worker with a forklift licence")
AGREEMENT_PASSAGES = (SANITY_MATCH, SANITY_UNRELATED)
MIN_AGREEMENT_COSINE = 0.97


@dataclass(frozen=True)
class PreparedOnnx(PreparedModel):
    """A verified ONNX int8 model folder."""

    source_model_version: str  # the torch model it was exported from

    @property
    def onnx_path(self) -> Path:
        """The quantised ONNX graph."""
        return self.path / ONNX_FILE


# --------------------------------------------------------------------------------------------
# Preparation and verification


def prepare_onnx(model_dir: Path, *, force: bool = False) -> PreparedOnnx:
    """Build the int8 ONNX folder ``model_dir / "multilingual-e5-small-onnx-int8"``.

    The torch model folder ``model_dir / "multilingual-e5-small"`` is prepared first if needed
    (:func:`embeddings.model.prepare_model`). Idempotent: an existing ONNX folder that verifies
    and was exported from the current torch model is returned as is, unless ``force``. Built in a
    temporary sibling folder and moved into place with ``os.replace`` under a lock file, like the
    torch model, so an interrupted preparation never leaves a half-written model behind.

    Raises:
        ModelError: the torch model cannot be prepared, the export or quantisation fails, or the
            int8 model disagrees with the torch model on the check sentences.
    """
    model_dir = Path(model_dir)
    final = model_dir / ONNX_MODEL_NAME

    def ready() -> PreparedOnnx | None:
        return None if force else _current_or_none(model_dir, final)

    def build(staging: Path) -> None:
        staging.mkdir(parents=True)
        reference = _TorchReference(source)
        expected = _agreement_vectors(reference)
        fp32 = staging / "model.fp32.onnx"
        _export(reference.model, fp32)
        del reference  # free the torch model (~0.5 GB) before quantising
        _quantize(fp32, staging / ONNX_FILE)
        fp32.unlink()
        shutil.copyfile(source.path / TOKENIZER_FILE, staging / TOKENIZER_FILE)
        _write_manifest(staging, source)
        _check_against_torch(staging, expected)

    if done := ready():
        return done
    source = prepare_model(model_dir)
    if done := model_files.build_folder(model_dir, ONNX_MODEL_NAME, build, ready):
        return done
    log.info("prepared ONNX int8 embedding model at %s", final)
    return verify_onnx(final)


def verify_onnx(path: Path) -> PreparedOnnx:
    """Check every file of an ONNX model folder against its ``manifest.json``.

    Raises:
        ModelError: naming each missing or corrupt file, with how to repair it.
    """
    return PreparedOnnx.from_manifest(Path(path), ONNX_FOLDER.verify(Path(path)))


def read_onnx_manifest(path: Path) -> PreparedOnnx:
    """Describe an ONNX model folder from its manifest alone, without checksumming files."""
    return PreparedOnnx.from_manifest(Path(path), ONNX_FOLDER.read_manifest(Path(path)))


def _current_or_none(model_dir: Path, final: Path) -> PreparedOnnx | None:
    """The verified ONNX folder if it was exported from the torch model now in ``model_dir``."""
    ready = model_files.verified_or_none(final, verify_onnx, ONNX_FOLDER.label)
    if ready is None:
        return None
    # Only the torch manifest is read here (no checksums): a torch folder that was rebuilt from
    # other weights has another version, and the ONNX model must follow it. Without a torch
    # folder (deleted to save space) the self-contained ONNX folder is still good.
    try:
        source_version = read_manifest(model_dir / MODEL_NAME).model_version
    except ModelError:
        return ready
    if ONNX_FOLDER.read_manifest(final).get("quantization") != QUANTIZATION:
        log.warning("rebuilding the ONNX embedding model: quantisation settings changed")
        return None
    if source_version != ready.source_model_version:
        log.warning(
            "rebuilding the ONNX embedding model: exported from %s, torch model is now %s",
            ready.source_model_version,
            source_version,
        )
        return None
    return ready


def _write_manifest(folder: Path, source: PreparedModel) -> None:
    files, digest = model_files.file_checksums(folder)
    manifest = {
        "format": ONNX_MANIFEST_FORMAT,
        "name": ONNX_MODEL_NAME,
        "model_version": f"{source.model_version}+{VERSION_SUFFIX}-{digest[:VERSION_HASH_CHARS]}",
        "source_model_version": source.model_version,
        "dimension": source.dimension,
        "max_seq_length": source.max_seq_length,
        "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
        "export": {
            "opset": OPSET_VERSION,
            "torch": metadata.version("torch"),
            "transformers": metadata.version("transformers"),
            "onnx": metadata.version("onnx"),
            "onnxruntime": metadata.version("onnxruntime"),
        },
        "quantization": QUANTIZATION,
        "files": files,
    }
    model_files.write_json(folder / MANIFEST_FILE, manifest)


# --------------------------------------------------------------------------------------------
# Export, quantisation and the check against torch


class _TorchReference(WindowedEncoder):
    """The torch ``BertModel`` with eager attention, as exported, used as the fp32 reference."""

    def __init__(self, source: PreparedModel) -> None:
        from transformers import AutoModel

        self._init_model(source, DEFAULT_BATCH_SIZE)
        # Eager attention exports as plain MatMul/Softmax, which onnxruntime fuses into its
        # Attention kernel; the SDPA path exports to a graph the fusion does not recognise.
        self.model = AutoModel.from_pretrained(str(source.path), attn_implementation="eager")
        self.model.eval()
        self.uses_token_types = self.model.config.type_vocab_size > 1

    def _embed_batch(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            hidden = self.model(
                input_ids=torch.from_numpy(input_ids),
                attention_mask=torch.from_numpy(attention_mask),
            ).last_hidden_state
        return _mean_pool_normalised(hidden.numpy(), attention_mask)


def _agreement_vectors(encoder: Encoder) -> dict[str, np.ndarray]:
    return {
        "query": encoder.encode(list(AGREEMENT_QUERIES), "query"),
        "passage": encoder.encode(list(AGREEMENT_PASSAGES), "passage"),
    }


def _export(model: Any, out: Path) -> None:
    """``torch.onnx.export`` (TorchScript exporter) of a BertModel to ``last_hidden_state``."""
    import torch

    uses_token_types = model.config.type_vocab_size > 1

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids, attention_mask, token_type_ids=None):  # noqa: ANN001, ANN202
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    # A padded row in the example, so the traced graph keeps the attention-mask arithmetic
    # (with an all-ones mask transformers may skip building the mask altogether).
    input_ids = torch.tensor([[0, 5, 6, 7, 2], [0, 5, 6, 2, model.config.pad_token_id]])
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    names = ["input_ids", "attention_mask"]
    args: tuple[Any, ...] = (input_ids, attention_mask)
    if uses_token_types:
        names.append("token_type_ids")
        args = (*args, torch.zeros_like(input_ids))
    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
            # onnxscript; its tracer warnings concern shape checks that are constant for BERT.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState().eval(),
                args,
                str(out),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=dynamic_axes,
                opset_version=OPSET_VERSION,
                do_constant_folding=True,
                dynamo=False,
            )
    except Exception as exc:  # the exporter raises many unrelated types
        raise ModelError(f"exporting the embedding model to ONNX failed: {exc}") from exc


def _quantize(fp32: Path, out: Path) -> None:
    try:
        import onnx  # noqa: F401  (quantize_dynamic needs it; say so clearly if it is missing)
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"quantising the ONNX model needs the {exc.name!r} package (pip install onnx)"
        ) from exc
    try:
        quantize_dynamic(
            fp32,
            out,
            weight_type=QuantType.QInt8,
            per_channel=QUANTIZATION["per_channel"],
            reduce_range=QUANTIZATION["reduce_range"],
        )
    except Exception as exc:  # onnxruntime raises RuntimeError, onnx its own types
        raise ModelError(f"quantising the ONNX embedding model failed: {exc}") from exc


def _check_against_torch(folder: Path, expected: dict[str, np.ndarray]) -> None:
    """The int8 model must agree with torch and still rank the Danish sanity pair correctly."""
    encoder = OnnxEncoder(folder, verify=False)
    got = _agreement_vectors(encoder)
    cosines = np.concatenate([(got[kind] * expected[kind]).sum(axis=1) for kind in expected])
    if cosines.min() < MIN_AGREEMENT_COSINE:
        raise ModelError(
            f"the int8 ONNX model disagrees with the torch model (cosine {cosines.min():.3f} < "
            f"{MIN_AGREEMENT_COSINE}); the export or the quantisation is broken"
        )
    match, unrelated = (got["passage"] @ got["query"][0]).tolist()
    if match < SANITY_MIN_MATCH_COSINE or match - unrelated < SANITY_MIN_MARGIN:
        raise ModelError(
            "the int8 ONNX model failed the Danish sanity check "
            f"(match cosine {match:.3f}, unrelated {unrelated:.3f})"
        )


# --------------------------------------------------------------------------------------------
# Encoder


def _mean_pool_normalised(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean over the unmasked tokens, then unit length (sentence-transformers Pooling+Normalize)."""
    mask = attention_mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * mask).sum(axis=1)
    pooled = summed / np.maximum(mask.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def available_cores() -> int:
    """CPU cores this process may run on (respects affinity masks, e.g. ``taskset``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Measured on 300 demo CVs (~130 tokens), 2 cores: batch 1: 41 texts/s, 4: 62, 32: 53. Small
# sorted batches pad less and stay in cache; smaller batches also lose less int8 accuracy, because
# dynamic quantisation takes one activation range per batch (Danish titles MRR -0.0001 at batch 1,
# -0.009 at batch 32).
ONNX_DEFAULT_BATCH_SIZE = 4


class OnnxEncoder(WindowedEncoder):
    """The int8 ONNX model prepared by :func:`prepare_onnx`, run with onnxruntime on the CPU.

    Same prompts, sorting and long-text windowing as
    :class:`~embeddings.encoder.SentenceTransformerEncoder`; vectors agree with it to a cosine
    of about 0.997 but are not identical, hence a different ``model_version``. With int8 dynamic
    quantisation a vector also depends slightly on the other texts in its batch (cosine >= 0.997);
    ``batch_size=1`` makes each text's vector independent of its neighbours, at ~2/3 the speed.
    """

    def __init__(
        self,
        onnx_dir: Path,
        *,
        batch_size: int = ONNX_DEFAULT_BATCH_SIZE,
        verify: bool = True,
        threads: int | None = None,
    ) -> None:
        """Load the folder once; ``verify`` checks its checksums first (~0.1 s).

        ``threads`` defaults to the number of available cores.
        """
        import onnxruntime as ort

        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, not {batch_size}")
        onnx_dir = Path(onnx_dir)
        prepared = verify_onnx(onnx_dir) if verify else read_onnx_manifest(onnx_dir)
        self._init_model(prepared, batch_size)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or available_cores()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        try:
            self._session = ort.InferenceSession(
                str(prepared.onnx_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(
                f"ONNX embedding model at {onnx_dir}: {ONNX_FILE} cannot be loaded ({exc}); "
                f"{ONNX_REPAIR_HINT}"
            ) from exc
        self._input_names = {node.name for node in self._session.get_inputs()}

    def _embed_batch(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        return _mean_pool_normalised(hidden, attention_mask)
