"""What document cards cost at ingest: their share of a full ingest, and that an unchanged re-ingest builds none.

The pipeline's own calls are timed in place (building each card as the pipeline does it,
from the source's staged sentence vectors; the card store's writes, which the pipeline
makes inside the catalog transaction of the sources; and the library-wide relations
computed once per catalog generation), during a real full ingest and then an unchanged re-ingest of the same
sources. "Adds" is card time over the rest of the ingest (what the ingest would take
without cards); the issue's budget is at most 20 %.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ingest.library as library_module
import ingest.pipeline as pipeline_module
from bench.stats import ratio
from bench.workload import make_settings
from ingest.card_store import CardStore
from ingest.pipeline import ingest_paths
from ingest.publish import open_library

ADDED_TARGET = 0.20


class _Timer:
    """Exclusive seconds and calls per name: a timed call inside another is not counted twice."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._inner: list[float] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._inner.append(0.0)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t0
                nested = self._inner.pop()
                self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - nested
                self.calls[name] = self.calls.get(name, 0) + 1
                if self._inner:
                    self._inner[-1] += elapsed

        return timed


@contextmanager
def timed_cards(timer: _Timer) -> Iterator[None]:
    """Time card building (as the pipeline does it), card writes and relation finding, for the block's duration."""
    saved = (pipeline_module.build_staged_card, CardStore.put, CardStore.write, library_module.library_relations)
    pipeline_module.build_staged_card = timer.wrap("build_card", saved[0])  # type: ignore[assignment]
    CardStore.put = timer.wrap("store_cards", saved[1])  # type: ignore[method-assign]
    CardStore.write = staticmethod(timer.wrap("store_cards", saved[2]))  # type: ignore[method-assign]
    library_module.library_relations = timer.wrap("relations", saved[3])  # type: ignore[assignment]
    try:
        yield
    finally:
        pipeline_module.build_staged_card = saved[0]  # type: ignore[assignment]
        CardStore.put = saved[1]  # type: ignore[method-assign]
        CardStore.write = staticmethod(saved[2])  # type: ignore[method-assign]
        library_module.library_relations = saved[3]  # type: ignore[assignment]


def bench_cards(sources: Path, data_dir: Path) -> dict[str, Any]:
    """Ingest ``sources`` into the empty ``data_dir`` twice (full, then unchanged) and time the card work.

    Returns:
        JSON-ready figures: seconds per part, cards built, the share and the added fraction of a full ingest,
        and what the unchanged re-ingest built (it should be nothing).
    """
    settings = make_settings(data_dir, sources)
    full, again = _Timer(), _Timer()
    with timed_cards(full):
        report = ingest_paths(open_library(settings), [sources])
    with timed_cards(again):
        unchanged = ingest_paths(open_library(settings), [sources])
    card_s = sum(full.seconds.values())
    rest_s = max(report.seconds - card_s, 1e-9)
    library = open_library(settings)
    stored = sum(1 for r in library.catalog.records() if library.cards.get(r.meta.id, r.content_hash) is not None)
    return {
        "sources": len(report.ingested),
        "chunks": report.chunks_embedded,
        "ingest_s": round(report.seconds, 2),
        "embed_s": round(report.embed_seconds, 2),
        "build_card_s": round(full.seconds.get("build_card", 0.0), 3),
        "store_cards_s": round(full.seconds.get("store_cards", 0.0), 3),
        "relations_s": round(full.seconds.get("relations", 0.0), 3),
        "cards_total_s": round(card_s, 3),
        "cards_built": full.calls.get("build_card", 0),
        "cards_stored": stored,
        "share_of_ingest": round(card_s / report.seconds, 4) if report.seconds else None,
        "added_to_ingest": round(card_s / rest_s, 4),
        "added_target": ADDED_TARGET,
        "added_ratio_to_target": ratio(card_s / rest_s, ADDED_TARGET),
        "reingest_s": round(unchanged.seconds, 3),
        "reingest_unchanged_sources": len(unchanged.unchanged),
        "reingest_cards_built": again.calls.get("build_card", 0),
        "reingest_relations_computed": again.calls.get("relations", 0),
        "reingest_cards_s": round(sum(again.seconds.values()), 4),
    }


def card_rows(cards: dict[str, Any], fmt: Callable[..., str]) -> list[tuple[str, str, str, str, str]]:
    """Report rows of the cards section."""
    if not cards:
        return []
    return [
        ("cards", f"full ingest ({cards['sources']} sources, {cards['chunks']} chunks) / of which cards",
         f"{fmt(cards['ingest_s'], ' s')} / {fmt(cards['cards_total_s'], ' s')}", "", ""),
        ("cards", "build cards / store cards / find relations",
         f"{fmt(cards['build_card_s'], ' s')} / {fmt(cards['store_cards_s'], ' s')} / "
         f"{fmt(cards['relations_s'], ' s')}", "", ""),
        ("cards", "cards added to a full ingest (share of the ingest)",
         f"{fmt(cards['added_to_ingest'] * 100, ' %')} ({fmt(cards['share_of_ingest'] * 100, ' %')})", "≤ 20 %",
         fmt(cards["added_ratio_to_target"])),
        ("cards", "unchanged re-ingest: cards built / relations computed / seconds",
         f"{cards['reingest_cards_built']} / {cards['reingest_relations_computed']} / "
         f"{fmt(cards['reingest_s'], ' s')}", "0 / 0", ""),
    ]
