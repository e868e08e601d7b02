"""Request and answer types: the contract of ``policychat ask --json`` and ``POST /v1/answer``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from ingest.models import Chunk, SourceMeta

Country = Literal["US", "CN", "INTL", "OTHER"]


def no_nul(value: str) -> str:
    """Reject text holding NUL characters (they truncate C strings downstream: tokenizers, llama.cpp, SQLite)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (\\u0000)")
    return value


def not_blank(value: object) -> object:
    """Refuse text that is empty or only whitespace (a pydantic "before" validator of :data:`QuestionText`).

    Args:
        value: the raw input (anything not a string is left to the field's type check).

    Returns:
        ``value`` unchanged.

    Raises:
        PydanticCustomError: ``string_blank``, when ``value`` is a string with nothing but whitespace.
    """
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("string_blank", "must not be empty or only whitespace")
    return value


QuestionText = Annotated[str, BeforeValidator(not_blank), Field(min_length=1), AfterValidator(no_nul)]
"""A question or search query: some text other than whitespace, without NUL characters.

The one rule every edge applies (``/v1/answer``, conversations, chat completions, MCP tools), so a
blank question is refused where it arrives (a 422 naming the field) instead of retrieving passages
for nothing.
"""


class Filters(BaseModel):
    """Restrict retrieval to sources matching every given field."""

    model_config = ConfigDict(extra="forbid")

    country: list[Country] | None = None
    doc_type: list[str] | None = None
    source_ids: list[str] | None = None
    date_from: date | None = None
    date_to: date | None = None

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _dates_are_text(cls, value: object) -> object:
        """Dates come as "YYYY-MM-DD" text; a number is refused, not read as a Unix time."""
        if value is None or isinstance(value, str | date):
            return value
        raise ValueError("must be a date like 2024-01-31 (YYYY-MM-DD)")

    def is_empty(self) -> bool:
        """True when no field restricts anything."""
        return not any((self.country, self.doc_type, self.source_ids, self.date_from, self.date_to))


class ChatTurn(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=20000)

    _content_has_no_nul = field_validator("content")(no_nul)


class AnswerRequest(BaseModel):
    """A question with optional history, filters, size and backend."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionText
    history: list[ChatTurn] = Field(default_factory=list, max_length=50)
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=50)
    generator: str | None = None
    raw_draft: bool = Field(False, description="Keep unsupported draft sentences, marked [unsupported].")
    as_of: date | None = Field(
        None, description="Answer from the sources in force on this day (YYYY-MM-DD): issued by then and not "
        "revoked, rescinded or superseded by a document dated by then. A cited source revoked, amended or "
        "superseded later is noted after the answer, citing the later document; a cited source without a "
        "date is kept and its citations say status \"unknown\".",
    )
    style: str | None = Field(
        None, max_length=4000, description="How the answer should read (tone, length, format), e.g. from an OpenAI "
        "`system` message: given to an LLM as style only, never to retrieval or the verifier.",
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of_is_text(cls, value: object) -> object:
        """A day comes as "YYYY-MM-DD" text; a number is refused, not read as a Unix time."""
        if value is None or isinstance(value, str | date):
            return value
        raise ValueError("must be a date like 2024-06-01 (YYYY-MM-DD)")

    @field_validator("style")
    @classmethod
    def _style_has_no_nul(cls, value: str | None) -> str | None:
        return None if value is None else no_nul(value)


class Citation(BaseModel):
    """A numbered citation: the exact quote, its source and offsets in the source's stored text."""

    marker: int
    source_id: str
    title: str
    publisher: str
    country: str
    date: str
    url: str | None
    page: int | None
    chunk_id: str
    quote: str
    start: int
    end: int
    status: str | None = Field(
        None, description="The source's standing when it is not in force (revoked, rescinded, superseded); the "
        "answer then ends with a cited note saying which document says so. \"unknown\" in an answer as of a "
        "day for a source without a date.",
    )
    content_hash: str | None = Field(
        None, description="The cited source's content hash when the answer was written (`policychat verify` and "
        "`POST /v1/verify` compare it with the library's); None in answers stored before hashes were recorded.",
    )


class RetrievedPassage(BaseModel):
    """A passage the answer was drawn from, with its fused retrieval score."""

    chunk_id: str
    source_id: str
    score: float
    page: int | None
    text: str


class Timings(BaseModel):
    """Milliseconds spent per stage; for streamed LLM answers also the first token, first sentence and speed."""

    retrieve: float = 0.0
    generate: float = 0.0
    verify: float = 0.0
    total: float = 0.0
    first_token: float | None = Field(None, description="From the request to the model's first token (LLMs).")
    first_sentence: float | None = Field(None, description="From the request to the first released sentence.")
    tokens_per_s: float | None = Field(None, description="The model's generation speed after its first token.")


class DroppedSentence(BaseModel):
    """A sentence the model wrote that verification withheld, and why."""

    text: str
    reason: str


class TokenUsage(BaseModel):
    """Tokens the LLM read and wrote for an answer (from the endpoint, else counted or estimated)."""

    prompt_tokens: int
    completion_tokens: int


class AnswerPart(BaseModel):
    """One part of a question and how the answer treats it (a question asking two things has two parts)."""

    question: str = Field(description="The part's own words (with the question's subject when it only points at it).")
    kind: str = Field(description="What the part asks for: factoid, who, yesno, definition, list, summary, "
                      "comparison, status, why, procedure or describe.")
    confidence: float = Field(description="Calibrated probability that the part's best passage sentence answers it "
                              "(the observed rate on the dev split for sentences scored alike).")
    supported: bool = Field(description="Whether the library answers this part (confidence at or above the "
                            "threshold, or an answer from a document's card or relations).")
    text: str = Field("", description="This part's share of the answer text, with its [n] markers.")
    lead: str | None = Field(None, description="The short direct answer the part opens with, if any.")


class Answer(BaseModel):
    """An answer whose every sentence carries [n] markers, or an abstention."""

    answer: str
    abstained: bool
    citations: list[Citation]
    parts: list[AnswerPart] = Field(
        default_factory=list, description="Each part of the question: its kind, confidence and whether it is "
        "answered; the answer text is the parts' texts in order.",
    )
    retrieved: list[RetrievedPassage]
    generator: str
    timings_ms: Timings
    index_generation: int | None = Field(
        None, description="Catalog generation the passages were retrieved from (it moves on with every change "
        "to the library); every cited chunk belongs to that generation.",
    )
    model: str | None = Field(None, description="The LLM behind the generator (GGUF file or endpoint model).")
    prompt_version: str | None = Field(
        None, description="Version of the LLM prompt templates (assistant/generators/prompts.py)."
    )
    dropped: list[DroppedSentence] = Field(
        default_factory=list, description="LLM sentences withheld by verification, with the reason.",
    )
    usage: TokenUsage | None = Field(None, description="LLM tokens read and written, when an LLM was asked.")
    finish_reason: Literal["stop", "length"] = Field(
        "stop", description="length: the LLM's reply hit its token limit, so the answer may be incomplete.",
    )
    fallback_reason: str | None = Field(
        None, description="Why the LLM's answer was replaced by the extractive one (generator then says so).",
    )
    as_of: date | None = Field(None, description="The day the answer is as of (the request's ``as_of``).")


@dataclass
class Passage:
    """A retrieved chunk with its source metadata and scores (internal to the assistant)."""

    chunk: Chunk
    meta: SourceMeta
    score: float
    dense: float = 0.0
    keyword: float = 0.0

    @property
    def chunk_id(self) -> str:
        """The chunk's id."""
        return self.chunk.chunk_id


@dataclass
class DraftSentence:
    """A sentence of a draft answer; extractive drafts know the chunk span it came from.

    A *derived* sentence (a direct lead such as "January 15, 2025") is not the whole span
    it cites: every content word of it must occur in that span. ``prefix`` is a short
    template ("No:", "United States:") shown before it and never checked against the passage.
    """

    text: str
    chunk_id: str | None = None
    start: int | None = None
    end: int | None = None
    derived: bool = False
    prefix: str = ""
    break_after: bool = False
    """Start a new paragraph after this sentence (after a lead line)."""
    note: bool = False
    """A note about documents (names and dates from the catalog, e.g. "X is referred to as revoked in Y"),
    cited to the span that states it; its words need not be the span's own."""
    part: int = 0
    """Which part of the question the sentence answers (0 for a question in one part)."""


@dataclass
class DraftPart:
    """One part of a question as a draft treats it: its kind, confidence and verdict.

    ``not_stated`` is set when the library covers the part's topic but not its asked fact
    (the draft's sentences of that part then quote what the library does say).
    """

    question: str
    kind: str
    confidence: float
    supported: bool
    not_stated: str | None = None
    lead: str | None = None


@dataclass
class Draft:
    """What a generator returns: sentences and the backend's name.

    ``not_stated`` is set when the library covers the topic but not the asked fact: the
    answer then says so ("The library does not give a date for this.") and quotes what
    it does say; such an answer is an abstention on the fact.
    """

    sentences: list[DraftSentence] = field(default_factory=list)
    generator: str = ""
    not_stated: str | None = None
    kind: str = ""
    parts: list[DraftPart] = field(default_factory=list)
    """The question's parts (a draft that does not know them, such as an LLM's, has none)."""
