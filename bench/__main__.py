"""``python -m bench [--size small|full] [--out DIR] [--sections A,B] [--library DIR]``: measure and write results."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from bench.workload import REPO_ROOT, build_workload, fresh_dir, make_settings
from policychat import settings as settings_module

SECTIONS = (
    "ingestion", "retrieval", "answering", "cold-start", "langchain", "local-llm", "pages", "cards", "llm-stream",
)


def run(size: str, out_dir: Path, sections: tuple[str, ...] = SECTIONS, library_dir: Path | None = None) -> (
    tuple[Path, Path] | None
):
    """Run the chosen sections for ``size`` and write ``<date>-<HHMM>.json`` / ``.md`` into ``out_dir``.

    Args:
        size: "small" (four tiny documents) or "full" (the shared corpus).
        out_dir: where the results go.
        sections: which benchmarks to run (default: all of :data:`SECTIONS`).
        library_dir: an already ingested library to measure instead of ingesting
            (then "ingestion" and the synthetic scale-ups are skipped).

    Returns:
        The two paths written, or None when the full corpus is absent (a message says so).
    """
    settings_module.quiet_network_clients()
    from bench.answering import bench_answering, bench_cold_start
    from bench.cards import bench_cards
    from bench.ingestion import bench_ingestion
    from bench.langchain_recipe import bench_langchain
    from bench.llm_stream import SMALL_ITEMS, bench_llm_stream, dev_sample
    from bench.local_llm import bench_local_llm
    from bench.machine import machine_info
    from bench.pages import bench_pages
    from bench.report import write_results
    from bench.retrieval import bench_retrieval, bench_scaled
    from bench.stats import ratio
    from ingest.publish import open_library

    started = time.perf_counter()
    results: dict[str, Any] = {"size": size, "machine": machine_info(), "notes": [], "sections": list(sections)}
    with fresh_dir("sources") as scratch, fresh_dir("data-1x") as data_1x:
        workload = build_workload(size, scratch)
        if workload is None:
            print("bench: the shared corpus (Settings().sources, ../shared/corpus) is absent; skipping --size full.")
            return None
        results["sources"] = str(workload.sources)
        vectors: dict[str, list[float]] | None = None
        if library_dir is not None:
            data_1x = library_dir
        elif "ingestion" in sections or "retrieval" in sections:
            _step("ingestion")
            results["ingestion"], vectors = bench_ingestion(workload.sources, data_1x)
        elif "cards" in sections:  # the cards section's full ingest is the library the other sections read
            _step("cards (a full ingest, then an unchanged re-ingest)")
            results["cards"] = bench_cards(workload.sources, data_1x)
        else:
            from ingest.pipeline import ingest_paths

            ingest_paths(open_library(make_settings(data_1x)), [workload.sources])
        library = open_library(make_settings(data_1x))

        if "retrieval" in sections:
            _step("retrieval 1x")
            results["retrieval"] = {"1x": bench_retrieval(library, workload.questions)}
            for factor in workload.scale_factors:
                if factor == 1 or vectors is None:
                    continue
                _step(f"retrieval {factor}x (synthetic)")
                with fresh_dir(f"data-{factor}x") as data_nx:
                    results["retrieval"][f"{factor}x"] = bench_scaled(
                        library, vectors, factor, workload.questions, data_nx
                    )
            results["notes"].append(
                "Scale-up is synthetic: copies of each source as <id>-copyN with the 1x vectors plus N(0, 0.01) "
                "noise (re-normalised) and BM25 text suffixed copyN. Retrieval runs with the server's torch thread "
                "count and an empty query-vector cache for every timed call."
            )
        if "answering" in sections:
            _step("answering")
            results["answering"] = bench_answering(library.settings, workload.questions, workload.answer_requests)
            results["notes"].append(
                "Answer load runs client threads and the uvicorn server in the same process (GIL shared); "
                "RSS figures are of the whole benchmark process."
            )
        if "cold-start" in sections:
            _step("cold start")
            results["cold_start"] = bench_cold_start(data_1x, runs=workload.cold_starts)
        if "langchain" in sections and "retrieval" in sections:
            _step("LangChain recipe")
            lc = bench_langchain(library, workload.questions)
            hybrid = results["retrieval"]["1x"]["hybrid"]
            ours_ingest = (results.get("ingestion") or {}).get("ingest_s")
            lc.update(
                ours_ingest_s=ours_ingest,
                ingest_ratio=ratio(ours_ingest, lc["ingest_s"]),
                ours_p50_ms=hybrid["p50_ms"],
                ours_p95_ms=hybrid["p95_ms"],
                p50_ratio=ratio(hybrid["p50_ms"], lc["query"]["p50_ms"]),
                p95_ratio=ratio(hybrid["p95_ms"], lc["query"]["p95_ms"]),
            )
            results["langchain"] = lc
        if "local-llm" in sections:
            _step("local generator")
            results["local_llm"] = bench_local_llm(library, workload.questions[: workload.llm_questions])
        if "pages" in sections:
            _step("cited PDF pages")
            results["pages"] = bench_pages(library)
        if "cards" in sections and "cards" not in results:
            _step("cards (a full ingest, then an unchanged re-ingest)")
            with fresh_dir("data-cards") as data_cards:
                results["cards"] = bench_cards(workload.sources, data_cards)
        if "llm-stream" in sections:
            _step("streamed answers: SmolLM2 through llama.cpp's server vs extractive")
            results["llm_stream"] = bench_llm_stream(library, SMALL_ITEMS if size == "small" else dev_sample())
    results["total_s"] = round(time.perf_counter() - started, 1)
    stem = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d-%H%M")  # several runs a day keep their own files
    paths = write_results(results, out_dir, stem)
    print(f"bench: wrote {paths[0]} and {paths[1]} in {results['total_s']} s")
    return paths


def _step(name: str) -> None:
    print(f"bench: {name} ...", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the benchmarks; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--library", type=Path, default=None, help="measure this ingested library (skips ingestion)")
    args = parser.parse_args(argv)
    sections = tuple(part.strip() for part in args.sections.split(",") if part.strip())
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    run(args.size, args.out, sections, args.library)
    return 0


if __name__ == "__main__":
    sys.exit(main())
