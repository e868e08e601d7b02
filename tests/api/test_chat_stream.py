"""OpenAI chunks from the service's events: only verified sentences, a fallback after a reset, usage (no server)."""

from __future__ import annotations

import json
from typing import Any

from assistant.api.chat_stream import chat_chunks
from assistant.api.schemas import Usage
from assistant.models import Answer, Citation, Timings


def _citation(marker: int, quote: str) -> Citation:
    return Citation(marker=marker, source_id="s", title="T", publisher="P", country="US", date="2024-01-01", url=None,
                    page=None, chunk_id="s:0", quote=quote, start=0, end=len(quote))


def _decode(raw: list[bytes]) -> list[Any]:
    out = []
    for block in raw:
        data = block.decode().strip().removeprefix("data:").strip()
        out.append(data if data == "[DONE]" else json.loads(data))
    return out


def test_a_fallback_after_sent_sentences_follows_them_with_markers_numbered_on() -> None:
    fallback = Answer(answer="Lead [1]\n\nQuoted sentence. [1] Another. [2]", abstained=False,
                      citations=[_citation(1, "lead quote"), _citation(2, "other quote")], retrieved=[],
                      generator="extractive (fallback from openai)", timings_ms=Timings(), finish_reason="stop")
    events = [
        {"event": "token", "text": "Model words"},
        {"event": "sentence", "text": "Model claim. [1]", "citations": [_citation(1, "model quote").model_dump()]},
        {"event": "withheld", "reason": "not supported", "unsupported": True},
        {"event": "reset", "reason": "verification withheld 2 of 3"},
        {"event": "sentence", "text": "Lead [1]", "sep": "", "citations": [fallback.citations[0].model_dump()]},
        {"event": "sentence", "text": "Quoted sentence. [1]", "sep": "\n\n", "citations": []},
        {"event": "sentence", "text": "Another. [2]", "sep": " ", "citations": [fallback.citations[1].model_dump()]},
        {"event": "answer", "data": {}, "answer": fallback},
    ]
    usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15)
    chunks = _decode(list(chat_chunks(iter(events), "chatcmpl-1", 1, "openai", lambda _answer: usage)))
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[1:-2])
    assert content == "Model claim. [1]\n\nLead [2]\n\nQuoted sentence. [2] Another. [3]"
    final = chunks[-3]
    assert final["choices"][0]["finish_reason"] == "stop" and final["model"] == "extractive (fallback from openai)"
    assert [(c["marker"], c["quote"]) for c in final["citations"]] == [
        (1, "model quote"), (2, "lead quote"), (3, "other quote")]
    assert chunks[-2]["choices"] == [] and chunks[-2]["usage"]["total_tokens"] == 15
    assert chunks[-1] == "[DONE]"
