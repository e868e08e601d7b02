"""The cards benchmark section on the tiny documents: cards are timed in a real ingest, none on a re-ingest."""

from __future__ import annotations

from numbers import Number
from pathlib import Path

from testsupport import write_docs

import ingest.pipeline as pipeline_module
from bench.cards import bench_cards
from bench.report import render_markdown
from ingest.card_store import CardStore


def test_cards_section_times_a_full_ingest_and_an_unchanged_reingest(tmp_path: Path) -> None:
    original = (pipeline_module.build_staged_card, CardStore.put, CardStore.write)
    figures = bench_cards(write_docs(tmp_path / "docs"), tmp_path / "data")
    # the timing wrappers are gone
    assert (pipeline_module.build_staged_card, CardStore.put, CardStore.write) == original
    assert figures["sources"] == 2 and figures["cards_built"] == 2 and figures["cards_stored"] == 2
    for key in ("ingest_s", "build_card_s", "store_cards_s", "relations_s", "share_of_ingest", "added_to_ingest"):
        assert isinstance(figures[key], Number) and figures[key] >= 0, key
    assert 0 < figures["cards_total_s"] < figures["ingest_s"]
    assert figures["build_card_s"] > 0 and figures["relations_s"] > 0
    assert figures["reingest_unchanged_sources"] == 2
    assert figures["reingest_cards_built"] == 0 and figures["reingest_relations_computed"] == 0

    machine = {"date_utc": "d", "nproc": 2, "cpu_model": "c", "ram_gib": 1, "python": "3.11", "load_avg_1m": 0}
    table = render_markdown({"size": "small", "machine": machine, "sources": "s", "cards": figures})
    assert "| cards | cards added to a full ingest (share of the ingest) |" in table
    assert "| cards | unchanged re-ingest: cards built / relations computed / seconds | 0 / 0 / " in table
