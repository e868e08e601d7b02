"""Streamed answers, LLM vs extractive: time to the first released sentence, tokens/s, verification, fallback.

The LLM is the packaged SmolLM2-135M behind llama.cpp's OpenAI-compatible server
(``python -m llama_cpp.server``, started here on a loopback port, 1 thread, 2,048-token
context), asked through policychat's ``openai`` backend with greedy decoding. Each gold
dev question (a fixed, evenly spaced sample) is answered through
:meth:`AnswerService.stream` exactly as the API streams it, once per backend, and timed
from the request: the first model token, the first released (verified) sentence.

Per backend: how many sentences the model wrote were released by verification, withheld
as unsupported claims (what counts toward the fallback), or withheld otherwise (off topic,
fragments, repeats, cut off); how often the answer fell back to the extractive backend;
how often the gate abstained before any backend ran. For extractive the shares are of the
composed draft's sentences (``verify_draft`` on the same inputs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.stats import latency_summary
from bench.workload import GOLD

if TYPE_CHECKING:
    from ingest.library import Library

SAMPLE = 20
N_CTX = 2048
SMALL_ITEMS = [
    {"id": "small-1", "question": "What are the three pillars of America's AI Action Plan?"},
    {"id": "small-2", "question": "What does China's framework ask developers of generative AI services to do?"},
]
"""Questions on ``--size small``'s four tiny documents (the gold set is about the full corpus)."""


def dev_sample(n: int = SAMPLE) -> list[dict[str, Any]]:
    """``n`` evenly spaced items of the gold set's dev split (the same ones every run)."""
    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [item for item in items if item.get("split") == "dev"]
    step = max(1, len(dev) // n)
    return dev[::step][:n]


@contextmanager
def llama_server() -> Iterator[str | None]:
    """``python -m llama_cpp.server`` with the packaged SmolLM2 on a free loopback port; its /v1 URL (None: absent)."""
    import httpx

    from assistant.generators.local import packaged_model_path
    from policychat.errors import GeneratorError

    try:
        model = packaged_model_path()
        import llama_cpp.server  # noqa: F401
    except (GeneratorError, ImportError):
        yield None
        return
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = Path(tempfile.mkdtemp(prefix="policychat-bench-llama-")) / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(N_CTX), "--n_threads", "1",
             "--n_threads_batch", "1"], stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield url if process.poll() is None else None
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _request(item: dict[str, Any]) -> Any:
    from assistant.models import AnswerRequest, ChatTurn

    return AnswerRequest(question=item["question"], history=[ChatTurn(**turn) for turn in item.get("history", [])])


def _run(service: Any, items: list[dict[str, Any]], extractive: bool) -> dict[str, Any]:
    """Stream every item through ``service``; return the figures of one backend."""
    first_token, first_sentence, first_llm_sentence, speeds = [], [], [], []
    released = unsupported = other = fallbacks = abstained = answered = 0
    for item in items:
        request = _request(item)
        started, seen_token, seen_sentence, reset = time.perf_counter(), None, None, False
        counts = {"sentence": 0, "unsupported": 0, "other": 0}
        answer = None
        for event in service.stream(request):
            now, kind = time.perf_counter() - started, event["event"]
            if kind == "token" and seen_token is None:
                seen_token = now
            elif kind == "sentence" and event["verified"]:
                seen_sentence = now if seen_sentence is None else seen_sentence
                counts["sentence"] += not reset  # after a reset they are the fallback's
                if not extractive and not reset and counts["sentence"] == 1:
                    first_llm_sentence.append(now)
            elif kind == "withheld":
                counts["unsupported" if event["unsupported"] else "other"] += 1
            elif kind == "reset":
                reset = True
            elif kind == "answer":
                answer = event["answer"]
        assert answer is not None
        fell_back = answer.generator.startswith("extractive (fallback")
        if answer.abstained and not answer.citations and seen_token is None and not fell_back:
            abstained += 1  # the gate closed: no backend ran
            continue
        answered += 1
        fallbacks += fell_back
        if seen_token is not None:
            first_token.append(seen_token)
        if seen_sentence is not None:
            first_sentence.append(seen_sentence)
        if answer.timings_ms.tokens_per_s:
            speeds.append(answer.timings_ms.tokens_per_s)
        if extractive:
            kept, dropped = _extractive_draft(service, request)
            released, unsupported = released + kept, unsupported + dropped
        else:
            released += counts["sentence"]
            unsupported += counts["unsupported"]
            other += counts["other"]
    written = released + unsupported + other
    return {
        "questions": len(items), "answered": answered, "gate_abstained": abstained,
        "first_token": latency_summary(first_token), "first_released_sentence": latency_summary(first_sentence),
        "first_released_model_sentence": latency_summary(first_llm_sentence),
        "tokens_per_s": round(sum(speeds) / len(speeds), 1) if speeds else None,
        "sentences": {"written": written, "released": released, "withheld_unsupported": unsupported,
                      "withheld_other": other},
        "pass_share": round(released / written, 3) if written else None,
        "pass_share_of_claims": round(released / (released + unsupported), 3) if released + unsupported else None,
        "fallback_rate": round(fallbacks / answered, 3) if answered else None,
    }


def _extractive_draft(service: Any, request: Any) -> tuple[int, int]:
    """(kept, dropped) sentences of the extractive draft for ``request``, by the whole-draft verifier."""
    from assistant.core.turn import Turn
    from assistant.core.verify import verify_draft

    turn = service.prepare.invoke(Turn(request=request, generator="extractive"))
    data = service.generation_input(turn)
    if not service.admits(turn):
        return 0, 0
    draft = service.generator("extractive").draft(data)
    verified = verify_draft(draft, turn.passages, service.retriever.snapshot().idf, service.library.embeddings,
                            question=turn.query)
    return verified.kept, verified.dropped


def bench_llm_stream(library: Library, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stream ``items`` with the ``openai`` backend (SmolLM2 on llama.cpp's server) and with ``extractive``.

    Returns:
        ``{"model", "questions", "llm": {...}, "extractive": {...}}`` (see :func:`_run`), or
        ``{"skipped": reason}`` when llama-cpp-python's server or the model is not installed.
    """
    from assistant.service import AnswerService

    results: dict[str, Any] = {"questions": [item["id"] for item in items]}
    with llama_server() as url:
        if url is None:
            return {"skipped": "llama_cpp.server or the packaged SmolLM2 is not installed (policychat[local-llm])"}
        settings = library.settings.replace(
            generator="openai", llm_base_url=url, llm_model="smollm2", llm_temperature=0.0, llm_context_tokens=N_CTX)
        service = AnswerService(settings, library)
        results["model"] = "SmolLM2-135M-Instruct Q4_1 via llama_cpp.server (1 thread, n_ctx 2048, temperature 0)"
        results["llm"] = _run(service, items, extractive=False)
    extractive = AnswerService(library.settings.replace(generator="extractive"), library)
    results["extractive"] = _run(extractive, items, extractive=True)
    return results


def llm_stream_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Rows of the benchmark table for this section."""
    if not results:
        return []
    if results.get("skipped"):
        return [("streamed answers", "skipped", results["skipped"], "", "")]
    rows = []
    for label, key in (("SmolLM2 (openai backend)", "llm"), ("extractive", "extractive")):
        r = results[key]
        s = r["sentences"]
        rows += [
            (f"streamed: {label}", f"first released sentence p50 / p95 ({r['answered']} of {r['questions']} "
             "questions answered)", f"{r['first_released_sentence']['p50_ms']} / "
             f"{r['first_released_sentence']['p95_ms']} ms", "", ""),
            (f"streamed: {label}", "sentences released / written (unsupported, other withheld)",
             f"{s['released']} / {s['written']} = {r['pass_share']} ({s['withheld_unsupported']}, "
             f"{s['withheld_other']})", "", ""),
            (f"streamed: {label}", "fallback rate", str(r["fallback_rate"]), "", ""),
        ]
        if key == "llm":
            model = r["first_released_model_sentence"]
            rows[len(rows) - 3:len(rows) - 3] = [
                (f"streamed: {label}", "first token p50 / p95; tokens/s mean",
                 f"{r['first_token']['p50_ms']} / {r['first_token']['p95_ms']} ms; {r['tokens_per_s']}", "", ""),
                (f"streamed: {label}", f"first released sentence written by the model p50 / p95 ({model['n']} "
                 "answers)", f"{model['p50_ms']} / {model['p95_ms']} ms", "", ""),
            ]
    return rows
