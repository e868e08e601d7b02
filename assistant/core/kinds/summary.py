"""Summaries: "Summarize EO 14179.", "AI+意见“强化基础支撑能力”这部分主要讲了什么?".

Detected by a summary cue. The answer comes from the document's card (built at
ingest): a named part's own sentences when the focus names one of the document's
parts, the document's list of parts when the question asks how it is organised,
else the card's purpose and summary sentences. The retrieve stage adds the card's
passages (the named document's, or the top-ranked document's).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.evidence import content_tokens
from assistant.core.kinds import BaseKind, Pass, Reading, register
from assistant.core.parts import PartContext, PartDraft
from assistant.models import DraftSentence
from ingest.card_items import CardItem, OutlineItem
from ingest.cards import Card

PART_OVERLAP = 0.6
MAX_PARTS = 12
MAX_SENTENCES = 5


def _card_sentence(item: CardItem, **extra: object) -> DraftSentence:
    return DraftSentence(item.text, item.chunk_id, item.start, item.end, **extra)  # type: ignore[arg-type]


def card_summary(card: Card, part: Part) -> list[DraftSentence]:
    """A summary from ``card``: a named part's own sentences, the list of parts, or purpose + summary."""
    parts = [o for o in card.outline if o.sentences]
    if part.focus_terms and parts:
        def overlap(o: OutlineItem) -> float:
            title = content_tokens(o.title)
            return len(title & part.focus_terms) / len(title) if title else 0.0

        best = max(parts, key=overlap)
        if overlap(best) >= PART_OVERLAP:
            lines = [_card_sentence(item) for item in best.parts] if len(best.parts) >= 2 else []
            return lines + [_card_sentence(item, break_after=n == 0) for n, item in enumerate(best.sentences[:2])]
    headed = [o for o in card.outline if o.heading is not None]
    if "outline" in part.flags and len(headed) >= 2:
        return [_card_sentence(o.heading) for o in headed[:MAX_PARTS] if o.heading is not None]
    items = list(card.purpose[:1])
    items += [i for i in card.summary if all(i.source_start != p.source_start for p in items)]
    return [_card_sentence(item, break_after=n == 0) for n, item in enumerate(items[:MAX_SENTENCES])]


class Summary(BaseKind):
    """A part asking what a document (or a part of it) says overall."""

    name = "summary"
    priority = 9

    def detect(self, reading: Reading) -> float:
        """A summary cue ("summarize", "overview", "主要内容" …)."""
        return 0.9 if reading.lang.summary.search(reading.text) else 0.0

    def passes(self, part: Part, analysis: QuestionAnalysis) -> Sequence[Pass]:
        """The card passages of the named document (or of the top-ranked one)."""
        return [Pass("card", analysis.doc_refs)]

    def structural(self, context: PartContext) -> PartDraft | None:
        """The card's summary of the document the question names (or the top-ranked one)."""
        card = next((context.cards[i] for i in context.analysis.doc_refs if i in context.cards), None)
        if card is None and context.cards:
            card = next(iter(context.cards.values()))
        if card is None or not card.summary:
            return None
        sentences = card_summary(card, context.part)
        return PartDraft(sentences, structural=True) if sentences else None


register(Summary())
