"""Lists: "What are the four functions of the AI RMF?", "Which agencies oversee it?", "包括哪些方面？".

Detected by a plural ask ("which agencies", "what are the …", a requested count,
"哪些"). The answer is an enumeration found among the best-ranked candidates:
inline ("… four functions: GOVERN, MAP, MEASURE, and MANAGE", "网信、发展改革、教育…等部门")
or a lead-in followed by its list items ("(a) …", "- …", "（一）…"), quoted item by
item. An enumeration whose size matches the requested count, or whose lead-in is
ranked higher, wins. Without one, a list of names asked for ("which companies")
is read from the top candidate's typed spans, and otherwise the best candidates answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.candidates import Candidate
from assistant.core.kinds import BaseKind, Reading, register
from assistant.core.kinds.factoid import typed_lead
from assistant.core.parts import Lead, PartContext, PartDraft, answer_with, sentence_of
from assistant.core.select import Ranked

SCAN = 10
"""How many of the best-ranked candidates an enumeration is looked for among."""
MAX_ITEMS = 10
MAX_ITEM_WORDS = 12
NAMED_TYPES = frozenset({"body", "document", "place", "person", "product"})
_INLINE = re.compile(
    r"(?:[:：]|\b(?:such as|including|includes|include|namely|is composed of|consists of|comprises)\s)"
    r"\s*(?P<items>[^:：;]{3,400}?(?:,|，|、)\s*(?:and|or|以及|和|及)?\s*[^,，、;:]{1,80}?)(?:[.;。；]|$|\s+(?:to|that|"
    r"which|as|in order)\b)"
)
_CJK_ENUM = re.compile(
    r"(?:^|(?<=[，,：:（(的对在和及与为是]))(?P<items>(?:[\u4e00-\u9fff“”\w]{1,8}、){2,}[\u4e00-\u9fff“”\w]{1,8}?)"
    r"(?=等|[，,。；;：:）)]|$)"
)


@dataclass
class Enumeration:
    """The items of a list and the candidates they were read from (one sentence, or a lead-in and its items)."""

    items: list[str]
    first: Ranked
    members: list[Candidate]
    text: str


def _split_items(run: str) -> list[str]:
    parts = re.split(r"\s*(?:,|，|、|;|；)\s*(?:and\s+|or\s+|以及|和|及)?|\s+and\s+(?=[A-Z])", run)
    return [p.strip(" .。") for p in parts if p.strip(" .。")]


def _inline(ranked: Ranked) -> Enumeration | None:
    text = ranked.candidate.text
    for pattern in (_INLINE, _CJK_ENUM):
        match = pattern.search(text)
        if not match:
            continue
        run = match.group("items").strip(" ,")
        items = _split_items(run)
        if len(items) >= 2 and all(len(item.split()) <= MAX_ITEM_WORDS for item in items):
            return Enumeration(items, ranked, [ranked.candidate], run)
    return None


def _blocks(context: PartContext, top: list[Ranked]) -> list[Enumeration]:
    """A top-ranked lead-in or list item with the list items around it in the same chunk."""
    by_chunk: dict[str, list[Candidate]] = {}
    for candidate in context.selection.ranked:
        by_chunk.setdefault(candidate.candidate.chunk_id, []).append(candidate.candidate)
    found = []
    for ranked in top:
        group = sorted(by_chunk.get(ranked.candidate.chunk_id, []), key=lambda c: c.start)
        at = group.index(ranked.candidate)
        start = at + 1 if ranked.candidate.role != "list_item" else at
        while ranked.candidate.role == "list_item" and start > 0 and group[start - 1].role == "list_item":
            start -= 1
        end = start
        while end < len(group) and group[end].role == "list_item":
            end += 1
        items = group[start:end][:MAX_ITEMS]
        if len(items) >= 2:
            lead_in = [group[start - 1]] if start > 0 and group[start - 1].role != "list_item" else []
            heads = [_item_head(c.text) for c in items]
            found.append(Enumeration(heads, ranked, lead_in + items, "; ".join(heads)))
    return found


def _item_head(text: str) -> str:
    head = re.split(r"[:：。;；]|(?<=\w)\.\s", text, maxsplit=1)[0]
    return " ".join(head.split()[:MAX_ITEM_WORDS]) if not re.search(r"[\u4e00-\u9fff]", head) else head[:40]


def best_enumeration(context: PartContext) -> Enumeration | None:
    """The enumeration that answers the part, among the best-ranked candidates."""
    top = context.ranked[:SCAN]
    floor = top[0].p / 2 if top else 0.0
    options = [e for e in (_inline(r) for r in top if r.p >= floor) if e is not None]
    options += _blocks(context, [r for r in top[:3] if r.p >= floor])
    if not options:
        return None
    count = context.part.count

    def rank(e: Enumeration) -> tuple[float, float]:
        return ((1.0 if count and len(e.items) == count else 0.0) + e.first.p, -e.first.candidate.passage_rank)

    return max(options, key=rank)


class Listing(BaseKind):
    """A part asking for several things."""

    name = "list"
    priority = 6

    def detect(self, reading: Reading) -> float:
        """A plural ask or a requested count, not a yes/no question."""
        lang = reading.lang
        if not (lang.listing.search(reading.text) or reading.count):
            return 0.0
        if lang.yes_no_opening.search(reading.text):
            return 0.3
        if reading.count or not reading.types:
            return 0.71
        return 0.61 if reading.types[0] in NAMED_TYPES else 0.3

    def compose(self, context: PartContext) -> PartDraft | None:
        """The enumeration, quoted item by item; else the names the top candidate gives; else the best."""
        if not context.ranked:
            return None
        enumeration = best_enumeration(context)
        if enumeration is not None and len(enumeration.members) == 1:
            member = enumeration.members[0]
            return answer_with(Lead(member, enumeration.text), member, context)
        if enumeration is not None:
            sentences = [sentence_of(c) for c in enumeration.members]
            sentences[-1].break_after = True
            return PartDraft(sentences)
        return answer_with(typed_lead(context), context.ranked[0].candidate, context, 3, wide=True)


register(Listing())
