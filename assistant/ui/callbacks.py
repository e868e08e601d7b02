"""Gradio callbacks of the filters and the Library tab; the chat's are in :mod:`assistant.ui.threads`.

They call the shared :class:`AnswerService` and write path directly, never HTTP.

Project errors become ``gr.Error`` toasts here (the UI's edge); everything
shown to people is rendered by :mod:`assistant.ui.render`.
"""

from __future__ import annotations

import hmac
import time
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import ValidationError

from assistant.api.runtime import Runtime
from assistant.api.writes import (
    SavedUpload,
    UploadFields,
    ingest_uploads,
    max_upload_bytes,
    save_upload,
)
from assistant.errors import PolicychatError
from assistant.library_admin import IngestErrorLog, IngestProblem
from assistant.models import Filters
from assistant.ui import render
from assistant.ui.cards import source_rows

PASSAGES_PLACEHOLDER = '<div class="pc-muted">Passages retrieved for the last question appear here.</div>'


def _date(value: str | None, label: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise gr.Error(f"{label} must be a date like 2024-01-31 (YYYY-MM-DD).") from None


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
    """The Library tab and the on-load state: sources table, document types, uploads."""

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
               doc_type: str, original_url: str, api_key: str) -> tuple[str, str, Any, list[list[Any]]]:
        """Ingest the chosen files with the form's metadata (same path as ``POST /v1/sources``).

        Returns:
            (result summary, empty-library notice, document-type dropdown, table rows).
        """
        expected = self.runtime.settings.api_key
        if expected and not hmac.compare_digest((api_key or "").encode(), expected.encode()):
            raise gr.Error("This server needs its API key for uploads; enter it in the API key field.")
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
            report = ingest_uploads(self.runtime, saved, fields)
        except PolicychatError as exc:
            for item in saved:
                item.path.unlink(missing_ok=True)
            raise gr.Error(str(exc)) from None
        names = {item.client_name: item.source_id for item in saved}
        IngestErrorLog(Path(self.runtime.settings.data_dir)).add(
            [IngestProblem(time.time(), names.get(e.file, e.file), e.file, e.reason) for e in report.errors])
        summary = render.render_upload_result(report.added, report.updated, report.unchanged,
                                              [(e.file, e.reason) for e in report.errors])
        return (summary, *self.refresh())
