"""Sentence vectors of stored chunks, pooled from each chunk's own forward pass at ingest.

Answering scores candidate sentences by their similarity to the question. Running
the model over those sentences at answer time cost most of an answer's latency;
instead the ingest pipeline keeps, for every sentence of every chunk, the mean of
the chunk's contextual token embeddings over that sentence (no extra model work,
see :func:`ingest.embed.encode_with_spans`).

The vectors live in the catalog's SQLite file, in their own table, keyed by chunk
id (which changes whenever the chunk's text changes). They are a cache, never
the source of truth: they are written after the catalog, rows of deleted chunks
are pruned, and a chunk without a row is pooled on the fly at answer time.
A replica, which receives chunks but not their sentence vectors, pools its own
in the background (:func:`fill_sentence_vectors`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.catalog import Catalog
from ingest.embed import Span, encode_with_spans
from ingest.models import Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk_id TEXT PRIMARY KEY, spans TEXT NOT NULL, dim INTEGER NOT NULL, vectors BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS staged_sentence_vectors (
    run TEXT NOT NULL, chunk_id TEXT NOT NULL, spans TEXT NOT NULL, dim INTEGER NOT NULL, vectors BLOB NOT NULL,
    PRIMARY KEY (run, chunk_id)
);
"""
SpanVectors = dict[Span, np.ndarray]
FILL_PAGE = 1000  # chunk ids per look-up when finding chunks without sentence vectors
POOL_BATCH = 32  # chunks per forward pass when a replica fills its sentence-vector cache


def chunk_sentence_spans(chunk: Chunk) -> list[Span]:
    """The sentences of ``chunk.text`` as ``(start, end)`` offsets into it (as answering splits them)."""
    return chunk.sentence_spans()


def pool_chunk_sentences(
    embeddings: Embeddings, chunks: Sequence[Chunk], spans: Sequence[list[Span]] | None = None
) -> tuple[list[list[float]], list[SpanVectors]]:
    """Embed chunks (their ``embed_text``) and pool one vector per sentence of their text.

    Args:
        embeddings: the model.
        chunks: the chunks to embed.
        spans: their sentences (:func:`chunk_sentence_spans`), when the caller has them already.

    Returns:
        ``(chunk_vectors, sentence_vectors)``: the chunk vectors exactly as
        ``embeddings.embed_documents`` gives them, and per chunk ``{(start, end): vector}``
        with offsets into ``chunk.text`` (sentences past the model's window are left out).
    """
    spans = [chunk_sentence_spans(c) for c in chunks] if spans is None else spans
    shifts = [len(c.embed_text) - len(c.text) for c in chunks]
    shifted = [[(s + shift, e + shift) for s, e in row] for row, shift in zip(spans, shifts, strict=True)]
    chunk_vectors, pooled = encode_with_spans(embeddings, [c.embed_text for c in chunks], shifted)
    per_chunk: list[SpanVectors] = []
    for row, vectors in zip(spans, pooled, strict=True):
        per_chunk.append(
            {span: np.asarray(v, dtype=np.float32) for span, v in zip(row, vectors, strict=True) if v is not None}
        )
    return chunk_vectors, per_chunk


class SentenceVectorStore:
    """The ``sentence_vectors`` table of a catalog (one connection per call, thread-safe)."""

    def __init__(self, catalog: Catalog) -> None:
        """Use the table in ``catalog``'s database, creating it if needed."""
        self._catalog = catalog
        with catalog.connect() as db:
            db.executescript(_SCHEMA)

    @property
    def catalog(self) -> Catalog:
        """The catalog whose database holds the table."""
        return self._catalog

    def put(self, rows: Iterable[tuple[str, SpanVectors]]) -> None:
        """Store ``(chunk_id, {span: vector})`` rows, replacing any earlier row of the same chunk."""
        records = [_record(chunk_id, vectors) for chunk_id, vectors in rows]
        with self._catalog.connect() as db:
            db.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?,?,?,?)", records)

    def stage(self, run: str, rows: Iterable[tuple[str, SpanVectors]]) -> None:
        """Keep rows of an ingest run aside (readers never see them) until :meth:`take_staged` or a discard.

        Staging keeps the vectors of a long run on disk instead of in memory, and
        leaves the live table untouched until the run's catalog transaction.
        """
        records = [(run, *_record(chunk_id, vectors)) for chunk_id, vectors in rows]
        with self._catalog.connect() as db:
            db.executemany("INSERT OR REPLACE INTO staged_sentence_vectors VALUES (?,?,?,?,?)", records)

    @staticmethod
    def take_staged(db: sqlite3.Connection, run: str, chunk_ids: Sequence[str]) -> None:
        """Move the staged rows of ``chunk_ids`` into the live table, inside the caller's transaction ``db``."""
        keys = [(run, chunk_id) for chunk_id in chunk_ids]
        db.executemany(
            "INSERT OR REPLACE INTO sentence_vectors SELECT chunk_id, spans, dim, vectors "
            "FROM staged_sentence_vectors WHERE run=? AND chunk_id=?", keys)
        db.executemany("DELETE FROM staged_sentence_vectors WHERE run=? AND chunk_id=?", keys)

    def discard_staged(self, run: str | None = None, chunk_ids: Sequence[str] | None = None) -> None:
        """Drop staged rows: of ``chunk_ids`` in ``run``, of the whole ``run``, or (None) of every run."""
        with self._catalog.connect() as db:
            if run is None:
                db.execute("DELETE FROM staged_sentence_vectors")
            elif chunk_ids is None:
                db.execute("DELETE FROM staged_sentence_vectors WHERE run=?", (run,))
            else:
                db.executemany("DELETE FROM staged_sentence_vectors WHERE run=? AND chunk_id=?",
                               [(run, chunk_id) for chunk_id in chunk_ids])

    def get(self, chunk_ids: Sequence[str]) -> dict[str, SpanVectors]:
        """The stored sentence vectors of the given chunks (chunks without a row are absent)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self._catalog.connect() as db:
            rows = db.execute(
                f"SELECT chunk_id, spans, dim, vectors FROM sentence_vectors WHERE chunk_id IN ({marks})",
                list(chunk_ids),
            ).fetchall()
        return dict(_decode(row) for row in rows)

    def staged(self, run: str, chunk_ids: Sequence[str]) -> dict[str, SpanVectors]:
        """The sentence vectors ``run`` staged for the given chunks (read as :meth:`get` reads stored ones)."""
        with self._catalog.connect() as db:
            rows = [
                row for chunk_id in chunk_ids
                for row in db.execute("SELECT chunk_id, spans, dim, vectors FROM staged_sentence_vectors "
                                      "WHERE run=? AND chunk_id=?", (run, chunk_id))
            ]
        return dict(_decode(row) for row in rows)

    def prune(self) -> int:
        """Delete rows of chunks that are no longer in the catalog; return how many went."""
        with self._catalog.connect() as db:
            return db.execute(
                "DELETE FROM sentence_vectors WHERE chunk_id NOT IN (SELECT chunk_id FROM chunks)"
            ).rowcount

    def count(self) -> int:
        """Number of chunks with stored sentence vectors."""
        with self._catalog.connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0])


def _decode(row: tuple[str, str, int, bytes]) -> tuple[str, SpanVectors]:
    """A table row back into ``(chunk_id, {span: vector})`` (float32 vectors of the stored float16)."""
    chunk_id, spans_json, dim, blob = row
    spans = [tuple(s) for s in json.loads(spans_json)]
    matrix = np.frombuffer(blob, dtype=np.float16).reshape(len(spans), dim).astype(np.float32)
    return chunk_id, {(int(s[0]), int(s[1])): matrix[i] for i, s in enumerate(spans)}


def _record(chunk_id: str, vectors: SpanVectors) -> tuple[str, str, int, bytes]:
    """One table row: chunk id, its spans as JSON, the vector width and the float16 matrix."""
    spans = sorted(vectors)
    matrix = np.asarray([vectors[s] for s in spans], dtype=np.float16).reshape(len(spans), -1)
    return chunk_id, json.dumps(spans), matrix.shape[1], matrix.tobytes()


def sentence_vectors_for(
    store: SentenceVectorStore, embeddings: Embeddings, chunks: Sequence[Chunk]
) -> dict[str, SpanVectors]:
    """Sentence vectors of ``chunks`` by chunk id: stored ones, the rest pooled now (not stored).

    Args:
        store: the library's sentence vector table.
        embeddings: the model, used only for chunks without stored vectors.
        chunks: the retrieved chunks.
    """
    found = store.get([c.chunk_id for c in chunks])
    missing = [c for c in chunks if c.chunk_id not in found]
    if missing:
        _, pooled = pool_chunk_sentences(embeddings, missing)
        found.update({c.chunk_id: vectors for c, vectors in zip(missing, pooled, strict=True)})
    return found


def fill_sentence_vectors(store: SentenceVectorStore, embeddings: Callable[[], Embeddings]) -> int:
    """Pool and store the sentence vectors of catalog chunks that have none; return how many chunks.

    A replica receives chunks but not the writer's sentence-vector cache; without
    it every answer pools its passages' sentences on the fly (measured on the
    shared corpus: about 1 s per answer instead of 50 ms). This runs the same
    pooling as ingest, in batches, and stores the rows in the local cache.

    Args:
        store: the library's sentence vector table (its catalog gives the chunks).
        embeddings: returns the model; called only when some chunk has no vectors.
    """
    chunks = store.catalog.chunks()
    have: set[str] = set()
    for i in range(0, len(chunks), FILL_PAGE):
        have.update(store.get([c.chunk_id for c in chunks[i : i + FILL_PAGE]]))
    missing = [c for c in chunks if c.chunk_id not in have]
    for i in range(0, len(missing), POOL_BATCH):
        part = missing[i : i + POOL_BATCH]
        _, pooled = pool_chunk_sentences(embeddings(), part)
        store.put(zip([c.chunk_id for c in part], pooled, strict=True))
    return len(missing)
