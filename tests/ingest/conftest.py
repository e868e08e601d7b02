"""A real `chroma run` server for the server-mode tests (tests/ingest/test_chroma_server.py, test_replicas.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from testsupport import free_port

CHROMA = Path(sys.executable).with_name("chroma")


class ChromaServer:
    """`chroma run --path DIR` as a subprocess that can be stopped and started again."""

    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("chroma run did not come up within 60 s")

    def pause(self) -> None:
        """SIGSTOP: the server keeps its socket (connections are accepted) but answers nothing."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def started_chroma_server(path: Path) -> ChromaServer:
    """Start a server on ``path`` and a free port; skips when the chroma CLI is not installed."""
    if not CHROMA.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed")
    server = ChromaServer(path, free_port())
    server.start()
    return server


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
