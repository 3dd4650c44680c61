"""Ranking metrics, checked against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from matching.ranking.metrics import (
    average_precision,
    evaluate,
    ndcg_at,
    reciprocal_rank,
    success_at,
)


def test_average_precision_by_hand() -> None:
    # Relevant a, c, e; ranking a x c y z: precision at hits 1/1 and 2/3, e never found.
    assert average_precision(["a", "x", "c", "y", "z"], {"a", "c", "e"}) == pytest.approx(
        (1 + 2 / 3) / 3
    )
    assert average_precision(["x", "y"], {"a"}) == 0.0
    assert average_precision(["a", "a", "b"], {"a", "b"}) == pytest.approx((1 + 2 / 3) / 2)


def test_reciprocal_rank_and_success() -> None:
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank([], {"a"}) == 0.0
    assert success_at(["x", "a"], {"a"}, 1) == 0.0
    assert success_at(["x", "a"], {"a"}, 5) == 1.0


def test_ndcg_by_hand() -> None:
    ranking = ["x", "a", "y", "b"]
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(ranking, {"a", "b"}) == pytest.approx(dcg / ideal)
    assert ndcg_at(["a", "b"], {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at(["z"] * 10 + ["a"], {"a"}) == 0.0  # beyond depth 10


def test_evaluate_means_over_queries_with_relevant_documents() -> None:
    run = {"q1": ["a", "b"], "q2": ["x", "c"], "q4": ["a"]}
    qrels = {"q1": {"a"}, "q2": {"c"}, "q3": {"d"}, "q4": set()}
    result = evaluate(run, qrels)
    assert result["n"] == 3  # q4 has no relevant document; q3 has no run and counts as zero
    assert result["mrr"] == pytest.approx(round((1 + 0.5 + 0) / 3, 4))
    assert result["success@1"] == pytest.approx(round(1 / 3, 4))
    assert result["success@5"] == pytest.approx(round(2 / 3, 4))
    assert set(result) == {"n", "map", "mrr", "success@1", "success@5", "success@10", "ndcg@10"}


def test_empty_qrels() -> None:
    assert evaluate({}, {})["n"] == 0
