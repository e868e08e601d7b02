"""Follow-up questions become standalone queries before retrieval.

Without an LLM the rewrite is deterministic: an elliptical follow-up ("And
when did it take effect?") gets the subject terms of the previous user
question appended, so retrieval searches for the same thing again.
"""

from __future__ import annotations

import re

from assistant.models import ChatTurn
from ingest.keywords import tokenize

_ELLIPTICAL = re.compile(
    r"^\s*(and|but|also|what about|how about|then|so)\b|\b(it|its|it's|they|them|their|this|that|these|those|"
    r"he|she|the (order|rule|measure|measures|plan|document|framework|law|agency|body))\b|^\s*(它|其|该|这|那)",
    re.I,
)


def needs_context(question: str) -> bool:
    """True for a short or pronoun-led question that leans on the conversation."""
    words = len(question.split())
    return bool(_ELLIPTICAL.search(question)) or words <= 4


def _subject(turn: str) -> str:
    """The previous question without its question words: the terms that carry its subject."""
    kept = [w for w in re.findall(r"[\w’'.-]+|[\u4e00-\u9fff]+", turn) if tokenize(w)]
    return " ".join(kept)


def standalone_question(question: str, history: list[ChatTurn]) -> str:
    """Make ``question`` self-contained using ``history`` (deterministic).

    Returns:
        The question unchanged when it needs no context or there is no earlier
        user turn; otherwise the question followed by the previous user
        question's subject terms.
    """
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not previous or not needs_context(question):
        return question
    return f"{question.strip()} ({_subject(previous[-1])})"
