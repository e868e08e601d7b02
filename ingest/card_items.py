"""The items of a document card: sentences with their exact spans, provisions and key figures.

A :class:`CardItem` is one sentence of the source with the chunk span and the source offsets
it comes from, so an answer can cite it like any passage. :func:`extract_provisions` finds
obligations and directives (actor, action, deadline or condition: "Within 90 days …, the
Secretary of Commerce shall …", "提供者应当 …") and :func:`extract_figures` the key figures
(thresholds, percentages, amounts, counts, dates) among the sentences :func:`body_sentences`
keeps. :mod:`ingest.cards` assembles them, with the purpose, outline and summary, into a card.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.models import Chunk
from ingest.roles import NOT_QUOTED
from ingest.spans import find_spans


@dataclass(frozen=True)
class CardItem:
    """A sentence of the source: its text and where it is (chunk span, source offsets, page)."""

    text: str
    chunk_id: str
    start: int
    end: int
    source_start: int
    source_end: int
    page: int | None = None


@dataclass(frozen=True)
class OutlineItem:
    """A top-level part of the document as it names itself, with its first substantive sentences.

    ``heading`` is the heading line itself when it could be found in the text (so it can be quoted);
    ``sentences`` are up to three body sentences of the part, the first one first.
    """

    title: str
    first: CardItem | None
    heading: CardItem | None = None
    sentences: list[CardItem] = field(default_factory=list)
    parts: list[CardItem] = field(default_factory=list)
    """The headings of the part's own sub-parts, in order ("1. 提升模型基础能力。", "2. …")."""


@dataclass(frozen=True)
class Provision:
    """An obligation or directive: who must do what, by when or under what condition."""

    actor: str
    action: str
    deadline: str
    item: CardItem


@dataclass(frozen=True)
class Figure:
    """A key figure (threshold, percentage, amount, count, date, period) and the sentence it comes from."""

    type: str
    value: str
    item: CardItem


def card_item(chunk: Chunk, start: int, end: int) -> CardItem:
    """The sentence ``chunk.text[start:end]`` as a card item, whitespace collapsed."""
    return CardItem(" ".join(chunk.text[start:end].split()), chunk.chunk_id, start, end,
                    chunk.start + start, chunk.start + end, chunk.page)


def body_sentences(chunks: Sequence[Chunk]) -> list[tuple[Chunk, int, int, str]]:
    """Sentences an answer may quote, in document order, without overlap repeats: (chunk, start, end, role)."""
    seen_upto = -1
    out = []
    for chunk in chunks:
        for start, end, role in chunk.sentences or [(s, e, "body") for s, e in chunk.sentence_spans()]:
            if chunk.start + start < seen_upto:
                continue  # the overlap a chunk repeats from the one before
            seen_upto = chunk.start + end
            text = chunk.text[start:end]
            cjk = bool(re.search(r"[\u3400-\u9fff]", text))
            if role in NOT_QUOTED or len(text) < (15 if cjk else 50) or len(text) > 600:
                continue
            out.append((chunk, start, end, role))
    return out


_MODAL = re.compile(
    r"\b(?:shall|must|is directed to|are directed to|is required to|are required to)\b(?!\s+not\b)|"
    r"应当|(?<![响适反相对供])应(?![用对急答变])|须|不得",
)
_CN_ACTOR_END = re.compile(r"(?:提供者|使用者|研发者|部门|机构|单位|组织|委员会|委|局|院|办|者|人员|企业)$")
_LED_BY = re.compile(r"^(?:Led by|Under the leadership of)\s+(?P<actor>[^,]{3,160}?),\s*(?P<action>.+)$")
_CN_ACTOR = re.compile(r"(?P<actor>[\u4e00-\u9fff（）()“”]{2,16})(?:应当|应|须|不得|要)")
_DEADLINE = re.compile(
    r"\b(?:within|no later than|not later than|by)\s+(?:\d+|[a-z]+)\s+(?:calendar\s+|business\s+)?"
    r"(?:days?|months?|years?)\b[^,;]{0,60}|\b(?:by|before|no later than)\s+(?:January|February|March|April|May|June|"
    r"July|August|September|October|November|December)\s+\d{1,2},\s+\d{4}|\bon an ongoing basis\b|"
    r"\bannually\b|\d+(?:个)?(?:工作日|日|天|个月|年)(?:内|以内)|每(?:周|月|年)",
    re.I,
)


def extract_provisions(sentences: list[tuple[Chunk, int, int, str]]) -> list[Provision]:
    """Obligations and directives: the actor before the modal verb (or after "Led by"), the action, a deadline."""
    found = []
    for chunk, start, end, _role in sentences:
        text = " ".join(chunk.text[start:end].split())
        text = re.sub(r"^(?:\(\w{1,4}\)\s*|[-•*]\s*|\d+(?:\.\d+)*\.?\s+|[a-z]\)\s*)+", "", text)
        deadline = _DEADLINE.search(text)
        led = _LED_BY.match(text)
        if led:
            actor, action = led.group("actor"), led.group("action")
        else:
            modal = _MODAL.search(text)
            if modal is None:
                continue
            before = text[: modal.start()]
            if re.search(r"[\u3400-\u9fff]", text):
                cn = _CN_ACTOR.search(re.split(r"[，,。；;：:]", before)[-1] + text[modal.start() : modal.end()])
                actor = cn.group("actor") if cn and _CN_ACTOR_END.search(cn.group("actor")) else ""
                actor = re.sub(r"^.*[（(]以下(?:简)?称|[)）]$", "", actor) if "以下" in actor else actor
            else:
                bodies = find_spans(before, "body")
                actor = bodies[-1].text if bodies else ""
            action = text[modal.start() :]
        actor = re.split(r"\s+and\s+consistent\s+with|\s+in\s+coordination\s+with", actor)[0]
        if not actor:
            continue
        found.append(Provision(actor.strip(" ,"), action.strip()[:300], deadline.group().strip() if deadline else "",
                               card_item(chunk, start, end)))
    return found


_FIGURE_TYPES = ("percentage", "money", "quantity", "duration", "date")


def _meaningful(value: str) -> bool:
    """A figure worth listing: a quantity needs a real unit word after its number ("320,000 GPUs", not "44 U")."""
    unit = re.search(r"(\d[\d,.]*)\s*([A-Za-z\u3400-\u9fff%]+)", value)
    if unit is None:
        return True
    number, word = unit.group(1).replace(",", ""), unit.group(2)
    if re.match(r"[\u3400-\u9fff%]", word):
        return True
    if word[0].isupper() or word in {"and", "the", "www", "of", "for", "days", "months", "years", "percent"}:
        return False  # "18 Now" is a footnote mark; "270 days of" is a period, listed as a duration
    return len(word) >= 3 and (not number.replace(".", "").isdigit() or float(number) >= 10)


def extract_figures(sentences: list[tuple[Chunk, int, int, str]]) -> list[Figure]:
    """Thresholds, percentages, amounts, counts, periods and dates, each with its sentence (one per sentence)."""
    found = []
    for chunk, start, end, _role in sentences:
        text = " ".join(chunk.text[start:end].split())
        for figure_type in _FIGURE_TYPES:
            spans = [s for s in find_spans(text, figure_type) if re.search(r"\d", s.text) and _meaningful(s.text)]
            if spans:
                found.append(Figure(figure_type, spans[0].text, card_item(chunk, start, end)))
                break
    order = {t: i for i, t in enumerate(_FIGURE_TYPES)}
    return sorted(found, key=lambda f: (order[f.type], f.item.source_start))
