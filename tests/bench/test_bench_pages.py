"""The cited-page benchmark section on a small library holding one real PDF (numbers present, not their size)."""

from __future__ import annotations

from pathlib import Path

from researchsupport import research_library

from bench.pages import bench_pages
from bench.report import render_markdown
from ingest.library import Library


def test_pages_section_measures_renders(corpus_dir: Path, tmp_path: Path) -> None:
    library = Library(research_library(tmp_path))
    figures = bench_pages(library, n=6)
    assert figures["quotes"] == 6 and figures["sources"] == 1
    for key in ("highlighted", "plain", "locate", "cached"):
        assert figures[key]["n"] > 0 and figures[key]["p50_ms"] > 0 and figures[key]["p95_ms"] >= figures[key]["p50_ms"]
    assert sum(figures["outcomes"].values()) == 6 and figures["outcomes"].get("found", 0) >= 4
    machine = {"date_utc": "d", "nproc": 2, "cpu_model": "c", "ram_gib": 1, "python": "3.11", "load_avg_1m": 0}
    table = render_markdown({"size": "small", "machine": machine, "sources": "s", "pages": figures})
    assert "render + locate + highlight + PNG, p50 / p95 (6 quotes, 1 PDFs)" in table


def test_pages_section_skips_a_library_without_pdfs(tmp_path: Path) -> None:
    library = Library(research_library(tmp_path, with_pdf=False))
    assert bench_pages(library) == {"skipped": "no PDF sources with their files in this library"}
