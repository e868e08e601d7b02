"""Find a cited quote's characters on a PDF page (pdfplumber character boxes).

The stored text of a PDF source was cleaned at ingest (NFKC, CJK radicals mapped,
line-end hyphens re-joined, whitespace tidied, repeated headers dropped), so the
quote is matched against the page's characters after the same Unicode
normalisation and with all whitespace ignored. Matching tries, in order: the
exact normalised quote; the quote with hyphens ignored on both sides; its first
and last :data:`ANCHOR` characters (small differences inside); the longest
prefix found on the page (a quote that runs onto the next page). Each matched
character's box is merged into one box per line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ingest.clean import normalize_unicode

ANCHOR = 24
MIN_PREFIX = 40
_HYPHENS = frozenset("-‐‑‒–")
_LINE_TOLERANCE = 0.5  # of a character's height: characters this close vertically share a line box

Match = Literal["exact", "dehyphenated", "anchors", "prefix", "none"]


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in PDF points, origin at the page's top-left corner."""

    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Located:
    """Where a quote lies on a page: line boxes (empty when not found) and how it was matched."""

    boxes: list[Box]
    match: Match

    @property
    def found(self) -> bool:
        """True when at least part of the quote was located."""
        return bool(self.boxes)


def _stream(chars: list[dict[str, Any]], skip: frozenset[str] = frozenset()) -> tuple[str, list[int]]:
    """The page's characters normalised and without whitespace, and the char index each one came from."""
    out: list[str] = []
    owners: list[int] = []
    for index, char in enumerate(chars):
        for ch in normalize_unicode(str(char.get("text", ""))):
            if not ch.isspace() and ch not in skip:
                out.append(ch)
                owners.append(index)
    return "".join(out), owners


def _squash(text: str, skip: frozenset[str] = frozenset()) -> str:
    return "".join(ch for ch in normalize_unicode(text) if not ch.isspace() and ch not in skip)


def _find(stream: str, quote: str) -> tuple[int, int, Match] | None:
    """(start, end, how) of ``quote`` in ``stream`` by the exact, anchor and prefix strategies."""
    if not quote:
        return None
    at = stream.find(quote)
    if at >= 0:
        return at, at + len(quote), "exact"
    if len(quote) > 2 * ANCHOR:
        head = stream.find(quote[:ANCHOR])
        while head >= 0:
            tail = stream.find(quote[-ANCHOR:], head + ANCHOR)
            if tail >= 0 and tail + ANCHOR - head <= 1.3 * len(quote):
                return head, tail + ANCHOR, "anchors"
            head = stream.find(quote[:ANCHOR], head + 1)
    lo, hi = 0, len(quote)  # longest prefix present: `in` is monotone in the prefix length
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if quote[:mid] in stream:
            lo = mid
        else:
            hi = mid - 1
    if lo >= min(MIN_PREFIX, len(quote)):
        at = stream.find(quote[:lo])
        return at, at + lo, "prefix"
    return None


def _line_boxes(chars: list[dict[str, Any]]) -> list[Box]:
    """One box per visual line around ``chars`` (in reading order)."""
    boxes: list[list[float]] = []
    for char in chars:
        x0, top, x1, bottom = (float(char[k]) for k in ("x0", "top", "x1", "bottom"))
        if boxes:
            last = boxes[-1]
            height = max(bottom - top, last[3] - last[1], 1.0)
            if abs(top - last[1]) <= _LINE_TOLERANCE * height and x0 >= last[0] - height:
                boxes[-1] = [min(last[0], x0), min(last[1], top), max(last[2], x1), max(last[3], bottom)]
                continue
        boxes.append([x0, top, x1, bottom])
    return [Box(*b) for b in boxes]


def locate_in_chars(chars: list[dict[str, Any]], quote: str) -> Located:
    """Locate ``quote`` among pdfplumber character dicts (``text``, ``x0``, ``top``, ``x1``, ``bottom``)."""
    stream, owners = _stream(chars)
    hit = _find(stream, _squash(quote))
    if hit is not None and hit[2] == "prefix":  # hyphen-free matching may still find all of it
        stream_nh, owners_nh = _stream(chars, _HYPHENS)
        whole = _find(stream_nh, _squash(quote, _HYPHENS))
        if whole is not None and whole[2] != "prefix":
            stream, owners, hit = stream_nh, owners_nh, (whole[0], whole[1], "dehyphenated")
    elif hit is None:
        stream, owners = _stream(chars, _HYPHENS)
        hit = _find(stream, _squash(quote, _HYPHENS))
        if hit is not None and hit[2] == "exact":
            hit = (hit[0], hit[1], "dehyphenated")
    if hit is None:
        return Located([], "none")
    start, end, how = hit
    indexes = sorted(set(owners[start:end]))
    return Located(_line_boxes([chars[i] for i in indexes]), how)


def locate_quote(pdf_path: Path, page_number: int, quote: str) -> Located:
    """Locate ``quote`` on 1-based page ``page_number`` of the PDF at ``pdf_path``.

    Box coordinates are in points from the top-left corner of the page's crop box.
    A rotated page reports ``none`` (its character boxes would not match the image).
    """
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font warnings on every page of some PDFs
    with pdfplumber.open(pdf_path) as pdf:
        page = pdf.pages[page_number - 1]
        if page.rotation % 360:
            return Located([], "none")
        located = locate_in_chars(list(page.chars), quote)
        left, top = float(page.cropbox[0]) - float(page.mediabox[0]), float(page.cropbox[1]) - float(page.mediabox[1])
    if not (left or top):
        return located
    return Located([Box(b.x0 - left, b.top - top, b.x1 - left, b.bottom - top) for b in located.boxes], located.match)
