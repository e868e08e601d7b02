"""Why questions: "Why did the US rescind the AI diffusion rule?", "为什么要开展安全评估？".

Answered by the best candidates; the selector weighs sentences that give a reason
("because", "in order to", "旨在") through its ``kind_cue`` feature.
"""

from __future__ import annotations

from assistant.core.kinds import BaseKind, Reading, register
from assistant.core.parts import PartContext, PartDraft, answer_open

MAX_SUPPORT = 3


class Why(BaseKind):
    """A part asking for a reason."""

    name = "why"
    priority = 8

    def detect(self, reading: Reading) -> float:
        """A reason is asked for."""
        return 0.75 if reading.lang.why.search(reading.text) else 0.0

    def compose(self, context: PartContext) -> PartDraft | None:
        """The best candidates, up to three of support."""
        return answer_open(context, MAX_SUPPORT)


register(Why())
