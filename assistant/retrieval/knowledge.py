"""What the answering side knows about the library's documents: cards, relations, standings, display names.

One :class:`LibraryKnowledge` per service. Cards come from the catalog (built at
ingest) or are built on first use; relations and standings are read once per
catalog generation. Everything is keyed by the generation of the snapshot an
answer reads, so an answer never mixes two versions of the library.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from typing import TYPE_CHECKING

from assistant.retrieval.as_of import in_force_on, standings_as_of
from assistant.retrieval.crosslingual import BilingualTable, derive_term_pairs
from assistant.retrieval.numerals import chinese_number
from ingest.cards import Card
from ingest.models import SourceMeta
from ingest.relations import NOT_IN_FORCE, Relation, Standing, statuses

if TYPE_CHECKING:
    from assistant.retrieval.retrieve import Snapshot
    from ingest.library import Library


AS_OF_CACHE = 32
"""Standings kept for this many different ``as_of`` days per library generation."""


def display_name(meta: SourceMeta) -> str:
    """A short name for a source in an answer: its parenthetical name ("Executive Order 14110"), else its title.

    "Removing Barriers to American Leadership in Artificial Intelligence (Executive Order 14179)" ->
    "Executive Order 14179"; "Winning the Race: America's AI Action Plan" -> "America's AI Action Plan".
    """
    inner = [p for p in re.findall(r"\(([^()]{4,80})\)", meta.title) if not p.lower().startswith(("english", "report"))]
    for name in inner:
        if re.search(r"\d|[A-Z]{2,}|Memorandum|Rule|Order|Measures", name) and "," not in name:
            return name.strip()
    title = re.sub(r"\s*\([^()]*\)", "", meta.title).strip()
    title = title.split(":", 1)[1].strip() if ":" in title and len(title.split(":", 1)[1]) > 10 else title
    return title if len(title) <= 90 else title[:87].rstrip() + "…"


class LibraryKnowledge:
    """Cards, relations and standings of one library, per catalog generation."""

    def __init__(self, library: Library) -> None:
        """Serve the given library."""
        self.library = library
        self._lock = threading.Lock()
        self._cards: dict[tuple[int, str], Card] = {}
        self._relations: tuple[int, list[Relation], dict[str, Standing]] | None = None
        self._dated: dict[tuple[int, date], tuple[list[Relation], dict[str, Standing]]] = {}
        self._articles: tuple[int, ArticleIndex] | None = None
        self._bilingual: tuple[int, BilingualTable] | None = None

    def card(self, snap: Snapshot, source_id: str) -> Card:
        """The card of ``source_id`` as of ``snap``."""
        key = (snap.generation, source_id)
        card = self._cards.get(key)
        if card is None:
            chunks = sorted((c for c in snap.chunks.values() if c.source_id == source_id), key=lambda c: c.position)
            card = self.library.card(self.library.catalog.source(source_id), chunks)
            with self._lock:
                self._cards = {k: v for k, v in self._cards.items() if k[0] == snap.generation}
                self._cards[key] = card
        return card

    def _load(self, snap: Snapshot) -> tuple[list[Relation], dict[str, Standing]]:
        current = self._relations
        if current is None or current[0] != snap.generation:
            relations = self.library.relations()
            standings = statuses(snap.metas.values(), relations)
            with self._lock:
                self._relations = current = (snap.generation, relations, standings)
        return current[1], current[2]

    def relations(self, snap: Snapshot, as_of: date | None = None) -> list[Relation]:
        """The relations between the library's sources (catalog and text); with ``as_of``, those stated by then."""
        return self._load(snap)[0] if as_of is None else self._as_of(snap, as_of)[0]

    def standings(self, snap: Snapshot, as_of: date | None = None) -> dict[str, Standing]:
        """Each source's status with its evidence, now or as the library had it on ``as_of``."""
        return self._load(snap)[1] if as_of is None else self._as_of(snap, as_of)[1]

    def in_force_on(self, snap: Snapshot, as_of: date) -> set[str]:
        """The sources issued by ``as_of`` (or undated) and not revoked, rescinded or superseded by then."""
        return in_force_on(snap.metas, self.standings(snap, as_of), as_of)

    def _as_of(self, snap: Snapshot, as_of: date) -> tuple[list[Relation], dict[str, Standing]]:
        key = (snap.generation, as_of)
        found = self._dated.get(key)
        if found is None:
            found = standings_as_of(snap.metas.values(), self._load(snap)[0], as_of)
            with self._lock:
                self._dated = {k: v for k, v in self._dated.items() if k[0] == snap.generation}
                if len(self._dated) >= AS_OF_CACHE:
                    self._dated.pop(next(iter(self._dated)))
                self._dated[key] = found
        return found

    def articles(self, snap: Snapshot) -> ArticleIndex:
        """The article index of the library's translated works, as of ``snap``."""
        current = self._articles
        if current is None or current[0] != snap.generation:
            directory = snap.directory()
            works = {sid: directory.same_work(sid) for sid in snap.metas}
            by_source: dict[str, list] = {}
            for chunk in snap.chunks.values():
                if len(works.get(chunk.source_id, ())) > 1:
                    by_source.setdefault(chunk.source_id, []).append(chunk)
            current = (snap.generation, ArticleIndex(by_source, works))
            with self._lock:
                self._articles = current
        return current[1]

    def bilingual(self, snap: Snapshot) -> BilingualTable:
        """The term table of this library: pairs learned from its translated works, plus the glossary."""
        current = self._bilingual
        if current is None or current[0] != snap.generation:
            directory = snap.directory()
            parallel: list[tuple[str, str]] = []
            seen: set[frozenset[str]] = set()
            for source_id, meta in snap.metas.items():
                work = frozenset(directory.same_work(source_id))
                if len(work) < 2 or work in seen or meta.language != "zh":
                    continue
                seen.add(work)
                for other in sorted(work - {source_id}):
                    if snap.metas[other].language == "en":
                        catalog = self.library.catalog
                        parallel.append((catalog.source(source_id).text, catalog.source(other).text))
            def frequency(token: str) -> int:
                return int(snap.doc_freq.get(token, 0))

            current = (snap.generation, BilingualTable(derive_term_pairs(parallel), frequency))
            with self._lock:
                self._bilingual = current
        return current[1]

    def not_in_force(self, snap: Snapshot) -> list[Standing]:
        """Sources referred to as revoked, rescinded or superseded, by source id."""
        return [s for _, s in sorted(self.standings(snap).items()) if s.status in NOT_IN_FORCE]


_ARTICLE = re.compile(r"第([一二三四五六七八九十百零〇\d]{1,6})条|\bArticle\s+(\d{1,3})\b")


class ArticleIndex:
    """Where each article of a translated work starts, in both languages ("第十六条" <-> "Article 16")."""

    def __init__(self, chunks_by_source: dict[str, list], works: dict[str, set[str]]) -> None:
        """Index the chunks of every source that has a translation (``works``: source id -> same work)."""
        self.works = works
        self.first_chunk: dict[tuple[str, int], str] = {}
        self.markers: dict[str, list[tuple[int, int]]] = {}
        for source_id, chunks in chunks_by_source.items():
            if len(works.get(source_id, ())) < 2:
                continue
            current: int | None = None
            for chunk in sorted(chunks, key=lambda c: c.position):
                marks = [(m.start(), chinese_number(m.group(1) or m.group(2))) for m in _ARTICLE.finditer(chunk.text)]
                if current is not None:
                    marks.insert(0, (0, current))
                self.markers[chunk.chunk_id] = marks
                for _offset, number in marks:
                    self.first_chunk.setdefault((source_id, number), chunk.chunk_id)
                if marks:
                    current = marks[-1][1]

    def article_at(self, chunk_id: str, offset: int) -> int | None:
        """The article a position of a chunk belongs to (None outside any article)."""
        found = None
        for start, number in self.markers.get(chunk_id, []):
            if start <= offset:
                found = number
        return found

    def counterpart(self, source_id: str, chunk_id: str, offset: int) -> tuple[str, int] | None:
        """``(other source id, chunk id)`` of the same article in the work's other language, if any."""
        number = self.article_at(chunk_id, offset)
        if number is None:
            return None
        for other in sorted(self.works.get(source_id, set()) - {source_id}):
            target = self.first_chunk.get((other, number))
            if target is not None:
                return other, target  # type: ignore[return-value]
        return None
