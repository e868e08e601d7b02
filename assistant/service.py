"""The answering service: analyze → retrieve → select → generate → verify, as one LCEL chain.

The CLI, the API and the UI all call :meth:`AnswerService.answer` (or
:meth:`AnswerService.stream`); none of them talk to each other.

This module only wires the stages together; each lives in its own module:
analyze :mod:`assistant.core.analysis` (the one reader of the question and its
history), retrieve :mod:`assistant.core.gather` (over :mod:`assistant.retrieval.retrieve`),
select :mod:`assistant.core.select` (the learned selector and each part's
confidence), generate :mod:`assistant.generators`, verify
:mod:`assistant.core.assemble` (over :mod:`assistant.core.verify`); streamed answers
run generate and verify in :mod:`assistant.generators.streaming`. The state they pass along
is :class:`assistant.core.turn.Turn`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.core.analysis import analyze_question
from assistant.core.assemble import Assembler
from assistant.core.gather import Gatherer
from assistant.core.select import select
from assistant.core.selector import MODEL_FILE, SelectorModel, load_model
from assistant.core.turn import Turn
from assistant.generators import GenerationInput, Generator, create_generator
from assistant.models import Answer, AnswerRequest
from assistant.retrieval import dictionary
from assistant.retrieval.knowledge import LibraryKnowledge
from assistant.retrieval.retrieve import HybridRetriever
from ingest.cards import Card
from ingest.library import Library
from ingest.publish import open_library
from ingest.sentence_vectors import sentence_vectors_for
from policychat.errors import GeneratorError, PolicychatError
from policychat.settings import Settings

log = logging.getLogger(__name__)

WARM_UP_QUESTIONS = (
    "Which body is responsible for the rules on generative AI, and when did they take effect?",
    "生成式人工智能服务提供者应当履行哪些义务？",
)
"""Answered once at start-up: an English and a Chinese question, so that every lazily
built part (question analysis per language, the selector, the cross-lingual dictionary and
term pairs in both directions) is built before the first user's question."""


class AnswerService:
    """Answers questions from a library with verified, cited sentences."""

    def __init__(self, settings: Settings, library: Library | None = None) -> None:
        """Open the library (or use the given one) and build the chain."""
        self.settings = settings
        self.library = library or open_library(settings)
        self.retriever = HybridRetriever(self.library, settings)
        self._generators: dict[str, Generator] = {}
        self._generators_lock = threading.Lock()
        self.knowledge = LibraryKnowledge(self.library)
        self.gatherer = Gatherer(self.library, self.retriever, self.knowledge, settings)
        self.assembler = Assembler(self.library, self.retriever, self.knowledge)
        self.read: Runnable[Turn, Turn] = (
            RunnableLambda(self._analyze, name="analyze") | RunnableLambda(self.gatherer.gather, name="retrieve")
        )
        """Analyze and retrieve (what the selector's training needs of a question)."""
        self.prepare: Runnable[Turn, Turn] = self.read | RunnableLambda(self._select, name="select")
        self.finish: Runnable[Turn, Turn] = (
            RunnableLambda(self._generate, name="generate") | RunnableLambda(self.verify, name="verify")
        )
        self.chain: Runnable[Turn, Turn] = self.prepare | self.finish

    def generator(self, name: str | None) -> Generator:
        """The named backend (default from settings), created once and cached."""
        name = name or self.settings.answer.generator
        with self._generators_lock:  # concurrent first questions create one backend, not one each
            if name not in self._generators:
                self._generators[name] = create_generator(name, self.settings)
            return self._generators[name]

    def warm_up(self) -> None:
        """Load everything an answer needs, once, before the first question.

        That is the index snapshot, the embedding model, the default generator and
        whatever the answer core builds on first use (by answering
        :data:`WARM_UP_QUESTIONS` extractively).

        Raises what loading the snapshot, the model or the generator raises; the callers
        (server and MCP start-up) log it. A warm-up question that fails (an empty
        library) is only logged: loading is what matters here, not its answer.
        """
        self.retriever.snapshot()
        self.library.embeddings.embed_query("warm up")
        self.generator(None)
        dictionary.load()  # built only when an English question needs Chinese words: not by every question
        if not self.library.catalog.records():
            return
        for question in WARM_UP_QUESTIONS:
            try:
                self.answer(AnswerRequest(question=question, generator="extractive"))
            except PolicychatError as exc:
                log.info("warm-up question not answered: %s", exc)

    def answer(self, request: AnswerRequest) -> Answer:
        """Answer one request; raise PolicychatError subclasses for bad input or backends.

        LLM backends answer through :meth:`stream` (verified sentence by sentence, with the
        extractive fallback), so an answer and a streamed answer are the same.
        """
        from assistant.generators.streaming import final_answer, streams_tokens

        name = request.generator or self.settings.answer.generator
        if streams_tokens(self.generator(name)):  # also fails fast on an unknown backend
            return final_answer(self.stream(request))
        turn = self.chain.invoke(Turn(request=request, generator=name))
        assert turn.answer is not None
        return turn.answer

    def stream(self, request: AnswerRequest) -> Iterator[dict[str, Any]]:
        """Yield the answer as events: ``token`` pieces (LLMs), ``sentence`` per verified sentence, ``answer``.

        See :func:`assistant.generators.streaming.answer_events` for every event.
        """
        from assistant.generators.streaming import answer_events

        return answer_events(self, request)

    # Chain steps -----------------------------------------------------------

    def _analyze(self, turn: Turn) -> Turn:
        snap = self.retriever.snapshot()
        turn.analysis = analyze_question(turn.request.question, turn.request.history, snap.directory(),
                                         snap.vocabulary())
        turn.query = turn.analysis.query
        return turn

    def _select(self, turn: Turn) -> Turn:
        assert turn.analysis is not None
        snap = self.retriever.snapshot()
        turn.selection = select(
            turn.analysis, turn.passages, snap.idf, self.library.embeddings,
            bilingual=self.knowledge.bilingual(snap),
            sentence_vectors=partial(sentence_vectors_for, self.library.sentence_vectors, self.library.embeddings),
            model=self.selector_model(),
        )
        return turn

    def selector_model(self) -> SelectorModel:
        """The selector (the settings' model file, else the packaged one), with the settings' threshold if set."""
        answer = self.settings.answer
        model = load_model(answer.selector_model or MODEL_FILE)
        return model if answer.answer_threshold is None else replace(model, threshold=answer.answer_threshold)

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
            selection=turn.selection,
            cards=turn.cards,
            standings=self.knowledge.standings(snap, turn.request.as_of),
            relations=self.knowledge.relations(snap, turn.request.as_of),
            metas=snap.metas,
            as_of=turn.request.as_of,
            doc_freq=lambda token: snap.doc_freq.get(token, 0),
            articles=self.knowledge.articles(snap),
            bilingual=self.knowledge.bilingual(snap),
        )

    def admits(self, turn: Turn) -> bool:
        """Whether to draft at all.

        Passages exist, and for an LLM some part is supported (by the selector, or by a document's card or
        relations). The extractive composer drafts every part itself, refusals included.
        """
        from assistant.generators.streaming import streams_tokens

        if not turn.passages:
            return False
        if not streams_tokens(self.generator(turn.generator)):
            return True
        selection = turn.selection
        structural = turn.analysis is not None and any(
            (p.kind == "summary" and turn.cards) or p.kind == "status" for p in turn.analysis.parts)
        return structural or (selection is not None and selection.answered)

    def _generate(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        data = self.generation_input(turn)
        if self.admits(turn):
            try:
                turn.draft = self.generator(turn.generator).draft(data)
            except GeneratorError:
                raise
            except Exception as exc:  # a backend's own failure, reported with its name
                raise GeneratorError(f"Generator {turn.generator!r} failed: {type(exc).__name__}: {exc}") from exc
        turn.timings.generate = (time.perf_counter() - t0) * 1000
        return turn

    def verify(self, turn: Turn) -> Turn:
        """The verify step (:class:`assistant.core.assemble.Assembler`): the turn's draft, or its refusal."""
        return self.assembler.assemble(turn)
