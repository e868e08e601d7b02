"""The answering service: rewrite → retrieve → gate → generate → verify, as one LCEL chain.

The CLI, the API and the UI all call :meth:`AnswerService.answer` (or
:meth:`AnswerService.stream`); none of them talk to each other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.crosslingual import chinese_terms
from assistant.errors import GeneratorError
from assistant.evidence import content_tokens, coverage, key_names, mentions
from assistant.generators import GenerationInput, Generator, create_generator
from assistant.generators.extractive import candidate_sentences
from assistant.models import Answer, AnswerRequest, Citation, Draft, Passage, RetrievedPassage, Timings
from assistant.retrieve import HybridRetriever, is_comparison
from assistant.rewrite import standalone_question
from assistant.settings import Settings
from assistant.verify import answer_sentences, verify_draft
from ingest.library import Library
from ingest.sentence_vectors import sentence_vectors_for


@dataclass
class Turn:
    """State carried through the chain for one question."""

    request: AnswerRequest
    generator: str
    query: str = ""
    comparison: bool = False
    passages: list[Passage] = field(default_factory=list)
    evidence: Evidence | None = None
    draft: Draft | None = None
    answer: Answer | None = None
    started: float = field(default_factory=time.perf_counter)
    timings: Timings = field(default_factory=Timings)
    generation: int | None = None


def abstention_text(query: str, n_sources: int, filters_note: str) -> str:
    """The refusal message: what was searched and why there is no answer."""
    return (
        "I could not find enough support in the library to answer this. "
        f'Searched {n_sources} source{"s" if n_sources != 1 else ""}{filters_note} for: "{query}". '
        "Try rephrasing, widening the filters, or adding a source that covers it."
    )


class AnswerService:
    """Answers questions from a library with verified, cited sentences."""

    def __init__(self, settings: Settings, library: Library | None = None) -> None:
        """Open the library (or use the given one) and build the chain."""
        self.settings = settings
        self.library = library or Library(settings)
        self.retriever = HybridRetriever(self.library, settings)
        self._generators: dict[str, Generator] = {}
        self.chain: Runnable[Turn, Turn] = (
            RunnableLambda(self._rewrite, name="rewrite")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._generate, name="generate")
            | RunnableLambda(self._verify, name="verify")
        )

    def generator(self, name: str | None) -> Generator:
        """The named backend (default from settings), created once and cached."""
        name = name or self.settings.generator
        if name not in self._generators:
            self._generators[name] = create_generator(name, self.settings)
        return self._generators[name]

    def answer(self, request: AnswerRequest) -> Answer:
        """Answer one request; raise PolicychatError subclasses for bad input or backends."""
        name = request.generator or self.settings.generator
        self.generator(name)  # fail fast on an unknown backend
        turn = self.chain.invoke(Turn(request=request, generator=name))
        assert turn.answer is not None
        return turn.answer

    def stream(self, request: AnswerRequest) -> Iterator[dict[str, Any]]:
        """Yield ``{"event": "sentence", "text": ...}`` per verified sentence, then ``{"event": "answer", ...}``."""
        answer = self.answer(request)
        for sentence in answer_sentences(answer.answer):
            yield {"event": "sentence", "text": sentence}
        yield {"event": "answer", "data": answer.model_dump(mode="json")}

    # Chain steps -----------------------------------------------------------

    def _rewrite(self, turn: Turn) -> Turn:
        turn.query = standalone_question(turn.request.question, turn.request.history)
        turn.comparison = is_comparison(turn.query)
        return turn

    def _retrieve(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        # Name the catalog generation the passages came from. The snapshot is swapped when a
        # write lands, so retrieve again in the rare case one landed while this was retrieving.
        for _attempt in range(5):
            snap = self.retriever.snapshot()
            turn.passages = self.retriever.retrieve(
                turn.query, turn.request.filters, turn.request.top_k, balance_countries=turn.comparison
            )
            from_snap = all(snap.chunks.get(p.chunk_id) is p.chunk for p in turn.passages)
            if from_snap and self.library.catalog.generation() == snap.generation:
                turn.generation = snap.generation
                break
        turn.timings.retrieve = (time.perf_counter() - t0) * 1000
        return turn

    def _inputs(self, turn: Turn) -> GenerationInput:
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
        )

    def _generate(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        data = self._inputs(turn)
        turn.evidence = assess_evidence(data)
        if turn.passages and turn.evidence.sufficient(self.settings):
            try:
                turn.draft = self.generator(turn.generator).draft(data)
            except GeneratorError:
                raise
            except Exception as exc:  # a backend's own failure, reported with its name
                raise GeneratorError(f"Generator {turn.generator!r} failed: {type(exc).__name__}: {exc}") from exc
        turn.timings.generate = (time.perf_counter() - t0) * 1000
        return turn

    def _verify(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        text, citations, abstained = "", [], True
        if turn.draft is not None:
            verified = verify_draft(
                turn.draft,
                turn.passages,
                self.retriever.snapshot().idf,
                self.library.embeddings,
                question=turn.query,
                keep_unsupported=turn.request.raw_draft,
            )
            text, citations = verified.text, verified.citations
            abstained = not citations
            if not abstained and turn.comparison:
                text += _missing_side_note(citations)
        if abstained:
            text = abstention_text(turn.query, self._searched_sources(turn), _filters_note(turn.request))
            citations = []
        turn.timings.verify = (time.perf_counter() - t0) * 1000
        turn.timings.total = (time.perf_counter() - turn.started) * 1000
        turn.answer = Answer(
            answer=text,
            abstained=abstained,
            citations=citations,
            retrieved=[
                RetrievedPassage(
                    chunk_id=p.chunk_id,
                    source_id=p.chunk.source_id,
                    score=round(p.score, 6),
                    page=p.chunk.page,
                    text=p.chunk.text,
                )
                for p in turn.passages
            ],
            generator=turn.generator,
            timings_ms=turn.timings,
            index_generation=turn.generation,
        )
        return turn

    def _searched_sources(self, turn: Turn) -> int:
        snap = self.retriever.snapshot()
        filters = turn.request.filters
        if filters is None or filters.is_empty():
            return len(snap.metas)
        return len(self.retriever._allowed_sources(snap, filters) or ())


@dataclass
class Evidence:
    """The abstain gate's view of the retrieved evidence."""

    strength: float
    missing_names: list[str]

    def sufficient(self, settings: Settings) -> bool:
        """Answer only if strong enough, and clearly stronger when a name the question is about is absent."""
        if self.strength < settings.abstain_threshold:
            return False
        return not self.missing_names or self.strength >= settings.abstain_missing_name_threshold


# A Chinese-language source never writes "China" in English; its country field says it.
_COUNTRY_NAMES = {"US": "United States U.S. US America", "CN": "China PRC People's Republic of China"}


def assess_evidence(data: GenerationInput) -> Evidence:
    """Score how well the retrieved passages can answer the question.

    ``strength`` (0..1) is the best candidate sentence's lexical + semantic
    match, scaled by how much of the question the passages cover at all;
    ``missing_names`` are names or numbers of the question that no passage
    (text, title, publisher or date) contains, such as a law the library never
    mentions.
    """
    if not data.passages:
        return Evidence(0.0, [])
    candidates = candidate_sentences(data)
    best = max((0.5 * c.lexical + 0.5 * c.semantic for c in candidates), default=0.0)
    union = set().union(*(content_tokens(p.chunk.embed_text) for p in data.passages))
    question_tokens = content_tokens(data.question)
    covered = max(
        coverage(question_tokens, union, data.idf),
        coverage(question_tokens | content_tokens(chinese_terms(data.question)), union, data.idf),
    )
    context = "\n".join(
        f"{p.meta.title} {p.meta.publisher} {p.meta.date} {_COUNTRY_NAMES.get(p.meta.country, '')} {p.chunk.text}"
        for p in data.passages
    ).lower()
    missing = sorted(n for n in key_names(data.question) if not mentions(context, n))
    return Evidence(best * covered, missing)


def _missing_side_note(citations: list[Citation]) -> str:
    cited = {c.country for c in citations}
    missing = [name for code, name in (("US", "United States"), ("CN", "China")) if code not in cited]
    if not missing:
        return ""
    return f"\n\nNote: the library gave no supporting passage on the {' or '.join(missing)} side of this comparison."


def _filters_note(request: AnswerRequest) -> str:
    filters = request.filters
    if filters is None or filters.is_empty():
        return ""
    parts = [f"{k}={v}" for k, v in filters.model_dump(exclude_none=True).items()]
    return f" (filters: {', '.join(parts)})"

