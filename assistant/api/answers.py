"""``POST /v1/answer`` (JSON) and ``POST /v1/answer/stream`` (Server-Sent Events)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from assistant.api.deps import ServiceDep, SettingsDep, check_question_length
from assistant.api.errors import error_responses
from assistant.api.limits import MAX_JSON_BODY_BYTES
from assistant.api.sse import SSE_DOC, encode_events, sse_response, started
from assistant.models import Answer, AnswerRequest

router = APIRouter(tags=["answers"])


ERRORS = error_responses(400, 413, 503)


@router.post("/answer", response_model=Answer, responses=ERRORS, max_body_size=MAX_JSON_BODY_BYTES)
def answer(body: AnswerRequest, service: ServiceDep, settings: SettingsDep) -> Answer:
    """Answer a question with cited sentences, or abstain (runs in the threadpool, so requests overlap)."""
    check_question_length(body.question, settings)
    return service.answer(body)


@router.post("/answer/stream", responses={**SSE_DOC, **ERRORS}, max_body_size=MAX_JSON_BODY_BYTES)
async def answer_stream(body: AnswerRequest, service: ServiceDep, settings: SettingsDep) -> StreamingResponse:
    """Stream the answer as Server-Sent Events, as it is written.

    LLM backends send ``event: token`` {"text"} per piece of the model's reply (not
    yet verified); every backend sends ``event: sentence`` {"text", "markers",
    "citations", "verified"} the moment a sentence passes verification, and LLMs
    ``event: withheld`` {"reason", "unsupported"} when one does not, or ``event:
    reset`` {"reason"} before the extractive fallback replaces what was shown.
    Then ``event: answer`` (the full Answer JSON) and ``event: done``. A failure
    after the stream started arrives as ``event: error`` {"detail", "status"}.
    See :mod:`assistant.generators.streaming`.
    """
    check_question_length(body.question, settings)
    events = await started(service.stream(body))
    return sse_response(encode_events(events))

