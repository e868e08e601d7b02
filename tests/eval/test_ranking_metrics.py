"""hit@k, recall@k, reciprocal rank and nDCG@10 on small invented rankings, against values worked out by hand.

Each case writes its expectation as literal numbers (or as the few logarithms of the
nDCG formula), never through the code under test. Gold sources are "g1", "g2", ...;
anything else is a miss.
"""

from __future__ import annotations

import math

import pytest

from eval.dataset import GoldItem
from eval.metrics import ItemResult, percentile, retrieval_scores, summarize


def _item(gold: list[str], quotes: tuple[str, ...] = ()) -> GoldItem:
    return GoldItem.model_validate({
        "id": "r1", "question": "What must developers report?", "answerable": True, "gold_sources": gold,
        "evidence": [{"source_id": gold[0], "quote": q} for q in quotes], "must_include": [["report"]],
        "reference_answer": "x", "tags": ["factoid"],
    })


def _scores(gold: list[str], ranking: list[str], texts: list[str] | None = None,
            quotes: tuple[str, ...] = ()) -> dict:
    return retrieval_scores(_item(gold, quotes), ranking, texts if texts is not None else [""] * len(ranking))


def test_first_place_hit_scores_one_everywhere() -> None:
    scores = _scores(["g1"], ["g1", "x1", "x2"])
    assert scores["hits"] == {1: 1.0, 3: 1.0, 5: 1.0, 10: 1.0}
    assert scores["recall"] == {1: 1.0, 3: 1.0, 5: 1.0, 10: 1.0}
    assert scores["rr"] == 1.0
    assert scores["ndcg10"] == 1.0


def test_one_gold_source_at_rank_four() -> None:
    scores = _scores(["g1"], ["x1", "x2", "x3", "g1", "x4"])
    assert scores["hits"] == {1: 0.0, 3: 0.0, 5: 1.0, 10: 1.0}
    assert scores["recall"] == {1: 0.0, 3: 0.0, 5: 1.0, 10: 1.0}
    assert scores["rr"] == 0.25
    # DCG = 1/log2(4 + 1) = 1/log2(5); the ideal ranking puts g1 first: IDCG = 1/log2(2) = 1.
    assert scores["ndcg10"] == pytest.approx(1 / math.log2(5))
    assert scores["ndcg10"] == pytest.approx(0.430677, abs=1e-6)


def test_two_of_three_gold_sources_found() -> None:
    scores = _scores(["g1", "g2", "g3"], ["x1", "g2", "x2", "x3", "g1", "x4"])
    assert scores["hits"] == {1: 0.0, 3: 1.0, 5: 1.0, 10: 1.0}
    assert scores["recall"] == {1: 0.0, 3: pytest.approx(1 / 3), 5: pytest.approx(2 / 3), 10: pytest.approx(2 / 3)}
    assert scores["rr"] == 0.5
    # DCG = 1/log2(3) + 1/log2(6) = 0.630930 + 0.386853; IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.130930.
    assert scores["ndcg10"] == pytest.approx((0.630930 + 0.386853) / 2.130930, abs=1e-5)


def test_a_repeated_gold_source_counts_once_in_ndcg_and_recall() -> None:
    scores = _scores(["g1", "g2"], ["g1", "g1", "g1", "x1"])
    assert scores["recall"][3] == 0.5
    assert scores["rr"] == 1.0
    # Only the first g1 gains: DCG = 1; IDCG for two gold sources = 1 + 1/log2(3).
    assert scores["ndcg10"] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert scores["ndcg10"] == pytest.approx(0.613147, abs=1e-6)


def test_nothing_found_scores_zero() -> None:
    scores = _scores(["g1"], ["x1", "x2", "x3"])
    assert scores["hits"] == {1: 0.0, 3: 0.0, 5: 0.0, 10: 0.0}
    assert scores["recall"] == {1: 0.0, 3: 0.0, 5: 0.0, 10: 0.0}
    assert scores["rr"] == 0.0
    assert scores["ndcg10"] == 0.0
    assert _scores(["g1"], [])["rr"] == 0.0


def test_only_the_first_ten_count_for_ndcg_but_rr_looks_further() -> None:
    ranking = [f"x{i}" for i in range(10)] + ["g1"]
    scores = _scores(["g1"], ranking)
    assert scores["hits"][10] == 0.0 and scores["ndcg10"] == 0.0
    assert scores["rr"] == pytest.approx(1 / 11)


def test_evidence_at_5_looks_for_each_quote_in_the_top_five_texts() -> None:
    quotes = ("Developers must report each training run within 30 days.", "The report lists the cluster location.")
    texts = ["unrelated", "Preamble. Developers  must report each\ntraining run within 30 days. More.", "x", "y", "z",
             "The report lists the cluster location."]  # the second quote only at rank 6
    scores = _scores(["g1"], ["a", "b", "c", "d", "e", "f"], texts, quotes)
    assert scores["evidence_at5"] == 0.5
    assert _scores(["g1"], ["a"], ["a"])["evidence_at5"] is None  # no evidence quotes: not measured


def test_summary_averages_over_answerable_items_only() -> None:
    results = [
        ItemResult(id="1", answerable=True, tags=[], hits={5: 1.0}, recall={5: 0.5}, reciprocal_rank=1.0,
                   ndcg10=0.8, latency_ms={"total": 100.0}),
        ItemResult(id="2", answerable=True, tags=[], hits={5: 0.0}, recall={5: 0.0}, reciprocal_rank=0.25,
                   ndcg10=0.2, latency_ms={"total": 300.0}),
        ItemResult(id="3", answerable=False, tags=[], abstained=True, reciprocal_rank=0.0,
                   latency_ms={"total": 200.0}),
    ]
    summary = summarize(results)
    assert summary["items"] == 3.0
    assert summary["hit@5"] == 0.5
    assert summary["recall@5"] == 0.25
    assert summary["mrr"] == 0.625
    assert summary["ndcg@10"] == pytest.approx(0.5)
    assert summary["hit@1"] is None  # no item measured it
    assert summary["refusal_accuracy"] == 1.0 and summary["false_refusal_rate"] == 0.0
    assert summary["total_p50_ms"] == 200.0 and summary["mean_total_ms"] == 200.0


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([], 50, 0.0),
    ([7.0], 95, 7.0),
    ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
    ([10.0, 20.0, 30.0, 40.0, 50.0], 95, 48.0),  # position 0.95 * 4 = 3.8: 40 + 0.8 * 10
    ([3.0, 1.0, 2.0], 0, 1.0),
    ([3.0, 1.0, 2.0], 100, 3.0),
])
def test_percentile_interpolates_linearly(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)
