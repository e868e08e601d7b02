"""``python -m bench [--size small|full] [--out DIR]``: run every benchmark and write the results."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from assistant import settings as settings_module
from bench.workload import REPO_ROOT, build_workload, fresh_dir, make_settings


def run(size: str, out_dir: Path) -> tuple[Path, Path] | None:
    """Run all sections for ``size`` and write ``<date>-<HHMM>.json`` / ``.md`` into ``out_dir``.

    Returns:
        The two paths written, or None when the full corpus is absent (a message says so).
    """
    settings_module.quiet_network_clients()
    from bench.answering import bench_answering, bench_cold_start
    from bench.ingestion import bench_ingestion
    from bench.langchain_recipe import bench_langchain
    from bench.machine import machine_info
    from bench.report import write_results
    from bench.retrieval import bench_retrieval, bench_scaled
    from bench.stats import ratio
    from ingest.library import Library

    started = time.perf_counter()
    results: dict[str, Any] = {"size": size, "machine": machine_info(), "notes": []}
    with fresh_dir("sources") as scratch, fresh_dir("data-1x") as data_1x:
        workload = build_workload(size, scratch)
        if workload is None:
            print("bench: the shared corpus (Settings().sources, ../shared/corpus) is absent; skipping --size full.")
            return None
        results["sources"] = str(workload.sources)
        _step("ingestion")
        results["ingestion"], vectors = bench_ingestion(workload.sources, data_1x)
        library = Library(make_settings(data_1x))

        _step("retrieval 1x")
        results["retrieval"] = {"1x": bench_retrieval(library, workload.questions)}
        for factor in workload.scale_factors:
            if factor == 1:
                continue
            _step(f"retrieval {factor}x (synthetic)")
            with fresh_dir(f"data-{factor}x") as data_nx:
                results["retrieval"][f"{factor}x"] = bench_scaled(library, vectors, factor, workload.questions, data_nx)
        results["notes"].append(
            "Scale-up is synthetic: copies of each source as <id>-copyN with the 1x vectors plus N(0, 0.01) "
            "noise (re-normalised) and BM25 text suffixed copyN. Retrieval runs with the server's torch thread "
            "count and an empty query-vector cache for every timed call."
        )

        _step("answering")
        results["answering"] = bench_answering(library.settings, workload.questions, workload.answer_requests)
        _step("cold start")
        results["cold_start"] = bench_cold_start(data_1x)

        _step("LangChain recipe")
        lc = bench_langchain(library, workload.questions)
        hybrid = results["retrieval"]["1x"]["hybrid"]
        lc.update(
            ours_ingest_s=results["ingestion"]["ingest_s"],
            ingest_ratio=ratio(results["ingestion"]["ingest_s"], lc["ingest_s"]),
            ours_p50_ms=hybrid["p50_ms"],
            ours_p95_ms=hybrid["p95_ms"],
            p50_ratio=ratio(hybrid["p50_ms"], lc["query"]["p50_ms"]),
            p95_ratio=ratio(hybrid["p95_ms"], lc["query"]["p95_ms"]),
        )
        results["langchain"] = lc
    results["notes"].append(
        "Answer load runs client threads and the uvicorn server in the same process (GIL shared); "
        "RSS figures are of the whole benchmark process."
    )
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
    args = parser.parse_args(argv)
    run(args.size, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
