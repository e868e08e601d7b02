"""The streaming generate + verify stage: the model's tokens flow out, each sentence is verified as it ends.

:meth:`AnswerService.stream` runs analyze → retrieve → select (the service's
``prepare`` chain) as for any answer, then this stage when the selection supports
an answer. Events, in order:

==========  =================================================  =============================================
event       payload                                            meaning
==========  =================================================  =============================================
token       ``text``                                           a piece of the model's reply, NOT verified
                                                               (LLM backends only; show it as pending)
sentence    ``text`` (ends in ``[n]``), ``sep`` (the           a verified sentence, released at once
            whitespace before it), ``markers``, ``citations``  (``verified`` false: a refusal or a note
            (first used here), ``verified``, ``pending``       of ours, with no marker)
withheld    ``reason``, ``unsupported``, ``pending``           the sentence just ended was not released
                                                               (``unsupported``: a claim no passage supports)
reset       ``reason``                                         discard everything shown: the extractive
                                                               fallback answer follows
answer      ``data``: the :class:`~assistant.models.Answer`    citations, retrieved passages, abstained,
                                                               ``dropped`` (text + reason), timings, model
==========  =================================================  =============================================

``pending`` is the text of the sentence now being written (what is left of the
tokens shown so far). Extractive answers send ``sentence`` events only, lead line
first, then ``answer``.

Fallback (``POLICYCHAT_LLM_FALLBACK``, on by default): the answer is the extractive
backend's, with ``generator: "extractive (fallback from <llm>)"`` and
``fallback_reason``, when the endpoint fails or times out, when the prompt cannot
fit, when no sentence survives, or when verification withholds most sentences
(more unsupported claims than released sentences; the model is stopped early once
it is two behind). Off-topic sentences, fragments, repeats and a tail cut off by
the token limit are withheld without counting against the model; once the answer
has a sentence and the model writes three withheld ones in a row, it has wandered
off and is stopped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from assistant.core.assemble import missing_side_note, on_quote_pages, retrieved_passages, selection_parts
from assistant.core.status_notes import add_status_notes
from assistant.core.turn import Turn
from assistant.core.verify import UNSUPPORTED_TAG, answer_sentences
from assistant.generators import GenerationInput, Generator
from assistant.generators.chat import ChatGenerator, ReplyStream
from assistant.generators.stream_verify import Outcome, SentenceChecker, SentenceSplitter
from assistant.models import Answer, DroppedSentence, TokenUsage
from policychat.errors import GeneratorError

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable

    from assistant.models import AnswerRequest
    from assistant.retrieval.knowledge import LibraryKnowledge
    from assistant.retrieval.retrieve import HybridRetriever
    from ingest.library import Library
    from policychat.settings import Settings

EARLY_STOP_MARGIN = 2
"""The model is stopped (and the answer falls back) once it has this many more unsupported than released sentences."""
WANDERED_OFF = 3
"""After a released sentence, this many withheld sentences in a row end the reply."""
_MARKER = re.compile(r"\[(\d+)\]")
Event = dict[str, Any]


class StreamingService(Protocol):
    """What a stream needs of the answer service (:class:`assistant.service.AnswerService` is one)."""

    settings: Settings
    library: Library
    retriever: HybridRetriever
    knowledge: LibraryKnowledge
    prepare: Runnable[Turn, Turn]
    finish: Runnable[Turn, Turn]

    def generator(self, name: str | None) -> Generator:
        """The backend called ``name`` (the default one for None)."""
        ...

    def generation_input(self, turn: Turn) -> GenerationInput:
        """The generator's input for a retrieved turn."""
        ...

    def admits(self, turn: Turn) -> bool:
        """Whether the selection supports drafting an answer at all."""
        ...

    def verify(self, turn: Turn) -> Turn:
        """Verify the turn's draft into its answer (or the refusal)."""
        ...


def streams_tokens(generator: Generator) -> bool:
    """Whether a backend streams model tokens (LLMs), so its sentences are verified as they end."""
    return isinstance(generator, ChatGenerator)


def final_answer(events: Iterator[Event]) -> Answer:
    """Run a stream of events to its end and return the answer it carried."""
    answer: Answer | None = None
    for event in events:
        if event.get("event") == "answer":
            answer = event["answer"]
    if answer is None:
        raise GeneratorError("The answer stream ended without an answer; ask again.")
    return answer


def answer_events(service: StreamingService, request: AnswerRequest) -> Iterator[Event]:
    """The events of one answer (see the module docstring); nothing runs until the first is asked for."""
    name = request.generator or service.settings.answer.generator
    generator = service.generator(name)  # an unknown backend fails before the first event
    turn = service.prepare.invoke(Turn(request=request, generator=name))
    if streams_tokens(generator):
        assert isinstance(generator, ChatGenerator)
        if service.admits(turn):
            yield from LiveAnswer(service, turn, generator, service.generation_input(turn)).run()
            return
    turn = service.finish.invoke(turn)  # extractive, or a refusal (no part is supported)
    assert turn.answer is not None
    yield from release(turn.answer, turn.started)


def release(answer: Answer, started: float) -> Iterator[Event]:
    """A finished answer as events: one ``sentence`` per sentence (lead first), then ``answer``."""
    if answer.timings_ms.first_sentence is None:
        answer.timings_ms.first_sentence = round((time.perf_counter() - started) * 1000, 1)
    shown: set[int] = set()
    end = 0
    for sentence in answer_sentences(answer.answer):
        start = answer.answer.find(sentence, end)
        separator = answer.answer[end:start] if start >= 0 else " "
        end = max(end, start + len(sentence))
        markers = [int(m) for m in _MARKER.findall(sentence)]
        new = [c.model_dump(mode="json") for c in answer.citations if c.marker in markers and c.marker not in shown]
        shown.update(markers)
        yield {"event": "sentence", "text": sentence, "sep": separator, "markers": markers, "citations": new,
               "verified": bool(markers), "pending": ""}
    yield answer_event(answer)


def answer_event(answer: Answer) -> Event:
    """The final event: the answer as JSON (``data``) and as the object (``answer``, for in-process callers)."""
    return {"event": "answer", "data": answer.model_dump(mode="json"), "answer": answer}


class LiveAnswer:
    """One LLM answer being streamed: tokens out, sentences verified, fallback when the model fails."""

    def __init__(self, service: StreamingService, turn: Turn, generator: ChatGenerator, data: GenerationInput) -> None:
        """Bind the prepared turn and the backend."""
        self.service, self.turn, self.generator, self.data = service, turn, generator, data
        self.released: list[str] = []
        self.parts: list[str] = []
        self.dropped: list[DroppedSentence] = []
        self.withheld = 0
        self.in_a_row = 0
        self.shown = False
        self.first_token: float | None = None
        self.last_token: float | None = None
        self.first_sentence: float | None = None
        self.reply: ReplyStream | None = None
        self.checker = SentenceChecker(turn.passages, [], service.retriever.snapshot().idf,
                                       service.library.embeddings, turn.query)

    def run(self) -> Iterator[Event]:
        """Stream the model's reply, verifying sentence by sentence; end with the answer (or the fallback)."""
        started, failure, endpoint_failed = time.perf_counter(), None, False
        splitter = SentenceSplitter()
        try:
            self.reply = self.generator.reply(self.data, self.turn.request.style or "")
            self.checker.prompt_passages = self.reply.prompt.passages
            for piece in self.reply.pieces:
                self.last_token = time.perf_counter()
                self.first_token = self.first_token or self.last_token
                self.shown = True
                yield {"event": "token", "text": piece}
                for raw in splitter.feed(piece):
                    yield self._settle(raw, splitter.text)
                if self.withheld >= len(self.released) + EARLY_STOP_MARGIN:
                    failure = f"verification withheld {self.withheld} of the model's first sentences"
                    break
                if self.released and self.in_a_row >= WANDERED_OFF:
                    break
            else:
                rest = splitter.finish()
                for i, raw in enumerate(rest):
                    cut = self.reply.finish_reason == "length" and i == len(rest) - 1
                    yield self._settle(raw, "", cut_off=cut)
        except GeneratorError as exc:
            failure, endpoint_failed = str(exc), True
        finally:
            if self.reply is not None:
                self.reply.close()
            self.checker.close()
        generate_s = time.perf_counter() - started - self.checker.seconds
        failure = failure or self._lost()
        if failure and not self.turn.request.raw_draft:
            if self.service.settings.answer.llm_fallback:
                yield from self._fall_back(failure)
                return
            if endpoint_failed:
                raise GeneratorError(failure)
        answer = self._answer(generate_s)
        shown = " ".join(self.released)
        tail = answer.answer[len(shown):] if answer.answer.startswith(shown) else ""
        if tail.strip():  # a refusal, the note that one side of a comparison is missing, status notes
            markers = [int(m) for m in _MARKER.findall(tail)]
            earlier = {c.marker for c in self.checker.citations}
            new = [c.model_dump(mode="json") for c in answer.citations
                   if c.marker in markers and c.marker not in earlier]
            yield {"event": "sentence", "text": tail.strip(), "sep": tail[: len(tail) - len(tail.lstrip())],
                   "markers": markers, "citations": new, "verified": bool(markers), "pending": ""}
        yield answer_event(answer)

    def _settle(self, raw: str, pending: str, cut_off: bool = False) -> Event:
        outcome: Outcome = self.checker.check(raw, cut_off)
        self.in_a_row = 0 if outcome.released is not None else self.in_a_row + 1
        if outcome.released is not None:
            self.first_sentence = self.first_sentence or time.perf_counter()
            self.released.append(outcome.released)
            self.parts.append(outcome.released)
            return {"event": "sentence", "text": outcome.released, "sep": " ", "markers": outcome.markers,
                    "citations": [c.model_dump(mode="json") for c in outcome.new_citations], "verified": True,
                    "pending": pending}
        reason = outcome.reason or "no content words"
        if outcome.reason is not None:
            self.dropped.append(DroppedSentence(text=outcome.text, reason=reason))
            self.parts.append(f"{outcome.text} {UNSUPPORTED_TAG}")
            self.withheld += outcome.counts
        return {"event": "withheld", "reason": reason, "unsupported": outcome.counts, "pending": pending}

    def _lost(self) -> str | None:
        """Why the verified part is not an answer worth keeping (None: keep it)."""
        if not self.released:
            return ("the model's reply was empty" if not self.dropped
                    else "no sentence of the model's reply was supported by the passages")
        if self.withheld > len(self.released):
            total = self.withheld + len(self.released)
            return f"verification withheld {self.withheld} of the model's {total} sentences"
        return None

    def _llm_metadata(self) -> dict[str, Any]:
        reply, timings = self.reply, self.turn.timings
        if self.first_token is not None:
            timings.first_token = round((self.first_token - self.turn.started) * 1000, 1)
        tokens = reply.completion_tokens if reply else None
        if tokens and self.first_token and self.last_token and self.last_token > self.first_token and tokens > 1:
            timings.tokens_per_s = round((tokens - 1) / (self.last_token - self.first_token), 1)
        usage = (TokenUsage(prompt_tokens=reply.prompt_tokens or reply.prompt.tokens,
                            completion_tokens=reply.completion_tokens or 0) if reply else None)
        return {"model": self.generator.model_label, "prompt_version": reply.prompt.version if reply else None,
                "dropped": list(self.dropped), "usage": usage}

    def _answer(self, generate_s: float) -> Answer:
        turn, timings = self.turn, self.turn.timings
        meta = self._llm_metadata()
        timings.generate = round(generate_s * 1000, 1)
        timings.verify = round(self.checker.seconds * 1000, 1)
        if self.first_sentence is not None:
            timings.first_sentence = round((self.first_sentence - turn.started) * 1000, 1)
        if not self.released and not turn.request.raw_draft:
            turn.draft = None
            self.service.verify(turn)  # the service's own refusal text
            assert turn.answer is not None
            return turn.answer.model_copy(update=meta)
        snap = self.service.retriever.snapshot()
        text = " ".join(self.parts if turn.request.raw_draft else self.released)
        citations = on_quote_pages(self.checker.citations, snap)
        if self.released:
            text += missing_side_note(citations, turn.analysis)
        # As for any answer: a cited source no longer in force is marked, and a cited note says so.
        text, citations = add_status_notes(text, citations, turn.passages, snap, self.service.knowledge, turn.analysis,
                                           turn.request.as_of)
        timings.total = round((time.perf_counter() - turn.started) * 1000, 1)
        finish = "length" if self.reply and self.reply.finish_reason == "length" else "stop"
        top_k = turn.request.top_k or self.service.settings.retrieval.top_k
        return Answer(answer=text, abstained=not self.released, citations=citations,
                      parts=selection_parts(turn.selection),
                      retrieved=retrieved_passages(turn.passages, citations, top_k),
                      generator=turn.generator, timings_ms=timings,
                      index_generation=turn.generation, finish_reason=finish, as_of=turn.request.as_of, **meta)

    def _fall_back(self, reason: str) -> Iterator[Event]:
        """Answer with the extractive backend instead, saying so (after a ``reset`` if anything was shown)."""
        if self.shown:
            yield {"event": "reset", "reason": reason}
        name, turn = self.turn.generator, self.turn
        meta = self._llm_metadata()
        first_token, tokens_per_s = turn.timings.first_token, turn.timings.tokens_per_s
        turn.generator, turn.draft = "extractive", None
        turn = self.service.finish.invoke(turn)
        assert turn.answer is not None
        turn.answer.timings_ms.first_token, turn.answer.timings_ms.tokens_per_s = first_token, tokens_per_s
        answer = turn.answer.model_copy(update={
            **meta, "generator": f"extractive (fallback from {name})", "fallback_reason": reason})
        yield from release(answer, turn.started)
