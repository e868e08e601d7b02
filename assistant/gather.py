"""The retrieve stage: the retriever's passages for a turn, and the passages the question needs beyond them.

:class:`Gatherer` asks :class:`~assistant.retrieve.HybridRetriever` with what the
analysis found (documents named, search terms, the question in the library's
other language), then adds what a kind of question is answered by: a named
document's card passages (summaries, "what is X?"), the passage carrying its
date ("when was X signed?") or its signature line ("who signed X?"), the
passages stating relations (status questions), and the other-language version of
a translated article. The passages all come from one catalog generation, which
the turn records.
"""

from __future__ import annotations

import re
import time
from typing import Any

from assistant.compose.leads import same_date
from assistant.crosslingual import has_chinese
from assistant.knowledge import LibraryKnowledge
from assistant.models import Passage
from assistant.retrieve import HybridRetriever
from assistant.turn import Turn
from ingest.library import Library
from ingest.relations import Relation
from ingest.spans import find_spans
from policychat.settings import Settings

RETRIEVE_ATTEMPTS = 5
"""Retrieval is repeated (at most this often) when a write lands while it runs, so all passages share a generation."""

_FOREIGN = re.compile(r"美国|中美|美中|联合国|拜登|特朗普|白宫|欧盟|日本|七国集团|英国|中国日报")
_ASKS_SIGNER = re.compile(r"\bwho\b.{0,40}\bsign(?:ed|s)?\b|\bsigned by\b|谁签署|谁签发|签署人|由谁签署", re.I)


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
        """Fill ``turn.passages`` (and ``cards``, ``generation``, ``timings.retrieve``)."""
        t0 = time.perf_counter()
        # A status question ("Is EO 14110 still in force?") is answered by the documents that act on the
        # named one, so the named document gets no extra weight there.
        refs = turn.analysis.doc_refs if turn.analysis and turn.analysis.kind != "status" else ()
        # Name the catalog generation the passages came from. The snapshot is swapped when a
        # write lands, so retrieve again in the rare case one landed while this was retrieving.
        for _attempt in range(RETRIEVE_ATTEMPTS):
            snap = self.retriever.snapshot()
            turn.passages = self.retriever.retrieve(
                turn.query, turn.request.filters, turn.request.top_k, balance_countries=turn.comparison,
                prefer_sources=refs, keyword_extra=" ".join(turn.analysis.search_terms) if turn.analysis else "",
                named_query=turn.analysis.focus if turn.analysis else "",
                translated_query=self.translated(turn.query, snap, turn.analysis.doc_refs if turn.analysis else ()),
            )
            self._add_card_passages(turn, snap)
            self._add_translation_passages(turn, snap)
            from_snap = all(snap.chunks.get(p.chunk_id) is p.chunk for p in turn.passages)
            if from_snap and self.library.catalog.generation() == snap.generation:
                turn.generation = snap.generation
                break
        turn.timings.retrieve = (time.perf_counter() - t0) * 1000
        return turn

    def translated(self, query: str, snap: Any, refs: tuple[str, ...] = ()) -> str:
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
        card = self.knowledge.card(self.retriever.snapshot(), primary)
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
        for passage in turn.passages[: self.settings.retrieval.top_k]:
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
        """For "when was <document> signed?": the document's first chunk that states its own date."""
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
