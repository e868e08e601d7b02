"""Negative feedback from stored conversations → draft gold items, and the eval report's feedback section.

A thumbs-down on an answer becomes an unreviewed ``dev`` item: the question
with the turns before it, the sources the user named, and as
``reference_answer`` the user's correct answer or, failing that, a note quoting
the answer that was marked wrong. Evidence quotes and key facts stay empty for
the reviewer to fill in before the item is moved into the gold set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.models import ChatTurn
from assistant.research.conversation_models import RatedMessage
from assistant.research.conversations import ConversationStore
from eval.dataset import GoldItem

REPORT_DAYS = 30
REPORT_ITEMS = 20
_TURN_CHARS = 20_000


def _note(rated: RatedMessage) -> str:
    feedback = rated.message.feedback
    comment = f" The user's comment: {' '.join(feedback.comment.split())}" if feedback and feedback.comment else ""
    wrong = " ".join(rated.message.answer.answer.split())
    return (f"TO REVIEW: write the correct answer. A user marked this answer wrong.{comment} "
            f"The answer given was: {wrong}")


def candidate_item(rated: RatedMessage) -> GoldItem:
    """A draft gold item (``reviewed: false``, ``split: dev``) from one answer rated down."""
    message, feedback = rated.message, rated.message.feedback
    history: list[ChatTurn] = []
    for question, answer in rated.history:
        history += [ChatTurn(role="user", content=question[:_TURN_CHARS]),
                    ChatTurn(role="assistant", content=answer[:_TURN_CHARS])]
    return GoldItem(
        id=f"fb-{message.id.removeprefix('msg-')}",
        question=message.question,
        history=history,
        answerable=True,
        gold_sources=list(feedback.source_ids) if feedback else [],
        evidence=[],
        must_include=[],
        reference_answer=(feedback.correct_answer if feedback and feedback.correct_answer else _note(rated)),
        tags=["feedback", "follow-up"] if history else ["feedback"],
        reviewed=False,
        split="dev",
    )


def feedback_candidates(store: ConversationStore, since: datetime | None = None) -> list[GoldItem]:
    """Draft gold items from every answer rated down (at or after ``since``), newest feedback first."""
    return [candidate_item(rated) for rated in store.rated("down", since)]


def write_candidates(items: list[GoldItem], out: Path) -> None:
    """Write ``items`` as JSONL to ``out`` (its folder is created)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(item.model_dump_json() + "\n" for item in items), encoding="utf-8")


def feedback_section(data_dir: Path, days: int = REPORT_DAYS, limit: int = REPORT_ITEMS,
                     now: datetime | None = None) -> list[str]:
    """Markdown lines for an eval report: the latest answers rated down in the last ``days`` days."""
    lines = ["", f"## Recent negative feedback (last {days} days)", ""]
    path = Path(data_dir) / "conversations.sqlite"
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    rated = ConversationStore(path).rated("down", since) if path.is_file() else []
    if not rated:
        return [*lines, f"None in {path}."]
    lines.append(f"{len(rated)} answer{'' if len(rated) == 1 else 's'} rated down; `policychat eval candidates --since "
                 f"{since.date().isoformat()} --out FILE` drafts gold items from them.")
    lines.append("")
    for item in rated[:limit]:
        feedback = item.message.feedback
        when = feedback.created_at.date().isoformat() if feedback else "?"
        comment = f" — “{' '.join(feedback.comment.split())[:200]}”" if feedback and feedback.comment else ""
        named = f" (sources named: {', '.join(feedback.source_ids)})" if feedback and feedback.source_ids else ""
        lines.append(f"- {when} **{' '.join(item.message.question.split())[:200]}**{comment}{named} "
                     f"[{item.message.conversation_id} / {item.message.id}]")
    return lines
