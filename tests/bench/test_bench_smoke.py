"""Smoke test of the benchmark harness: ``python -m bench --size small`` writes complete results.

It checks that every section is present with numbers, never the numbers themselves
(benchmarks measure; they do not pass or fail on speed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from numbers import Number
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _is_number(value: object) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


@pytest.mark.slow  # starts a server process and a subprocess
def test_bench_small_writes_every_section(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHAT_")}
    env.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "small", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
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
    assert _is_number(machine["nproc"]) and machine["cpu_model"] and machine["date_utc"]

    ingestion = results["ingestion"]
    for key in ("pipeline_chunks_per_s", "raw_encode_chunks_per_s", "pipeline_vs_raw_ratio",
                "reingest_unchanged_s", "peak_rss_mb"):
        assert _is_number(ingestion[key]), key
    assert ingestion["chunks"] > 0 and ingestion["reingest_embedded_chunks"] == 0
    assert {"markdown", "text"} <= set(ingestion["parse_s_per_mb"])

    assert set(results["retrieval"]) == {"1x", "10x"}
    for label, figures in results["retrieval"].items():
        for mode in ("dense", "bm25", "hybrid"):
            assert _is_number(figures[mode]["p50_ms"]) and _is_number(figures[mode]["p95_ms"]), (label, mode)
        assert _is_number(figures["rss_mb"])
    assert results["retrieval"]["10x"]["chunks"] == 10 * results["retrieval"]["1x"]["chunks"]

    answering = results["answering"]
    for level in ("clients_1", "clients_4", "clients_16"):
        assert _is_number(answering[level]["p95_ms"]) and _is_number(answering[level]["req_per_s"]), level
    assert answering["errors_total"] == 0

    assert results["cold_start"]["ready"] and _is_number(results["cold_start"]["seconds"])
    assert _is_number(results["cold_start"]["first_answer_s"])

    local = results["local_llm"]
    assert _is_number(local["ttft"]["p50_ms"]) and _is_number(local["tokens_per_s"]["mean"]), local

    langchain = results["langchain"]
    assert _is_number(langchain["ingest_s"]) and _is_number(langchain["query"]["p95_ms"])
    assert _is_number(langchain["p95_ratio"])

    streamed = results["llm_stream"]
    assert streamed["llm"]["answered"] >= 1 and streamed["extractive"]["answered"] >= 1, streamed
    assert _is_number(streamed["llm"]["first_token"]["p50_ms"]) and _is_number(streamed["llm"]["tokens_per_s"])
    assert _is_number(streamed["llm"]["first_released_sentence"]["p50_ms"])
    assert _is_number(streamed["llm"]["fallback_rate"]) and streamed["extractive"]["fallback_rate"] == 0
    assert _is_number(streamed["extractive"]["first_released_sentence"]["p50_ms"])


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
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHAT_")}
        env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false")
        return subprocess.run(
            [sys.executable, "-m", "bench.profile", "--out", str(out), *args],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
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
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2 and "warp-drive" in proc.stderr
    assert not list(tmp_path.iterdir())
