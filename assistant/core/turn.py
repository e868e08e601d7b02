"""One question on its way through the answering chain: what each stage adds, in order.

:class:`Turn` is created by :class:`~assistant.service.AnswerService` (and by
:mod:`assistant.streaming`) and filled in by the stages: rewrite and analyze
(``query``, ``comparison``, ``analysis``), retrieve (:mod:`assistant.gather`:
``passages``, ``cards``, ``generation``), the gate (:mod:`assistant.gate`:
``evidence``, an :class:`Evidence`), generate (``draft``) and verify (:mod:`assistant.assemble`: ``answer``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.models import Answer, AnswerRequest, Draft, Passage, Timings
from ingest.cards import Card

if TYPE_CHECKING:
    from assistant.question import QuestionAnalysis
    from policychat.settings import Settings


@dataclass
class Evidence:
    """The abstain gate's view of the retrieved evidence."""

    strength: float
    missing_names: list[str]
    names_document: bool = False
    """The question names a document the library holds: the topic is covered, so the bar is half as high."""

    def sufficient(self, settings: Settings) -> bool:
        """Answer only if strong enough, and clearly stronger when a name the question is about is absent."""
        threshold = settings.answer.abstain_threshold * (0.5 if self.names_document else 1.0)
        if self.strength < threshold:
            return False
        return not self.missing_names or self.strength >= settings.answer.abstain_missing_name_threshold


@dataclass
class Turn:
    """State carried through the chain for one question."""

    request: AnswerRequest
    generator: str
    query: str = ""
    comparison: bool = False
    analysis: QuestionAnalysis | None = None
    cards: dict[str, Card] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    evidence: Evidence | None = None
    draft: Draft | None = None
    answer: Answer | None = None
    started: float = field(default_factory=time.perf_counter)
    timings: Timings = field(default_factory=Timings)
    generation: int | None = None
