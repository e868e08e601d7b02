"""The chat-model plumbing every LLM user shares: the backends' :class:`ChatGenerator`, the endpoint client, its errors.

The ``local`` backend (llama.cpp in-process) and the ``openai`` backend (any
OpenAI-compatible endpoint) are a :class:`ChatGenerator` with a different chat
model. The prompt comes from :mod:`assistant.generators.prompts`; :meth:`ChatGenerator.reply`
streams the model's tokens for :mod:`assistant.generators.streaming`, which verifies each
sentence as it ends. Nothing the model writes is trusted before that.

The ``openai`` backend and the eval's LLM judge (:mod:`eval.judge`) build their
client with :func:`openai_chat_model` (endpoint, key, model, temperature, reply cap
and timeout from the settings) and explain a failed call with :func:`endpoint_error`
(timeout, unreachable, key or model refused, HTTP status: the
:class:`~policychat.errors.EndpointError` family); both backends cap the reply with
:func:`reply_token_cap`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from assistant.core.evidence import content_tokens, looks_like_instruction, strip_markers
from assistant.generators import GenerationInput
from assistant.generators.prompts import STOP_SEQUENCES, Prompt, TokenCounter, build_prompt, estimate_message_tokens
from assistant.models import Draft, DraftSentence
from ingest.sentences import split_sentences
from policychat.errors import (
    ConfigError,
    EndpointError,
    EndpointRefusedError,
    EndpointTimeoutError,
    EndpointUnreachableError,
    GeneratorError,
)
from policychat.settings import Settings

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

_PASSAGE_TAG = re.compile(r"</?\s*passage\b[^>]*>", re.I)


def answer_sentences(text: str) -> list[str]:
    """Split a model reply into sentences, dropping repeats and a trailing cut-off fragment.

    Small models loop ("The order ... The order ...") and echo the prompt's
    ``<passage>`` tags and any instruction planted in a passage, so tags are
    removed, and instruction-like sentences and sentences whose content words
    largely repeat an earlier one are dropped. Returns the kept sentences in
    order, whitespace-normalised.
    """
    text = _PASSAGE_TAG.sub(" ", text)
    spans = split_sentences(text)
    kept: list[str] = []
    seen: list[frozenset[str]] = []
    for index, (start, end) in enumerate(spans):
        sentence = " ".join(text[start:end].split())
        plain = strip_markers(sentence)
        if not plain:
            continue
        if index == len(spans) - 1 and kept and plain[-1] not in ".!?\"'”’)。！？":
            break  # a last fragment cut off by max_tokens
        if looks_like_instruction(plain):
            continue
        tokens = content_tokens(plain)
        if tokens and any(len(tokens & other) / len(tokens | other) > 0.8 for other in seen):
            continue
        seen.append(tokens)
        kept.append(sentence)
    return kept


@dataclass
class ReplyStream:
    """A model reply being streamed: its prompt, its pieces, and what the endpoint said when it ended.

    ``pieces`` raises :class:`GeneratorError` when the model call fails; after it is
    exhausted, ``finish_reason`` and the token counts are filled in.
    """

    prompt: Prompt
    model: str
    pieces: Iterator[str] = field(default_factory=lambda: iter(()))
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None

    def close(self) -> None:
        """Stop the model (the HTTP stream is closed, the local model's lock released)."""
        close = getattr(self.pieces, "close", None)
        if close is not None:
            close()


class ChatGenerator:
    """A generator that asks a LangChain chat model to answer from the passages."""

    def __init__(
        self,
        name: str,
        model: BaseChatModel,
        *,
        max_passages: int,
        max_words: int,
        context_tokens: int | None = None,
        reply_tokens: int = 0,
        count_tokens: TokenCounter | None = None,
        count_text_tokens: Callable[[str], int] | None = None,
        model_label: str = "",
    ) -> None:
        """Bind a chat model and how its prompt is fitted.

        Args:
            name: the backend name recorded on drafts.
            model: any LangChain chat model.
            max_passages: the best passages put in the prompt.
            max_words: per-passage word cap.
            context_tokens: when set, passages are dropped (then shortened) until the
                prompt plus ``reply_tokens`` fits in this many tokens.
            reply_tokens: tokens kept free for the reply.
            count_tokens: counts prompt tokens (default: an estimate, see :mod:`assistant.generators.prompts`).
            count_text_tokens: counts reply tokens with the model's tokenizer (default: one per streamed piece).
            model_label: the model's name in answers' metadata.
        """
        self.name = name
        self.model = model
        self.max_passages = max_passages
        self.max_words = max_words
        self.context_tokens = context_tokens
        self.reply_tokens = reply_tokens
        self.count_tokens = count_tokens or estimate_message_tokens
        self.count_text_tokens = count_text_tokens
        self.model_label = model_label or name

    def prompt(self, data: GenerationInput, style: str = "") -> Prompt:
        """The prompt for ``data``, its passages fitted to the model's context."""
        return build_prompt(
            data.question, data.passages, analysis=data.analysis, comparison=data.comparison,
            standings=data.standings, style=style, max_passages=self.max_passages, max_words=self.max_words,
            count_tokens=self.count_tokens, context_tokens=self.context_tokens, reply_tokens=self.reply_tokens,
        )

    def draft(self, data: GenerationInput) -> Draft:
        """Ask the model once and return its de-duplicated sentences (unverified) as a Draft."""
        prompt = self.prompt(data)
        try:
            reply = self.model.invoke(prompt.messages, stop=STOP_SEQUENCES).text
        except GeneratorError:
            raise
        except Exception as exc:
            raise self.failure(exc) from exc
        return Draft(sentences=[DraftSentence(text=s) for s in answer_sentences(reply)], generator=self.name)

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the model's reply as it is produced (token pieces, unverified)."""
        yield from self.reply(data).pieces

    def reply(self, data: GenerationInput, style: str = "") -> ReplyStream:
        """Start streaming the model's reply to ``data``'s prompt (nothing is sent until ``pieces`` is read).

        Args:
            data: the question and passages.
            style: the user's style instructions, added to the system message as style only.

        Raises:
            GeneratorError: the prompt cannot fit the context (the model call's own failures
                are raised by ``pieces``).
        """
        prompt = self.prompt(data, style)
        stream = ReplyStream(prompt=prompt, model=self.model_label)
        stream.pieces = self._pieces(stream)
        return stream

    def _pieces(self, stream: ReplyStream) -> Iterator[str]:
        text, count = "", 0
        try:
            for chunk in self.model.stream(stream.prompt.messages, stop=STOP_SEQUENCES):
                usage = getattr(chunk, "usage_metadata", None)
                if usage:
                    stream.prompt_tokens = usage.get("input_tokens") or stream.prompt_tokens
                    stream.completion_tokens = usage.get("output_tokens") or stream.completion_tokens
                finish = chunk.response_metadata.get("finish_reason")
                if finish:
                    stream.finish_reason = str(finish)
                piece = chunk.text
                if piece:
                    text, count = text + piece, count + 1
                    yield piece
        except GeneratorError:
            raise
        except Exception as exc:
            raise self.failure(exc) from exc
        if stream.completion_tokens is None:
            stream.completion_tokens = self.count_text_tokens(text) if self.count_text_tokens else count

    def failure(self, exc: Exception) -> GeneratorError:
        """The GeneratorError reported when the model call raised ``exc``."""
        return GeneratorError(f"The {self.name} model failed: {type(exc).__name__}: {exc}")


# The OpenAI-compatible endpoint: one client factory, one error mapping -----------------


def reply_token_cap(settings: Settings, context_tokens: int) -> int:
    """The most tokens a reply may take: ``POLICYCHAT_LLM_MAX_TOKENS``, at most half the model's context."""
    return min(settings.answer.llm_max_tokens, context_tokens // 2)


def openai_chat_model(
    settings: Settings,
    *,
    base_url: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    timeout: float | None = None,
    max_retries: int = 1,
    stream_usage: bool | None = None,
) -> ChatOpenAI:
    """A ``langchain_openai.ChatOpenAI`` for the endpoint of ``settings``; nothing is contacted yet.

    Every argument left out comes from the settings: ``POLICYCHAT_LLM_BASE_URL``,
    ``POLICYCHAT_LLM_TEMPERATURE``, ``POLICYCHAT_LLM_MAX_TOKENS``, ``POLICYCHAT_LLM_TIMEOUT_SECONDS``;
    the model is ``POLICYCHAT_LLM_MODEL`` and the key ``POLICYCHAT_LLM_API_KEY`` (a local
    server needs none).

    Args:
        settings: the endpoint's settings.
        base_url: the endpoint, when not the configured one.
        temperature: sampling temperature.
        max_tokens: the reply cap, sent as ``max_tokens`` in the request body.
        timeout: seconds to wait for the endpoint.
        max_retries: retries of a failed call by the OpenAI client.
        stream_usage: ask for token counts at the end of a stream (left to the client when None).

    Raises:
        ConfigError: no endpoint is configured.
    """
    from langchain_openai import ChatOpenAI

    url = base_url or settings.models.llm_base_url
    if not url:
        raise ConfigError("No OpenAI-compatible endpoint is configured: set POLICYCHAT_LLM_BASE_URL.")
    options: dict[str, Any] = {} if stream_usage is None else {"stream_usage": stream_usage}
    return ChatOpenAI(
        base_url=url,
        model=settings.models.llm_model,
        api_key=SecretStr(settings.models.llm_api_key or "not-needed"),
        temperature=settings.answer.llm_temperature if temperature is None else temperature,
        # ChatOpenAI would send the cap as `max_completion_tokens`, which llama-cpp-python's and
        # older llama.cpp/vLLM servers ignore (unbounded replies); every server reads `max_tokens`.
        extra_body={"max_tokens": settings.answer.llm_max_tokens if max_tokens is None else max_tokens},
        timeout=settings.models.llm_timeout_seconds if timeout is None else timeout,
        max_retries=max_retries,
        **options,
    )


def endpoint_error(exc: Exception, endpoint: str, *, model: str, timeout: float) -> EndpointError:
    """The policychat exception for a call to an OpenAI-compatible endpoint that raised ``exc``.

    Args:
        exc: what the OpenAI client raised.
        endpoint: the endpoint's URL as it may be shown.
        model: the model asked for.
        timeout: the client's timeout in seconds.

    Returns:
        :class:`EndpointTimeoutError` (no reply in time), :class:`EndpointUnreachableError`
        (nothing answers at the URL), :class:`EndpointRefusedError` (key refused, or no such
        model or chat API), or :class:`EndpointError` (any other HTTP status, with ``status``,
        or any other failure); the message says which setting to check.
    """
    import openai

    where = f"the OpenAI-compatible endpoint {endpoint}"
    if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError, its base class
        return EndpointTimeoutError(
            f"No answer from {where} within {timeout:g} s; is the server overloaded? "
            "(POLICYCHAT_LLM_TIMEOUT_SECONDS)",
            detail=f"no reply within {timeout:.0f}s",
        )
    if isinstance(exc, openai.APIConnectionError):
        return EndpointUnreachableError(
            f"Could not reach {where} ({exc}); start the server or fix POLICYCHAT_LLM_BASE_URL.",
            detail=f"{type(exc).__name__}: {exc}",
        )
    if isinstance(exc, openai.APIStatusError):
        status, detail = exc.status_code, f"HTTP {exc.status_code}: {exc.message}"
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return EndpointRefusedError(f"{where} refused the API key; set POLICYCHAT_LLM_API_KEY.",
                                        detail=detail, status=status)
        if isinstance(exc, openai.NotFoundError):
            return EndpointRefusedError(
                f"{where} has no model {model!r} or no chat API at that path; check "
                "POLICYCHAT_LLM_MODEL and that POLICYCHAT_LLM_BASE_URL ends in /v1.",
                detail=detail, status=status,
            )
        return EndpointError(f"{where} answered {detail}", detail=detail, status=status)
    return EndpointError(f"The request to {where} failed: {type(exc).__name__}: {exc}",
                         detail=f"{type(exc).__name__}: {exc}")
