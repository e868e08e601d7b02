"""Per-source health after an eval run: each source's share of right answers, stored for its card.

:func:`source_health` takes a run's results and its gold items and returns, per gold source, the
items about it (their ``gold_sources`` name it) and how many were right (:func:`eval.metrics.is_right`);
:func:`record_health` merges that into the data directory's ``eval_health.json``
(:mod:`policychat.eval_health`, the format the cards read).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from eval.dataset import GoldItem
from eval.metrics import ItemResult, is_right
from policychat.eval_health import SourceHealth, merge_eval_health


def source_health(
    results: Sequence[ItemResult], items: Sequence[GoldItem], day: date | None = None, report: str = ""
) -> dict[str, SourceHealth]:
    """Per gold source of ``items``: its items in ``results``, how many were right, the pass rate.

    Args:
        results: one run's per-item results.
        items: the gold items of that run (their ``gold_sources`` say which sources an item is about;
            unanswerable items without gold sources count for none).
        day: the run's date (default today).
        report: the run's report path, stored with each entry.

    Returns:
        ``{source_id: SourceHealth}`` for every source at least one answered item names.
    """
    sources = {item.id: item.gold_sources for item in items}
    tally: dict[str, list[bool]] = {}
    for result in results:
        for source_id in dict.fromkeys(sources.get(result.id, [])):
            tally.setdefault(source_id, []).append(is_right(result))
    when = (day or date.today()).isoformat()
    return {
        source_id: SourceHealth(pass_rate=sum(rights) / len(rights), right=sum(rights), items=len(rights),
                                date=when, report=report)
        for source_id, rights in sorted(tally.items())
    }


def record_health(data_dir: Path, results: Sequence[ItemResult], items: Sequence[GoldItem], report: Path) -> int:
    """Merge this run's per-source health into ``data_dir``'s eval_health.json; return how many sources it rated."""
    entries = source_health(results, items, report=str(report.resolve()))
    if entries:
        merge_eval_health(data_dir, entries)
    return len(entries)
