"""What the answering side knows about the library's documents: cards, relations, standings, display names.

One :class:`LibraryKnowledge` per service. Cards come from the catalog (built at
ingest) or are built on first use; relations and standings are read once per
catalog generation. Everything is keyed by the generation of the snapshot an
answer reads, so an answer never mixes two versions of the library.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from ingest.cards import Card
from ingest.models import SourceMeta
from ingest.relations import NOT_IN_FORCE, Relation, Standing, statuses

if TYPE_CHECKING:
    from assistant.retrieve import Snapshot
    from ingest.library import Library


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

    def relations(self, snap: Snapshot) -> list[Relation]:
        """Every relation between the library's sources (catalog-stated and found in text)."""
        return self._load(snap)[0]

    def standings(self, snap: Snapshot) -> dict[str, Standing]:
        """Each source's status with its evidence."""
        return self._load(snap)[1]

    def not_in_force(self, snap: Snapshot) -> list[Standing]:
        """Sources referred to as revoked, rescinded or superseded, by source id."""
        return [s for _, s in sorted(self.standings(snap).items()) if s.status in NOT_IN_FORCE]
