"""Extractive composition in parts: each part of the question answered and cited on its own.

For every part, in order: a kind that answers from the library's structure (a
summary from a card, a status from relations) does so; a part the selector
supports is shaped by its kind (:meth:`assistant.core.kinds.KindSpec.compose`:
a typed lead, "No:" with the deciding clause, an enumeration, one line per
comparison side) or, by default, opens with its best candidate and adds up to
two supporting sentences; a part the selector does not support says so in the
question's language and quotes the closest sentence that does not hold the kind
of fact asked for (so a refusal never sits beside a quote that answers). Every
sentence names the chunk span it quotes, for the verifier.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.features import echoes, spans_of
from assistant.core.kinds import kind
from assistant.core.lang import LanguageData
from assistant.core.parts import PartContext, PartDraft, answer_with, sentence_of
from assistant.core.translation import with_translations
from assistant.generators import GenerationInput
from assistant.models import Draft, DraftPart

CLOSEST_FOCUS = 0.5
"""A refused part quotes the closest sentence only when it holds this share of the part's focus."""
CLOSEST_SCAN = 6
UNSURE_SHARE = 0.5
"""A refused part's best sentence with at least this share of the ranking, holding the asked kind of fact, is
shown after "I am not sure …" (the selector prefers it by far, the part model doubts the library answers)."""


def part_words(part: Part) -> str:
    """The part's own words, without the subject added from the question and the question mark."""
    return part.text.split(" (")[0].strip(" ?？")


def not_stated_message(part: Part, lang: LanguageData, parts: int = 1) -> str:
    """What a refused part says in ``lang``: what kind of fact the library does not state."""
    messages = lang.messages
    if parts > 1:
        return messages.unsupported_part.format(part=part_words(part))
    answer_type = part.answer_type or (part.asked_type if part.kind == "list" else None)
    if "who" in part.flags and answer_type in ("body", "person"):
        return messages.not_stated_who
    if part.noun and answer_type in ("body", "person", "product"):
        return messages.not_stated_which.format(noun=part.noun)
    return messages.not_stated.get(answer_type or "", messages.not_stated[""])


def holds_asked_fact(text: str, part: Part, analysis: QuestionAnalysis) -> bool:
    """Whether ``text`` holds a span of the part's asked type that says more than the question."""
    answer_type = part.answer_type or (part.asked_type if part.kind == "list" else None)
    if answer_type is None:
        return False
    return any(not echoes(span, part, analysis) for span in spans_of(text, answer_type))


def refused(context: PartContext, parts: int) -> PartDraft:
    """A part the library does not answer.

    The message, and (for a question in one part) the closest sentence that does not hold the asked kind of
    fact; or, when the best-ranked sentence holds it, "I am not sure …" and that sentence (never "the library
    does not give …" beside a quote that gives it).
    """
    message = not_stated_message(context.part, context.lang, parts)
    best = context.ranked[0] if context.ranked else None
    if (best is not None and best.p >= UNSURE_SHARE and not best.candidate.lead_in
            and holds_asked_fact(best.candidate.text, context.part, context.analysis)):
        messages = context.lang.messages
        unsure = messages.unsure if parts == 1 else messages.unsure_part.format(part=part_words(context.part))
        return PartDraft([sentence_of(best.candidate)], not_stated=unsure, supported=False)
    closest = None
    for ranked in context.ranked[:CLOSEST_SCAN] if parts == 1 else ():
        candidate = ranked.candidate
        if holds_asked_fact(candidate.text, context.part, context.analysis) or candidate.lead_in:
            continue
        if ranked.focus >= CLOSEST_FOCUS or candidate.source_id in context.named:
            closest = candidate
            break
    return PartDraft([sentence_of(closest)] if closest is not None else [], not_stated=message, supported=False)


def compose(data: GenerationInput) -> Draft:
    """The extractive draft of ``data`` in parts (see the module docstring)."""
    analysis, selection = data.analysis, data.selection
    assert analysis is not None and selection is not None, "the analyze and select steps run before generation"
    draft = Draft(generator="extractive", kind=analysis.kind)
    used: set[tuple[str, int]] = set()
    for index, chosen in enumerate(selection.parts):
        if used:  # a later part answers with what an earlier one has not already quoted
            chosen = replace(chosen, ranked=[r for r in chosen.ranked
                                             if (r.candidate.chunk_id, r.candidate.start) not in used])
        context = PartContext(index, chosen, analysis, data.passages, data.cards, data.standings, data.relations,
                              data.metas, as_of=data.as_of)
        spec = kind(chosen.part.kind)
        part = spec.structural(context)
        if part is None and chosen.supported and chosen.ranked:
            part = spec.compose(context) or answer_with(None, chosen.ranked[0].candidate, context,
                                                        wide=chosen.part.kind not in ("factoid", "who"))
        if part is None:
            part = refused(context, len(selection.parts))
        sentences = part.sentences if not part.supported else with_translations(part.sentences, data.passages,
                                                                                data.articles)
        for sentence in sentences:
            sentence.part = index
            if sentence.chunk_id is not None and sentence.start is not None:
                used.add((sentence.chunk_id, sentence.start))
        draft.sentences += sentences
        draft.parts.append(DraftPart(
            question=chosen.part.text, kind=chosen.part.kind, confidence=chosen.confidence,
            supported=part.supported, not_stated=part.not_stated,
            lead=f"{part.lead.prefix} {part.lead.text}".strip() if part.lead is not None else None,
        ))
    if len(draft.parts) == 1:
        draft.not_stated = draft.parts[0].not_stated
    return draft
