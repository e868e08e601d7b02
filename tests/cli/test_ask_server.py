"""`policychat ask` through a running `policychat serve`, the in-process fallback, and a blank question."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from testsupport import ServeProcess, child_env, free_port

pytestmark = pytest.mark.process  # `policychat serve` and the CLI in subprocesses

KEY = "cli-test-key"
QUESTION = "What is the civil penalty for a developer that fails to report under the Telvar Model Reporting Rule?"
PROBE = """\
import runpy, sys
try:
    runpy.run_module("assistant.cli", run_name="__main__")
finally:
    print("\\nmodel loaded here:", "sentence_transformers" in sys.modules, file=sys.stderr)
"""
"""``python -m assistant.cli`` that says at exit whether the process imported sentence-transformers."""


def ask(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``policychat ask ARGS`` on ``data_dir`` in a subprocess that reports whether it loaded the model."""
    return subprocess.run(
        [sys.executable, "-c", PROBE, "ask", *args], cwd=data_dir.parent, capture_output=True, text=True,
        env=child_env(POLICYCHAT_DATA_DIR=str(data_dir), COLUMNS="200", **env), timeout=600, check=False,
    )


def answers_posted(server: ServeProcess) -> int:
    """How many ``POST /v1/answer`` requests the server has logged."""
    return server.log_path.read_text(errors="replace").count('"POST /v1/answer HTTP/1.1" 200')


@pytest.fixture(scope="module")
def server(cli_library: Path, serve_process: Callable[..., ServeProcess]) -> ServeProcess:
    """`policychat serve` on the CLI-made library, requiring the API key for reads too."""
    started = serve_process(cli_library, POLICYCHAT_API_KEY=KEY, POLICYCHAT_API_KEY_READS="true")
    started.start()
    return started


@pytest.fixture(scope="module")
def in_process(cli_library: Path) -> subprocess.CompletedProcess[str]:
    """The JSON answer of `ask` with nothing listening at --server: answered in the CLI's own process."""
    return ask(QUESTION, "--json", "--server", f"http://127.0.0.1:{free_port()}", data_dir=cli_library)


def test_ask_answers_through_the_server_without_loading_the_model(
    server: ServeProcess, in_process: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    # The CLI's own library is empty: only the server's library can answer with citations.
    empty = tmp_path / "empty-data"
    before = answers_posted(server)
    text = ask(QUESTION, "--server", server.url, data_dir=empty, POLICYCHAT_API_KEY=KEY)
    assert text.returncode == 0, text.stderr
    assert "model loaded here: False" in text.stderr
    assert f"answered by the policychat server at {server.url}" in text.stderr
    assert "civil penalty of up to $250,000 per day. [1]" in " ".join(text.stdout.split())
    assert "[1] Telvar Model Reporting Rule — Bureau of Compute Security, 2024-05-14" in text.stdout
    assert "extractive ·" in text.stdout

    # The default address is the configured one; the JSON matches the in-process answer.
    port = str(server.port)
    as_json = ask(QUESTION, "--json", data_dir=empty, POLICYCHAT_API_KEY=KEY, POLICYCHAT_PORT=port)
    assert as_json.returncode == 0, as_json.stderr
    assert "model loaded here: False" in as_json.stderr
    assert answers_posted(server) == before + 2
    assert server.process is not None and server.process.poll() is None, server.log_tail()
    assert in_process.returncode == 0, in_process.stderr
    remote, local = json.loads(as_json.stdout), json.loads(in_process.stdout)
    assert remote["citations"], remote
    assert remote["answer"] == local["answer"]
    assert remote["citations"] == local["citations"]


def test_ask_without_a_server_answers_in_process_with_citations(
    in_process: subprocess.CompletedProcess[str],
) -> None:
    assert in_process.returncode == 0, in_process.stderr
    assert "model loaded here: True" in in_process.stderr
    assert "no policychat server at http://127.0.0.1:" in in_process.stderr
    answer = json.loads(in_process.stdout)
    assert answer["citations"] and not answer["abstained"], answer
    assert {c["source_id"] for c in answer["citations"]} == {"telvar-model-reporting-rule"}
    assert all(f"[{c['marker']}]" in answer["answer"] for c in answer["citations"])


def test_ask_reports_a_refusal_of_the_server_instead_of_falling_back(server: ServeProcess, tmp_path: Path) -> None:
    refused = ask(QUESTION, "--server", server.url, data_dir=tmp_path / "data")  # no key, reads need one
    assert refused.returncode == 1
    assert "refused the question (401)" in refused.stderr and "POLICYCHAT_API_KEY" in refused.stderr
    assert "model loaded here: False" in refused.stderr


def test_no_server_answers_in_process_even_with_a_server_up(server: ServeProcess, tmp_path: Path) -> None:
    before = answers_posted(server)
    done = ask(QUESTION, "--no-server", data_dir=tmp_path / "empty-data", POLICYCHAT_PORT=str(server.port),
               POLICYCHAT_API_KEY=KEY)
    assert done.returncode == 0, done.stderr
    assert "model loaded here: True" in done.stderr
    assert "Searched 0 sources" in " ".join(done.stdout.split())  # its own, empty library answered
    assert answers_posted(server) == before


@pytest.mark.parametrize("question", ["", "   ", "\t\n"])
def test_a_blank_question_exits_non_zero_naming_the_argument(
    question: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    done = cli("ask", question, data_dir=tmp_path / "data")
    assert done.returncode == 2
    assert "Invalid value for 'question'" in done.stderr
    assert "empty or only whitespace" in done.stderr
