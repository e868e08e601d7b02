"""Shared fixtures and the test tiers: an isolated environment, the shared corpus, a mini library, LLM servers.

Ingesting the whole shared corpus takes a minute or more on a small machine, so it
happens once (``ingested``); the fast tier uses the four-document ``mini_library``
instead. Tests that change data write their own small files into their own data
directories (``make_library``). Helpers live in ``testsupport``; this file adds the
tier markers (``pytest_collection_modifyitems``) and turns skips for a missing
requirement into failures when ``POLICYCHAT_REQUIRE`` names it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from testsupport import (
    QUIET_ENV,
    REQUIRE_VAR,
    FakeChatEndpoint,
    ServeProcess,
    build_mini_library,
    child_env,
    free_port,
    http_ok,
    make_settings,
    missing_requirement,
    parse_requirements,
    require_corpus,
    require_or_skip,
    run_cli,
    terminate,
    tier_markers,
    wait_until,
)

from policychat import settings as settings_module
from policychat.settings import Settings

if TYPE_CHECKING:  # imported lazily below: collection stays fast
    from ingest.library import Library
    from ingest.pipeline import IngestReport

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

__all__ = ["make_settings", "run_cli"]  # kept importable from here for older callers

# --------------------------------------------------------------------------- tiers
#
# Every test is marked from the fixtures it uses and where it lives (the tables are
# testsupport.TIER_FIXTURES and TIER_PATHS), so `make test-fast` can leave out the slow and
# machine-dependent ones: `pytest -m "not (corpus or llm or process or browser or reliability or bench)"`.


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the tier markers (corpus, llm, process, browser, reliability, bench) from fixtures and paths."""
    for item in items:
        try:
            where = Path(str(item.path)).resolve().relative_to(TESTS).as_posix()
        except ValueError:
            where = ""
        for marker in tier_markers(getattr(item, "fixturenames", ()), where):
            item.add_marker(marker)


# --------------------------------------------------------------------------- no silent skips where required

_REQUIRED = pytest.StashKey[frozenset[str]]()


def pytest_configure(config: pytest.Config) -> None:
    """Read ``POLICYCHAT_REQUIRE`` once, before the fixtures below scrub every ``POLICYCHAT_*`` variable."""
    try:
        config.stash[_REQUIRED] = parse_requirements(os.environ.get(REQUIRE_VAR, ""))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from exc


TestReports = Generator[None, pytest.TestReport, pytest.TestReport]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> TestReports:
    """A skip for a missing requirement (``testsupport.require_or_skip``) fails when that requirement is required."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        what = missing_requirement(reason)
        if what is not None and what in item.config.stash.get(_REQUIRED, frozenset()):
            report.outcome = "failed"
            report.longrepr = f"{reason}\n{REQUIRE_VAR} includes {what!r}: a failure here, not a skip"
    return report


def pytest_report_header(config: pytest.Config) -> str:
    """Say which requirements turn skips into failures in this run."""
    required = sorted(config.stash.get(_REQUIRED, frozenset()))
    return f"{REQUIRE_VAR}: {','.join(required) if required else '(none: missing requirements skip)'}"


# --------------------------------------------------------------------------- environment


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


# --------------------------------------------------------------------------- libraries


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus (../shared/corpus beside the repository); skips when it is absent (fails if required)."""
    return require_corpus()


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


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The ``policychat`` command as a subprocess: ``cli("sources", "--json", data_dir=...)``."""
    return run_cli


@pytest.fixture(scope="session")
def mini_library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fast tier's library: the four small documents of ``testsupport.MINI_DOCS``, ingested once per session.

    Read-only for the tests (like ``ingested``); its settings are returned.
    """
    settings: Settings = build_mini_library(tmp_path_factory.mktemp("mini"))
    return settings


@pytest.fixture(scope="session")
def local_llm() -> Path:
    """The packaged SmolLM2 GGUF for llama-cpp-python; skips (fails, if ``llm`` is required) without the extra."""
    for module in ("llama_cpp", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            require_or_skip("llm", f"llama-cpp-python's server needs {module} (pip install 'policychat[local-llm]')")
    from assistant.generators.local import packaged_model_path

    path: Path = packaged_model_path()
    return path


@pytest.fixture(scope="session")
def llama_server_url(local_llm: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the packaged SmolLM2 (alias ``smollm2``) on a loopback port; its /v1 URL.

    Started once per session for every test that needs an OpenAI-compatible endpoint.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(local_llm),
             "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1"],
            stdout=out, stderr=subprocess.STDOUT, env=child_env(),
        )
    base_url = f"http://127.0.0.1:{port}/v1"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        return http_ok(f"{base_url}/models")

    try:
        wait_until(up, 120, interval=0.2, message=lambda: f"llama_cpp.server to answer:\n{log.read_text()[-3000:]}")
        yield base_url
    finally:
        terminate(process, timeout=20)


@pytest.fixture(scope="module")
def serve_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServeProcess]]:
    """Factory ``serve_process(data_dir, **env)``: a not-yet-started :class:`ServeProcess` (killed at module end)."""
    made: list[ServeProcess] = []

    def make(data_dir: Path, **env: str) -> ServeProcess:
        server = ServeProcess(data_dir, tmp_path_factory.mktemp("serve-logs"), env)
        made.append(server)
        return server

    try:
        yield make
    finally:
        for server in made:
            server.kill()


@pytest.fixture
def fake_endpoint() -> Iterator[FakeChatEndpoint]:
    """An OpenAI-compatible chat endpoint on loopback that replies with the texts queued in ``.replies``."""
    with FakeChatEndpoint() as endpoint:
        yield endpoint
