"""Ready means warm: a burst of questions right after ``/readyz`` first says 200 is answered at full speed.

Before the warm-up answered questions, ``/readyz`` said ready while the answer core
still built its parts on first use (the cross-lingual dictionary alone about 7 s), and
each of 16 concurrent first questions built them again: 28 s per answer.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

BURST_P95_SECONDS = 5.0
"""Far below what anything still loading costs (the dictionary alone takes 7 s, per request before it was
locked). Issue 25's goal, p95 ≤ 2 s for this burst, is a speed figure: ``make bench`` measures it
(``cold-start``), since speed goals live there and not in timed tests."""

BURST = [
    "When did the Interim Measures for generative AI services take effect?",
    "Which agencies jointly issued the Interim Measures?",
    "What does Executive Order 14179 revoke?",
    "What compute threshold did Executive Order 14110 set for reporting?",
    "Who chairs the AI Safety and Security Board?",
    "What does the UN General Assembly resolution on AI encourage member states to do?",
    "What are the obligations of generative AI service providers on labelling content?",
    "When was the National Security Memorandum on AI issued?",
    "生成式人工智能服务提供者应当履行哪些义务？",
    "《生成式人工智能服务管理暂行办法》自什么时候起施行？",
    "哪些部门联合发布了生成式人工智能服务管理暂行办法？",
    "新一代人工智能发展规划提出了哪些战略目标？",
    "美国第14110号行政令要求什么？",
    "人工智能生成合成内容标识办法要求如何标识？",
    "联合国大会关于人工智能的决议鼓励会员国做什么？",
    "What does China's New Generation AI Development Plan aim for by 2030?",
]


def test_a_burst_right_after_ready_answers_at_full_speed(
    ingested: Any, serve_process: Callable[..., Any], tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(ingested.settings.store.data_dir, data_dir)  # a fresh process on its own copy: cold start
    server = serve_process(data_dir)
    url = server.start()  # returns as soon as /readyz first answers 200

    def ask(question: str) -> tuple[float, httpx.Response]:
        started = time.monotonic()
        response = httpx.post(f"{url}/v1/answer", json={"question": question}, timeout=120)
        return time.monotonic() - started, response

    with ThreadPoolExecutor(len(BURST)) as pool:
        results = list(pool.map(ask, BURST))

    for question, (_, response) in zip(BURST, results, strict=True):
        assert response.status_code == 200, (question, response.status_code, response.text[:300])
    cited = [q for q, (_, response) in zip(BURST, results, strict=True) if response.json()["citations"]]
    assert len(cited) >= 12, f"only {len(cited)} of {len(BURST)} answered with citations: a refusal is fast too"
    latencies = sorted(seconds for seconds, _ in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"burst of {len(BURST)} right after ready: p95 {p95:.2f} s, {[round(s, 2) for s in latencies]}")
    assert p95 <= BURST_P95_SECONDS, f"p95 {p95:.2f} s; latencies {[round(s, 2) for s in latencies]}"
    assert "Traceback" not in server.log_tail(20_000)
