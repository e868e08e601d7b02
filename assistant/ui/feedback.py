"""Thumbs up / down under each answer, and the "what was wrong?" form a thumbs-down opens.

A rating is stored at once (the same store as ``POST .../messages/{id}/feedback``);
the form then adds a comment, the correct answer and the sources that hold it to
the same feedback. ``policychat eval candidates`` turns the negative ones into
draft gold items.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from pydantic import ValidationError

from assistant.research.conversation_models import FeedbackIn
from assistant.ui import render
from assistant.ui.threads import KEY_NEEDED, ThreadCallbacks
from policychat.errors import PolicychatError

NOT_SAVED = "This answer is not saved in a thread, so it cannot be rated (enter the API key to save threads)."


class FeedbackCallbacks:
    """The rating buttons and the feedback form."""

    def __init__(self, threads: ThreadCallbacks) -> None:
        """Share the thread callbacks' runtime and key check."""
        self.threads = threads

    def rate(self, conversation_id: str | None, ids: list[str | None], api_key: str,
             data: gr.LikeData) -> tuple[Any, str, str | None, Any, str, str, str]:
        """Store a thumbs up or down; a thumbs-down opens the form for details.

        Returns:
            (form group, form heading, rated message id, source choices, comment, correct answer, status).
        """
        index = data.index if isinstance(data.index, int) else data.index[0]
        message_id = ids[index] if 0 <= index < len(ids) else None
        if data.liked not in (True, False):  # the rating was withdrawn: nothing to store
            return gr.Group(visible=False), "", None, gr.skip(), "", "", ""
        if not self.threads.can_write(api_key):
            raise gr.Error(KEY_NEEDED)
        if not conversation_id or not message_id:
            raise gr.Error(NOT_SAVED)
        rating = "up" if data.liked is True else "down"
        store = self.threads.runtime.conversations()
        try:
            store.set_feedback(conversation_id, message_id, FeedbackIn(rating=rating))
            question = store.message(conversation_id, message_id).question
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None
        if rating == "up":
            return gr.Group(visible=False), "", None, gr.skip(), "", "", (
                '<div class="pc-feedback-status">Thanks: marked as a good answer.</div>')
        heading = (f'<div class="pc-feedback-title">What was wrong with the answer to '
                   f"“{render.esc(question)}”?</div>")
        try:
            ids_now = [r.meta.id for r in self.threads.runtime.service().library.catalog.records()]
        except PolicychatError:
            ids_now = []
        status = '<div class="pc-feedback-status">Marked as a wrong answer. Add details below (optional).</div>'
        return gr.Group(visible=True), heading, message_id, gr.Dropdown(choices=ids_now, value=[]), "", "", status

    def send(self, conversation_id: str | None, message_id: str | None, comment: str, correct: str,
             source_ids: list[str] | None, api_key: str) -> tuple[Any, str]:
        """Add the form's details to the thumbs-down; returns (form group, status)."""
        if not self.threads.can_write(api_key):
            raise gr.Error(KEY_NEEDED)
        if not conversation_id or not message_id:
            raise gr.Error(NOT_SAVED)
        try:
            feedback = FeedbackIn(rating="down", comment=comment or None, correct_answer=correct or None,
                                  source_ids=source_ids or [])
            self.threads.runtime.conversations().set_feedback(conversation_id, message_id, feedback)
        except ValidationError as exc:
            raise gr.Error(f"Invalid feedback: {exc.errors()[0]['msg']}") from None
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None
        return gr.Group(visible=False), ('<div class="pc-feedback-status">Feedback saved: it becomes a draft eval '
                                         "item with <code>policychat eval candidates</code>.</div>")
