"""A real `chroma run` server for the server-mode tests (tests/ingest/test_chroma_server.py, test_replicas.py).

The server process itself is ``testsupport.ChromaServer``; the fixtures skip (or fail,
when ``POLICYCHAT_REQUIRE`` includes ``chroma``) without the chroma CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testsupport import ChromaServer, started_chroma_server

__all__ = ["ChromaServer", "started_chroma_server"]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A fresh Chroma server for one test."""
    server = started_chroma_server(tmp_path / "chroma-server")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One Chroma server for a whole test module (tests keep apart by collection name)."""
    server = started_chroma_server(tmp_path_factory.mktemp("chroma") / "chroma-server")
    yield server
    server.stop()
