"""Sentence vectors pooled at ingest: present for every chunk, right, pruned with their chunks, used by answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.embed import encode_with_spans
from ingest.sentence_vectors import chunk_sentence_spans, pool_chunk_sentences, sentence_vectors_for


@pytest.fixture(scope="module")
def corpus_chunks(ingested: Any) -> list[Any]:
    return ingested.library.catalog.chunks()


def test_every_chunk_of_the_corpus_has_its_sentence_vectors(ingested: Any, corpus_chunks: list[Any]) -> None:
    store = ingested.library.sentence_vectors
    assert store.count() == len(corpus_chunks)
    sample = corpus_chunks[:: max(1, len(corpus_chunks) // 40)]
    stored = store.get([c.chunk_id for c in sample])
    for chunk in sample:
        spans = chunk_sentence_spans(chunk)
        vectors = stored[chunk.chunk_id]
        # Chunks fit the model window, so every sentence has a vector.
        assert sorted(vectors) == sorted(spans), chunk.chunk_id
        for vector in vectors.values():
            assert vector.shape == (384,)
            assert abs(float(np.linalg.norm(vector)) - 1.0) < 0.01


def test_chunk_vectors_from_the_pooling_pass_equal_embed_documents(ingested: Any, corpus_chunks: list[Any]) -> None:
    embeddings = ingested.library.embeddings
    chunks = corpus_chunks[:6]
    pooled_chunk_vectors, _ = pool_chunk_sentences(embeddings, chunks)
    reference = embeddings.embed_documents([c.embed_text for c in chunks])
    assert np.allclose(np.asarray(pooled_chunk_vectors), np.asarray(reference), atol=1e-5)


def test_stored_vectors_equal_vectors_pooled_now(ingested: Any, corpus_chunks: list[Any]) -> None:
    chunks = corpus_chunks[10:14]
    stored = ingested.library.sentence_vectors.get([c.chunk_id for c in chunks])
    _, fresh = pool_chunk_sentences(ingested.library.embeddings, chunks)
    for chunk, vectors in zip(chunks, fresh, strict=True):
        for span, vector in vectors.items():
            assert float(vector @ stored[chunk.chunk_id][span]) > 0.999  # float16 storage


def test_a_span_vector_is_closer_to_its_own_sentence_than_to_another() -> None:
    from ingest.embed import load_embeddings

    embeddings = load_embeddings()
    text = (
        "Export controls\nThe rule restricts exports of advanced chips to China. "
        "Separately, the ministry funds rural broadband in mountain villages."
    )
    first = text.index("The rule")
    second = text.index("Separately")
    _, (spans,) = encode_with_spans(embeddings, [text], [[(first, second - 1), (second, len(text))]])
    chips, broadband = (np.asarray(v) for v in spans)
    query_chips = np.asarray(embeddings.embed_query("export restrictions on semiconductors"))
    query_broadband = np.asarray(embeddings.embed_query("internet access in the countryside"))
    assert chips @ query_chips > broadband @ query_chips
    assert broadband @ query_broadband > chips @ query_broadband


def test_span_beyond_the_model_window_has_no_vector() -> None:
    from ingest.embed import load_embeddings

    text = "word " * 600 + "The last sentence is far past the window."
    _, (spans,) = encode_with_spans(load_embeddings(), [text], [[(0, 20), (len(text) - 41, len(text))]])
    assert spans[0] is not None
    assert spans[1] is None


def test_chunks_without_stored_vectors_are_pooled_on_the_fly(
    make_library: Callable[..., Any], tmp_path: Path, corpus_chunks: list[Any]
) -> None:
    empty = make_library(tmp_path / "empty")
    chunks = corpus_chunks[:3]
    found = sentence_vectors_for(empty.sentence_vectors, empty.embeddings, chunks)
    assert set(found) == {c.chunk_id for c in chunks}
    assert empty.sentence_vectors.count() == 0  # readers never write the cache


def test_removing_or_replacing_a_source_prunes_its_sentence_vectors(
    make_library: Callable[..., Any], tmp_path: Path
) -> None:
    from ingest.pipeline import ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    keep, drop = docs / "keep.md", docs / "drop.md"
    keep.write_text("# Keep\n\nThe council meets every spring to review compute thresholds for frontier models.\n")
    drop.write_text("# Drop\n\nThe agency publishes a yearly report on data centre energy use and cooling water.\n")
    library = make_library(tmp_path / "data")
    assert not ingest_paths(library, [docs]).errors
    assert library.sentence_vectors.count() == len(library.catalog.chunks()) == 2

    library.remove_source("drop")
    drop.unlink()
    assert library.sentence_vectors.count() == 1

    keep.write_text("# Keep\n\nThe council now meets every autumn and publishes its minutes within a week.\n")
    assert not ingest_paths(library, [docs]).errors
    (chunk,) = library.catalog.chunks()
    assert set(library.sentence_vectors.get([chunk.chunk_id])) == {chunk.chunk_id}
    assert library.sentence_vectors.count() == 1
