"""Vector search benchmark (prints one JSON object): build time, memory, latency, recall.

    python bench/bench_search.py [--sizes 10000,100000,1000000] [--queries 200]
                                 [--kinds flat,hnsw] [--ef-search 256] [--hnsw-m 32]

Random-but-clustered unit vectors (384-d, 1,000 Gaussian clusters around random unit centres;
queries drawn from the same clusters, fixed seeds). For each size and each structure of
:class:`embeddings.index.VectorIndex` (``flat``: exact ``IndexFlatIP``; ``hnsw``:
``IndexHNSWFlat``, forced with ``exact_threshold``): build time, RSS growth and bytes of the
FAISS structure, then single-query top-100 latency (p50/p99) and recall@100 against exact
search without a filter, with a 10 % filter and with a 1 % filter (allowed ids given as a
numpy array). Building uses every core; queries run with one OpenMP thread, as a serving
worker answering one query at a time should (with two threads on two busy cores, OpenMP
spinning cost whole scheduler quanta of ~8 ms per query).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time

import faiss
import numpy as np

from embeddings.index import HNSW_EF_SEARCH, HNSW_M, VectorIndex

DIM = 384
K = 100
CLUSTERS = 1_000
NOISE = 0.7  # per-coordinate noise x sqrt(DIM): cosine to the centre ~0.82
BLOCK = 100_000  # vectors generated at a time, to keep peak memory near the result size
FILTERS = (("no_filter", None), ("filter_10pct", 0.10), ("filter_1pct", 0.01))


def clustered(n: int, seed: int) -> np.ndarray:
    """``n`` unit vectors around fixed random unit centres."""
    centres = np.random.default_rng(1234).normal(size=(CLUSTERS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        block = centres[rng.integers(0, CLUSTERS, m)]
        block += NOISE * rng.normal(size=(m, DIM)).astype(np.float32) / np.sqrt(DIM)
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def rss_mb() -> float:
    """Current resident set size of this process in MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def structure_bytes(index: VectorIndex) -> int:
    """Bytes held by the FAISS structure (vectors plus, for HNSW, the graph)."""
    structure = index._faiss
    if isinstance(structure, faiss.IndexHNSWFlat):
        hnsw = structure.hnsw
        graph = hnsw.neighbors.size() * 4 + hnsw.offsets.size() * 8 + hnsw.levels.size() * 4
        return structure.ntotal * DIM * 4 + graph
    return structure.ntotal * DIM * 4


def truth(vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """Exact top-K rows per query (batched BLAS through a throw-away flat index)."""
    exact = faiss.IndexFlatIP(DIM)
    exact.add(vectors if rows is None else vectors[rows])
    _, found = exact.search(queries, K)
    return found if rows is None else rows[found]


def measure(size: int, kind: str, vectors, ids, queries, args) -> dict[str, object]:
    """Build one structure over ``vectors`` and time single queries against it."""
    threshold = 10**12 if kind == "flat" else 1
    gc.collect()
    rss_before = rss_mb()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    index = VectorIndex.build(
        DIM,
        "bench",
        ids,
        vectors,
        exact_threshold=threshold,
        hnsw_m=args.hnsw_m,
        ef_search=args.ef_search,
    )
    build_seconds = time.perf_counter() - started
    result: dict[str, object] = {
        "size": size,
        "kind": index._faiss_kind,
        "build_seconds": round(build_seconds, 2),
        "rss_growth_mb": round(rss_mb() - rss_before, 1),
        "index_mb": round(structure_bytes(index) / 2**20, 1),
        "canonical_vectors_mb": round(size * DIM * 4 / 2**20, 1),
    }
    if kind == "hnsw":
        result["params"] = {"M": index.hnsw_m, "efConstruction": index.ef_construction}
        result["params"]["efSearch"] = index.ef_search
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(3)
    for label, share in FILTERS:
        rows = None if share is None else np.sort(rng.choice(size, int(size * share), False))
        allowed = None if rows is None else ids[rows]
        expected = truth(vectors, queries, rows)
        latencies, recalls = [], []
        for q, query in enumerate(queries):
            t0 = time.perf_counter()
            _, found = index.search(query, K, allowed_ids=allowed)
            latencies.append(time.perf_counter() - t0)
            recalls.append(len(set(ids[expected[q]].tolist()) & set(found[0].tolist())) / K)
        result[label] = {
            "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 3),
            "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 3),
            "recall_at_100": round(float(np.mean(recalls)), 4),
        }
    del index
    gc.collect()
    return result


def main() -> int:
    """Run the benchmark and print the JSON result on stdout (progress on stderr)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--kinds", default="flat,hnsw")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef-search", type=int, default=HNSW_EF_SEARCH)
    parser.add_argument("--hnsw-m", type=int, default=HNSW_M)
    args = parser.parse_args()
    out: dict[str, object] = {
        "benchmark": "vector_search",
        "k": K,
        "dimension": DIM,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        "query_threads": 1,
        "results": [],
    }
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = clustered(size, seed=1)
        ids = np.arange(size, dtype=np.int64) * 7 + 3
        queries = clustered(args.queries, seed=2)
        for kind in args.kinds.split(","):
            result = measure(size, kind, vectors, ids, queries, args)
            out["results"].append(result)
            print(json.dumps(result), file=sys.stderr, flush=True)
        del vectors
    out["load_average_at_end"] = os.getloadavg()[0]
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
