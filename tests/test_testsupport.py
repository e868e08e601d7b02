"""The test harness itself: tier markers, required pieces of the environment, polling, the raw HTTP client.

These run in the fast tier: a marker table that silently stopped matching, or a
``POLICYCHAT_REQUIRE`` that no longer turned skips into failures, would let CI pass
without running what it should.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from testsupport import (
    REQUIREMENTS,
    assert_markers_match,
    child_env,
    missing_requirement,
    parse_requirements,
    send_streaming_request,
    tier_markers,
    wait_until,
)

TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize(("fixtures", "where", "expected"), [
    ({"tmp_path", "make_library"}, "ingest/test_incremental.py", []),
    ({"ingested", "corpus_dir", "tmp_path_factory"}, "assistant/test_answering.py", ["corpus"]),
    ({"corpus_url", "ingested", "corpus_dir"}, "api/test_answers.py", ["corpus"]),
    ({"local_generator", "local_llm"}, "assistant/test_llm_generators.py", ["llm"]),
    ({"llm_url", "llama_server_url", "local_llm"}, "api/test_streaming.py", ["llm", "process"]),
    ({"cli", "tmp_path"}, "ingest/test_ingest_cli.py", ["process"]),
    ({"chroma_server"}, "ingest/test_chroma_server.py", ["process"]),
    ({"page", "browser", "corpus_ui", "ingested", "corpus_dir"}, "ui/test_chat_ui.py", ["corpus", "browser"]),
    ({"tmp_path"}, "reliability/test_faults.py", ["reliability"]),
    ({"tmp_path"}, "ingest/test_crash.py", ["reliability"]),
    ({"tmp_path"}, "ingest/test_scaling.py", ["bench"]),
    ({"mini_library", "tmp_path"}, "bench/test_bench_threads.py", ["bench"]),
    ({"tmp_path"}, "ingest/test_crash_helpers.py", []),  # a module path matches whole, not as a prefix
])
def test_tier_markers_come_from_fixtures_and_paths(fixtures: set[str], where: str, expected: list[str]) -> None:
    assert tier_markers(fixtures, where) == expected


def test_every_tier_marker_is_registered() -> None:
    pyproject = (TESTS.parent / "pyproject.toml").read_text(encoding="utf-8")
    for marker in ("corpus", "llm", "process", "browser", "reliability", "bench"):
        assert f'"{marker}: ' in pyproject, marker


def test_requirement_names_are_checked() -> None:
    assert parse_requirements("") == frozenset()
    assert parse_requirements(" corpus, llm ,") == frozenset({"corpus", "llm"})
    assert parse_requirements("all") == frozenset(REQUIREMENTS)
    with pytest.raises(ValueError, match="corpsu"):
        parse_requirements("corpus,corpsu")


def test_a_requirement_skip_names_what_is_missing() -> None:
    with pytest.raises(pytest.skip.Exception) as skipped:
        from testsupport import require_or_skip

        require_or_skip("chroma", "the chroma CLI is not installed")
    reason = str(skipped.value)
    assert reason == "the chroma CLI is not installed [missing: chroma]"
    assert missing_requirement(reason) == "chroma"
    assert missing_requirement("skipped for another reason") is None


def test_policychat_require_turns_the_skip_into_a_failure(tmp_path: Path) -> None:
    """A pytest run of its own with the hooks of tests/conftest.py: a required piece fails, another still skips."""
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import importlib.util, sys
        sys.path[:0] = [{str(TESTS)!r}, {str(TESTS.parent)!r}]
        spec = importlib.util.spec_from_file_location("policychat_tests_conftest", {str(TESTS / "conftest.py")!r})
        hooks = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(hooks)
        pytest_configure = hooks.pytest_configure
        pytest_runtest_makereport = hooks.pytest_runtest_makereport
    """), encoding="utf-8")
    (tmp_path / "test_needs.py").write_text(textwrap.dedent("""
        from testsupport import require_or_skip

        def test_needs_chroma():
            require_or_skip("chroma", "the chroma CLI is not installed")

        def test_needs_the_corpus():
            require_or_skip("corpus", "the shared corpus is absent")

        def test_needs_nothing():
            pass
    """), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
                         env=child_env(POLICYCHAT_REQUIRE="llm,chroma", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed, 1 skipped" in run.stdout, run.stdout
    assert "FAILED test_needs.py::test_needs_chroma" in run.stdout
    assert "POLICYCHAT_REQUIRE includes 'chroma'" in run.stdout
    assert "the shared corpus is absent [missing: corpus]" in run.stdout  # not required here: still a skip


def test_wait_until_returns_the_value_or_fails_saying_what_it_waited_for() -> None:
    calls = iter([0, "", None, "ready"])
    assert wait_until(lambda: next(calls), 5, interval=0.001) == "ready"
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="not within 0.05 s: the moon to rise"):
        wait_until(lambda: False, 0.05, interval=0.01, message="the moon to rise")
    assert time.monotonic() - started < 5


@pytest.fixture
def impatient_server() -> Iterator[str]:
    """A raw server that answers 413 as soon as it has the request head, then closes with the body unread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            head = b""
            while b"\r\n\r\n" not in head:
                head += connection.recv(65536)
            connection.sendall(b"HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 22\r\n\r\n{\"detail\": \"too big\"} ")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    thread.join(timeout=10)
    listener.close()


def test_the_raw_client_reads_an_early_refusal(impatient_server: str) -> None:
    body = (b"x" * 65536 for _ in range(400))  # 25 MB the server never reads
    response = send_streaming_request(impatient_server, "POST", "/v1/sources", body=body, timeout=30,
                                      headers={"Content-Type": "text/plain"})
    assert response.status_code == 413 and response.json() == {"detail": "too big"}


def test_the_raw_client_fails_when_the_server_says_nothing() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def hang_up() -> None:
        connection, _ = listener.accept()
        connection.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        with pytest.raises(AssertionError, match="without an HTTP response"):
            send_streaming_request(f"http://127.0.0.1:{listener.getsockname()[1]}", "GET", "/", chunked=False)
    finally:
        thread.join(timeout=10)
        listener.close()


def test_markers_are_checked_literally() -> None:
    assert_markers_match("Reports are due in 30 days [1]. Fines apply [2]. Again [1].", [1, 2, 1])
    assert_markers_match("A quote with [sic] in it [1].", [1])
    with pytest.raises(AssertionError, match=r"\[2\] is not in the answer"):
        assert_markers_match("Only one [1].", [1, 2])
    with pytest.raises(AssertionError, match="no citation"):
        assert_markers_match("One [1] and a stray [3].", [1])
    with pytest.raises(AssertionError, match="numbered 1..N"):
        assert_markers_match("Gap [1] [3].", [1, 3])
    with pytest.raises(AssertionError, match="no citation markers"):
        assert_markers_match("Nothing cited.", [])
    with pytest.raises(AssertionError, match="no citation"):
        assert_markers_match("Cited [1] beside a source's own [12].", [1])
