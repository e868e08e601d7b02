"""Ingest time grows linearly with the input: the same content at 1x, 2x and 4x, timed in one run.

Ratios, not wall-clock limits: each size is timed in this process on this machine,
and the growth per doubling, (t4x / t1x) ** 0.5, must stay under 2.6 (linear is 2,
quadratic 4). Before issue 17 the repeated-sentence file grew by about 2.6-3x per
doubling end to end (23 s, 51 s, 139 s at 5,000 / 10,000 / 20,000 sentences) and the
sentence splitter alone by 4x. The rules main added to the splitter later (list-number
full stops, numbers a line break cut) were quadratic again until the merge (29 s for the
160,000-character repeated sentence), as was the full-width parenthesis rule of the
clean-up on an unclosed "(" before Chinese text.
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from generated_inputs import (
    NORMAL_DOC,
    one_line_per_page_pdf,
    register_pdf_lines,
    repeated_sentence_text,
    single_line_markdown,
)

from ingest.cards import build_card
from ingest.chunk import chunk_source, find_headings
from ingest.clean import clean_pdf_pages, clean_text
from ingest.embed import common_words, load_token_counter
from ingest.keywords import tokenize
from ingest.loaders import load_document, markdown_to_text
from ingest.models import Chunk, Source, SourceMeta
from ingest.pipeline import ingest_paths
from ingest.relations import library_relations
from ingest.roles import tag_chunks
from ingest.segment import Segmenter
from ingest.sentences import split_sentences

MAX_GROWTH_PER_DOUBLING = 2.6
# A stage that takes at most this long at 4x is not judged: its timings are mostly noise.
MIN_JUDGED_SECONDS = 0.01
CONFIRM_ON_LONGER_SECONDS = 0.1


def _seconds(run: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` timings of ``run`` (each of at least ~50 ms, looping a fast call).

    The objects the test session already holds are frozen out of the collector meanwhile: a
    full collection scans them all, which costs time in proportion to the session, not to the
    stage's input, and late in a CI run one landing in the 4x timing made a linear stage look
    superlinear (0.034 / 0.063 / 0.234 s).
    """
    gc.freeze()
    try:
        started = time.perf_counter()
        run()
        once = time.perf_counter() - started
        loops = max(1, int(0.05 / max(once, 1e-6)))
        best = once if loops == 1 else float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            for _ in range(loops):
                run()
            best = min(best, (time.perf_counter() - started) / loops)
    finally:
        gc.unfreeze()
    return best


def _growth(times: list[float]) -> float:
    """Growth per doubling from the 1x and 4x timings."""
    return float((times[2] / max(times[0], 1e-9)) ** 0.5)


def test_repeated_sentence_file_ingests_in_linear_time(
    tmp_path: Path, open_library: Callable[[Path], Any]
) -> None:
    times: list[float] = []
    reports = []
    for factor in (1, 2, 4):
        folder = tmp_path / f"in-{factor}"
        folder.mkdir()
        (folder / "reserved-items.txt").write_text(repeated_sentence_text(20_000 * factor), encoding="utf-8")
        (folder / "harbour-compute-notice.md").write_text(NORMAL_DOC, encoding="utf-8")
        library = open_library(tmp_path / f"data-{factor}")
        library.embeddings  # noqa: B018 - the model loads once, outside the timing
        load_token_counter(library.settings.models.embedding_model)
        started = time.perf_counter()
        report = ingest_paths(library, [folder])
        times.append(time.perf_counter() - started)
        reports.append(report)
    growth = _growth(times)
    print(f"\nrepeated sentence x 20,000 / 40,000 / 80,000 (+ a normal document): "
          f"{' / '.join(f'{t:.1f}' for t in times)} s, growth per doubling {growth:.2f}")
    for factor, report in zip((1, 2, 4), reports, strict=True):
        assert report.errors == [] and sorted(report.added) == ["harbour-compute-notice", "reserved-items"]
        reserved = next(f for f in report.files if f.source_id == "reserved-items")
        assert reserved.chunks > 800 * factor and reserved.chunks_to_embed <= 3
        assert report.duplicate_chunks == reserved.duplicate_chunks == reserved.chunks - reserved.chunks_to_embed
    assert reports[0].chunks_embedded == reports[2].chunks_embedded  # padding adds no embedding work
    assert growth <= MAX_GROWTH_PER_DOUBLING, times


def test_many_one_line_pages_load_and_chunk_in_linear_time(tmp_path: Path) -> None:
    count = load_token_counter(None)
    times = []
    for pages in (375, 750, 1500):
        path = tmp_path / f"register-{pages}.pdf"
        path.write_bytes(one_line_per_page_pdf(register_pdf_lines(pages)))

        def load_and_chunk(path: Path = path) -> None:
            doc = load_document(path)
            source = Source(SourceMeta(id="register", title="Register"), doc.text, "", doc.pages, doc.headings)
            chunks = chunk_source(source, count)
            assert chunks[0].page == 1 and len(doc.pages) - 20 < (chunks[-1].page or 0) <= len(doc.pages)

        times.append(_seconds(load_and_chunk, repeat=2))
    print(f"\n375 / 750 / 1,500 one-line pages: {' / '.join(f'{t:.2f}' for t in times)} s")
    assert _growth(times) <= MAX_GROWTH_PER_DOUBLING, times


# Text shapes that made a regular expression or a loop quadratic, or could: each at 20,000,
# 40,000 and 80,000 characters.
HOSTILE_TEXTS: dict[str, Callable[[int], str]] = {
    "repeated sentence": lambda n: repeated_sentence_text(n // 27),
    "one line, no punctuation": single_line_markdown,
    "one endless word": lambda n: "a" * n,
    "opening brackets": lambda n: "[" * n,
    "links without ends": lambda n: "[a](x " * (n // 6),
    "comments without ends": lambda n: "<!-- " * (n // 5),
    "emphasis markers": lambda n: "** a " * (n // 5),
    "dots": lambda n: "." * n,
    "spaced dots": lambda n: ". " * (n // 2),
    "initials": lambda n: "A. " * (n // 3),
    "abbreviations": lambda n: "U.S. " * (n // 5),
    "a letter run before a line-end hyphen": lambda n: ("a" * 1000 + "-\n") * (n // 1002),
    "short lines": lambda n: "a\n" * (n // 2),
    "blank lines": lambda n: "x\n\n" * (n // 3),
    "spaced Chinese": lambda n: "出 口 " * (n // 4),
    "Chinese without punctuation": lambda n: "出口管制适用" * (n // 6),
    "Markdown headings": lambda n: "# H\n" * (n // 4),
    "numbered headings": lambda n: "1.2.3 Title\n" * (n // 12),
    "zero-token sentences": lambda n: "\ufffd\n\n" * (n // 3),
    "full stops on one line": lambda n: "Word. " * (n // 6),
    "spaces before one line of full stops": lambda n: " " * (n // 2) + "A b. " * (n // 10),
    "list numbers": lambda n: "7. Encourages States.\n" * (n // 22),
    "numbers broken by line breaks": lambda n: "subsection 4.\n8 of " * (n // 19),
    "an open parenthesis before Chinese": lambda n: "委员会(" + "出口管制适用" * (n // 6),
    "Chinese parentheses": lambda n: "委员会(SAC)" * (n // 8),
    "half-width Chinese punctuation": lambda n: "提供者, 应当; " * (n // 10),
    "spaced digits before a date word": lambda n: "2 0 2 4年" * (n // 8),
    "vertical text": lambda n: "出\n" * (n // 2),
    "words split after one letter": lambda n: "U nited s upport " * (n // 17),
    "Chinese articles": lambda n: "第一条本办法施行。\n" * (n // 10),
    "Chinese numbered headings": lambda n: "1. 人工智能安全治理原则\n" * (n // 14),
    "names of documents": lambda n: "This order revokes Executive Order 14110 and the Foo Bar Rule. " * (n // 64),
}


@functools.cache
def _segmenter() -> Segmenter:
    return Segmenter()


@functools.lru_cache(maxsize=3)
def _tagged(text: str) -> tuple[Source, tuple[Chunk, ...]]:
    """The text as one source, and its chunks with sentence roles (cut once per text, outside the timings)."""
    source = Source(SourceMeta(id="x", title="X"), text, "")
    return source, tuple(tag_chunks(source, chunk_source(source, load_token_counter(None))))


def _stages(text: str, count: Callable[..., list[int]]) -> dict[str, Callable[[], Any]]:
    pages = [text[i : i + 2000] for i in range(0, len(text), 2000)]
    source = Source(SourceMeta(id="x", title="X"), text, "")
    return {
        "markdown": lambda: markdown_to_text(text),
        "clean": lambda: clean_text(text, from_pdf=True),
        "pdf pages": lambda: clean_pdf_pages(pages, common_words()),
        "sentences": lambda: split_sentences(text),
        "headings": lambda: find_headings(text),
        "bm25 tokens": lambda: tokenize(text),
        "bm25 words": lambda: tokenize(text, _segmenter(), "both"),
        "chunks": lambda: chunk_source(source, count),
        "sentence roles": lambda: tag_chunks(source, list(_tagged(text)[1])),
        "card": lambda: build_card(source.meta, _tagged(text)[1]),
        "relations": lambda: library_relations({"x": _tagged(text)[1]}, [source.meta]),
    }


@pytest.mark.parametrize("shape", list(HOSTILE_TEXTS))
def test_every_text_stage_is_linear_on_hostile_text(shape: str) -> None:
    count = load_token_counter(None)
    texts = [HOSTILE_TEXTS[shape](20_000 * factor) for factor in (1, 2, 4)]
    failures = []
    for stage in _stages(texts[0], count):
        started = time.perf_counter()
        _stages(texts[2], count)[stage]()
        if time.perf_counter() - started <= MIN_JUDGED_SECONDS:
            continue  # this fast at 4x, the stage is below the bar: timing it would only measure noise
        times = [_seconds(_stages(text, count)[stage], repeat=1) for text in texts]
        if _growth(times) > MAX_GROWTH_PER_DOUBLING and times[2] > MIN_JUDGED_SECONDS:
            # Confirm with the fastest of three more rounds (the machine is shared); a stage that is under the bar
            # at 4x on the confirming rounds was only slowed by a neighbour. A stage this fast is confirmed on texts
            # four times longer: at a few milliseconds a pause of the process looks like a doubling.
            confirming = texts if times[2] >= CONFIRM_ON_LONGER_SECONDS else [
                HOSTILE_TEXTS[shape](80_000 * factor) for factor in (1, 2, 4)]
            again = [_seconds(_stages(text, count)[stage], repeat=3) for text in confirming]
            if _growth(again) > MAX_GROWTH_PER_DOUBLING and again[2] > MIN_JUDGED_SECONDS:
                failures.append(f"{stage}: {' / '.join(f'{t:.4f}' for t in again)} s")
    assert not failures, f"{shape}: " + "; ".join(failures)
