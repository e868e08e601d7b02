"""``POST /v1/chat/completions``: the answer service behind the OpenAI chat API shape.

The last user message is the question and the user/assistant messages before it
the history; ``system`` (and ``developer``) messages become the answer's *style*
(tone, length, format for an LLM backend), never part of the question, the
retrieval or the verification. ``model`` picks the generator when it names one
(see ``GET /v1/models``), else the default is used. Replies carry policychat's
``citations`` beside the usual fields, ``usage`` (the LLM's own token counts when
an LLM answered) and ``finish_reason`` (``length`` when the LLM hit its token
limit). ``stream: true`` returns ``chat.completion.chunk`` events, one verified
sentence per chunk as the model writes, ending in ``[DONE]``; the last chunk
carries ``citations`` (and ``stream_options.include_usage`` adds a usage chunk).
"""

from __future__ import annotations

import time
import uuid
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.api.chat_stream import chat_chunks
from assistant.api.deps import ServiceDep, SettingsDep, check_question_length
from assistant.api.limits import MAX_JSON_BODY_BYTES
from assistant.api.openai_errors import openai_error_responses
from assistant.api.schemas import ChatChoice, ChatCompletion, ChatCompletionRequest, ChatMessageOut, Usage
from assistant.api.sse import SSE_DOC, sse_response, started
from assistant.generators import available_generators
from assistant.models import Answer, AnswerRequest, ChatTurn
from ingest.embed import load_token_counter
from policychat.settings import Settings

router = APIRouter(tags=["openai-compatible"])

MAX_HISTORY = 50
STYLE_CHARS = 4000
_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}


def to_answer_request(body: ChatCompletionRequest) -> AnswerRequest:
    """Map a chat request onto an :class:`AnswerRequest`.

    Args:
        body: the chat request; its last user message is the question.

    Returns:
        The answer request.

    Raises:
        RequestValidationError: 422 when there is no user message, or the last one is blank (reported at
            ``messages.N.content`` by the question's own rule), or a message holds a NUL character.
    """
    last_user = next((i for i in range(len(body.messages) - 1, -1, -1) if body.messages[i].role == "user"), None)
    if last_user is None:
        raise RequestValidationError([{
            "type": "missing", "loc": ("body", "messages"), "msg": "messages must contain a non-empty user message",
            "input": None,
        }])
    generator = body.model if body.model in available_generators() else None
    turns = [(i, m) for i, m in enumerate(body.messages[:last_user]) if _ROLES.get(m.role) in ("user", "assistant")
             and m.text().strip()]
    turns = turns[-MAX_HISTORY:]
    style = "\n".join(m.text().strip() for m in body.messages if _ROLES.get(m.role) == "system" and m.text().strip())
    try:
        history = [ChatTurn(role=_ROLES[m.role], content=m.text()[:20000]) for _i, m in turns]  # type: ignore[arg-type]
        return AnswerRequest(question=body.messages[last_user].text().strip(), history=history,
                             filters=body.filters, top_k=body.top_k, generator=generator, raw_draft=False,
                             style=style[:STYLE_CHARS] or None, as_of=body.as_of)
    except ValidationError as exc:  # a blank question, a NUL character: report it at its message
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
    """The LLM's token counts when an LLM was asked, else word pieces of the question and the answer."""
    if answer.usage is not None:
        prompt, completion = answer.usage.prompt_tokens, answer.usage.completion_tokens
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)
    count = load_token_counter(settings.models.embedding_model)
    prompt, completion = count(["\n".join([*(t.content for t in request.history), request.question]), answer.answer])
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={**SSE_DOC, **openai_error_responses(400, 413, 422, 503)}, max_body_size=MAX_JSON_BODY_BYTES)
async def chat_completions(
    body: ChatCompletionRequest, service: ServiceDep, settings: SettingsDep
) -> ChatCompletion | StreamingResponse:
    """Answer the last user message; ``stream: true`` yields OpenAI ``chat.completion.chunk`` events."""
    request = to_answer_request(body)
    check_question_length(request.question, settings)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        events = await started(service.stream(request))
        count_usage = partial(_usage, settings, request) if body.include_usage() else None
        return sse_response(chat_chunks(events, completion_id, created, request.generator or settings.answer.generator,
                                        count_usage))
    answer = await run_in_threadpool(service.answer, request)
    usage = await run_in_threadpool(_usage, settings, request, answer)
    return ChatCompletion(
        id=completion_id, created=created, model=answer.generator,
        choices=[ChatChoice(message=ChatMessageOut(content=answer.answer), finish_reason=answer.finish_reason)],
        usage=usage, citations=answer.citations,
    )


