"""Re-check exported citations against the current library: is each quote still where it was?

Each cited passage (:class:`~assistant.research.citation_refs.CitedQuote`) gets one status:

``unchanged``
    the source is in the library and the quote is at the cited offsets. ``hash_matches``
    says whether the source is still the version cited (a source re-ingested after a change
    elsewhere in it keeps its quotes ``unchanged`` with ``hash_matches`` false).
``moved``
    the quote is in the source's current text at other offsets (``now_start``/``now_end``).
``changed``
    the source is there but the quote is not; ``closest`` is the current passage most like
    it, with its ``similarity`` (0–1) and offsets, when one resembles it at all.
``removed``
    no source of that id is in the library any more.
``superseded``
    the quote checks (at the cited offsets or moved: ``now_start``/``now_end`` say where) but
    the library now holds a document that revokes, rescinds, supersedes or amends the source,
    or the catalog says so; ``superseded_by`` names the document, the relation and its sentence.
    It is reported whenever the library says so, also when the answer's own note said it already.

Quotes are compared with whitespace runs as single spaces (a Markdown footnote shows the quote
on one line). Only the catalog is read: checking works while the vector store is down.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Literal

from pydantic import BaseModel, Field

from assistant.research.card_view import library_standings
from assistant.research.citation_refs import CitedQuote
from ingest.library import Library
from ingest.relations import NOT_IN_FORCE, Standing
from ingest.sentences import split_sentences
from policychat.errors import SourceNotFoundError

CheckStatus = Literal["unchanged", "moved", "changed", "removed", "superseded"]
STATUSES: tuple[CheckStatus, ...] = ("unchanged", "moved", "changed", "removed", "superseded")
FAILING: frozenset[CheckStatus] = frozenset({"changed", "removed"})
"""Statuses after which a citation no longer holds (``policychat verify`` exits 1)."""
NO_LONGER_CURRENT = NOT_IN_FORCE | {"amended"}
MIN_SIMILARITY = 0.4
"""A current passage less like the quote than this is not offered as the closest."""
_ANCHOR_CHARS = 12
_REGION_CHARS = 2000


class Supersession(BaseModel):
    """What makes a cited source no longer current: the document that says so and how."""

    status: str = Field(description="revoked, rescinded, superseded or amended.")
    source_id: str | None = Field(description="The library source that says so (None: the catalog's status column).")
    title: str | None = None
    relation: str | None = Field(None, description="revokes, rescinds, supersedes or amends.")
    evidence: str | None = Field(None, description="The sentence of that source that states it.")


class CitationCheck(BaseModel):
    """One cited passage checked against the library, with the evidence of its status."""

    footnote: int | None = Field(description="The passage's footnote number in the export, when it has one.")
    source_id: str
    quote: str
    start: int = Field(description="Where the export says the quote is in the source's stored text.")
    end: int
    content_hash: str | None = Field(description="The source version the export cites (None: not recorded).")
    status: CheckStatus
    hash_matches: bool | None = Field(
        None, description="Whether the library holds that same version (None: no hash cited, or source gone).")
    now_start: int | None = Field(None, description="Where the quote is now (unchanged, moved, superseded).")
    now_end: int | None = None
    closest: str | None = Field(None, description="changed: the current passage most like the quote.")
    closest_start: int | None = None
    closest_end: int | None = None
    similarity: float | None = Field(None, description="changed: how alike quote and closest passage are (0–1).")
    superseded_by: Supersession | None = None
    evidence: str = Field(description="The status said in one line, with the evidence.")


class VerifyReport(BaseModel):
    """Every cited passage checked, the count per status, and whether they all still hold."""

    citations: list[CitationCheck]
    counts: dict[CheckStatus, int] = Field(description="Citations per status (every status, zeros included).")
    ok: bool = Field(description="True when no citation is changed or removed.")
    library_generation: int = Field(description="The catalog generation the citations were checked against.")


def _squeezed(text: str) -> tuple[str, list[int]]:
    """``text`` with each whitespace run as one space, and the offset in ``text`` of each of its characters."""
    chars: list[str] = []
    offsets: list[int] = []
    in_space = True  # leading whitespace is dropped
    for offset, char in enumerate(text):
        if char.isspace():
            if not in_space:
                chars.append(" ")
                offsets.append(offset)
            in_space = True
            continue
        chars.append(char)
        offsets.append(offset)
        in_space = False
    return "".join(chars), offsets


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Text:
    """A source's stored text with its whitespace-squeezed form, for finding quotes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.flat, self.offsets = _squeezed(text)

    def span(self, flat_start: int, flat_end: int) -> tuple[int, int]:
        """The offsets in the stored text of the squeezed span ``flat_start:flat_end``."""
        return self.offsets[flat_start], self.offsets[flat_end - 1] + 1

    def flat_position(self, offset: int) -> int:
        """The squeezed position nearest to stored-text ``offset``."""
        return min(bisect.bisect_left(self.offsets, offset), max(len(self.offsets) - 1, 0))

    def holds_at(self, quote: str, start: int, end: int) -> bool:
        """Whether ``quote`` is the text at ``start:end`` (whitespace runs alike)."""
        return 0 <= start < end <= len(self.text) and _one_line(self.text[start:end]) == _one_line(quote)

    def find(self, quote: str, near: int) -> tuple[int, int] | None:
        """Where ``quote`` is in the text (the occurrence nearest ``near``), or None."""
        wanted = _one_line(quote)
        best: tuple[int, int] | None = None
        at = self.flat.find(wanted)
        while at >= 0:
            found = self.span(at, at + len(wanted))
            if best is None or abs(found[0] - near) < abs(best[0] - near):
                best = found
            at = self.flat.find(wanted, at + 1)
        return best

    def closest(self, quote: str, near: int) -> tuple[int, int, float] | None:
        """The sentence (or two) most like ``quote``: near its longest surviving piece, else near ``near``.

        Returns:
            ``(start, end, similarity)`` in the stored text, or None when nothing is alike.
        """
        wanted = _one_line(quote)
        center = near
        for low, high in ((self.flat_position(near - _REGION_CHARS), self.flat_position(near + _REGION_CHARS)),
                          (0, len(self.flat))):
            matcher = SequenceMatcher(None, self.flat, wanted, autojunk=False)
            match = matcher.find_longest_match(low, high, 0, len(wanted))
            if match.size >= min(_ANCHOR_CHARS, len(wanted)):
                center = self.offsets[max(match.a - match.b, 0)]
                break
        lo, hi = max(center - len(quote), 0), min(center + 2 * len(quote) + 1, len(self.text))
        spans = split_sentences(self.text[lo:hi], lo)
        candidates = spans + [(a[0], b[1]) for a, b in zip(spans, spans[1:], strict=False)]
        best: tuple[int, int, float] | None = None
        for start, end in candidates:
            ratio = SequenceMatcher(None, wanted, _one_line(self.text[start:end]), autojunk=False).ratio()
            if ratio >= MIN_SIMILARITY and (best is None or ratio > best[2]):
                best = (start, end, ratio)
        return best


def _supersession(standing: Standing | None, titles: dict[str, str]) -> Supersession | None:
    if standing is None or standing.status not in NO_LONGER_CURRENT:
        return None
    relation = standing.evidence
    if relation is None:
        return Supersession(status=standing.status, source_id=None)
    return Supersession(status=standing.status, source_id=relation.stated_in, title=titles.get(relation.stated_in),
                        relation=relation.type, evidence=relation.evidence.text if relation.evidence else None)


def _where(start: int, end: int) -> str:
    return f"{start}–{end}"


def _check(cited: CitedQuote, text: _Text | None, current_hash: str | None) -> CitationCheck:
    """Status of one passage without standings: unchanged, moved, changed or removed."""
    base = CitationCheck(footnote=cited.footnote, source_id=cited.source_id, quote=cited.quote, start=cited.start,
                         end=cited.end, content_hash=cited.content_hash, status="removed", evidence="")
    if text is None:
        return base.model_copy(update={"evidence": f"{cited.source_id} is no longer in the library"})
    same = None if cited.content_hash is None else cited.content_hash == current_hash
    version = {True: "same version of the source", False: "the source changed since (content hash differs)",
               None: "no content hash was recorded"}[same]
    if text.holds_at(cited.quote, cited.start, cited.end):
        return base.model_copy(update={"status": "unchanged", "hash_matches": same, "now_start": cited.start,
                                       "now_end": cited.end,
                                       "evidence": f"quote at {_where(cited.start, cited.end)}; {version}"})
    found = text.find(cited.quote, cited.start)
    if found is not None:
        return base.model_copy(update={
            "status": "moved", "hash_matches": same, "now_start": found[0], "now_end": found[1],
            "evidence": f"quote now at {_where(*found)} (was {_where(cited.start, cited.end)}); {version}"})
    closest = text.closest(cited.quote, cited.start)
    update: dict[str, object] = {"status": "changed", "hash_matches": same,
                                 "evidence": "quote no longer in the source; no current passage resembles it"}
    if closest is not None:
        start, end, ratio = closest
        passage = _one_line(text.text[start:end])
        update |= {"closest": passage, "closest_start": start, "closest_end": end, "similarity": round(ratio, 3),
                   "evidence": f"quote no longer in the source; closest passage at {_where(start, end)} "
                               f"(similarity {ratio:.2f}): “{passage}”"}
    return base.model_copy(update=update)


def verify_citations(cited: Sequence[CitedQuote], library: Library) -> VerifyReport:
    """Check each cited passage against ``library`` as it is now (see the module docstring for the statuses).

    Args:
        cited: the passages an export cites (:func:`assistant.research.citation_refs.parse_export`).
        library: the library to check against; only its catalog (and stored relations) is read.

    Returns:
        One :class:`CitationCheck` per passage, in the given order, with the counts per status.
    """
    catalog = library.catalog
    generation = catalog.generation()
    records = {r.meta.id: r for r in catalog.records()}
    texts: dict[str, _Text | None] = {}
    for source_id in dict.fromkeys(c.source_id for c in cited):
        try:
            texts[source_id] = _Text(catalog.source(source_id).text) if source_id in records else None
        except SourceNotFoundError:
            texts[source_id] = None  # removed since the records were read
    checks = [_check(c, texts[c.source_id], records[c.source_id].content_hash if texts[c.source_id] else None)
              for c in cited]
    if any(check.status in ("unchanged", "moved") for check in checks):
        standings = library_standings(library, [r.meta for r in records.values()])
        titles = {source_id: record.meta.title for source_id, record in records.items()}
        checks = [_superseded(check, _supersession(standings.get(check.source_id), titles)) for check in checks]
    counts: dict[CheckStatus, int] = dict.fromkeys(STATUSES, 0)
    for check in checks:
        counts[check.status] += 1
    return VerifyReport(citations=checks, counts=counts, ok=not any(c.status in FAILING for c in checks),
                        library_generation=generation)


def _superseded(check: CitationCheck, supersession: Supersession | None) -> CitationCheck:
    """``check`` marked superseded when its quote still checks and ``supersession`` says the source is not current."""
    if supersession is None or check.status not in ("unchanged", "moved"):
        return check
    if supersession.source_id is None:
        said = f"the catalog marks {check.source_id} as {supersession.status}"
    else:
        said = (f"{supersession.status}: {supersession.source_id} {supersession.relation} it"
                + (f" (“{_one_line(supersession.evidence)}”)" if supersession.evidence else ""))
    return check.model_copy(update={"status": "superseded", "superseded_by": supersession,
                                    "evidence": f"{check.evidence}; {said}"})
