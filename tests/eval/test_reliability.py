"""The reliability table of the answers' confidence, and intervals on every reported figure (hand-built results)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.selector import CONFIDENCE_LEVELS
from assistant.models import Answer, AnswerPart, Timings
from eval.ablations import RetrievalScores
from eval.intervals import bootstrap_interval
from eval.metrics import ItemResult, answer_confidence, is_right, summarize
from eval.reliability import BUCKET_EDGES, reliability, reliability_markdown
from eval.runner import write_report


def _result(item_id: str, confidence: float | None, right: bool, *, answerable: bool = True,
            abstained: bool = False, split: str = "dev", kind: str = "factoid") -> ItemResult:
    return ItemResult(id=item_id, answerable=answerable, tags=[kind], split=split, kind=kind, abstained=abstained,
                      key_facts=(1.0 if right else 0.0) if answerable else None, confidence=confidence,
                      hits={1: 1.0, 3: 1.0, 5: 1.0, 10: 1.0}, recall={1: 0.5, 3: 1.0, 5: 1.0, 10: 1.0},
                      reciprocal_rank=1.0, ndcg10=0.8, evidence_at5=1.0, direct_answer=float(right),
                      citation_valid=1.0, citation_recall=0.8, citation_precision=0.9, gold_citation_hit=1.0,
                      citation_source_precision=1.0, both_countries_cited=0.0,
                      latency_ms={"retrieve": 3.0, "generate": 1.0, "verify": 2.0, "total": 10.0 + len(item_id)})


def test_right_means_every_key_fact_and_no_refusal_or_a_refused_unanswerable() -> None:
    assert is_right(ItemResult(id="a", answerable=True, tags=[], key_facts=1.0))
    assert not is_right(ItemResult(id="b", answerable=True, tags=[], key_facts=0.5))
    assert not is_right(ItemResult(id="c", answerable=True, tags=[], key_facts=1.0, abstained=True))
    assert not is_right(ItemResult(id="d", answerable=True, tags=[], key_facts=None))
    assert is_right(ItemResult(id="e", answerable=False, tags=[], abstained=True))
    assert not is_right(ItemResult(id="f", answerable=False, tags=[], abstained=False))


def test_answer_confidence_is_the_least_confident_answered_part() -> None:
    def answer(abstained: bool, *parts: tuple[float, bool]) -> Answer:
        return Answer(answer="x", abstained=abstained, citations=[], retrieved=[], generator="extractive",
                      timings_ms=Timings(), parts=[AnswerPart(question="q", kind="factoid", confidence=c, supported=s)
                                                   for c, s in parts])

    assert answer_confidence(answer(False, (0.9, True), (0.6, True), (0.1, False))) == 0.6
    assert answer_confidence(answer(False, (0.8, True))) == 0.8
    assert answer_confidence(answer(True, (0.3, False))) is None
    assert answer_confidence(answer(False)) is None


def test_buckets_follow_the_ui_labels() -> None:
    floors = {floor for floor, _ in CONFIDENCE_LEVELS}
    assert floors <= set(BUCKET_EDGES) and BUCKET_EDGES[0] == 0.0 and BUCKET_EDGES[-1] == 1.0
    assert BUCKET_EDGES == (0.0, 0.25, 0.5, 0.75, 1.0)


def test_reliability_table_by_hand() -> None:
    results = [
        _result("a", 0.1, False), _result("b", 0.2, True),  # 0-0.25: mean 0.15, 1 of 2 right
        _result("c", 0.6, True), _result("d", 0.7, True), _result("e", 0.5, False),  # 0.5-0.75: 0.6, 2/3
        _result("f", 0.9, True), _result("g", 1.0, True),  # 0.75-1 (1.0 included): 0.95, 2/2
        _result("r", None, False, abstained=True),  # refused: no claim to be right about
        _result("u", 0.95, False, answerable=False),  # unanswerable: not in the table
        _result("n", None, True),  # answered without a scored part
    ]
    table = reliability(results)
    assert table.items == 7
    low, low2, medium, high = table.buckets
    assert (low.low, low.high, low.label, low.items, low.right) == (0.0, 0.25, "low", 2, 1)
    assert low.mean_confidence == pytest.approx(0.15) and low.observed == 0.5
    assert low.interval == bootstrap_interval([0.0, 1.0]) and low.interval is not None
    assert low.interval[0] <= 0.5 <= low.interval[1]
    assert (low2.label, low2.items, low2.mean_confidence, low2.observed, low2.interval) == ("low", 0, None, None, None)
    assert (medium.label, medium.items, medium.right) == ("medium", 3, 2)
    assert medium.mean_confidence == pytest.approx(0.6) and medium.observed == pytest.approx(2 / 3)
    assert (high.label, high.items, high.right, high.observed, high.interval) == ("high", 2, 2, 1.0, (1.0, 1.0))
    assert high.mean_confidence == pytest.approx(0.95)
    # |0.15-0.5|*2 + |0.6-2/3|*3 + |0.95-1|*2, over 7 items
    assert table.ece == pytest.approx((0.35 * 2 + (2 / 3 - 0.6) * 3 + 0.05 * 2) / 7)
    lines = "\n".join(reliability_markdown(table))
    assert "## Reliability of the confidence" in lines
    assert "| 0.75–1.00 | high | 2 | 0.950 | 1.000 [1.00, 1.00] |" in lines
    assert "| 0.25–0.50 | low | 0 | n/a | n/a |" in lines


def test_no_answered_items_give_an_empty_table() -> None:
    table = reliability([_result("r", None, False, abstained=True)])
    assert table.items == 0 and table.ece is None and all(b.items == 0 for b in table.buckets)


def test_percentile_interval_brackets_the_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    low, high = bootstrap_interval(values, percentile=95) or (0.0, 0.0)
    assert low < 95.05 < high and high <= 100
    assert bootstrap_interval(values, percentile=50) != bootstrap_interval(values)  # a different statistic, same seed


def test_every_figure_of_summary_json_has_an_interval(tmp_path: Path) -> None:
    results = [_result(f"i{n}", 0.3 + n / 20, n % 3 != 0, split="dev" if n < 6 else "test",
                       kind="factoid" if n % 2 else "list") for n in range(12)]
    results.append(_result("u1", None, True, answerable=False, abstained=True, split="test", kind="near-miss"))
    ablations: dict[str, dict] = {"bm25": RetrievalScores({"hit@1": 0.5}, {"hit@1": (0.2, 0.8)})}
    folder = write_report(tmp_path / "r", results, summarize(results), [], "hand-built", ablations)
    written = json.loads((folder / "summary.json").read_text())
    assert set(written["intervals"]) == set(written["summary"]) - {"items"}
    figures = [metric for metric, value in written["summary"].items() if metric != "items"]
    assert all(written["summary"][metric] is not None for metric in figures)
    for metric in figures:
        assert written["intervals"][metric] is not None, metric
    for split, summary in written["splits"].items():
        for metric, value in summary.items():
            assert metric == "items" or value is None or written["split_intervals"][split][metric], (split, metric)
    assert set(written["group_intervals"]) == set(written["groups"]) == {"split", "kind", "language"}
    for key, groups in written["groups"].items():
        for name, summary in groups.items():
            for metric, value in summary.items():
                assert metric == "items" or value is None or written["group_intervals"][key][name][metric], \
                    (key, name, metric)
    assert written["ablation_intervals"] == {"bm25": {"hit@1": [0.2, 0.8]}}
    assert written["reliability"]["items"] == 12 and len(written["reliability"]["buckets"]) == 4
    assert written["changes"] is None
    md = (folder / "report.md").read_text()
    assert "| bm25 | 0.500 [0.20, 0.80] |" in md and "## Reliability of the confidence" in md
    assert "| total_p95_ms | " in md and "What changed" not in md
    html = (folder / "report.html").read_text()
    assert "Reliability of the confidence" in html and 'alt="reliability diagram"' in html
    assert "0.500 [0.20, 0.80]" in html
