"""Request and response bodies that only the HTTP API has (answers use :mod:`assistant.models`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import Citation, Filters
from ingest.catalog import SourceRecord


class Problem(BaseModel):
    """An error: what went wrong and what to do about it."""

    detail: str


class SourceInfo(BaseModel):
    """A catalogued source: its metadata with chunk and page counts."""

    id: str
    title: str
    publisher: str
    country: str
    date: str
    doc_type: str
    original_url: str | None
    file: str
    language: str
    chunks: int
    pages: int
    status: str = Field("unknown", description="in force, revoked, rescinded, superseded, amended, draft or unknown: "
                        "the catalog's status column, else what other sources say (GET /v1/sources/{id}/card).")

    @classmethod
    def from_record(cls, record: SourceRecord, status: str = "unknown") -> SourceInfo:
        """Build from a catalog record and the source's standing."""
        meta = record.meta.to_dict()
        return cls(**{k: v for k, v in meta.items() if k in cls.model_fields and k != "status"},
                   chunks=record.n_chunks, pages=record.n_pages, status=status)


class SourceDetail(SourceInfo):
    """A source with its full stored text (citation offsets index into it)."""

    text: str


class FileProblemOut(BaseModel):
    """A file of an upload that was not ingested, and why."""

    file: str
    reason: str


class UploadResult(BaseModel):
    """The ingest report of an upload: source ids per outcome, failures, and chunks that repeated others."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    errors: list[FileProblemOut]
    duplicate_chunks: int = Field(0, description="Chunks equal to another chunk of their file (embedded once).")


class JobFile(BaseModel):
    """One file of an ingest job: where it is and, once it is final, how it went."""

    file: str = Field(description="The file name as the client sent it.")
    state: Literal["queued", "parsing", "embedding", "storing", "added", "updated", "unchanged", "failed",
                   "cancelled"]
    source_id: str | None
    pages: int = Field(description="Pages parsed (PDF).")
    chunks: int
    duplicate_chunks: int
    chunks_to_embed: int = Field(description="Distinct chunks, the ones that go through the model.")
    chunks_embedded: int
    seconds: float = Field(description="Processing time of this file so far (parse, chunk, its share of embedding).")
    reason: str | None = Field(description="Why the file was refused, failed or cancelled.")


class JobTimings(BaseModel):
    """Where a job's time went, in seconds."""

    queued: float
    running: float | None
    embedding: float | None


class JobInfo(BaseModel):
    """A background ingest job (``POST /v1/sources`` starts one; ``GET /v1/jobs/{id}`` follows it)."""

    id: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    files: list[JobFile]
    result: UploadResult | None = Field(description="The ingest report, once the job has run.")
    detail: str | None = Field(description="Why the job failed as a whole (e.g. disk full), naming the files.")
    timings: JobTimings


class Deleted(BaseModel):
    """What ``DELETE /v1/sources/{id}`` removed."""

    id: str
    removed_chunks: int


class Health(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    """Readiness: the index is loaded and the vector store answers."""

    status: Literal["ready"] = "ready"
    sources: int
    chunks: int
    vectors: int


# OpenAI-compatible chat completions -------------------------------------------------


class ChatMessageIn(BaseModel):
    """An OpenAI chat message; ``content`` is a string or a list of typed parts."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text (text parts joined; images and other parts ignored)."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") in ("text", "input_text"))


class ChatCompletionRequest(BaseModel):
    """An OpenAI ``chat.completions`` request; sampling options are accepted and ignored.

    ``filters``, ``top_k`` and ``as_of`` are policychat extensions (send them via ``extra_body``).
    """

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = Field(
        None, description='{"include_usage": true} adds a last chunk with `usage` (and empty `choices`).',
    )
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=50)
    as_of: date | None = Field(None, description="Answer from the sources in force on this day (YYYY-MM-DD).")

    def include_usage(self) -> bool:
        """Whether a streamed reply should end with a usage chunk."""
        return bool((self.stream_options or {}).get("include_usage"))


class ChatMessageOut(BaseModel):
    """The assistant's reply."""

    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    """The single choice of a completion."""

    index: int = 0
    message: ChatMessageOut
    finish_reason: Literal["stop", "length"] = "stop"


class Usage(BaseModel):
    """Token counts: the LLM's prompt and reply when an LLM answered, else word pieces of question and answer."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """An OpenAI ``chat.completion`` object plus policychat's ``citations``."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation]
