"""Live servers for the API tests: real uvicorn on loopback ports, real libraries.

``corpus_url`` serves the session's ingested shared corpus (read-only here);
``small_server`` starts servers on fresh data dirs holding a few tiny
fixture documents, for tests that upload or delete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from testsupport import make_settings, write_docs

from assistant.serving.server import background_server
from policychat.settings import Settings


def write_tiny_docs(folder: Path) -> Path:
    """Write the tiny fixture documents into ``folder``; return it."""
    return write_docs(folder)


@pytest.fixture(scope="module")
def corpus_url(ingested: Any) -> Iterator[str]:
    """Base URL of a server on the shared ingested corpus (one per test module)."""
    with background_server(ingested.settings) as url:
        yield url


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., tuple[str, Settings]]]:
    """Factory: start a server on a fresh data dir with the tiny docs ingested; returns (url, settings).

    Keyword arguments become settings (``api_key``, ``max_upload_mb``, ...).
    """
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    with ExitStack() as stack:

        def start(**overrides: Any) -> tuple[str, Settings]:
            root = tmp_path_factory.mktemp("small")
            settings: Settings = make_settings(root / "data", **overrides)
            report = ingest_paths(Library(settings), [write_tiny_docs(root / "docs")])
            assert not report.errors, report.errors
            return stack.enter_context(background_server(settings)), settings

        yield start


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """An httpx client with a generous timeout (the first answer loads the models)."""
    with httpx.Client(timeout=120) as c:
        yield c
