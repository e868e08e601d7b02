"""The catalog: an SQLite file holding every source, its stored text and its chunks.

It is the source of truth that the vector and keyword indexes are checked
against. Each source is replaced in a single transaction, and every change bumps
a ``generation`` counter that the BM25 index and the readers' snapshots key on.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingest.models import Chunk, PageSpan, Source, SourceMeta
from policychat.errors import IngestError, SourceNotFoundError, StorageFullError, is_disk_full

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, content_hash TEXT NOT NULL, meta TEXT NOT NULL,
    text TEXT NOT NULL, pages TEXT NOT NULL, n_chunks INTEGER NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, source_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, page INTEGER, section TEXT NOT NULL,
    text TEXT NOT NULL, embed_text TEXT NOT NULL, sentences TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source_id, position);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class SourceRecord:
    """A catalogued source without its text: metadata, file, hash and counts."""

    meta: SourceMeta
    path: str
    content_hash: str
    n_chunks: int
    n_pages: int
    updated_at: float


class Catalog:
    """SQLite-backed catalog of sources and chunks (one connection per call, thread-safe)."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the catalog database at ``path``."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
            if "sentences" not in columns:  # catalogs written before sentence roles existed
                db.execute("ALTER TABLE chunks ADD COLUMN sentences TEXT NOT NULL DEFAULT '[]'")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection to the catalog file inside one transaction (committed on exit, rolled back on error).

        Raises:
            StorageFullError: the disk is full; IngestError: any other SQLite failure.
        """
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                yield db
        except sqlite3.OperationalError as exc:
            if is_disk_full(exc):
                raise StorageFullError(f"no space left for the catalog ({exc}); free some space and run the write "
                                       "again (the catalog is unchanged)", str(self.path)) from exc
            raise IngestError(f"catalog write failed ({exc}); is the disk full?", str(self.path)) from exc
        finally:
            db.close()

    def generation(self) -> int:
        """A counter bumped by every change; 0 for a new catalog."""
        with self.connect() as db:
            row = db.execute("SELECT value FROM state WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO state(key, value) VALUES('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def hashes(self) -> dict[str, str]:
        """{source id: content hash} of every catalogued source."""
        with self.connect() as db:
            return dict(db.execute("SELECT id, content_hash FROM sources").fetchall())

    def page_spans(self) -> dict[str, list[PageSpan]]:
        """{source id: its page spans} (empty lists for unpaginated sources)."""
        with self.connect() as db:
            rows = db.execute("SELECT id, pages FROM sources").fetchall()
        return {source_id: [PageSpan(*p) for p in json.loads(pages)] for source_id, pages in rows}

    def put_sources(
        self, items: list[tuple[Source, str, list[Chunk]]], also: Callable[[sqlite3.Connection], None] | None = None
    ) -> list[list[str]]:
        """Replace several sources in ONE transaction: readers see all of them or none.

        Many small sources are stored much faster this way (opening and closing a
        connection costs a WAL checkpoint), and an ingest job's sources appear together.

        Args:
            items: ``(source, file path, chunks)`` per source.
            also: more writes to commit in the same transaction (given the connection),
                e.g. the sources' staged sentence vectors.

        Returns:
            For each item, the chunk ids its source had before (for dropping stale vectors).
        """
        with self.connect() as db:
            olds = [self._put(db, source, path, chunks) for source, path, chunks in items]
            if also is not None:
                also(db)
        return olds

    def _put(self, db: sqlite3.Connection, source: Source, path: str, chunks: list[Chunk]) -> list[str]:
        pages = json.dumps([[p.page, p.start, p.end] for p in source.pages])
        old = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE source_id=?", (source.id,))]
        db.execute("DELETE FROM chunks WHERE source_id=?", (source.id,))
        db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?,?,?,?,?,?,?,?)",
            (
                source.id,
                path,
                source.content_hash,
                json.dumps(source.meta.to_dict(), ensure_ascii=False),
                source.text,
                pages,
                len(chunks),
                time.time(),
            ),
        )
        db.executemany(
            'INSERT INTO chunks (chunk_id, source_id, position, start, "end", page, section, text, embed_text, '
            "sentences) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    c.chunk_id, c.source_id, c.position, c.start, c.end, c.page, c.section, c.text, c.embed_text,
                    json.dumps([list(s) for s in c.sentences]),
                )
                for c in chunks
            ],
        )
        self._bump(db)
        return old

    def remove_source(self, source_id: str) -> list[str]:
        """Delete a source and its chunks; return the removed chunk ids.

        Raises:
            SourceNotFoundError: no such source.
        """
        with self.connect() as db:
            ids = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE source_id=?", (source_id,))]
            deleted = db.execute("DELETE FROM sources WHERE id=?", (source_id,)).rowcount
            if not deleted:
                raise SourceNotFoundError(f"No source with id {source_id!r}; `policychat sources` lists the ids.")
            db.execute("DELETE FROM chunks WHERE source_id=?", (source_id,))
            self._bump(db)
        return ids

    def forget_hash(self, source_id: str) -> None:
        """Blank a source's hash so the next ingest re-does it (used by repair)."""
        with self.connect() as db:
            db.execute("UPDATE sources SET content_hash='' WHERE id=?", (source_id,))

    def state(self, key: str) -> str | None:
        """A value of the ``state`` table (where ``generation`` lives too); None when unset."""
        with self.connect() as db:
            row = db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def apply(
        self, puts: list[tuple[Source, str, list[Chunk]]], removals: list[str], state: dict[str, str] | None = None
    ) -> None:
        """Replace ``puts``, delete the sources ``removals`` and set ``state`` keys, all in ONE transaction.

        The generation moves on (only when a source changed) in the same commit, so
        readers see the whole change at once. Replicas apply what they read from the Chroma
        server this way (:mod:`ingest.sync`).
        """
        with self.connect() as db:
            for source, path, chunks in puts:
                self._put(db, source, path, chunks)
            for source_id in removals:
                db.execute("DELETE FROM sources WHERE id=?", (source_id,))
                db.execute("DELETE FROM chunks WHERE source_id=?", (source_id,))
            if removals and not puts:
                self._bump(db)  # (each put bumped already; readers only ever see the committed value)
            db.executemany("INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)", list((state or {}).items()))

    def records(self) -> list[SourceRecord]:
        """All sources, ordered by id."""
        with self.connect() as db:
            rows = db.execute(
                "SELECT meta, path, content_hash, n_chunks, pages, updated_at FROM sources ORDER BY id"
            ).fetchall()
        return [
            SourceRecord(SourceMeta(**json.loads(m)), p, h, n, len(json.loads(pg)), u) for m, p, h, n, pg, u in rows
        ]

    def source(self, source_id: str) -> Source:
        """The full source (text, pages) by id; raises SourceNotFoundError."""
        with self.connect() as db:
            row = db.execute("SELECT meta, text, content_hash, pages FROM sources WHERE id=?", (source_id,)).fetchone()
        if row is None:
            raise SourceNotFoundError(f"No source with id {source_id!r}; `policychat sources` lists the ids.")
        meta, text, content_hash, pages = row
        return Source(
            meta=SourceMeta(**json.loads(meta)),
            text=text,
            content_hash=content_hash,
            pages=[PageSpan(*p) for p in json.loads(pages)],
        )

    def chunks(self, source_id: str | None = None) -> list[Chunk]:
        """All chunks (of one source, when given), in source and position order."""
        query = (
            'SELECT chunk_id, source_id, position, start, "end", page, section, text, embed_text, sentences '
            "FROM chunks"
        )
        args: tuple[str, ...] = ()
        if source_id is not None:
            query += " WHERE source_id=?"
            args = (source_id,)
        with self.connect() as db:
            rows = db.execute(query + " ORDER BY source_id, position", args).fetchall()
        return [
            Chunk(cid, sid, pos, text, s, e, page, sec, emb, tuple((a, b, r) for a, b, r in json.loads(sents)))
            for cid, sid, pos, s, e, page, sec, text, emb, sents in rows
        ]

    def chunk_ids_by_source(self) -> dict[str, set[str]]:
        """{source id: set of its chunk ids}."""
        out: dict[str, set[str]] = {}
        with self.connect() as db:
            for cid, sid in db.execute("SELECT chunk_id, source_id FROM chunks"):
                out.setdefault(sid, set()).add(cid)
        return out
