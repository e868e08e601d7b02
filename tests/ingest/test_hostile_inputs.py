"""Issue 17's stalling inputs, full size, ingested in one run beside a normal document.

The folder holds the 5.4 MB repeated-sentence file ("Export controls apply [1]. " x
200,000), a 5 MB Markdown file that is one line without punctuation, and a valid
1,500-page PDF with one line per page (which the running-header remover used to
empty). Everything is generated here; nothing large is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from generated_inputs import write_hostile_folder

from ingest.embed import encode_with_spans, load_token_counter
from ingest.pipeline import IngestReport, ingest_paths
from ingest.sentence_vectors import chunk_sentence_spans


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory,
                open_library: Callable[[Path], Any]) -> tuple[Any, IngestReport, dict[str, Path]]:
    root = tmp_path_factory.mktemp("hostile-inputs")
    files = write_hostile_folder(root / "in")
    library = open_library(root / "data")
    report = ingest_paths(library, [root / "in"])
    per_file = {f.source_id: (f.chunks, f.duplicate_chunks, f.chunks_to_embed, round(f.seconds, 1))
                for f in report.files}
    print(f"\nhostile folder: {report.seconds:.1f} s, {report.chunks_embedded} chunks embedded, "
          f"{report.duplicate_chunks} duplicates reused; per file (chunks, duplicates, embedded, s): {per_file}")
    return library, report, files


def test_every_hostile_file_is_ingested_beside_the_normal_one(hostile_run: tuple[Any, IngestReport, Any]) -> None:
    library, report, _ = hostile_run
    assert report.errors == []
    assert sorted(report.added) == ["harbour-compute-notice", "one-line-pages", "repeated-sentence", "single-line"]
    assert {f.state for f in report.files} == {"added"}
    records = {r.meta.id: r for r in library.catalog.records()}
    assert records["one-line-pages"].n_pages == 1500 and records["one-line-pages"].meta.title == "Item Register"


def test_the_one_line_pages_are_kept_with_their_page_numbers(hostile_run: tuple[Any, IngestReport, Any]) -> None:
    library, _, _ = hostile_run
    source = library.catalog.source("one-line-pages")
    lines = source.text.split("\n\n")
    assert len(lines) == 1500
    assert lines[0] == "Item 1 of the register is reserved under the export control rules."
    assert lines[-1] == "Item 1500 of the register is reserved under the export control rules."
    chunks = library.catalog.chunks("one-line-pages")
    assert chunks[0].page == 1 and chunks[-1].page is not None and chunks[-1].page > 1450
    for chunk in chunks:
        page = int(source.text[chunk.start : chunk.end].split(" ", 2)[1])
        assert chunk.page == page, chunk.chunk_id


def test_repeated_chunks_are_embedded_once_and_reported(hostile_run: tuple[Any, IngestReport, Any]) -> None:
    _, report, _ = hostile_run
    by_id = {f.source_id: f for f in report.files}
    repeated, single = by_id["repeated-sentence"], by_id["single-line"]
    assert repeated.chunks > 8000 and repeated.chunks_to_embed <= 3
    assert single.chunks > 3000 and single.chunks_to_embed < 200
    assert report.duplicate_chunks == sum(f.duplicate_chunks for f in report.files) > 11_000
    assert report.chunks_embedded == sum(f.chunks_to_embed for f in report.files) < 400
    for status in report.files:
        assert status.chunks_embedded == status.chunks_to_embed == status.chunks - status.duplicate_chunks


def test_reused_vectors_equal_the_vectors_of_each_chunk(hostile_run: tuple[Any, IngestReport, Any]) -> None:
    library, _, _ = hostile_run
    chunks = library.catalog.chunks("repeated-sentence")
    sample = [chunks[1], chunks[len(chunks) // 2], chunks[-2]]
    stored = library.vectors._collection.get(ids=[c.chunk_id for c in sample], include=["embeddings"])
    stored_by_id = dict(zip(stored["ids"], stored["embeddings"], strict=True))
    spans = [chunk_sentence_spans(c) for c in sample]
    shift = [len(c.embed_text) - len(c.text) for c in sample]
    fresh, fresh_sentences = encode_with_spans(
        library.embeddings, [c.embed_text for c in sample],
        [[(a + s, b + s) for a, b in row] for row, s in zip(spans, shift, strict=True)])
    sentence_vectors = library.sentence_vectors.get([c.chunk_id for c in sample])
    for chunk, vector, row, sentences in zip(sample, fresh, spans, fresh_sentences, strict=True):
        assert float(np.dot(stored_by_id[chunk.chunk_id], vector)) > 0.9999, chunk.chunk_id
        assert sorted(sentence_vectors[chunk.chunk_id]) == sorted(row)
        for span, expected in zip(row, sentences, strict=True):
            assert float(sentence_vectors[chunk.chunk_id][span] @ np.asarray(expected)) > 0.999


def test_stores_agree_and_every_chunk_is_an_exact_slice(hostile_run: tuple[Any, IngestReport, Any]) -> None:
    library, _, _ = hostile_run
    chunks = library.catalog.chunks()
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids)) > 12_000
    assert library.vectors.ids() == set(ids)
    assert library.sentence_vectors.count() == len(ids)
    assert library.keyword_index().chunk_ids == ids
    texts = {r.meta.id: library.catalog.source(r.meta.id).text for r in library.catalog.records()}
    for chunk in chunks:
        assert texts[chunk.source_id][chunk.start : chunk.end] == chunk.text
    count = load_token_counter(library.settings.models.embedding_model)
    sizes = count([c.embed_text for c in chunks[:: max(1, len(chunks) // 300)]])
    assert max(sizes) <= 254


def test_a_second_run_embeds_nothing(hostile_run: tuple[Any, IngestReport, dict[str, Path]]) -> None:
    library, _, files = hostile_run
    again = ingest_paths(library, [files["normal"].parent])
    assert again.chunks_embedded == 0 and again.errors == [] and len(again.unchanged) == 4
