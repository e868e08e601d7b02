"""Negative feedback → draft gold items (library function and ``policychat eval candidates``), and the report."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import CompletedProcess

from assistant.models import Answer, Timings
from assistant.research.conversation_models import FeedbackIn
from assistant.research.conversations import ConversationStore
from eval.candidates import feedback_candidates
from eval.dataset import load_gold
from eval.metrics import ItemResult, summarize
from eval.runner import write_report


def _answer(text: str) -> Answer:
    return Answer(answer=text, abstained=False, citations=[], retrieved=[], generator="extractive",
                  timings_ms=Timings(), index_generation=1)


def _filled(data_dir: Path) -> ConversationStore:
    """Three rated answers: a thumbs-down with a correction, a bare thumbs-down on a follow-up, a thumbs-up."""
    store = ConversationStore.for_data_dir(data_dir)
    thread = store.create()
    first = store.add_message(thread.id, "What must Zorblax signatories register?", _answer("Their satellites. [1]"))
    second = store.add_message(thread.id, "By when?", _answer("Within a year. [1]"))
    other = store.add_message(store.create().id, "Who runs the registry?", _answer("The Lunar Registry. [1]"))
    store.set_feedback(thread.id, first.id, FeedbackIn(
        rating="down", comment="Not satellites.", correct_answer="Each orbital compute cluster.",
        source_ids=["zorblax-accord"]))
    store.set_feedback(thread.id, second.id, FeedbackIn(rating="down", comment="Wrong  deadline"))
    store.set_feedback(other.conversation_id, other.id, FeedbackIn(rating="up"))
    return store


def test_negative_feedback_becomes_unreviewed_dev_items(tmp_path: Path) -> None:
    store = _filled(tmp_path)
    items = {item.question: item for item in feedback_candidates(store)}
    assert set(items) == {"What must Zorblax signatories register?", "By when?"}  # the thumbs-up is left out
    corrected = items["What must Zorblax signatories register?"]
    assert corrected.reviewed is False and corrected.split == "dev" and corrected.answerable
    assert corrected.gold_sources == ["zorblax-accord"] and corrected.history == []
    assert corrected.reference_answer == "Each orbital compute cluster."
    assert corrected.evidence == [] and corrected.must_include == [] and corrected.id.startswith("fb-")
    follow_up = items["By when?"]
    assert [(t.role, t.content) for t in follow_up.history] == [
        ("user", "What must Zorblax signatories register?"), ("assistant", "Their satellites. [1]")]
    assert follow_up.reference_answer.startswith("TO REVIEW: write the correct answer.")
    assert "The user's comment: Wrong deadline" in follow_up.reference_answer
    assert follow_up.reference_answer.endswith("The answer given was: Within a year. [1]")
    assert follow_up.gold_sources == [] and "follow-up" in follow_up.tags
    assert feedback_candidates(store, since=datetime.now(UTC) + timedelta(seconds=5)) == []


def test_cli_writes_candidates_that_load_as_gold(tmp_path: Path, cli: Callable[..., CompletedProcess[str]]) -> None:
    data = tmp_path / "data"
    _filled(data)
    out = tmp_path / "drafts" / "feedback.jsonl"
    today = datetime.now(UTC).date().isoformat()
    done = cli("eval", "candidates", "--since", today, "--out", str(out), data_dir=data)
    assert done.returncode == 0, done.stderr
    assert "wrote 2 draft gold items" in done.stdout
    items = load_gold(out)  # valid GoldItem lines
    assert len(items) == 2 and all(not item.reviewed and item.split == "dev" for item in items)
    assert json.loads(out.read_text().splitlines()[0])["reviewed"] is False
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert cli("eval", "candidates", "--since", tomorrow, "--out", str(out), data_dir=data).returncode == 0
    assert out.read_text() == ""
    bad = cli("eval", "candidates", "--since", "last week", "--out", str(out), data_dir=data)
    assert bad.returncode == 1 and "--since must be a date" in bad.stderr


def test_eval_report_lists_recent_negative_feedback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _filled(data)
    with sqlite3.connect(data / "conversations.sqlite") as db:  # one thumbs-down given 40 days ago
        db.execute("UPDATE messages SET feedback_at = ? WHERE question = 'By when?'",
                   ((datetime.now(UTC) - timedelta(days=40)).timestamp(),))
    results = [ItemResult(id="g1", answerable=True, tags=["fact"], hits={1: 1.0, 5: 1.0, 10: 1.0})]
    report = write_report(tmp_path / "report", results, summarize(results), [], label="x", data_dir=data)
    text = (report / "report.md").read_text()
    section = text.split("## Recent negative feedback (last 30 days)", 1)[1]
    assert "**What must Zorblax signatories register?** — “Not satellites.” (sources named: zorblax-accord)" in section
    assert "By when?" not in section and "Who runs the registry?" not in section
    assert "1 answer rated down" in section
    empty = write_report(tmp_path / "empty", results, summarize(results), [], label="x", data_dir=tmp_path / "none")
    assert "None in" in (empty / "report.md").read_text().split("Recent negative feedback", 1)[1]
    without = write_report(tmp_path / "plain", results, summarize(results), [], label="x")
    assert "Recent negative feedback" not in (without / "report.md").read_text()
