"""Reliability of the answers' confidence: are answers given 0.8 right about 80 % of the time?

:func:`reliability` takes per-item results (:class:`eval.metrics.ItemResult` with the answer's
``confidence``) and returns the answered, answerable items grouped into confidence buckets, each
with its mean confidence, its observed rate of right answers (:func:`eval.metrics.is_right`) and
that rate's bootstrap 95 % interval. The bucket edges include the floors of the UI's labels
(:data:`assistant.core.selector.CONFIDENCE_LEVELS`), so each bucket has one label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from assistant.core.selector import CONFIDENCE_LEVELS, confidence_label
from eval.intervals import bootstrap_interval, format_with_interval
from eval.metrics import ItemResult, is_right

BUCKET_EDGES: tuple[float, ...] = tuple(sorted({0.0, 0.25, *(floor for floor, _ in CONFIDENCE_LEVELS), 1.0}))
"""0, 0.25, 0.5, 0.75, 1: the UI's low label split in two, then medium and high."""


@dataclass(frozen=True)
class ReliabilityBucket:
    """Answered, answerable items whose confidence is in ``[low, high)`` (the last bucket includes 1.0)."""

    low: float
    high: float
    label: str
    items: int
    right: int
    mean_confidence: float | None
    observed: float | None
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class Reliability:
    """The reliability table of one run and its expected calibration error (None without items)."""

    buckets: list[ReliabilityBucket]
    items: int
    ece: float | None

    def to_dict(self) -> dict[str, object]:
        """The table as summary.json stores it under "reliability"."""
        return {"items": self.items, "ece": self.ece, "buckets": [asdict(b) for b in self.buckets]}


def reliability(results: Sequence[ItemResult], edges: Sequence[float] = BUCKET_EDGES) -> Reliability:
    """Bucket the answered, answerable items of ``results`` by their confidence.

    Args:
        results: per-item results; refusals, unanswerable items and answers without a
            confidence are left out (they make no claim a confidence could be right about).
        edges: increasing bucket edges from 0 to 1.

    Returns:
        One bucket per pair of edges (empty buckets too) and the expected calibration error:
        the item-weighted mean gap between a bucket's mean confidence and its observed rate.
    """
    scored = [(r.confidence, float(is_right(r))) for r in results
              if r.answerable and not r.abstained and r.confidence is not None]
    buckets = []
    gap = 0.0
    for i, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        last = i == len(edges) - 2
        group = [(c, right) for c, right in scored if low <= c < high or (last and c == high)]
        rights = [right for _, right in group]
        mean = sum(c for c, _ in group) / len(group) if group else None
        observed = sum(rights) / len(rights) if rights else None
        if mean is not None and observed is not None:
            gap += len(group) * abs(mean - observed)
        buckets.append(ReliabilityBucket(low=low, high=high, label=confidence_label(low), items=len(group),
                                         right=int(sum(rights)), mean_confidence=mean, observed=observed,
                                         interval=bootstrap_interval(rights)))
    return Reliability(buckets=buckets, items=len(scored), ece=gap / len(scored) if scored else None)


def reliability_markdown(table: Reliability) -> list[str]:
    """Lines of report.md's "Reliability of the confidence" section."""
    lines = [
        "", "## Reliability of the confidence", "",
        f"Answered, answerable items by the answer's confidence (its least confident answered part): "
        f"{table.items} items, expected calibration error "
        f"{'n/a' if table.ece is None else f'{table.ece:.3f}'}. Right = every key fact, no refusal; "
        "a calibrated confidence matches the observed rate.", "",
        "| confidence | label | items | mean confidence | observed right rate |", "|---|---|---|---|---|",
    ]
    for b in table.buckets:
        mean = "n/a" if b.mean_confidence is None else f"{b.mean_confidence:.3f}"
        lines.append(f"| {b.low:.2f}–{b.high:.2f} | {b.label} | {b.items} | {mean} | "
                     f"{format_with_interval(b.observed, b.interval)} |")
    return lines
