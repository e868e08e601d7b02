"""Evaluation metrics against hand-computed values (no library needed)."""

from __future__ import annotations

import math

import pytest

from assistant.models import Answer, Citation, Timings
from eval.dataset import GoldItem
from eval.metrics import (
    ItemResult,
    citation_source_precision,
    direct_answer_score,
    key_fact_score,
    retrieval_scores,
    summarize,
    summarize_groups,
)


def _item(**extra: object) -> GoldItem:
    fields: dict[str, object] = {
        "id": "t1", "question": "When was the rule issued?", "answerable": True, "gold_sources": ["a", "b"],
        "evidence": [{"source_id": "a", "quote": "The rule was issued on January 15, 2025, with compliance due"}],
        "must_include": [["January 15, 2025"], ["compliance", "comply"]], "reference_answer": "x",
        "tags": ["factoid", "date"],
    }
    fields.update(extra)
    return GoldItem.model_validate(fields)


def _citation(marker: int, source_id: str, quote: str) -> Citation:
    return Citation(marker=marker, source_id=source_id, title="t", publisher="p", country="US", date="2025",
                    url=None, page=None, chunk_id=f"{source_id}:0", quote=quote, start=0, end=len(quote))


def test_retrieval_scores_by_hand() -> None:
    scores = retrieval_scores(_item(), ["c", "a", "d", "b", "e"], ["x", "the rule was issued on January 15, 2025,"
                                                                   " with compliance due later", "y", "z", "w"])
    assert scores["hits"] == {1: 0.0, 3: 1.0, 5: 1.0, 10: 1.0}
    assert scores["recall"] == {1: 0.0, 3: 0.5, 5: 1.0, 10: 1.0}
    assert scores["rr"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert scores["ndcg10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert scores["evidence_at5"] == 1.0


def test_key_facts_ignore_markers_whitespace_and_case() -> None:
    assert key_fact_score(_item(), "JANUARY 15,\n 2025 [1]. Compliance was due later. [2]") == 1.0
    assert key_fact_score(_item(), "January 15 [1], 2025 and nothing else") == 0.0


def test_direct_answer_needs_every_fact_in_the_first_200_characters() -> None:
    item = _item()
    early = "January 15, 2025 [1]\n\nThe rule set compliance dates. [1]"
    late = "x" * 190 + " January 15, 2025 [1] compliance [2]"
    assert direct_answer_score(item, early) == 1.0
    assert direct_answer_score(item, late) == 0.0
    assert key_fact_score(item, late) == 1.0


def test_citation_source_precision_uses_gold_sources_and_evidence_only() -> None:
    answer = Answer(
        answer="x [1] y [2] z [3]", abstained=False, generator="extractive", timings_ms=Timings(), retrieved=[],
        citations=[
            _citation(1, "a", "anything from a gold source"),
            _citation(2, "c", "The rule was issued on January 15, 2025, with compliance due in May."),
            _citation(3, "d", "an unrelated passage of another source"),
        ],
    )
    assert citation_source_precision(_item(), answer) == pytest.approx(2 / 3)
    answer.citations = []
    assert citation_source_precision(_item(), answer) is None


def test_summaries_by_group() -> None:
    results = [
        ItemResult(id="1", answerable=True, tags=[], split="dev", kind="factoid", key_facts=1.0, direct_answer=1.0),
        ItemResult(id="2", answerable=True, tags=[], split="test", kind="factoid", key_facts=0.0, direct_answer=0.0),
        ItemResult(id="3", answerable=False, tags=[], split="test", kind="near-miss", abstained=True),
    ]
    assert summarize(results)["key_fact_accuracy"] == 0.5
    by_split = summarize_groups(results, "split")
    assert by_split["dev"]["direct_answer_rate"] == 1.0 and by_split["test"]["refusal_accuracy"] == 1.0
    assert summarize_groups(results, "kind")["near-miss"]["items"] == 1.0
