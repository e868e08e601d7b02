"""Procedures: "How do companies apply for the program?", "如何备案？".

Answered by the best candidates; the selector weighs sentences that state steps or
duties ("shall submit", "应当报送") through its ``kind_cue`` feature.
"""

from __future__ import annotations

from assistant.core.kinds import BaseKind, Reading, register
from assistant.core.parts import PartContext, PartDraft, answer_open

MAX_SUPPORT = 3


class Procedure(BaseKind):
    """A part asking how something is done."""

    name = "procedure"
    priority = 3

    def detect(self, reading: Reading) -> float:
        """Asks how to do something."""
        return 0.72 if reading.lang.procedure.search(reading.text) else 0.0

    def compose(self, context: PartContext) -> PartDraft | None:
        """The best candidates, up to three of support."""
        return answer_open(context, MAX_SUPPORT)


register(Procedure())
