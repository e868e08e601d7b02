"""Progress, budgets and cancellation of one ingest run, shared with whoever watches it from another thread.

An :class:`IngestControl` is handed to :func:`ingest.pipeline.ingest_paths`. The run
keeps one :class:`FileStatus` per file up to date in it and checks its cancel flag
between files and between embedding batches; a watcher (the API's job endpoint, the
UI's Library tab, the CLI's Ctrl-C handler) reads :meth:`IngestControl.snapshot`
copies or calls :meth:`IngestControl.cancel` from any thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from policychat.errors import FileBudgetError, IngestCancelledError
from policychat.settings import Settings

FILE_STATES = ("queued", "parsing", "embedding", "storing", "added", "updated", "unchanged", "failed", "cancelled")
"""What a file goes through; the last five are final."""
FINAL_STATES = FILE_STATES[4:]
"""The states a file ends in: added, updated, unchanged, failed, cancelled."""


@dataclass
class FileStatus:
    """Where one file of a run is: its state, sizes, progress, time spent and (when refused) why."""

    path: str
    state: str = "queued"
    source_id: str | None = None
    pages: int = 0
    chunks: int = 0
    duplicate_chunks: int = 0
    chunks_to_embed: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    reason: str | None = None


@dataclass(frozen=True)
class FileBudget:
    """How much one file may cost: chunks, and seconds of parsing, chunking and embedding."""

    max_chunks: int
    max_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> FileBudget:
        """``POLICYCHAT_MAX_CHUNKS_PER_FILE`` and ``POLICYCHAT_MAX_FILE_SECONDS``."""
        return cls(settings.ingest.max_chunks_per_file, settings.ingest.max_file_seconds)

    def check_chunks(self, chunks: int, path: str) -> None:
        """Refuse a file cut into more chunks than the budget allows.

        Raises:
            FileBudgetError: naming the file (``path``) and the limit.
        """
        if chunks > self.max_chunks:
            raise FileBudgetError(
                f"{chunks:,} chunks, over the limit of POLICYCHAT_MAX_CHUNKS_PER_FILE={self.max_chunks:,}; "
                "split the file or raise the limit", path)

    def check_seconds(self, seconds: float, path: str, doing: str) -> None:
        """Refuse a file that has used more processing time than the budget allows.

        Args:
            seconds: processing time the file has used so far.
            path: the file, named in the message.
            doing: what it was stopped in, e.g. "while embedding (40 of 900 chunks)".

        Raises:
            FileBudgetError: naming the file and the limit.
        """
        if seconds > self.max_seconds:
            raise FileBudgetError(
                f"processing took longer than POLICYCHAT_MAX_FILE_SECONDS={self.max_seconds:g} "
                f"(stopped after {seconds:.1f} s {doing}); split the file or raise the limit", path)


class IngestControl:
    """The cancel flag and per-file statuses of one run (thread-safe)."""

    def __init__(self) -> None:
        """A control with no files yet and the flag down."""
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self.files: list[FileStatus] = []

    def cancel(self) -> None:
        """Ask the run to stop at its next check (between files or embedding batches)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`IngestCancelledError` when the run was asked to stop."""
        if self._cancel.is_set():
            raise IngestCancelledError("ingest cancelled on request")

    def start(self, files: list[FileStatus]) -> None:
        """Set the statuses of the run's files (called once the files are known)."""
        with self._lock:
            self.files = files

    def update(self, status: FileStatus, **changes: Any) -> None:
        """Change fields of one file's status (atomically for readers of :meth:`snapshot`)."""
        with self._lock:
            for name, value in changes.items():
                setattr(status, name, value)

    def add(self, status: FileStatus, **increments: float) -> None:
        """Add to numeric fields of one file's status."""
        with self._lock:
            for name, value in increments.items():
                setattr(status, name, getattr(status, name) + value)

    def snapshot(self) -> list[FileStatus]:
        """Copies of every file's status, consistent with each other."""
        with self._lock:
            return [replace(status) for status in self.files]
