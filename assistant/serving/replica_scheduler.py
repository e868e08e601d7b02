"""The server's replica scheduler: keeps a serving library in step with the Chroma server.

With a Chroma server, the server's :class:`~assistant.serving.runtime.Runtime` makes
one :class:`ReplicaSync` (:func:`replica_sync_for`) when it opens the library and
calls :meth:`ReplicaSync.before_read` before every read: the first call syncs
(:func:`ingest.sync.sync_from_chroma`), later ones start a background sync at most
every ``POLICYCHAT_REPLICA_SYNC_SECONDS`` while readers keep their current snapshot.
After a sync that changed the catalog, a background thread pools the sentence
vectors the replica did not receive (:func:`ingest.sentence_vectors.fill_sentence_vectors`).

Public API: :class:`ReplicaSync`, :func:`replica_sync_for`.
"""

from __future__ import annotations

import logging
import threading
import time

from ingest.library import Library
from ingest.sentence_vectors import fill_sentence_vectors
from ingest.sync import SyncReport, sync_from_chroma
from policychat.errors import PolicychatError

log = logging.getLogger(__name__)


class ReplicaSync:
    """Keeps a serving library in step with the Chroma server.

    :meth:`before_read` is cheap to call before every read: the first call syncs
    (blocking, so a replica never answers from an empty catalog); later calls
    start a background sync when ``interval`` seconds have passed since the last
    one started and none is running, and return at once: readers keep their
    current snapshot until the sync commits. After a sync that changed the
    catalog, another background thread fills the sentence-vector cache of the
    new chunks (:func:`~ingest.sentence_vectors.fill_sentence_vectors`); answers work before it is done.
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
            IndexUnavailableError: the Chroma server cannot be reached or does not answer in time.
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
        library = self.library
        try:
            while True:
                with self._state_lock:
                    if not self._fill_again:
                        self._filling = False
                        return
                    self._fill_again = False
                filled = fill_sentence_vectors(library.sentence_vectors, lambda: library.embeddings)
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
    interval = library.settings.store.replica_sync_seconds
    if library.publisher is None or interval <= 0:
        return None
    return ReplicaSync(library, interval)
