"""What every LLM backend shares: :class:`ChatGenerator` over a LangChain chat model, and the reply clean-up.

The ``local`` backend (llama.cpp in-process) and the ``openai`` backend (any
OpenAI-compatible endpoint) are a :class:`ChatGenerator` with a different chat
model. The prompt comes from :mod:`assistant.prompts`; :meth:`ChatGenerator.reply`
streams the model's tokens for :mod:`assistant.streaming`, which verifies each
sentence as it ends. Nothing the model writes is trusted before that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from assistant.evidence import content_tokens, looks_like_instruction, strip_markers
from assistant.generators import GenerationInput
from assistant.models import Draft, DraftSentence
from assistant.prompts import STOP_SEQUENCES, Prompt, TokenCounter, build_prompt, estimate_message_tokens
from ingest.sentences import split_sentences
from policychat.errors import GeneratorError

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
    seen: list[set[str]] = []
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
            count_tokens: counts prompt tokens (default: an estimate, see :mod:`assistant.prompts`).
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
