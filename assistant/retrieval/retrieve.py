"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank, then diversified.

Both retrievers see the same filters. The fused list is capped per source so
one long document cannot fill every slot, and for comparison questions a
per-country quota keeps both sides represented. Readers work on a *snapshot*
of the catalog taken per catalog generation, swapped atomically when an
upload or delete changes the library, so an answer never cites a chunk that
is not in the index it was retrieved from.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from assistant.models import Filters, Passage
from assistant.retrieval.crosslingual import chinese_terms, has_chinese
from ingest.directory import DocumentDirectory
from ingest.embed import common_words, embed_query_cached
from ingest.keywords import KeywordIndex, tokenize
from ingest.library import Library
from ingest.models import Chunk, PageSpan, SourceMeta, date_to_int
from ingest.spelling import Vocabulary
from policychat.errors import IndexUnavailableError, RetrievalError
from policychat.settings import Settings

Mode = Literal["hybrid", "dense", "bm25"]
RRF_K = 60
SNAPSHOT_ATTEMPTS = 5
CJK_DENSE_WEIGHT = 0.2
ZH_TO_EN_WEIGHT = 1.0
_FORMAL_ROLES = frozenset({"preamble", "recital", "boilerplate", "signature", "heading"})
NAMED_WEIGHT = 0.5  # a named document's own best passages: a nudge, not a takeover (press items name it too)
TRANSLATED_WEIGHT = 1.0  # as much as the other lists: 0.5 lost English questions on Chinese-only sources

@dataclass
class Snapshot:
    """Everything a reader needs for one catalog generation."""

    generation: int
    chunks: dict[str, Chunk]
    metas: dict[str, SourceMeta]
    keyword: KeywordIndex
    doc_freq: Counter[str]
    _directory: DocumentDirectory | None = field(default=None, repr=False)
    _vocabulary: Vocabulary | None = field(default=None, repr=False)
    common_words: frozenset[str] = field(default=frozenset(), repr=False)
    dense_ids: list[str] = field(default_factory=list)
    dense_matrix: np.ndarray | None = None
    """Every chunk vector (rows in ``dense_ids`` order) when the library is small enough for exact search."""
    pages: dict[str, list[PageSpan]] = field(default_factory=dict)
    """Page spans of every paginated source, so a citation names the page its quote starts on."""
    hashes: dict[str, str] = field(default_factory=dict)
    """Every source's content hash, so a citation names the version of the source it quotes."""

    def page_at(self, source_id: str, offset: int) -> int | None:
        """1-based page of char ``offset`` in source ``source_id`` (None when it has no pages)."""
        spans = self.pages.get(source_id)
        if not spans:
            return None
        for span in spans:
            if span.start <= offset < span.end:
                return span.page
        return spans[-1].page if offset >= spans[-1].end else spans[0].page

    def directory(self) -> DocumentDirectory:
        """The library's documents by name (aliases), built on first use."""
        if self._directory is None:
            self._directory = DocumentDirectory(self.metas.values())
        return self._directory

    def vocabulary(self) -> Vocabulary:
        """The library's words with their chunk frequencies (for typo tolerance), built on first use."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary(self.doc_freq, self.common_words)
        return self._vocabulary

    def exact_search(self, vector: list[float], k: int, allowed: set[str] | None) -> list[tuple[str, float]]:
        """Top ``k`` chunks by cosine similarity over every vector (ties broken by chunk id).

        Exact, so two libraries built from the same files rank identically (HNSW graphs built
        by several threads do not).
        """
        assert self.dense_matrix is not None
        scores = self.dense_matrix @ np.asarray(vector, dtype=np.float32)
        rows = range(len(self.dense_ids))
        if allowed is not None:
            rows = [i for i in rows if self.chunks[self.dense_ids[i]].source_id in allowed]  # type: ignore[assignment]
        ranked = sorted(rows, key=lambda i: (-round(float(scores[i]), 6), self.dense_ids[i]))[:k]
        return [(self.dense_ids[i], float(scores[i])) for i in ranked]

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of a BM25 token over the chunks."""
        n = max(1, len(self.chunks))
        return math.log(1 + (n - self.doc_freq.get(token, 0) + 0.5) / (self.doc_freq.get(token, 0) + 0.5))


class HybridRetriever:
    """Retrieves passages from a :class:`Library` for a query and filters."""

    def __init__(self, library: Library, settings: Settings) -> None:
        """Bind to a library; the snapshot loads on first use."""
        self.library = library
        self.settings = settings
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The current snapshot, reloaded if the catalog generation moved on."""
        generation = self.library.catalog.generation()
        current = self._snapshot
        if current is not None and current.generation == generation:
            return current
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = self._load_snapshot()
            return self._snapshot

    def _load_snapshot(self) -> Snapshot:
        """Read chunks, sources and BM25 of one generation (re-read if a write landed in between)."""
        catalog = self.library.catalog
        for _ in range(SNAPSHOT_ATTEMPTS):
            generation = catalog.generation()
            chunks = catalog.chunks()
            records = catalog.records()
            metas = {r.meta.id: r.meta for r in records}
            pages = catalog.page_spans()
            keyword = self.library.keyword_index()
            if catalog.generation() == generation and keyword.generation == generation:
                break
        else:
            raise IndexUnavailableError("The library kept changing while it was being read; try again shortly.")
        # A source deleted between the two reads would leave chunks without metadata.
        by_id = {c.chunk_id: c for c in chunks if c.source_id in metas}
        doc_freq: Counter[str] = Counter()
        for chunk in by_id.values():
            doc_freq.update(set(tokenize(chunk.embed_text)))
        snap = Snapshot(generation, by_id, metas, keyword, doc_freq, common_words=common_words(
            self.settings.models.embedding_model
        ), pages={source_id: spans for source_id, spans in pages.items() if spans and source_id in metas},
                        hashes={r.meta.id: r.content_hash for r in records})
        if len(by_id) <= self.settings.retrieval.exact_search_max_chunks:
            stored = self.library.vectors.vectors(sorted(by_id))
            snap.dense_ids = sorted(stored)
            snap.dense_matrix = np.stack([stored[cid] for cid in snap.dense_ids]) if stored else None
        return snap

    def allowed_sources(self, snap: Snapshot, filters: Filters | None) -> set[str] | None:
        """The sources ``filters`` admit in ``snap`` (None: no filter, every source)."""
        if filters is None or filters.is_empty():
            return None
        date_from = date_to_int(filters.date_from.isoformat()) if filters.date_from else None
        date_to = date_to_int(filters.date_to.isoformat()) if filters.date_to else None
        if date_from and date_to and date_from > date_to:
            raise RetrievalError("filters.date_from is after filters.date_to.")
        allowed = set()
        for sid, meta in snap.metas.items():
            if filters.country and meta.country not in filters.country:
                continue
            if filters.doc_type and meta.doc_type not in filters.doc_type:
                continue
            if filters.source_ids and sid not in filters.source_ids:
                continue
            # A month-only date such as 2023-11 (20231100) counts as inside that month.
            if date_from and (meta.date_int == 0 or meta.date_int < date_from - date_from % 100):
                continue
            if date_to and (meta.date_int == 0 or meta.date_int > date_to):
                continue
            allowed.add(sid)
        return allowed

    def retrieve(
        self,
        query: str,
        filters: Filters | None = None,
        top_k: int | None = None,
        *,
        mode: Mode = "hybrid",
        diversify: bool = True,
        sides: Sequence[frozenset[str]] = (),
        prefer_sources: Sequence[str] = (),
        keyword_extra: str = "",
        named_query: str = "",
        translated_query: str | None = None,
    ) -> list[Passage]:
        """Find the best passages for ``query``.

        Args:
            query: the (standalone) question.
            filters: country / doc_type / source_ids / date range restrictions.
            top_k: how many passages to return (default from settings).
            mode: "hybrid" (RRF of dense, BM25 and, for English questions, BM25 on Chinese glossary terms),
                "dense" or "bm25" (for ablations).
            diversify: cap passages per source (``settings.retrieval.per_source_cap``).
            sides: for a comparison, the sources of each side: every side is searched on its own (among its
                sources and the filters') and the sides share the slots in turn.
            prefer_sources: sources the question names ("EO 14110"): their own best passages are
                fused in as one more ranked list.
            keyword_extra: words added to the BM25 query only (the opposite of a yes/no predicate).
            named_query: the keywords to rank the named sources' own passages by (the question without the
                document's name, which every passage of it matches); default ``query``.
            translated_query: the question's terms in the other language (a third ranked list); default: the
                glossary's Chinese terms for an English question.

        Returns:
            Passages, best first, each with fused, dense and keyword scores.
        """
        k = top_k or self.settings.retrieval.top_k
        snap = self.snapshot()
        allowed_sources = self.allowed_sources(snap, filters)
        if allowed_sources is not None and not allowed_sources:
            return []
        named = {s for s in prefer_sources if s in snap.metas and (allowed_sources is None or s in allowed_sources)}
        if sides:
            return self._balanced(query, allowed_sources, sides, k, mode, diversify, snap, named, translated_query)
        ranked = self._fused(query, snap, allowed_sources, mode, named, keyword_extra, named_query, translated_query)
        return self._select(ranked, k, diversify)

    def _balanced(
        self,
        query: str,
        allowed_sources: set[str] | None,
        sides: Sequence[frozenset[str]],
        k: int,
        mode: Mode,
        diversify: bool,
        snap: Snapshot,
        named: set[str] | None = None,
        translated_query: str | None = None,
    ) -> list[Passage]:
        ranked_sides: list[list[Passage]] = []
        for side_sources in sides:
            allowed = {s for s in side_sources if s in snap.metas and (allowed_sources is None or s in allowed_sources)}
            if not allowed:
                continue
            side_named = {s for s in named or set() if s in allowed}
            fused = self._fused(query, snap, allowed, mode, side_named, translated_query=translated_query)
            side = self._select(fused, k, diversify)
            # A document the question names is one side of the comparison: its best passage is
            # among the side's first two, never crowded out by other documents of the side.
            for source_id in sorted(side_named):
                own = [p for p in side if p.chunk.source_id == source_id]
                own += [p for p in fused if p.chunk.source_id == source_id and p not in own]
                # Not a passage that is only a preamble or signature: it states nothing to compare.
                best = next((p for p in own if _substantive(p.chunk)), own[0] if own else None)
                if best is not None and best not in side[:2]:
                    side = [*side[:1], best, *[p for p in side[1:] if p is not best]][:k]
            ranked_sides.append(side)
        merged: list[Passage] = []
        for i in range(k):
            for side in ranked_sides:
                if i < len(side) and len(merged) < k and side[i] not in merged:
                    merged.append(side[i])
        return merged

    def _fused(
        self,
        query: str,
        snap: Snapshot,
        allowed: set[str] | None,
        mode: Mode,
        named: set[str] | None = None,
        keyword_extra: str = "",
        named_query: str = "",
        translated_query: str | None = None,
    ) -> list[Passage]:
        n = self.settings.retrieval.candidates
        dense: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        translated: list[tuple[str, float]] = []
        other = ""
        in_named: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vector = embed_query_cached(self.library.embeddings, query)
            if snap.dense_matrix is not None:
                dense = snap.exact_search(vector, n, allowed)
                if named:
                    in_named = snap.exact_search(vector, n, named)
            else:
                where = {"source_id": {"$in": sorted(allowed)}} if allowed is not None else None
                hits = self.library.vectors.search(vector, n, where)
                dense = [(cid, s) for cid, s in hits if cid in snap.chunks]
        if mode in ("hybrid", "bm25"):
            allowed_chunks = (
                {cid for cid, c in snap.chunks.items() if c.source_id in allowed} if allowed is not None else None
            )
            keyword = snap.keyword.search(f"{query} {keyword_extra}".strip(), n, allowed_chunks)
            # An English question may be answered only by a Chinese source: its policy terms in
            # Chinese are a third ranked list (never mixed into the English BM25 query, where
            # their many CJK n-grams would outscore the English words).
            other = (chinese_terms(query) if translated_query is None else translated_query) if mode == "hybrid" else ""
            if other:
                translated = snap.keyword.search(other, n, allowed_chunks)
        fused: dict[str, float] = {}
        if named and mode == "hybrid":
            named_chunks = {cid for cid, c in snap.chunks.items() if c.source_id in named}
            own_words = f"{named_query or query} {keyword_extra}".strip()
            in_named = _interleave(in_named, snap.keyword.search(own_words, n, named_chunks))
            if other:
                # A named source in the other language is reached through the translated terms.
                in_named = _interleave(in_named, snap.keyword.search(other, n, named_chunks))
        # The packaged embedding model is English-only: for a Chinese question its ranking is mostly noise.
        dense_weight = CJK_DENSE_WEIGHT if has_chinese(query) else 1.0
        # Chinese -> English terms come from a small table and a glossary: a weaker list than the other way.
        translated_weight = TRANSLATED_WEIGHT if not has_chinese(query) else ZH_TO_EN_WEIGHT
        lists = ((dense, dense_weight), (keyword, 1.0), (translated, translated_weight), (in_named, NAMED_WEIGHT))
        for hits, list_weight in lists:
            for rank, (cid, _) in enumerate(hits):
                fused[cid] = fused.get(cid, 0.0) + list_weight / (RRF_K + rank + 1)
        dense_scores, keyword_scores = dict(dense), dict(keyword)
        passages = [
            Passage(
                chunk=snap.chunks[cid],
                meta=snap.metas[snap.chunks[cid].source_id],
                score=score,
                dense=dense_scores.get(cid, 0.0),
                keyword=keyword_scores.get(cid, 0.0),
            )
            for cid, score in fused.items()
            if cid in snap.chunks
        ]
        passages.sort(key=lambda p: (-p.score, p.chunk_id))
        return passages

    def _select(self, ranked: list[Passage], k: int, diversify: bool) -> list[Passage]:
        if not diversify:
            return ranked[:k]
        base_cap = self.settings.retrieval.per_source_cap
        chosen: list[Passage] = []
        per_source: Counter[str] = Counter()
        overflow: list[Passage] = []
        for passage in ranked:
            if per_source[passage.chunk.source_id] < base_cap:
                chosen.append(passage)
                per_source[passage.chunk.source_id] += 1
            else:
                overflow.append(passage)
            if len(chosen) == k:
                return chosen
        # Fewer distinct sources than slots: fill with the best of the rest.
        return chosen + overflow[: k - len(chosen)]


def _substantive(chunk: Chunk) -> bool:
    """Whether a chunk has a sentence that is more than a preamble, recital, boilerplate or signature."""
    return any(role not in _FORMAL_ROLES for _, _, role in chunk.sentences) if chunk.sentences else True


def _interleave(first: list[tuple[str, float]], second: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Two ranked lists merged by alternating, without repeats (the best of each come first)."""
    merged: list[tuple[str, float]] = []
    seen: set[str] = set()
    for i in range(max(len(first), len(second))):
        for hits in (first, second):
            if i < len(hits) and hits[i][0] not in seen:
                seen.add(hits[i][0])
                merged.append(hits[i])
    return merged
