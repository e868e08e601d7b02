"""The vector index: Chroma, embedded on disk by default or a ``chroma run`` server.

Chroma never embeds anything itself here: collections are created with no
embedding function and every vector is computed by :mod:`ingest.embed`.
Queries go through LangChain's ``Chroma`` vector store; writes use the
collection directly because they carry precomputed vectors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ingest.models import Chunk, SourceMeta
from policychat.errors import IndexUnavailableError, PolicychatError, StorageFullError, is_disk_full
from policychat.settings import Settings

Where = dict[str, Any]

# A Chroma server that accepts connections but never answers (overloaded, paused, half-dead
# network) must not hang the reads and writes waiting on it: the chromadb HTTP client has no
# timeout of its own. Reads and writes of one batch take well under a second on a healthy server.
CHROMA_CONNECT_TIMEOUT_S = 3.0
CHROMA_TIMEOUT_S = 15.0


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


def _unavailable(settings: Settings, exc: Exception) -> PolicychatError:
    """The error to raise for a failed Chroma call: :class:`StorageFullError` when its disk is full."""
    where = (
        f"Chroma server at {settings.chroma_host}:{settings.chroma_port}"
        if settings.uses_chroma_server
        else f"Chroma store in {settings.data_dir / 'chroma'}"
    )
    if is_disk_full(exc):
        return StorageFullError(
            f"no space left on the disk of the {where} ({type(exc).__name__}: {exc}); free some space and "
            "run the write again (what is stored is kept)"
        )
    return IndexUnavailableError(f"{where} is unavailable ({type(exc).__name__}: {exc}); start it or check the path.")


def _check_server_answers(settings: Settings) -> None:
    """Fail fast (connect and read timeouts) when the Chroma server is down or hung.

    ``chromadb.HttpClient`` talks to the server while it is created, with no timeout.
    """
    import httpx

    url = f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
    httpx.get(url, timeout=httpx.Timeout(CHROMA_TIMEOUT_S, connect=CHROMA_CONNECT_TIMEOUT_S)).raise_for_status()


def _limit_http_waits(client: Any) -> None:
    """Give the chromadb HTTP client's session connect and read timeouts (it is created with none)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(CHROMA_TIMEOUT_S, connect=CHROMA_CONNECT_TIMEOUT_S)


class ChromaIndex:
    """Chroma collection with cosine distance; persistent client or HTTP client."""

    def __init__(self, settings: Settings) -> None:
        """Connect to (or create) the configured collection."""
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        self._settings = settings
        client_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if settings.uses_chroma_server:
                _check_server_answers(settings)
                client = chromadb.HttpClient(
                    host=settings.chroma_host or "127.0.0.1", port=settings.chroma_port, settings=client_settings
                )
                _limit_http_waits(client)
            else:
                path = Path(settings.data_dir) / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=client_settings)
            self._collection = client.get_or_create_collection(
                name=settings.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            # No embedding function: queries always arrive as vectors from ingest.embed.
            self.store = Chroma(client=client, collection_name=settings.collection, embedding_function=None)
        except Exception as exc:
            raise _unavailable(settings, exc) from exc

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]], metas: Sequence[SourceMeta]) -> None:
        """Write chunks in batches Chroma accepts."""
        for i in range(0, len(chunks), 1000):
            part = chunks[i : i + 1000]
            try:
                self._collection.upsert(
                    ids=[c.chunk_id for c in part],
                    embeddings=np.asarray(vectors[i : i + 1000], dtype=np.float32),
                    documents=[c.text for c in part],
                    metadatas=[chunk_metadata(c, m) for c, m in zip(part, metas[i : i + 1000], strict=True)],
                )
            except Exception as exc:
                raise _unavailable(self._settings, exc) from exc

    def delete(self, ids: Sequence[str]) -> None:
        """Delete by id in batches."""
        for i in range(0, len(ids), 1000):
            try:
                self._collection.delete(ids=list(ids[i : i + 1000]))
            except Exception as exc:
                raise _unavailable(self._settings, exc) from exc

    def ids(self) -> set[str]:
        """All stored ids (paged, to bound memory per request)."""
        out: set[str] = set()
        offset = 0
        try:
            while True:
                page = self._collection.get(include=[], limit=5000, offset=offset)["ids"]
                out.update(page)
                if len(page) < 5000:
                    return out
                offset += 5000
        except Exception as exc:
            raise _unavailable(self._settings, exc) from exc

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id, read in pages of 1,000 (float32, as stored)."""
        out: dict[str, np.ndarray] = {}
        try:
            for i in range(0, len(ids), 1000):
                page = self._collection.get(ids=list(ids[i : i + 1000]), include=["embeddings"])
                found = page["embeddings"]
                for cid, vector in zip(page["ids"], list(found) if found is not None else [], strict=True):
                    out[str(cid)] = np.asarray(vector, dtype=np.float32)
        except Exception as exc:
            raise _unavailable(self._settings, exc) from exc
        return out

    def search(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[tuple[str, float]]:
        """Cosine similarity search through LangChain's Chroma store."""
        try:
            hits = self.store.similarity_search_by_vector_with_relevance_scores(
                embedding=list(vector), k=k, filter=where or None
            )
        except Exception as exc:
            raise _unavailable(self._settings, exc) from exc
        # Chroma returns cosine *distance*; 1 - d is the cosine similarity.
        return [(str(doc.id), 1.0 - float(dist)) for doc, dist in hits]


@register_backend("chroma")
def _chroma(settings: Settings) -> VectorIndex:
    return ChromaIndex(settings)


def open_vector_index(settings: Settings, backend: str = "chroma") -> VectorIndex:
    """Open the named vector index backend (default: Chroma)."""
    return VECTOR_BACKENDS[backend](settings)
