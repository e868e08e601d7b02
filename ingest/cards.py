"""Document cards: what a source is and says, computed from its own text.

A card holds the sentences where the document states its purpose, its
top-level parts (each with its first substantive sentence) and a 3–5 sentence
extractive summary chosen for coverage of those parts. Every item points at its
exact span (chunk id and offsets into the chunk text, hence also into the
source's stored text), so an answer can cite it like any passage.

:func:`build_card` is a pure function of the source's chunks (with their
sentence roles) and, optionally, their sentence vectors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ingest.models import Chunk, SourceMeta
from ingest.roles import NOT_QUOTED

CARD_VERSION = 1
_PURPOSE = re.compile(
    r"\b(?:this|the present) (?:order|memorandum|framework|document|plan|rule|resolution|profile|fact sheet|"
    r"action plan|standard|publication|guidance|proclamation|report|deal|agreement|measures?)\s+(?:is intended to|"
    r"establishes|sets forth|sets out|provides|directs|aims|seeks|outlines|describes|identifies|offers|"
    r"fulfills|is designed|builds on|defines|specifies|lays out)|"
    r"\b(?:the|its) (?:purpose|goal|aim|objective|intent)s? of (?:this|the) [\w\s-]{2,60}? (?:is|are)\b|"
    r"\bis intended to (?:be )?(?:used|help|provide|serve|offer)|\bit is (?:the|hereby the) policy of\b|"
    r"\bthis (?:order|memorandum|document|framework|profile) (?:is|serves as)\b|"
    r"^(?:the )?(?:purpose|goal|aim)s?\b[^.]{0,40}\b(?:is|are|to)\b|\bResolves to\b|\b[Ss]ets out\b|"
    r"为了.{2,80}(?:制定本办法|制定本框架|制定本文件|特制定)|制定本(?:办法|框架|文件|规定|意见)|本文件(?:规定了|给出了|提出了)|"
    r"本(?:办法|框架|意见)(?:旨在|所称|适用)|现提出如下意见|本框架"
)
_OUTLINE_JUNK = re.compile(
    r"^\d{4}\s*年|^\d+(?:\.\d+)*\s*$|^\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}$|"
    r"^\d+ [A-Z][a-z]+ .{40,}$|^[\d\s.]+$|.*[。.]\s*\(?[a-z]\)?\s.{0,40}$"
)


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


@dataclass
class Card:
    """A source's purpose, outline and summary (see the module docstring)."""

    source_id: str
    title: str
    language: str
    purpose: list[CardItem] = field(default_factory=list)
    outline: list[OutlineItem] = field(default_factory=list)
    summary: list[CardItem] = field(default_factory=list)
    version: int = CARD_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    def chunk_ids(self) -> list[str]:
        """The chunks the card's items come from, in document order, without repeats."""
        ids: list[str] = []
        items = [*self.purpose, *self.summary, *(o.first for o in self.outline if o.first)]
        for item in sorted(items, key=lambda i: i.source_start):
            if item.chunk_id not in ids:
                ids.append(item.chunk_id)
        return ids


def _item(chunk: Chunk, start: int, end: int) -> CardItem:
    return CardItem(" ".join(chunk.text[start:end].split()), chunk.chunk_id, start, end,
                    chunk.start + start, chunk.start + end, chunk.page)


def _body_sentences(chunks: Sequence[Chunk]) -> list[tuple[Chunk, int, int, str]]:
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


def _heading(chunks: Sequence[Chunk], title: str) -> CardItem | None:
    """The heading sentence that opens the part ``title`` (searched in the part's first chunk)."""
    key = re.sub(r"\W", "", title).lower()
    for chunk in chunks:
        if _top_section(chunk) != title:
            continue
        for start, end, role in chunk.sentences:
            text = re.sub(r"\W", "", chunk.text[start:end]).lower()
            if role == "heading" and key and (text.startswith(key[:12]) or key.startswith(text[:12])) and text:
                return _item(chunk, start, end)
        return None
    return None


def _top_section(chunk: Chunk) -> str:
    return chunk.section.split(" > ")[0].strip()


def build_card(
    meta: SourceMeta,
    chunks: Sequence[Chunk],
    sentence_vectors: Mapping[str, Mapping[tuple[int, int], np.ndarray]] | None = None,
    summary_size: int = 4,
) -> Card:
    """Build the card of one source.

    Args:
        meta: the source's metadata.
        chunks: all its chunks in position order, with sentence roles.
        sentence_vectors: optional ``{chunk_id: {(start, end): vector}}``; with them the summary
            prefers each part's most central sentence, without them its first.
        summary_size: sentences in the summary (3–5 is useful).

    Returns:
        The :class:`Card`; lists are empty when the text offers nothing usable.
    """
    card = Card(meta.id, meta.title, meta.language)
    sentences = _body_sentences(chunks)
    if not sentences:
        return card
    total = max(1, chunks[-1].end)
    purposes = [
        (chunk, start, end) for chunk, start, end, _role in sentences
        if _PURPOSE.search(" ".join(chunk.text[start:end].split()))
    ]
    # The document states its purpose early; later matches are usually about other documents.
    purposes.sort(key=lambda s: s[0].start + s[1])
    card.purpose = [_item(c, a, b) for c, a, b in purposes[:2] if (c.start + a) / total < 0.5 or len(purposes) == 1]
    sections: dict[str, list[tuple[Chunk, int, int, str]]] = {}
    for sentence in sentences:
        title = _top_section(sentence[0])
        if title and not _OUTLINE_JUNK.match(title) and len(title) <= 90:
            sections.setdefault(title, []).append(sentence)
    card.outline = [
        OutlineItem(title, _item(*group[0][:3]), _heading(chunks, title), [_item(*g[:3]) for g in group[:3]])
        for title, group in sections.items()
    ]
    card.summary = _summary(card, sentences, sections, sentence_vectors, summary_size)
    return card


def _summary(
    card: Card,
    sentences: list[tuple[Chunk, int, int, str]],
    sections: dict[str, list[tuple[Chunk, int, int, str]]],
    vectors: Mapping[str, Mapping[tuple[int, int], np.ndarray]] | None,
    size: int,
) -> list[CardItem]:
    """Purpose first, then one central sentence per top-level part (or spread through the text), in order."""
    chosen: list[CardItem] = list(card.purpose[:1])

    def vector(s: tuple[Chunk, int, int, str]) -> np.ndarray | None:
        return None if vectors is None else vectors.get(s[0].chunk_id, {}).get((s[1], s[2]))

    known = [v for v in (vector(s) for s in sentences) if v is not None]
    centroid = np.mean(known, axis=0) if known else None

    def central(group: list[tuple[Chunk, int, int, str]]) -> tuple[Chunk, int, int, str]:
        if centroid is None:
            return group[0]
        scored = [(float(v @ centroid), i) for i, v in enumerate(vector(s) for s in group) if v is not None]
        return group[max(scored)[1]] if scored else group[0]

    groups = list(sections.values()) if len(sections) >= 2 else _spread(sentences, size)
    step = max(1, len(groups) / max(1, size - len(chosen)))
    picks = [groups[int(i * step)] for i in range(size - len(chosen)) if int(i * step) < len(groups)]
    for group in picks:
        item = _item(*central(group)[:3])
        if all(item.source_start != c.source_start for c in chosen):
            chosen.append(item)
    return sorted(chosen, key=lambda i: i.source_start)[:size]


def _spread(sentences: list[tuple[Chunk, int, int, str]], size: int) -> list[list[tuple[Chunk, int, int, str]]]:
    """Without named parts: the text cut into ``size`` equal runs of sentences."""
    n = max(1, size)
    width = max(1, len(sentences) // n)
    return [sentences[i : i + width] for i in range(0, len(sentences), width)][:n]
