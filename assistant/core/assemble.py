"""The verify stage: a draft checked against the passages and assembled into the :class:`Answer`.

:class:`Assembler` runs :func:`assistant.verify.verify_draft` on the turn's draft,
places each citation on the page its quote starts on, adds the notes an answer
may carry (the asked fact is not stated, one side of a comparison is missing,
a cited source is no longer in force) and, when nothing is left, writes the
refusal that says what was searched. Streamed LLM answers (:mod:`assistant.streaming`)
use the same pieces.
"""

from __future__ import annotations

import time
from typing import Any

from assistant.knowledge import LibraryKnowledge
from assistant.models import Answer, AnswerRequest, Citation, Passage, RetrievedPassage
from assistant.retrieve import HybridRetriever
from assistant.status_notes import add_status_notes
from assistant.turn import Turn
from assistant.verify import verify_draft
from ingest.library import Library


def abstention_text(query: str, n_sources: int, filters_note: str, language: str = "en") -> str:
    """The refusal message, in the question's ``language`` ("en" or "zh"): what was searched and why no answer."""
    if language == "zh":
        return (
            "资料库中没有足够的依据来回答这个问题。"
            f"已在 {n_sources} 个来源{filters_note}中检索:“{query}”。"
            "可以换个问法、放宽筛选条件，或添加涵盖这一主题的来源。"
        )
    return (
        "I could not find enough support in the library to answer this. "
        f'Searched {n_sources} source{"s" if n_sources != 1 else ""}{filters_note} for: "{query}". '
        "Try rephrasing, widening the filters, or adding a source that covers it."
    )


def on_quote_pages(citations: list[Citation], snap: Any) -> list[Citation]:
    """``citations`` with ``page`` set to the page the quote starts on (a chunk's page is where the chunk starts)."""
    placed = []
    for citation in citations:
        page = snap.page_at(citation.source_id, citation.start)
        placed.append(citation.model_copy(update={"page": page}) if page is not None else citation)
    return placed


def closest_label(turn: Turn) -> str:
    """What introduces the quotes after "the library does not state …", in the question's language."""
    return "资料库中与此最相关的内容:" if question_language(turn) == "zh" else "What it does say:"


def missing_side_note(citations: list[Citation], language: str = "en") -> str:
    """For a comparison: a note naming the side (United States or China) no citation supports, else ""."""
    cited = {c.country for c in citations}
    if language == "zh":
        missing = [name for code, name in (("US", "美国"), ("CN", "中国")) if code not in cited]
        return f"\n\n注意:资料库中没有支持这一比较中{'或'.join(missing)}一方的段落。" if missing else ""
    missing = [name for code, name in (("US", "United States"), ("CN", "China")) if code not in cited]
    if not missing:
        return ""
    return f"\n\nNote: the library gave no supporting passage on the {' or '.join(missing)} side of this comparison."


def question_language(turn: Turn) -> str:
    """The language of the turn's question: "zh" or "en"."""
    return turn.analysis.language if turn.analysis else "en"


def filters_note(request: AnswerRequest) -> str:
    """The request's filters as `` (filters: k=v, …)`` for the refusal message, or ""."""
    filters = request.filters
    if filters is None or filters.is_empty():
        return ""
    parts = [f"{k}={v}" for k, v in filters.model_dump(exclude_none=True).items()]
    return f" (filters: {', '.join(parts)})"


def retrieved_passages(passages: list[Passage], citations: list[Citation], top_k: int) -> list[RetrievedPassage]:
    """The passages an answer was drawn from, as the answer contract lists them: at most ``top_k``.

    Passages added beside the ranked ones (a translated article, a card's quotes, a relation's
    evidence) are listed when the answer cites them, in place of the lowest-ranked uncited ones.
    """
    cited = {c.chunk_id for c in citations}
    listed = list(passages[:top_k])
    for extra in [p for p in passages[top_k:] if p.chunk_id in cited]:
        uncited = [i for i, p in enumerate(listed) if p.chunk_id not in cited]
        if len(listed) >= top_k and not uncited:
            break
        if len(listed) >= top_k:
            del listed[uncited[-1]]
        listed.append(extra)
    return [RetrievedPassage(chunk_id=p.chunk_id, source_id=p.chunk.source_id, score=round(p.score, 6),
                             page=p.chunk.page, text=p.chunk.text) for p in listed]


class Assembler:
    """Turns a turn's draft (or its absence) into the verified answer (the chain's verify step)."""

    def __init__(self, library: Library, retriever: HybridRetriever, knowledge: LibraryKnowledge) -> None:
        """Bind the library, its retriever and the knowledge derived from it."""
        self.library = library
        self.retriever = retriever
        self.knowledge = knowledge

    def assemble(self, turn: Turn) -> Turn:
        """Verify ``turn.draft`` and set ``turn.answer``; no draft (the gate refused) gives the refusal."""
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
            text, citations = verified.text, on_quote_pages(verified.citations, self.retriever.snapshot())
            abstained = not citations
            if not abstained and turn.draft.not_stated:
                # The topic is covered, the asked fact is not: say so, and quote what the library does say.
                text = f"{turn.draft.not_stated}\n\n{closest_label(turn)} {text}"
                abstained = True
            elif not abstained and turn.comparison:
                text += missing_side_note(citations, question_language(turn))
        text, citations = add_status_notes(text, citations, turn.passages, self.retriever.snapshot(), self.knowledge,
                                           turn.analysis)
        if abstained and not citations:
            text = abstention_text(turn.query, self.searched_sources(turn), filters_note(turn.request),
                                   question_language(turn))
        turn.timings.verify = (time.perf_counter() - t0) * 1000
        turn.timings.total = (time.perf_counter() - turn.started) * 1000
        turn.answer = Answer(
            answer=text,
            abstained=abstained,
            citations=citations,
            retrieved=retrieved_passages(
                turn.passages, citations, turn.request.top_k or self.retriever.settings.retrieval.top_k),
            generator=turn.generator,
            timings_ms=turn.timings,
            index_generation=turn.generation,
        )
        return turn

    def searched_sources(self, turn: Turn) -> int:
        """How many sources the turn's filters let retrieval search (all of the library without filters)."""
        snap = self.retriever.snapshot()
        filters = turn.request.filters
        if filters is None or filters.is_empty():
            return len(snap.metas)
        return len(self.retriever.allowed_sources(snap, filters) or ())
