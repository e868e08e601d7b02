"""Shared fixtures: an isolated environment, the shared corpus, and one ingest of it per session.

Ingesting the whole corpus takes a minute or more on a small machine, so it
happens once (``ingested``); tests that change data write their own small files
into their own data directories (``make_library``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from testsupport import QUIET_ENV, free_port

from policychat import settings as settings_module
from policychat.settings import Settings

if TYPE_CHECKING:  # imported lazily below: collection stays fast
    from ingest.library import Library
    from ingest.pipeline import IngestReport

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = (REPO_ROOT / ".." / "shared" / "corpus").resolve()



def _policychat_vars() -> list[str]:
    return [name for name in os.environ if name.startswith("POLICYCHAT_")]


@pytest.fixture(scope="session", autouse=True)
def _session_env() -> Iterator[None]:
    """For session fixtures too: no POLICYCHAT_* leaking in, and no network look-ups."""
    with pytest.MonkeyPatch.context() as mp:
        for name in _policychat_vars():
            mp.delenv(name)
        for name, value in QUIET_ENV.items():
            mp.setenv(name, value)
        settings_module.quiet_network_clients()
        yield


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without POLICYCHAT_* variables and with a fresh settings cache."""
    for name in _policychat_vars():
        monkeypatch.delenv(name)
    for name, value in QUIET_ENV.items():
        monkeypatch.setenv(name, value)
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


def make_settings(data_dir: Path, sources: Path | None = None) -> Settings:
    """Settings for a test data directory, ignoring any ``.env`` file in the working directory."""
    return Settings(data_dir=data_dir, sources=sources, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus (../shared/corpus beside the repository); skips when it is absent."""
    if not (SHARED_CORPUS / "catalog.csv").is_file():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS}")
    return SHARED_CORPUS


@dataclass
class IngestedCorpus:
    """The result of ingesting the shared corpus once: its settings, library and report."""

    settings: Settings
    library: Library
    report: IngestReport


@pytest.fixture(scope="session")
def ingested(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> IngestedCorpus:
    """The whole shared corpus ingested ONCE per session (real Chroma, packaged model)."""
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    settings = make_settings(tmp_path_factory.mktemp("corpus-data"), sources=corpus_dir)
    library = Library(settings)
    report = ingest_paths(library, [corpus_dir])
    return IngestedCorpus(settings=settings, library=library, report=report)


@pytest.fixture(scope="session")
def open_library() -> Callable[[Path], Library]:
    """Factory for any scope: ``open_library(data_dir)`` is a :class:`Library` on that directory."""
    from ingest.library import Library

    def open_(data_dir: Path) -> Library:
        return Library(make_settings(data_dir))

    return open_


@pytest.fixture
def make_library(tmp_path: Path, open_library: Callable[[Path], Library]) -> Callable[..., Library]:
    """Factory: a :class:`Library` on a fresh data dir under ``tmp_path`` (or the dir given)."""

    def make(data_dir: Path | None = None) -> Library:
        return open_library(data_dir or tmp_path / "data")

    return make


def run_cli(
    *args: str, data_dir: Path, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m assistant.cli ARGS`` in a subprocess against ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHAT_")}
    env.update(QUIET_ENV)
    env["POLICYCHAT_DATA_DIR"] = str(data_dir)
    env["COLUMNS"] = "250"  # rich wraps messages at 80 columns when not on a terminal
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=cwd or data_dir.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The ``policychat`` command as a subprocess: ``cli("sources", "--json", data_dir=...)``."""
    return run_cli


@pytest.fixture(scope="session")
def llama_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the packaged SmolLM2 (alias ``smollm2``) on a loopback port; its /v1 URL.

    Started once per session for every test that needs an OpenAI-compatible endpoint; skips when the
    ``local-llm`` extra is not installed.
    """
    import httpx

    for module in ("llama_cpp", "sse_starlette", "starlette_context", "uvicorn", "fastapi", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama_cpp.server needs {module} (pip install 'policychat[local-llm]')")
    from assistant.generators.local import packaged_model_path

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_model_path()),
             "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer within 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
