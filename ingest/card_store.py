"""Where cards and relations live: two tables in the catalog's SQLite file.

Cards are computed at ingest for every new or changed source and kept with the
content hash of the source they describe, so an unchanged re-ingest builds none.
Relations and statuses span the whole library, so they are computed once per
catalog generation (when anything changed) and stored under that generation.
Both are caches: a reader that finds a card missing or stale (a replica that
synced sources, a newer card recipe) builds it on the spot.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ingest.card_items import CardItem
from ingest.cards import CARD_VERSION, Card
from ingest.catalog import Catalog
from ingest.relations import Relation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    source_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, version INTEGER NOT NULL, card TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS derived (key TEXT PRIMARY KEY, generation INTEGER NOT NULL, value TEXT NOT NULL);
"""


class CardStore:
    """The ``cards`` and ``derived`` tables of a catalog (one connection per call, thread-safe)."""

    def __init__(self, catalog: Catalog) -> None:
        """Use the tables in ``catalog``'s database, creating them if needed."""
        self._catalog = catalog
        with catalog.connect() as db:
            db.executescript(_SCHEMA)

    def put(self, cards: Iterable[tuple[Card, str]]) -> None:
        """Store ``(card, content hash of its source)`` pairs, replacing older cards of the same sources."""
        with self._catalog.connect() as db:
            self.write(db, cards)

    @staticmethod
    def write(db: sqlite3.Connection, cards: Iterable[tuple[Card, str]]) -> None:
        """:meth:`put` inside the caller's transaction ``db`` (an ingest commits cards with their sources)."""
        rows = [(c.source_id, h, c.version, json.dumps(c.to_dict(), ensure_ascii=False)) for c, h in cards]
        db.executemany("INSERT OR REPLACE INTO cards VALUES (?,?,?,?)", rows)

    def get(self, source_id: str, content_hash: str) -> Card | None:
        """The stored card of a source, or None when missing, built from other content or by another recipe."""
        with self._catalog.connect() as db:
            row = db.execute(
                "SELECT content_hash, version, card FROM cards WHERE source_id=?", (source_id,)
            ).fetchone()
        if row is None or row[0] != content_hash or row[1] != CARD_VERSION:
            return None
        return Card.from_dict(json.loads(row[2]))

    def prune(self) -> int:
        """Delete the cards of sources no longer in the catalog; return how many went."""
        with self._catalog.connect() as db:
            return db.execute("DELETE FROM cards WHERE source_id NOT IN (SELECT id FROM sources)").rowcount

    def put_relations(self, generation: int, relations: Iterable[Relation]) -> None:
        """Store the library's relations as computed for catalog ``generation``."""
        value = json.dumps([r.to_dict() for r in relations], ensure_ascii=False)
        with self._catalog.connect() as db:
            db.execute("INSERT OR REPLACE INTO derived VALUES ('relations', ?, ?)", (generation, value))

    def relations(self, generation: int) -> list[Relation] | None:
        """The relations stored for ``generation``, or None when they were computed for another one."""
        with self._catalog.connect() as db:
            row = db.execute("SELECT generation, value FROM derived WHERE key='relations'").fetchone()
        if row is None or int(row[0]) != generation:
            return None
        relations = []
        for data in json.loads(row[1]):
            evidence = data.pop("evidence")
            relations.append(Relation(**data, evidence=CardItem(**evidence) if evidence else None))
        return relations
