"""Factoids: a date, a period, a number, an amount, a share, a body, a person, a place, a document, a product.

Detected when the part asks for a type of fact. The answer's lead is the typed
span of the **top-ranked** candidate nearest the part's focus ("within 45 days",
"2.5 million Ruritanian crowns", "the Office of Frontier Computing") — only when
that candidate holds a span of the asked type that says more than the question
does. Otherwise the answer opens with the candidate itself. Extra passes: a named
document's own dated passage ("When was X signed?") and its signature lines
("Who signed X?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.dates import same_date
from assistant.core.features import counts_asked_noun, nearest_span, relation_of, spans_of, typed_spans, window_focus
from assistant.core.kinds import BaseKind, Pass, Reading, register
from assistant.core.parts import Lead, PartContext, PartDraft, answer_with
from ingest.keywords import tokenize
from ingest.spans import Span

NAMED_TYPES = frozenset({"product", "body", "place", "person"})
LEAD_CONFIDENCE = 0.3
"""A part answered with less confidence opens with its sentence, not with a short lead that looks certain."""
LEAD_NEAR = 0.4
"""A lead span must be this close to the part's focus words (1 adjacent, 0 far)."""
MAX_NAMES = 6
_COUNTED = frozenset({"number", "quantity"})
def _extend(text: str, span: Span, part: Part) -> str:
    """A count with the noun it counts ("over 90" -> "over 90 Federal policy actions"), within its clause."""
    if span.type not in _COUNTED:
        return span.text
    end = span.end
    clause = re.split(r"[,;:.，；：。]", text[span.end :], maxsplit=1)[0]
    for match in list(re.finditer(r"[\w'’%/-]+", clause))[:5]:
        if match.start() > 40:
            break
        if set(tokenize(match.group())) & part.terms:
            end = span.end + match.end()
    return text[span.start : end].strip(" ,;:")


def typed_lead(context: PartContext) -> Lead | None:
    """The asked fact from the top-ranked candidate, or None when it holds no span of the asked type."""
    part = context.part
    best = context.ranked[0].candidate if context.ranked else None
    if best is None or not part.types:
        return None
    fresh, _ = typed_spans(best, part, context.analysis)
    if not fresh or context.selection.confidence < LEAD_CONFIDENCE:
        return None
    if part.types[0] in NAMED_TYPES and len(fresh) > 1 and ("plural" in part.flags or part.kind == "list"):
        return Lead(best, "; ".join(s.text for s in fresh[:MAX_NAMES]))
    near = nearest_span(fresh, best.text, part)
    assert near is not None
    if near[1] < LEAD_NEAR or counts_asked_noun(near[0], best.text, part) == 0.0:
        return None
    relation = relation_of(part, context.selection.pool_of(best.source_id)).get(best.source_id)
    if relation and window_focus(near[0], best.text, part, relation) == 0.0:
        return None  # the span is not where the sentence says what the question asks ("run by …")
    pieces = [_extend(best.text, near[0], part)]
    for extra_type in part.types[1:]:
        extra = [s for s in spans_of(best.text, extra_type) if s.text not in pieces[0]]
        found = nearest_span(extra, best.text, part)
        if found is not None:
            pieces.append(_extend(best.text, found[0], part))
    return Lead(best, "; ".join(pieces))


class Factoid(BaseKind):
    """A part asking for a typed fact."""

    name = "factoid"
    priority = 5

    def detect(self, reading: Reading) -> float:
        """Asks for a type of fact ("when", "how many", "which agency" …)."""
        if not reading.types:
            return 0.0
        if reading.lang.embedded_question.search(reading.text):
            return 0.9  # "Did NIST say how many comments it got?" asks for the number
        return 0.6

    def passes(self, part: Part, analysis: QuestionAnalysis) -> Sequence[Pass]:
        """The named documents' own dated passage or signature lines, when the part asks for them."""
        found: list[Pass] = []
        if part.answer_type == "date" and analysis.doc_refs and "issued" in part.flags:
            found.append(Pass("dated", analysis.doc_refs))
        if analysis.doc_refs and "signer" in part.flags:
            found.append(Pass("signature", analysis.doc_refs))
        return found

    def structural(self, context: PartContext) -> PartDraft | None:
        """"When was <document> signed / issued?": the date the catalog gives it, where the document states it."""
        part = context.part
        if part.answer_type != "date" or "issued" not in part.flags or not context.analysis.doc_refs:
            return None
        for ranked in context.ranked:
            candidate = ranked.candidate
            meta = context.metas.get(candidate.source_id)
            if candidate.source_id not in context.analysis.doc_refs or meta is None or len(meta.date) < 7:
                continue
            for span in spans_of(candidate.text, "date"):
                if same_date(span.text, meta.date):
                    return answer_with(Lead(candidate, span.text), candidate, context)
        return None

    def compose(self, context: PartContext) -> PartDraft | None:
        """The typed lead (when the top candidate holds one), then the candidate and its support.

        More support is quoted when there is no lead.
        """
        if not context.ranked:
            return None
        lead = typed_lead(context)
        # Without a lead the top sentence is not clearly the answer: show the next likely ones too.
        return answer_with(lead, context.ranked[0].candidate, context, wide=lead is None)


register(Factoid())
