"""The verify stage: a draft checked against the passages and assembled into the :class:`Answer`, part by part.

:class:`Assembler` runs :func:`assistant.core.verify.verify_draft` on the turn's draft,
places each citation on the page its quote starts on, and writes the answer text
part by part: a supported part's verified sentences; a refused part's "the
library does not state …" line (a single refused part also quotes what the
library does say). A comparison ends with a note naming any side no citation
supports; a cited source no longer in force gets a status note. When nothing is
left, the refusal says what was searched. Each part's kind, confidence and
verdict are in ``Answer.parts``. Streamed LLM answers (:mod:`assistant.generators.streaming`)
use the same pieces.
"""

from __future__ import annotations

import time
from typing import Any

from assistant.core.analysis import QuestionAnalysis
from assistant.core.lang import language_data
from assistant.core.select import Selection
from assistant.core.status_notes import add_status_notes
from assistant.core.turn import Turn
from assistant.core.verify import VerifiedAnswer, verify_draft
from assistant.models import Answer, AnswerPart, AnswerRequest, Citation, Draft, Passage, RetrievedPassage
from assistant.retrieval.as_of import issued_by
from assistant.retrieval.knowledge import LibraryKnowledge, display_name
from assistant.retrieval.retrieve import HybridRetriever
from ingest.library import Library


def abstention_text(query: str, n_sources: int, filters: str, language: str = "en") -> str:
    """The refusal message in the question's ``language``: what was searched and why no answer."""
    template = language_data("zh" if language == "zh" else "en").messages.refusal
    return template.format(n=n_sources, s="s" if n_sources != 1 else "", filters=filters, query=query)


def on_quote_pages(citations: list[Citation], snap: Any) -> list[Citation]:
    """``citations`` placed in ``snap``: the page the quote starts on and the source's content hash.

    A chunk's page is where the chunk starts, so the quote's own page is looked up; the hash
    names the version of the source the offsets index into (what ``policychat verify`` checks).
    """
    placed = []
    for citation in citations:
        page = snap.page_at(citation.source_id, citation.start)
        update: dict[str, Any] = {"content_hash": snap.hashes.get(citation.source_id)}
        if page is not None:
            update["page"] = page
        placed.append(citation.model_copy(update=update))
    return placed


def missing_side_note(citations: list[Citation], analysis: QuestionAnalysis | None) -> str:
    """For a comparison: a note naming the sides no citation supports, else ""."""
    if analysis is None or not analysis.sides:
        return ""
    cited = {c.source_id for c in citations}
    messages = analysis.lang.messages
    absent = [side.label for side in analysis.sides if not side.source_ids]
    missing = [side.label for side in analysis.sides if side.source_ids and not side.source_ids & cited]
    notes = [messages.absent_side.format(sides=messages.or_word.join(absent))] if absent else []
    notes += [messages.missing_side.format(sides=messages.or_word.join(missing))] if missing else []
    return "".join("\n\n" + note for note in notes)


def as_of_reason(turn: Turn, snap: Any, knowledge: LibraryKnowledge) -> str:
    """Before a refusal as of a day: why the document the question names was not answered from ("" if none).

    "As of 2024-06-01, America's AI Action Plan had not been issued: it is dated 2025-07-23. "
    """
    as_of, analysis = turn.request.as_of, turn.analysis
    if as_of is None or analysis is None or turn.in_force is None:
        return ""
    messages = language_data("zh" if analysis.language == "zh" else "en").messages
    for ref in analysis.doc_refs:
        meta = snap.metas.get(ref)
        if meta is None or ref in turn.in_force:
            continue
        when = as_of.isoformat()
        if issued_by(meta, as_of) is False:
            return messages.not_issued_as_of.format(as_of=when, name=display_name(meta), date=meta.date) + " "
        standing = knowledge.standings(snap, as_of).get(ref)
        status = messages.words.get(standing.status, standing.status) if standing else ""
        return messages.not_in_force_as_of.format(as_of=when, name=display_name(meta), status=status) + " "
    return ""


def question_language(turn: Turn) -> str:
    """The language of the turn's question: "zh" or "en"."""
    return turn.analysis.language if turn.analysis else "en"


def filters_note(request: AnswerRequest) -> str:
    """The request's filters as `` (filters: k=v, …)`` for the refusal message, or ""."""
    filters = request.filters
    parts = [] if filters is None else [f"{k}={v}" for k, v in filters.model_dump(exclude_none=True).items()]
    if request.as_of is not None:
        parts.append(f"as_of={request.as_of.isoformat()}")
    return f" (filters: {', '.join(parts)})" if parts else ""


def retrieved_passages(passages: list[Passage], citations: list[Citation], top_k: int) -> list[RetrievedPassage]:
    """The passages an answer was drawn from, as the answer contract lists them: at most ``top_k``.

    Passages added beside the ranked ones (a translated article, a card's quotes, a relation's
    evidence, a part's own search) are listed when the answer cites them, in place of the
    lowest-ranked uncited ones.
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


def parts_of_answer(draft: Draft, verified: VerifiedAnswer, analysis: QuestionAnalysis | None) -> tuple[
        str, list[AnswerPart], bool]:
    """The answer text and its parts from a draft in parts and its verification; and whether it abstains.

    A part is answered when it is supported and at least one of its sentences was verified. The
    answer abstains when no part is answered. A single refused part reads "the library does not
    state …" followed by what it does say.
    """
    lang = analysis.lang if analysis is not None else language_data("en")
    by_part: dict[int, list[str]] = {}
    for index, line in verified.lines:
        by_part.setdefault(index, []).append(line)
    answered = [p.supported and bool(by_part.get(i)) for i, p in enumerate(draft.parts)]
    blocks, parts = [], []
    for index, part in enumerate(draft.parts):
        lines = "".join(by_part.get(index, [])).strip()
        if answered[index]:
            text = lines
        elif len(draft.parts) == 1:
            text = f"{part.not_stated}\n\n{lang.messages.closest} {lines}" if part.not_stated and lines else ""
        else:  # one part of several: its message, and the sentence it hedges on (if any)
            text = f"{part.not_stated} {lines}".strip() if part.not_stated else ""
        if text:
            blocks.append(text)
        parts.append(AnswerPart(question=part.question, kind=part.kind, confidence=round(part.confidence, 3),
                                supported=answered[index], text=text, lead=part.lead if answered[index] else None))
    return "\n\n".join(blocks), parts, not any(answered)


def selection_parts(selection: Selection | None) -> list[AnswerPart]:
    """The parts of a question as the selection judged them (for answers drafted without parts, by an LLM)."""
    if selection is None:
        return []
    return [AnswerPart(question=p.part.text, kind=p.part.kind, confidence=round(p.confidence, 3),
                       supported=p.supported) for p in selection.parts]


class Assembler:
    """Turns a turn's draft (or its absence) into the verified answer (the chain's verify step)."""

    def __init__(self, library: Library, retriever: HybridRetriever, knowledge: LibraryKnowledge) -> None:
        """Bind the library, its retriever and the knowledge derived from it."""
        self.library = library
        self.retriever = retriever
        self.knowledge = knowledge

    def assemble(self, turn: Turn) -> Turn:
        """Verify ``turn.draft`` and set ``turn.answer``; no draft (nothing supported) gives the refusal."""
        t0 = time.perf_counter()
        text, citations, abstained = "", [], True
        parts = selection_parts(turn.selection)
        if turn.draft is not None:
            verified = verify_draft(turn.draft, turn.passages, self.retriever.snapshot().idf, self.library.embeddings,
                                    question=turn.query, keep_unsupported=turn.request.raw_draft)
            citations = on_quote_pages(verified.citations, self.retriever.snapshot())
            if turn.draft.parts:
                text, parts, abstained = parts_of_answer(turn.draft, verified, turn.analysis)
            else:
                text, abstained = verified.text, not citations
            if not abstained:
                text += missing_side_note(citations, turn.analysis)
        text, citations = add_status_notes(text, citations, turn.passages, self.retriever.snapshot(), self.knowledge,
                                           turn.analysis, turn.request.as_of)
        if abstained and not citations:
            text = as_of_reason(turn, self.retriever.snapshot(), self.knowledge) + abstention_text(
                turn.query, self.searched_sources(turn), filters_note(turn.request), question_language(turn))
        turn.timings.verify = (time.perf_counter() - t0) * 1000
        turn.timings.total = (time.perf_counter() - turn.started) * 1000
        turn.answer = Answer(
            answer=text,
            abstained=abstained,
            citations=citations,
            parts=parts,
            retrieved=retrieved_passages(
                turn.passages, citations, turn.request.top_k or self.retriever.settings.retrieval.top_k),
            generator=turn.generator,
            timings_ms=turn.timings,
            index_generation=turn.generation,
            as_of=turn.request.as_of,
        )
        return turn

    def searched_sources(self, turn: Turn) -> int:
        """How many sources the turn's filters let retrieval search (all of the library without filters)."""
        snap = self.retriever.snapshot()
        filters = turn.filters
        if filters is None or filters.is_empty():
            return len(snap.metas)
        return len(self.retriever.allowed_sources(snap, filters) or ())
