"""The stock LangChain recipe on the same texts: 1000/200 character splits + in-memory Chroma, k=4."""

from __future__ import annotations

import time
from typing import Any

from bench.stats import latency_summary, time_calls
from ingest.embed import load_embeddings
from ingest.library import Library


def bench_langchain(library: Library, questions: list[str]) -> dict[str, Any]:
    """Build the recipe from ``library``'s stored source texts and time its ingest and queries.

    Mirrors ``eval/ablations.py`` ``langchain_baseline``: RecursiveCharacterTextSplitter(1000, 200),
    ``Chroma.from_documents`` on a ``chromadb.EphemeralClient``, the same embeddings, ``similarity_search(k=4)``.

    Returns:
        ``{"chunks", "ingest_s", "query": {"n", "p50_ms", "p95_ms", "mean_ms"}}``. The ingest
        time covers splitting and embedding the already-parsed texts (no file parsing).
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = load_embeddings(library.settings.models.embedding_model, library.settings.models.embedding_batch_size)
    texts = [(r.meta.id, library.catalog.source(r.meta.id).text) for r in library.catalog.records()]
    t0 = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents: list[Document] = []
    for source_id, text in texts:
        documents.extend(splitter.create_documents([text], metadatas=[{"source_id": source_id}]))
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma.from_documents(documents, embeddings, client=client, collection_name="bench-langchain")
    ingest_s = time.perf_counter() - t0
    try:
        store.similarity_search(questions[0], k=4)
        query = latency_summary(time_calls(lambda q: store.similarity_search(q, k=4), questions))
    finally:
        store.delete_collection()
    return {"chunks": len(documents), "ingest_s": round(ingest_s, 2), "query": query}
