"""Open questions that are none of the other kinds: "What does EO 14179 say about ideological bias?".

The fallback kind: it is chosen only when no other detector fires, and answers
with the best candidates (up to three of support).
"""

from __future__ import annotations

from assistant.core.kinds import BaseKind, Reading, register
from assistant.core.parts import PartContext, PartDraft, answer_open

MAX_SUPPORT = 3


class Describe(BaseKind):
    """The fallback kind."""

    name = "describe"
    priority = 0

    def detect(self, reading: Reading) -> float:
        """Always a faint candidate, so an open question still has a kind."""
        return 0.05

    def compose(self, context: PartContext) -> PartDraft | None:
        """The best candidates, up to three of support."""
        return answer_open(context, MAX_SUPPORT)


register(Describe())
