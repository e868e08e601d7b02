"""Cost of showing a cited PDF page: render (pypdfium2) + locate the quote (pdfplumber) + draw + PNG.

Quotes are sentences of the library's PDF sources (what citations quote), each on the
page where it starts; every timed call renders from scratch (the page cache is a
fresh directory that is read only in the "cached" figure).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.research.pages import PageRenderer, render_page
from assistant.research.quote_locator import locate_quote
from bench.stats import latency_summary
from ingest.library import Library
from ingest.sentences import split_sentences

MIN_QUOTE_CHARS = 40


def sample_quotes(library: Library, n: int, seed: int = 15) -> list[tuple[str, Path, int, int, int]]:
    """Up to ``n`` (source id, PDF path, page, start, end) sentence quotes, spread over the PDF sources."""
    pool: list[tuple[str, Path, int, int, int]] = []
    for record in library.catalog.records():
        if not record.path.lower().endswith(".pdf") or not Path(record.path).is_file():
            continue
        source = library.catalog.source(record.meta.id)
        for start, end in split_sentences(source.text):
            page = source.page_at(start)
            if page is not None and end - start >= MIN_QUOTE_CHARS:
                pool.append((record.meta.id, Path(record.path), page, start, end))
    random.Random(seed).shuffle(pool)
    return pool[:n]


def bench_pages(library: Library, n: int = 60) -> dict[str, Any]:
    """Time highlighted renders, plain renders, quote location alone and cached reads over ``n`` quotes."""
    quotes = sample_quotes(library, n)
    if not quotes:
        return {"skipped": "no PDF sources with their files in this library"}
    texts = {sid: library.catalog.source(sid).text for sid in {q[0] for q in quotes}}
    highlighted, plain, locate, sizes = [], [], [], []
    outcomes: Counter[str] = Counter()
    for source_id, path, page, start, end in quotes:
        quote = texts[source_id][start:end]
        t0 = time.perf_counter()
        image = render_page(path, page, quote)
        highlighted.append(time.perf_counter() - t0)
        outcomes[image.highlight] += 1
        sizes.append(len(image.png))
        t0 = time.perf_counter()
        render_page(path, page, "")
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        locate_quote(path, page, quote)
        locate.append(time.perf_counter() - t0)
    with tempfile.TemporaryDirectory(prefix="policychat-bench-pages-") as cache:
        renderer = PageRenderer(library.catalog, Path(cache))
        cached = []
        for source_id, _path, page, start, end in quotes[:20]:
            renderer.page(source_id, page, (start, end))
            t0 = time.perf_counter()
            renderer.page(source_id, page, (start, end))
            cached.append(time.perf_counter() - t0)
    return {
        "quotes": len(quotes),
        "sources": len(texts),
        "highlighted": latency_summary(highlighted),
        "plain": latency_summary(plain),
        "locate": latency_summary(locate),
        "cached": latency_summary(cached),
        "png_kb_mean": round(sum(sizes) / len(sizes) / 1024, 1),
        "outcomes": dict(outcomes),
    }
