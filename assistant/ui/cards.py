"""Library tab callbacks for cards: open a source's card, follow a relation link, filter by status, the timeline.

They read the library through :mod:`assistant.research.card_view` (the same code the API and
CLI use); project errors become notices or ``gr.Error`` toasts here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.research.card_export import card_file_name, card_markdown
from assistant.research.card_view import library_standings, source_card
from assistant.serving.runtime import Runtime
from assistant.ui import render
from assistant.ui.card_render import PICK_FOR_CARD, provision_rows, render_card
from assistant.ui.timeline import timeline_image
from policychat.errors import PolicychatError, SourceNotFoundError

STATUS_CHOICES = ["in force", "revoked", "rescinded", "superseded", "amended", "draft", "unknown"]


def source_rows(runtime: Runtime, statuses: list[str] | None = None) -> list[list[Any]]:
    """One row per source (id, title, country, date, type, chunks, status), only ``statuses`` when given.

    Raises:
        PolicychatError: the library cannot be read.
    """
    library = runtime.service().library
    records = library.catalog.records()
    standings = library_standings(library, [r.meta for r in records])
    rows = []
    for r in records:
        status = standings[r.meta.id].status if r.meta.id in standings else "unknown"
        if not statuses or status in statuses:
            rows.append([r.meta.id, r.meta.title, r.meta.country, r.meta.date, r.meta.doc_type, r.n_chunks, status])
    return rows


class CardCallbacks:
    """Cards, the status filter and the timeline of the Library tab, bound to the app's runtime."""

    def __init__(self, runtime: Runtime) -> None:
        """Bind to ``runtime``; card exports are written under a private temporary folder."""
        self.runtime = runtime
        self.exports = Path(tempfile.mkdtemp(prefix="policychat-cards-"))
        self._timeline: tuple[int, Any] | None = None  # (catalog generation, image): drawn once per generation

    def show(self, source_id: str | None) -> tuple[str, list[list[Any]], Any]:
        """The picked source's card: (card HTML, provisions rows, Markdown download button)."""
        hidden = gr.DownloadButton(value=None, visible=False)
        if not source_id:
            return PICK_FOR_CARD, [], hidden
        try:
            card = source_card(self.runtime.service().library, source_id)
        except SourceNotFoundError:
            return f'<div class="pc-muted">{render.esc(source_id)} is no longer in the library.</div>', [], hidden
        except PolicychatError as exc:
            return f'<div class="pc-notice">{render.esc(str(exc))}</div>', [], hidden
        path = self.exports / card_file_name(source_id)
        try:
            path.write_text(card_markdown(card), encoding="utf-8")
        except OSError:
            return render_card(card), provision_rows(card), hidden
        return render_card(card), provision_rows(card), gr.DownloadButton(value=str(path), visible=True)

    def open_link(self, evt: gr.EventData) -> Any:
        """A relation link in a card was clicked: pick that source (its card opens through the picker)."""
        try:
            target = evt.source_id
        except (AttributeError, TypeError):  # a click that was not on a card link
            target = None
        return gr.Dropdown(value=target) if isinstance(target, str) and target else gr.skip()

    def rows(self, statuses: list[str] | None) -> list[list[Any]]:
        """The sources table with only the chosen statuses (all when none is chosen)."""
        try:
            return source_rows(self.runtime, statuses)
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None

    def timeline(self) -> Any:
        """The library on a time axis with relation arrows (an image), or nothing when the library is unavailable."""
        try:
            library = self.runtime.service().library
            generation = library.catalog.generation()
            cached = self._timeline
            if cached is not None and cached[0] == generation:
                return cached[1]
            metas = [r.meta for r in library.catalog.records()]
            image = timeline_image(metas, library.relations(), library_standings(library, metas))
        except PolicychatError:
            return None
        self._timeline = (generation, image)
        return image
