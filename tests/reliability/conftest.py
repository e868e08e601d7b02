"""Shared helpers for the reliability tests: tiny libraries, live servers, fault injection, consistency checks.

Everything here is real: ``policychat serve`` subprocesses or in-process uvicorn
servers, ``chroma run`` servers, tmpfs mounts. Helpers are handed to the tests
as fixtures (test modules cannot import a ``conftest`` unambiguously):

* ``tiny_docs`` / ``write_docs`` / ``reliability_settings``: small fixture documents and settings;
* ``tiny_server``: an in-process server on a fresh library of the tiny documents;
* ``serve_process`` (tests/conftest.py): ``policychat serve`` subprocesses that can be SIGKILLed and restarted;
* ``chroma_process``: ``chroma run`` servers that can be stopped, paused (SIGSTOP) and started again;
* ``tmpfs``: a size-limited tmpfs mount (needs root, as in CI; skips otherwise unless ``root`` is required);
* ``index_state``: what a data directory holds, read in a fresh process, with :meth:`IndexState.problems`
  listing every inconsistency between the catalog, the Chroma vectors and the BM25 index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from testsupport import TINY_DOCS as BASE_DOCS
from testsupport import ChromaServer, ServeProcess, child_env, chroma_cli, make_settings, require_root
from testsupport import free_port as free_port_number
from testsupport import write_docs as write_doc_files

from assistant.serving.server import background_server
from policychat.settings import Settings

ChromaProcess = ChromaServer
"""The ``chroma run`` server of ``testsupport`` (the name these tests knew it by)."""
__all__ = ["ChromaProcess", "ServeProcess"]

TINY_DOCS = {
    **BASE_DOCS,
    "brimble-protocol.md": (
        "# The Brimble Protocol\n\n"
        "The Brimble Protocol caps training runs at one exaflop per day for laboratories in the Brimble "
        "federation. Laboratories must notify the Brimble Compute Office before any run that exceeds half of the "
        "cap, and the office publishes a quarterly list of notified runs.\n"
    ),
}


def _write_docs(folder: Path, docs: dict[str, str] | None = None) -> Path:
    return write_doc_files(folder, TINY_DOCS if docs is None else docs)


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """``free_port()``: a loopback TCP port nothing listens on right now."""
    return free_port_number


@pytest.fixture(scope="session")
def tiny_docs() -> dict[str, str]:
    """The tiny fixture documents: {file name: text}."""
    return dict(TINY_DOCS)


@pytest.fixture(scope="session")
def write_docs() -> Callable[..., Path]:
    """``write_docs(folder, docs=None)``: write documents (default: the tiny ones) into ``folder``."""
    return _write_docs


@pytest.fixture(scope="session")
def reliability_settings() -> Callable[..., Settings]:
    """``reliability_settings(data_dir, **overrides)``: settings ignoring ``.env`` and the default sources."""
    settings: Callable[..., Settings] = make_settings
    return settings


@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., tuple[str, Settings]]]:
    """Factory: an in-process server on a fresh library holding the tiny documents; returns (url, settings).

    Keyword arguments become settings (``api_key``, ``max_upload_mb``, ...). Servers stop with the module.
    """
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    with ExitStack() as stack:

        def start(**overrides: Any) -> tuple[str, Settings]:
            root = tmp_path_factory.mktemp("tiny")
            settings = make_settings(root / "data", **overrides)
            report = ingest_paths(Library(settings), [_write_docs(root / "docs")])
            assert not report.errors, report.errors
            return stack.enter_context(background_server(settings)), settings

        yield start


# --------------------------------------------------------------------------- chroma run servers


@pytest.fixture(scope="module")
def chroma_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], ChromaProcess]]:
    """Factory: a started :class:`ChromaProcess` on a fresh path and free port (stopped at module end)."""
    chroma_cli()  # skips (or fails, when chroma is required) without the CLI
    made: list[ChromaProcess] = []

    def make() -> ChromaProcess:
        server = ChromaProcess(tmp_path_factory.mktemp("chroma") / "server", free_port_number())
        made.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in made:
            server.stop()


# --------------------------------------------------------------------------- tmpfs


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Factory ``tmpfs(size_bytes)``: a fresh tmpfs of that size, unmounted after the test.

    Needs root (as CI runs): skips otherwise, or fails when ``POLICYCHAT_REQUIRE`` includes ``root``.
    As root, a mount that still fails is a failure.
    """
    require_root("mounting a tmpfs needs root")
    mounts: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"tmpfs-{len(mounts)}"
        point.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"cannot mount a tmpfs as root: {result.stderr.strip()}"
        mounts.append(point)
        return point

    try:
        yield mount
    finally:
        for point in reversed(mounts):
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged write can still use on the file system holding ``path``."""
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


@pytest.fixture(scope="session")
def fill_disk() -> Callable[[Path, int], Path]:
    """``fill_disk(mount, leave_bytes)``: write ``mount/filler`` until only about ``leave_bytes`` stay free."""

    def fill(mount: Path, leave: int) -> Path:
        filler = mount / "filler"
        with filler.open("ab") as out:
            while (room := free_bytes(mount) - leave) > 0:
                try:
                    out.write(b"\0" * min(room, 1 << 20))
                    out.flush()
                except OSError:
                    break
        return filler

    return fill


# --------------------------------------------------------------------------- index consistency

_STATE_SCRIPT = r"""
import json, sys
from pathlib import Path
from policychat.settings import Settings
from ingest.keywords import KeywordIndex
from ingest.library import Library

data_dir = Path(sys.argv[1])
library = Library(Settings(data_dir=data_dir, sources=None, _env_file=None))
chunks = library.catalog.chunks()
texts = {r.meta.id: library.catalog.source(r.meta.id).text for r in library.catalog.records()}
keyword = KeywordIndex.load(data_dir / "bm25")
print(json.dumps({
    "generation": library.catalog.generation(),
    "texts": texts,
    "chunks": [[c.chunk_id, c.source_id, c.start, c.end, c.text] for c in chunks],
    "vector_ids": sorted(library.vectors.ids()),
    "keyword_ids": None if keyword is None else list(keyword.chunk_ids),
    "keyword_generation": None if keyword is None else keyword.generation,
}))
"""


@dataclass(frozen=True)
class IndexState:
    """What a data directory holds: catalog (sources, chunks), Chroma vector ids, the saved BM25 index."""

    generation: int
    texts: dict[str, str]
    chunks: list[tuple[str, str, int, int, str]]  # chunk id, source id, start, end, text
    vector_ids: list[str]
    keyword_ids: list[str] | None
    keyword_generation: int | None
    chunk_ids_by_source: dict[str, frozenset[str]] = field(init=False)

    def __post_init__(self) -> None:
        by_source: dict[str, set[str]] = {}
        for chunk_id, source_id, *_ in self.chunks:
            by_source.setdefault(source_id, set()).add(chunk_id)
        object.__setattr__(self, "chunk_ids_by_source", {k: frozenset(v) for k, v in by_source.items()})

    @property
    def catalog_ids(self) -> set[str]:
        """Every chunk id in the catalog."""
        return {c[0] for c in self.chunks}

    def summary(self) -> dict[str, int]:
        """{source id: chunk count}."""
        return {sid: len(self.chunk_ids_by_source.get(sid, ())) for sid in self.texts}

    def problems(self) -> list[str]:
        """Every inconsistency found; empty when catalog, vectors and BM25 agree exactly."""
        found: list[str] = []
        catalog = self.catalog_ids
        for name, ids in (("catalog", [c[0] for c in self.chunks]), ("vector", self.vector_ids),
                          ("BM25", self.keyword_ids or [])):
            dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
            if dupes:
                found.append(f"duplicate {name} ids: {dupes[:5]}")
        vectors = set(self.vector_ids)
        if vectors - catalog:
            found.append(f"{len(vectors - catalog)} orphan vectors, e.g. {sorted(vectors - catalog)[:3]}")
        if catalog - vectors:
            found.append(f"{len(catalog - vectors)} chunks without a vector, e.g. {sorted(catalog - vectors)[:3]}")
        if self.keyword_ids is None:
            found.append("no saved BM25 index")
        else:
            if self.keyword_generation != self.generation:
                found.append(f"BM25 index is of generation {self.keyword_generation}, catalog is at {self.generation}")
            if set(self.keyword_ids) != catalog:
                found.append(f"BM25 ids differ from the catalog: {len(set(self.keyword_ids) ^ catalog)} ids")
        for chunk_id, source_id, start, end, text in self.chunks:
            if source_id not in self.texts:
                found.append(f"chunk {chunk_id} belongs to unknown source {source_id}")
            elif self.texts[source_id][start:end] != text:
                found.append(f"chunk {chunk_id} text is not at [{start}:{end}] of its source")
        return found


def read_index_state(data_dir: Path, timeout: float = 120) -> IndexState:
    """Open the library in a fresh process (no cached Chroma client) and read all three stores."""
    result = subprocess.run([sys.executable, "-c", _STATE_SCRIPT, str(data_dir)], capture_output=True, text=True,
                            env=child_env(), timeout=timeout, check=False)
    assert result.returncode == 0, f"reading the index state failed:\n{result.stderr[-3000:]}"
    raw = json.loads(result.stdout.strip().splitlines()[-1])
    raw["chunks"] = [tuple(c) for c in raw["chunks"]]
    return IndexState(**raw)


@pytest.fixture(scope="session")
def index_state() -> Callable[[Path], IndexState]:
    """``index_state(data_dir)``: the :class:`IndexState` of a data directory no process is writing."""
    return read_index_state
