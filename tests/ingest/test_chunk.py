"""Structure-aware chunking (ingest.chunk) with a word-counting tokenizer: headings, budgets, overlap, offsets, ids.

The token counter here counts words (and each Chinese character), so budgets can be
checked by hand; the real one (the embedding model's word pieces) is exercised by the
ingest tests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import pytest

from ingest.chunk import chunk_id_for, chunk_source, count_distinct, find_headings
from ingest.models import Heading, PageSpan, Source, SourceMeta

_WORD = re.compile(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+")


def words(texts: Sequence[str]) -> list[int]:
    """A token counter: one token per whitespace-separated word and per Chinese character."""
    return [len(_WORD.findall(text)) for text in texts]


def source(text: str, title: str = "Telvar Rule", pages: list[PageSpan] | None = None) -> Source:
    return Source(SourceMeta(id="telvar", title=title), text, "hash", pages=pages or [])


def sentence(i: int) -> str:
    """A six-word sentence of its own."""
    return f"Clause {i} obliges developers to report."


@pytest.mark.parametrize(("line", "level", "title"), [
    ("# Telvar Rule", 1, "Telvar Rule"),
    ("### Penalties", 3, "Penalties"),
    ("Sec. 4. Reporting duties.", 2, "Sec. 4. Reporting duties"),
    ("Article 3", 2, "Article 3"),
    ("PART II General Provisions", 1, "PART II General Provisions"),
    ("第二章 总则", 1, "第二章"),
    ("第三条 提供者应当添加标识", 2, "第三条"),
    ("一、总体要求", 1, "一、总体要求"),
    ("（一）基本原则", 2, "（一）基本原则"),
    ("2.1 Risk Tolerance", 2, "2.1 Risk Tolerance"),
])
def test_heading_forms(line: str, level: int, title: str) -> None:
    assert find_headings(line) == [Heading(level, title, 0)]


def test_a_numbered_sentence_is_not_a_heading() -> None:
    assert find_headings("1. Developers must report each training run to the Bureau within thirty days.") == []


def test_headings_carry_their_offsets() -> None:
    text = "# Telvar Rule\n\n## Reporting\n\nDevelopers must report.\n\n## Penalties\n\nA fine applies.\n"
    assert find_headings(text) == [Heading(1, "Telvar Rule", 0), Heading(2, "Reporting", 15),
                                   Heading(2, "Penalties", 54)]


def test_chunks_are_exact_spans_with_their_section_path_and_header() -> None:
    text = ("# Telvar Rule\n\n## Reporting\n\nDevelopers must report. The report lists the site.\n\n"
            "## Penalties\n\nA fine applies. The Bureau may suspend licences.\n")
    chunks = chunk_source(source(text), words, max_tokens=50, overlap_tokens=5)
    assert [c.section for c in chunks] == ["Telvar Rule > Reporting", "Telvar Rule > Penalties"]
    for position, chunk in enumerate(chunks):
        assert chunk.text == text[chunk.start:chunk.end]
        assert chunk.position == position and chunk.source_id == "telvar"
        assert chunk.embed_text == f"Telvar Rule\n{chunk.section}\n{chunk.text}"
        assert chunk.page is None
    # The heading-only pieces are folded into the text that follows them.
    assert chunks[0].text.startswith("# Telvar Rule") and chunks[0].text.endswith("The report lists the site.")
    assert chunks[1].text == "## Penalties\n\nA fine applies. The Bureau may suspend licences."


def test_sentences_are_packed_to_the_budget_with_overlap_and_never_cut() -> None:
    text = " ".join(sentence(i) for i in range(20))  # 20 sentences of 6 words, no headings
    chunks = chunk_source(source(text, title="T"), words, max_tokens=40, overlap_tokens=10)
    assert len(chunks) > 3
    for chunk in chunks:
        assert words([chunk.text])[0] <= 40
        assert chunk.text.startswith("Clause ") and chunk.text.endswith("report.")  # whole sentences only
    # Each chunk repeats the last sentence of the one before (6 words <= 10 of overlap, 12 would not fit).
    for before, after in zip(chunks, chunks[1:], strict=False):
        last = before.text.rsplit("Clause ", 1)[1]
        assert after.text.startswith(f"Clause {last}")
        assert after.start < before.end
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_without_overlap_chunks_tile_the_text() -> None:
    text = " ".join(sentence(i) for i in range(12))
    chunks = chunk_source(source(text, title="T"), words, max_tokens=32, overlap_tokens=0)
    assert [len(re.findall("Clause", c.text)) for c in chunks] == [5, 5, 2]  # 5 x 6 = 30 <= 32 < 36
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert text[before.end:after.start] == " "


def test_a_sentence_over_the_budget_is_cut_at_word_boundaries() -> None:
    long = " ".join(f"word{i}" for i in range(100)) + "."
    chunks = chunk_source(source(long, title="T"), words, max_tokens=40, overlap_tokens=0)
    assert len(chunks) == 3
    assert [words([c.text])[0] for c in chunks] == [40, 40, 20]
    assert all(re.fullmatch(r"word\d+(?: word\d+)*\.?", c.text) for c in chunks)
    assert " ".join(c.text for c in chunks) == long


def test_chinese_is_cut_between_characters_when_a_sentence_is_too_long() -> None:
    text = "提供者" * 30 + "。"  # one sentence of 91 "tokens"
    chunks = chunk_source(source(text, title="T"), words, max_tokens=40, overlap_tokens=0)
    assert "".join(c.text for c in chunks) == text
    assert all(words([c.text])[0] <= 40 for c in chunks)


def test_chunk_pages_come_from_the_page_spans() -> None:
    first = " ".join(sentence(i) for i in range(5))  # 30 words: one chunk of its own
    second = " ".join(sentence(i) for i in range(5, 8))
    text = f"{first}\n\n{second}"
    pages = [PageSpan(1, 0, len(first)), PageSpan(2, len(first) + 2, len(text))]
    chunks = chunk_source(source(text, title="T", pages=pages), words, max_tokens=32, overlap_tokens=0)
    assert [(c.text, c.page) for c in chunks] == [(first, 1), (second, 2)]
    spanning = chunk_source(source(text, title="T", pages=pages), words, max_tokens=60, overlap_tokens=0)
    assert [(c.text, c.page) for c in spanning] == [(text, 1)]  # a chunk's page is the one it starts on


def test_chunk_ids_are_source_position_and_a_hash_of_the_text() -> None:
    assert chunk_id_for("telvar", 3, "abc") == "telvar:00003:a9993e3647"  # sha1("abc") = a9993e3647...
    text = " ".join(sentence(i) for i in range(12))
    first = chunk_source(source(text, title="T"), words, max_tokens=32, overlap_tokens=0)
    again = chunk_source(source(text, title="T"), words, max_tokens=32, overlap_tokens=0)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    for chunk in first:
        digest = hashlib.sha1(chunk.text.encode("utf-8")).hexdigest()[:10]
        assert chunk.chunk_id == f"telvar:{chunk.position:05d}:{digest}"


def test_count_distinct_tokenizes_each_text_once() -> None:
    seen: list[list[str]] = []

    def counting(texts: Sequence[str]) -> list[int]:
        seen.append(list(texts))
        return words(texts)

    assert count_distinct(counting, ["a b", "c", "a b", "a b"]) == [2, 1, 2, 2]
    assert seen == [["a b", "c"]]


def test_an_empty_source_has_no_chunks() -> None:
    assert chunk_source(source("   \n\n  ", title="T"), words) == []
