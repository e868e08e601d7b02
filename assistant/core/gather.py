"""The retrieve stage: the passages a turn's analysis needs, from the retriever and from the library's structure.

:class:`Gatherer` asks :class:`~assistant.retrieval.retrieve.HybridRetriever` for the
standalone query (with the documents the question names, its extra search terms
and its words in the library's other language); a question in several parts is
also searched part by part; a comparison is searched side by side. Then each
part's kind adds its passes (:meth:`assistant.core.kinds.KindSpec.passes`): a
named document's card passages, its own dated passage or signature lines, the
passages stating relations; and the other-language version of a translated
article joins the passage it translates. All passages come from one catalog
generation, which the turn records.
"""

from __future__ import annotations

import re
import time
from typing import Any

from assistant.core.analysis import QuestionAnalysis
from assistant.core.kinds import Pass, kind
from assistant.core.lang import has_cjk
from assistant.core.turn import Turn
from assistant.models import Filters, Passage
from assistant.retrieval.knowledge import LibraryKnowledge
from assistant.retrieval.retrieve import HybridRetriever
from ingest.library import Library
from ingest.spans import find_spans
from policychat.settings import Settings

RETRIEVE_ATTEMPTS = 5
"""Retrieval is repeated (at most this often) when a write lands while it runs, so all passages share a generation."""
PER_PART = 4
"""Passages added per part of a question in several parts (beyond the whole question's)."""
EXTRA_CANDIDATE_PASSAGES = 4
"""Passages retrieved beyond ``top_k`` for the selector to choose sentences from (an answer lists ``top_k``,
and any further passage it cites)."""
NOTHING = Filters(source_ids=["\x00"])
"""Filters no source passes: on an ``as_of`` day before every source of the library (nothing is retrieved)."""
_FOREIGN = re.compile(r"美国|中美|美中|联合国|拜登|特朗普|白宫|欧盟|日本|七国集团|英国|中国日报")


class Gatherer:
    """Finds the passages of a turn (the chain's retrieve step)."""

    def __init__(self, library: Library, retriever: HybridRetriever, knowledge: LibraryKnowledge,
                 settings: Settings) -> None:
        """Bind the library, its retriever and the knowledge derived from it."""
        self.library = library
        self.retriever = retriever
        self.knowledge = knowledge
        self.settings = settings

    def gather(self, turn: Turn) -> Turn:
        """Fill ``turn.passages`` (and ``cards``, ``generation``, ``timings.retrieve``) from ``turn.analysis``."""
        t0 = time.perf_counter()
        analysis = turn.analysis
        assert analysis is not None, "the analyze step runs before retrieval"
        for _attempt in range(RETRIEVE_ATTEMPTS):
            snap = self.retriever.snapshot()
            turn.filters = self._filters(turn, snap)
            turn.passages = self._retrieve(turn, analysis, snap) if turn.filters is not NOTHING else []
            for part in analysis.parts:
                for extra in kind(part.kind).passes(part, analysis):
                    self._run_pass(extra, turn, snap)
            if turn.request.as_of is not None and any(part.kind == "status" for part in analysis.parts):
                self._add_opening_passages(turn, snap, analysis.doc_refs)
            self._add_translation_passages(turn, snap)
            from_snap = all(snap.chunks.get(p.chunk_id) is p.chunk for p in turn.passages)
            if from_snap and self.library.catalog.generation() == snap.generation:
                turn.generation = snap.generation
                break
        turn.timings.retrieve = (time.perf_counter() - t0) * 1000
        return turn

    def _filters(self, turn: Turn, snap: Any) -> Filters | None:
        """The request's filters; with ``as_of``, narrowed to the sources in force that day (:data:`NOTHING`: none)."""
        request = turn.request
        if request.as_of is None:
            return request.filters
        in_force = self.knowledge.in_force_on(snap, request.as_of)
        turn.in_force = set(in_force)
        filters = request.filters or Filters()
        if filters.source_ids:
            in_force &= set(filters.source_ids)
        analysis = turn.analysis
        named = [ref for ref in analysis.doc_refs if ref in snap.metas] if analysis is not None else []
        asks_status = analysis is not None and any(part.kind == "status" for part in analysis.parts)
        if not in_force or (named and not asks_status and not in_force & set(named)):
            return NOTHING  # nothing in force that day, or not the document the question is about
        return filters.model_copy(update={"source_ids": sorted(in_force)})

    def _retrieve(self, turn: Turn, analysis: QuestionAnalysis, snap: Any) -> list[Passage]:
        """The ranked passages: the whole question's (side by side for a comparison), then each part's best."""
        # A status question ("Is EO 14110 still in force?") is answered by the documents that act on the
        # named one, so the named document gets no extra weight there.
        refs = analysis.doc_refs if analysis.kind != "status" else ()
        request = turn.request
        sides = [side.source_ids for side in analysis.sides if side.source_ids]
        query = analysis.query
        if sides:
            query = next((p.query for part in analysis.parts for p in kind(part.kind).passes(part, analysis)
                          if p.what == "side"), query)
        k = (request.top_k or self.settings.retrieval.top_k) + EXTRA_CANDIDATE_PASSAGES
        passages = self.retriever.retrieve(
            query, turn.filters, k, sides=sides, prefer_sources=refs,
            keyword_extra=" ".join(analysis.search_terms), named_query=analysis.focus,
            translated_query=self.translated(query, snap, analysis.doc_refs),
        )
        if len(analysis.parts) > 1:
            have = {p.chunk_id for p in passages}
            for part in analysis.parts:
                found = self.retriever.retrieve(
                    part.text, turn.filters, PER_PART, prefer_sources=refs, named_query=part.focus,
                    translated_query=self.translated(part.text, snap, analysis.doc_refs),
                )
                passages += [p for p in found if p.chunk_id not in have]
                have |= {p.chunk_id for p in found}
        return passages

    def translated(self, query: str, snap: Any, refs: tuple[str, ...] = ()) -> str:
        """The query's terms in the library's other language (Chinese for English and back).

        A Chinese question gets English terms only when it points at an English-language source
        (a document it names, the United States or the UN, a Latin-script name): otherwise
        English passages would crowd out the Chinese ones that answer it.
        """
        table = self.knowledge.bilingual(snap)
        if not has_cjk(query):
            return table.to_chinese(query)
        english_source = any(snap.metas[r].language == "en" for r in refs if r in snap.metas)
        latin = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", query)} - {"ai", "tc260", "tc260-003"}
        if english_source or latin or _FOREIGN.search(query):
            return table.to_english(query)
        return ""

    def _run_pass(self, extra: Pass, turn: Turn, snap: Any) -> None:
        if extra.what == "card":
            self._add_card_passages(turn, snap, extra.source_ids)
        elif extra.what == "dated":
            self._add_dated_passages(turn, snap, extra.source_ids)
        elif extra.what == "signature":
            self._add_signature_passages(turn, snap, extra.source_ids)
        elif extra.what == "relations":
            self._add_evidence_passages(turn, snap)

    def _add(self, turn: Turn, passages: list[Passage]) -> None:
        have = {p.chunk_id for p in turn.passages}
        for passage in passages:
            if passage.chunk_id not in have:
                turn.passages.append(passage)
                have.add(passage.chunk_id)

    def _add_card_passages(self, turn: Turn, snap: Any, source_ids: tuple[str, ...]) -> None:
        """The card (and its passages) of the named document, or of the top-ranked one."""
        targets = [i for i in source_ids if i in snap.metas]
        if not targets and turn.passages:
            targets = [turn.passages[0].chunk.source_id]
        allowed = self.retriever.allowed_sources(snap, turn.filters)
        primary = snap.directory().primary(t for t in targets if allowed is None or t in allowed)
        if primary is None:
            return
        card = self.knowledge.card(snap, primary)
        turn.cards[primary] = card
        meta = snap.metas[primary]
        self._add(turn, [Passage(snap.chunks[cid], meta, 0.0) for cid in card.chunk_ids() if cid in snap.chunks])

    def _add_translation_passages(self, turn: Turn, snap: Any) -> None:
        """For passages of a translated work, the same article in the work's other language."""
        articles = self.knowledge.articles(snap)
        if not articles.markers:
            return
        added = []
        for passage in turn.passages[: self.settings.retrieval.top_k]:
            if passage.chunk_id not in articles.markers:
                continue
            found = articles.counterpart(passage.chunk.source_id, passage.chunk_id, len(passage.chunk.text) // 2)
            if found is not None and found[1] in snap.chunks:
                chunk = snap.chunks[found[1]]
                added.append(Passage(chunk, snap.metas[chunk.source_id], 0.0))
        self._add(turn, added)

    def _add_evidence_passages(self, turn: Turn, snap: Any) -> None:
        """Status questions: the passages stating each relation (they are what the answer cites)."""
        added = []
        for relation in self.knowledge.relations(snap, turn.request.as_of):
            evidence = relation.evidence
            if evidence is not None and evidence.chunk_id in snap.chunks:
                chunk = snap.chunks[evidence.chunk_id]
                added.append(Passage(chunk, snap.metas[chunk.source_id], 0.0))
        self._add(turn, added)

    def _add_opening_passages(self, turn: Turn, snap: Any, source_ids: tuple[str, ...]) -> None:
        """For "was X in force on <day>?": the named documents' first chunks, whatever the day admits.

        A status answer as of a day cites them for "X was in force" or "X had not been issued".
        """
        firsts: dict[str, Any] = {}
        for chunk in snap.chunks.values():
            if chunk.source_id in source_ids and (
                    chunk.source_id not in firsts or chunk.position < firsts[chunk.source_id].position):
                firsts[chunk.source_id] = chunk
        self._add(turn, [Passage(chunk, snap.metas[sid], 0.0) for sid, chunk in firsts.items()])

    def _add_dated_passages(self, turn: Turn, snap: Any, source_ids: tuple[str, ...]) -> None:
        """For "when was <document> signed?": the document's first chunk that states its own date."""
        from assistant.core.dates import same_date

        added = []
        for source_id in source_ids:
            meta = snap.metas.get(source_id)
            if meta is None or len(meta.date) < 10:
                continue
            chunks = sorted((c for c in snap.chunks.values() if c.source_id == source_id), key=lambda c: c.position)
            dated = next(
                (c for c in chunks if any(same_date(s.text, meta.date) for s in find_spans(c.text, "date"))), None
            )
            if dated is not None:
                added.append(Passage(dated, meta, 0.0))
        self._add(turn, added)

    def _add_signature_passages(self, turn: Turn, snap: Any, source_ids: tuple[str, ...]) -> None:
        """For "who signed <document>?": the document's last chunk that holds a signature line."""
        added = []
        for source_id in source_ids:
            meta = snap.metas.get(source_id)
            signed = [c for c in snap.chunks.values() if c.source_id == source_id
                      and any(role == "signature" for _, _, role in c.sentences)]
            if meta is not None and signed:
                added.append(Passage(max(signed, key=lambda c: c.position), meta, 0.0))
        self._add(turn, added)

