"""Ingestion figures: pipeline vs raw encode throughput, parse cost per format, re-ingest, peak RSS."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.stats import peak_rss_mb, ratio
from bench.workload import make_settings
from ingest.embed import load_embeddings, resolve_model_path
from ingest.loaders import load_document
from ingest.pipeline import discover_files, ingest_paths
from ingest.publish import open_library

_FORMATS = {".pdf": "pdf", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}


def bench_ingestion(sources: Path, data_dir: Path) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """Ingest ``sources`` into the empty ``data_dir`` and measure it.

    Returns:
        The figures (a JSON-ready dict) and the raw-encoded vectors by chunk id,
        which the retrieval scale-up re-uses instead of embedding again.
    """
    settings = make_settings(data_dir, sources)
    t0 = time.perf_counter()
    load_embeddings(settings.models.embedding_model, settings.models.embedding_batch_size).embed_query("warm up")
    model_load_s = time.perf_counter() - t0

    library = open_library(settings)
    report = ingest_paths(library, [sources])
    pipeline_cps = report.chunks_per_second

    chunks = library.catalog.chunks()
    texts = [c.embed_text for c in chunks]
    raw_seconds, vectors = _raw_encode(texts)
    raw_cps = len(texts) / raw_seconds if raw_seconds else 0.0

    again = ingest_paths(open_library(settings), [sources])
    figures: dict[str, Any] = {
        "sources": len(report.ingested),
        "errors": [f"{e.path}: {e.reason}" for e in report.errors],
        "chunks": report.chunks_embedded,
        "pages": report.pages,
        "model_load_s": round(model_load_s, 2),
        "ingest_s": round(report.seconds, 2),
        "embed_s": round(report.embed_seconds, 2),
        "pipeline_chunks_per_s": round(pipeline_cps, 2),
        "raw_encode_s": round(raw_seconds, 2),
        "raw_encode_chunks_per_s": round(raw_cps, 2),
        "pipeline_vs_raw_ratio": ratio(pipeline_cps, raw_cps),
        "pipeline_vs_raw_target": 0.8,
        "reingest_unchanged_s": round(again.seconds, 3),
        "reingest_embedded_chunks": again.chunks_embedded,
        "reingest_target_s": 5.0,
        "reingest_ratio_to_target": ratio(again.seconds, 5.0),
        "parse_s_per_mb": parse_seconds_per_mb(sources),
        "peak_rss_mb": peak_rss_mb(),
    }
    return figures, {c.chunk_id: v for c, v in zip(chunks, vectors, strict=True)}


def _raw_encode(texts: list[str]) -> tuple[float, list[list[float]]]:
    """Encode ``texts`` with a bare SentenceTransformer (normalised, batch 64); return (seconds, vectors)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_model_path(None), device="cpu", local_files_only=True)
    model.encode(["warm up"], normalize_embeddings=True)
    t0 = time.perf_counter()
    array = model.encode(texts, normalize_embeddings=True, batch_size=64)
    return time.perf_counter() - t0, array.tolist()


def parse_seconds_per_mb(sources: Path) -> dict[str, dict[str, float | int | None]]:
    """Time ``load_document`` on every PDF, Markdown and text file under ``sources``.

    Returns:
        ``{format: {"files", "mb", "seconds", "s_per_mb"}}`` for the formats found.
    """
    files, _ = discover_files([sources])
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for path in files:
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            continue
        t0 = time.perf_counter()
        load_document(path)
        elapsed = time.perf_counter() - t0
        entry = totals[fmt]
        entry[0] += 1
        entry[1] += path.stat().st_size / 1_000_000
        entry[2] += elapsed
    return {
        fmt: {
            "files": int(n),
            "mb": round(mb, 3),
            "seconds": round(sec, 3),
            "s_per_mb": round(sec / mb, 3) if mb else None,
        }
        for fmt, (n, mb, sec) in sorted(totals.items())
    }
