"""One question on its way through the answering chain: what each stage adds, in order.

:class:`Turn` is created by :class:`~assistant.service.AnswerService` (and by
:mod:`assistant.generators.streaming`) and filled in by the stages: analyze (``analysis``,
``query``), retrieve (:mod:`assistant.core.gather`: ``passages``, ``cards``,
``generation``), select (:mod:`assistant.core.select`: ``selection``), generate
(``draft``) and verify (:mod:`assistant.core.assemble`: ``answer``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.models import Answer, AnswerRequest, Draft, Filters, Passage, Timings
from ingest.cards import Card

if TYPE_CHECKING:
    from assistant.core.analysis import QuestionAnalysis
    from assistant.core.select import Selection


@dataclass
class Turn:
    """State carried through the chain for one question."""

    request: AnswerRequest
    generator: str
    query: str = ""
    analysis: QuestionAnalysis | None = None
    cards: dict[str, Card] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    selection: Selection | None = None
    draft: Draft | None = None
    answer: Answer | None = None
    started: float = field(default_factory=time.perf_counter)
    timings: Timings = field(default_factory=Timings)
    generation: int | None = None
    filters: Filters | None = None
    """What retrieval searches: the request's filters, narrowed to the sources in force on its ``as_of`` day
    (set by the retrieve stage)."""
    in_force: set[str] | None = None
    """With ``as_of``: the sources issued by then and not revoked, rescinded or superseded by then."""

    @property
    def comparison(self) -> bool:
        """Whether the question compares sides (see :func:`assistant.core.kinds.comparison.comparison_sides`)."""
        return self.analysis is not None and self.analysis.comparison
