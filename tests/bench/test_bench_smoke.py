"""Smoke test of the benchmark harness: ``python -m bench --size small`` writes complete, plausible results.

Benchmarks measure; they do not pass or fail on speed. So the ranges here are wide
sanity bounds (a latency is positive and its p95 is not below its p50; a ratio of
two rates is not ten; memory is more than the model and less than the machine),
which catch a unit mix-up, a timer that never started or a field filled with the
wrong figure, never a slow run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from numbers import Number
from pathlib import Path
from typing import Any

import pytest
from testsupport import child_env

REPO_ROOT = Path(__file__).resolve().parents[2]


def _is_number(value: object) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def _within(value: object, low: float, high: float, what: str) -> None:
    assert _is_number(value), f"{what} is not a number: {value!r}"
    assert low <= value <= high, f"{what} = {value} is outside the plausible range [{low}, {high}]"  # type: ignore[operator]


def _latencies(figures: dict[str, Any], what: str, max_ms: float = 600_000) -> None:
    """A ``{"n", "p50_ms", "p95_ms", ...}`` summary: measured at least once, positive, p50 <= p95, under ``max_ms``."""
    _within(figures["n"], 1, 1e6, f"{what} n")
    _within(figures["p50_ms"], 0.001, max_ms, f"{what} p50_ms")
    _within(figures["p95_ms"], figures["p50_ms"], max_ms, f"{what} p95_ms")


@pytest.mark.slow  # starts a server process and a subprocess
def test_bench_small_writes_every_section(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "small", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (json_path,) = tmp_path.glob("*.json")
    (md_path,) = tmp_path.glob("*.md")
    results = json.loads(json_path.read_text())
    assert md_path.read_text().count("\n|") > 10

    machine = results["machine"]
    _within(machine["nproc"], 1, 1024, "nproc")
    assert machine["cpu_model"] and machine["date_utc"]

    ingestion = results["ingestion"]
    _within(ingestion["chunks"], 1, 1e6, "ingested chunks")
    _within(ingestion["pipeline_chunks_per_s"], 0.01, 1e5, "pipeline chunks/s")
    _within(ingestion["raw_encode_chunks_per_s"], 0.01, 1e5, "raw encode chunks/s")
    # The pipeline embeds every chunk the raw encoder does and more: it cannot be many times faster.
    _within(ingestion["pipeline_vs_raw_ratio"], 0.01, 3.0, "pipeline/raw ratio")
    _within(ingestion["reingest_unchanged_s"], 0.0, 600, "re-ingest of an unchanged folder, s")
    _within(ingestion["peak_rss_mb"], 200, 64_000, "peak RSS, MB")  # torch and the model alone take hundreds
    assert ingestion["reingest_embedded_chunks"] == 0
    assert {"markdown", "text"} <= set(ingestion["parse_s_per_mb"])
    for kind, parsed in ingestion["parse_s_per_mb"].items():
        _within(parsed["files"], 1, 1e6, f"{kind} files")
        _within(parsed["s_per_mb"], 0.0, 3600, f"{kind} s/MB")

    assert set(results["retrieval"]) == {"1x", "10x"}
    for label, figures in results["retrieval"].items():
        for mode in ("dense", "bm25", "hybrid"):
            _latencies(figures[mode], f"retrieval {label} {mode}", max_ms=60_000)
        _within(figures["rss_mb"], 100, 64_000, f"retrieval {label} RSS, MB")
    assert results["retrieval"]["10x"]["chunks"] == 10 * results["retrieval"]["1x"]["chunks"] > 0

    answering = results["answering"]
    for level in ("clients_1", "clients_4", "clients_16"):
        _latencies(answering[level], f"answering {level}")
        _within(answering[level]["req_per_s"], 0.001, 1e4, f"answering {level} req/s")
        assert answering[level]["errors"] == 0, level
    assert answering["errors_total"] == 0

    cold = results["cold_start"]
    assert cold["ready"]
    _within(cold["seconds"], 0.1, 600, "cold start, s")
    _within(cold["first_answer_s"], cold["seconds"], 900, "first answer after start, s")  # ready comes first

    local = results["local_llm"]
    _latencies(local["ttft"], "local LLM time to first token")
    _within(local["tokens_per_s"]["mean"], 0.1, 5000, "local LLM tokens/s")

    langchain = results["langchain"]
    _within(langchain["ingest_s"], 0.01, 3600, "LangChain recipe ingest, s")
    _latencies(langchain["query"], "LangChain recipe query")
    _within(langchain["p95_ratio"], 0.001, 1000, "our p95 / LangChain p95")

    streamed = results["llm_stream"]
    for backend in ("llm", "extractive"):
        _within(streamed[backend]["answered"], 1, streamed[backend]["questions"], f"{backend} answered")
        _within(streamed[backend]["fallback_rate"], 0.0, 1.0, f"{backend} fallback rate")
        _latencies(streamed[backend]["first_released_sentence"], f"{backend} first released sentence")
    assert streamed["extractive"]["fallback_rate"] == 0
    _latencies(streamed["llm"]["first_token"], "LLM first token")
    _within(streamed["llm"]["tokens_per_s"], 0.1, 5000, "LLM tokens/s")
    sentences = streamed["llm"]["sentences"]
    assert sentences["written"] == sentences["released"] + sentences["withheld_unsupported"] + \
        sentences["withheld_other"]
    if streamed["llm"]["pass_share"] is not None:
        _within(streamed["llm"]["pass_share"], 0.0, 1.0, "LLM sentences released")


def test_profile_writes_latencies_and_the_call_tree(make_library: Callable[..., Any], tmp_path: Path) -> None:
    from ingest.pipeline import ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.md").write_text(
        "# Compute Registry Note\n\nOperators must register every cluster above ten megawatts within thirty days.\n",
        encoding="utf-8",
    )
    library = make_library(tmp_path / "data")
    assert not ingest_paths(library, [docs]).errors
    out = tmp_path / "results"

    def profile(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bench.profile", "--out", str(out), *args],
            cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=300, check=False,
        )

    done = profile("--data-dir", str(tmp_path / "data"), "--questions", "3")
    assert done.returncode == 0, done.stderr[-3000:]
    (report,) = out.glob("profile-*.txt")
    text = report.read_text(encoding="utf-8")
    assert "profiled pass" in text and "p95_ms" in text
    assert "AnswerService.answer" in text
    missing = profile("--data-dir", str(tmp_path / "empty"))
    assert missing.returncode == 2 and "policychat ingest" in missing.stderr


def test_bench_refuses_an_unknown_section(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--sections", "retrieval,warp-drive", "--out", str(tmp_path)],
        cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2 and "warp-drive" in proc.stderr
    assert not list(tmp_path.iterdir())
