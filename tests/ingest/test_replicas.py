"""Several machines, one Chroma server: replicas rebuild their catalog and BM25 index from it.

"Machine A" (the writer) and "machine B" (a replica) are two libraries on two
data directories pointing at the same real `chroma run` server; B never ingests
anything itself. Each test uses its own collection on the module's server.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from testsupport import make_settings, wait_until

from assistant.models import AnswerRequest
from assistant.service import AnswerService
from assistant.serving.server import background_server
from ingest.library import Library
from ingest.models import Source
from ingest.pipeline import ingest_paths
from ingest.publish import open_library
from ingest.sync import BACKFILLED, SYNCED_STAMP, sync_from_chroma
from policychat.errors import ConfigError, IndexUnavailableError
from policychat.settings import Settings

DOCS = {
    "talks.md": (
        "---\ntitle: Geneva Talks on AI Risk\ncountry: INTL\ndate: 2024-05-14\n---\n# Geneva talks\n\n"
        "The United States and China held their first intergovernmental talks on AI risk in Geneva on 14 May 2024. "
        "Both delegations agreed to meet again under the Vellmar protocol for frontier model incidents.\n\n"
        "## Follow-up\n\nA second round was planned but no date was fixed by the end of the year.\n"
    ),
    "chips.md": (
        "# Chip rule\n\nThe export rule requires a license for advanced computing chips shipped to listed "
        "destinations. Exporters must file a Tarrowby declaration for every shipment above the threshold.\n"
    ),
}
CHIPS_V2 = (
    "# Chip rule (amended)\n\nThe amended export rule requires a license for advanced computing chips and for "
    "the cloud access that replaces them. The Quenfield exemption covers academic clusters below 500 accelerators.\n"
)
GRID = "# Grid note\n\nData centres above 100 megawatts must report their Ostravel load profile every quarter.\n"


@pytest.fixture(scope="module")
def server(module_chroma_server: Any) -> Any:
    """The module's Chroma server (tests/ingest/conftest.py)."""
    return module_chroma_server


def machine(data_dir: Path, server: Any, collection: str, **overrides: Any) -> Settings:
    """Settings of one machine: its own data dir, the shared server and collection."""
    settings: Settings = make_settings(data_dir, chroma_host="127.0.0.1", chroma_port=server.port,
                                       collection=collection, **overrides)
    return settings


def write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def assert_same_library(a: Library, b: Library) -> None:
    """B's catalog has exactly A's sources and chunk rows (ids, texts, offsets, pages, sections, embed texts)."""
    assert b.catalog.hashes() == a.catalog.hashes()
    assert b.catalog.chunks() == a.catalog.chunks()
    for record in a.catalog.records():
        theirs, ours = a.catalog.source(record.meta.id), b.catalog.source(record.meta.id)
        assert (ours.meta, ours.text, ours.pages) == (theirs.meta, theirs.text, theirs.pages)
    keyword = b.keyword_index()
    assert keyword.generation == b.catalog.generation()
    assert set(keyword.chunk_ids) == {c.chunk_id for c in a.catalog.chunks()}


def bm25_sources(library: Library, query: str) -> list[str]:
    chunks = {c.chunk_id: c.source_id for c in library.catalog.chunks()}
    return [chunks[cid] for cid, _score in library.keyword_index().search(query, 5)]


def test_replica_takes_the_writers_sources_and_follows_updates_and_removals(tmp_path: Path, server) -> None:
    docs = write_docs(tmp_path / "docs")
    (docs / "grid.md").write_text(GRID, encoding="utf-8")
    a = open_library(machine(tmp_path / "a", server, "follow"))
    assert sorted(ingest_paths(a, [docs]).added) == ["chips", "grid", "talks"]

    b_settings = machine(tmp_path / "b", server, "follow")
    b = open_library(b_settings)
    first = sync_from_chroma(b)
    assert sorted(first.added) == ["chips", "grid", "talks"] and first.keyword_rebuilt and not first.incomplete
    assert_same_library(a, b)
    assert bm25_sources(b, "Vellmar protocol")[0] == "talks"

    question = AnswerRequest(question="Where did the US and China hold talks on AI risk?")
    answer = AnswerService(b_settings, b).answer(question)
    assert not answer.abstained and answer.citations[0].source_id == "talks"
    assert "Geneva" in answer.answer

    generation = b.catalog.generation()
    again = sync_from_chroma(b)
    assert again.checked_only and not again.changed
    assert again.seconds < 0.5, f"a no-change check took {again.seconds:.3f} s"
    assert b.catalog.generation() == generation

    # A deletes one source, updates another and prunes a third whose file is gone.
    a.remove_source("talks")
    (docs / "talks.md").unlink()
    (docs / "chips.md").write_text(CHIPS_V2, encoding="utf-8")
    (docs / "grid.md").unlink()
    report = ingest_paths(a, [docs], prune=True)
    assert report.updated == ["chips"] and report.removed == ["grid"] and report.added == []

    second = sync_from_chroma(b)
    assert second.updated == ["chips"] and second.removed == ["grid", "talks"] and second.added == []
    assert_same_library(a, b)
    assert bm25_sources(b, "Vellmar protocol") == []
    assert bm25_sources(b, "Quenfield exemption")[0] == "chips"
    assert sync_from_chroma(b).checked_only

    # The writer's own check finds nothing to do: its catalog already is what it published.
    own = sync_from_chroma(a)
    assert not own.changed and not own.incomplete


def test_half_published_sources_are_never_taken_and_repair_cleans_up(tmp_path: Path, server) -> None:
    a = open_library(machine(tmp_path / "a", server, "half"))
    ingest_paths(a, [write_docs(tmp_path / "docs")])
    b = open_library(machine(tmp_path / "b", server, "half"))
    sync_from_chroma(b)
    assert_same_library(a, b)
    publisher = a.publisher
    assert publisher is not None
    talks = a.catalog.source("talks")

    def copy_of_talks(new_id: str) -> tuple[Source, list[Any], list[list[float]]]:
        source = Source(meta=replace(talks.meta, id=new_id), text=talks.text, content_hash=f"{new_id}-hash",
                        pages=talks.pages)
        chunks = [replace(c, source_id=new_id, chunk_id=c.chunk_id.replace("talks", new_id))
                  for c in a.catalog.chunks("talks")]
        return source, chunks, a.embeddings.embed_documents([c.embed_text for c in chunks])

    # 1. chunk vectors written, then killed before the source record: nothing to take.
    ghost, ghost_chunks, ghost_vectors = copy_of_talks("ghost")
    a.vectors.upsert(ghost_chunks, ghost_vectors, [ghost.meta] * len(ghost_chunks))
    # 2. a source record whose chunk vectors are not all there (lost, or a concurrent writer's repair).
    partial, partial_chunks, partial_vectors = copy_of_talks("partial")
    assert len(partial_chunks) >= 2
    a.vectors.upsert(partial_chunks[1:], partial_vectors[1:], [partial.meta] * (len(partial_chunks) - 1))
    publisher.publish([(partial, "/elsewhere/partial.md", partial_chunks)])
    # 3. a new version of a source B already has, published with one chunk vector missing.
    chips_v2 = Source(meta=a.catalog.source("chips").meta, text=CHIPS_V2, content_hash="chips-v2")
    chips_v2_chunks = [replace(c, chunk_id=c.chunk_id + "-v2", text=CHIPS_V2[c.start : c.end]) for c in
                       a.catalog.chunks("chips")]
    chips_v2_chunks.append(replace(chips_v2_chunks[0], chunk_id="chips:00099:v2", position=99))
    a.vectors.upsert(chips_v2_chunks[:-1], a.embeddings.embed_documents([c.embed_text for c in chips_v2_chunks[:-1]]),
                     [chips_v2.meta] * (len(chips_v2_chunks) - 1))
    publisher.publish([(chips_v2, "/elsewhere/chips.md", chips_v2_chunks)])

    report = sync_from_chroma(b)
    assert report.incomplete == ["chips", "partial"] and not report.changed
    assert sorted(b.catalog.hashes()) == ["chips", "talks"]
    assert_same_library(a, b)  # B keeps the version of chips it had
    assert b.catalog.state(SYNCED_STAMP) == report.stamp

    # The writer's repair: orphan vectors go, broken records are re-published from its catalog or deleted.
    a.repair()
    assert a.vectors.ids() == {c.chunk_id for c in a.catalog.chunks()}
    assert sorted(publisher.remote.heads()) == ["chips", "talks"]
    healed = sync_from_chroma(b)
    assert not healed.incomplete and not healed.changed
    assert_same_library(a, b)


def test_a_catalog_from_before_publishing_is_published_once_not_lost(tmp_path: Path, server) -> None:
    a = open_library(machine(tmp_path / "a", server, "backfill"))
    ingest_paths(a, [write_docs(tmp_path / "docs")])
    assert a.publisher is not None
    # What an older policychat left behind: vectors on the server, no source records, no marker.
    a.publisher.unpublish(sorted(a.catalog.hashes()))
    db = sqlite3.connect(a.catalog.path)
    with db:
        db.execute("DELETE FROM state WHERE key IN (?, ?)", (BACKFILLED, SYNCED_STAMP))
    db.close()
    b = open_library(machine(tmp_path / "b", server, "backfill"))
    assert sync_from_chroma(b).added == []

    report = sync_from_chroma(a)
    assert report.backfilled == ["chips", "talks"] and not report.removed
    assert sorted(sync_from_chroma(b).added) == ["chips", "talks"]
    assert_same_library(a, b)


def test_embedded_mode_has_no_replica_sync(make_library) -> None:
    library = make_library()
    assert library.publisher is None
    with pytest.raises(ConfigError, match="Chroma server"):
        sync_from_chroma(library)


def test_a_paused_server_ends_a_publish_a_sync_and_an_ingest_clearly(tmp_path: Path, server) -> None:
    """A server that stops answering after the libraries opened (SIGSTOP: connections still accepted)."""
    docs = write_docs(tmp_path / "docs")
    timeout = 5.0  # one wait per call; 15 s by default (tests/ingest/test_frozen_server.py)
    a = open_library(machine(tmp_path / "a", server, "paused", chroma_timeout_seconds=timeout))
    ingest_paths(a, [docs])
    b = open_library(machine(tmp_path / "b", server, "paused", chroma_timeout_seconds=timeout))
    assert sorted(sync_from_chroma(b).added) == ["chips", "talks"]
    assert a.publisher is not None
    talks = (a.catalog.source("talks"), str(docs / "talks.md"), a.catalog.chunks("talks"))
    where = f"Chroma server at 127.0.0.1:{server.port}"

    def ends_clearly(call: Any) -> None:
        started = time.monotonic()
        with pytest.raises(IndexUnavailableError) as caught:
            call()
        seconds = time.monotonic() - started
        assert where in str(caught.value) and f"no answer within {timeout:g} s" in str(caught.value)
        assert seconds < timeout + 4, f"took {seconds:.1f} s: {caught.value}"

    (docs / "grid.md").write_text(GRID, encoding="utf-8")
    server.pause()
    try:
        ends_clearly(lambda: a.publisher.publish([talks]))  # type: ignore[union-attr]
        ends_clearly(lambda: sync_from_chroma(b, full=True))
        ends_clearly(lambda: ingest_paths(a, [docs]))  # its repair syncs first
    finally:
        server.resume()
    assert sorted(ingest_paths(a, [docs]).added) == ["grid"]
    assert sync_from_chroma(b).added == ["grid"]
    assert_same_library(a, b)


def test_a_server_mode_library_without_its_publisher_reads_but_refuses_writes(tmp_path: Path, server) -> None:
    a = open_library(machine(tmp_path / "a", server, "nopublisher"))
    ingest_paths(a, [write_docs(tmp_path / "docs")])
    bare = Library(machine(tmp_path / "a", server, "nopublisher"))
    assert bare.publisher is None and sorted(bare.catalog.hashes()) == ["chips", "talks"]
    with pytest.raises(ConfigError, match="open_library"):
        bare.remove_source("talks")
    with pytest.raises(ConfigError, match="open_library"):
        sync_from_chroma(bare)
    assert sorted(a.publisher.remote.heads()) == ["chips", "talks"]  # type: ignore[union-attr]


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    wait_until(predicate, timeout, interval=0.2)


def test_api_replica_serves_the_writers_library_without_ingesting(tmp_path: Path, server) -> None:
    docs = write_docs(tmp_path / "docs")
    a = open_library(machine(tmp_path / "a", server, "api"))
    ingest_paths(a, [docs])
    replica_settings = machine(tmp_path / "replica", server, "api", replica_sync_seconds=0.3)
    with background_server(replica_settings) as url:
        ready = httpx.get(f"{url}/readyz", timeout=120)
        assert ready.status_code == 200 and ready.json()["sources"] == 2
        answer = httpx.post(f"{url}/v1/answer", json={"question": "What does the Vellmar protocol cover?"},
                            timeout=120).json()
        assert not answer["abstained"] and answer["citations"][0]["source_id"] == "talks"

        # A new source on the writer reaches the running replica within a few sync intervals.
        (docs / "grid.md").write_text(GRID, encoding="utf-8")
        ingest_paths(a, [docs])
        wait_for(lambda: "grid" in {s["id"] for s in httpx.get(f"{url}/v1/sources", timeout=30).json()})
        grid = httpx.post(f"{url}/v1/answer", json={"question": "What must data centres above 100 megawatts report?"},
                          timeout=120).json()
        assert not grid["abstained"] and grid["citations"][0]["source_id"] == "grid"

        # In the background, the replica pools the sentence vectors it did not receive (a cache for answering).
        replica = open_library(replica_settings)
        n_chunks = len(replica.catalog.chunks())
        wait_for(lambda: replica.sentence_vectors.count() == n_chunks)


def test_sync_command(tmp_path: Path, server, cli: Callable[..., Any]) -> None:
    a = open_library(machine(tmp_path / "a", server, "cli"))
    ingest_paths(a, [write_docs(tmp_path / "docs")])
    env = {"POLICYCHAT_CHROMA_HOST": "127.0.0.1", "POLICYCHAT_CHROMA_PORT": str(server.port),
           "POLICYCHAT_COLLECTION": "cli"}
    run = cli("sync", data_dir=tmp_path / "b", cwd=tmp_path, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "added 2 (chips, talks)" in run.stdout
    again = cli("sync", data_dir=tmp_path / "b", cwd=tmp_path, env=env, timeout=120)
    assert again.returncode == 0 and "up to date" in again.stdout
