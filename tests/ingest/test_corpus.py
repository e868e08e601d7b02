"""The shared corpus, ingested once (``ingested`` fixture), is stored faithfully and consistently."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from ingest.embed import load_token_counter
from ingest.keywords import KeywordIndex
from ingest.metadata import normalize_country
from ingest.pipeline import ingest_paths

CJK_RADICALS = re.compile("[\u2e80-\u2fdf]")  # CJK Radicals Supplement + Kangxi Radicals
LIGATURES = ("ﬀ", "ﬁ", "ﬂ", "ﬃ", "ﬄ")
MODEL_POSITIONS = 256  # all-MiniLM-L6-v2, including [CLS] and [SEP]


@pytest.fixture(scope="module")
def catalog_rows(corpus_dir: Path) -> dict[str, dict[str, str]]:
    with (corpus_dir / "catalog.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def records(ingested: Any) -> dict[str, Any]:
    return {r.meta.id: r for r in ingested.library.catalog.records()}


@pytest.fixture(scope="module")
def chunks(ingested: Any) -> list[Any]:
    return ingested.library.catalog.chunks()


@pytest.fixture(scope="module")
def texts(ingested: Any, records: dict[str, Any]) -> dict[str, str]:
    return {sid: ingested.library.catalog.source(sid).text for sid in records}


def test_every_file_was_ingested_without_errors(ingested: Any, catalog_rows: dict[str, dict[str, str]]) -> None:
    report = ingested.report
    assert report.errors == []
    assert sorted(report.added) == sorted(catalog_rows)
    assert report.chunks_embedded > 0


def test_catalog_metadata_comes_from_catalog_csv(
    records: dict[str, Any], catalog_rows: dict[str, dict[str, str]]
) -> None:
    assert set(records) == set(catalog_rows)
    for source_id, row in catalog_rows.items():
        meta = records[source_id].meta
        assert meta.title == row["title"]
        assert meta.publisher == row["publisher"]
        assert meta.country == normalize_country(row["country"]) == row["country"]
        assert meta.date == row["date"]
        assert meta.doc_type == row["doc_type"]
        assert meta.original_url == (row["original_url"] or None)
        assert meta.file == row["file"]


def test_pdfs_have_pages_and_their_chunks_have_page_numbers(records: dict[str, Any], chunks: list[Any]) -> None:
    pdf_ids = {sid for sid, r in records.items() if r.meta.file.endswith(".pdf")}
    assert len(pdf_ids) >= 5
    for chunk in chunks:
        record = records[chunk.source_id]
        if chunk.source_id in pdf_ids:
            assert record.n_pages > 0, chunk.source_id
            assert chunk.page is not None and 1 <= chunk.page <= record.n_pages, chunk.chunk_id
        else:
            assert record.n_pages == 0 and chunk.page is None, chunk.chunk_id


def test_chunk_page_is_the_page_holding_its_start(ingested: Any, records: dict[str, Any], chunks: list[Any]) -> None:
    sources = {sid: ingested.library.catalog.source(sid) for sid, r in records.items() if r.n_pages}
    for chunk in chunks:
        if chunk.source_id in sources:
            spans = sources[chunk.source_id].pages
            holding = [p.page for p in spans if p.start <= chunk.start < p.end]
            assert holding == [chunk.page], chunk.chunk_id


def test_chunk_text_is_the_exact_slice_of_the_stored_text(chunks: list[Any], texts: dict[str, str]) -> None:
    mismatched = [c.chunk_id for c in chunks if texts[c.source_id][c.start : c.end] != c.text]
    assert not mismatched


def test_chunks_are_non_empty_and_counted_per_source(records: dict[str, Any], chunks: list[Any]) -> None:
    assert all(c.text.strip() for c in chunks)
    per_source: dict[str, int] = {}
    for chunk in chunks:
        per_source[chunk.source_id] = per_source.get(chunk.source_id, 0) + 1
    assert per_source == {sid: r.n_chunks for sid, r in records.items()}
    assert all(n > 0 for n in per_source.values())


@pytest.mark.parametrize("prefix", ["cn-tc260-", "cn-state-council-"])
def test_chinese_pdfs_yield_clean_chinese_text(prefix: str, records: dict[str, Any], texts: dict[str, str]) -> None:
    ids = [sid for sid in records if sid.startswith(prefix) and records[sid].meta.file.endswith(".pdf")]
    assert ids, f"no Chinese PDF with prefix {prefix}"
    for source_id in ids:
        text = texts[source_id]
        assert "人工智能" in text, source_id
        assert records[source_id].meta.language == "zh"
        radicals = sorted(set(CJK_RADICALS.findall(text)))
        assert not radicals, f"{source_id} keeps CJK radical forms {radicals}"
        assert not re.search(r"人 工|工 智|智 能", text), f"{source_id} keeps PDF spacing inside words"


def test_no_ligatures_anywhere(texts: dict[str, str], chunks: list[Any]) -> None:
    assert not [sid for sid, text in texts.items() if any(lig in text for lig in LIGATURES)]
    assert not [c.chunk_id for c in chunks if any(lig in c.embed_text for lig in LIGATURES)]


def test_embedded_text_fits_the_model(ingested: Any, chunks: list[Any]) -> None:
    count = load_token_counter(ingested.settings.models.embedding_model)
    sizes = count([c.embed_text for c in chunks])
    too_long = [(c.chunk_id, n) for c, n in zip(chunks, sizes, strict=True) if n + 2 > MODEL_POSITIONS]
    assert not too_long


def test_embed_text_is_title_and_section_header_plus_chunk_text(records: dict[str, Any], chunks: list[Any]) -> None:
    for chunk in chunks:
        assert chunk.embed_text.endswith(chunk.text), chunk.chunk_id
        assert chunk.embed_text.startswith(records[chunk.source_id].meta.title), chunk.chunk_id


def test_vector_ids_equal_catalog_chunk_ids(ingested: Any, chunks: list[Any]) -> None:
    catalog_ids = [c.chunk_id for c in chunks]
    assert len(catalog_ids) == len(set(catalog_ids))
    assert ingested.library.vectors.ids() == set(catalog_ids)


def test_keyword_index_matches_catalog_generation(ingested: Any, chunks: list[Any]) -> None:
    library = ingested.library
    saved = KeywordIndex.load(library.data_dir / "bm25")
    assert saved is not None, "no BM25 index saved"
    assert saved.generation == library.catalog.generation() > 0
    assert set(saved.chunk_ids) == {c.chunk_id for c in chunks}


def test_keyword_index_finds_a_distinctive_phrase(ingested: Any) -> None:
    hits = ingested.library.keyword_index().search("AI Information Sharing and Analysis Center", k=3)
    assert hits and hits[0][0].startswith("us-ai-action-plan-2025:")


def test_second_ingest_embeds_nothing(ingested: Any, corpus_dir: Path, records: dict[str, Any]) -> None:
    library = ingested.library
    generation = library.catalog.generation()
    report = ingest_paths(library, [corpus_dir])
    assert report.errors == []
    assert report.chunks_embedded == 0
    assert report.added == [] and report.updated == [] and report.removed == []
    assert sorted(report.unchanged) == sorted(records)
    assert library.catalog.generation() == generation
