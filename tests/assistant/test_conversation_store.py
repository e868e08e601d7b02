"""The SQLite conversation store on its own: titles, order, feedback, what eval candidates read."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.models import Answer, Filters, Timings
from assistant.research.conversation_models import FeedbackIn
from assistant.research.conversations import ConversationStore
from policychat.errors import ConversationNotFoundError


def _answer(text: str, generation: int = 3) -> Answer:
    return Answer(answer=text, abstained=False, citations=[], retrieved=[], generator="extractive",
                  timings_ms=Timings(total=1.0), index_generation=generation)


def test_first_question_names_an_untitled_thread_only(tmp_path: Path) -> None:
    store = ConversationStore.for_data_dir(tmp_path)
    untitled, titled = store.create(), store.create("Kept title")
    long_question = "What does the accord say about " + "orbital compute " * 10
    store.add_message(untitled.id, long_question, _answer("a"))
    store.add_message(titled.id, "Q?", _answer("b"))
    assert store.summary(titled.id).title == "Kept title"
    title = store.summary(untitled.id).title
    assert len(title) <= 80 and title.endswith("…") and title.startswith("What does the accord say about orbital")
    store.add_message(untitled.id, "Second question?", _answer("c"))
    assert store.summary(untitled.id).title == title  # only the first question names it
    assert [c.id for c in store.recent()] == [untitled.id, titled.id]  # most recently updated first


def test_messages_keep_order_filters_and_history(tmp_path: Path) -> None:
    store = ConversationStore.for_data_dir(tmp_path)
    conversation = store.create()
    filters = Filters(country=["CN"])
    for n in range(5):
        store.add_message(conversation.id, f"q{n}", _answer(f"a{n}"), filters if n == 2 else None)
    stored = store.get(conversation.id)
    assert [m.position for m in stored.messages] == [0, 1, 2, 3, 4]
    assert stored.messages[2].filters == filters and stored.messages[1].filters is None
    assert stored.messages[4].answer == _answer("a4")
    assert store.history(conversation.id, 2) == [("q3", "a3"), ("q4", "a4")]


def test_concurrent_appends_get_distinct_positions(tmp_path: Path) -> None:
    store = ConversationStore.for_data_dir(tmp_path)
    conversation = store.create()
    workers = [threading.Thread(target=lambda i=i: store.add_message(conversation.id, f"q{i}", _answer("a")))
               for i in range(16)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(m.position for m in store.get(conversation.id).messages) == list(range(16))


def test_unknown_ids_and_delete(tmp_path: Path) -> None:
    store = ConversationStore.for_data_dir(tmp_path)
    conversation = store.create()
    message = store.add_message(conversation.id, "q", _answer("a"))
    with pytest.raises(ConversationNotFoundError):
        store.message(conversation.id, "msg-nope")
    with pytest.raises(ConversationNotFoundError):
        store.set_feedback(conversation.id, "msg-nope", FeedbackIn(rating="up"))
    assert store.delete(conversation.id) == 1
    for call in (lambda: store.get(conversation.id), lambda: store.rename(conversation.id, "x"),
                 lambda: store.add_message(conversation.id, "q", _answer("a")), lambda: store.delete(conversation.id),
                 lambda: store.message(conversation.id, message.id)):
        with pytest.raises(ConversationNotFoundError):
            call()


def test_rated_reads_the_latest_feedback_with_earlier_turns(tmp_path: Path) -> None:
    store = ConversationStore.for_data_dir(tmp_path)
    conversation = store.create()
    first = store.add_message(conversation.id, "q0", _answer("a0"))
    second = store.add_message(conversation.id, "q1", _answer("a1"))
    store.set_feedback(conversation.id, first.id, FeedbackIn(rating="down"))
    store.set_feedback(conversation.id, first.id, FeedbackIn(rating="up"))  # replaces the thumbs-down
    store.set_feedback(conversation.id, second.id, FeedbackIn(rating="down", comment="wrong", source_ids=["s1"]))
    down = store.rated("down")
    assert [r.message.id for r in down] == [second.id]
    assert down[0].history == [("q0", "a0")] and down[0].message.feedback.comment == "wrong"  # type: ignore[union-attr]
    assert [r.message.id for r in store.rated("up")] == [first.id]
    assert store.rated("down", since=datetime.now(UTC) + timedelta(minutes=1)) == []
