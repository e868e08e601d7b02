"""Offline metrics: retrieval, key facts, refusals, citations (ALCE-style), latency.

Each per-item function takes a gold item and what the system returned and
gives plain numbers; :func:`summarize` aggregates them into the figures the
report and the CI gates use.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.core.evidence import Idf, content_tokens, coverage, missing_facts
from assistant.core.verify import answer_sentences
from assistant.models import Answer
from eval.dataset import GoldItem

K_VALUES = (1, 3, 5, 10)
DIRECT_ANSWER_CHARS = 200
"""The key facts must appear this early in the answer (markers removed) to count as a direct answer."""
_MARKERS = re.compile(r"\s*\[\d+\]")


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _compact(text: str) -> str:
    """Lower-cased text without any whitespace: PDF layout and CJK spacing do not decide a match."""
    return "".join(text.split()).lower()


@dataclass
class ItemResult:
    """Everything measured for one gold item."""

    id: str
    answerable: bool
    tags: list[str]
    split: str = "dev"
    kind: str = "other"
    language: str = "en"
    retrieved_sources: list[str] = field(default_factory=list)
    hits: dict[int, float] = field(default_factory=dict)
    recall: dict[int, float] = field(default_factory=dict)
    reciprocal_rank: float = 0.0
    ndcg10: float = 0.0
    evidence_at5: float | None = None
    abstained: bool = False
    key_facts: float | None = None
    direct_answer: float | None = None
    citation_source_precision: float | None = None
    citation_valid: float | None = None
    citation_recall: float | None = None
    citation_precision: float | None = None
    gold_citation_hit: float | None = None
    both_countries_cited: float | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    answer: str = ""
    citations: list[dict[str, object]] = field(default_factory=list)
    confidence: float | None = None
    """The answer's calibrated confidence: its least confident answered part's; None for a refusal."""


def is_right(result: ItemResult) -> bool:
    """Whether the item was answered right: every key fact and no refusal, or a refusal of an unanswerable item.

    The one definition the change list, the reliability table and the per-source health share.
    """
    if not result.answerable:
        return result.abstained
    return result.key_facts == 1.0 and not result.abstained


def answer_confidence(answer: Answer) -> float | None:
    """The confidence of an answer: the minimum over its answered parts (None for a refusal or no scored part)."""
    if answer.abstained:
        return None
    scored = [part.confidence for part in answer.parts if part.supported]
    return min(scored) if scored else None


def retrieval_scores(
    item: GoldItem, retrieved_sources: Sequence[str], retrieved_texts: Sequence[str]
) -> dict[str, object]:
    """hit@k, recall@k of gold sources, reciprocal rank, nDCG@10 and evidence@5 for one item."""
    gold = set(item.gold_sources)
    hits = {k: float(bool(gold & set(retrieved_sources[:k]))) for k in K_VALUES}
    recall = {k: len(gold & set(retrieved_sources[:k])) / len(gold) for k in K_VALUES}
    rr = next((1.0 / (i + 1) for i, s in enumerate(retrieved_sources) if s in gold), 0.0)
    seen: set[str] = set()
    dcg = 0.0
    for i, source in enumerate(retrieved_sources[:10]):
        if source in gold and source not in seen:
            dcg += 1.0 / math.log2(i + 2)
            seen.add(source)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), 10)))
    texts = [_compact(t) for t in retrieved_texts[:5]]
    found = [any(_compact(e.quote)[:100] in t for t in texts) for e in item.evidence]
    return {
        "hits": hits,
        "recall": recall,
        "rr": rr,
        "ndcg10": dcg / ideal if ideal else 0.0,
        "evidence_at5": sum(found) / len(found) if found else None,
    }


def key_fact_score(item: GoldItem, answer_text: str) -> float:
    """1.0 when the answer contains one alternative of every must_include group.

    Compared case-insensitively with markers and all whitespace removed (so a PDF's
    line breaks or CJK spacing in a quote do not hide a fact).
    """
    text = _compact(_MARKERS.sub("", answer_text))
    return float(all(any(_compact(alt) in text for alt in group) for group in item.must_include))


def direct_answer_score(item: GoldItem, answer_text: str) -> float:
    """1.0 when every key fact is within the first 200 characters of the answer (citation markers removed)."""
    lead = _MARKERS.sub("", answer_text).strip()[:DIRECT_ANSWER_CHARS]
    return key_fact_score(item, lead)


def citation_source_precision(
    item: GoldItem, answer: Answer, same_work: Callable[[str], set[str]] | None = None
) -> float | None:
    """Share of the answer's citations that point at gold material (None without citations).

    Judged against the gold set only, never by the verifier's own scorer: a citation is
    correct when its source is a gold source or its quote overlaps a gold evidence quote.
    With ``same_work``, a translation of a gold source (the same regulation in its other
    language, quoted beside the original) counts as that source.
    """
    if not answer.citations:
        return None
    gold_sources = set(item.gold_sources)
    if same_work is not None:
        gold_sources |= {other for source in item.gold_sources for other in same_work(source)}
    gold_quotes = [_compact(e.quote) for e in item.evidence]

    def overlaps(quote: str) -> bool:
        quote = _compact(quote)
        return any(g and (g[:60] in quote or quote[:60] in g) for g in gold_quotes)

    correct = [c.source_id in gold_sources or overlaps(c.quote) for c in answer.citations]
    return sum(correct) / len(correct)


# Labels the answer puts before a quote ("China: …", "English translation: …") are layout, not claims.
_DISPLAY_PREFIX = re.compile(r"^\s*[^\s:：.。!?？\[][^:：.。!?？\n\[]{0,60}[:：]\s*(?=\S)")
"""A short label before a quote ("China:", "No:", "Executive Order 14179:", "中文原文："): layout, not a claim."""


def citation_scores(answer: Answer, chunk_texts: dict[str, str], idf: Idf) -> dict[str, float | None]:
    """Citation validity, recall and precision with an offline support scorer.

    * validity: share of citations whose chunk was retrieved and whose quote is in the chunk;
    * recall: share of answer sentences whose cited passages support them;
    * precision: share of citations that support the sentence that carries them.
    Support = IDF-weighted term coverage >= 0.5 and no missing number or name.
    """
    if answer.abstained or not answer.citations:
        return {"valid": None, "recall": None, "precision": None}
    by_marker = {c.marker: c for c in answer.citations}
    valid = [c.chunk_id in chunk_texts and c.quote in chunk_texts[c.chunk_id] for c in answer.citations]
    # The claims are the answered parts' sentences: a refused part's line says what the library lacks.
    claims = "\n\n".join(p.text for p in answer.parts if p.supported) if answer.parts else answer.answer
    sentences = answer_sentences(claims.split("\n\nNote:")[0])
    supported_sentences = 0
    precise, total_cites = 0, 0
    for sentence in sentences:
        markers = [int(m) for m in re.findall(r"\[(\d+)\]", sentence)]
        claim = _DISPLAY_PREFIX.sub("", re.sub(r"\s*\[\d+\]", "", sentence))
        tokens = content_tokens(claim)
        ok_any = False
        for marker in markers:
            citation = by_marker.get(marker)
            if citation is None:
                total_cites += 1
                continue
            passage = chunk_texts.get(citation.chunk_id, "")
            ok = coverage(tokens, content_tokens(passage), idf) >= 0.5 and not missing_facts(claim, passage)
            precise += ok
            total_cites += 1
            ok_any = ok_any or ok
        supported_sentences += ok_any
    return {
        "valid": sum(valid) / len(valid),
        "recall": supported_sentences / len(sentences) if sentences else None,
        "precision": precise / total_cites if total_cites else None,
    }


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summarize(results: Sequence[ItemResult]) -> dict[str, float | None]:
    """Aggregate per-item results into the summary figures (rates in 0..1, latency in ms)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    summary: dict[str, float | None] = {"items": float(len(results))}
    for k in K_VALUES:
        summary[f"hit@{k}"] = _mean([r.hits.get(k) for r in answerable])
        summary[f"recall@{k}"] = _mean([r.recall.get(k) for r in answerable])
    summary["mrr"] = _mean([r.reciprocal_rank for r in answerable])
    summary["ndcg@10"] = _mean([r.ndcg10 for r in answerable])
    summary["evidence@5"] = _mean([r.evidence_at5 for r in answerable])
    summary["key_fact_accuracy"] = _mean([r.key_facts for r in answerable])
    summary["direct_answer_rate"] = _mean([r.direct_answer for r in answerable])
    summary["refusal_accuracy"] = _mean([float(r.abstained) for r in unanswerable])
    summary["false_refusal_rate"] = _mean([float(r.abstained) for r in answerable])
    summary["citation_validity"] = _mean([r.citation_valid for r in answerable])
    summary["citation_recall"] = _mean([r.citation_recall for r in answerable])
    summary["citation_precision"] = _mean([r.citation_precision for r in answerable])
    summary["gold_citation_hit"] = _mean([r.gold_citation_hit for r in answerable])
    summary["citation_source_precision"] = _mean([r.citation_source_precision for r in answerable])
    summary["comparison_both_cited"] = _mean([r.both_countries_cited for r in answerable])
    for stage in ("retrieve", "generate", "verify", "total"):
        values = [r.latency_ms.get(stage, 0.0) for r in results]
        summary[f"{stage}_p50_ms"] = percentile(values, 50)
        summary[f"{stage}_p95_ms"] = percentile(values, 95)
    summary["mean_total_ms"] = statistics.fmean([r.latency_ms.get("total", 0.0) for r in results]) if results else 0.0
    return summary


def item_values(results: Sequence[ItemResult]) -> dict[str, list[float]]:
    """Per metric of :func:`summarize` (its means over items, not latencies), the per-item values it averages."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]

    def present(values: Sequence[float | None]) -> list[float]:
        return [float(v) for v in values if v is not None]

    values: dict[str, list[float]] = {}
    for k in K_VALUES:
        values[f"hit@{k}"] = present([r.hits.get(k) for r in answerable])
        values[f"recall@{k}"] = present([r.recall.get(k) for r in answerable])
    values.update({
        "mrr": present([r.reciprocal_rank for r in answerable]),
        "ndcg@10": present([r.ndcg10 for r in answerable]),
        "evidence@5": present([r.evidence_at5 for r in answerable]),
        "key_fact_accuracy": present([r.key_facts for r in answerable]),
        "direct_answer_rate": present([r.direct_answer for r in answerable]),
        "refusal_accuracy": [float(r.abstained) for r in unanswerable],
        "false_refusal_rate": [float(r.abstained) for r in answerable],
        "citation_validity": present([r.citation_valid for r in answerable]),
        "citation_recall": present([r.citation_recall for r in answerable]),
        "citation_precision": present([r.citation_precision for r in answerable]),
        "gold_citation_hit": present([r.gold_citation_hit for r in answerable]),
        "citation_source_precision": present([r.citation_source_precision for r in answerable]),
        "comparison_both_cited": present([r.both_countries_cited for r in answerable]),
    })
    return values


def summary_intervals(results: Sequence[ItemResult]) -> dict[str, tuple[float, float] | None]:
    """Bootstrap 95 % intervals (:mod:`eval.intervals`) of every figure :func:`summarize` reports but ``items``.

    Rates and means take the interval of the mean; latency percentiles the interval of that percentile.
    """
    from eval.intervals import bootstrap_interval

    intervals = {metric: bootstrap_interval(values) for metric, values in item_values(results).items()}
    for stage in ("retrieve", "generate", "verify", "total"):
        latencies = [r.latency_ms.get(stage, 0.0) for r in results]
        intervals[f"{stage}_p50_ms"] = bootstrap_interval(latencies, percentile=50)
        intervals[f"{stage}_p95_ms"] = bootstrap_interval(latencies, percentile=95)
    intervals["mean_total_ms"] = bootstrap_interval([r.latency_ms.get("total", 0.0) for r in results])
    return intervals


GROUP_METRICS = (
    "items", "hit@5", "evidence@5", "key_fact_accuracy", "direct_answer_rate", "refusal_accuracy",
    "false_refusal_rate", "citation_source_precision",
)
"""The figures shown per split, kind and language in reports."""


def summarize_groups(results: Sequence[ItemResult], key: str) -> dict[str, dict[str, float | None]]:
    """Summaries of the results grouped by an :class:`ItemResult` field ("split", "kind" or "language").

    Returns:
        ``{group value: {metric: value}}`` with the metrics of :data:`GROUP_METRICS`, groups sorted.
    """
    groups: dict[str, list[ItemResult]] = {}
    for result in results:
        groups.setdefault(str(getattr(result, key)), []).append(result)
    return {
        name: {metric: summary.get(metric) for metric in GROUP_METRICS}
        for name, summary in ((name, summarize(group)) for name, group in sorted(groups.items()))
    }


def worst_dev_items(results: list[ItemResult], n: int = 15) -> list[ItemResult]:
    """The ``n`` answerable dev items with the fewest key facts (then the worst retrieval)."""
    dev = [r for r in results if r.answerable and r.split == "dev"]
    return sorted(dev, key=lambda r: (r.key_facts or 0, r.direct_answer or 0, r.reciprocal_rank))[:n]
