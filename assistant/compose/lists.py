"""Enumerations: the items a list question asks for, found inline or as consecutive list items.

Inline: "…is composed of four functions: GOVERN, MAP, MEASURE, and MANAGE" or
"网信、发展改革、教育、科技…等部门" — the items are one verbatim run of the
sentence. Block: a lead-in sentence followed by list items ("(a) …", "- …",
"（一）…") in the same chunk. The enumeration whose size matches the requested
count wins, then the one whose lead-in holds the most of the focus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.compose.candidates import Candidate
from assistant.question import QuestionAnalysis
from ingest.keywords import tokenize

_INLINE = re.compile(
    r"(?:[:：]|\b(?:such as|including|includes|include|namely|is composed of|consists of|comprises)\s)"
    r"\s*(?P<items>[^:：;]{3,400}?(?:,|，|、)\s*(?:and|or|以及|和|及)?\s*[^,，、;:]{1,80}?)(?:[.;。；]|$|\s+(?:to|that|which|as|"
    r"in order)\b)"
)
_CJK_ENUM = re.compile(
    r"(?:^|(?<=[，,：:（(的对在和及与为是]))(?P<items>(?:[\u4e00-\u9fff“”\w]{1,8}、){2,}[\u4e00-\u9fff“”\w]{1,8}?)"
    r"(?=等|[，,。；;：:）)]|$)"
)
_MAX_ITEM_WORDS = 12


@dataclass
class Enumeration:
    """Items of a list with the candidate sentence(s) they were read from."""

    items: list[str]
    first: Candidate
    last: Candidate
    text: str
    """The items as one line, copied verbatim where they are one run of the sentence."""


def _split_items(run: str) -> list[str]:
    parts = re.split(r"\s*(?:,|，|、|;|；)\s*(?:and\s+|or\s+|以及|和|及)?|\s+and\s+(?=[A-Z])", run)
    return [p.strip(" .。") for p in parts if p.strip(" .。")]


def _inline(candidate: Candidate) -> Enumeration | None:
    for pattern in (_INLINE, _CJK_ENUM):
        match = pattern.search(candidate.text)
        if not match:
            continue
        run = match.group("items").strip(" ,")
        items = _split_items(run)
        if len(items) >= 2 and all(len(item.split()) <= _MAX_ITEM_WORDS for item in items):
            return Enumeration(items, candidate, candidate, run)
    return None


def _blocks(candidates: list[Candidate]) -> list[Enumeration]:
    """Lead-in + following list items of one chunk (candidates in text order)."""
    by_chunk: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_chunk.setdefault(candidate.chunk_id, []).append(candidate)
    found = []
    for group in by_chunk.values():
        group.sort(key=lambda c: c.start)
        i = 0
        while i < len(group):
            if group[i].role == "list_item":
                j = i
                while j + 1 < len(group) and group[j + 1].role == "list_item":
                    j += 1
                items = group[i : j + 1]
                if len(items) >= 2:
                    lead_in = group[i - 1] if i > 0 else items[0]
                    heads = [_item_head(c.text) for c in items]
                    found.append(Enumeration(heads, lead_in, items[-1], "; ".join(heads)))
                i = j + 1
            else:
                i += 1
    return found


def _item_head(text: str) -> str:
    """An item's name: up to its first colon or the first clause, at most 12 words."""
    head = re.split(r"[:：。;；]|(?<=\w)\.\s", text, maxsplit=1)[0]
    words = head.split()
    return " ".join(words[:_MAX_ITEM_WORDS]) if not re.search(r"[\u4e00-\u9fff]", head) else head[:40]


_ASKED_NOUN_ZH = re.compile(r"(?:哪些|哪几个|哪几类|哪几项|哪几|什么)([\u4e00-\u9fff]{2})")


def _asked_noun(question: str) -> str:
    """The kind of thing a Chinese list question asks for ("哪些部门" -> "部门"), or ""."""
    match = _ASKED_NOUN_ZH.search(question)
    return match.group(1) if match else ""


def _names_noun(enumeration: Enumeration, noun: str) -> bool:
    """Whether the items are followed ("…等部门") or introduced ("以下部门：") by ``noun``."""
    text = enumeration.first.text
    at = text.find(enumeration.text)
    if at < 0:
        return False
    after = text[at + len(enumeration.text) : at + len(enumeration.text) + 6]
    before = text[max(0, at - 12) : at]
    return noun in after or noun in before


def best_enumeration(analysis: QuestionAnalysis, candidates: list[Candidate]) -> Enumeration | None:
    """The enumeration that answers a list question, or None."""
    pool = candidates[:20]
    options = [e for e in (_inline(c) for c in pool) if e is not None] + _blocks(pool)
    if not options:
        return None
    focus = analysis.focus_terms

    noun = _asked_noun(analysis.question)

    def rank(e: Enumeration) -> tuple[float, float]:
        count_match = 1.0 if analysis.count and len(e.items) == analysis.count else 0.0
        if noun and _names_noun(e, noun):
            count_match += 0.5  # "哪些部门": "网信、发展改革…等部门" enumerates departments
        lead_tokens = set(tokenize(e.first.text))
        cover = len(lead_tokens & focus) / len(focus) if focus else 0.0
        return (count_match + cover + e.first.score, -e.first.passage_rank)

    # The items must answer this question: the sentence introducing them shares its focus.
    def shares_focus(e: Enumeration) -> bool:
        if e.first.cjk and analysis.focus_words:
            words = analysis.focus_words
            return sum(len(w) for w in words if w in e.first.text) / sum(len(w) for w in words) >= 0.34
        return not focus or len(set(tokenize(e.first.text)) & focus) / len(focus) >= 0.34

    options = [e for e in options if shares_focus(e)]
    if not options:
        return None
    best = max(options, key=rank)
    if analysis.count and len(best.items) != analysis.count and rank(best)[0] < 0.5:
        return None
    return best
