"""Encoding throughput, memory and quality: plain sentence-transformers vs our two encoders.

Usage: ``python bench/bench_encode.py [--model-dir DIR] [--n-texts 500] [--repeats 1]``

Prints one JSON object. Each variant runs in its own subprocess (so its peak RSS is its own):

* ``plain``: ``SentenceTransformer(path).encode(texts)`` with library defaults (no prompt,
  batch 32, texts cut at 512 tokens);
* ``torch``: :class:`embeddings.encoder.SentenceTransformerEncoder` (``passage`` prompt, token
  sorting, long texts windowed instead of cut);
* ``onnx_int8``: :class:`embeddings.onnx_backend.OnnxEncoder` (same text handling, int8 model).

Texts: the first ``--n-texts`` Danish CVs of ``matching.demo.generator.generate(seed=1,
size=2000)`` (headline, summary, experience titles and descriptions, skills). Quality:
:func:`embeddings.backend_comparison.compare_backends` torch vs ONNX on :func:`occupation_sets`.

The machine may be shared: the load average is recorded next to each run, and with
``--repeats`` > 1 the variants run round-robin and the best run of each is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

DEFAULT_MODEL_DIR = ROOT / "var" / "test-models"
DEMO_SEED = 1
DEMO_SIZE = 2000
DEMO_TODAY = date(2025, 1, 1)  # fixed, so the texts are the same on every run
WARMUP_TEXTS = 8
VARIANTS = ("plain", "torch", "onnx_int8")


# --------------------------------------------------------------------------------------------
# Data


def occupation_sets() -> tuple[list[str], dict[str, dict[str, set[int]]]]:
    """The demo taxonomy as a title-matching set: passages and two query sets.

    Passages are the 164 Danish occupation labels (``title_da``) of
    ``matching.demo.vocab.OCCUPATIONS``. Query set ``da``: each Danish label and alternative
    title; ``en``: each English label (cross-lingual). A query's relevant passages are all the
    occupations that carry it (a few alternative titles belong to two occupations), so duplicate
    query texts are counted once.
    """
    from matching.demo.vocab import OCCUPATIONS

    passages = [occupation.title_da for occupation in OCCUPATIONS]
    sets: dict[str, dict[str, set[int]]] = {"da": defaultdict(set), "en": defaultdict(set)}
    for index, occupation in enumerate(OCCUPATIONS):
        for title in (occupation.title_da, *occupation.alt_titles_da):
            sets["da"][title].add(index)
        sets["en"][occupation.title_en].add(index)
    return passages, {name: dict(queries) for name, queries in sets.items()}


def cv_texts(n_texts: int) -> list[str]:
    """Danish CV texts of the first ``n_texts`` Danish-language demo jobseekers."""
    from matching.demo.generator import generate

    data = generate(seed=DEMO_SEED, size=DEMO_SIZE, today=DEMO_TODAY)
    texts = []
    for jobseeker in data.jobseekers:
        cv = jobseeker.cv
        if cv.language != "da":
            continue
        parts = [cv.headline, cv.summary]
        parts += [f"{exp.title}: {exp.description}" for exp in cv.experiences]
        if cv.skills:
            parts.append("Kompetencer: " + ", ".join(cv.skills))
        texts.append("\n".join(part.strip() for part in parts if part and part.strip()))
        if len(texts) == n_texts:
            return texts
    raise SystemExit(f"only {len(texts)} Danish CVs in the demo data, {n_texts} asked for")


# --------------------------------------------------------------------------------------------
# One variant, in a child process


def _status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, from ``/proc/self/status``.

    Not ``getrusage``: its ``ru_maxrss`` survives ``execve``, so a child started by a big parent
    would report the parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_variant(variant: str, model_dir: Path, texts_file: Path) -> dict[str, Any]:
    """Load one encoder, encode the texts once (after a short warm-up), report speed and RSS."""
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    start = time.perf_counter()
    if variant == "plain":
        from sentence_transformers import SentenceTransformer

        from embeddings.model import MODEL_NAME

        model = SentenceTransformer(str(model_dir / MODEL_NAME), device="cpu")

        def encode(batch: list[str]) -> Any:
            return model.encode(batch, show_progress_bar=False)
    elif variant == "torch":
        from embeddings.encoder import SentenceTransformerEncoder
        from embeddings.model import MODEL_NAME

        torch_encoder = SentenceTransformerEncoder(model_dir / MODEL_NAME)

        def encode(batch: list[str]) -> Any:
            return torch_encoder.encode(batch, "passage")
    elif variant == "onnx_int8":
        from embeddings.onnx_backend import ONNX_MODEL_NAME, OnnxEncoder

        onnx_encoder = OnnxEncoder(model_dir / ONNX_MODEL_NAME)

        def encode(batch: list[str]) -> Any:
            return onnx_encoder.encode(batch, "passage")
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    load_seconds = time.perf_counter() - start
    rss_loaded = _status_mb("VmRSS")
    encode(texts[:WARMUP_TEXTS])
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    vectors = encode(texts)
    seconds = time.perf_counter() - start
    assert vectors.shape == (len(texts), 384), vectors.shape
    return {
        "texts_per_second": round(len(texts) / seconds, 2),
        "encode_seconds": round(seconds, 2),
        "load_seconds": round(load_seconds, 2),
        "rss_loaded_mb": round(rss_loaded),
        "rss_peak_mb": round(_status_mb("VmHWM")),
        "loadavg_1min_before": round(load_before, 2),
        "loadavg_1min_after": round(os.getloadavg()[0], 2),
    }


def _in_subprocess(variant: str, model_dir: Path, texts_file: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            variant,
            "--model-dir",
            str(model_dir),
            "--texts-file",
            str(texts_file),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with ``--child``, one variant) and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--n-texts", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_variant(args.child, args.model_dir, args.texts_file)))
        return

    from embeddings.backend_comparison import compare_backends
    from embeddings.encoder import SentenceTransformerEncoder
    from embeddings.model import prepare_model
    from embeddings.onnx_backend import (
        OnnxEncoder,
        available_cores,
        prepare_onnx,
    )

    torch_model = prepare_model(args.model_dir)
    start = time.perf_counter()
    onnx_model = prepare_onnx(args.model_dir)
    onnx_prepare_seconds = time.perf_counter() - start

    texts = cv_texts(args.n_texts)
    # Quality first, in this process; the speed runs below are in fresh processes.
    torch_encoder = SentenceTransformerEncoder(torch_model.path)
    passages, query_sets = occupation_sets()
    quality = compare_backends(
        torch_encoder, OnnxEncoder(onnx_model.path), passages, query_sets
    ).to_dict()
    token_counts = [len(torch_encoder._tokenizer.encode("passage: " + t).ids) for t in texts]
    del torch_encoder

    runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for _ in range(args.repeats):
            for variant in VARIANTS:
                runs[variant].append(_in_subprocess(variant, args.model_dir, texts_file))
    best = {
        variant: max(results, key=lambda r: r["texts_per_second"])
        for variant, results in runs.items()
    }
    baseline = best["plain"]["texts_per_second"]
    report = {
        "machine": {"cores": available_cores(), "cpu_count": os.cpu_count()},
        "texts": {
            "n": len(texts),
            "source": f"generate(seed={DEMO_SEED}, size={DEMO_SIZE}) Danish CVs",
            "tokens_mean": round(sum(token_counts) / len(token_counts), 1),
            "tokens_max": max(token_counts),
            "over_512_tokens": sum(count > 512 for count in token_counts),
        },
        "models": {
            "torch": torch_model.model_version,
            "onnx_int8": onnx_model.model_version,
            "onnx_prepare_seconds": round(onnx_prepare_seconds, 2),
        },
        "speed": {
            variant: {**result, "speedup_vs_plain": round(result["texts_per_second"] / baseline, 2)}
            for variant, result in best.items()
        },
        "all_runs_texts_per_second": {
            variant: [r["texts_per_second"] for r in results] for variant, results in runs.items()
        },
        "quality_torch_vs_onnx_int8": quality,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
