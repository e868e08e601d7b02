"""What one server shares between its API routes and its UI callbacks.

:class:`Runtime` holds the settings, the single :class:`AnswerService` (opened
lazily, so a server whose vector store is down still starts and reports 503)
and the lock that serialises uploads and deletes within the process; the
library's own file lock serialises them across processes.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import PolicychatError
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.service import AnswerService

log = logging.getLogger(__name__)


class Runtime:
    """Settings, the shared answer service and the write lock of one app."""

    def __init__(self, settings: Settings) -> None:
        """Keep the settings; nothing is opened until :meth:`service` is first called."""
        self.settings = settings
        self.write_lock = threading.Lock()
        self._service: AnswerService | None = None
        self._open_lock = threading.Lock()

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept: ``<data_dir>/uploads``."""
        return Path(self.settings.data_dir) / "uploads"

    def service(self) -> AnswerService:
        """The app's one :class:`AnswerService`, opened on first use.

        Raises:
            IndexUnavailableError: the vector store cannot be opened (retried on the next call).
        """
        if self._service is None:
            with self._open_lock:
                if self._service is None:
                    from assistant.service import AnswerService

                    self._service = AnswerService(self.settings)
        return self._service

    def warm_up(self) -> None:
        """Open the library and load the snapshot, embedding model and default generator.

        Run in a background thread at start-up so the first question does not pay
        for loading; a failure is only logged (``/readyz`` reports it).
        """
        try:
            service = self.service()
            service.retriever.snapshot()
            service.library.embeddings.embed_query("warm up")
            service.generator(None)
        except PolicychatError as exc:
            log.warning("warm-up failed: %s", exc)
        except Exception:  # a warm-up must never take the server down
            log.exception("warm-up failed")
