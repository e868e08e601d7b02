"""What composing one part of an answer works with and produces, and the pieces every kind shares.

A kind's composer (:meth:`assistant.core.kinds.KindSpec.compose`) gets a
:class:`PartContext` (the part, its ranked candidates, the library structures an
answer may draw on) and returns a :class:`PartDraft`. Helpers here turn a
candidate into a draft sentence and pick supporting sentences that add
something to what the part's answer already says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.candidates import Candidate
from assistant.core.evidence import content_tokens, numbers
from assistant.core.lang import LanguageData
from assistant.core.select import PartSelection, Ranked
from assistant.models import DraftSentence, Passage
from ingest.cards import Card
from ingest.models import SourceMeta
from ingest.relations import Relation, Standing

MAX_SUPPORT = 2
"""Supporting sentences after a part's answering sentence."""
OTHER_SOURCE_SHARE = 0.6
"""A supporting sentence from another source than the answering one needs this share of the best probability."""
MAX_PER_PASSAGE = 2
SUPPORT_SHARE = 0.2
"""A supporting sentence needs at least this share of the best candidate's probability."""
SUPPORT_FLOOR = 0.02
SUPPORT_ROLES = frozenset({"body", "list_item"})


@dataclass
class Lead:
    """The opening line of a part: the asked fact in the answering sentence's own words, or a labelled clause."""

    candidate: Candidate
    text: str
    prefix: str = ""


@dataclass
class PartContext:
    """Everything a kind's composer may use for one part."""

    index: int
    selection: PartSelection
    analysis: QuestionAnalysis
    passages: Sequence[Passage]
    cards: Mapping[str, Card] = field(default_factory=dict)
    standings: Mapping[str, Standing] = field(default_factory=dict)
    relations: Sequence[Relation] = ()
    metas: Mapping[str, SourceMeta] = field(default_factory=dict)
    as_of: date | None = None
    """The day asked about (``standings`` and ``relations`` are as of that day)."""
    reserve: Any = None
    """Unused by most kinds; kept for structures a kind may add."""

    @property
    def part(self) -> Part:
        """The part being answered."""
        return self.selection.part

    @property
    def ranked(self) -> list[Ranked]:
        """The part's candidates, best first."""
        return self.selection.ranked

    @property
    def lang(self) -> LanguageData:
        """The question's language data."""
        return self.analysis.lang

    @property
    def named(self) -> frozenset[str]:
        """The sources the question names."""
        return frozenset(self.analysis.doc_refs)


@dataclass
class PartDraft:
    """One part's draft: its sentences (the lead first), or why the library does not answer it."""

    sentences: list[DraftSentence] = field(default_factory=list)
    lead: Lead | None = None
    not_stated: str | None = None
    """Set when the library covers the topic but not the asked fact; ``sentences`` then quote what it says."""
    supported: bool = True
    structural: bool = False
    """The answer comes from the library's structure (a card, relations), not from the ranked candidates."""


def sentence_of(candidate: Candidate, **extra: object) -> DraftSentence:
    """The draft sentence quoting ``candidate`` whole."""
    return DraftSentence(candidate.text, candidate.chunk_id, candidate.start, candidate.end, **extra)  # type: ignore[arg-type]


def lead_sentence(lead: Lead) -> DraftSentence:
    """The draft sentence of a lead line (derived from its candidate unless it is the whole sentence)."""
    c = lead.candidate
    return DraftSentence(lead.text, c.chunk_id, c.start, c.end, derived=lead.text != c.text, prefix=lead.prefix,
                         break_after=True)


def near_duplicate(a: str, b: str) -> bool:
    """Whether two sentences say nearly the same words."""
    ta, tb = content_tokens(a), content_tokens(b)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.7


def adds_something(text: str, shown: Sequence[str]) -> bool:
    """Whether ``text`` states something ``shown`` does not: three new terms or a new number."""
    tokens, facts = content_tokens(text), numbers(text)
    known_tokens = set().union(*(content_tokens(t) for t in shown)) if shown else set()
    known_facts = set().union(*(numbers(t) for t in shown)) if shown else set()
    return len(tokens - known_tokens) >= 3 or bool(facts - known_facts)


def support(
    ranked: Sequence[Ranked],
    chosen: Sequence[Candidate],
    shown: list[str],
    limit: int = MAX_SUPPORT,
    named: frozenset[str] = frozenset(),
    share: float = SUPPORT_SHARE,
    other_share: float = OTHER_SOURCE_SHARE,
) -> list[Candidate]:
    """Up to ``limit`` more candidates, best first, each likely enough and adding something new.

    Support stays in the documents the question names when they hold any, takes at most two
    sentences of one passage, and skips near-duplicates of what the answer already shows.
    """
    if not ranked or limit <= 0:
        return []
    best = ranked[0].p
    floor = max(SUPPORT_FLOOR, share * best)
    pool = [r.candidate for r in ranked if r.p >= floor and r.candidate not in chosen
            and r.candidate.role in SUPPORT_ROLES]
    if named and any(c.source_id in named for c in pool):
        pool = [c for c in pool if c.source_id in named]
    home = {c.source_id for c in chosen}
    pool = [c for c, r in ((r.candidate, r) for r in ranked if r.candidate in pool)
            if c.source_id in home or r.p >= other_share * best]
    per_passage: dict[str, int] = {}
    for c in chosen:
        per_passage[c.chunk_id] = per_passage.get(c.chunk_id, 0) + 1
    picked: list[Candidate] = []
    for candidate in pool:
        if len(picked) >= limit:
            break
        if per_passage.get(candidate.chunk_id, 0) >= MAX_PER_PASSAGE:
            continue
        if any(near_duplicate(candidate.text, text) for text in shown) or not adds_something(candidate.text, shown):
            continue
        picked.append(candidate)
        shown.append(candidate.text)
        per_passage[candidate.chunk_id] = per_passage.get(candidate.chunk_id, 0) + 1
    return picked


WIDE_SUPPORT = 3
WIDE_SHARE = 0.1
WIDE_OTHER_SHARE = 0.3
"""An open part (describe, list, why …) takes more and weaker support: its answer is spread over sentences."""


def answer_with(lead: Lead | None, first: Candidate, context: PartContext, limit: int = MAX_SUPPORT,
                wide: bool = False) -> PartDraft:
    """A part answered by ``first`` (after ``lead``, when there is one) and up to ``limit`` supporting sentences.

    ``wide``: an open part; up to :data:`WIDE_SUPPORT` supporting sentences, weaker ones included.
    """
    sentences: list[DraftSentence] = []
    shown: list[str] = []
    if lead is not None:
        sentences.append(lead_sentence(lead))
        shown.append(lead.text)
    if lead is None or len(lead.text) < 0.7 * len(first.text) or lead.candidate is not first:
        sentences.append(sentence_of(first))
        shown.append(first.text)
    more = support(context.ranked, [first], shown, max(limit, WIDE_SUPPORT), context.named, WIDE_SHARE,
                   WIDE_OTHER_SHARE) if wide else support(context.ranked, [first], shown, limit, context.named)
    sentences += [sentence_of(candidate) for candidate in more]
    return PartDraft(sentences, lead)


def answer_open(context: PartContext, limit: int) -> PartDraft | None:
    """An open part (describe, procedure, why): the best candidate and up to ``limit`` of wide support.

    None when the part has no candidates.
    """
    if not context.ranked:
        return None
    return answer_with(None, context.ranked[0].candidate, context, limit, wide=True)
