"""The Eval tab: review drafted gold questions one at a time, then evaluate the accepted ones on this library.

The review is :mod:`eval.review`'s, the same as ``policychat eval review``: each decision is saved into the
drafts file at once, so the tab and the command resume each other's reviews. The UI mounts this tab through
the ``policychat.ui_tabs`` entry point (pyproject.toml), so the assistant layer never imports the
evaluation. The drafts file is read from and written to the server's disk: with an API key set, every
action needs the key, and only ``.jsonl`` files are opened.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.ui import render
from assistant.ui.threads import ThreadCallbacks
from eval.review import Edits, decide, evaluate_accepted, format_must_include, load_review, parse_must_include
from policychat.errors import PolicychatError

DEFAULT_DRAFTS = "eval/data/generated.jsonl"
"""Where ``policychat eval generate`` writes by default (relative to the server's working directory)."""
TABLE_HEADERS = ["id", "decision", "kind", "language", "question"]
INTRO = (
    "Review drafted gold questions (from `policychat eval generate` or `eval candidates`) one at a time. Every "
    "decision is saved into the drafts file at once; `policychat eval review FILE --add-to eval/data/gold.jsonl` "
    "adds the accepted ones to the gold set."
)
NO_DRAFT = '<div class="pc-muted">Load a drafts file to review its questions.</div>'
P = "private"  # like every UI event: not part of Gradio's API


class EvalCallbacks:
    """Load, decide and evaluate drafts for the Eval tab, bound to the app's runtime and its key check."""

    def __init__(self, threads: ThreadCallbacks) -> None:
        """Share the runtime (settings, the answer service) and the API key check of ``threads``."""
        self.runtime = threads.runtime
        self.require_key = threads.require_key

    def load(self, path_text: str, api_key: str) -> tuple[Any, ...]:
        """Read the drafts file; show its first undecided draft (the view: see :meth:`_view`)."""
        return self._view(self._run(load_review, self._path(path_text, api_key)), None)

    def accept(self, path_text: str, current: str | None, api_key: str) -> tuple[Any, ...]:
        """Accept the shown draft as drafted; show the next undecided one."""
        return self._decide(path_text, current, api_key, "accept")

    def accept_edits(
        self,
        path_text: str,
        current: str | None,
        question: str,
        answerable: bool,
        kind: str | None,
        sources: str,
        evidence: str,
        must_include: str,
        reference: str,
        api_key: str,
    ) -> tuple[Any, ...]:
        """Accept the shown draft with the edit fields' values (a rule they break is shown, nothing is saved)."""
        edits = Edits(
            question=question,
            reference_answer=reference,
            answerable=answerable,
            kind=kind or "",
            gold_sources=[s.strip() for s in sources.split(",") if s.strip()],
            evidence=[part.strip() for part in evidence.replace("\r", "").split("\n\n") if part.strip()],
            must_include=parse_must_include(must_include),
        )
        return self._decide(path_text, current, api_key, "accept", edits)

    def reject(self, path_text: str, current: str | None, api_key: str) -> tuple[Any, ...]:
        """Reject the shown draft (it moves to ``<stem>.rejected.jsonl``); show the next undecided one."""
        return self._decide(path_text, current, api_key, "reject")

    def skip(self, path_text: str, current: str | None, api_key: str) -> tuple[Any, ...]:
        """Leave the shown draft undecided and show the next undecided one after it (wrapping round)."""
        state = self._run(load_review, self._path(path_text, api_key))
        return self._view(state, _after([item.id for item in state.pending], current))

    def _decide(self, path_text: str, current: str | None, api_key: str, decision: str, edits: Any = None) -> Any:
        """Save ``decision`` on the shown draft; the view shows the undecided draft that followed it."""
        path, shown = self._path(path_text, api_key), self._current(current)
        following = _after([item.id for item in self._run(load_review, path).pending], shown)
        return self._view(self._run(decide, path, shown, decision, edits), following)

    def run(self, path_text: str, api_key: str, progress: Any = gr.Progress()) -> str:  # noqa: B008 (Gradio's API)
        """Answer the accepted drafts with this app's answer service; the report (report.md) as Markdown."""
        path = self._path(path_text, api_key)
        reports = Path(self.runtime.settings.store.data_dir) / "eval-reports"
        try:
            reports.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=reports))
        except OSError as exc:
            raise gr.Error(f"{reports}: cannot write the report ({exc.strerror})") from None
        try:
            report = evaluate_accepted(
                self.runtime.service(),
                path,
                folder,
                progress=lambda done, total: progress((done, total), desc="answering"),
            )
        except PolicychatError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise gr.Error(str(exc)) from None
        return f"Report written to `{folder}`.\n\n" + report.read_text(encoding="utf-8")

    def _path(self, text: str, api_key: str) -> Path:
        self.require_key(api_key)
        path = Path((text or "").strip()).expanduser()
        if not str(text or "").strip() or path.suffix != ".jsonl":
            raise gr.Error("Enter the path of a drafts file ending in .jsonl (as policychat eval generate writes).")
        return path

    @staticmethod
    def _current(current: str | None) -> str:
        if not current:
            raise gr.Error("No draft is shown: load a drafts file first.")
        return current

    @staticmethod
    def _run(function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except PolicychatError as exc:
            raise gr.Error(str(exc)) from None

    def _view(self, state: Any, shown: str | None) -> tuple[Any, ...]:
        """The tab's outputs for a ``ReviewState``, showing draft ``shown`` or else the first undecided one.

        (status, drafts table, shown id, draft HTML, then the edit fields: question, answerable, kind, gold
        sources, evidence, must include, reference answer.)
        """
        from eval.dataset import KINDS  # eval is the layer above: imported when used

        pending = state.pending
        item = next((i for i in pending if i.id == shown), pending[0] if pending else None)
        rows = [[i.id, "accepted" if i.reviewed else "undecided", i.kind, i.language, i.question] for i in state.items]
        rows += [[i.id, "rejected", i.kind, i.language, i.question] for i in state.rejected]
        status = (
            f'<div class="pc-muted">{render.esc(str(state.path))}: {len(state.items) + len(state.rejected)} '
            f"drafts: {len(state.accepted)} accepted, {len(state.rejected)} rejected, {len(pending)} undecided"
            "</div>"
        )
        if item is None:
            done = '<div class="pc-notice">Every draft is decided. Run the evaluation on the accepted ones below.</div>'
            return (status, rows, None, done, "", False, gr.Dropdown(choices=list(KINDS), value=None), "", "", "", "")
        return (
            status,
            rows,
            item.id,
            _draft_html(item, pending.index(item) + 1, len(pending)),
            item.question,
            item.answerable,
            gr.Dropdown(choices=list(KINDS), value=item.kind),
            ", ".join(item.gold_sources),
            "\n\n".join(e.quote for e in item.evidence),
            format_must_include(item.must_include),
            item.reference_answer,
        )


def _after(ids: list[str], current: str | None) -> str | None:
    """The id after ``current`` in ``ids``, wrapping round (never ``current`` itself); the first when it is absent."""
    if current not in ids:
        return ids[0] if ids else None
    at = ids.index(current)
    rest = ids[at + 1 :] + ids[:at]
    return rest[0] if rest else None


def _draft_html(item: Any, position: int, total: int) -> str:
    """One draft (a ``GoldItem``) as the reviewer reads it: question, kind, language, evidence, key facts, answer."""
    evidence = (
        "".join(
            f'<li><span class="pc-muted">{render.esc(e.source_id)}</span> “{render.esc(e.quote)}”</li>'
            for e in item.evidence
        )
        or '<li class="pc-muted">none</li>'
    )
    facts = render.esc(format_must_include(item.must_include)) or '<span class="pc-muted">none</span>'
    return (
        f'<div id="pc-eval-current" data-id="{render.esc(item.id)}">'
        f'<div class="pc-muted">Undecided draft {position} of {total} · {render.esc(item.id)} · '
        f"{render.esc(item.kind)} · {item.language} · {'answerable' if item.answerable else 'unanswerable'}</div>"
        f"<h3>{render.esc(item.question)}</h3>"
        f"<div><strong>Evidence</strong><ul>{evidence}</ul></div>"
        f"<div><strong>Must include</strong>: {facts}</div>"
        f"<div><strong>Reference answer</strong>: {render.esc(item.reference_answer)}</div></div>"
    )


def build_eval_tab(callbacks: EvalCallbacks, api_key: Any) -> None:
    """Lay out the Eval tab inside the current ``gr.Tab`` and bind its events (they read the ``api_key`` box)."""
    gr.Markdown(INTRO)
    with gr.Row():
        path = gr.Textbox(DEFAULT_DRAFTS, label="Drafts file (JSONL on the server)", scale=6, elem_id="pc-eval-path")
        load = gr.Button("Load", scale=1, min_width=90, elem_id="pc-eval-load")
    status = gr.HTML("", elem_id="pc-eval-status")
    current = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            draft = gr.HTML(NO_DRAFT, elem_id="pc-eval-draft")
            with gr.Row():
                accept = gr.Button("Accept", variant="primary", size="sm", elem_id="pc-eval-accept")
                reject = gr.Button("Reject", variant="stop", size="sm", elem_id="pc-eval-reject")
                skip = gr.Button("Skip", size="sm", elem_id="pc-eval-skip")
            with gr.Accordion("Edit", open=False, elem_id="pc-eval-edit"):
                question = gr.Textbox(label="Question", lines=2, elem_id="pc-eval-question")
                with gr.Row():
                    answerable = gr.Checkbox(label="Answerable", elem_id="pc-eval-answerable")
                    kind = gr.Dropdown([], label="Kind", elem_id="pc-eval-kind")
                sources = gr.Textbox(label="Gold sources (ids, comma-separated)", elem_id="pc-eval-sources")
                evidence = gr.Textbox(
                    label="Evidence quotes, verbatim from the source (a blank line between quotes)",
                    lines=3,
                    elem_id="pc-eval-evidence",
                )
                must = gr.Textbox(
                    label="Must include (alternatives split by |, key facts by ;)", elem_id="pc-eval-must"
                )
                reference = gr.Textbox(label="Reference answer", lines=2, elem_id="pc-eval-reference")
                edit = gr.Button("Accept with these edits", variant="primary", size="sm", elem_id="pc-eval-edit-accept")
        with gr.Column(scale=4):
            table = gr.Dataframe(
                headers=TABLE_HEADERS,
                datatype=["str"] * len(TABLE_HEADERS),
                interactive=False,
                wrap=True,
                max_height=420,
                label="Drafts",
                elem_id="pc-eval-drafts",
            )
    with gr.Accordion("Evaluate the accepted drafts on this library", open=True):
        run = gr.Button("Run", elem_id="pc-eval-run")
        report = gr.Markdown("", elem_id="pc-eval-report")

    view = [status, table, current, draft, question, answerable, kind, sources, evidence, must, reference]
    for trigger in (load.click, path.submit):
        trigger(callbacks.load, [path, api_key], view, api_visibility=P)
    accept.click(callbacks.accept, [path, current, api_key], view, api_visibility=P)
    reject.click(callbacks.reject, [path, current, api_key], view, api_visibility=P)
    skip.click(callbacks.skip, [path, current, api_key], view, api_visibility=P)
    edit.click(
        callbacks.accept_edits,
        [path, current, question, answerable, kind, sources, evidence, must, reference, api_key],
        view,
        api_visibility=P,
    )
    run.click(callbacks.run, [path, api_key], report, concurrency_limit=1, api_visibility=P)


def eval_tab(threads: ThreadCallbacks, api_key: Any) -> None:
    """The ``policychat.ui_tabs`` entry point: build the Eval tab bound to the app's runtime and key check."""
    build_eval_tab(EvalCallbacks(threads), api_key)
