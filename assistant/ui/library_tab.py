"""The Library tab's widgets: status filter, sources table, timeline, one source's card and management, uploads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.ui.card_render import CARD_JS, PICK_FOR_CARD, PROVISION_HEADERS
from assistant.ui.cards import STATUS_CHOICES
from assistant.ui.sources import PICK_FIRST
from ingest.loaders import supported_extensions
from ingest.models import COUNTRIES
from policychat.settings import Settings

TABLE_HEADERS = ["id", "title", "country", "date", "type", "chunks", "status"]


@dataclass
class LibraryTab:
    """The components the Library tab's events read and write."""

    table: Any
    refresh: Any
    picker: Any
    details: Any
    reingest: Any
    delete: Any
    confirm: Any
    confirm_text: Any
    confirm_yes: Any
    confirm_no: Any
    status: Any
    errors: Any
    upload_fields: list[Any]
    add: Any
    stop: Any
    result: Any
    jobs: Any
    poll: Any
    status_filter: Any = None
    card: Any = None
    provisions: Any = None
    card_download: Any = None
    timeline: Any = None


def build_library_tab(settings: Settings) -> LibraryTab:
    """Lay out the Library tab inside the current ``gr.Tab`` (events are bound by :func:`~.layout.build_ui`)."""
    status_filter = gr.CheckboxGroup(STATUS_CHOICES, label="Status (none ticked: all sources)",
                                     elem_id="pc-status-filter")
    table = gr.Dataframe(headers=TABLE_HEADERS, datatype=["str", "str", "str", "str", "str", "number", "str"],
                         interactive=False, wrap=True, max_height=520, elem_id="pc-sources-table",
                         label="Sources in the library")
    refresh = gr.Button("Refresh", size="sm")
    with gr.Accordion("Timeline", open=False):
        timeline = gr.Image(type="pil", interactive=False, show_label=False, elem_id="pc-timeline",
                            buttons=["download", "fullscreen"])
    with gr.Accordion("Manage a source", open=True):
        picker = gr.Dropdown([], label="Source", elem_id="pc-source-pick")
        details = gr.HTML(PICK_FIRST, elem_id="pc-source-details")
        card = gr.HTML(PICK_FOR_CARD, elem_id="pc-card-view", js_on_load=CARD_JS)
        provisions = gr.Dataframe(headers=PROVISION_HEADERS, datatype=["number", "str", "str", "str", "str"],
                                  interactive=False, wrap=True, max_height=360, elem_id="pc-provisions",
                                  label="Provisions (soonest deadline first; click a column header to sort)")
        card_download = gr.DownloadButton("Export card as Markdown", visible=False, size="sm",
                                          elem_id="pc-card-download")
        with gr.Row():
            reingest = gr.Button("Re-ingest", size="sm", elem_id="pc-source-reingest")
            delete = gr.Button("Delete source", size="sm", variant="stop", elem_id="pc-source-delete")
        with gr.Group(visible=False, elem_id="pc-source-confirm") as confirm:
            confirm_text = gr.HTML()
            with gr.Row():
                confirm_yes = gr.Button("Yes, delete", size="sm", variant="stop", elem_id="pc-source-delete-yes")
                confirm_no = gr.Button("Cancel", size="sm", elem_id="pc-source-delete-no")
        status = gr.HTML("", elem_id="pc-source-status")
        gr.HTML('<div class="pc-sources-title">Recent ingest errors</div>')
        errors = gr.HTML("", elem_id="pc-ingest-errors")
    with gr.Accordion("Add sources", open=True):
        files = gr.File(file_count="multiple", file_types=supported_extensions(), type="filepath",
                        label=f"Files ({', '.join(supported_extensions())}; "
                              f"up to {settings.server.max_upload_mb:g} MB)",
                        elem_id="pc-upload-files")
        with gr.Row():
            title = gr.Textbox(label="Title (optional)")
            publisher = gr.Textbox(label="Publisher (optional)")
            country = gr.Dropdown(list(COUNTRIES), value=None, label="Country (optional)")
        with gr.Row():
            when = gr.Textbox(label="Date (optional)", placeholder="YYYY-MM-DD")
            doc_type = gr.Textbox(label="Document type (optional)", placeholder="e.g. regulation")
            url = gr.Textbox(label="Original URL (optional)")
        with gr.Row():
            add = gr.Button("Add to library", variant="primary", elem_id="pc-upload")
            stop = gr.Button("Cancel uploads in progress", variant="secondary", elem_id="pc-upload-cancel")
        result = gr.HTML(elem_id="pc-upload-result")
        jobs = gr.State({})  # this session's upload jobs: {job id: state last shown}
        poll = gr.Timer(1.0, active=False)
    return LibraryTab(table, refresh, picker, details, reingest, delete, confirm, confirm_text, confirm_yes, confirm_no,
                      status, errors, [files, title, publisher, country, when, doc_type, url], add, stop, result,
                      jobs, poll, status_filter, card, provisions, card_download, timeline)
