"""The vector index: Chroma, embedded on disk by default or a ``chroma run`` server.

Chroma never embeds anything itself here: collections are created with no
embedding function and every vector is computed by :mod:`ingest.embed`.
Queries go through LangChain's ``Chroma`` vector store; writes use the
collection directly because they carry precomputed vectors. A server's client,
its timeouts and the error every failed call becomes come from :mod:`ingest.remote`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ingest.models import Chunk, SourceMeta
from ingest.remote import chroma_client_settings, connect, store_errors
from policychat.settings import Settings

Where = dict[str, Any]


class VectorIndex(Protocol):
    """What the pipeline needs from a vector store."""

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]], metas: Sequence[SourceMeta]) -> None:
        """Insert or overwrite chunks by id with their vectors and filterable metadata."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Delete chunks by id (missing ids are ignored)."""
        ...

    def ids(self) -> set[str]:
        """Every chunk id stored."""
        ...

    def search(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids by cosine similarity (higher is better), filtered by ``where``."""
        ...

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``ids`` (ids without a vector are left out)."""
        ...


VECTOR_BACKENDS: dict[str, Callable[[Settings], VectorIndex]] = {}


def register_backend(name: str) -> Callable[[Callable[[Settings], VectorIndex]], Any]:
    """Register a vector index factory under ``name``."""

    def decorate(factory: Callable[[Settings], VectorIndex]) -> Any:
        VECTOR_BACKENDS[name] = factory
        return factory

    return decorate


def chunk_metadata(chunk: Chunk, meta: SourceMeta) -> dict[str, str | int]:
    """Filterable metadata stored with each vector (Chroma values cannot be None)."""
    return {
        "source_id": chunk.source_id,
        "country": meta.country,
        "doc_type": meta.doc_type,
        "date_int": meta.date_int,
        "page": chunk.page if chunk.page is not None else -1,
        "position": chunk.position,
        "start": chunk.start,
        "end": chunk.end,
        "section": chunk.section[:500],
    }


class ChromaIndex:
    """Chroma collection with cosine distance; persistent client or HTTP client.

    Every failed call raises :func:`ingest.remote.store_error`'s exception (naming the
    server or the store's path).
    """

    def __init__(self, settings: Settings) -> None:
        """Connect to (or create) the configured collection."""
        client_settings = chroma_client_settings()
        import chromadb
        from langchain_chroma import Chroma

        self._settings = settings
        with store_errors(settings):
            if settings.store.uses_chroma_server:
                client = connect(settings)
            else:
                path = Path(settings.store.data_dir) / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=client_settings)
            self._collection = client.get_or_create_collection(
                name=settings.store.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            # No embedding function: queries always arrive as vectors from ingest.embed.
            self.store = Chroma(client=client, collection_name=settings.store.collection, embedding_function=None)

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]], metas: Sequence[SourceMeta]) -> None:
        """Write chunks in batches Chroma accepts."""
        for i in range(0, len(chunks), 1000):
            part = chunks[i : i + 1000]
            with store_errors(self._settings):
                self._collection.upsert(
                    ids=[c.chunk_id for c in part],
                    embeddings=np.asarray(vectors[i : i + 1000], dtype=np.float32),
                    documents=[c.text for c in part],
                    metadatas=[chunk_metadata(c, m) for c, m in zip(part, metas[i : i + 1000], strict=True)],
                )

    def delete(self, ids: Sequence[str]) -> None:
        """Delete by id in batches."""
        for i in range(0, len(ids), 1000):
            with store_errors(self._settings):
                self._collection.delete(ids=list(ids[i : i + 1000]))

    def ids(self) -> set[str]:
        """All stored ids (paged, to bound memory per request)."""
        out: set[str] = set()
        offset = 0
        with store_errors(self._settings):
            while True:
                page = self._collection.get(include=[], limit=5000, offset=offset)["ids"]
                out.update(page)
                if len(page) < 5000:
                    return out
                offset += 5000

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id, read in pages of 1,000 (float32, as stored)."""
        out: dict[str, np.ndarray] = {}
        with store_errors(self._settings):
            for i in range(0, len(ids), 1000):
                page = self._collection.get(ids=list(ids[i : i + 1000]), include=["embeddings"])
                found = page["embeddings"]
                for cid, vector in zip(page["ids"], list(found) if found is not None else [], strict=True):
                    out[str(cid)] = np.asarray(vector, dtype=np.float32)
        return out

    def search(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[tuple[str, float]]:
        """Cosine similarity search through LangChain's Chroma store."""
        with store_errors(self._settings):
            hits = self.store.similarity_search_by_vector_with_relevance_scores(
                embedding=list(vector), k=k, filter=where or None
            )
        # Chroma returns cosine *distance*; 1 - d is the cosine similarity.
        return [(str(doc.id), 1.0 - float(dist)) for doc, dist in hits]


@register_backend("chroma")
def _chroma(settings: Settings) -> VectorIndex:
    return ChromaIndex(settings)


def open_vector_index(settings: Settings, backend: str = "chroma") -> VectorIndex:
    """Open the named vector index backend (default: Chroma)."""
    return VECTOR_BACKENDS[backend](settings)
