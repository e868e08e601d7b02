"""The library: catalog + vector index + keyword index, kept consistent.

Write order for one source (what makes a crash at any point recoverable):

1. upsert the new chunk vectors (orphans until step 2; ids are content-derived,
   so re-running never duplicates them);
2. replace the source and its chunks in the catalog in one SQLite transaction
   (which also moves the run's staged sentence vectors into the live table and
   stores the source's document card);
3. delete the vectors of chunks the source no longer has.

:meth:`Library.put_sources` does the same for a group of sources at once
(all their vectors, then one catalog transaction for all of them, then the stale
vectors), which is what makes thousands of small files fast to store and an
upload job's sources appear together.

:meth:`Library.repair` deletes vectors the catalog does not know (left by a
crash before step 2 or 3), drops staged sentence vectors no run is using, and
marks sources whose vectors are missing for re-ingest; the BM25 index is rebuilt
whenever its generation differs from the catalog's. Writers take an exclusive
file lock on the data directory.

With a Chroma server, each write also publishes its source records there
between steps 1 and 2 (removals: before the catalog), and ``repair`` first
syncs the catalog from the server, so several machines share one library. That
is the job of the *publisher* the library is given (:class:`Publishing`,
implemented by :class:`ingest.publish.Publisher`; :func:`ingest.publish.open_library`
opens a library with the right one): this module never imports it.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.card_store import CardStore
from ingest.cards import Card, build_card
from ingest.catalog import Catalog
from ingest.embed import load_embeddings
from ingest.keywords import KeywordIndex
from ingest.models import Chunk, Source
from ingest.relations import Relation, library_relations
from ingest.remote import Record, RemoteStore
from ingest.sentence_vectors import SentenceVectorStore
from ingest.vectors import VectorIndex, open_vector_index
from policychat.errors import ConfigError, IngestError, PolicychatError, StorageFullError
from policychat.settings import Settings


@dataclass(frozen=True)
class RepairReport:
    """What :meth:`Library.repair` found: orphan vectors removed, sources marked stale."""

    orphans_removed: int
    stale_sources: list[str]
    keyword_rebuilt: bool


class Publishing(Protocol):
    """What a server-mode library writes through: :class:`ingest.publish.Publisher`.

    Every method raises :class:`~policychat.errors.IndexUnavailableError` when the
    Chroma server cannot be reached or does not answer in time.
    """

    @property
    def remote(self) -> RemoteStore:
        """The library's collections on the Chroma server."""
        ...

    def publish(self, items: Sequence[Record]) -> None:
        """Publish ``(source, path, chunks)`` records (after their vectors, before the catalog)."""
        ...

    def unpublish(self, source_ids: Sequence[str]) -> None:
        """Delete the records of ``source_ids`` (before the catalog and the vectors)."""
        ...

    def catch_up(self, library: Library) -> None:
        """Sync ``library``'s catalog from the server, for a caller holding its write lock."""
        ...

    def repair(self, library: Library, stored: set[str]) -> tuple[list[str], list[str]]:
        """Republish or delete records whose chunk vectors are not all in ``stored``."""
        ...


class Library:
    """Opens and writes the three stores of a data directory."""

    def __init__(
        self, settings: Settings, embeddings: Embeddings | None = None, *, publisher: Publishing | None = None
    ) -> None:
        """Open the catalog and the vector index; the embedding model loads on first use.

        Args:
            settings: the configuration (data directory, Chroma server or embedded store).
            embeddings: the embedding model, when the caller has it loaded already.
            publisher: with a Chroma server, what publishes each write for the other
                machines (:func:`ingest.publish.open_library` passes it); without one a
                server-mode library can be read but refuses writes. None in embedded mode.
        """
        self.settings = settings
        self.data_dir = Path(settings.store.data_dir)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IngestError(f"cannot create data directory ({exc.strerror})", str(self.data_dir)) from exc
        self._embeddings = embeddings
        self.catalog = Catalog(self.data_dir / "catalog.sqlite")
        self.sentence_vectors = SentenceVectorStore(self.catalog)
        self.cards = CardStore(self.catalog)
        self.vectors: VectorIndex = open_vector_index(settings)
        self.publisher = publisher  # None in embedded mode
        self._keyword_dir = self.data_dir / "bm25"

    @property
    def embeddings(self) -> Embeddings:
        """The embedding model (loaded and cached on first use)."""
        if self._embeddings is None:
            models = self.settings.models
            self._embeddings = load_embeddings(models.embedding_model, models.embedding_batch_size)
        return self._embeddings

    def _writer(self) -> Publishing | None:
        """The publisher of a write: None in embedded mode.

        Raises:
            ConfigError: a server-mode library opened without its publisher (the write would
                never reach the other machines).
        """
        if self.publisher is None and self.settings.store.uses_chroma_server:
            raise ConfigError(
                "this library uses a Chroma server but was opened without its publisher, so writes would not "
                "reach the other machines: open it with ingest.publish.open_library(settings)"
            )
        return self.publisher

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive lock so that only one process writes this library at a time."""
        with open(self.data_dir / ".write.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def put_sources(
        self, items: list[tuple[Source, str, list[Chunk]]], vectors: Sequence[Sequence[float]] | np.ndarray,
        *, staged_run: str | None = None, cards: Sequence[tuple[Card, str]] = (),
    ) -> None:
        """Store several sources in crash-safe order, with one vector write and one catalog transaction.

        Args:
            items: ``(source, file path, chunks)`` per source.
            vectors: one vector per chunk, in the order of ``items`` and their chunks.
            staged_run: move this ingest run's staged sentence vectors of these chunks into
                the live table in the same catalog transaction.
            cards: ``(card, content hash)`` of these sources, stored in the same transaction.
        """
        chunks = [c for _source, _path, cs in items for c in cs]
        metas = [source.meta for source, _path, cs in items for _c in cs]
        ids = [c.chunk_id for c in chunks]
        publisher = self._writer()

        def also(db: sqlite3.Connection) -> None:
            if staged_run is not None:
                self.sentence_vectors.take_staged(db, staged_run, ids)
            CardStore.write(db, cards)

        try:
            self.vectors.upsert(chunks, cast(Sequence[Sequence[float]], vectors), metas)
            if publisher is not None:
                publisher.publish(items)
            olds = self.catalog.put_sources(items, also=also)
        except StorageFullError as exc:  # name the files that could not be stored, not only the store
            files = ", ".join(path for _source, path, _cs in items)
            raise StorageFullError(f"cannot store {files}: {exc}") from exc
        stale: set[str] = set()
        for (_source, _path, cs), old_ids in zip(items, olds, strict=True):
            stale.update(set(old_ids) - {c.chunk_id for c in cs})
        if stale:
            self.vectors.delete(sorted(stale))

    def remove_source(self, source_id: str) -> int:
        """Remove a source everywhere; return how many chunks went. Raises SourceNotFoundError."""
        with self.write_lock():
            ids = self.remove_source_locked(source_id)
            self.sentence_vectors.prune()
            self.sync_keyword_index()
        return len(ids)

    def remove_source_locked(self, source_id: str) -> list[str]:
        """:meth:`remove_source` (record, catalog row, vectors) for a caller holding the lock; return its chunk ids.

        Raises:
            SourceNotFoundError: the catalog has no such source.
        """
        publisher = self._writer()
        if publisher is not None and source_id in self.catalog.hashes():
            publisher.unpublish([source_id])
        ids = self.catalog.remove_source(source_id)
        self.cards.prune()  # a removed source's card goes with it (a re-added one is built afresh)
        self.vectors.delete(ids)
        return ids

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index for the current catalog generation (rebuilt if stale or missing)."""
        generation = self.catalog.generation()
        saved = self._saved_keyword_index(generation)
        return saved if saved is not None else self._build_keyword_index(generation)

    def _saved_keyword_index(self, generation: int) -> KeywordIndex | None:
        """The saved BM25 index when it is of ``generation`` and of the configured Chinese tokens, else None."""
        index = KeywordIndex.load(self._keyword_dir)
        if index is None or index.generation != generation or index.mode != self.settings.retrieval.chinese_tokens:
            return None
        return index

    def _build_keyword_index(self, generation: int) -> KeywordIndex:
        chunks = self.catalog.chunks()
        titles = [r.meta.title for r in self.catalog.records()]
        index = KeywordIndex.build(
            [c.chunk_id for c in chunks], [c.embed_text for c in chunks], generation, titles,
            self.settings.retrieval.chinese_tokens,
        )
        try:
            index.save(self._keyword_dir)
        except OSError:
            pass  # a read-only or full disk: the in-memory index still serves this process
        return index

    def sync_keyword_index(self) -> bool:
        """Rebuild and save the BM25 index if the catalog changed; True when rebuilt."""
        generation = self.catalog.generation()
        if self._saved_keyword_index(generation) is not None:
            return False
        self._build_keyword_index(generation)
        return True

    def relations(self) -> list[Relation]:
        """Relations between the library's sources for the current catalog generation.

        Read from the catalog when stored for this generation, else computed from every
        chunk (and stored, when the data directory is writable).
        """
        generation = self.catalog.generation()
        stored = self.cards.relations(generation)
        if stored is not None:
            return stored
        by_source: dict[str, list[Chunk]] = {}
        for chunk in self.catalog.chunks():
            by_source.setdefault(chunk.source_id, []).append(chunk)
        relations = library_relations(by_source, [r.meta for r in self.catalog.records()])
        try:
            self.cards.put_relations(generation, relations)
        except PolicychatError:
            pass  # a read-only or full disk: this process still has them
        return relations

    def card(self, source: Source, chunks: list[Chunk]) -> Card:
        """The card of a stored source: from the catalog, or built now (and kept) when missing or stale."""
        stored = self.cards.get(source.id, source.content_hash)
        if stored is not None:
            return stored
        card = build_card(source.meta, chunks, self.sentence_vectors.get([c.chunk_id for c in chunks]))
        try:
            self.cards.put([(card, source.content_hash)])
        except PolicychatError:
            pass
        return card

    def repair(self) -> RepairReport:
        """Make vectors and BM25 agree with the catalog after an interrupted write."""
        with self.write_lock():
            return self.repair_locked()

    def repair_if_idle(self) -> RepairReport | None:
        """:meth:`repair` unless another writer holds the lock right now (it repairs first anyway); None then."""
        with open(self.data_dir / ".write.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            try:
                return self.repair_locked()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def repair_locked(self) -> RepairReport:
        """:meth:`repair` for a caller that already holds :meth:`write_lock`."""
        publisher = self._writer()
        if publisher is not None:  # server mode: first take in what other machines published
            publisher.catch_up(self)
        by_source = self.catalog.chunk_ids_by_source()
        known = set().union(*by_source.values()) if by_source else set()
        stored = self.vectors.ids()
        orphans = sorted(stored - known)
        if orphans:
            self.vectors.delete(orphans)
        self.sentence_vectors.prune()
        self.cards.prune()
        self.sentence_vectors.discard_staged()  # left by a run that was killed: no run is in progress now
        stale = sorted(sid for sid, ids in by_source.items() if not ids <= stored)
        for source_id in stale:
            self.catalog.forget_hash(source_id)
        if publisher is not None:  # records whose vectors are gone: republished from here, or dropped
            publisher.repair(self, stored - set(orphans))
        rebuilt = self.sync_keyword_index()
        return RepairReport(len(orphans), stale, rebuilt)

