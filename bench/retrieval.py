"""Retrieval latency (dense, BM25, hybrid) at 1x and at a synthetic scale-up of the library.

The scale-up is labelled synthetic: each source is stored again as ``<id>-copyN``
with the 1x chunks (BM25 text suffixed with ``copyN`` so documents differ slightly)
and the 1x vectors plus Gaussian noise (sigma 0.01 per dimension, re-normalised),
written straight into the stores instead of embedding 10x the corpus.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.retrieval.retrieve import HybridRetriever, Mode
from bench.stats import current_rss_mb, latency_summary, ratio
from bench.workload import make_settings
from ingest.embed import clear_query_cache
from ingest.library import Library
from ingest.models import Chunk, Source
from ingest.publish import open_library

MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")
HYBRID_P95_TARGET_MS = 100.0
NOISE_SIGMA = 0.01


def bench_retrieval(library: Library, questions: list[str]) -> dict[str, Any]:
    """Time ``HybridRetriever.retrieve`` per mode over ``questions`` on ``library``.

    Returns:
        ``{"chunks", "rss_mb", "<mode>": {"n", "p50_ms", "p95_ms", "mean_ms"}, "hybrid_p95_ratio_to_target"}``.
    """
    import torch

    # Timed as the server runs queries: one intra-op thread per request, no query-vector cache hits.
    torch.set_num_threads(library.settings.server.serve_torch_threads)
    retriever = HybridRetriever(library, library.settings)
    t0 = time.perf_counter()
    snap = retriever.snapshot()
    figures: dict[str, Any] = {"chunks": len(snap.chunks), "snapshot_load_s": round(time.perf_counter() - t0, 2)}
    durations: dict[str, list[float]] = {mode: [] for mode in MODES}
    for mode in MODES:
        retriever.retrieve(questions[0], mode=mode)  # warm caches and the query encoder
    # Modes take turns per question (rotating who goes first), so load from other jobs hits all alike.
    for i, question in enumerate(questions):
        for mode in MODES[i % 3 :] + MODES[: i % 3]:
            clear_query_cache()
            t0 = time.perf_counter()
            retriever.retrieve(question, mode=mode)
            durations[mode].append(time.perf_counter() - t0)
    for mode in MODES:
        figures[mode] = latency_summary(durations[mode])
    figures["hybrid_p95_target_ms"] = HYBRID_P95_TARGET_MS
    figures["hybrid_p95_ratio_to_target"] = ratio(figures["hybrid"]["p95_ms"], HYBRID_P95_TARGET_MS)
    figures["rss_mb"] = current_rss_mb()
    return figures


def build_scaled_library(base: Library, vectors: dict[str, list[float]], factor: int, data_dir: Path) -> Library:
    """Write ``factor`` noisy copies of every source of ``base`` into a new library at ``data_dir``.

    Args:
        base: the ingested 1x library (read only).
        vectors: its chunk vectors by chunk id (from the raw encode of the ingestion benchmark).
        factor: how many copies (10 = ten times the chunks).
        data_dir: an empty directory for the new library.

    Returns:
        The scaled library, its BM25 index synced.
    """
    rng = np.random.default_rng(0)
    scaled = open_library(make_settings(data_dir))
    records = base.catalog.records()
    with scaled.write_lock():
        for n in range(factor):
            batch: list[tuple[Source, str, list[Chunk]]] = []
            batch_vectors: list[list[float]] = []
            for record in records:
                source = base.catalog.source(record.meta.id)
                chunks = base.catalog.chunks(record.meta.id)
                new_id = f"{record.meta.id}-copy{n}"
                meta = dataclasses.replace(source.meta, id=new_id)
                copy = dataclasses.replace(source, meta=meta, content_hash=f"{source.content_hash}-copy{n}")
                new_chunks = [
                    dataclasses.replace(
                        c, chunk_id=f"{c.chunk_id}-copy{n}", source_id=new_id, embed_text=f"{c.embed_text} copy{n}"
                    )
                    for c in chunks
                ]
                base_vecs = np.asarray([vectors[c.chunk_id] for c in chunks], dtype=np.float32)
                noisy = base_vecs + rng.normal(0.0, NOISE_SIGMA, base_vecs.shape).astype(np.float32)
                noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
                batch.append((copy, f"{record.path}#copy{n}", new_chunks))
                batch_vectors.extend(noisy.tolist())
            scaled.put_sources(batch, batch_vectors)
        scaled.sync_keyword_index()
    return scaled


def bench_scaled(
    base: Library, vectors: dict[str, list[float]], factor: int, questions: list[str], data_dir: Path
) -> dict[str, Any]:
    """Build the ``factor``-times library (see :func:`build_scaled_library`) and time retrieval on it.

    Returns:
        The :func:`bench_retrieval` figures plus ``"build_s"`` and a ``"synthetic"`` note.
    """
    t0 = time.perf_counter()
    scaled = build_scaled_library(base, vectors, factor, data_dir)
    build_s = time.perf_counter() - t0
    figures = bench_retrieval(scaled, questions)
    figures["build_s"] = round(build_s, 1)
    figures["synthetic"] = (
        f"{factor} copies of each source as <id>-copyN; 1x vectors + N(0, {NOISE_SIGMA}) noise, re-normalised; "
        "BM25 text suffixed with copyN"
    )
    return figures
