"""Publishing: in server mode every write also goes to the Chroma server, for the other machines.

In server mode (``POLICYCHAT_CHROMA_HOST`` set) the Chroma server is the
library's source of truth; each machine's ``catalog.sqlite`` and BM25 index are
a local copy of what is published there (:mod:`ingest.sync` takes it in), so API
replicas on other machines serve sources that any machine ingested.

A writer publishes (:class:`Publisher`, handed to :class:`~ingest.library.Library`
by :func:`open_library`) the chunk vectors in ``<collection>``, as in embedded
mode, and one source record per source in ``<collection>-sources`` with a stamp
renewed after every change (layout: :mod:`ingest.remote`).

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

Public API: :class:`Publisher`, :func:`publisher_for`, :func:`open_library`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from langchain_core.embeddings import Embeddings

from ingest.library import Library
from ingest.remote import Record, RemoteStore, record_chunk_ids
from ingest.sync import sync_from_chroma
from policychat.settings import Settings

log = logging.getLogger(__name__)


class Publisher:
    """The writer side: publishes source records and renews the stamp (server mode only).

    Connects on first use; every method raises :class:`~policychat.errors.IndexUnavailableError`
    (naming the server) when the Chroma server cannot be reached or does not answer in time.
    """

    def __init__(self, settings: Settings) -> None:
        """Keep the settings; the connection opens lazily."""
        self.settings = settings
        self._remote: RemoteStore | None = None
        self._lock = threading.Lock()

    @property
    def remote(self) -> RemoteStore:
        """The connection to the server's collections."""
        if self._remote is None:
            with self._lock:
                if self._remote is None:
                    self._remote = RemoteStore(self.settings)
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

    def catch_up(self, library: Library) -> None:
        """Take in what other machines published (:func:`~ingest.sync.sync_from_chroma`), under the write lock.

        ``repair`` runs this first, so that sources published elsewhere are in the
        catalog before vectors the catalog does not know are deleted as orphans.
        """
        sync_from_chroma(library, locked=True)

    def repair(self, library: Library, stored: set[str]) -> tuple[list[str], list[str]]:
        """Fix records with a chunk id not in ``stored`` (every stored vector id), under the write lock.

        Such a record is never taken by a replica (a crash, a lost vector, a
        concurrent writer). When the local catalog holds the source with all its
        vectors stored, that version is published again; otherwise the record is
        deleted, so replicas drop the source as well.

        Returns:
            ``(republished, deleted)`` source ids.
        """
        broken = sorted(
            sid for sid, meta in self.remote.heads().items() if not set(record_chunk_ids(meta)) <= stored
        )
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
    return Publisher(settings) if settings.store.uses_chroma_server else None


def open_library(settings: Settings, embeddings: Embeddings | None = None) -> Library:
    """The library of ``settings``, with its :class:`Publisher` in server mode (none in embedded mode).

    What every writer opens: a server-mode :class:`~ingest.library.Library` without
    a publisher can be read but refuses writes.
    """
    return Library(settings, embeddings, publisher=publisher_for(settings))
