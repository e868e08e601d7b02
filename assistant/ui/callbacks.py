"""Gradio callbacks of the filters and the Library tab; the chat's are in :mod:`assistant.ui.threads`.

They call the shared :class:`AnswerService` and write path directly, never HTTP.

Project errors become ``gr.Error`` toasts here (the UI's edge); everything
shown to people is rendered by :mod:`assistant.ui.render`.
"""

from __future__ import annotations

import hmac
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import ValidationError

from assistant.models import Filters
from assistant.serving.jobs import FINAL_STATES
from assistant.serving.runtime import Runtime
from assistant.serving.uploads import SavedUpload, UploadFields
from assistant.serving.writes import max_upload_bytes, save_upload
from assistant.ui import render
from assistant.ui.cards import source_rows
from policychat.errors import JobFinishedError, JobNotFoundError, PolicychatError

SHOWN_JOBS = 5  # uploads of one browser session shown in the Library tab
PASSAGES_PLACEHOLDER = '<div class="pc-muted">Passages retrieved for the last question appear here.</div>'


def _date(value: str | None, label: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise gr.Error(f"{label} must be a date like 2024-01-31 (YYYY-MM-DD).") from None


def parse_as_of(value: str | None) -> date | None:
    """The side panel's "As of" day (None when empty).

    Raises:
        gr.Error: it is not YYYY-MM-DD.
    """
    return _date(value, "As of")


def build_filters(countries: list[str] | None, doc_types: list[str] | None, date_from: str | None,
                  date_to: str | None) -> Filters | None:
    """Filters from the side panel's widgets; None when nothing is restricted.

    Raises:
        gr.Error: a date is not YYYY-MM-DD.
    """
    filters = Filters(country=countries or None, doc_type=doc_types or None,  # type: ignore[arg-type]
                      date_from=_date(date_from, "Date from"), date_to=_date(date_to, "Date to"))
    return None if filters.is_empty() else filters


class LibraryCallbacks:
    """The Library tab and the on-load state: sources table, document types, uploads and their progress."""

    def __init__(self, runtime: Runtime) -> None:
        """Bind to the app's runtime."""
        self.runtime = runtime

    def rows(self) -> list[list[Any]]:
        """One row per source: id, title, country, date, type, chunks, status."""
        return source_rows(self.runtime)

    def refresh(self) -> tuple[str, Any, list[list[Any]]]:
        """(empty-library notice, document-type dropdown, table rows) as the library is now."""
        try:
            rows = self.rows()
        except PolicychatError as exc:
            return f'<div class="pc-notice">{render.esc(str(exc))}</div>', gr.skip(), []
        doc_types = sorted({row[4] for row in rows if row[4]})
        return render.render_library_notice(len(rows)), gr.Dropdown(choices=doc_types), rows

    def upload(self, files: list[str] | None, title: str, publisher: str, country: str | None, when: str,
               doc_type: str, original_url: str, api_key: str, jobs: dict[str, str],
               ) -> tuple[str, dict[str, str], Any]:
        """Queue the chosen files with the form's metadata as a background job (same path as ``POST /v1/sources``).

        Returns:
            (progress of this session's uploads, their ``{job id: state}``, the polling timer switched on).
        """
        self._check_key(api_key)
        if not files:
            raise gr.Error("Choose one or more files first.")
        try:
            fields = UploadFields(title=title or None, publisher=publisher or None, country=country or None,
                                  date=when or None, doc_type=doc_type or None, original_url=original_url or None)
        except ValidationError as exc:
            raise gr.Error(f"{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
        saved: list[SavedUpload] = []
        try:
            for name in files:
                with open(name, "rb") as handle:
                    saved.append(save_upload(self.runtime, Path(name).name, handle, max_upload_bytes(self.runtime)))
        except PolicychatError as exc:
            for item in saved:
                item.path.unlink(missing_ok=True)
            raise gr.Error(str(exc)) from None
        job = self.runtime.jobs.submit(saved, fields)
        jobs = {job.id: job.state, **{k: v for k, v in list(jobs.items())[: SHOWN_JOBS - 1]}}
        return self._render_jobs(jobs), jobs, gr.Timer(active=True)

    def progress(self, jobs: dict[str, str]) -> tuple[str, dict[str, str], bool, bool]:
        """Progress of this session's uploads (``jobs`` maps job id to the state last shown).

        Returns:
            (progress HTML, ``{job id: state}`` now, whether a job finished since ``jobs``, whether any still runs).
        """
        now = {job_id: self._job_state(job_id) for job_id in jobs}
        finished_now = any(state in FINAL_STATES and jobs[job_id] not in FINAL_STATES for job_id, state in now.items())
        running = any(state not in FINAL_STATES for state in now.values())
        return self._render_jobs(now), now, finished_now, running

    def cancel(self, jobs: dict[str, str], api_key: str) -> str:
        """Cancel this session's uploads that have not finished (nothing of them is stored)."""
        self._check_key(api_key)
        for job_id in jobs:
            try:
                self.runtime.jobs.cancel(job_id, wait=0)
            except (JobFinishedError, JobNotFoundError):
                continue
        return self._render_jobs(jobs)

    def _check_key(self, api_key: str) -> None:
        expected = self.runtime.settings.server.api_key
        if expected and not hmac.compare_digest((api_key or "").encode(), expected.encode()):
            raise gr.Error("This server needs its API key for uploads; enter it in the API key field.")

    def _job_state(self, job_id: str) -> str:
        try:
            return self.runtime.jobs.get(job_id).state
        except JobNotFoundError:
            return "failed"

    def _render_jobs(self, jobs: dict[str, str]) -> str:
        running = next((job for job in self.runtime.jobs.list() if job.state == "running"), None)
        shown = []
        for job_id in jobs:
            try:
                shown.append(render.render_job(self.runtime.jobs.get(job_id), running))
            except JobNotFoundError:
                continue
        return "".join(shown)
