"""Typed objects passed between the ingestion stages.

``load`` yields a :class:`ParsedDocument`; ``metadata`` turns it into a :class:`Source`;
``chunk`` cuts a source into :class:`Chunk` objects; ``store`` persists both.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass, field
from typing import Any

COUNTRIES = ("US", "CN", "INTL", "OTHER")


@dataclass(frozen=True)
class PageSpan:
    """A page of a paginated source: 1-based ``page`` and its char span in the text."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Heading:
    """A heading found in the text: nesting ``level`` (1 = top), title, and char offset."""

    level: int
    title: str
    start: int


@dataclass
class ParsedDocument:
    """What a loader returns: the cleaned full text, page spans and metadata hints.

    ``hints`` carries metadata the file itself declares (front matter, HTML <title>,
    DOCX core properties); ``metadata.resolve_source_meta`` decides what wins.
    """

    text: str
    pages: list[PageSpan] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceMeta:
    """Provenance of one source, carried by every chunk cut from it."""

    id: str
    title: str
    publisher: str = ""
    country: str = "OTHER"
    date: str = ""
    doc_type: str = ""
    original_url: str | None = None
    file: str = ""
    language: str = "en"
    aliases: str = ""
    """Other names of the source, ``;``-separated (catalog ``aliases`` column)."""
    status: str = ""
    """Standing stated in the catalog (in force, revoked, rescinded, superseded, amended, draft); "" = not stated."""
    relations: str = ""
    """Relations stated in the catalog, ``type:target-id`` pairs ``;``-separated (e.g. ``revokes:us-eo-14110``)."""

    @property
    def date_int(self) -> int:
        """The date as a sortable YYYYMMDD integer (missing month/day count as 00); 0 if unknown."""
        return date_to_int(self.date)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON storage."""
        return asdict(self)


@dataclass
class Source:
    """A parsed source ready to chunk: metadata, text, pages, headings and content hash."""

    meta: SourceMeta
    text: str
    content_hash: str
    pages: list[PageSpan] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    _page_index: tuple[int, list[int], list[PageSpan]] | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The source id (same as ``meta.id``)."""
        return self.meta.id

    def page_at(self, offset: int) -> int | None:
        """1-based page number that holds char ``offset``, or None for unpaginated sources.

        A binary search over the non-empty page spans (in text order), so cutting a
        1,500-page source into chunks does not cost pages x chunks steps.
        """
        if self._page_index is None or self._page_index[0] != len(self.pages):
            spans = [span for span in self.pages if span.start < span.end]
            self._page_index = (len(self.pages), [span.start for span in spans], spans)
        _count, starts, ordered = self._page_index
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and offset < ordered[i].end:
            return ordered[i].page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: exact text at ``text_start:text_end`` of its source's stored text."""

    chunk_id: str
    source_id: str
    position: int
    text: str
    start: int
    end: int
    page: int | None
    section: str
    embed_text: str
    sentences: tuple[tuple[int, int, str], ...] = ()
    """The chunk's sentences as ``(start, end, role)`` offsets into ``text`` (see :mod:`ingest.roles`)."""

    def sentence_spans(self) -> list[tuple[int, int]]:
        """``(start, end)`` of every sentence (split on the fly for a chunk stored without them)."""
        if self.sentences:
            return [(start, end) for start, end, _role in self.sentences]
        from ingest.sentences import split_sentences

        return split_sentences(self.text)


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def date_to_int(date: str) -> int:
    """Turn ``YYYY[-MM[-DD]]`` into YYYYMMDD (missing parts 0); 0 for anything else."""
    match = _DATE_RE.match(date.strip()) if date else None
    if not match:
        return 0
    year, month, day = (int(part) if part else 0 for part in match.groups())
    return year * 10000 + month * 100 + day
