"""The answering service: rewrite → analyze → retrieve → gate → generate → verify, as one LCEL chain.

The CLI, the API and the UI all call :meth:`AnswerService.answer` (or
:meth:`AnswerService.stream`); none of them talk to each other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.compose.leads import same_date
from assistant.crosslingual import has_chinese
from assistant.gate import Evidence, assess_evidence
from assistant.generators import GenerationInput, Generator, create_generator
from assistant.knowledge import LibraryKnowledge
from assistant.models import Answer, AnswerRequest, Citation, Draft, Passage, RetrievedPassage, Timings
from assistant.question import QuestionAnalysis, analyze_question, is_comparison
from assistant.retrieve import HybridRetriever
from assistant.rewrite import standalone_question
from assistant.status_notes import add_status_notes
from assistant.verify import verify_draft
from ingest.cards import Card
from ingest.library import Library
from ingest.publish import open_library
from ingest.relations import Relation
from ingest.sentence_vectors import sentence_vectors_for
from ingest.spans import find_spans
from policychat.errors import GeneratorError
from policychat.settings import Settings


@dataclass
class Turn:
    """State carried through the chain for one question."""

    request: AnswerRequest
    generator: str
    query: str = ""
    comparison: bool = False
    analysis: QuestionAnalysis | None = None
    cards: dict[str, Card] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    evidence: Evidence | None = None
    draft: Draft | None = None
    answer: Answer | None = None
    started: float = field(default_factory=time.perf_counter)
    timings: Timings = field(default_factory=Timings)
    generation: int | None = None


_FOREIGN = re.compile(r"美国|中美|美中|联合国|拜登|特朗普|白宫|欧盟|日本|七国集团|英国|中国日报")


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
        self.library = library or open_library(settings)
        self.retriever = HybridRetriever(self.library, settings)
        self._generators: dict[str, Generator] = {}
        self.knowledge = LibraryKnowledge(self.library)
        self.prepare: Runnable[Turn, Turn] = (
            RunnableLambda(self._rewrite, name="rewrite")
            | RunnableLambda(self._analyze, name="analyze")
            | RunnableLambda(self._retrieve, name="retrieve")
        )
        self.finish: Runnable[Turn, Turn] = (
            RunnableLambda(self._generate, name="generate") | RunnableLambda(self._verify, name="verify")
        )
        self.chain: Runnable[Turn, Turn] = self.prepare | self.finish

    def generator(self, name: str | None) -> Generator:
        """The named backend (default from settings), created once and cached."""
        name = name or self.settings.generator
        if name not in self._generators:
            self._generators[name] = create_generator(name, self.settings)
        return self._generators[name]

    def answer(self, request: AnswerRequest) -> Answer:
        """Answer one request; raise PolicychatError subclasses for bad input or backends.

        LLM backends answer through :meth:`stream` (verified sentence by sentence, with the
        extractive fallback), so an answer and a streamed answer are the same.
        """
        from assistant.streaming import final_answer, streams_tokens

        name = request.generator or self.settings.generator
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

    def _retrieve(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        # A status question ("Is EO 14110 still in force?") is answered by the documents that act on the
        # named one, so the named document gets no extra weight there.
        refs = turn.analysis.doc_refs if turn.analysis and turn.analysis.kind != "status" else ()
        # Name the catalog generation the passages came from. The snapshot is swapped when a
        # write lands, so retrieve again in the rare case one landed while this was retrieving.
        for _attempt in range(5):
            snap = self.retriever.snapshot()
            turn.passages = self.retriever.retrieve(
                turn.query, turn.request.filters, turn.request.top_k, balance_countries=turn.comparison,
                prefer_sources=refs, keyword_extra=" ".join(turn.analysis.search_terms) if turn.analysis else "",
                named_query=turn.analysis.focus if turn.analysis else "",
                translated_query=self._translated(turn.query, snap, turn.analysis.doc_refs if turn.analysis else ()),
            )
            self._add_card_passages(turn, snap)
            self._add_translation_passages(turn, snap)
            from_snap = all(snap.chunks.get(p.chunk_id) is p.chunk for p in turn.passages)
            if from_snap and self.library.catalog.generation() == snap.generation:
                turn.generation = snap.generation
                break
        turn.timings.retrieve = (time.perf_counter() - t0) * 1000
        return turn

    def _translated(self, query: str, snap: Any, refs: tuple[str, ...] = ()) -> str:
        """The question's terms in the library's other language (Chinese for English and back).

        A Chinese question gets English terms only when it points at an English-language source
        (a document it names, the United States or the UN, a Latin-script name): otherwise
        English passages would crowd out the Chinese ones that answer it.
        """
        table = self.knowledge.bilingual(snap)
        if not has_chinese(query):
            return table.to_chinese(query)
        english_source = any(snap.metas[r].language == "en" for r in refs if r in snap.metas)
        latin = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", query)} - {"ai", "tc260", "tc260-003"}
        if english_source or latin or _FOREIGN.search(query):
            return table.to_english(query)
        return ""

    def card(self, source_id: str) -> Card:
        """The card of a source in the current library (from the catalog, or built once per generation)."""
        return self.knowledge.card(self.retriever.snapshot(), source_id)

    def _add_card_passages(self, turn: Turn, snap: Any) -> None:
        """For summaries (and "what is <document>?"), add the passages the document's card quotes.

        For "when was <document> signed?", add the passage that carries the document's own date.
        """
        analysis = turn.analysis
        if analysis is not None and analysis.answer_type == "date" and analysis.doc_refs:
            self._add_dated_passages(turn, snap, analysis.doc_refs)
        if analysis is not None and analysis.doc_refs and _ASKS_SIGNER.search(analysis.question):
            self._add_signature_passages(turn, snap, analysis.doc_refs)
        if analysis is not None and analysis.kind == "status":
            self._add_evidence_passages(turn, snap, self.knowledge.relations(snap))
        if analysis is None or analysis.kind not in ("summary", "definition"):
            return
        if analysis.kind == "definition" and (analysis.focus_terms or not analysis.doc_refs):
            return
        targets = [i for i in analysis.doc_refs if i in snap.metas]
        if not targets and analysis.kind == "summary" and turn.passages:
            targets = [turn.passages[0].chunk.source_id]
        allowed = self.retriever.allowed_sources(snap, turn.request.filters)
        primary = snap.directory().primary(t for t in targets if allowed is None or t in allowed)
        if primary is None:
            return
        card = self.card(primary)
        turn.cards[primary] = card
        have = {p.chunk_id for p in turn.passages}
        meta = snap.metas[primary]
        extra = [Passage(snap.chunks[cid], meta, 0.0) for cid in card.chunk_ids() if cid not in have]
        turn.passages = turn.passages + extra

    def _add_translation_passages(self, turn: Turn, snap: Any) -> None:
        """For passages of a translated work, add the same article in the work's other language."""
        articles = self.knowledge.articles(snap)
        if not articles.markers:
            return
        have = {p.chunk_id for p in turn.passages}
        for passage in turn.passages[: self.settings.top_k]:
            if passage.chunk_id not in articles.markers:
                continue
            found = articles.counterpart(passage.chunk.source_id, passage.chunk_id, len(passage.chunk.text) // 2)
            if found is not None and found[1] not in have and found[1] in snap.chunks:
                chunk = snap.chunks[found[1]]
                turn.passages = turn.passages + [Passage(chunk, snap.metas[chunk.source_id], 0.0)]
                have.add(chunk.chunk_id)

    def _add_evidence_passages(self, turn: Turn, snap: Any, relations: list[Relation]) -> None:
        """Status questions: the passages stating each relation (they are what the answer cites)."""
        have = {p.chunk_id for p in turn.passages}
        for relation in relations:
            evidence = relation.evidence
            if evidence is None or evidence.chunk_id in have or evidence.chunk_id not in snap.chunks:
                continue
            chunk = snap.chunks[evidence.chunk_id]
            turn.passages = turn.passages + [Passage(chunk, snap.metas[chunk.source_id], 0.0)]
            have.add(evidence.chunk_id)

    def _add_dated_passages(self, turn: Turn, snap: Any, source_ids: tuple[str, ...]) -> None:
        have = {p.chunk_id for p in turn.passages}
        for source_id in source_ids:
            meta = snap.metas.get(source_id)
            if meta is None or len(meta.date) < 10:
                continue
            chunks = sorted((c for c in snap.chunks.values() if c.source_id == source_id), key=lambda c: c.position)
            dated = next(
                (c for c in chunks if any(same_date(s.text, meta.date) for s in find_spans(c.text, "date"))), None
            )
            if dated is not None and dated.chunk_id not in have:
                turn.passages = turn.passages + [Passage(dated, meta, 0.0)]
                have.add(dated.chunk_id)

    def _add_signature_passages(self, turn: Turn, snap: Any, source_ids: tuple[str, ...]) -> None:
        """For "who signed <document>?": the document's chunks that hold a signature line."""
        have = {p.chunk_id for p in turn.passages}
        for source_id in source_ids:
            meta = snap.metas.get(source_id)
            chunks = [c for c in snap.chunks.values() if c.source_id == source_id and c.chunk_id not in have]
            signed = [c for c in chunks if any(role == "signature" for _, _, role in c.sentences)]
            if meta is not None and signed:
                turn.passages = turn.passages + [Passage(max(signed, key=lambda c: c.position), meta, 0.0)]

    def generation_input(self, turn: Turn) -> GenerationInput:
        """What a generator gets for a prepared turn: the question, passages, analysis, cards, standings."""
        return self._inputs(turn)

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
        """The gate: whether the passages are strong enough to answer from (else the turn abstains)."""
        turn.evidence = assess_evidence(data)
        # A summary of a document the library holds is never refused: its card answers it.
        summarizing = bool(turn.cards) and turn.analysis is not None and turn.analysis.kind in ("summary", "definition")
        return bool(turn.passages) and (summarizing or turn.evidence.sufficient(self.settings))

    def _generate(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        data = self._inputs(turn)
        if self.admits(turn, data):
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
            text, citations = verified.text, _on_quote_pages(verified.citations, self.retriever.snapshot())
            abstained = not citations
            if not abstained and turn.draft.not_stated:
                # The topic is covered, the asked fact is not: say so, and quote what the library does say.
                text = f"{turn.draft.not_stated}\n\n{_closest_label(turn)} {text}"
                abstained = True
            elif not abstained and turn.comparison:
                text += _missing_side_note(citations)
        text, citations = add_status_notes(text, citations, turn.passages, self.retriever.snapshot(), self.knowledge,
                                           turn.analysis)
        if abstained and not citations:
            text = abstention_text(turn.query, self._searched_sources(turn), _filters_note(turn.request))
        turn.timings.verify = (time.perf_counter() - t0) * 1000
        turn.timings.total = (time.perf_counter() - turn.started) * 1000
        turn.answer = Answer(
            answer=text,
            abstained=abstained,
            citations=citations,
            retrieved=listed_passages(turn, citations, turn.request.top_k or self.settings.top_k),
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
        return len(self.retriever.allowed_sources(snap, filters) or ())


_ASKS_SIGNER = re.compile(r"\bwho\b.{0,40}\bsign(?:ed|s)?\b|\bsigned by\b|谁签署|谁签发|签署人|由谁签署", re.I)


def _on_quote_pages(citations: list[Citation], snap: Any) -> list[Citation]:
    """``citations`` with ``page`` set to the page the quote starts on (a chunk's page is where the chunk starts)."""
    placed = []
    for citation in citations:
        page = snap.page_at(citation.source_id, citation.start)
        placed.append(citation.model_copy(update={"page": page}) if page is not None else citation)
    return placed


def _closest_label(turn: Turn) -> str:
    return "资料库中与此最相关的内容:" if turn.analysis and turn.analysis.language == "zh" else "What it does say:"


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


def listed_passages(turn: Turn, citations: list[Citation], top_k: int) -> list[RetrievedPassage]:
    """The passages an answer was drawn from, as the answer contract lists them: at most ``top_k``.

    Passages added beside the ranked ones (a translated article, a card's quotes, a relation's
    evidence) are listed when the answer cites them, in place of the lowest-ranked uncited ones.
    """
    cited = {c.chunk_id for c in citations}
    ranked = list(turn.passages[:top_k])
    for extra in [p for p in turn.passages[top_k:] if p.chunk_id in cited]:
        uncited = [i for i, p in enumerate(ranked) if p.chunk_id not in cited]
        if len(ranked) >= top_k and not uncited:
            break
        if len(ranked) >= top_k:
            del ranked[uncited[-1]]
        ranked.append(extra)
    return [RetrievedPassage(chunk_id=p.chunk_id, source_id=p.chunk.source_id, score=round(p.score, 6),
                             page=p.chunk.page, text=p.chunk.text) for p in ranked]
