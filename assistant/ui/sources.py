"""The Library tab's source management: pick a source, see its ingest errors, re-ingest or delete it.

Deleting asks for confirmation first; both writes need the API key when the
server has one, and use the same code paths as the API
(:func:`assistant.serving.writes.delete_source`) and the CLI's ingest
(:func:`assistant.serving.library_admin.reingest_source`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.serving.ingest_log import IngestProblem
from assistant.serving.library_admin import reingest_source
from assistant.serving.writes import delete_source
from assistant.ui import render
from assistant.ui.callbacks import LibraryCallbacks
from assistant.ui.threads import ThreadCallbacks
from policychat.errors import PolicychatError

PICK_FIRST = '<div class="pc-muted">Pick a source to see its details and ingest errors.</div>'


def _problems(problems: list[IngestProblem], empty: str) -> str:
    if not problems:
        return f'<div class="pc-muted">{render.esc(empty)}</div>'
    items = "".join(f'<li class="pc-bad"><strong>{time.strftime("%Y-%m-%d %H:%M", time.localtime(p.at))}</strong> '
                    f"{render.esc(p.file)} ({render.esc(p.source_id)}): {render.esc(p.reason)}</li>"
                    for p in problems)
    return f'<ul class="pc-ingest-errors">{items}</ul>'


class SourceCallbacks:
    """Source details, re-ingest and delete, bound to the app's runtime."""

    def __init__(self, threads: ThreadCallbacks, library: LibraryCallbacks) -> None:
        """Share the key check of ``threads`` and the table refresh of ``library``."""
        self.threads = threads
        self.library = library
        self.log = threads.runtime.ingest_log

    def refresh(self) -> tuple[Any, ...]:
        """(notice, document types, table, source picker, recent ingest errors)."""
        return (*self.library.refresh(), *self.picker_and_errors())

    def poll(self, jobs: dict[str, str]) -> tuple[Any, ...]:
        """Progress of this session's uploads; the library view refreshes as one finishes, polling stops once all have.

        Returns:
            (progress, ``{job id: state}``, notice, document types, table, picker, recent errors, timer).
        """
        progress, now, finished_now, running = self.library.progress(jobs)
        view = self.refresh() if finished_now else (gr.skip(),) * 5
        return (progress, now, *view, gr.skip() if running else gr.Timer(active=False))

    def picker_and_errors(self, reset: bool = False) -> tuple[Any, str]:
        """The source picker's choices (its value cleared when ``reset``) and the recent ingest errors."""
        try:
            records = self.threads.runtime.service().library.catalog.records()
        except PolicychatError:
            records = []
        choices = [(f"{r.meta.id} — {r.meta.title[:60]}", r.meta.id) for r in records]
        picker = gr.Dropdown(choices=choices, value=None) if reset else gr.Dropdown(choices=choices)
        return picker, _problems(self.log.read(limit=20), "No ingest errors recorded.")

    def show(self, source_id: str | None) -> str:
        """The picked source's file, counts and its own ingest errors."""
        if not source_id:
            return PICK_FIRST
        try:
            record = next(r for r in self.threads.runtime.service().library.catalog.records()
                          if r.meta.id == source_id)
        except StopIteration:
            return f'<div class="pc-muted">{render.esc(source_id)} is no longer in the library.</div>'
        except PolicychatError as exc:
            return f'<div class="pc-notice">{render.esc(str(exc))}</div>'
        updated = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.updated_at))
        return (f'<div class="pc-source-card"><div class="pc-title">{render.esc(record.meta.title)}</div>'
                f'<div class="pc-meta">{render.esc(record.meta.id)} · {record.n_chunks} chunks · {record.n_pages} pages'
                f" · file {render.esc(Path(record.path).name)} · ingested {updated}</div>"
                '<div class="pc-sources-title">Ingest errors</div>'
                f"{_problems(self.log.read(source_id), 'None recorded for this source.')}</div>")

    def confirm_delete(self, source_id: str | None) -> tuple[Any, str]:
        """Show the confirmation row for deleting the picked source."""
        if not source_id:
            raise gr.Error("Pick a source first.")
        return gr.Group(visible=True), (f'<div class="pc-confirm-text">Delete <strong>{render.esc(source_id)}'
                                        "</strong> from the library (its chunks and vectors)? Answers that cite it "
                                        "keep their quotes. This cannot be undone.</div>")

    def delete(self, source_id: str | None, api_key: str) -> tuple[Any, ...]:
        """Delete the picked source; returns (confirm row, status, details, notice, types, table, picker, errors)."""
        self.threads.require_key(api_key)
        if not source_id:
            raise gr.Error("Pick a source first.")
        try:
            removed = delete_source(self.threads.runtime, source_id)
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None
        status = f'<div class="pc-feedback-status">Deleted {render.esc(source_id)} ({removed} chunks).</div>'
        return (gr.Group(visible=False), status, PICK_FIRST, *self.library.refresh(),
                *self.picker_and_errors(reset=True))

    def reingest(self, source_id: str | None, api_key: str) -> tuple[Any, ...]:
        """Re-ingest the picked source from its file.

        Returns:
            (status, details, notice, document types, table, picker, recent errors).
        """
        self.threads.require_key(api_key)
        if not source_id:
            raise gr.Error("Pick a source first.")
        try:
            result = reingest_source(self.threads.runtime, source_id)
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None
        if result.error:
            status = (f'<div class="pc-notice">Re-ingest of {render.esc(source_id)} failed: '
                      f"{render.esc(result.error)}. The previous version stays in the library.</div>")
        else:
            status = (f'<div class="pc-feedback-status">Re-ingested {render.esc(source_id)}: '
                      f"{result.chunks} chunks.</div>")
        return (status, self.show(source_id), *self.refresh())
