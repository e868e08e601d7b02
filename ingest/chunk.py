"""Structure-aware chunking: sections first, then sentences packed to a token budget.

The text is cut at headings (Markdown '#', "Sec. 4.", "Article 3", "第三条",
"一、", numbered "2.1" headings, ...), each section into sentences, and
sentences are packed greedily into chunks of at most ``max_tokens`` word pieces
of the embedding model, carrying up to ``overlap_tokens`` of trailing sentences
into the next chunk of the same section. A sentence longer than the budget is
cut at word (or, for Chinese, character) boundaries: the only mid-sentence cuts
(a single "word" over the budget, such as a long URL or an encoded blob, is cut
between characters).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.models import Chunk, Heading, Source
from ingest.sentences import split_sentences

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Counts the embedding model's word pieces of each text (no special tokens)."""

MODEL_MAX_TOKENS = 254  # all-MiniLM-L6-v2 keeps 256 positions, two of them [CLS]/[SEP]

_CN_NUM = "一二三四五六七八九十百零〇两"
_HEADING_PATTERNS: list[tuple[re.Pattern[str], int | None]] = [
    (re.compile(r"^(#{1,6})\s+(.{1,200})$"), None),
    (re.compile(rf"^(第[{_CN_NUM}\d]+章)\s*(.{{0,40}})$"), 1),
    (re.compile(r"^((?:PILLAR|Pillar|PART|Part|APPENDIX|Appendix)\s+[\dIVXA-Z]+\b.{0,100})$"), 1),
    (re.compile(rf"^([{_CN_NUM}]+、[^。\n]{{1,40}})"), 1),
    (re.compile(r"^((?:Sec(?:tion)?\.?)\s+\d+[a-z]?\.(?:\s+[A-Z][^.\n]{0,100}\.)?)"), 2),
    (re.compile(r"^(Article\s+\d+)\s*$"), 2),
    (re.compile(rf"^(第[{_CN_NUM}\d]+条)"), 2),
    (re.compile(rf"^([(（][{_CN_NUM}]+[)）][^。\n]{{1,40}})"), 2),
    (re.compile(r"^(\d+(?:\.\d+){0,3})\.?(?:\s+|(?=[\u4e00-\u9fff]))([^\n。]{2,60}?)(?:。|$)"), None),
]


def find_headings(text: str) -> list[Heading]:
    """Find headings line by line.

    Returns:
        Headings in text order, each with a nesting level and its char offset.
    """
    headings: list[Heading] = []
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        for pattern, level in _HEADING_PATTERNS:
            match = pattern.match(stripped)
            if not match:
                continue
            if pattern.pattern.startswith("^(#"):
                headings.append(Heading(len(match.group(1)), match.group(2).strip(), offset))
            elif level is None:  # numbered "2.1 Title": depth from the number
                if len(stripped) > 90 and "。" not in stripped[:60]:
                    break
                if stripped.endswith((".", ",", ";")) and "。" not in stripped:
                    break
                depth = match.group(1).count(".") + 1
                headings.append(Heading(min(depth, 4), f"{match.group(1)} {match.group(2)}", offset))
            else:
                headings.append(Heading(level, match.group(1).strip().rstrip("."), offset))
            break
        offset += len(line) + 1
    return _nest_numbered(headings, text)


def _nest_numbered(headings: list[Heading], text: str) -> list[Heading]:
    """In a text organised by "一、" and "（一）" parts, numbered "1." headings sit below them, not beside."""
    if not any(re.match(rf"^[{_CN_NUM}]+、", h.title) for h in headings):
        return headings
    nested = []
    for heading in headings:
        numbered = re.match(r"^\d+(?:\.\d+)*\s", heading.title)
        if numbered and not re.match(r"^\d+\.\d", heading.title):
            heading = Heading(3, heading.title, heading.start)
        nested.append(heading)
    return nested


@dataclass
class _Section:
    start: int
    end: int
    path: str


def _sections(text: str, headings: list[Heading]) -> list[_Section]:
    """Cut the text at heading offsets; each section knows its heading path."""
    sections: list[_Section] = []
    stack: list[Heading] = []
    bounds = [h.start for h in headings if h.start > 0]
    starts = [0, *bounds]
    ends = [*bounds, len(text)]
    by_start = {h.start: h for h in headings}
    for start, end in zip(starts, ends, strict=True):
        heading = by_start.get(start)
        if heading is not None:
            while stack and stack[-1].level >= heading.level:
                stack.pop()
            stack.append(heading)
        sections.append(_Section(start, end, " > ".join(h.title[:80] for h in stack)))
    return sections


def _split_long(text: str, start: int, end: int, count: TokenCounter, budget: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence into pieces of at most ``budget`` tokens at word boundaries."""
    cjk = bool(re.search(r"[\u3400-\u9fff]", text[start:end]))
    unit = re.compile(r".", re.S) if cjk else re.compile(r"\S+\s*")
    words = [(m.start() + start, m.end() + start) for m in unit.finditer(text[start:end])]
    units: list[tuple[int, int]] = []
    sizes: list[int] = []
    for (a, b), size in zip(words, count_distinct(count, [text[a:b] for a, b in words]), strict=True):
        if size <= budget:
            units.append((a, b))
            sizes.append(size)
        else:  # one "word" over the budget (a URL, a base64 blob): cut it between characters
            for pa, pb, piece_size in _cut_characters(text, a, b, count, budget):
                units.append((pa, pb))
                sizes.append(piece_size)
    pieces: list[tuple[int, int]] = []
    piece_start, used = units[0][0], 0
    for (a, _b), size in zip(units, sizes, strict=True):
        if used + size > budget and used > 0:
            pieces.append((piece_start, a))
            piece_start, used = a, 0
        used += size
    pieces.append((piece_start, units[-1][1]))
    return [(a, b - (len(text[a:b]) - len(text[a:b].rstrip()))) for a, b in pieces if text[a:b].strip()]


def count_distinct(count: TokenCounter, texts: Sequence[str]) -> list[int]:
    """``count(texts)``, running the tokenizer once per distinct text (repeated words and sentences are common)."""
    distinct = list(dict.fromkeys(texts))
    sizes = dict(zip(distinct, count(distinct), strict=True))
    return [sizes[t] for t in texts]


def _cut_characters(text: str, start: int, end: int, count: TokenCounter, budget: int) -> list[tuple[int, int, int]]:
    """Cut ``text[start:end]`` between characters into ``(start, end, tokens)`` pieces of at most ``budget`` tokens."""
    pieces: list[tuple[int, int, int]] = []
    while start < end:
        width = min(end - start, 4 * budget)
        size = count([text[start : start + width]])[0]
        while size > budget and width > 1:
            width = max(1, width * budget // (size + 1))
            size = count([text[start : start + width]])[0]
        pieces.append((start, start + width, size))
        start += width
    return pieces


def embed_header(title: str, section: str) -> str:
    """What is embedded above a chunk's text: the source title and the section path, one per line."""
    return f"{title}\n{section}".strip()


def chunk_id_for(source_id: str, position: int, text: str) -> str:
    """Stable chunk id from source id, position and a hash of the chunk text."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{source_id}:{position:05d}:{digest}"


def chunk_source(source: Source, count: TokenCounter, max_tokens: int = 200, overlap_tokens: int = 30) -> list[Chunk]:
    """Cut a source into chunks that fit the embedding model.

    Args:
        source: the parsed source (its ``text`` is what offsets point into).
        count: token counter of the embedding model.
        max_tokens: budget for the chunk text; lowered per section so that the
            embedded header (title and section path) plus text stays under 256.
        overlap_tokens: trailing sentences up to this size repeat in the next chunk.

    Returns:
        Chunks in text order with exact ``text == source.text[start:end]``.
    """
    text = source.text
    headings = source.headings or find_headings(text)
    chunks: list[Chunk] = []
    split = [(section, split_sentences(text[section.start : section.end], offset=section.start))
             for section in _sections(text, headings)]
    split = [(section, sentences) for section, sentences in split if sentences]
    headers = [embed_header(source.meta.title, section.path) for section, _ in split]
    # One tokenizer call for every header and one for every sentence of the source: a document of
    # many short sections (thousands of headings) would otherwise cost two calls per section.
    header_sizes = count_distinct(count, headers)
    sentence_sizes = iter(count_distinct(count, [text[a:b] for _, sentences in split for a, b in sentences]))
    for (section, sentences), header, header_tokens in zip(split, headers, header_sizes, strict=True):
        budget = max(32, min(max_tokens, MODEL_MAX_TOKENS - header_tokens - 2))
        sizes = [next(sentence_sizes) for _ in sentences]
        units: list[tuple[int, int, int]] = []
        for (a, b), size in zip(sentences, sizes, strict=True):
            if size <= budget:
                units.append((a, b, size))
            else:
                pieces = _split_long(text, a, b, count, budget)
                piece_sizes = count_distinct(count, [text[pa:pb] for pa, pb in pieces])
                units.extend((pa, pb, n) for (pa, pb), n in zip(pieces, piece_sizes, strict=True))
        current: list[tuple[int, int, int]] = []
        used = 0  # running token totals: sentences of zero word pieces must not make this quadratic
        for unit in units:
            if current and used + unit[2] > budget:
                chunks.append(_make_chunk(source, current, section.path, header, len(chunks)))
                carried: list[tuple[int, int, int]] = []  # trailing sentences, last first
                used = 0
                for prev in reversed(current[1:]):
                    if used + prev[2] > overlap_tokens:
                        break
                    carried.append(prev)
                    used += prev[2]
                while carried and used + unit[2] > budget:
                    used -= carried.pop()[2]
                current = carried[::-1]
            current.append(unit)
            used += unit[2]
        if current:
            chunks.append(_make_chunk(source, current, section.path, header, len(chunks)))
    return _merge_tiny(source, chunks, count, max_tokens)


def _make_chunk(source: Source, units: list[tuple[int, int, int]], section: str, header: str, position: int) -> Chunk:
    start, end = units[0][0], units[-1][1]
    body = source.text[start:end]
    return Chunk(
        chunk_id_for(source.id, position, body),
        source.id,
        position,
        body,
        start,
        end,
        source.page_at(start),
        section,
        f"{header}\n{body}",
    )


def _merge_tiny(source: Source, chunks: list[Chunk], count: TokenCounter, max_tokens: int) -> list[Chunk]:
    """Fold heading-only chunks (a few tokens) into the chunk that follows them."""
    if not chunks:
        return chunks
    sizes = count_distinct(count, [c.text for c in chunks])
    # The merged chunk is embedded under the following chunk's header, which must fit too. Every
    # pair a tiny chunk could start is counted in one call (a few more than get merged).
    merged_texts = {
        i: embed_header(source.meta.title, chunks[i + 1].section) + "\n"
        + source.text[chunks[i].start : chunks[i + 1].end]
        for i, size in enumerate(sizes[:-1]) if size < 12
    }
    merged_sizes = dict(zip(merged_texts, count_distinct(count, list(merged_texts.values())), strict=True))
    spans: list[tuple[int, int, str]] = []
    pending: Chunk | None = None
    pending_index = -1
    for index, (chunk, size) in enumerate(zip(chunks, sizes, strict=True)):
        if pending is None and size < 12 and chunk is not chunks[-1]:
            pending, pending_index = chunk, index
            continue
        if pending is not None:
            if merged_sizes[pending_index] <= MODEL_MAX_TOKENS:
                spans.append((pending.start, chunk.end, chunk.section))
                pending = None
                continue
            spans.append((pending.start, pending.end, pending.section))
            pending = None
        spans.append((chunk.start, chunk.end, chunk.section))
    out: list[Chunk] = []
    for position, (start, end, section) in enumerate(spans):
        body = source.text[start:end]
        header = embed_header(source.meta.title, section)
        out.append(
            Chunk(
                chunk_id=chunk_id_for(source.id, position, body),
                source_id=source.id,
                position=position,
                text=body,
                start=start,
                end=end,
                page=source.page_at(start),
                section=section,
                embed_text=f"{header}\n{body}",
            )
        )
    return out
