"""Replicas: every machine rebuilds its catalog and BM25 index from one Chroma server.

In server mode (``POLICYCHAT_CHROMA_HOST`` set) the Chroma server is the
library's source of truth; each machine's ``catalog.sqlite`` and BM25 index are
a local copy of what is published there, so API replicas on other machines
serve sources that any machine ingested.

What a writer publishes (:class:`Publisher`, called by :class:`~ingest.library.Library`):

* the chunk vectors in ``<collection>``, as in embedded mode;
* one *source record* per source in ``<collection>-sources``: id = source id;
  metadata = ``format``, ``content_hash``, ``chunk_ids`` (JSON list, position
  order), ``n_chunks``, ``path`` and ``meta`` (the :class:`SourceMeta` JSON);
  document = JSON ``{"text", "pages", "chunks"}`` with the stored full text, its
  page spans and one row per chunk (id, position, offsets, page, section, and
  the header that ``embed_text`` puts before the text), so a replica rebuilds
  exactly the writer's catalog rows;
* a *stamp*: ``policychat_stamp`` in the sources collection's metadata, a fresh
  value after every change, which readers compare with one HTTP call.

Write order of one write (each step is idempotent):

1. chunk vectors upserted;
2. source records upserted (removal: deleted), then the stamp renewed;
3. the local catalog transaction;
4. vectors no record refers to any more deleted.

So at every moment a published record's chunk vectors are all stored, and a
writer killed after step 2 has published a complete change that the next sync
(also the one at the start of the writer's next ingest, via ``repair``) applies
locally. A replica only takes a record whose chunk ids are *all* present in the
chunk collection; others (a crash, a restored backup, a concurrent writer) are
left out, and the writer's ``repair`` publishes its own complete version again
or deletes them.

Reading (:func:`sync_from_chroma`): compare the remote stamp with the one last
synced (the catalog's ``state`` table); when it moved, list the records'
metadata, fetch only sources that are new or whose content hash or chunk ids
differ from the local catalog, drop sources no longer published, apply it all
in one catalog transaction (readers see one new generation, so retriever
snapshots reload once) and rebuild the BM25 index. The first sync of a catalog
written before source records existed publishes its sources first (instead of
dropping them as removed elsewhere). :class:`ReplicaSync` runs that for a server:
once before the first read, then at most every ``POLICYCHAT_REPLICA_SYNC_SECONDS``
in a background thread while readers keep their current snapshot.

Public API: :class:`Publisher`, :func:`publisher_for`, :func:`sync_from_chroma`,
:class:`SyncReport`, :class:`ReplicaSync`, :func:`replica_sync_for`,
:func:`fill_sentence_vectors`, :func:`sources_collection_name`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.models import Chunk, PageSpan, Source, SourceMeta
from ingest.sentence_vectors import pool_chunk_sentences
from policychat.errors import ConfigError, IndexUnavailableError, PolicychatError
from policychat.settings import Settings

if TYPE_CHECKING:
    from ingest.library import Library

log = logging.getLogger(__name__)

RECORD_FORMAT = 2  # bump when the source record layout changes
STAMP_KEY = "policychat_stamp"  # in the sources collection's metadata
SYNCED_STAMP = "replica_stamp"  # catalog state: the stamp of the last completed sync
BACKFILLED = "replica_backfilled"  # catalog state: local sources from before publishing existed are published
# Source records carry no meaningful vector, but a Chroma collection without an embedding
# function would try to compute one (downloading its default model), so each record gets
# this 1-dimensional placeholder; the sources collection is never searched by vector.
PLACEHOLDER_VECTOR = [1.0]
FETCH_BATCH = 16  # full records (with their text) per request
POOL_BATCH = 32  # chunks per forward pass when a replica fills its sentence-vector cache
PAGE = 1000  # metadata rows / chunk ids per request

Record = tuple[Source, str, list[Chunk]]


def sources_collection_name(settings: Settings) -> str:
    """The collection holding the source records: ``<collection>-sources``."""
    return f"{settings.collection}-sources"


# ----------------------------------------------------------------------------- encoding


def _encode_record(source: Source, path: str, chunks: Sequence[Chunk]) -> tuple[str, dict[str, str | int]]:
    """The document and metadata that publish one source (see the module docstring)."""
    rows: list[list[Any]] = []
    for c in chunks:
        row: list[Any] = [c.chunk_id, c.position, c.start, c.end, c.page, c.section]
        overrides: dict[str, str] = {}
        if c.embed_text.endswith(c.text):
            row.append(c.embed_text[: len(c.embed_text) - len(c.text)])
        else:
            row.append("")
            overrides["embed_text"] = c.embed_text
        if source.text[c.start : c.end] != c.text:
            overrides["text"] = c.text
        row.append(overrides)
        row.append([list(s) for s in c.sentences])
        rows.append(row)
    document = json.dumps(
        {"text": source.text, "pages": [[p.page, p.start, p.end] for p in source.pages], "chunks": rows},
        ensure_ascii=False,
    )
    metadata: dict[str, str | int] = {
        "format": RECORD_FORMAT,
        "content_hash": source.content_hash,
        "chunk_ids": json.dumps([c.chunk_id for c in chunks]),
        "n_chunks": len(chunks),
        "path": path,
        "meta": json.dumps(source.meta.to_dict(), ensure_ascii=False),
    }
    return document, metadata


def _decode_record(document: str, metadata: dict[str, Any]) -> Record:
    """Rebuild ``(source, path, chunks)`` from a published record.

    Raises:
        ValueError: an unknown format, or a document that does not match its metadata.
    """
    if metadata.get("format") != RECORD_FORMAT:
        raise ValueError(f"record format {metadata.get('format')!r} is not {RECORD_FORMAT}")
    body = json.loads(document)
    text = body["text"]
    meta = SourceMeta(**json.loads(metadata["meta"]))
    source = Source(
        meta=meta, text=text, content_hash=str(metadata["content_hash"]), pages=[PageSpan(*p) for p in body["pages"]]
    )
    chunks = []
    for row in body["chunks"]:
        chunk_id, position, start, end, page, section, header = row[:7]
        overrides = row[7] if len(row) > 7 else {}
        sentences = tuple((a, b, role) for a, b, role in row[8]) if len(row) > 8 else ()
        chunk_text = overrides.get("text", text[start:end])
        chunks.append(
            Chunk(
                chunk_id, meta.id, position, chunk_text, start, end, page, section,
                overrides.get("embed_text", header + chunk_text), sentences,
            )
        )
    if [c.chunk_id for c in chunks] != json.loads(metadata["chunk_ids"]):
        raise ValueError("the chunk rows do not match the record's chunk_ids")
    return source, str(metadata["path"]), chunks


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


# ----------------------------------------------------------------------------- the server side


class _Remote:
    """The two collections on the Chroma server: chunk vectors and source records."""

    def __init__(self, settings: Settings) -> None:
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self._settings = settings
        self._name = sources_collection_name(settings)
        with self._errors():
            self._client = chromadb.HttpClient(
                host=settings.chroma_host or "127.0.0.1",
                port=settings.chroma_port,
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
            self._records = self._client.get_or_create_collection(name=self._name, embedding_function=None)
            self._chunks = self._client.get_or_create_collection(
                name=settings.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn any client or transport failure into :class:`IndexUnavailableError`."""
        try:
            yield
        except PolicychatError:
            raise
        except Exception as exc:
            raise IndexUnavailableError(
                f"Chroma server at {self._settings.chroma_host}:{self._settings.chroma_port} is unavailable "
                f"({type(exc).__name__}: {exc}); start it or check the address."
            ) from exc

    def stamp(self) -> str:
        """The current stamp ("" before anything was published): one HTTP call."""
        with self._errors():
            metadata = self._client.get_collection(self._name, embedding_function=None).metadata or {}
        return str(metadata.get(STAMP_KEY, ""))

    def renew_stamp(self) -> str:
        """Set a fresh stamp and return it."""
        stamp = uuid.uuid4().hex
        with self._errors():
            self._records.modify(metadata={STAMP_KEY: stamp})
        return stamp

    def upsert(self, items: Sequence[Record]) -> None:
        """Publish source records (a few per request: each carries a whole text)."""
        for i in range(0, len(items), FETCH_BATCH):
            part = [_encode_record(source, path, chunks) for source, path, chunks in items[i : i + FETCH_BATCH]]
            with self._errors():
                self._records.upsert(
                    ids=[source.id for source, _path, _chunks in items[i : i + FETCH_BATCH]],
                    embeddings=np.asarray([PLACEHOLDER_VECTOR] * len(part), dtype=np.float32),
                    documents=[document for document, _meta in part],
                    metadatas=[meta for _document, meta in part],
                )

    def delete(self, source_ids: Sequence[str]) -> None:
        """Delete source records by id (missing ids are ignored)."""
        for batch in _batches(source_ids, PAGE):
            with self._errors():
                self._records.delete(ids=batch)

    def heads(self) -> dict[str, dict[str, Any]]:
        """{source id: record metadata} of every published source (no texts)."""
        out: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            with self._errors():
                page = self._records.get(include=["metadatas"], limit=PAGE, offset=offset)
            out.update(zip(page["ids"], [dict(m or {}) for m in page["metadatas"] or []], strict=True))
            if len(page["ids"]) < PAGE:
                return out
            offset += PAGE

    def fetch(self, source_ids: Sequence[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(id, document, metadata)`` of the given records, a few per request."""
        for batch in _batches(source_ids, FETCH_BATCH):
            with self._errors():
                got = self._records.get(ids=batch, include=["documents", "metadatas"])
            yield from zip(got["ids"], got["documents"] or [], [dict(m or {}) for m in got["metadatas"] or []],
                           strict=True)

    def present_chunks(self, chunk_ids: Sequence[str]) -> set[str]:
        """The subset of ``chunk_ids`` that has a stored vector."""
        found: set[str] = set()
        for batch in _batches(chunk_ids, PAGE):
            with self._errors():
                found.update(self._chunks.get(ids=batch, include=[])["ids"])
        return found


def _chunk_ids(metadata: dict[str, Any]) -> list[str]:
    try:
        return [str(i) for i in json.loads(metadata.get("chunk_ids", "[]"))]
    except ValueError:
        return []


class Publisher:
    """The writer side: publishes source records and renews the stamp (server mode only).

    Connects on first use; every method raises :class:`IndexUnavailableError`
    when the Chroma server cannot be reached.
    """

    def __init__(self, settings: Settings) -> None:
        """Keep the settings; the connection opens lazily."""
        self.settings = settings
        self._remote: _Remote | None = None
        self._lock = threading.Lock()

    @property
    def remote(self) -> _Remote:
        """The connection to the server's collections."""
        if self._remote is None:
            with self._lock:
                if self._remote is None:
                    self._remote = _Remote(self.settings)
        return self._remote

    def publish(self, items: Sequence[Record]) -> None:
        """Upsert the records of ``(source, path, chunks)`` items, then renew the stamp.

        Call after their chunk vectors are stored and before the local catalog changes.
        """
        if items:
            self.remote.upsert(items)
            self.remote.renew_stamp()

    def unpublish(self, source_ids: Sequence[str]) -> None:
        """Delete the records of ``source_ids``, then renew the stamp (before the local catalog and vectors)."""
        if source_ids:
            self.remote.delete(source_ids)
            self.remote.renew_stamp()

    def repair(self, library: Library, stored: set[str]) -> tuple[list[str], list[str]]:
        """Fix records with a chunk id not in ``stored`` (every stored vector id), under the write lock.

        Such a record is never taken by a replica (a crash, a lost vector, a
        concurrent writer). When the local catalog holds the source with all its
        vectors stored, that version is published again; otherwise the record is
        deleted, so replicas drop the source as well.

        Returns:
            ``(republished, deleted)`` source ids.
        """
        broken = sorted(sid for sid, meta in self.remote.heads().items() if not set(_chunk_ids(meta)) <= stored)
        if not broken:
            return [], []
        local = library.catalog.chunk_ids_by_source()
        paths = {r.meta.id: r.path for r in library.catalog.records()}
        healable = [sid for sid in broken if local.get(sid) and local[sid] <= stored]
        self.publish([(library.catalog.source(sid), paths[sid], library.catalog.chunks(sid)) for sid in healable])
        deleted = sorted(set(broken) - set(healable))
        self.unpublish(deleted)
        log.warning("source records repaired: republished %s, deleted %s", healable, deleted)
        return healable, deleted


def publisher_for(settings: Settings) -> Publisher | None:
    """A :class:`Publisher` when ``settings`` use a Chroma server, else None (embedded mode publishes nothing)."""
    return Publisher(settings) if settings.uses_chroma_server else None


# ----------------------------------------------------------------------------- the replica side


@dataclass
class SyncReport:
    """What one :func:`sync_from_chroma` did.

    Attributes:
        stamp: the remote stamp the local copy now matches.
        checked_only: the stamp had not moved, so nothing else was read.
        added / updated / removed: source ids changed in the local catalog.
        incomplete: published sources left out because some chunk vectors are missing
            (or the record is unreadable); they are retried at the next stamp change.
        backfilled: local sources published by this sync (a catalog from before publishing existed).
        keyword_rebuilt: the BM25 index was rebuilt.
        seconds: wall time.
    """

    stamp: str = ""
    checked_only: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    backfilled: list[str] = field(default_factory=list)
    keyword_rebuilt: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the local catalog changed."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line for the CLI and logs."""
        if self.checked_only:
            return f"up to date (stamp {self.stamp[:12] or 'none'}; {self.seconds * 1000:.0f} ms)"
        parts = [f"{name} {len(ids)}" + (f" ({', '.join(ids[:10])}{', …' if len(ids) > 10 else ''})" if ids else "")
                 for name, ids in (("added", self.added), ("updated", self.updated), ("removed", self.removed),
                                   ("incomplete", self.incomplete), ("backfilled", self.backfilled))]
        return (f"{'; '.join(parts)}; keyword index rebuilt: {self.keyword_rebuilt}; "
                f"stamp {self.stamp[:12] or 'none'}; {self.seconds:.2f} s")


def sync_from_chroma(library: Library, *, full: bool = False, locked: bool = False) -> SyncReport:
    """Bring ``library``'s catalog and BM25 index up to date with the Chroma server.

    Args:
        library: an open library whose settings use a Chroma server.
        full: re-read every record even if the stamp has not moved (and rewrite every source).
        locked: the caller already holds ``library.write_lock()`` (e.g. ``repair``).

    Returns:
        A :class:`SyncReport`; when the stamp equals the last synced one, only that
        one HTTP call was made (``checked_only``).

    Raises:
        ConfigError: the library is in embedded mode.
        IndexUnavailableError: the Chroma server cannot be reached.
    """
    publisher = library.publisher
    if publisher is None:
        raise ConfigError("Replica sync needs a Chroma server: set POLICYCHAT_CHROMA_HOST (and _PORT).")
    started = time.perf_counter()
    stamp = publisher.remote.stamp()
    if not full and stamp == library.catalog.state(SYNCED_STAMP):
        return SyncReport(stamp=stamp, checked_only=True, seconds=time.perf_counter() - started)
    if locked:
        report = _sync_locked(library, publisher, full)
    else:
        with library.write_lock():
            report = _sync_locked(library, publisher, full)
    report.seconds = time.perf_counter() - started
    return report


def _sync_locked(library: Library, publisher: Publisher, full: bool) -> SyncReport:
    remote, catalog = publisher.remote, library.catalog
    stamp = remote.stamp()  # read again under the lock, and always before the listing
    if not full and stamp == catalog.state(SYNCED_STAMP):
        return SyncReport(stamp=stamp, checked_only=True)
    report = SyncReport()
    if catalog.state(BACKFILLED) is None:
        report.backfilled = _backfill(library, publisher)
        if report.backfilled:
            stamp = remote.stamp()
    report.stamp = stamp
    heads = remote.heads()
    local_hashes = catalog.hashes()
    local_ids = catalog.chunk_ids_by_source()
    wanted = sorted(
        sid
        for sid, meta in heads.items()
        if full
        or local_hashes.get(sid) != meta.get("content_hash")
        or local_ids.get(sid, set()) != set(_chunk_ids(meta))
    )
    wanted_chunks = [cid for sid in wanted for cid in _chunk_ids(heads[sid])]
    present = remote.present_chunks(wanted_chunks) if wanted_chunks else set()
    complete = [sid for sid in wanted if set(_chunk_ids(heads[sid])) <= present]
    report.incomplete = sorted(set(wanted) - set(complete))
    puts: list[Record] = []
    for sid, document, metadata in remote.fetch(complete):
        try:
            record = _decode_record(document, metadata)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("source record %s is unreadable (%s); left out", sid, exc)
            report.incomplete.append(sid)
            continue
        if not set(c.chunk_id for c in record[2]) <= present:  # the record changed since the listing
            report.incomplete.append(sid)
            continue
        puts.append(record)
        (report.updated if sid in local_hashes else report.added).append(sid)
    report.removed = sorted(set(local_hashes) - set(heads))
    catalog.apply(puts, report.removed, {SYNCED_STAMP: stamp, BACKFILLED: "1"})
    if report.removed or report.updated:
        library.sentence_vectors.prune()
    report.keyword_rebuilt = library.sync_keyword_index()
    report.incomplete.sort()
    return report


def _backfill(library: Library, publisher: Publisher) -> list[str]:
    """Publish local sources the server has no record of, once per catalog.

    A catalog written in server mode before source records existed would
    otherwise lose those sources at its first sync (and ``repair`` would then
    delete their vectors). Only sources whose chunk vectors are all stored are
    published.
    """
    catalog = library.catalog
    heads = publisher.remote.heads()
    by_source = catalog.chunk_ids_by_source()
    missing = sorted(set(catalog.hashes()) - set(heads))
    if not missing:
        return []
    present = publisher.remote.present_chunks([cid for sid in missing for cid in by_source.get(sid, ())])
    paths = {r.meta.id: r.path for r in catalog.records()}
    items = [
        (catalog.source(sid), paths[sid], catalog.chunks(sid))
        for sid in missing
        if by_source.get(sid) and by_source[sid] <= present
    ]
    publisher.publish(items)
    return [source.id for source, _path, _chunks in items]


def fill_sentence_vectors(library: Library) -> int:
    """Pool and store the sentence vectors of catalog chunks that have none; return how many chunks.

    A replica receives chunks but not the writer's sentence-vector cache; without
    it every answer pools its passages' sentences on the fly (measured on the
    shared corpus: about 1 s per answer instead of 50 ms). This runs the same
    pooling as ingest, in batches, and stores the rows in the local cache.
    """
    chunks = library.catalog.chunks()
    have: set[str] = set()
    for i in range(0, len(chunks), PAGE):
        have.update(library.sentence_vectors.get([c.chunk_id for c in chunks[i : i + PAGE]]))
    missing = [c for c in chunks if c.chunk_id not in have]
    for i in range(0, len(missing), POOL_BATCH):
        part = missing[i : i + POOL_BATCH]
        _, pooled = pool_chunk_sentences(library.embeddings, part)
        library.sentence_vectors.put(zip([c.chunk_id for c in part], pooled, strict=True))
    return len(missing)


class ReplicaSync:
    """Keeps a serving library in step with the Chroma server.

    :meth:`before_read` is cheap to call before every read: the first call syncs
    (blocking, so a replica never answers from an empty catalog); later calls
    start a background sync when ``interval`` seconds have passed since the last
    one started and none is running, and return at once: readers keep their
    current snapshot until the sync commits. After a sync that changed the
    catalog, another background thread fills the sentence-vector cache of the
    new chunks (:func:`fill_sentence_vectors`); answers work before it is done.
    """

    def __init__(self, library: Library, interval: float) -> None:
        """Bind to ``library``; ``interval`` is the minimum number of seconds between syncs."""
        self.library = library
        self.interval = interval
        self.last_report: SyncReport | None = None
        self.last_error: str | None = None
        self._synced_once = False
        self._first_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._running = False
        self._last_start = 0.0
        self._filling = False
        self._fill_again = False

    def sync_now(self) -> SyncReport:
        """Sync in the calling thread and remember the outcome.

        Raises:
            IndexUnavailableError: the Chroma server cannot be reached.
        """
        try:
            report = sync_from_chroma(self.library)
        except PolicychatError as exc:
            self.last_error = str(exc)
            raise
        first = self.last_report is None
        self.last_report, self.last_error = report, None
        if report.changed or report.incomplete:
            log.info("replica sync: %s", report.summary())
        if report.changed or first:
            self._start_fill()
        return report

    def _start_fill(self) -> None:
        with self._state_lock:
            self._fill_again = True
            if self._filling:
                return
            self._filling = True
        threading.Thread(target=self._fill, name="policychat-sentence-vectors", daemon=True).start()

    def _fill(self) -> None:
        try:
            while True:
                with self._state_lock:
                    if not self._fill_again:
                        self._filling = False
                        return
                    self._fill_again = False
                filled = fill_sentence_vectors(self.library)
                if filled:
                    log.info("replica: sentence vectors pooled for %d chunks", filled)
        except Exception:  # only a cache: answers pool on the fly without it
            log.exception("filling the sentence-vector cache failed")
            with self._state_lock:
                self._filling = False

    def before_read(self) -> None:
        """Make sure the first sync happened; start a periodic one in the background when due.

        Raises:
            IndexUnavailableError: the first sync could not reach the Chroma server.
        """
        if not self._synced_once:
            with self._first_lock:
                if not self._synced_once:
                    self._last_start = time.monotonic()
                    self.sync_now()
                    self._synced_once = True
            return
        with self._state_lock:
            if self._running or time.monotonic() - self._last_start < self.interval:
                return
            self._running, self._last_start = True, time.monotonic()
        threading.Thread(target=self._background, name="policychat-replica-sync", daemon=True).start()

    def _background(self) -> None:
        try:
            self.sync_now()
        except PolicychatError as exc:
            log.warning("replica sync failed (the current snapshot keeps serving): %s", exc)
        except Exception:  # a background sync must never take the server down
            log.exception("replica sync failed")
        finally:
            with self._state_lock:
                self._running = False


def replica_sync_for(library: Library) -> ReplicaSync | None:
    """A :class:`ReplicaSync` for a server on ``library``: None in embedded mode or when the interval is 0."""
    interval = library.settings.replica_sync_seconds
    if library.publisher is None or interval <= 0:
        return None
    return ReplicaSync(library, interval)
