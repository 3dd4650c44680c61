"""Trec-style ranking metrics: MAP, MRR, success@k and nDCG@10 over labelled queries.

A *run* maps each query id to its ranked list of document ids (best first); *qrels* map each
query id to the set of relevant document ids (binary relevance). Queries without any relevant
document are left out of every mean (as trec_eval does); queries with relevant documents but
no run count as zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set

DEFAULT_CUTOFFS = (1, 5, 10)
NDCG_DEPTH = 10


def average_precision(ranking: Sequence[str], relevant: Set[str]) -> float:
    """Mean of the precision at each relevant hit, over all relevant documents."""
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    seen: set[str] = set()
    for position, doc in enumerate(ranking, start=1):
        if doc in relevant and doc not in seen:
            hits += 1
            total += hits / position
        seen.add(doc)
    return total / len(relevant)


def reciprocal_rank(ranking: Sequence[str], relevant: Set[str]) -> float:
    for position, doc in enumerate(ranking, start=1):
        if doc in relevant:
            return 1.0 / position
    return 0.0


def success_at(ranking: Sequence[str], relevant: Set[str], k: int) -> float:
    return 1.0 if any(doc in relevant for doc in ranking[:k]) else 0.0


def ndcg_at(ranking: Sequence[str], relevant: Set[str], k: int = NDCG_DEPTH) -> float:
    """Binary-gain nDCG@k: log2 discount, ideal ranking puts every relevant document first."""
    seen: set[str] = set()
    dcg = 0.0
    for position, doc in enumerate(ranking[:k], start=1):
        if doc in relevant and doc not in seen:
            dcg += 1.0 / math.log2(position + 1)
        seen.add(doc)
    ideal = sum(1.0 / math.log2(p + 1) for p in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def evaluate(
    run: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Set[str]],
    *,
    cutoffs: Sequence[int] = DEFAULT_CUTOFFS,
) -> dict[str, float | int]:
    """Mean metrics over the queries that have relevant documents.

    Returns ``{"map", "mrr", "success@1", "success@5", "success@10", "ndcg@10", "n"}``.
    """
    queries = [q for q, rel in qrels.items() if rel]
    result: dict[str, float | int] = {"n": len(queries)}
    if not queries:
        result.update({"map": 0.0, "mrr": 0.0, "ndcg@10": 0.0})
        result.update({f"success@{k}": 0.0 for k in cutoffs})
        return result
    sums = {"map": 0.0, "mrr": 0.0, "ndcg@10": 0.0, **{f"success@{k}": 0.0 for k in cutoffs}}
    for query in queries:
        ranking = list(run.get(query, ()))
        relevant = qrels[query]
        sums["map"] += average_precision(ranking, relevant)
        sums["mrr"] += reciprocal_rank(ranking, relevant)
        sums["ndcg@10"] += ndcg_at(ranking, relevant, NDCG_DEPTH)
        for k in cutoffs:
            sums[f"success@{k}"] += success_at(ranking, relevant, k)
    for key, total in sums.items():
        result[key] = round(total / len(queries), 4)
    return result
