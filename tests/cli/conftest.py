"""A library made by `policychat ingest` for the command-line tests, so the test process never loads the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from testsupport import MINI_DOCS, run_cli, write_docs


@pytest.fixture(scope="session")
def cli_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of :data:`testsupport.MINI_DOCS` ingested by the CLI once per session (read-only)."""
    root = tmp_path_factory.mktemp("cli-library")
    docs = write_docs(root / "docs", MINI_DOCS)
    done = run_cli("ingest", str(docs), data_dir=root / "data")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("] added ") == len(MINI_DOCS), done.stdout
    return root / "data"
