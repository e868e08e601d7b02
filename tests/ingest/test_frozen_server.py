"""A frozen Chroma server (it accepts connections but never answers) ends every server-mode call clearly.

The "server" is a real listening socket that never accepts a request off the
kernel's backlog, so every connection succeeds and every read waits: without
the timeouts of :mod:`ingest.remote`, publishing, syncing and opening a
server-mode library would hang forever. Each must instead end within
one wait of the read timeout, with an :class:`IndexUnavailableError` naming the server.
The timeout is set to :data:`TIMEOUT_S` here to keep the suite short; with the default
``POLICYCHAT_CHROMA_TIMEOUT_SECONDS`` (15 s) one wait ends such a call in under 20 s.
The same with a real, paused ``chroma run`` server (after the library opened) is in
tests/ingest/test_replicas.py.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.library import Library
from ingest.models import Chunk, PageSpan, Source, SourceMeta
from ingest.pipeline import ingest_paths
from ingest.publish import Publisher, open_library
from ingest.sync import sync_from_chroma
from policychat.errors import IndexUnavailableError
from policychat.settings import Settings

TIMEOUT_S = 3.0
# One wait of the timeout plus the call's own work: a second wait (a retry, a read after a
# timed-out connect) would overrun it.
LIMIT_S = TIMEOUT_S + 4.0


@pytest.fixture
def frozen_port() -> Iterator[int]:
    """The port of a server that accepts connections (the kernel's backlog) and never replies."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        yield int(silent.getsockname()[1])


def server_settings(data_dir: Path, port: int) -> Settings:
    return Settings(data_dir=data_dir, sources=None, chroma_host="127.0.0.1", chroma_port=port,  # type: ignore[call-arg]
                    chroma_timeout_seconds=TIMEOUT_S, _env_file=None)


def assert_ends_clearly(call: Callable[[], Any], port: int) -> None:
    """``call`` raises IndexUnavailableError naming the frozen server and saying it did not answer, in time."""
    started = time.monotonic()
    with pytest.raises(IndexUnavailableError) as caught:
        call()
    seconds = time.monotonic() - started
    message = str(caught.value)
    assert f"Chroma server at 127.0.0.1:{port}" in message, message
    assert f"no answer within {TIMEOUT_S:g} s" in message, message
    assert seconds < LIMIT_S, f"the call took {seconds:.1f} s: {message}"


def a_record() -> tuple[Source, str, list[Chunk]]:
    text = "The Geneva talks on AI risk took place on 14 May 2024."
    meta = SourceMeta(id="talks", title="Geneva talks")
    chunk = Chunk("talks:00000", "talks", 0, text, 0, len(text), None, "", text, ())
    return Source(meta=meta, text=text, content_hash="h", pages=[PageSpan(1, 0, len(text))]), "/docs/talks.md", [chunk]


def test_a_frozen_server_ends_a_publish(tmp_path: Path, frozen_port: int) -> None:
    publisher = Publisher(server_settings(tmp_path / "data", frozen_port))
    assert_ends_clearly(lambda: publisher.publish([a_record()]), frozen_port)


def test_a_frozen_server_ends_a_sync(tmp_path: Path, frozen_port: int) -> None:
    # What `policychat sync` does: open the library (its vector index connects first), then sync.
    settings = server_settings(tmp_path / "data", frozen_port)
    assert_ends_clearly(lambda: sync_from_chroma(open_library(settings)), frozen_port)
    # The sync's own calls on the server: a library that opened (an embedded index here) and
    # syncs through a publisher whose server is frozen.
    embedded = Settings(data_dir=tmp_path / "local", sources=None, _env_file=None)  # type: ignore[call-arg]
    library = Library(embedded, publisher=Publisher(settings))
    assert_ends_clearly(lambda: sync_from_chroma(library), frozen_port)


def test_a_frozen_server_ends_a_server_mode_ingest(tmp_path: Path, frozen_port: int) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "talks.md").write_text("# Talks\n\nThe Geneva talks on AI risk took place in May 2024.\n", encoding="utf-8")
    settings = server_settings(tmp_path / "data", frozen_port)
    assert_ends_clearly(lambda: ingest_paths(open_library(settings), [docs]), frozen_port)


def test_a_refused_connection_names_the_server(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = int(closed.getsockname()[1])  # bound, never listening: connections are refused
        with pytest.raises(IndexUnavailableError, match=f"Chroma server at 127.0.0.1:{port} is unavailable: "
                                                        "connection refused"):
            Publisher(server_settings(tmp_path / "data", port)).publish([a_record()])


def test_the_default_timeout_ends_a_frozen_call_in_under_20_seconds() -> None:
    default = Settings(_env_file=None).store.chroma_timeout_seconds  # type: ignore[call-arg]
    assert default == 15.0 and default + (LIMIT_S - TIMEOUT_S) < 20.0
