"""Server mode: a real `chroma run` server on loopback holds the vectors; data survives a restart."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.errors import IndexUnavailableError
from assistant.models import AnswerRequest
from assistant.service import AnswerService
from assistant.settings import Settings
from ingest.library import Library
from ingest.pipeline import ingest_paths

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    if not CHROMA.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed")
    server = ChromaServer(tmp_path / "chroma-server", _free_port())
    server.start()
    yield server
    server.stop()


def test_ingest_and_answer_through_a_chroma_server_across_a_restart(tmp_path: Path, chroma_server) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "talks.md").write_text(
        "# Geneva talks\n\nThe United States and China held their first intergovernmental talks on AI risk "
        "in Geneva on 14 May 2024.\n", encoding="utf-8")
    (docs / "chips.md").write_text(
        "# Chip rule\n\nThe export rule requires a license for advanced computing chips shipped to "
        "listed destinations.\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server.port,
                        _env_file=None)  # type: ignore[call-arg]
    assert settings.uses_chroma_server
    library = Library(settings)
    report = ingest_paths(library, [docs])
    assert sorted(report.added) == ["chips", "talks"]
    assert not (tmp_path / "data" / "chroma").exists(), "server mode must not create an embedded store"

    question = AnswerRequest(question="Where were the US-China talks on AI risk held?")
    first = AnswerService(settings, library).answer(question)
    assert not first.abstained and first.citations[0].source_id == "talks"

    chroma_server.stop()
    with pytest.raises(IndexUnavailableError, match="Chroma server"):
        AnswerService(settings, Library(settings)).answer(question)

    chroma_server.start()
    reopened = Library(settings)
    assert reopened.vectors.ids() == {c.chunk_id for c in reopened.catalog.chunks()}
    again = AnswerService(settings, reopened).answer(question)
    assert again.answer == first.answer
    assert ingest_paths(reopened, [docs]).chunks_embedded == 0
