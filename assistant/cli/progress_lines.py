"""Plain progress lines of ``policychat ingest`` for output that is not a terminal (a log file, a container).

Progress bars draw only on a terminal; elsewhere a first ingest of a minute or more
printed nothing until its summary. :class:`ProgressLines` watches the run's
:class:`~ingest.progress.IngestControl` from a thread and writes one line per file as
it reaches a final state, and an overall line every few seconds, each flushed at once::

    ingest: 0/6 files done, 0 chunks embedded, 0 s elapsed (parsing docs/a.md)
    [1/6] unchanged docs/a.md (0.0 s)
    [2/6] added     docs/b.pdf (3 pages, 12 chunks, 1.4 s)
    [3/6] added     docs/c.md (1 chunk, 0.2 s)
    [4/6] failed    docs/d.pdf: could not be parsed (…)
"""

from __future__ import annotations

import threading
import time
from typing import IO

from ingest.progress import FINAL_STATES, FileStatus, IngestControl

OVERALL_EVERY = 10.0
"""Seconds between two overall lines."""
POLL_SECONDS = 0.25
"""How often the watcher looks at the run's file statuses."""


def _count(number: int, noun: str) -> str:
    """``"1 chunk"``, ``"12 chunks"``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def file_line(done: int, total: int, status: FileStatus) -> str:
    """One finished file as a line.

    Args:
        done: how many files have finished, this one included.
        total: how many files the run has.
        status: the file's final status.

    Returns:
        ``[done/total] state path`` followed by its pages, chunks and seconds, or by
        the reason it failed or was cancelled.
    """
    head = f"[{done}/{total}] {status.state:<9} {status.path}"
    if status.state in ("failed", "cancelled"):
        return f"{head}: {status.reason}" if status.reason else head
    if status.state == "unchanged":
        return f"{head} ({status.seconds:.1f} s)"
    pages = f"{_count(status.pages, 'page')}, " if status.pages else ""
    return f"{head} ({pages}{_count(status.chunks, 'chunk')}, {status.seconds:.1f} s)"


def overall_line(files: list[FileStatus], elapsed: float) -> str:
    """The whole run as a line: files done of all, chunks embedded (of those planned), elapsed time, current file.

    Args:
        files: a snapshot of every file's status.
        elapsed: seconds since the run started.

    Returns:
        ``ingest: D/N files done, E[/P] chunks embedded, S s elapsed`` and, while a
        file is being worked on, what happens to it.
    """
    done = sum(status.state in FINAL_STATES for status in files)
    embedded = sum(status.chunks_embedded for status in files)
    planned = sum(status.chunks_to_embed for status in files)
    chunks = f"{embedded}/{planned}" if planned else str(embedded)
    line = f"ingest: {done}/{len(files)} files done, {chunks} chunks embedded, {elapsed:.0f} s elapsed"
    busy = next((s for s in files if s.state not in FINAL_STATES and s.state != "queued"), None)
    return f"{line} ({busy.state} {busy.path})" if busy else line


class ProgressLines:
    """Writes an ingest run's progress to ``out`` as plain, flushed lines while the run goes on.

    Use as a context manager around the run: a daemon thread writes what is due every
    :data:`POLL_SECONDS`; leaving the block writes the files that finished last.
    """

    def __init__(self, control: IngestControl, out: IO[str], *, every: float = OVERALL_EVERY,
                 poll: float = POLL_SECONDS) -> None:
        """Watch ``control`` and write to ``out``: an overall line every ``every`` s, checking every ``poll`` s."""
        self.control = control
        self.out = out
        self.every = every
        self.poll = poll
        self._reported: set[int] = set()  # positions in control.files of the files already written
        self._started = time.monotonic()
        self._last_overall: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ingest-progress-lines", daemon=True)

    def __enter__(self) -> ProgressLines:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.write_due(final=True)

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            self.write_due()

    def write_due(self, *, final: bool = False) -> None:
        """Write a line for each file that finished since the last call, then the overall line when it is due.

        Args:
            final: the run is over: no overall line (the summary follows).
        """
        files = self.control.snapshot()
        lines = []
        for position, status in enumerate(files):
            if position not in self._reported and status.state in FINAL_STATES:
                self._reported.add(position)
                lines.append(file_line(len(self._reported), len(files), status))
        now = time.monotonic()
        overall_due = self._last_overall is None or now - self._last_overall >= self.every
        if files and overall_due and not final:
            self._last_overall = now
            lines.append(overall_line(files, now - self._started))
        if lines:
            self.out.write("".join(line + "\n" for line in lines))
            self.out.flush()  # a log file or pipe is block-buffered: without this nothing shows until the end
