"""What one server shares between its API routes and its UI callbacks.

:class:`Runtime` holds the settings, the single :class:`AnswerService` (opened
lazily, so a server whose vector store is down still starts and reports 503)
and the lock that serialises uploads and deletes within the process; the
library's own file lock serialises them across processes. With a Chroma server, a
:class:`~assistant.serving.replica_scheduler.ReplicaSync` keeps the local catalog and BM25 index in
step with what other machines publish (first sync before the first read, then
at most every ``POLICYCHAT_REPLICA_SYNC_SECONDS`` in the background).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.serving.ingest_log import IngestErrorLog
from assistant.serving.jobs import JobQueue
from policychat.errors import PolicychatError
from policychat.settings import Settings

if TYPE_CHECKING:
    from assistant.research.conversations import ConversationStore
    from assistant.research.pages import PageRenderer
    from assistant.service import AnswerService
    from assistant.serving.replica_scheduler import ReplicaSync
    from assistant.serving.uploads import SavedUpload, UploadFields, UploadReport
    from ingest.progress import IngestControl

log = logging.getLogger(__name__)

RuntimeIngest = Callable[["Runtime", "list[SavedUpload]", "UploadFields", "IngestControl"], "UploadReport"]


class Runtime:
    """Settings, the shared answer service and the write lock of one app."""

    def __init__(self, settings: Settings, ingest_uploads: RuntimeIngest) -> None:
        """Keep the settings; nothing is opened until :meth:`service` is first called.

        Args:
            settings: the server's settings.
            ingest_uploads: how an upload job is ingested, given this runtime
                (:func:`assistant.serving.writes.ingest_uploads`); the job queue calls it.
        """
        self.settings = settings
        self.write_lock = threading.Lock()
        self._service: AnswerService | None = None
        self.replica: ReplicaSync | None = None
        self._open_lock = threading.Lock()
        self.ingest_log = IngestErrorLog(Path(settings.store.data_dir))
        self.jobs = JobQueue(functools.partial(ingest_uploads, self), self.ingest_log)
        self.started_at = time.time()
        self._conversations: ConversationStore | None = None
        self._warm = threading.Event()
        self._warm.set()  # nothing to wait for until a warm-up starts

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept: ``<data_dir>/uploads``."""
        return Path(self.settings.store.data_dir) / "uploads"

    def conversations(self) -> ConversationStore:
        """The stored conversations of this data directory (independent of the vector store)."""
        if self._conversations is None:
            from assistant.research.conversations import ConversationStore

            self._conversations = ConversationStore.for_data_dir(Path(self.settings.store.data_dir))
        return self._conversations

    def pages(self) -> PageRenderer:
        """Renders cited PDF pages of the library (cached under ``<data_dir>/page-cache``)."""
        from assistant.research.pages import PageRenderer

        return PageRenderer(self.service().library.catalog, Path(self.settings.store.data_dir) / "page-cache")

    def service(self) -> AnswerService:
        """The app's one :class:`AnswerService`, opened on first use (and synced first in server mode).

        Raises:
            IndexUnavailableError: the vector store cannot be opened, or the first
                replica sync failed (both retried on the next call).
        """
        if self._service is None:
            with self._open_lock:
                if self._service is None:
                    from assistant.service import AnswerService
                    from assistant.serving.replica_scheduler import replica_sync_for

                    service = AnswerService(self.settings)
                    self.replica = replica_sync_for(service.library)
                    self._service = service
        if self.replica is not None:
            self.replica.before_read()
        return self._service

    def begin_warm_up(self) -> None:
        """Mark the warm-up as pending, so :meth:`wait_until_warm` waits for it (call before starting it)."""
        self._warm.clear()

    def warm_up(self) -> None:
        """Open the library and load everything an answer needs (:meth:`AnswerService.warm_up`).

        Run in a background thread at start-up so the first questions do not pay
        for loading; ``/readyz`` says ready only after it. A failure is only
        logged (``/readyz`` then reports what fails).
        """
        try:
            service = self.service()
            self._repair(service)
            service.warm_up()
        except PolicychatError as exc:
            log.warning("warm-up failed: %s", exc)
        except Exception:  # a warm-up must never take the server down
            log.exception("warm-up failed")
        finally:
            self._warm.set()

    def wait_until_warm(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a pending warm-up; return whether none is still running."""
        return self._warm.wait(timeout)

    def _repair(self, service: AnswerService) -> None:
        """Embedded store: clear what a writer killed mid-write left (orphan vectors, a stale BM25 index).

        Every ingest repairs first anyway; doing it at start-up too means a server
        restarted after a crash reports consistent counts at once. Skipped with a
        Chroma server (other machines may be writing to it) and when another
        process is writing; a read-only data directory only logs a warning.
        """
        if self.settings.store.uses_chroma_server:
            return
        try:
            with self.write_lock:
                report = service.library.repair_if_idle()
        except (PolicychatError, OSError) as exc:
            log.warning("start-up repair skipped: %s", exc)
            return
        if report is not None and (report.orphans_removed or report.stale_sources):
            log.warning("start-up repair: removed %d orphan vectors; sources to re-ingest: %s",
                        report.orphans_removed, ", ".join(report.stale_sources) or "none")
        if report is not None:
            self._remove_orphan_uploads(service)

    def _remove_orphan_uploads(self, service: AnswerService) -> None:
        """Delete files in ``uploads/`` that no source uses and that an earlier run of the server left.

        An upload job killed with its server leaves its saved files behind; files saved
        since this server started belong to its own jobs and are never touched.
        """
        if not self.uploads_dir.is_dir():
            return
        used = {Path(r.path).resolve() for r in service.library.catalog.records()}
        removed = 0
        for path in self.uploads_dir.iterdir():
            try:
                if path.is_file() and path.resolve() not in used and path.stat().st_mtime < self.started_at:
                    path.unlink()
                    removed += 1
            except OSError as exc:
                log.warning("could not remove the orphan upload %s: %s", path, exc)
        if removed:
            log.warning("start-up repair: removed %d uploaded files that no source uses", removed)
