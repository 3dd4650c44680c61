"""How far a candidate encoder's retrieval quality is from a reference encoder's.

:func:`compare_backends` ranks caller-supplied passages for caller-supplied queries with both
encoders (e.g. torch fp32 and the int8 ONNX model of :mod:`embeddings.onnx_backend`), and reports
each encoder's MRR and top-1 share per query set and how close their vectors are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from embeddings.encoder import Encoder


@dataclass(frozen=True)
class RetrievalScores:
    """Ranking quality of one encoder on one query set."""

    queries: int
    mrr: float  # mean reciprocal rank of the best-ranked relevant passage
    top1: float  # share of queries whose best passage is relevant


@dataclass(frozen=True)
class SetComparison:
    """Reference and candidate scores on one query set."""

    reference: RetrievalScores
    candidate: RetrievalScores

    @property
    def mrr_delta(self) -> float:
        """Candidate MRR minus reference MRR (negative: the candidate is worse)."""
        return self.candidate.mrr - self.reference.mrr


@dataclass(frozen=True)
class BackendComparison:
    """Result of :func:`compare_backends`."""

    passages: int
    sets: Mapping[str, SetComparison]
    mean_cosine: float  # between the two encoders' vectors of the same text, all texts
    min_cosine: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with each set's ``mrr_delta``."""
        out = asdict(self)
        for name, comparison in self.sets.items():
            out["sets"][name]["mrr_delta"] = comparison.mrr_delta
        return out


def compare_backends(
    reference: Encoder,
    candidate: Encoder,
    passages: Sequence[str],
    query_sets: Mapping[str, Mapping[str, Collection[int]]],
) -> BackendComparison:
    """Rank ``passages`` for each query with both encoders and compare the results.

    Args:
        reference: the encoder to compare against (e.g. torch fp32).
        candidate: the encoder under test (e.g. ONNX int8).
        passages: the texts searched, encoded as ``"passage"``.
        query_sets: set name -> {query text: indices of its relevant passages}; queries are
            encoded as ``"query"``. A query is ranked by its best-ranked relevant passage.
    """
    vectors: dict[str, dict[str, np.ndarray]] = {}
    for label, encoder in (("reference", reference), ("candidate", candidate)):
        vectors[label] = {"passages": encoder.encode(list(passages), "passage")}
        for name, queries in query_sets.items():
            vectors[label][name] = encoder.encode(list(queries), "query")
    cosines = np.concatenate(
        [
            (vectors["reference"][key] * vectors["candidate"][key]).sum(axis=1)
            for key in vectors["reference"]
        ]
    )
    sets = {}
    for name, queries in query_sets.items():
        relevant = [sorted(indices) for indices in queries.values()]
        scores = {
            label: _retrieval_scores(vectors[label][name] @ vectors[label]["passages"].T, relevant)
            for label in vectors
        }
        sets[name] = SetComparison(**scores)
    return BackendComparison(
        passages=len(passages),
        sets=sets,
        mean_cosine=float(cosines.mean()),
        min_cosine=float(cosines.min()),
    )


def _retrieval_scores(similarity: np.ndarray, relevant: list[list[int]]) -> RetrievalScores:
    ranks = []
    for row, indices in zip(similarity, relevant, strict=True):
        if not indices:
            raise ValueError("every query needs at least one relevant passage")
        best = row[indices].max()
        others = np.delete(row, indices)
        # Ties count against the query: an encoder that collapses scores must not look good.
        ranks.append(1 + int((others >= best).sum()))
    ranks_array = np.asarray(ranks, dtype=np.float64)
    return RetrievalScores(
        queries=len(ranks),
        mrr=float((1.0 / ranks_array).mean()),
        top1=float((ranks_array == 1).mean()),
    )
