"""The chat UI while an LLM answer streams (Chromium; SmolLM2 behind llama.cpp's server).

A MutationObserver records every state of the answer as the browser shows it:
the model's tokens must appear (greyed, unverified) before the answer is done,
the finished answer ticks each verified sentence and names generator and model,
and a sentence verification withheld is never on screen at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from testsupport import LLM_EASY_QUESTION, LLM_HARD_QUESTIONS, ingest_llm_docs, llm_settings

from assistant.serving.server import background_server

pytestmark = pytest.mark.slow

RECORDER = """() => {
  window.__states = [];
  const chat = document.querySelector('#pc-chat');
  new MutationObserver(() => {
    const answers = chat.querySelectorAll('.pc-answer');
    const last = answers[answers.length - 1];
    if (last) { window.__states.push(last.outerHTML); }
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def llm_ui(tmp_path_factory: pytest.TempPathFactory, llama_server_url: str) -> Iterator[str]:
    root = tmp_path_factory.mktemp("ui-llm")
    settings = llm_settings(root / "data", llama_server_url)
    ingest_llm_docs(root, settings)
    with background_server(settings) as url:
        yield url


def _ask(page: Any, question: str, count: int) -> Any:
    """Ask in the open thread; return the ``count``-th finished answer (it has its footer)."""
    page.evaluate("() => { window.__states = []; }")
    page.locator("#pc-question textarea").fill(question)
    page.locator("#pc-ask").click()
    page.locator("#pc-chat .pc-answer .pc-timing").nth(count - 1).wait_for(timeout=180_000)
    return page.locator("#pc-chat .pc-answer").nth(count - 1)


def _text(html_or_text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html_or_text).replace("✓", " ").split())


def test_tokens_stream_verified_sentences_are_ticked_and_withheld_ones_vanish(page: Any, llm_ui: str,
                                                                              screenshot: Any) -> None:
    page.goto(llm_ui)
    page.locator("#pc-chat").wait_for()
    page.evaluate(RECORDER)

    answer = _ask(page, LLM_EASY_QUESTION, 1)
    states: list[str] = page.evaluate("() => window.__states")
    drafts = [i for i, s in enumerate(states) if "pc-draft" in s]
    final = next(i for i, s in enumerate(states) if "pc-timing" in s)
    assert drafts and drafts[0] < final, "no unverified tokens were shown while the model wrote"
    assert "machine-generated" in answer.inner_text()
    # The tick now says "answers the question": an LLM answer's verified sentences carry it only when every part
    # was judged answerable with high confidence, and its confidence is named either way.
    stored = _latest_answer(llm_ui)
    confident = all(p["supported"] and p["confidence"] >= 0.75 for p in stored["parts"])
    shown = answer.locator("p").first.inner_text()
    ticks = answer.locator(".pc-check")
    assert ticks.count() == shown.count("✓") == (shown.count("[1]") if confident else 0)
    assert answer.locator(".pc-confidence").count() == 1
    footer = answer.locator(".pc-timing").inner_text()
    assert "openai" in footer and "smollm2" in footer

    for n, question in enumerate(LLM_HARD_QUESTIONS, start=2):
        answer = _ask(page, question, n)
        stored = _latest_answer(llm_ui)
        shown = _text(" ".join(answer.locator("p").all_inner_texts()))
        assert shown == _text(stored["answer"])
        for dropped in stored["dropped"]:
            assert dropped["text"] not in shown
        if any(d["reason"] not in ("repeats an earlier sentence",) for d in stored["dropped"]):
            screenshot(page, "ui-llm-stream")
            break
    else:
        pytest.fail("SmolLM2 wrote no withheld sentence on any hard question")


def _latest_answer(url: str) -> dict[str, Any]:
    latest = httpx.get(f"{url}/v1/conversations", timeout=30).json()[0]
    conversation = httpx.get(f"{url}/v1/conversations/{latest['id']}", timeout=30).json()
    return conversation["messages"][-1]["answer"]
