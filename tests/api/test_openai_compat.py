"""POST /v1/chat/completions through the official ``openai`` client, plain and streaming."""

from __future__ import annotations

import httpx
from openai import OpenAI

from assistant.models import Citation

QUESTION = "What does Executive Order 14179 direct?"


def _client(url: str) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key="x", timeout=120, max_retries=0)


def test_completion_with_the_openai_client(corpus_url: str) -> None:
    completion = _client(corpus_url).chat.completions.create(
        model="extractive",
        messages=[{"role": "system", "content": "Answer from the library."}, {"role": "user", "content": QUESTION}],
    )
    assert completion.object == "chat.completion"
    assert completion.model == "extractive"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert "[1]" in (choice.message.content or "")
    assert completion.usage is not None and completion.usage.total_tokens > completion.usage.prompt_tokens > 0
    citations = [Citation.model_validate(c) for c in completion.model_extra["citations"]]  # type: ignore[index]
    assert any(c.source_id.startswith("us-eo-14179") for c in citations)


def test_streaming_with_the_openai_client(corpus_url: str) -> None:
    stream = _client(corpus_url).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTION}], stream=True,
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model == "extractive"  # an unknown model name falls back to the default generator
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "[1]" in text and not text.startswith("I could not find enough support"), text
    assert chunks[-1].model_extra and chunks[-1].model_extra["citations"]


def test_history_and_content_parts(corpus_url: str) -> None:
    response = httpx.post(f"{corpus_url}/v1/chat/completions", timeout=120, json={
        "messages": [
            {"role": "user", "content": "Tell me about Executive Order 14179."},
            {"role": "assistant", "content": "It is about removing barriers to AI leadership [1]."},
            {"role": "user", "content": [{"type": "text", "text": "What does it direct?"}]},
        ],
        "temperature": 0.2, "max_tokens": 100,
    })
    assert response.status_code == 200, response.text
    body = response.json()
    content = body["choices"][0]["message"]["content"]
    assert body["citations"] and "[1]" in content, content  # answered from the library, not refused
    assert any(c["source_id"].startswith("us-eo-14179") for c in body["citations"])


def test_request_without_user_message_is_422(corpus_url: str) -> None:
    response = httpx.post(f"{corpus_url}/v1/chat/completions", timeout=30,
                          json={"messages": [{"role": "system", "content": "hi"}]})
    assert response.status_code == 422
    long = httpx.post(f"{corpus_url}/v1/chat/completions", timeout=30,
                      json={"messages": [{"role": "user", "content": "x" * 5000}]})
    assert long.status_code == 422
