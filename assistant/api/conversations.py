"""``/v1/conversations``: stored threads, asking inside one (JSON or SSE), feedback and export.

Conversations are user data: their writes need the API key when one is set,
exactly like source uploads and deletes; reads are open.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import Response, StreamingResponse

from assistant.api.answers import ERRORS as ANSWER_ERRORS
from assistant.api.deps import RuntimeDep, ServiceDep, SettingsDep, WriteAccess, check_question_length
from assistant.api.errors import error_responses
from assistant.api.limits import MAX_JSON_BODY_BYTES
from assistant.api.sse import SSE_DOC, encode_events, sse_response, started
from assistant.research import threads
from assistant.research.conversation_models import (
    Conversation,
    ConversationDeleted,
    ConversationPatch,
    ConversationSummary,
    Feedback,
    FeedbackIn,
    Message,
    MessageRequest,
    NewConversation,
)
from assistant.research.export import MEDIA_TYPES, ExportFormat, Turn, export, file_name, with_pages
from assistant.research.pages import citation_pages
from policychat.errors import PolicychatError

router = APIRouter(prefix="/conversations", tags=["conversations"])
READ_ERRORS = error_responses(404)
WRITE_ERRORS = error_responses(401, 404, 507)
BODY_ERRORS = error_responses(400, 401, 404, 413, 507)  # a JSON body can also be unparsable (400) or too large


@router.post("", response_model=ConversationSummary, status_code=status.HTTP_201_CREATED,
             dependencies=[WriteAccess], responses=error_responses(400, 401, 413, 507),
             max_body_size=MAX_JSON_BODY_BYTES)
def create_conversation(runtime: RuntimeDep, body: Annotated[NewConversation | None, Body()] = None,
                        ) -> ConversationSummary:
    """Start a conversation; without a title its first question names it."""
    return runtime.conversations().create(body.title if body else None)


@router.get("", response_model=list[ConversationSummary])
def list_conversations(runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                       offset: Annotated[int, Query(ge=0)] = 0) -> list[ConversationSummary]:
    """Conversations, most recently updated first (``limit``/``offset`` page through them)."""
    return runtime.conversations().recent(limit, offset)


@router.get("/{conversation_id}", response_model=Conversation, responses=READ_ERRORS)
def get_conversation(conversation_id: str, runtime: RuntimeDep) -> Conversation:
    """A conversation with every message and the library's current generation.

    A message whose ``answer.index_generation`` differs from ``library_generation``
    was answered from an older library; post its question again to re-ask.
    """
    conversation = runtime.conversations().get(conversation_id)
    try:
        conversation.library_generation = runtime.service().library.catalog.generation()
    except PolicychatError:
        conversation.library_generation = None  # the index is down: the thread is still readable
    return conversation


@router.patch("/{conversation_id}", response_model=ConversationSummary, dependencies=[WriteAccess],
              responses=BODY_ERRORS, max_body_size=MAX_JSON_BODY_BYTES)
def rename_conversation(conversation_id: str, body: ConversationPatch, runtime: RuntimeDep) -> ConversationSummary:
    """Rename a conversation."""
    return runtime.conversations().rename(conversation_id, body.title)


@router.delete("/{conversation_id}", response_model=ConversationDeleted, dependencies=[WriteAccess],
               responses=WRITE_ERRORS)
def delete_conversation(conversation_id: str, runtime: RuntimeDep) -> ConversationDeleted:
    """Delete a conversation with its messages and their feedback."""
    return ConversationDeleted(id=conversation_id, deleted_messages=runtime.conversations().delete(conversation_id))


@router.post("/{conversation_id}/messages", response_model=Message, status_code=status.HTTP_201_CREATED,
             dependencies=[WriteAccess], responses={**ANSWER_ERRORS, **BODY_ERRORS},
             max_body_size=MAX_JSON_BODY_BYTES)
def post_message(conversation_id: str, body: MessageRequest, runtime: RuntimeDep, service: ServiceDep,
                 settings: SettingsDep) -> Message:
    """Ask with the conversation's earlier turns as history; the answer is stored and returned."""
    check_question_length(body.question, settings)
    return threads.ask(service, runtime.conversations(), conversation_id, body)


@router.post("/{conversation_id}/messages/stream", dependencies=[WriteAccess],
             responses={**SSE_DOC, **ANSWER_ERRORS, **BODY_ERRORS}, max_body_size=MAX_JSON_BODY_BYTES)
async def post_message_stream(conversation_id: str, body: MessageRequest, runtime: RuntimeDep, service: ServiceDep,
                              settings: SettingsDep) -> StreamingResponse:
    """:func:`post_message` as Server-Sent Events, shaped like ``/v1/answer/stream``.

    ``sentence`` events, then ``answer`` (the Answer JSON), then ``message``
    {"conversation_id", "message_id", "position"} once it is stored, then ``done``.
    """
    check_question_length(body.question, settings)
    events = await started(threads.stream(service, runtime.conversations(), conversation_id, body))
    return sse_response(encode_events(events))


@router.post("/{conversation_id}/messages/{message_id}/feedback", response_model=Feedback,
             dependencies=[WriteAccess], responses=BODY_ERRORS, max_body_size=MAX_JSON_BODY_BYTES)
def post_feedback(conversation_id: str, message_id: str, body: FeedbackIn, runtime: RuntimeDep) -> Feedback:
    """Rate an answer (``up``/``down``) with an optional comment, correct answer and source ids.

    Posting again replaces the earlier feedback on that answer. ``policychat eval
    candidates`` turns negative feedback into draft gold items.
    """
    return runtime.conversations().set_feedback(conversation_id, message_id, body)


EXPORT_DOC: dict[int | str, dict[str, Any]] = {200: {"content": {t.split(";")[0]: {} for t in MEDIA_TYPES.values()},
                    "description": "The export as a file (Content-Disposition: attachment)."}}


@router.get("/{conversation_id}/export", responses={**EXPORT_DOC, **READ_ERRORS}, response_class=Response)
def export_conversation(
    conversation_id: str, runtime: RuntimeDep,
    format: Annotated[ExportFormat, Query(description="md (footnotes), bibtex or csljson (cited sources)")] = "md",
    message_id: Annotated[str | None, Query(description="Export only this answer.")] = None,
) -> Response:
    """The thread (or one answer) as Markdown with footnotes, or its cited sources as BibTeX / CSL-JSON."""
    store = runtime.conversations()
    conversation = store.get(conversation_id)
    messages = [store.message(conversation_id, message_id)] if message_id else conversation.messages
    turns = [Turn(m.question, m.answer) for m in messages]
    try:
        catalog = runtime.service().library.catalog
        kinds = {r.meta.id: r.meta.doc_type for r in catalog.records() if r.meta.doc_type}
        turns = with_pages(turns, citation_pages(catalog))
    except PolicychatError:
        kinds = {}  # the library is unavailable: export what the thread stored
    text = export(turns, format, conversation.title, kinds)
    name = file_name(conversation.title, format)
    return Response(text, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
