"""``POST /v1/chat/completions``: the answer service behind the OpenAI chat API shape.

The last user message is the question and the messages before it the history;
``model`` picks the generator when it names a registered one, else the default
is used. Replies carry policychat's ``citations`` beside the usual fields, and
``stream: true`` returns ``chat.completion.chunk`` events ending in ``[DONE]``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import ServiceDep, SettingsDep, check_question_length
from assistant.api.errors import error_responses, status_for
from assistant.api.limits import MAX_JSON_BODY_BYTES
from assistant.api.schemas import ChatChoice, ChatCompletion, ChatCompletionRequest, ChatMessageOut, Usage
from assistant.api.sse import SSE_DOC, sse_event, sse_response, started
from assistant.errors import PolicychatError
from assistant.generators import available_generators
from assistant.models import Answer, AnswerRequest, ChatTurn
from assistant.settings import Settings
from ingest.embed import load_token_counter

router = APIRouter(tags=["openai-compatible"])

MAX_HISTORY = 50
_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}


def to_answer_request(body: ChatCompletionRequest) -> AnswerRequest:
    """Map a chat request onto an :class:`AnswerRequest`; 422 when there is no user message."""
    last_user = next((i for i in range(len(body.messages) - 1, -1, -1) if body.messages[i].role == "user"), None)
    if last_user is None or not body.messages[last_user].text().strip():
        raise RequestValidationError([{
            "type": "missing", "loc": ("body", "messages"), "msg": "messages must contain a non-empty user message",
            "input": None,
        }])
    generator = body.model if body.model in available_generators() else None
    turns = [(i, m) for i, m in enumerate(body.messages[:last_user]) if m.role in _ROLES and m.text().strip()]
    turns = turns[-MAX_HISTORY:]
    try:
        history = [ChatTurn(role=_ROLES[m.role], content=m.text()[:20000]) for _i, m in turns]  # type: ignore[arg-type]
        return AnswerRequest(question=body.messages[last_user].text().strip(), history=history,
                             filters=body.filters, top_k=body.top_k, generator=generator, raw_draft=False)
    except ValidationError as exc:  # e.g. a NUL character: report it at the message it came from
        errors = []
        for error in exc.errors():
            loc = error["loc"]
            if loc[:1] == ("question",):
                where: tuple[Any, ...] = ("body", "messages", last_user, "content")
            elif loc[:1] == ("history",) and len(loc) > 1 and isinstance(loc[1], int):
                where = ("body", "messages", turns[loc[1]][0], "content")
            else:
                where = ("body", "messages")
            errors.append({"type": error["type"], "loc": where, "msg": f"messages: {error['msg']}", "input": None})
        raise RequestValidationError(errors) from None


def _usage(settings: Settings, request: AnswerRequest, answer: Answer) -> Usage:
    count = load_token_counter(settings.embedding_model)
    prompt, completion = count(["\n".join([*(t.content for t in request.history), request.question]), answer.answer])
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={**SSE_DOC, **error_responses(400, 413, 503)}, max_body_size=MAX_JSON_BODY_BYTES)
async def chat_completions(
    body: ChatCompletionRequest, service: ServiceDep, settings: SettingsDep
) -> ChatCompletion | StreamingResponse:
    """Answer the last user message; ``stream: true`` yields OpenAI ``chat.completion.chunk`` events."""
    request = to_answer_request(body)
    check_question_length(request.question, settings)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        events = await started(service.stream(request))
        return sse_response(_chunks(events, completion_id, created, request.generator or settings.generator))
    answer = await run_in_threadpool(service.answer, request)
    usage = await run_in_threadpool(_usage, settings, request, answer)
    return ChatCompletion(
        id=completion_id, created=created, model=answer.generator,
        choices=[ChatChoice(message=ChatMessageOut(content=answer.answer))], usage=usage, citations=answer.citations,
    )


def _chunk(completion_id: str, created: int, model: str, delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> bytes:
    return sse_event(None, {
        "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra,
    })


def _chunks(events: Iterator[dict[str, Any]], completion_id: str, created: int, model: str) -> Iterator[bytes]:
    yield _chunk(completion_id, created, model, {"role": "assistant", "content": ""})
    citations: list[Any] = []
    first = True
    try:
        for item in events:
            if item.get("event") == "sentence":
                yield _chunk(completion_id, created, model, {"content": ("" if first else " ") + item["text"]})
                first = False
            elif item.get("event") == "answer":
                citations = item["data"].get("citations", [])
                model = item["data"].get("generator", model)
    except PolicychatError as exc:
        yield sse_event(None, {"error": {"message": str(exc), "code": status_for(exc)}})
    yield _chunk(completion_id, created, model, {}, "stop", citations=citations)
    yield sse_event(None, "[DONE]")
