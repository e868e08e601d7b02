"""Asking inside a stored conversation: its turns become the history, the answer is stored.

The API's ``/v1/conversations/{id}/messages`` routes and the UI's thread list
both call these functions with the one :class:`~assistant.service.AnswerService`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assistant.models import Answer, AnswerRequest, ChatTurn
from assistant.research.conversation_models import Conversation, Message, MessageRequest
from assistant.research.conversations import ConversationStore
from assistant.service import AnswerService
from ingest.catalog import Catalog

HISTORY_TURNS = 10
"""Earlier question/answer pairs sent as history (20 chat turns; a request allows 50)."""
TURN_CHARS = 20_000


def answer_request(store: ConversationStore, conversation_id: str, body: MessageRequest,
                   before: int | None = None) -> AnswerRequest:
    """The request for ``body`` with the conversation's last :data:`HISTORY_TURNS` turns as history.

    ``before`` (a message position) takes the history as it was when that message was asked:
    how a question is asked again against the current library.

    Raises:
        ConversationNotFoundError: no such conversation.
    """
    history: list[ChatTurn] = []
    for question, answer in store.history(conversation_id, HISTORY_TURNS, before):
        history += [ChatTurn(role="user", content=question[:TURN_CHARS]),
                    ChatTurn(role="assistant", content=answer[:TURN_CHARS])]
    return AnswerRequest(question=body.question, history=history, filters=body.filters, top_k=body.top_k,
                         generator=body.generator, as_of=body.as_of)


def ask(service: AnswerService, store: ConversationStore, conversation_id: str, body: MessageRequest) -> Message:
    """Answer ``body`` in the conversation's context and store it (refusals too).

    Raises:
        ConversationNotFoundError: no such conversation (before anything is answered).
        PolicychatError: whatever answering raises (nothing is stored then).
    """
    answer = service.answer(answer_request(store, conversation_id, body))
    return store.add_message(conversation_id, body.question, answer, body.filters)


def stream(service: AnswerService, store: ConversationStore, conversation_id: str, body: MessageRequest,
           before: int | None = None) -> Iterator[dict[str, Any]]:
    """The service's stream events for ``body``, storing the answer when it arrives.

    After the ``answer`` event comes ``{"event": "message", "data": {"conversation_id", "message_id",
    "position"}}``. An unknown conversation raises here, before any event. ``before``: see
    :func:`answer_request`.

    Raises:
        ConversationNotFoundError: no such conversation.
    """
    request = answer_request(store, conversation_id, body, before)

    def events() -> Iterator[dict[str, Any]]:
        for event in service.stream(request):
            yield event
            if event.get("event") == "answer":
                message = store.add_message(conversation_id, body.question, Answer.model_validate(event["data"]),
                                            body.filters)
                yield {"event": "message", "data": {"conversation_id": conversation_id, "message_id": message.id,
                                                    "position": message.position}}

    return events()


@dataclass(frozen=True)
class Staleness:
    """How far a conversation's answers lag behind the library."""

    stale_messages: int
    oldest_generation: int | None
    current_generation: int
    missing_sources: list[str]
    moved_quotes: int
    latest_stale: bool

    @property
    def stale(self) -> bool:
        """True when the latest answer was read from an older library generation (re-asking it fixes that)."""
        return self.latest_stale


def _is_old(message: Message, current: int) -> bool:
    return message.answer.index_generation is not None and message.answer.index_generation != current


def staleness(conversation: Conversation, catalog: Catalog) -> Staleness:
    """Compare a conversation's answers with the library now: older generations, gone sources, moved quotes."""
    current = catalog.generation()
    old = [m for m in conversation.messages if _is_old(m, current)]
    known = set(catalog.hashes())
    cited = {c.source_id for m in old for c in m.answer.citations}
    missing = sorted(cited - known)
    texts = {source_id: catalog.source(source_id).text for source_id in cited & known}
    moved = sum(1 for m in old for c in m.answer.citations
                if c.source_id in texts and " ".join(texts[c.source_id][c.start:c.end].split())
                != " ".join(c.quote.split()))
    oldest = min((m.answer.index_generation for m in old if m.answer.index_generation is not None), default=None)
    latest = bool(conversation.messages) and _is_old(conversation.messages[-1], current)
    return Staleness(len(old), oldest, current, missing, moved, latest)
