"""The Gradio Blocks layout: a Chat tab (chat, filters, passages) and a Library tab (table, upload)."""

from __future__ import annotations

import gradio as gr

from assistant.api.runtime import Runtime
from assistant.generators import available_generators
from assistant.ui.callbacks import PASSAGES_PLACEHOLDER, ChatCallbacks, LibraryCallbacks
from ingest.loaders import supported_extensions
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
TABLE_HEADERS = ["id", "title", "country", "date", "type", "chunks"]


def build_ui(runtime: Runtime) -> gr.Blocks:
    """Build the UI bound to ``runtime`` (mount it with ``gr.mount_gradio_app``; CSS in :mod:`.theme`)."""
    settings = runtime.settings
    chat, library = ChatCallbacks(runtime), LibraryCallbacks(runtime)
    generators = available_generators()
    with gr.Blocks(title="policychat", analytics_enabled=False) as demo:
        gr.HTML(HEADER)
        notice = gr.HTML("", elem_id="pc-library-notice")
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=7):
                        chatbot = gr.Chatbot(label="policychat", show_label=False, height="70vh", min_height=420,
                                             elem_id="pc-chat", placeholder=CHAT_PLACEHOLDER, latex_delimiters=[],
                                             feedback_options=None, buttons=[], autoscroll=True)
                        with gr.Row():
                            question = gr.Textbox(placeholder="Ask a question about US–China AI policy…",
                                                  show_label=False, scale=6, lines=1, max_lines=6,
                                                  max_length=settings.max_question_chars, elem_id="pc-question",
                                                  autofocus=True)
                            ask = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="pc-ask")
                        with gr.Column(elem_id="pc-examples"):
                            gr.HTML('<div class="pc-examples-title">Try an example</div>')
                            examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="pc-example")
                                        for q in EXAMPLES]
                        clear = gr.Button("New conversation", size="sm", variant="secondary")
                    with gr.Column(scale=4, min_width=300):
                        with gr.Accordion("Filters", open=True):
                            countries = gr.CheckboxGroup(list(COUNTRIES), label="Country", elem_id="pc-country")
                            doc_types = gr.Dropdown([], multiselect=True, label="Document type",
                                                    elem_id="pc-doc-type")
                            with gr.Row():
                                date_from = gr.Textbox(label="Date from", placeholder="YYYY-MM-DD", max_length=10)
                                date_to = gr.Textbox(label="Date to", placeholder="YYYY-MM-DD", max_length=10)
                            generator = gr.Dropdown(generators, value=settings.generator if settings.generator in
                                                    generators else None, label="Answer generator")
                        with gr.Accordion("Retrieved passages", open=True):
                            passages = gr.HTML(PASSAGES_PLACEHOLDER, elem_id="pc-passages")
            with gr.Tab("Library", id="library"):
                table = gr.Dataframe(headers=TABLE_HEADERS, datatype=["str", "str", "str", "str", "str", "number"],
                                     interactive=False, wrap=True, max_height=520, elem_id="pc-sources-table",
                                     label="Sources in the library")
                refresh = gr.Button("Refresh", size="sm")
                with gr.Accordion("Add sources", open=True):
                    files = gr.File(file_count="multiple", file_types=supported_extensions(), type="filepath",
                                    label=f"Files ({', '.join(supported_extensions())}; "
                                          f"up to {settings.max_upload_mb:g} MB)", elem_id="pc-upload-files")
                    with gr.Row():
                        title = gr.Textbox(label="Title (optional)")
                        publisher = gr.Textbox(label="Publisher (optional)")
                        country = gr.Dropdown(list(COUNTRIES), value=None, label="Country (optional)")
                    with gr.Row():
                        when = gr.Textbox(label="Date (optional)", placeholder="YYYY-MM-DD")
                        doc_type = gr.Textbox(label="Document type (optional)", placeholder="e.g. regulation")
                        url = gr.Textbox(label="Original URL (optional)")
                    api_key = gr.Textbox(label="API key", type="password", visible=bool(settings.api_key))
                    with gr.Row():
                        add = gr.Button("Add to library", variant="primary", elem_id="pc-upload")
                        stop = gr.Button("Cancel uploads in progress", variant="secondary", elem_id="pc-upload-cancel")
                    result = gr.HTML(elem_id="pc-upload-result")
                    jobs = gr.State({})
                    poll = gr.Timer(1.0, active=False)

        ask_inputs = [question, chatbot, turns, countries, doc_types, date_from, date_to, generator]
        ask_outputs = [chatbot, turns, passages, question]
        for trigger in (ask.click, question.submit):
            trigger(chat.ask, ask_inputs, ask_outputs, api_visibility="private", concurrency_limit=None)
        for button in examples:
            button.click(lambda text: text, button, question, api_visibility="private", queue=False).then(
                chat.ask, ask_inputs, ask_outputs, api_visibility="private", concurrency_limit=None)
        chatbot.clear(lambda: [], None, turns, api_visibility="private")
        clear.click(chat.clear, None, [chatbot, turns, passages], api_visibility="private")
        refresh.click(library.refresh, None, [notice, doc_types, table], api_visibility="private")
        add.click(library.upload, [files, title, publisher, country, when, doc_type, url, api_key, jobs],
                  [result, jobs, poll], api_visibility="private")
        poll.tick(library.poll, jobs, [result, jobs, notice, doc_types, table, poll], api_visibility="private",
                  concurrency_limit=None)
        stop.click(library.cancel, [jobs, api_key], result, api_visibility="private")
        demo.load(library.refresh, None, [notice, doc_types, table], api_visibility="private")
    demo.queue(default_concurrency_limit=8)
    return demo
