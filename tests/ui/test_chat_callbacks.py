"""The chat's ask callback on a real runtime over the mini library (no browser needed).

A blank question is refused with a message before anything is retrieved; a real one on the same
runtime streams a cited answer, so the refusal cannot come from a callback that fails on everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr
import pytest
from testsupport import build_mini_library

from assistant.serving.runtime import Runtime
from assistant.serving.writes import ingest_uploads
from assistant.ui.threads import ThreadCallbacks

QUESTION = "Within how many days must developers report a training run?"


@pytest.fixture(scope="module")
def callbacks(tmp_path_factory: pytest.TempPathFactory) -> ThreadCallbacks:
    """The chat callbacks of a runtime on a private mini library (the chat opens its conversation store)."""
    return ThreadCallbacks(Runtime(build_mini_library(tmp_path_factory.mktemp("ui-ask")), ingest_uploads))


def ask(callbacks: ThreadCallbacks, question: str) -> Iterator[tuple[Any, ...]]:
    """The ask callback as the chat box calls it: empty thread, no filters, the default generator, no key."""
    return callbacks.ask(question, [], None, [], [], "", [], [], "", "", None)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", None])
def test_a_blank_question_is_refused_with_a_message(callbacks: ThreadCallbacks, blank: Any) -> None:
    threads_before = len(callbacks.runtime.conversations().recent())
    with pytest.raises(gr.Error, match="Type a question first"):
        next(ask(callbacks, blank))
    assert len(callbacks.runtime.conversations().recent()) == threads_before  # no thread started for it


def test_a_real_question_streams_a_cited_answer(callbacks: ThreadCallbacks) -> None:
    last = list(ask(callbacks, QUESTION))[-1]
    chat, thread_id = last[0], last[1]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "30 days" in chat[-1]["content"] and 'class="pc-marker"' in chat[-1]["content"]
    assert thread_id and callbacks.runtime.conversations().get(thread_id).messages[0].question == QUESTION
