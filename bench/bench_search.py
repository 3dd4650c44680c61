"""Vector search benchmark (prints JSON): latency, recall, build time and memory.

    python bench/bench_search.py [--sizes 10000,100000,1000000] [--queries 200]

Random-but-clustered unit vectors (384-d, 1,000 Gaussian clusters around random centres;
queries from the same clusters). For each size: exact search (numpy over all vectors, the
reference) and the project's VectorIndex (exact below its threshold, HNSW above), top-100,
without a filter and with 10 % and 1 % filters; recall@100 against exact search.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np

from embeddings.index import VectorIndex

DIM = 384
K = 100


def clustered(n: int, seed: int, clusters: int = 1000, noise: float = 0.7) -> np.ndarray:
    centres = np.random.default_rng(1234).normal(size=(clusters, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):  # in blocks, to keep peak memory near the result size
        m = min(100_000, n - start)
        block = centres[rng.integers(0, clusters, m)]
        block += noise * rng.normal(size=(m, DIM)).astype(np.float32) / np.sqrt(DIM)
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, rows=None) -> set[int]:
    matrix = vectors if rows is None else vectors[rows]
    sims = matrix @ query
    top = np.argpartition(-sims, K - 1)[:K]
    return set((ids if rows is None else ids[rows])[top].tolist())


def rss_mb() -> float:
    """Current resident memory (not the peak), so a before/after difference means something."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int, n_queries: int) -> dict[str, object]:
    vectors = clustered(size, seed=1)
    ids = np.arange(size, dtype=np.int64) * 7 + 3
    queries = clustered(n_queries, seed=2)
    rss_before = rss_mb()
    started = time.perf_counter()
    index = VectorIndex.build(DIM, "bench", ids, vectors)
    index.search(queries[:1], K)  # builds the HNSW graph when above the threshold
    build_seconds = time.perf_counter() - started
    result: dict[str, object] = {
        "size": size,
        "kind": index.kind,
        "build_seconds": round(build_seconds, 2),
        "index_memory_mb": round(rss_mb() - rss_before, 1),
        "vectors_mb": round(vectors.nbytes / 2**20, 1),
    }
    rng = np.random.default_rng(3)
    for label, share in (("no_filter", None), ("filter_10pct", 0.10), ("filter_1pct", 0.01)):
        rows = None if share is None else np.sort(rng.choice(size, int(size * share), False))
        allowed = None if rows is None else set(ids[rows].tolist())
        latencies, recalls = [], []
        for query in queries:
            t0 = time.perf_counter()
            _, found = index.search(query, K, allowed_ids=allowed)
            latencies.append(time.perf_counter() - t0)
            truth = exact(vectors, ids, query, rows)
            recalls.append(len(truth & set(found[0].tolist())) / K)
        result[label] = {
            "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 3),
            "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 3),
            "recall_at_100": round(float(np.mean(recalls)), 4),
        }
    exact_lat = []
    for query in queries[:50]:
        t0 = time.perf_counter()
        exact(vectors, ids, query)
        exact_lat.append(time.perf_counter() - t0)
    result["exact_numpy_p50_ms"] = round(float(np.percentile(exact_lat, 50)) * 1000, 3)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    out = {"benchmark": "vector_search", "k": K, "dimension": DIM, "results": []}
    for size in sizes:
        out["results"].append(measure(size, args.queries))
        print(json.dumps(out["results"][-1]), file=sys.stderr, flush=True)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
