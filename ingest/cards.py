"""Document cards: what a source is and says, computed from its own text.

A card holds the source's identity (title, aliases, issuer, date, type,
language, country), the sentences where it states its purpose, its top-level
parts (each with its first substantive sentences), its provisions (actor,
action, deadline or condition: "Within 90 days …, the Secretary of Commerce
shall …", "提供者应当 …"), its key figures (thresholds, percentages, amounts,
counts, dates) and a 3–5 sentence extractive summary chosen for coverage of its
parts. Every item points at its exact span (chunk id and offsets into the chunk
text, hence also into the source's stored text), so an answer can cite it like
any passage (the items and their extraction are in :mod:`ingest.card_items`).
Status and relations come from the whole library (:mod:`ingest.relations`).

:func:`build_card` is a pure function of the source's chunks (with their
sentence roles) and, optionally, their sentence vectors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ingest.aliases import derive_aliases
from ingest.card_items import (
    CardItem,
    Figure,
    OutlineItem,
    Provision,
    body_sentences,
    card_item,
    extract_figures,
    extract_provisions,
)
from ingest.models import Chunk, SourceMeta

CARD_VERSION = 6
MAX_PROVISIONS = 200
MAX_FIGURES = 40
_PURPOSE = re.compile(
    r"\b(?:this|the present) (?:order|memorandum|framework|document|plan|rule|resolution|profile|fact sheet|"
    r"action plan|standard|publication|guidance|proclamation|report|deal|agreement|measures?)\s+(?:is intended to|"
    r"establishes|sets forth|sets out|provides|directs|aims|seeks|outlines|describes|identifies|offers|"
    r"fulfills|is designed|builds on|defines|specifies|lays out)|"
    r"\b(?:the|its) (?:purpose|goal|aim|objective|intent)s? of (?:this|the) [\w\s-]{2,60}? (?:is|are)\b|"
    r"\bis intended to (?:be )?(?:used|help|provide|serve|offer)|\bit is (?:the|hereby the) policy of\b|"
    r"\bthese measures are (?:established|formulated)|"
    r"\bthis (?:order|memorandum|document|framework|profile) (?:is|serves as)\b|"
    r"^(?:the )?(?:purpose|goal|aim)s?\b[^.]{0,40}\b(?:is|are|to)\b|\bResolves to\b|\b[Ss]ets out\b|"
    r"为了.{2,80}(?:制定本办法|制定本框架|制定本文件|特制定)|制定本(?:办法|框架|文件|规定|意见)|本文件(?:规定了|给出了|提出了)|"
    r"本(?:办法|框架|意见)(?:旨在|所称|适用)|现提出如下意见|本框架",
    re.I,
)
# How surely a match states the document's own purpose: "This order establishes …" beats "it is the policy of".
_STRONG_PURPOSE = re.compile(
    r"\b(?:this|the present) (?:order|memorandum|framework|document|plan|rule|resolution|profile|fact sheet|"
    r"action plan|standard|publication|guidance|proclamation)\s+(?:is intended to|establishes|sets forth|sets out|"
    r"provides|aims|seeks|outlines|describes|offers|is designed|revokes|directs|requires)|"
    r"\bthese measures are (?:established|formulated)|\bthe (?:purpose|goal|aim|objective) of (?:this|the)"
    r"|为了.{2,80}制定本|本文件规定了|本框架",
    re.I,
)
_OUTLINE_JUNK = re.compile(
    r"^\d{4}\s*年|^\d+(?:\.\d+)*\s*$|^\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}$|"
    r"^\d+ [A-Z][a-z]+ .{40,}$|^[\d\s.]+$|.*[。.]\s*\(?[a-z]\)?\s.{0,40}$"
)


@dataclass
class Card:
    """A source's identity, purpose, outline, provisions, key figures and summary (see the module docstring)."""

    source_id: str
    title: str
    language: str
    issuer: str = ""
    date: str = ""
    doc_type: str = ""
    country: str = ""
    aliases: list[str] = field(default_factory=list)
    purpose: list[CardItem] = field(default_factory=list)
    outline: list[OutlineItem] = field(default_factory=list)
    provisions: list[Provision] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    summary: list[CardItem] = field(default_factory=list)
    version: int = CARD_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Card:
        """Rebuild a card from :meth:`to_dict` output."""
        def item(d: dict[str, Any] | None) -> CardItem | None:
            return CardItem(**d) if d else None

        return cls(
            source_id=data["source_id"], title=data["title"], language=data["language"], issuer=data.get("issuer", ""),
            date=data.get("date", ""), doc_type=data.get("doc_type", ""), country=data.get("country", ""),
            aliases=list(data.get("aliases", [])),
            purpose=[CardItem(**i) for i in data.get("purpose", [])],
            outline=[
                OutlineItem(o["title"], item(o.get("first")), item(o.get("heading")),
                            [CardItem(**i) for i in o.get("sentences", [])],
                            [CardItem(**i) for i in o.get("parts", [])])
                for o in data.get("outline", [])
            ],
            provisions=[
                Provision(p["actor"], p["action"], p["deadline"], CardItem(**p["item"]))
                for p in data.get("provisions", [])
            ],
            figures=[Figure(f["type"], f["value"], CardItem(**f["item"])) for f in data.get("figures", [])],
            summary=[CardItem(**i) for i in data.get("summary", [])],
            version=int(data.get("version", 0)),
        )

    def chunk_ids(self) -> list[str]:
        """The chunks the card's items come from, in document order, without repeats."""
        ids: list[str] = []
        items = [*self.purpose, *self.summary]
        for part in self.outline:
            items += [i for i in (part.first, part.heading) if i is not None]
            items += [*part.sentences, *part.parts]
        for item in sorted(items, key=lambda i: i.source_start):
            if item.chunk_id not in ids:
                ids.append(item.chunk_id)
        return ids


def _heading(chunks: Sequence[Chunk], title: str) -> CardItem | None:
    """The heading sentence that opens the part ``title`` (searched in the part's first chunk)."""
    key = re.sub(r"\W", "", title).lower()
    for chunk in chunks:
        if _top_section(chunk) != title:
            continue
        for start, end, role in chunk.sentences:
            text = re.sub(r"\W", "", chunk.text[start:end]).lower()
            if role == "heading" and key and (text.startswith(key[:12]) or key.startswith(text[:12])) and text:
                return card_item(chunk, start, end)
        return None
    return None


def _sub_headings(chunks: Sequence[Chunk], title: str, limit: int = 12) -> list[CardItem]:
    """Headings inside the part ``title`` one level down (the second element of the chunks' section paths)."""
    seen: set[str] = set()
    found: list[CardItem] = []
    for chunk in chunks:
        path = chunk.section.split(" > ")
        if path[0].strip() != title or len(path) < 2 or path[1] in seen:
            continue
        seen.add(path[1])
        key = re.sub(r"\W", "", path[1]).lower()[:10]
        for start, end, role in chunk.sentences:
            if role == "heading" and key and re.sub(r"\W", "", chunk.text[start:end]).lower().startswith(key):
                found.append(card_item(chunk, start, end))
                break
        if len(found) >= limit:
            break
    return found


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
    card = Card(
        meta.id, meta.title, meta.language, meta.publisher, meta.date, meta.doc_type, meta.country,
        aliases=sorted(derive_aliases(meta)),
    )
    sentences = body_sentences(chunks)
    if not sentences:
        return card
    card.provisions = extract_provisions(sentences)[:MAX_PROVISIONS]
    card.figures = extract_figures(sentences)[:MAX_FIGURES]
    total = max(1, chunks[-1].end)
    purposes = [
        (chunk, start, end) for chunk, start, end, _role in sentences
        if _PURPOSE.search(" ".join(chunk.text[start:end].split()))
        and not re.search(r"\bsaid\b|[“”\"]\s*$|,”", chunk.text[start:end])  # a quote is someone else's voice
    ]
    # The document states its purpose early; later matches are usually about other documents.
    purposes.sort(key=lambda s: (not _STRONG_PURPOSE.search(s[0].text[s[1] : s[2]]), s[0].start + s[1]))
    card.purpose = [card_item(c, a, b) for c, a, b in purposes[:2] if (c.start + a) / total < 0.5 or len(purposes) == 1]
    if not card.purpose:  # a press release or readout says what it is about in its first sentence
        lead = next((s for s in sentences if s[3] == "body" and (s[0].start + s[1]) / total < 0.2
                     and _substance(s[0].text[s[1] : s[2]]) >= 0.8), None)
        card.purpose = [card_item(*lead[:3])] if lead else []
    sections: dict[str, list[tuple[Chunk, int, int, str]]] = {}
    for sentence in sentences:
        title = _top_section(sentence[0])
        if title and not _OUTLINE_JUNK.match(title) and len(title) <= 90:
            sections.setdefault(title, []).append(sentence)
    card.outline = [
        OutlineItem(
            title, card_item(*group[0][:3]), _heading(chunks, title), [card_item(*g[:3]) for g in group[:3]],
            _sub_headings(chunks, title),
        )
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
        # A short line ("ZH reported, citing …") can sit near the centroid while saying little: weigh by length.
        scored = []
        for i, member in enumerate(group):
            v = vector(member)
            if v is not None:
                scored.append((float(v @ centroid) * _substance(member[3]), i))
        return group[max(scored)[1]] if scored else group[0]

    groups = list(sections.values()) if len(sections) >= 2 else _spread(sentences, size)
    step = max(1, len(groups) / max(1, size - len(chosen)))
    picks = [groups[int(i * step)] for i in range(size - len(chosen)) if int(i * step) < len(groups)]
    for group in picks:
        item = card_item(*central(group)[:3])
        if all(item.source_start != c.source_start for c in chosen):
            chosen.append(item)
    return sorted(chosen, key=lambda i: i.source_start)[:size]


def _substance(sentence: str) -> float:
    """1.0 for a sentence long enough to state something (18+ words, 40+ CJK characters), less for shorter ones."""
    size = len(re.findall(r"[\u3400-\u9fff]", sentence)) / 2.2 or len(sentence.split())
    return min(1.0, 0.4 + 0.6 * size / 18)


def _spread(sentences: list[tuple[Chunk, int, int, str]], size: int) -> list[list[tuple[Chunk, int, int, str]]]:
    """Without named parts: the text cut into ``size`` equal runs of sentences."""
    n = max(1, size)
    width = max(1, len(sentences) // n)
    return [sentences[i : i + width] for i in range(0, len(sentences), width)][:n]
