"""Fresh ingests of the same corpus rank identically, so evaluation figures do not flicker.

Dense search is exact below ``POLICYCHAT_EXACT_SEARCH_MAX_CHUNKS`` (numpy over every vector,
ties broken by chunk id), BM25 is deterministic, and fusion sorts ties by chunk id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testsupport import make_settings

from assistant.retrieval.retrieve import HybridRetriever
from eval.dataset import load_gold
from ingest.library import Library
from ingest.pipeline import ingest_paths


def test_a_second_fresh_ingest_ranks_every_question_the_same(ingested: Any, tmp_path: Path, corpus_dir: Path) -> None:
    second = Library(make_settings(tmp_path / "again", sources=corpus_dir))
    ingest_paths(second, [corpus_dir])
    first_retriever = HybridRetriever(ingested.library, ingested.settings)
    second_retriever = HybridRetriever(second, second.settings)
    questions = [item.question for item in load_gold()][::5]
    assert len(questions) >= 40
    for question in questions:
        a = [p.chunk_id for p in first_retriever.retrieve(question, top_k=10)]
        b = [p.chunk_id for p in second_retriever.retrieve(question, top_k=10)]
        assert a and a == b, question
