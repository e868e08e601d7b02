"""Typed conversations: threads of stored answers with their feedback (the API's bodies too)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.models import Answer, Filters, QuestionText, no_nul

Rating = Literal["up", "down"]
TITLE_CHARS = 200


def _title(value: str | None) -> str | None:
    """A title on one line without control characters; None stays None."""
    if value is None:
        return None
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    if not cleaned:
        raise ValueError("title must not be empty")
    return cleaned


class NewConversation(BaseModel):
    """``POST /v1/conversations``: an optional title (else the first question becomes it)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=TITLE_CHARS)

    _clean_title = field_validator("title")(_title)


class ConversationPatch(BaseModel):
    """``PATCH /v1/conversations/{id}``: a new title."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=TITLE_CHARS)

    _clean_title = field_validator("title")(_title)


class MessageRequest(BaseModel):
    """``POST /v1/conversations/{id}/messages``: a question; the history comes from the conversation."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionText
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=50)
    generator: str | None = None
    as_of: date | None = Field(None, description="Answer from the sources in force on this day (YYYY-MM-DD).")


class FeedbackIn(BaseModel):
    """A rating of one answer, with an optional comment, correct answer and the sources that hold it."""

    model_config = ConfigDict(extra="forbid")

    rating: Rating
    comment: str | None = Field(None, max_length=4000)
    correct_answer: str | None = Field(None, max_length=20000)
    source_ids: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("comment", "correct_answer")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return (no_nul(value).strip() or None) if value is not None else None

    @field_validator("source_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(no_nul(v).strip() for v in value if v.strip()))


class Feedback(FeedbackIn):
    """Feedback as stored with its answer (the latest one counts)."""

    created_at: datetime


class Message(BaseModel):
    """One turn of a conversation: the question and the full answer it got."""

    id: str
    conversation_id: str
    position: int = Field(description="0 for the first turn.")
    question: str
    filters: Filters | None = None
    answer: Answer = Field(description="As answered, with its citations and index_generation.")
    created_at: datetime
    feedback: Feedback | None = None


class ConversationSummary(BaseModel):
    """A conversation without its messages (for lists)."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int


class Conversation(ConversationSummary):
    """A conversation with every message, oldest first."""

    messages: list[Message]
    library_generation: int | None = Field(
        None, description="The library's generation now; a message whose answer.index_generation differs was "
        "answered from an older library (ask again to use the current one).",
    )


class ConversationDeleted(BaseModel):
    """What ``DELETE /v1/conversations/{id}`` removed."""

    id: str
    deleted_messages: int


class RatedMessage(BaseModel):
    """A message with feedback, with the turns before it (for turning feedback into gold items)."""

    message: Message
    conversation_title: str
    history: list[tuple[str, str]] = Field(description="(question, answer text) of the earlier turns, oldest first.")
