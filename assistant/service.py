"""The answering service: rewrite → analyze → retrieve → gate → generate → verify, as one LCEL chain.

The CLI, the API and the UI all call :meth:`AnswerService.answer` (or
:meth:`AnswerService.stream`); none of them talk to each other.

This module only wires the stages together; each lives in its own module:
rewrite :mod:`assistant.rewrite`, analyze :mod:`assistant.question`, retrieve
:mod:`assistant.gather` (over :mod:`assistant.retrieve`), gate :mod:`assistant.gate`,
generate :mod:`assistant.generators`, verify :mod:`assistant.assemble` (over
:mod:`assistant.verify`); streamed answers run generate and verify in
:mod:`assistant.streaming`. The state they pass along is :class:`assistant.turn.Turn`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant import gate
from assistant.assemble import Assembler
from assistant.gather import Gatherer
from assistant.generators import GenerationInput, Generator, create_generator
from assistant.knowledge import LibraryKnowledge
from assistant.models import Answer, AnswerRequest
from assistant.question import analyze_question, is_comparison
from assistant.retrieve import HybridRetriever
from assistant.rewrite import standalone_question
from assistant.turn import Turn
from ingest.cards import Card
from ingest.library import Library
from ingest.publish import open_library
from ingest.sentence_vectors import sentence_vectors_for
from policychat.errors import GeneratorError
from policychat.settings import Settings


class AnswerService:
    """Answers questions from a library with verified, cited sentences."""

    def __init__(self, settings: Settings, library: Library | None = None) -> None:
        """Open the library (or use the given one) and build the chain."""
        self.settings = settings
        self.library = library or open_library(settings)
        self.retriever = HybridRetriever(self.library, settings)
        self._generators: dict[str, Generator] = {}
        self.knowledge = LibraryKnowledge(self.library)
        self.gatherer = Gatherer(self.library, self.retriever, self.knowledge, settings)
        self.assembler = Assembler(self.library, self.retriever, self.knowledge)
        self.prepare: Runnable[Turn, Turn] = (
            RunnableLambda(self._rewrite, name="rewrite")
            | RunnableLambda(self._analyze, name="analyze")
            | RunnableLambda(self.gatherer.gather, name="retrieve")
        )
        self.finish: Runnable[Turn, Turn] = (
            RunnableLambda(self._generate, name="generate") | RunnableLambda(self.verify, name="verify")
        )
        self.chain: Runnable[Turn, Turn] = self.prepare | self.finish

    def generator(self, name: str | None) -> Generator:
        """The named backend (default from settings), created once and cached."""
        name = name or self.settings.answer.generator
        if name not in self._generators:
            self._generators[name] = create_generator(name, self.settings)
        return self._generators[name]

    def answer(self, request: AnswerRequest) -> Answer:
        """Answer one request; raise PolicychatError subclasses for bad input or backends.

        LLM backends answer through :meth:`stream` (verified sentence by sentence, with the
        extractive fallback), so an answer and a streamed answer are the same.
        """
        from assistant.streaming import final_answer, streams_tokens

        name = request.generator or self.settings.answer.generator
        if streams_tokens(self.generator(name)):  # also fails fast on an unknown backend
            return final_answer(self.stream(request))
        turn = self.chain.invoke(Turn(request=request, generator=name))
        assert turn.answer is not None
        return turn.answer

    def stream(self, request: AnswerRequest) -> Iterator[dict[str, Any]]:
        """Yield the answer as events: ``token`` pieces (LLMs), ``sentence`` per verified sentence, ``answer``.

        See :func:`assistant.streaming.answer_events` for every event.
        """
        from assistant.streaming import answer_events

        return answer_events(self, request)

    # Chain steps -----------------------------------------------------------

    def _rewrite(self, turn: Turn) -> Turn:
        turn.query = standalone_question(turn.request.question, turn.request.history)
        turn.comparison = is_comparison(turn.query)
        return turn

    def _analyze(self, turn: Turn) -> Turn:
        snap = self.retriever.snapshot()
        turn.analysis = analyze_question(turn.query, snap.directory(), snap.vocabulary())
        if turn.analysis.kind == "comparison" and not turn.comparison:
            turn.comparison = is_comparison(turn.query)
        return turn

    def card(self, source_id: str) -> Card:
        """The card of a source in the current library (from the catalog, or built once per generation)."""
        return self.knowledge.card(self.retriever.snapshot(), source_id)

    def generation_input(self, turn: Turn) -> GenerationInput:
        """What a generator gets for a prepared turn: the question, passages, analysis, cards, standings."""
        snap = self.retriever.snapshot()
        focus = turn.request.question if turn.query != turn.request.question else ""
        return GenerationInput(
            turn.query,
            turn.passages,
            snap.idf,
            self.library.embeddings,
            turn.comparison,
            focus,
            sentence_vectors=partial(sentence_vectors_for, self.library.sentence_vectors, self.library.embeddings),
            analysis=turn.analysis,
            cards=turn.cards,
            standings=self.knowledge.standings(snap),
            relations=self.knowledge.relations(snap),
            metas=snap.metas,
            doc_freq=lambda token: snap.doc_freq.get(token, 0),
            articles=self.knowledge.articles(snap),
            bilingual=self.knowledge.bilingual(snap),
        )

    def admits(self, turn: Turn, data: GenerationInput) -> bool:
        """The gate (:func:`assistant.gate.admits`): whether the passages are strong enough to answer from."""
        return gate.admits(turn, data, self.settings)

    def _generate(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        data = self.generation_input(turn)
        if self.admits(turn, data):
            try:
                turn.draft = self.generator(turn.generator).draft(data)
            except GeneratorError:
                raise
            except Exception as exc:  # a backend's own failure, reported with its name
                raise GeneratorError(f"Generator {turn.generator!r} failed: {type(exc).__name__}: {exc}") from exc
        turn.timings.generate = (time.perf_counter() - t0) * 1000
        return turn

    def verify(self, turn: Turn) -> Turn:
        """The verify step (:class:`assistant.assemble.Assembler`): the turn's draft, or its refusal, as the answer."""
        return self.assembler.assemble(turn)
