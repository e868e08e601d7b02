"""The one client of a Chroma server (``POLICYCHAT_CHROMA_HOST`` set) and its one error mapping.

Everything that talks to a Chroma server goes through here: the vector index of
:mod:`ingest.vectors` (server mode), the publishing writer of :mod:`ingest.publish`
and the replica sync of :mod:`ingest.sync`. :func:`connect` builds the
``chromadb.HttpClient`` (checking first, with timeouts, that the server answers,
then giving the client's session connect and read timeouts: it has none of its
own), and :func:`store_error` turns any failure of a Chroma call into the
project's exception, naming the server.

:class:`RemoteStore` holds the two collections a library uses on the server: the
chunk vectors in ``<collection>`` and one *source record* per source in
``<collection>-sources``:

* id = source id; metadata = ``format``, ``content_hash``, ``chunk_ids`` (JSON
  list, position order), ``n_chunks``, ``path`` and ``meta`` (the
  :class:`~ingest.models.SourceMeta` JSON);
* document = JSON ``{"text", "pages", "chunks"}`` with the stored full text, its
  page spans and one row per chunk (id, position, offsets, page, section, and the
  header that ``embed_text`` puts before the text), so a replica rebuilds exactly
  the writer's catalog rows;
* a *stamp*: ``policychat_stamp`` in the sources collection's metadata, a fresh
  value after every change, which readers compare with one HTTP call.

Public API: :func:`connect`, :func:`store_error`, :func:`store_errors`,
:func:`chroma_client_settings`, :class:`RemoteStore`, :func:`sources_collection_name`,
:func:`decode_record`, :data:`Record`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ingest.models import Chunk, PageSpan, Source, SourceMeta
from policychat.errors import IndexUnavailableError, PolicychatError, StorageFullError, is_disk_full
from policychat.settings import Settings

# A Chroma server that accepts connections but never answers (overloaded, paused, half-dead
# network) must not hang the reads and writes waiting on it: the chromadb HTTP client has no
# timeout of its own. Reads and writes of one batch take well under a second on a healthy server;
# the read timeout is POLICYCHAT_CHROMA_TIMEOUT_SECONDS (15 s unless set).
CHROMA_CONNECT_TIMEOUT_S = 3.0

RECORD_FORMAT = 2  # bump when the source record layout changes
STAMP_KEY = "policychat_stamp"  # in the sources collection's metadata
# Source records carry no meaningful vector, but a Chroma collection without an embedding
# function would try to compute one (downloading its default model), so each record gets
# this 1-dimensional placeholder; the sources collection is never searched by vector.
PLACEHOLDER_VECTOR = [1.0]
FETCH_BATCH = 16  # full records (with their text) per request
PAGE = 1000  # metadata rows / chunk ids per request

Record = tuple[Source, str, list[Chunk]]


# ----------------------------------------------------------------------------- the client


def server_address(settings: Settings) -> str:
    """``host:port`` of the configured Chroma server, as every message names it."""
    return f"{settings.store.chroma_host}:{settings.store.chroma_port}"


def chroma_client_settings() -> Any:
    """The chromadb client settings of every client (no telemetry, no reset)."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _timeout(settings: Settings) -> Any:
    import httpx

    read = settings.store.chroma_timeout_seconds
    return httpx.Timeout(read, connect=min(CHROMA_CONNECT_TIMEOUT_S, read))


def _check_server_answers(settings: Settings) -> None:
    """Fail fast (connect and read timeouts) when the Chroma server is down or hung.

    ``chromadb.HttpClient`` talks to the server while it is created, with no timeout.
    """
    import httpx

    url = f"http://{server_address(settings)}/api/v2/heartbeat"
    httpx.get(url, timeout=_timeout(settings)).raise_for_status()


def _limit_http_waits(client: Any, settings: Settings) -> None:
    """Give the chromadb HTTP client's session connect and read timeouts (it is created with none)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = _timeout(settings)


def connect(settings: Settings) -> Any:
    """The ``chromadb.HttpClient`` of the configured server, with connect and read timeouts.

    Host and port come from ``settings``; the connection is plain HTTP with no extra
    headers, on chromadb's default tenant and database (what ``chroma run`` serves).

    Raises:
        IndexUnavailableError: the server refuses the connection, does not answer in time,
            or refuses the request.
    """
    import chromadb
    from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT

    with store_errors(settings):
        _check_server_answers(settings)
        client = chromadb.HttpClient(
            host=settings.store.chroma_host or "127.0.0.1", port=settings.store.chroma_port, ssl=False, headers=None,
            settings=chroma_client_settings(), tenant=DEFAULT_TENANT, database=DEFAULT_DATABASE,
        )
        _limit_http_waits(client, settings)
    return client


def _failure(exc: BaseException, timeout_seconds: float) -> str:
    """What went wrong with a call to the server, in a few words."""
    import httpx

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.TimeoutException):
            return f"no answer within {timeout_seconds:g} s"
        if isinstance(current, (httpx.ConnectError, ConnectionRefusedError)):
            return "connection refused"
        status = current.response.status_code if isinstance(current, httpx.HTTPStatusError) else None
        if status in (401, 403) or type(current).__name__ in ("AuthorizationError", "ChromaAuthError"):
            return "credentials refused"
        current = current.__cause__ or current.__context__
    return "unavailable"


def store_error(settings: Settings, exc: Exception) -> PolicychatError:
    """The error to raise for a failed Chroma call (server or embedded store).

    :class:`StorageFullError` when its disk is full, else :class:`IndexUnavailableError`
    naming the server (``host:port``) or the embedded store's path, and saying why
    (connection refused, no answer in time, credentials refused).
    """
    where = (
        f"Chroma server at {server_address(settings)}"
        if settings.store.uses_chroma_server
        else f"Chroma store in {settings.store.data_dir / 'chroma'}"
    )
    if is_disk_full(exc):
        return StorageFullError(
            f"no space left on the disk of the {where} ({type(exc).__name__}: {exc}); free some space and "
            "run the write again (what is stored is kept)"
        )
    if not settings.store.uses_chroma_server:
        return IndexUnavailableError(
            f"{where} is unavailable ({type(exc).__name__}: {exc}); start it or check the path."
        )
    failure = _failure(exc, settings.store.chroma_timeout_seconds)
    if failure == "unavailable":
        return IndexUnavailableError(
            f"{where} is unavailable ({type(exc).__name__}: {exc}); start it or check the address."
        )
    todo = {
        "connection refused": "start it or check POLICYCHAT_CHROMA_HOST and POLICYCHAT_CHROMA_PORT",
        "credentials refused": "check the credentials the server expects",
    }.get(failure, "it accepts connections but does not answer; restart it or check its load")
    return IndexUnavailableError(f"{where} is unavailable: {failure} ({type(exc).__name__}: {exc}); {todo}.")


@contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """Turn any client or transport failure inside the block into :func:`store_error` (ours pass through)."""
    try:
        yield
    except PolicychatError:
        raise
    except Exception as exc:
        raise store_error(settings, exc) from exc


# ----------------------------------------------------------------------------- source records


def sources_collection_name(settings: Settings) -> str:
    """The collection holding the source records: ``<collection>-sources``."""
    return f"{settings.store.collection}-sources"


def encode_record(source: Source, path: str, chunks: Sequence[Chunk]) -> tuple[str, dict[str, str | int]]:
    """The document and metadata that publish one source (see the module docstring)."""
    rows: list[list[Any]] = []
    for c in chunks:
        row: list[Any] = [c.chunk_id, c.position, c.start, c.end, c.page, c.section]
        overrides: dict[str, str] = {}
        if c.embed_text.endswith(c.text):
            row.append(c.embed_text[: len(c.embed_text) - len(c.text)])
        else:
            row.append("")
            overrides["embed_text"] = c.embed_text
        if source.text[c.start : c.end] != c.text:
            overrides["text"] = c.text
        row.append(overrides)
        row.append([list(s) for s in c.sentences])
        rows.append(row)
    document = json.dumps(
        {"text": source.text, "pages": [[p.page, p.start, p.end] for p in source.pages], "chunks": rows},
        ensure_ascii=False,
    )
    metadata: dict[str, str | int] = {
        "format": RECORD_FORMAT,
        "content_hash": source.content_hash,
        "chunk_ids": json.dumps([c.chunk_id for c in chunks]),
        "n_chunks": len(chunks),
        "path": path,
        "meta": json.dumps(source.meta.to_dict(), ensure_ascii=False),
    }
    return document, metadata


def decode_record(document: str, metadata: dict[str, Any]) -> Record:
    """Rebuild ``(source, path, chunks)`` from a published record.

    Raises:
        ValueError: an unknown format, or a document that does not match its metadata
            (the caller leaves such a record out; it never reaches a user).
    """
    if metadata.get("format") != RECORD_FORMAT:
        raise ValueError(f"record format {metadata.get('format')!r} is not {RECORD_FORMAT}")
    body = json.loads(document)
    text = body["text"]
    meta = SourceMeta(**json.loads(metadata["meta"]))
    source = Source(
        meta=meta, text=text, content_hash=str(metadata["content_hash"]), pages=[PageSpan(*p) for p in body["pages"]]
    )
    chunks = []
    for row in body["chunks"]:
        chunk_id, position, start, end, page, section, header = row[:7]
        overrides = row[7] if len(row) > 7 else {}
        sentences = tuple((a, b, role) for a, b, role in row[8]) if len(row) > 8 else ()
        chunk_text = overrides.get("text", text[start:end])
        chunks.append(
            Chunk(
                chunk_id, meta.id, position, chunk_text, start, end, page, section,
                overrides.get("embed_text", header + chunk_text), sentences,
            )
        )
    if [c.chunk_id for c in chunks] != json.loads(metadata["chunk_ids"]):
        raise ValueError("the chunk rows do not match the record's chunk_ids")
    return source, str(metadata["path"]), chunks


def record_chunk_ids(metadata: dict[str, Any]) -> list[str]:
    """The chunk ids a record's metadata lists (none when unreadable)."""
    try:
        return [str(i) for i in json.loads(metadata.get("chunk_ids", "[]"))]
    except ValueError:
        return []


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


class RemoteStore:
    """The two collections of a library on the Chroma server: chunk vectors and source records.

    Every method raises :class:`IndexUnavailableError` (naming the server) when it
    cannot be reached or does not answer within the timeouts.
    """

    def __init__(self, settings: Settings) -> None:
        """Connect (:func:`connect`) and open, or create, both collections."""
        self._settings = settings
        self._name = sources_collection_name(settings)
        self._client = connect(settings)
        with store_errors(settings):
            self._records = self._client.get_or_create_collection(name=self._name, embedding_function=None)
            self._chunks = self._client.get_or_create_collection(
                name=settings.store.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )

    def stamp(self) -> str:
        """The current stamp ("" before anything was published): one HTTP call."""
        with store_errors(self._settings):
            metadata = self._client.get_collection(self._name, embedding_function=None).metadata or {}
        return str(metadata.get(STAMP_KEY, ""))

    def renew_stamp(self) -> str:
        """Set a fresh stamp and return it."""
        stamp = uuid.uuid4().hex
        with store_errors(self._settings):
            self._records.modify(metadata={STAMP_KEY: stamp})
        return stamp

    def upsert(self, items: Sequence[Record]) -> None:
        """Publish source records (a few per request: each carries a whole text)."""
        for i in range(0, len(items), FETCH_BATCH):
            part = [encode_record(source, path, chunks) for source, path, chunks in items[i : i + FETCH_BATCH]]
            with store_errors(self._settings):
                self._records.upsert(
                    ids=[source.id for source, _path, _chunks in items[i : i + FETCH_BATCH]],
                    embeddings=np.asarray([PLACEHOLDER_VECTOR] * len(part), dtype=np.float32),
                    documents=[document for document, _meta in part],
                    metadatas=[meta for _document, meta in part],
                )

    def delete(self, source_ids: Sequence[str]) -> None:
        """Delete source records by id (missing ids are ignored)."""
        for batch in _batches(source_ids, PAGE):
            with store_errors(self._settings):
                self._records.delete(ids=batch)

    def heads(self) -> dict[str, dict[str, Any]]:
        """{source id: record metadata} of every published source (no texts)."""
        out: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            with store_errors(self._settings):
                page = self._records.get(include=["metadatas"], limit=PAGE, offset=offset)
            out.update(zip(page["ids"], [dict(m or {}) for m in page["metadatas"] or []], strict=True))
            if len(page["ids"]) < PAGE:
                return out
            offset += PAGE

    def fetch(self, source_ids: Sequence[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(id, document, metadata)`` of the given records, a few per request."""
        for batch in _batches(source_ids, FETCH_BATCH):
            with store_errors(self._settings):
                got = self._records.get(ids=batch, include=["documents", "metadatas"])
            yield from zip(got["ids"], got["documents"] or [], [dict(m or {}) for m in got["metadatas"] or []],
                           strict=True)

    def present_chunks(self, chunk_ids: Sequence[str]) -> set[str]:
        """The subset of ``chunk_ids`` that has a stored vector."""
        found: set[str] = set()
        for batch in _batches(chunk_ids, PAGE):
            with store_errors(self._settings):
                found.update(self._chunks.get(ids=batch, include=[])["ids"])
        return found
