"""The ``local`` generator (llama.cpp, packaged SmolLM2-135M): time to first token and tokens per second.

Each question is retrieved for as the service would, then the backend's own token
stream is timed: time to first token is mostly reading the prompt (the passages),
tokens/s is generation after that. Tokens are counted with the model's tokenizer.
"""

from __future__ import annotations

import time
from typing import Any

from bench.stats import latency_summary
from ingest.library import Library


def bench_local_llm(library: Library, questions: list[str]) -> dict[str, Any]:
    """Stream a draft from the ``local`` backend for each question; return TTFT and generation speed.

    Returns:
        ``{"questions", "ttft": {p50_ms, p95_ms, ...}, "tokens_per_s": {"mean", "min", "max"}, "n_threads"}``,
        or ``{"skipped": reason}`` when llama-cpp-python or the model is not installed.
    """
    from assistant.generators import GenerationInput
    from assistant.generators.local import ChatGenerator
    from assistant.retrieval.retrieve import HybridRetriever
    from policychat.errors import PolicychatError

    settings = library.settings.replace(generator="local")
    try:
        from assistant.generators import create_generator

        generator = create_generator("local", settings)
    except PolicychatError as exc:
        return {"skipped": str(exc)}
    assert isinstance(generator, ChatGenerator)
    retriever = HybridRetriever(library, settings)
    first_token: list[float] = []
    speeds: list[float] = []
    for question in questions:
        passages = retriever.retrieve(question)
        data = GenerationInput(question, passages, retriever.snapshot().idf, library.embeddings)
        t0 = time.perf_counter()
        first: float | None = None
        text = ""
        for piece in generator.stream(data):
            if first is None and piece.strip():
                first = time.perf_counter()
            text += piece
        done = time.perf_counter()
        if first is None:
            continue
        first_token.append(first - t0)
        tokens = generator.model.get_num_tokens(text)
        if done > first and tokens > 1:
            speeds.append((tokens - 1) / (done - first))
    return {
        "questions": len(questions),
        "ttft": latency_summary(first_token),
        "tokens_per_s": {
            "mean": round(sum(speeds) / len(speeds), 1) if speeds else None,
            "min": round(min(speeds), 1) if speeds else None,
            "max": round(max(speeds), 1) if speeds else None,
        },
        "n_threads": getattr(generator.model, "n_threads", None),
    }
