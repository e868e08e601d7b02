"""The answer service's events as OpenAI ``chat.completion.chunk`` Server-Sent Events.

Only verified sentences become content (a chunk per sentence, released as the
model writes); unverified tokens and withheld sentences are never sent. The last
chunk carries ``finish_reason`` and ``citations``; with ``include_usage`` a usage
chunk (empty ``choices``) follows, then ``[DONE]``.

A ``reset`` (the LLM answer fell back to the extractive one after some of its
sentences were sent) cannot be taken back over this protocol: the fallback answer
follows in a new paragraph, its markers numbered after those already sent, and
``citations`` lists both parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from assistant.api.errors import status_for
from assistant.api.openai_errors import openai_error
from assistant.api.schemas import Usage
from assistant.api.sse import sse_event
from assistant.models import Answer
from policychat.errors import PolicychatError

_MARKER = re.compile(r"\[(\d+)\]")


def shift_markers(text: str, offset: int) -> str:
    """``text`` with every ``[n]`` renumbered ``[n + offset]``."""
    return _MARKER.sub(lambda m: f"[{int(m.group(1)) + offset}]", text) if offset else text


def _shifted(citations: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
    return [{**c, "marker": c["marker"] + offset} for c in citations]


class _Chunks:
    """Formats chunks of one completion."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self.completion_id, self.created, self.model = completion_id, created, model

    def chunk(self, delta: dict[str, Any], finish: str | None = None, choices: bool = True, **extra: Any) -> bytes:
        body: dict[str, Any] = {"id": self.completion_id, "object": "chat.completion.chunk", "created": self.created,
                                "model": self.model, "choices": [], **extra}
        if choices:
            body["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
        return sse_event(None, body)


def chat_chunks(events: Iterator[dict[str, Any]], completion_id: str, created: int, model: str,
                usage: Callable[[Answer], Usage] | None = None) -> Iterator[bytes]:
    """Encode the service's events (see :mod:`assistant.generators.streaming`) as OpenAI chunks.

    Args:
        events: the service's stream of one answer.
        completion_id: the ``chatcmpl-…`` id shared by every chunk.
        created: Unix time of the request.
        model: the model name until the answer names its generator.
        usage: computes ``usage`` for a final usage chunk (None: no usage chunk).
    """
    out = _Chunks(completion_id, created, model)
    yield out.chunk({"role": "assistant", "content": ""})
    sent: list[dict[str, Any]] = []  # citations of the content sent so far
    offset, started, carried = 0, False, 0
    answer: Answer | None = None
    try:
        for item in events:
            kind = item.get("event")
            if kind == "sentence":
                separator = item.get("sep", " ") if started else ""
                yield out.chunk({"content": separator + shift_markers(item["text"], offset)})
                sent += _shifted(item.get("citations", []), offset)
                started = True
            elif kind == "reset" and started:
                offset = carried = max((c["marker"] for c in sent), default=0)
                yield out.chunk({"content": "\n\n"})
                started = False
            elif kind == "answer":
                answer = item["answer"]
    except PolicychatError as exc:
        yield sse_event(None, openai_error(status_for(exc), str(exc)))
    citations: list[dict[str, Any]] = []
    finish = "stop"
    if answer is not None:
        out.model = answer.generator
        finish = answer.finish_reason
        earlier = [c for c in sent if c["marker"] <= carried]
        citations = earlier + _shifted([c.model_dump(mode="json") for c in answer.citations], offset)
    yield out.chunk({}, finish, citations=citations)
    if usage is not None and answer is not None:
        yield out.chunk({}, choices=False, usage=usage(answer).model_dump())
    yield sse_event(None, "[DONE]")
