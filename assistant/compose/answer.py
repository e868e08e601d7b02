"""Composition by question kind: the direct lead first, then at most three supporting quotes.

* factoid — the typed span (date, number with unit, body …) nearest the focus; when no
  retrieved sentence holds both the focus and a span of that type, the draft says the
  library does not state it and quotes the closest sentence instead;
* yes/no — "Yes:"/"No:" with the deciding clause when one sentence clearly decides;
* who-is — "Name, role" from an apposition or the title before the name;
* definition — the defining sentence ("The term X means …", "X是指 …");
* list — the enumeration matching the requested count or the focus;
* summary — the document card's purpose and its parts' central sentences;
* comparison — one lead line per side;
* status, procedure, why, describe — the most relevant sentence first.

Support sentences must add something the answer does not have yet (new question
terms or new facts), near-duplicates are dropped, and at most two come from one
passage. Every sentence names the chunk span it quotes, for the verifier.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.compose.candidates import Candidate, candidate_sentences, reserve_sentences
from assistant.compose.factoid import factoid_lead
from assistant.compose.leads import (
    Lead,
    definition_candidate,
    document_date_lead,
    who_lead,
    yes_no_lead,
)
from assistant.compose.lists import best_enumeration
from assistant.compose.status import status_sentences
from assistant.compose.translation import with_translations
from assistant.evidence import content_tokens, numbers
from assistant.generators import GenerationInput
from assistant.models import Draft, DraftSentence
from assistant.question import QuestionAnalysis, analyze_question
from ingest.card_items import CardItem, OutlineItem
from ingest.cards import Card
from ingest.spans import has_span

MAX_SUPPORT = 3
MAX_OPEN = 4
"""Sentences of an answer without a derived lead (describe, why, procedure …)."""
MAX_PER_PASSAGE = 2
COVERAGE_GAIN = 0.5
SUPPORT_FOCUS_MIN = 0.2
SUPPORT_ROLES = frozenset({"body", "list_item"})
"""Support is body text; a date line or a signature may open an answer ("When was it signed?") but not pad it."""
"""A supporting sentence must hold this share of the question's focus (IDF-weighted)."""
_NOT_STATED = {
    "date": "The library does not give a date for this.",
    "duration": "The library does not give that time period.",
    "number": "The library does not give that number.",
    "quantity": "The library does not give that figure.",
    "percentage": "The library does not give that percentage.",
    "money": "The library does not give that amount.",
    "body": "The library does not say which body that is.",
    "person": "The library does not say who that is.",
    "place": "The library does not say where.",
    "document": "The library does not name that document.",
    "product": "The library does not name that model or product.",
}
_ASKS_REQUIREMENT = re.compile(
    r"\b(require[sd]?|requirements?|obligations?|oblige[sd]?|mandate[sd]?|must|have to|has to)\b|要求|义务|必须|应当",
    re.I,
)
_NAMED_TYPES = frozenset({"body", "person", "place", "product", "document"})
_WHICH_NOUN = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,3}?(company|firm|agency|department|office|official|body|organi[sz]ation|"
    r"ministry|regulator|developer|lab|model|chip|product|processor|person|country|group|council|committee)s?\b",
    re.I,
)
_CUES = {
    "why": re.compile(r"\b(because|due to|in order to|so that|to ensure|to protect|to prevent|as a result|given|"
                      r"since|reason|would have|undermin|threat|risk)\w*|因为|为了|由于|以便|旨在", re.I),
    "procedure": re.compile(r"\b(shall|must|should|submit|apply|file|register|request|notify|may)\b|应当|应|须|"
                            r"提交|申请|备案|报送", re.I),
    "requirement": re.compile(r"\b(shall|must|required?|requiring|obligat\w+|mandat\w+|prohibit\w*)\b|应当|必须|"
                              r"不得|须", re.I),
    "status": re.compile(r"\b(revok|rescind|rescission|supersed|replac|repeal|in force|in effect|suspend|"
                         r"amend|take effect|effective|expire)\w*|施行|废止|撤销|失效|生效", re.I),
}


def _sentence(candidate: Candidate, **extra: object) -> DraftSentence:
    return DraftSentence(candidate.text, candidate.chunk_id, candidate.start, candidate.end, **extra)  # type: ignore[arg-type]


def _lead_sentence(lead: Lead) -> DraftSentence:
    return DraftSentence(
        lead.text, lead.candidate.chunk_id, lead.candidate.start, lead.candidate.end,
        derived=lead.text != lead.candidate.text, prefix=lead.prefix, break_after=True,
    )


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = content_tokens(a), content_tokens(b)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.7


def _adds_something(candidate: Candidate, shown: list[str]) -> bool:
    """A support sentence must state something the answer does not: new terms or new numbers."""
    tokens, facts = content_tokens(candidate.text), numbers(candidate.text)
    known_tokens = set().union(*(content_tokens(t) for t in shown)) if shown else set()
    known_facts = set().union(*(numbers(t) for t in shown)) if shown else set()
    return len(tokens - known_tokens) >= 3 or bool(facts - known_facts)


def _support(
    candidates: list[Candidate],
    chosen: list[Candidate],
    shown: list[str],
    limit: int,
    cue: re.Pattern[str] | None,
    named: frozenset[str] = frozenset(),
    single_source: bool = False,
) -> list[Candidate]:
    """Pick up to ``limit`` more sentences, each close to the best and adding question terms or facts.

    Support stays in the documents the question names; for a question about one thing it stays in
    the source of the answer's first sentence unless another source scores almost as well.
    """
    if not candidates:
        return []
    best = max(c.score for c in candidates)
    per_passage: dict[str, int] = {}
    for c in chosen:
        per_passage[c.chunk_id] = per_passage.get(c.chunk_id, 0) + 1
    covered = set().union(*(c.matched for c in chosen)) if chosen else set()
    pool = [
        c for c in candidates
        if c.score >= 0.6 * best and c not in chosen and max(c.focus, c.lexical) >= SUPPORT_FOCUS_MIN
        and c.role in SUPPORT_ROLES
    ]
    if named and any(c.source_id in named for c in pool):  # the question names a document: stay in it
        pool = [c for c in pool if c.source_id in named]
    elif single_source and chosen:
        home = {c.source_id for c in chosen}
        pool = [c for c in pool if c.source_id in home or c.score >= 0.85 * best]
    picked: list[Candidate] = []

    def gain(c: Candidate) -> float:
        new = sum(share for token, share in c.matched.items() if token not in covered)
        return c.score + COVERAGE_GAIN * new + (0.1 if cue is not None and cue.search(c.text) else 0.0)

    while pool and len(picked) < limit:
        candidate = max(pool, key=gain)
        pool.remove(candidate)
        if per_passage.get(candidate.chunk_id, 0) >= MAX_PER_PASSAGE:
            continue
        if any(_near_duplicate(candidate.text, text) for text in shown):
            continue
        if shown and not _adds_something(candidate, shown):
            continue
        picked.append(candidate)
        shown.append(candidate.text)
        covered.update(candidate.matched)
        per_passage[candidate.chunk_id] = per_passage.get(candidate.chunk_id, 0) + 1
    return picked


def _with_lead(lead: Lead, candidates: list[Candidate], scope: dict) -> list[DraftSentence]:  # type: ignore[type-arg]
    """The lead line, its own sentence for context (unless the lead is most of it), then support."""
    sentences = [_lead_sentence(lead)]
    chosen = [lead.candidate]
    shown = [lead.text]
    if len(lead.text) < 0.7 * len(lead.candidate.text):
        sentences.append(_sentence(lead.candidate))
        shown.append(lead.candidate.text)
    for candidate in _support(candidates, chosen, shown, MAX_SUPPORT - (len(sentences) - 1), None, **scope):
        sentences.append(_sentence(candidate))
    return sentences


def _open(
    candidates: list[Candidate], first: Candidate | None, cue: re.Pattern[str] | None, scope: dict  # type: ignore[type-arg]
) -> list[DraftSentence]:
    """Answers without a derived lead: the deciding sentence first, then support, best first."""
    if first is None:
        # An answer does not open on a lead-in whose substance is in the items after its colon.
        ranked = sorted(candidates, key=lambda c: -(c.score + (0.1 if cue and cue.search(c.text) else 0.0)
                                                    - (0.15 if c.text.rstrip().endswith((":", "：")) else 0.0)))
        first = ranked[0]
    rest = _support(candidates, [first], [first.text], MAX_OPEN - 1, cue, **scope)
    return [_sentence(first), *(_sentence(c) for c in rest)]


def _comparison(candidates: list[Candidate], named: frozenset[str] = frozenset()) -> list[DraftSentence]:
    """One lead line per side (United States, China), then one more sentence per side.

    A side the question names a document for ("Trump's EO 14179", "China's Interim Measures")
    is answered from that document.
    """
    sentences: list[DraftSentence] = []
    for country, label in (("US", "United States:"), ("CN", "China:")):
        side = [c for c in candidates if c.country == country and not c.text.rstrip().endswith((":", "："))]
        if any(c.source_id in named for c in side):
            side = [c for c in side if c.source_id in named]
        side.sort(key=lambda c: -(c.score + 0.3 * c.focus))
        if not side:
            continue
        sentences.append(_sentence(side[0], prefix=label))
        extra = _support(side, [side[0]], [side[0].text], 1, None)
        sentences += [_sentence(c) for c in extra]
        sentences[-1].break_after = True
    return sentences or _open(candidates, None, None, {})


_PARTS = re.compile(
    r"\b(parts?|sections?|pillars?|chapters?|components?|structure|outline|organi[sz]ed|made up of|consists? of)\b|"
    r"构成|组成|哪几部分|几个部分|哪些部分|框架结构|章节|结构",
    re.I,
)


def _card_sentence(item: CardItem, **extra: object) -> DraftSentence:
    return DraftSentence(item.text, item.chunk_id, item.start, item.end, **extra)  # type: ignore[arg-type]


def _summary(card: Card, analysis: QuestionAnalysis) -> list[DraftSentence]:
    """A summary from the card: a named part's own sentences, the list of parts, or purpose + summary."""
    focus = analysis.focus_terms
    parts = [o for o in card.outline if o.sentences]
    if focus and parts:
        def overlap(o: OutlineItem) -> float:
            title = content_tokens(o.title)
            return len(title & focus) / len(title) if title else 0.0

        best = max(parts, key=overlap)
        if overlap(best) >= 0.6:  # "AI+意见“强化基础支撑能力”这部分主要讲了什么?": that part, by its sub-parts
            lines = [_card_sentence(item) for item in best.parts] if len(best.parts) >= 2 else []
            return lines + [_card_sentence(item, break_after=n == 0) for n, item in enumerate(best.sentences[:2])]
    headed = [o for o in card.outline if o.heading is not None]
    if _PARTS.search(analysis.question) and len(headed) >= 2:  # "由哪几部分构成": the parts as the document names them
        return [_card_sentence(o.heading) for o in headed[:12] if o.heading is not None]
    items = list(card.purpose[:1])
    items += [i for i in card.summary if all(i.source_start != p.source_start for p in items)]
    return [_card_sentence(item, break_after=n == 0) for n, item in enumerate(items[:5])]


PLAIN_FOCUS = 0.8
"""Share of the question's focus a sentence must hold to be quoted when no typed lead could be drawn."""


def _covering_sentence(analysis: QuestionAnalysis, candidates: list[Candidate]) -> Candidate | None:
    """A top sentence that states nearly all the question is about and holds a fact of the asked type.

    The lead rules (a new fact, the counted noun, the asked kind) can reject a sentence that does
    answer in other words; then the sentence itself is quoted instead of saying "not stated".
    """
    for candidate in candidates[:3]:
        if candidate.focus >= PLAIN_FOCUS and analysis.answer_type and has_span(candidate.text, analysis.answer_type):
            return candidate
    return None


def not_stated_message(analysis: QuestionAnalysis) -> str:
    """What an answer says when the library covers the topic but not the asked fact."""
    if analysis.language == "zh":
        return "资料库中没有说明这一点。"
    if re.match(r"\s*who(?:m|se)?\b", analysis.question, re.I) and analysis.answer_type in ("body", "person"):
        return "The library does not say who."
    which = _WHICH_NOUN.search(analysis.question)
    if analysis.answer_type in ("body", "person", "product") and which:
        return f"The library does not say which {which.group(1).lower()} that is."
    return _NOT_STATED.get(analysis.answer_type or "", "The library does not state this.")


def compose(data: GenerationInput) -> Draft:
    """Compose the extractive answer for ``data`` (see the module docstring)."""
    analysis = data.analysis or analyze_question(data.question)
    candidates = candidate_sentences(data)
    draft = Draft(generator="extractive", kind=analysis.kind)
    if analysis.kind == "status":
        lines, not_stated = status_sentences(analysis, data.standings, data.relations, data.metas)
        if lines:
            draft.sentences = lines
            return draft
        if not_stated and candidates:
            draft.not_stated = not_stated
            draft.sentences = [_sentence(candidates[0])]
            return draft
    if not candidates:
        return draft
    kind = analysis.kind
    card = next((data.cards[i] for i in analysis.doc_refs if i in data.cards), None)
    if kind == "summary" and card is not None and card.summary:
        draft.sentences = _summary(card, analysis)
        return draft
    lead: Lead | None = None
    first: Candidate | None = None
    if kind == "factoid":
        dates = {p.chunk.source_id: p.meta.date for p in data.passages if p.chunk.source_id in analysis.doc_refs}
        chunk_texts = {p.chunk_id: p.chunk.text for p in data.passages}
        lead = (
            document_date_lead(analysis, candidates + reserve_sentences(data), dates)
            or factoid_lead(analysis, candidates, data.doc_freq, chunk_texts)
            # only a preamble, a dateline or a credit line states it
            or factoid_lead(analysis, reserve_sentences(data), data.doc_freq, chunk_texts)
        )
        if lead is None and analysis.wants_span:
            first = _covering_sentence(analysis, candidates)
            if first is None:
                draft.not_stated = not_stated_message(analysis)
                draft.sentences = [_sentence(candidates[0])]
                return draft
    elif kind == "yesno":
        lead = yes_no_lead(analysis, candidates)
    elif kind == "who":
        lead = who_lead(analysis, candidates)
    elif kind == "definition":
        first = definition_candidate(analysis, candidates)
    elif kind == "list":
        enumeration = best_enumeration(analysis, candidates)
        if enumeration is None and analysis.asked_type in _NAMED_TYPES:
            # "Which companies endorsed it?": no enumeration, so the names must come from single sentences.
            typed = replace(analysis, kind="factoid", answer_type=analysis.asked_type)
            lead = factoid_lead(typed, candidates, data.doc_freq, {p.chunk_id: p.chunk.text for p in data.passages})
            if lead is None:
                draft.not_stated = not_stated_message(typed)
                draft.sentences = [_sentence(candidates[0])]
                return draft
        if enumeration is not None and enumeration.first is enumeration.last:
            lead = Lead(enumeration.first, enumeration.text)
        elif enumeration is not None:
            first = enumeration.first
    elif kind == "comparison":
        draft.sentences = with_translations(_comparison(candidates, frozenset(analysis.doc_refs)), data)
        return draft

    named = frozenset(analysis.doc_refs)
    works = {frozenset({r}) for r in analysis.doc_refs}
    scope = {"named": named, "single_source": kind not in ("comparison", "describe") and len(works) <= 1}
    if lead is not None:
        draft.sentences = _with_lead(lead, candidates, scope)
    else:
        cue = _CUES.get(kind)
        if cue is None and _ASKS_REQUIREMENT.search(analysis.question):
            cue = _CUES["requirement"]  # "What did EO 14110 require of developers?": the obligations first
        draft.sentences = _open(candidates, first, cue, scope)
    draft.sentences = with_translations(draft.sentences, data)
    return draft
