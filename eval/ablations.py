"""Retrieval ablations and the stock LangChain baseline, scored on the same gold items.

Variants: BM25 only, dense only, hybrid (RRF) without diversity, hybrid with
per-source diversity (the shipped default), and the recipe most tutorials use:
``RecursiveCharacterTextSplitter(1000, 200)`` + Chroma ``similarity_search(k=4)``
over the same stored source texts with the same embedding model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.core.analysis import analyze_question
from assistant.retrieval.retrieve import HybridRetriever, Mode
from eval.dataset import GoldItem
from eval.metrics import ItemResult, retrieval_scores, summarize, summary_intervals
from ingest.library import Library

RETRIEVAL_METRICS = ("hit@1", "hit@3", "hit@5", "recall@5", "mrr", "ndcg@10", "evidence@5")


@dataclass(frozen=True)
class Variant:
    """A named retrieval configuration."""

    name: str
    mode: Mode
    diversify: bool


VARIANTS = (
    Variant("bm25", "bm25", False),
    Variant("dense", "dense", False),
    Variant("hybrid", "hybrid", False),
    Variant("hybrid+diversity", "hybrid", True),
)

Retrieve = Callable[[str], list[tuple[str, str]]]
"""A retrieval function: query -> [(source_id, passage text)], best first."""


class RetrievalScores(dict[str, float | None]):
    """A variant's metrics (``{metric: value}``, as reports list them) with their bootstrap 95 % intervals."""

    def __init__(self, values: dict[str, float | None], intervals: dict[str, tuple[float, float] | None]) -> None:
        super().__init__(values)
        self.intervals = intervals


def score_retrieval(items: list[GoldItem], retrieve: Retrieve) -> RetrievalScores:
    """Retrieval metrics of ``retrieve`` over the answerable items, with their intervals (``.intervals``)."""
    results = []
    for item in items:
        if not item.answerable:
            continue
        hits = retrieve(analyze_question(item.question, item.history).query)
        scores = retrieval_scores(item, [s for s, _ in hits], [t for _, t in hits])
        result = ItemResult(id=item.id, answerable=True, tags=item.tags)
        result.hits, result.recall = scores["hits"], scores["recall"]  # type: ignore[assignment]
        result.reciprocal_rank, result.ndcg10 = scores["rr"], scores["ndcg10"]  # type: ignore[assignment]
        result.evidence_at5 = scores["evidence_at5"]  # type: ignore[assignment]
        results.append(result)
    summary, spread = summarize(results), summary_intervals(results)
    return RetrievalScores({m: summary[m] for m in RETRIEVAL_METRICS}, {m: spread.get(m) for m in RETRIEVAL_METRICS})


def run_ablations(retriever: HybridRetriever, items: list[GoldItem], top_k: int = 10) -> dict[str, dict]:
    """Score every :data:`VARIANTS` entry with the project's retriever."""
    table: dict[str, dict] = {}
    for variant in VARIANTS:

        def retrieve(query: str, v: Variant = variant) -> list[tuple[str, str]]:
            passages = retriever.retrieve(query, top_k=top_k, mode=v.mode, diversify=v.diversify)
            return [(p.chunk.source_id, p.chunk.text) for p in passages]

        table[variant.name] = score_retrieval(items, retrieve)
    return table


def langchain_baseline(library: Library, items: list[GoldItem], k: int = 4) -> RetrievalScores:
    """The stock LangChain recipe on the library's stored texts, scored like the variants.

    Builds an in-memory Chroma collection from 1000/200 character splits (the
    splitter's defaults in most tutorials), embedded with the same model.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents: list[Document] = []
    for record in library.catalog.records():
        text = library.catalog.source(record.meta.id).text
        documents.extend(splitter.create_documents([text], metadatas=[{"source_id": record.meta.id}]))
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma.from_documents(
        documents, library.embeddings, client=client, collection_name="langchain-baseline",
    )
    try:

        def retrieve(query: str) -> list[tuple[str, str]]:
            return [(d.metadata["source_id"], d.page_content) for d in store.similarity_search(query, k=k)]

        return score_retrieval(items, retrieve)
    finally:
        store.delete_collection()
