"""The Gradio Blocks layout: a Chat tab (threads, chat, filters, passages), a Library tab and an Eval tab.

The components are built here and bound to the callbacks of
:mod:`assistant.ui.threads`, :mod:`assistant.ui.feedback`,
:mod:`assistant.ui.sources` and :mod:`assistant.ui.callbacks`; the Library
tab's widgets are in :mod:`assistant.ui.library_tab`. More tabs come from the ``policychat.ui_tabs``
entry points declared in pyproject.toml (the Eval tab: :mod:`eval.ui_tab`), so this layer never
imports the evaluation; each is a function ``(threads, api_key)`` building its widgets inside the tab.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import gradio as gr

from assistant.generators import available_generators
from assistant.serving.runtime import Runtime
from assistant.ui.callbacks import PASSAGES_PLACEHOLDER, LibraryCallbacks
from assistant.ui.cards import CardCallbacks
from assistant.ui.feedback import FeedbackCallbacks
from assistant.ui.library_tab import build_library_tab
from assistant.ui.sources import SourceCallbacks
from assistant.ui.thread_view import export_links
from assistant.ui.threads import ThreadCallbacks
from ingest.models import COUNTRIES

EXAMPLES = [
    "What does Executive Order 14179 direct?",
    "How do US and Chinese rules on labelling AI-generated content differ?",
    "生成式人工智能服务提供者有哪些义务？",
    "What did the US and China agree about AI and nuclear weapons?",
]
HEADER = (
    '<div id="pc-header"><h1>policychat</h1>'
    '<span class="pc-tagline">Cited answers on US–China AI capability and governance, from your own library.</span>'
    '<a href="/docs" target="_blank">API docs</a></div>'
)
CHAT_PLACEHOLDER = (
    "**Ask about US and Chinese AI policy.** Every sentence of an answer is quoted from a source in the "
    "library and carries a numbered citation; open a citation to read the passage in context."
)
P = "private"  # no event is part of Gradio's own API: the HTTP API lives under /v1


def build_ui(runtime: Runtime) -> gr.Blocks:
    """Build the UI bound to ``runtime`` (mount it with ``gr.mount_gradio_app``; CSS in :mod:`.theme`)."""
    settings = runtime.settings
    threads, library = ThreadCallbacks(runtime), LibraryCallbacks(runtime)
    feedback, sources = FeedbackCallbacks(threads), SourceCallbacks(threads, library)
    cards = CardCallbacks(runtime)
    generators = available_generators()
    with gr.Blocks(title="policychat", analytics_enabled=False) as demo:
        gr.HTML(HEADER)
        api_key = gr.Textbox(label="API key (this server needs it to save threads, rate answers and change the "
                                   "library)", type="password", visible=bool(settings.server.api_key),
                             elem_id="pc-api-key")
        notice = gr.HTML("", elem_id="pc-library-notice")
        turns, thread_id, message_ids, rated = gr.State([]), gr.State(None), gr.State([]), gr.State(None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=230, elem_id="pc-thread-panel"):
                        gr.HTML('<div class="pc-panel-title">Threads</div>')
                        new_thread = gr.Button("New thread", size="sm", elem_id="pc-thread-new")
                        thread_list = gr.Radio([], show_label=False, elem_id="pc-threads", container=False)
                        title = gr.Textbox(label="Thread title", max_length=200, elem_id="pc-thread-title")
                        with gr.Row():
                            rename = gr.Button("Rename", size="sm", min_width=60, elem_id="pc-thread-rename")
                            delete = gr.Button("Delete", size="sm", min_width=60, variant="stop",
                                               elem_id="pc-thread-delete")
                        with gr.Group(visible=False, elem_id="pc-thread-confirm") as confirm:
                            confirm_text = gr.HTML()
                            with gr.Row():
                                confirm_yes = gr.Button("Yes, delete", size="sm", variant="stop",
                                                        elem_id="pc-thread-delete-yes")
                                confirm_no = gr.Button("Cancel", size="sm", elem_id="pc-thread-delete-no")
                        export = gr.HTML(export_links(None), elem_id="pc-thread-export")
                        stale = gr.HTML("", elem_id="pc-thread-stale")
                        reask = gr.Button("Re-ask with the current library", size="sm", visible=False,
                                          elem_id="pc-thread-reask")
                    with gr.Column(scale=7):
                        chatbot = gr.Chatbot(label="policychat", show_label=False, height="70vh", min_height=420,
                                             elem_id="pc-chat", placeholder=CHAT_PLACEHOLDER, latex_delimiters=[],
                                             feedback_options=("Like", "Dislike"), buttons=[], autoscroll=True)
                        with gr.Row():
                            question = gr.Textbox(placeholder="Ask a question about US–China AI policy…",
                                                  show_label=False, scale=6, lines=1, max_lines=6,
                                                  max_length=settings.answer.max_question_chars, elem_id="pc-question",
                                                  autofocus=True)
                            ask = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="pc-ask")
                        rating_status = gr.HTML("", elem_id="pc-feedback-status")
                        with gr.Group(visible=False, elem_id="pc-feedback") as feedback_form:
                            feedback_heading = gr.HTML()
                            comment = gr.Textbox(label="Comment (optional)", lines=2, elem_id="pc-feedback-comment")
                            correct = gr.Textbox(label="Correct answer (optional)", lines=2,
                                                 elem_id="pc-feedback-answer")
                            named = gr.Dropdown([], multiselect=True, label="Sources that hold the answer (optional)",
                                                elem_id="pc-feedback-sources")
                            send = gr.Button("Send feedback", size="sm", variant="primary", elem_id="pc-feedback-send")
                        with gr.Column(elem_id="pc-examples"):
                            gr.HTML('<div class="pc-examples-title">Try an example</div>')
                            examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="pc-example")
                                        for q in EXAMPLES]
                    with gr.Column(scale=4, min_width=300):
                        with gr.Accordion("Filters", open=True):
                            countries = gr.CheckboxGroup(list(COUNTRIES), label="Country", elem_id="pc-country")
                            doc_types = gr.Dropdown([], multiselect=True, label="Document type",
                                                    elem_id="pc-doc-type")
                            with gr.Row():
                                date_from = gr.Textbox(label="Date from", placeholder="YYYY-MM-DD", max_length=10)
                                date_to = gr.Textbox(label="Date to", placeholder="YYYY-MM-DD", max_length=10)
                            as_of = gr.Textbox(label="As of", placeholder="YYYY-MM-DD", max_length=10,
                                               elem_id="pc-as-of", info="Answer from the sources in force that day")
                            default_generator = settings.answer.generator
                            generator = gr.Dropdown(generators, value=default_generator if default_generator in
                                                    generators else None, label="Answer generator")
                        with gr.Accordion("Retrieved passages", open=True):
                            passages = gr.HTML(PASSAGES_PLACEHOLDER, elem_id="pc-passages")
            with gr.Tab("Library", id="library"):
                lib = build_library_tab(settings)
            for plugin in sorted(entry_points(group="policychat.ui_tabs"), key=lambda entry: entry.name):
                with gr.Tab(plugin.name.capitalize(), id=plugin.name):
                    plugin.load()(threads, api_key)

        view = [chatbot, thread_id, message_ids, turns, thread_list, title, export, stale, reask]
        ask_inputs = [question, chatbot, thread_id, message_ids, turns, api_key, countries, doc_types, date_from,
                      date_to, generator, as_of]
        ask_outputs = [*view, passages, question]
        for trigger in (ask.click, question.submit):
            trigger(threads.ask, ask_inputs, ask_outputs, concurrency_limit=None, api_visibility=P)
        for button in examples:
            button.click(lambda text: text, button, question, queue=False, api_visibility=P).then(
                threads.ask, ask_inputs, ask_outputs, concurrency_limit=None, api_visibility=P)
        reask.click(threads.reask, [chatbot, thread_id, message_ids, turns, api_key, generator], ask_outputs,
                    concurrency_limit=None, api_visibility=P)
        new_thread.click(threads.new, None, [*view, passages], api_visibility=P)
        chatbot.clear(threads.new, None, [*view, passages], api_visibility=P)
        thread_list.input(threads.resume, thread_list, [*view, passages], api_visibility=P)
        rename.click(threads.rename, [thread_id, title, api_key], [thread_list, title], api_visibility=P)
        delete.click(threads.confirm_delete, thread_id, [confirm, confirm_text], api_visibility=P)
        confirm_yes.click(threads.delete, [thread_id, api_key], [*view, passages, confirm], api_visibility=P)
        confirm_no.click(lambda: gr.Group(visible=False), None, confirm, api_visibility=P)
        form = [feedback_form, feedback_heading, rated, named, comment, correct, rating_status]
        chatbot.like(feedback.rate, [thread_id, message_ids, api_key], form, api_visibility=P)
        send.click(feedback.send, [thread_id, rated, comment, correct, named, api_key], [feedback_form, rating_status],
                   api_visibility=P)

        library_view = [notice, doc_types, lib.table, lib.picker, lib.errors]
        refreshed = [lib.refresh.click(sources.refresh, None, library_view, api_visibility=P)]
        lib.add.click(library.upload, [*lib.upload_fields, api_key, lib.jobs], [lib.result, lib.jobs, lib.poll],
                      api_visibility=P)
        lib.poll.tick(sources.poll, lib.jobs, [lib.result, lib.jobs, *library_view, lib.poll], concurrency_limit=None,
                      api_visibility=P)
        lib.stop.click(library.cancel, [lib.jobs, api_key], lib.result, api_visibility=P)
        # An upload job changed state (queued, running, finished): the status filter and the timeline follow.
        lib.jobs.change(cards.rows, lib.status_filter, lib.table, api_visibility=P).then(
            cards.timeline, None, lib.timeline, api_visibility=P)
        lib.picker.change(sources.show, lib.picker, lib.details, api_visibility=P)
        lib.picker.change(cards.show, lib.picker, [lib.card, lib.provisions, lib.card_download], api_visibility=P)
        lib.card.click(cards.open_link, None, lib.picker, api_visibility=P)
        lib.status_filter.change(cards.rows, lib.status_filter, lib.table, api_visibility=P)
        refreshed.append(lib.reingest.click(sources.reingest, [lib.picker, api_key],
                                            [lib.status, lib.details, *library_view], api_visibility=P))
        lib.delete.click(sources.confirm_delete, lib.picker, [lib.confirm, lib.confirm_text], api_visibility=P)
        refreshed.append(lib.confirm_yes.click(sources.delete, [lib.picker, api_key], [lib.confirm, lib.status,
                                               lib.details, *library_view], api_visibility=P))
        lib.confirm_no.click(lambda: gr.Group(visible=False), None, lib.confirm, api_visibility=P)
        loaded = demo.load(sources.refresh, None, library_view, api_visibility=P)
        loaded.then(threads.load, None, view, api_visibility=P)
        for event in [*refreshed, loaded]:  # the status filter and the timeline follow every change of the library
            event.then(cards.rows, lib.status_filter, lib.table, api_visibility=P).then(
                cards.timeline, None, lib.timeline, api_visibility=P)
    demo.queue(default_concurrency_limit=8)
    return demo
