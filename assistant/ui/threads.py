"""Gradio callbacks of the chat and its thread list: ask inside a saved thread, resume, rename, delete.

Every question asked in the UI is saved in a thread (the same
:mod:`assistant.research.threads` code path as ``POST /v1/conversations/{id}/messages``);
the thread is created by its first question. When the server has an API key,
saving needs it (conversations are user data); without it answers still appear
but are not saved. Chat-level values travel as :data:`VIEW` outputs.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr
from pydantic import ValidationError

from assistant.models import Answer, AnswerRequest, ChatTurn, Citation
from assistant.research import threads
from assistant.research.conversation_models import Conversation, Message, MessageRequest
from assistant.research.pages import citation_pages
from assistant.serving.runtime import Runtime
from assistant.ui import render
from assistant.ui.callbacks import PASSAGES_PLACEHOLDER, build_filters, parse_as_of
from assistant.ui.progress import StreamProgress
from assistant.ui.thread_view import export_href, export_links, stale_notice, thread_choices, unsaved_notice
from policychat.errors import PolicychatError, SourceNotFoundError

ChatMessage = dict[str, str]
View = tuple[Any, ...]
VIEW = ("chatbot", "thread_id", "message_ids", "turns", "threads", "title", "export", "stale", "reask")
"""The outputs every thread callback sets, in this order (layout.py binds them to components)."""
EPHEMERAL_TURNS = 20
KEY_NEEDED = "This server needs its API key for that: enter it in the API key field above."


class ThreadCallbacks:
    """The chat with its thread panel, bound to the app's runtime."""

    def __init__(self, runtime: Runtime) -> None:
        """Bind to the app's runtime."""
        self.runtime = runtime

    def can_write(self, api_key: str | None) -> bool:
        """True when no key is configured or ``api_key`` is it."""
        expected = self.runtime.settings.server.api_key
        return not expected or hmac.compare_digest((api_key or "").encode(), expected.encode())

    def require_key(self, api_key: str | None) -> None:
        """Raise a ``gr.Error`` unless :meth:`can_write`."""
        if not self.can_write(api_key):
            raise gr.Error(KEY_NEEDED)

    # Rendering -----------------------------------------------------------------

    def renderer(self) -> tuple[render.TextLookup, render.PageLookup]:
        """Lookups for rendering answers: stored text by source id, and the PDF page of a citation."""
        catalog = self.runtime.service().library.catalog
        pdfs = {r.meta.id for r in catalog.records() if r.path.lower().endswith(".pdf")}
        quote_page = citation_pages(catalog)
        texts: dict[str, str | None] = {}

        def text(source_id: str) -> str | None:
            if source_id not in texts:
                try:
                    texts[source_id] = catalog.source(source_id).text
                except SourceNotFoundError:
                    texts[source_id] = None
            return texts[source_id]

        def page(citation: Citation) -> int | None:
            return quote_page(citation) if citation.source_id in pdfs else None

        return text, page

    def render_turn(self, answer: Answer, lookups: tuple[render.TextLookup, render.PageLookup],
                    message: Message | None = None) -> str:
        """One answer's HTML (citations naming the page their quote is on), with "Copy with sources" when stored."""
        href = export_href(message.conversation_id, "md", message.id) if message else None
        answer = answer.model_copy(update={"citations": [
            c.model_copy(update={"page": lookups[1](c) or c.page}) for c in answer.citations]})
        return render.render_answer(answer, lookups[0], uuid.uuid4().hex[:10], lookups[1], href)

    def view(self, conversation_id: str | None) -> View:
        """Everything :data:`VIEW` shows for a thread (or for no thread: an empty chat)."""
        store = self.runtime.conversations()
        choices = thread_choices(store.recent())
        if conversation_id is None:
            return ([], None, [], [], gr.Radio(choices=choices, value=None), "", export_links(None), "",
                    gr.Button(visible=False))
        conversation = store.get(conversation_id)
        lookups = self.renderer()
        messages: list[ChatMessage] = []
        ids: list[str | None] = []
        for message in conversation.messages:
            messages += [{"role": "user", "content": render.render_question(message.question)},
                         {"role": "assistant", "content": self.render_turn(message.answer, lookups, message)}]
            ids += [message.id, message.id]
        notice = self.stale(conversation)
        return (messages, conversation.id, ids, _turns(conversation), gr.Radio(choices=choices, value=conversation.id),
                conversation.title, export_links(conversation.id), notice, gr.Button(visible=bool(notice)))

    def stale(self, conversation: Conversation) -> str:
        """The stale-library notice for ``conversation`` (empty when its answers are current)."""
        try:
            return stale_notice(threads.staleness(conversation, self.runtime.service().library.catalog))
        except PolicychatError:
            return ""

    # Events ----------------------------------------------------------------------

    def load(self) -> View:
        """The page as it opens: the thread list, no thread selected."""
        return self.view(None)

    def new(self) -> tuple[Any, ...]:
        """Start a new thread (saved when its first question is asked); clears the passages."""
        return (*self.view(None), PASSAGES_PLACEHOLDER)

    def resume(self, conversation_id: str | None) -> tuple[Any, ...]:
        """Open a saved thread: its answers, re-rendered, and a notice if the library changed since."""
        try:
            return (*self.view(conversation_id), PASSAGES_PLACEHOLDER)
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None

    def rename(self, conversation_id: str | None, title: str, api_key: str) -> tuple[Any, Any]:
        """Give the current thread a new title; returns (thread list, title box)."""
        self.require_key(api_key)
        if not conversation_id:
            raise gr.Error("Open or start a thread first (ask a question).")
        title = " ".join((title or "").split())
        if not title:
            raise gr.Error("Type a title first.")
        store = self.runtime.conversations()
        try:
            renamed = store.rename(conversation_id, title[:200])
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None
        return gr.Radio(choices=thread_choices(store.recent()), value=renamed.id), renamed.title

    def confirm_delete(self, conversation_id: str | None) -> tuple[Any, str]:
        """Show the confirmation row for deleting the current thread."""
        if not conversation_id:
            raise gr.Error("Open a thread first.")
        summary = self.runtime.conversations().summary(conversation_id)
        return gr.Group(visible=True), (f'<div class="pc-confirm-text">Delete “{render.esc(summary.title)}” and its '
                                        f"{summary.message_count} answers? This cannot be undone.</div>")

    def delete(self, conversation_id: str | None, api_key: str) -> tuple[Any, ...]:
        """Delete the current thread, then show an empty chat."""
        self.require_key(api_key)
        if conversation_id:
            try:
                self.runtime.conversations().delete(conversation_id)
            except PolicychatError as exc:
                raise gr.Error(str(exc)) from None
        return (*self.view(None), PASSAGES_PLACEHOLDER, gr.Group(visible=False))

    def ask(self, question: str, chat: list[ChatMessage], conversation_id: str | None, ids: list[str | None],
            turns: list[dict[str, str]], api_key: str, countries: list[str], doc_types: list[str], date_from: str,
            date_to: str, generator: str | None, as_of: str = "") -> Iterator[tuple[Any, ...]]:
        """Answer ``question`` in the current thread (created if needed), streaming; yields VIEW + passages + box.

        ``as_of`` ("YYYY-MM-DD" or empty) answers from the sources in force that day.
        """
        question = (question or "").strip()
        if not question:
            raise gr.Error("Type a question first.")
        if self.runtime.settings.server.api_key_reads:
            self.require_key(api_key)
        limit = self.runtime.settings.answer.max_question_chars
        if len(question) > limit:
            raise gr.Error(f"The question is longer than {limit} characters; shorten it.")
        try:
            body = MessageRequest(question=question, filters=build_filters(countries, doc_types, date_from, date_to),
                                  generator=generator or None, as_of=parse_as_of(as_of))
        except ValidationError as exc:
            raise gr.Error(f"Invalid input: {exc.errors()[0]['msg']}") from None
        yield from self._answer(body, chat, conversation_id, ids, turns, api_key)

    def reask(self, chat: list[ChatMessage], conversation_id: str | None, ids: list[str | None],
              turns: list[dict[str, str]], api_key: str, generator: str | None) -> Iterator[tuple[Any, ...]]:
        """Ask the thread's latest question again, as it was asked (same filters and history), from the library now."""
        self.require_key(api_key)
        if not conversation_id:
            raise gr.Error("Open a thread first.")
        conversation = self.runtime.conversations().get(conversation_id)
        if not conversation.messages:
            raise gr.Error("This thread has no question yet.")
        last = conversation.messages[-1]
        body = MessageRequest(question=last.question, filters=last.filters, generator=generator or None,
                              as_of=last.answer.as_of)
        yield from self._answer(body, chat, conversation_id, ids, turns, api_key, before=last.position)

    def _answer(self, body: MessageRequest, chat: list[ChatMessage], conversation_id: str | None,
                ids: list[str | None], turns: list[dict[str, str]], api_key: str,
                before: int | None = None) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat and save it (when the key allows); yields VIEW + passages + box."""
        saving = self.can_write(api_key)
        store = self.runtime.conversations()
        skip = gr.skip()
        chat = [*chat, {"role": "user", "content": render.render_question(body.question)},
                {"role": "assistant", "content": render.render_pending()}]
        ids = [*ids, None, None]
        yield chat, skip, ids, skip, skip, skip, skip, skip, skip, skip, ""
        answer: Answer | None = None
        message_id: str | None = None
        try:
            if saving:
                conversation_id = conversation_id or store.create().id
                events = threads.stream(self.runtime.service(), store, conversation_id, body, before)
            else:
                history = [ChatTurn(**t) for t in turns[-EPHEMERAL_TURNS:]]  # type: ignore[arg-type]
                events = self.runtime.service().stream(AnswerRequest(question=body.question, history=history,
                                                                     filters=body.filters, generator=body.generator))
            progress = StreamProgress()
            for event in events:
                if progress.update(event):
                    chat[-1] = {"role": "assistant", "content": progress.render()}
                    yield chat, skip, skip, skip, skip, skip, skip, skip, skip, skip, ""
                elif event.get("event") == "answer":
                    answer = Answer.model_validate(event["data"])
                elif event.get("event") == "message":
                    message_id = event["data"]["message_id"]
        except PolicychatError as exc:
            chat[-1] = {"role": "assistant", "content": render.render_error(str(exc))}
            yield chat, skip, skip, skip, skip, skip, skip, skip, skip, skip, ""
            return
        if answer is None:
            return
        message = store.message(conversation_id, message_id) if saving and conversation_id and message_id else None
        chat[-1] = {"role": "assistant", "content": self.render_turn(answer, self.renderer(), message)}
        ids = [*ids[:-2], message_id, message_id]
        turns = [*turns, {"role": "user", "content": body.question}, {"role": "assistant", "content": answer.answer}]
        titles = {r.meta.id: r.meta.title for r in self.runtime.service().library.catalog.records()}
        passages = render.render_passages(answer.retrieved, titles)
        if not saving or conversation_id is None:
            yield chat, None, ids, turns, skip, skip, skip, unsaved_notice(), gr.Button(visible=False), passages, ""
            return
        conversation = store.get(conversation_id)
        notice = self.stale(conversation)
        threads_now = gr.Radio(choices=thread_choices(store.recent()), value=conversation_id)
        yield (chat, conversation_id, ids, turns, threads_now, conversation.title, export_links(conversation_id),
               notice, gr.Button(visible=bool(notice)), passages, "")


def _turns(conversation: Conversation) -> list[dict[str, str]]:
    """The thread as plain chat turns (the history of an unsaved follow-up)."""
    out: list[dict[str, str]] = []
    for message in conversation.messages[-EPHEMERAL_TURNS // 2:]:
        out += [{"role": "user", "content": message.question}, {"role": "assistant", "content": message.answer.answer}]
    return out
