"""The HTTP API under hostile input: schema fuzzing, malformed and oversized requests, auth bypass attempts.

* schemathesis generates valid and invalid requests for every operation of the
  app's own OpenAPI schema and sends them over HTTP to a live server whose
  writes need an API key: once with the key (so uploads and deletes really run),
  once without (write operations must then refuse, never fail with a 5xx);
* hand-written malformed and oversized requests each get a 4xx with a JSON
  error that names the offending field, header or file;
* every write operation listed in the schema refuses every wrong way of
  presenting the key, and the library is unchanged afterwards.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from generated_inputs import distinct_sentences_text
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from testsupport import FINAL_JOB_STATES, send_streaming_request, wait_for_job, wait_until

from policychat.settings import Settings

KEY = "fuzz-key-3c9f0a2b"
AUTH = {"Authorization": f"Bearer {KEY}"}
ANSWER_OPERATIONS = {"POST /v1/answer", "POST /v1/answer/stream", "POST /v1/chat/completions"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


@pytest.fixture(scope="module")
def fuzz_server(tiny_server: Callable[..., tuple[str, Settings]]) -> tuple[str, Settings]:
    """A throwaway library (uploads and deletes happen during fuzzing) whose writes need ``KEY``."""
    return tiny_server(api_key=KEY, max_upload_mb=1)


@pytest.fixture(scope="module")
def quiet_server(tiny_server: Callable[..., tuple[str, Settings]]) -> tuple[str, Settings]:
    """A second keyed library that only the explicit cases and the auth tests touch."""
    return tiny_server(api_key=KEY, max_upload_mb=1)


def _operations(url: str, **generation: Any) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.generation.update(**generation)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9, [op.label for op in operations]
    return operations


def _is_write(operation: Any) -> bool:
    return bool(operation.definition.raw.get("security"))


def _fuzz(
    operation: Any, mode: GenerationMode, max_examples: int, send: Callable[[Any], str | None]
) -> tuple[int, list[str]]:
    """Run up to ``max_examples`` generated cases of one operation; return (cases run, failure messages)."""
    ran, failures = 0, []

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True, print_blob=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        problem = send(case)
        if problem:
            failures.append(f"{operation.label} [{mode.value}]: {problem}\n  {case.as_curl_command()[:600]}")

    try:
        run()
    except Unsatisfiable:  # e.g. no invalid request exists for an operation without parameters
        pass
    return ran, failures


def _checked(
    case: Any, url: str, headers: dict[str, str] | None, extra: Callable[[Any, Any], str | None],
    statuses: Counter[str] | None = None,
) -> str | None:
    try:
        positive = case.meta.generation.mode == GenerationMode.POSITIVE
        if case.operation.label == "POST /v1/chat/completions" and positive and isinstance(case.body, dict):
            # Most generated conversations have no user turn (a 422); end each with one so some get answered.
            case.body["messages"] = [*case.body.get("messages", [])[:-1],
                                     {"role": "user", "content": "What does the Zorblax Accord require?"}]
        if case.operation.label == "POST /v1/sources" and positive:
            # (Negative cases keep their names: in a multipart body an "integer" file is a valid one-line file.)
            response = _upload_with_supported_names(case, url, headers)
        else:
            response = case.call(base_url=url, headers=headers, timeout=120)
    except Exception as exc:  # a dropped connection or a hang is a failure too
        return f"request failed: {type(exc).__name__}: {exc}"
    if statuses is not None:
        statuses[f"{case.operation.label} {response.status_code}"] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a FailureGroup
        return f"{response.status_code}: {str(exc)[:800]}"
    return extra(case, response)


SUFFIXES = [".txt", ".md", ".html", ".pdf", ".docx", ".txt"]


def _upload_with_supported_names(case: Any, url: str, headers: dict[str, str] | None) -> Any:
    """Send a generated upload with its file parts renamed to supported extensions.

    schemathesis names each file part after its field (``files``, no extension), which
    only ever reaches the 415 check; with real extensions the generated bytes go
    through the loaders, the chunker and the stores.
    """
    kwargs = case.as_transport_kwargs(base_url=url, headers=headers)
    parts = kwargs.get("files")
    if parts:
        renamed = []
        for i, (field_name, value) in enumerate(parts):
            if field_name == "files" and isinstance(value, tuple) and value[0] == "files":
                value = (f"fuzz-{i}{SUFFIXES[i % len(SUFFIXES)]}", *value[1:])
            renamed.append((field_name, value))
        kwargs["files"] = renamed
    return requests.request(**kwargs, timeout=120)


def _sources(url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/v1/sources", timeout=30)
    assert response.status_code == 200
    return response.json()


def test_schema_fuzz_with_the_key_finds_no_server_error(fuzz_server: tuple[str, Settings]) -> None:
    url, settings_ = fuzz_server
    operations = _operations(url, with_security_parameters=False)
    failures: list[str] = []
    counts: dict[str, int] = {}
    statuses: Counter[str] = Counter()
    for operation in operations:
        budget = 25 if operation.label in ANSWER_OPERATIONS else 50
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            ran, found = _fuzz(operation, mode, budget,
                               lambda case: _checked(case, url, AUTH, lambda c, r: None, statuses))
            counts[f"{operation.label} {mode.value}"] = ran
            failures += found
    print(f"\nfuzz with key: {sum(counts.values())} cases over {len(operations)} operations: {counts}\n"
          f"statuses: {dict(sorted(statuses.items()))}")
    assert not failures, "\n".join(failures[:15])
    jobs = _wait_for_all_jobs(url)
    print(f"ingest jobs started by the fuzzing: {Counter(j['state'] for j in jobs)}")
    # Whatever the fuzzing uploaded, every file in the data dir's uploads folder was named by the server.
    uploads = Path(settings_.store.data_dir) / "uploads"
    for path in uploads.iterdir() if uploads.exists() else []:
        assert re.fullmatch(r"[0-9a-f]{32}\.[a-z]+", path.name), path


def _wait_for_all_jobs(url: str, timeout: float = 600) -> list[dict[str, Any]]:
    """Wait until no ingest job of the server is queued or running; return the jobs."""
    jobs: list[dict[str, Any]] = []

    def settled() -> bool:
        jobs[:] = httpx.get(f"{url}/v1/jobs", timeout=30).json()
        return all(j["state"] in FINAL_JOB_STATES for j in jobs)

    wait_until(settled, timeout, interval=0.2, message=lambda: f"jobs still running: {jobs}")
    return jobs


def test_schema_fuzz_without_a_key_never_writes(fuzz_server: tuple[str, Settings]) -> None:
    url, _ = fuzz_server
    _wait_for_all_jobs(url)
    before = _sources(url)
    jobs_before = httpx.get(f"{url}/v1/jobs", timeout=30).json()
    operations = [op for op in _operations(url, with_security_parameters=True) if _is_write(op)]
    assert {op.label for op in operations} >= {"POST /v1/sources", "DELETE /v1/sources/{source_id}",
                                               "DELETE /v1/jobs/{job_id}"}

    def refused(case: Any, response: Any) -> str | None:
        if response.status_code < 400 or response.status_code >= 500:
            return f"a write without a valid key got {response.status_code}: {response.text[:200]}"
        return None

    failures: list[str] = []
    total = 0
    statuses: Counter[str] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            ran, found = _fuzz(operation, mode, 50, lambda case: _checked(case, url, None, refused, statuses))
            total += ran
            failures += found
    print(f"\nfuzz without key: {total} cases over {len(operations)} write operations: {dict(statuses)}")
    assert not failures, "\n".join(failures[:15])
    assert _sources(url) == before
    assert httpx.get(f"{url}/v1/jobs", timeout=30).json() == jobs_before


# --------------------------------------------------------------------------- malformed and oversized requests


def _json_error(response: httpx.Response, status: int | tuple[int, ...], *words: str) -> Any:
    """Assert a 4xx JSON error with the given status whose text names every word; return its ``detail``.

    The OpenAI-compatible routes answer in OpenAI's shape; their ``error`` object stands in for ``detail``.
    """
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    body = response.json()
    openai_route = "/v1/chat/completions" in str(response.request.url)
    detail = body["error"] if openai_route else body["detail"]
    text = json.dumps(detail).lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in {text[:500]}"
    return detail


def _loc(detail: Any) -> list[list[Any]]:
    return [item["loc"] for item in detail]


def test_oversized_json_body_is_413(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    body = json.dumps({"question": "What does the Zorblax Accord require?", "padding": "x" * (9 * 1024 * 1024)})
    for path in ("/v1/answer", "/v1/answer/stream", "/v1/chat/completions"):
        response = httpx.post(f"{url}{path}", content=body, headers={"content-type": "application/json"}, timeout=60)
        _json_error(response, 413, "body", "bytes")

    def chunks() -> Any:  # no Content-Length: the limit still holds on a chunked body
        for _ in range(10):
            yield b" " * (1024 * 1024)
        yield b'{"question": "x"}'

    # A raw client: it reads the 413 even when the server stops reading and closes while we still send.
    response = send_streaming_request(url, "POST", "/v1/answer", headers={"content-type": "application/json"},
                                      body=chunks())
    _json_error(response, 413, "body")


def test_long_question_is_422_naming_the_field(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    response = httpx.post(f"{url}/v1/answer", json={"question": "x" * 1_000_000}, timeout=60)
    assert ["body", "question"] in _loc(_json_error(response, 422, "question"))


def test_deeply_nested_json_is_400_naming_the_body(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    for body in ('{"question": "x", "filters": ' + '{"a":' * 100_000 + "1" + "}" * 100_001,
                 "[" * 200_000 + "]" * 200_000):
        response = httpx.post(f"{url}/v1/answer", content=body, headers={"content-type": "application/json"},
                              timeout=60)
        _json_error(response, (400, 422), "body", "nested")


def test_wrong_content_type_is_4xx_naming_the_body(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    text = json.dumps({"question": "What does the Zorblax Accord require?"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", ""):
        response = httpx.post(f"{url}/v1/answer", content=text, headers={"content-type": content_type}, timeout=60)
        assert ["body"] in _loc(_json_error(response, (415, 422), "body"))
    form = httpx.post(f"{url}/v1/sources", json={"files": ["a.txt"]}, headers=AUTH, timeout=60)
    assert ["body", "files"] in _loc(_json_error(form, 422, "files"))


def test_non_utf8_bytes_are_400_naming_the_encoding(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    for body in (b'{"question": "\xff\xfe Zorblax"}', b'{"question": "caf\xe9"}', b"\xc3\x28"):
        response = httpx.post(f"{url}/v1/answer", content=body, headers={"content-type": "application/json"},
                              timeout=60)
        _json_error(response, (400, 422), "body")
        assert "utf-8" in response.text.lower() or "json" in response.text.lower()


def test_huge_header_is_431(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    for size in (70_000, 1_000_000):  # a raw client: the server answers before it has read such a header
        response = send_streaming_request(url, "GET", "/v1/sources", headers={"X-Padding": "a" * size}, chunked=False)
        _json_error(response, 431, "header")
    many = {f"X-Pad-{i}": "b" * 100 for i in range(400)}
    _json_error(httpx.post(f"{url}/v1/answer", json={"question": "q"}, headers=many, timeout=60), 431, "header")
    assert httpx.get(f"{url}/v1/sources", headers={"X-Padding": "a" * 4000}, timeout=60).status_code == 200


def test_nul_characters_are_422_naming_the_field(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    question = "What does the\u0000 Zorblax Accord require?"
    for path in ("/v1/answer", "/v1/answer/stream"):
        response = httpx.post(f"{url}{path}", json={"question": question}, timeout=60)
        assert ["body", "question"] in _loc(_json_error(response, 422, "question", "NUL"))
    history = [{"role": "user", "content": "hello\u0000"}]
    response = httpx.post(f"{url}/v1/answer", json={"question": "Why?", "history": history}, timeout=60)
    assert ["body", "history", 0, "content"] in _loc(_json_error(response, 422, "content", "NUL"))
    chat = httpx.post(f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": question}]},
                      timeout=60)
    _json_error(chat, 422, "messages", "NUL")


def test_history_of_ten_thousand_turns_is_422(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    history = [{"role": "user" if i % 2 else "assistant", "content": f"turn {i}"} for i in range(10_000)]
    response = httpx.post(f"{url}/v1/answer", json={"question": "Why?", "history": history}, timeout=60)
    assert ["body", "history"] in _loc(_json_error(response, 422, "history", "50"))


@pytest.mark.parametrize("top_k", [-1, 0, 51, 10**40, -(10**40), 1e308, float("nan"), 2.5, "many", None, [3],
                                   {"k": 3}])
def test_bad_top_k_is_422(quiet_server: tuple[str, Settings], top_k: Any) -> None:
    url, _ = quiet_server
    body = json.dumps({"question": "q", "top_k": top_k})  # (NaN too: Python's json writes it, strict JSON has none)
    response = httpx.post(f"{url}/v1/answer", content=body, headers={"content-type": "application/json"}, timeout=60)
    if top_k is None:  # null means "the default"
        assert response.status_code == 200
        return
    assert ["body", "top_k"] in _loc(_json_error(response, 422, "top_k"))


def test_multipart_without_a_file_is_422(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    for files in ({"title": (None, "no file here")}, {"files": (None, "just a string")}):
        response = httpx.post(f"{url}/v1/sources", files=files, headers=AUTH, timeout=60)
        assert [loc[:2] for loc in _loc(_json_error(response, 422, "files"))] == [["body", "files"]]
    empty = httpx.post(f"{url}/v1/sources", content=b"--b--\r\n", headers={**AUTH,
                       "content-type": "multipart/form-data; boundary=b"}, timeout=60)
    _json_error(empty, 422, "files")
    no_boundary = httpx.post(f"{url}/v1/sources", content=b"abc", headers={**AUTH,
                             "content-type": "multipart/form-data"}, timeout=60)
    _json_error(no_boundary, (400, 422), "")


def _raw_multipart(filename: bytes, data: bytes) -> tuple[bytes, str]:
    boundary = "pcfuzzboundary"
    body = (b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="files"; filename="' + filename
            + b'"\r\nContent-Type: text/plain\r\n\r\n' + data + b"\r\n--" + boundary.encode() + b"--\r\n")
    return body, f"multipart/form-data; boundary={boundary}"


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_hostile_file_names_are_stored_under_generated_names(quiet_server: tuple[str, Settings]) -> None:
    url, settings_ = quiet_server
    data_dir = Path(settings_.store.data_dir)
    root = data_dir.parent
    before = _all_files(root)
    names = ["../../escape-attempt.txt", "..\\..\\windows-escape.txt", "/etc/absolute-escape.txt",
             "sub/../../dotdot-middle.txt", "....//....//dots.txt"]
    for i, name in enumerate(names):
        text = f"The Escape Rule number {i} forbids writing files outside the upload folder.\n".encode()
        response = httpx.post(f"{url}/v1/sources", files={"files": (name, text, "text/plain")}, headers=AUTH,
                              timeout=120)
        job = wait_for_job(url, response, headers=AUTH)
        assert job["state"] == "done", (name, job)
        added = job["result"]["added"]
        assert len(added) == 1 and "/" not in added[0] and ".." not in added[0], added
        assert [f["file"] for f in job["files"]] == [PurePosixPath(name.replace("\\", "/")).name]
    new = _all_files(root) - before
    uploads = data_dir / "uploads"
    stored = {p for p in new if p.parent == uploads}
    assert len(stored) == len(names)
    assert all(re.fullmatch(r"[0-9a-f]{32}\.txt", p.name) for p in stored), stored
    assert not [p for p in new if not p.is_relative_to(data_dir)], "files written outside the data dir"
    assert not [p for p in new if "escape" in p.name or "dots" in p.name], "a client file name was used as a path"
    for leak in (root.parent / "escape-attempt.txt", Path("/etc/absolute-escape.txt"), root / "escape-attempt.txt"):
        assert not leak.exists(), leak

    for raw in (b"nul\x00name.txt", b"../\x00../evil.txt", b"ctrl\x07char.txt"):
        body, content_type = _raw_multipart(raw, b"The Nul Rule bans NUL bytes in file names.\n")
        response = httpx.post(f"{url}/v1/sources", content=body, headers={**AUTH, "content-type": content_type},
                              timeout=60)
        _json_error(response, 422, "files", "file name")
    assert _all_files(root) - before == new, "a refused upload left a file behind"


@pytest.mark.parametrize(("name", "data", "words"), [
    ("report.pdf", b"This is plain text pretending to be a PDF.\n", ("report.pdf", "pdf")),
    ("memo.docx", b"PK\x03\x04 not really a zip archive", ("memo.docx", "docx")),
    ("image.txt", bytes(range(256)) * 40, ("image.txt", "binary")),
    ("page.html", b"\x89PNG\r\n\x1a\n" + bytes(2000), ("page.html",)),
    ("notes.md", b"", ("notes.md", "empty")),
])
def test_lying_extension_fails_its_job_naming_the_file(quiet_server: tuple[str, Settings], name: str, data: bytes,
                                                       words: tuple[str, ...]) -> None:
    url, settings_ = quiet_server
    before = _sources(url)
    uploads = Path(settings_.store.data_dir) / "uploads"
    stored_before = set(uploads.iterdir()) if uploads.exists() else set()
    response = httpx.post(f"{url}/v1/sources", files={"files": (name, data, "application/octet-stream")},
                          headers=AUTH, timeout=120)
    job = wait_for_job(url, response, headers=AUTH)
    assert job["state"] == "failed", job
    for word in words:
        assert word.lower() in job["detail"].lower(), (word, job["detail"])
    assert [e["file"] for e in job["result"]["errors"]] == [name]
    assert [(f["file"], f["state"]) for f in job["files"]] == [(name, "failed")]
    assert _sources(url) == before
    assert (set(uploads.iterdir()) if uploads.exists() else set()) == stored_before


# --------------------------------------------------------------------------- auth on every write operation


def _write_requests(url: str) -> list[tuple[str, Callable[..., httpx.Response]]]:
    """One otherwise valid request per write operation of the schema (which must all be known here)."""
    schema = httpx.get(f"{url}/openapi.json", timeout=30).json()
    writes = [(method.upper(), path) for path, item in schema["paths"].items() for method, op in item.items()
              if op.get("security")]
    requests: list[tuple[str, Callable[..., httpx.Response]]] = []
    for method, path in writes:
        if (method, path) == ("POST", "/v1/sources"):
            def upload(**kw: Any) -> httpx.Response:
                doc = ("files", ("auth-probe.txt", b"The Auth Probe Rule must never be stored.\n", "text/plain"))
                return httpx.post(f"{url}{kw.pop('path', '/v1/sources')}", files=[doc], timeout=60, **kw)
            requests.append(("POST /v1/sources", upload))
        elif (method, path) == ("DELETE", "/v1/sources/{source_id}"):
            def delete(**kw: Any) -> httpx.Response:
                return httpx.delete(f"{url}{kw.pop('path', '/v1/sources/zorblax-accord')}", timeout=60, **kw)
            requests.append(("DELETE /v1/sources/{source_id}", delete))
        elif (method, path) == ("DELETE", "/v1/jobs/{job_id}"):
            def cancel(**kw: Any) -> httpx.Response:
                return httpx.delete(f"{url}{kw.pop('path', '/v1/jobs/0123456789abcdef')}", timeout=120, **kw)
            requests.append(("DELETE /v1/jobs/{job_id}", cancel))
        elif path.startswith("/v1/conversations"):
            requests.append((f"{method} {path}", _conversation_write(url, method, path)))
        else:
            pytest.fail(f"new write operation {method} {path}: add a valid request for it to _write_requests")
    return requests


_CONVERSATION_BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("POST", "/v1/conversations"): {"title": "auth probe"},
    ("PATCH", "/v1/conversations/{conversation_id}"): {"title": "auth probe"},
    ("DELETE", "/v1/conversations/{conversation_id}"): None,
    ("POST", "/v1/conversations/{conversation_id}/messages"): {"question": "What does the Zorblax Accord require?"},
    ("POST", "/v1/conversations/{conversation_id}/messages/stream"): {"question": "What does the Zorblax Accord say?"},
    ("POST", "/v1/conversations/{conversation_id}/messages/{message_id}/feedback"): {"rating": "down"},
}


def _conversation_write(url: str, method: str, path: str) -> Callable[..., httpx.Response]:
    """A valid request for a conversation write; the thread it needs is made with the key (a fresh one per DELETE)."""
    if (method, path) not in _CONVERSATION_BODIES:
        pytest.fail(f"new write operation {method} {path}: add a valid request for it to _write_requests")

    def thread() -> tuple[str, str]:
        made = httpx.post(f"{url}/v1/conversations", json={}, headers=AUTH, timeout=60).json()["id"]
        asked = httpx.post(f"{url}/v1/conversations/{made}/messages", json={"question": "What is the Zorblax Accord?"},
                           headers=AUTH, timeout=120)
        assert asked.status_code == 201, asked.text
        return made, asked.json()["id"]

    ids = thread()

    def send(**kw: Any) -> httpx.Response:
        conversation_id, message_id = thread() if method == "DELETE" else ids
        target = path.format(conversation_id=conversation_id, message_id=message_id)
        return httpx.request(method, f"{url}{kw.pop('path', target)}", json=_CONVERSATION_BODIES[(method, path)],
                             timeout=120, **kw)

    return send


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


BAD_HEADERS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer wrong-key"},
    {"Authorization": "Bearer"},
    {"Authorization": KEY},
    {"Authorization": f"Bearer{KEY}"},
    {"Authorization": f"Bearer {KEY}x"},
    {"Authorization": f"Bearer x{KEY}"},
    {"Authorization": f"Bearer {KEY[:-1]}"},
    {"Authorization": f"Bearer {KEY.upper()}"},
    {"Authorization": f"Bearer {KEY.swapcase()}"},
    {"Authorization": f"Bearer {KEY} {KEY}"},
    {"Authorization": f"Bearer {KEY},Bearer {KEY}"},
    {"Authorization": f"Bearer {KEY[:8]} {KEY[8:]}"},
    {"Authorization": f"Token {KEY}"},
    {"Authorization": f"ApiKey {KEY}"},
    {"Authorization": _basic("user", KEY)},
    {"Authorization": _basic(KEY, "")},
    {"Authorization": _basic("", KEY)},
    {"Authorization": f"Basic {KEY}"},
    {"X-API-Key": ""},
    {"X-API-Key": "wrong"},
    {"X-API-Key": KEY.upper()},
    {"X-API-Key": KEY + "x"},
    {"X-API-Key": f"{KEY} {KEY}"},
    {"X-API-Key": f"Bearer {KEY}"},
    {"X-API-Key": KEY[:-1]},
    {"X-Api-Token": KEY},
    {"Api-Key": KEY},
    {"Proxy-Authorization": f"Bearer {KEY}"},
    {"Cookie": f"api_key={KEY}; X-API-Key={KEY}"},
    {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
    {"Authorization": "Bearer \u00e9t\u00e9".encode().decode("latin-1")},  # sent as UTF-8 bytes
]
QUERY_NAMES = ["api_key", "apikey", "key", "token", "access_token", "X-API-Key", "x-api-key", "authorization"]


def test_writes_refuse_every_wrong_key_and_change_nothing(quiet_server: tuple[str, Settings]) -> None:
    url, settings_ = quiet_server
    before = _sources(url)
    ready_before = httpx.get(f"{url}/readyz", timeout=60).json()
    uploads = Path(settings_.store.data_dir) / "uploads"
    uploads_before = set(uploads.iterdir()) if uploads.exists() else set()
    tried = 0
    for label, send in _write_requests(url):
        for headers in BAD_HEADERS:
            response = send(headers={k: v.encode("latin-1") for k, v in headers.items()})
            tried += 1
            assert response.status_code == 401, (label, headers, response.status_code, response.text[:200])
            assert response.headers.get("www-authenticate") == "Bearer"
            _json_error(response, 401, "api key")
        for name in QUERY_NAMES:
            for value in (KEY, f"Bearer {KEY}"):
                response = send(params={name: value})
                tried += 1
                assert response.status_code == 401, (label, name, response.status_code)
    print(f"\nauth: {tried} refused write attempts")
    assert _sources(url) == before
    assert httpx.get(f"{url}/readyz", timeout=60).json() == ready_before
    assert (set(uploads.iterdir()) if uploads.exists() else set()) == uploads_before


def test_no_side_door_to_the_write_operations(quiet_server: tuple[str, Settings]) -> None:
    url, _ = quiet_server
    before = _sources(url)
    attempts = [
        httpx.post(f"{url}/v1/sources/", files=[("files", ("side.txt", b"Side door rule.\n", "text/plain"))],
                   timeout=60),
        httpx.post(f"{url}/v1/sources", files=[("files", ("side.txt", b"Side door rule.\n", "text/plain"))],
                   headers={"X-HTTP-Method-Override": "GET"}, timeout=60),
        httpx.get(f"{url}/v1/sources/zorblax-accord", headers={"X-HTTP-Method-Override": "DELETE"}, timeout=60),
        httpx.post(f"{url}/v1/sources/zorblax-accord", headers={"X-HTTP-Method-Override": "DELETE"}, timeout=60),
        httpx.delete(f"{url}/v1/sources/zorblax-accord/", timeout=60),
        httpx.delete(f"{url}/v1//sources/zorblax-accord", timeout=60),
        httpx.delete(f"{url}/v1/sources/%7Aorblax-accord", timeout=60),
        httpx.delete(f"{url}/V1/sources/zorblax-accord", timeout=60),
        httpx.request("PUT", f"{url}/v1/sources/zorblax-accord", content=b"x", timeout=60),
        httpx.request("PATCH", f"{url}/v1/sources/zorblax-accord", content=b"x", timeout=60),
        httpx.post(f"{url}/v1/jobs/0123456789abcdef", headers={"X-HTTP-Method-Override": "DELETE"}, timeout=60),
        httpx.delete(f"{url}/v1/jobs/0123456789abcdef/", timeout=60),
        httpx.delete(f"{url}/v1/jobs", timeout=60),
    ]
    for response in attempts:
        ok = response.status_code == 200 if response.request.method == "GET" else 300 <= response.status_code < 500
        assert ok, (response.request.method, response.request.url, response.status_code)
    assert _sources(url) == before


def test_the_right_key_is_accepted(quiet_server: tuple[str, Settings]) -> None:
    """The refused requests above were valid apart from the key: with it, each write operation succeeds."""
    url, _ = quiet_server
    for label, send in _write_requests(url):
        for headers in ({"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY}"},
                        {"Authorization": f"Bearer  {KEY}"},  # RFC 7235 allows several spaces
                        {"X-API-Key": KEY}, {"x-api-key": KEY}, {"X-API-Key": KEY, "Authorization": "Bearer x"}):
            if label == "DELETE /v1/jobs/{job_id}":  # a job still running when the cancel arrives (it stores nothing)
                doc = ("files", ("cancel-probe.txt", distinct_sentences_text(3000).encode(), "text/plain"))
                started = httpx.post(f"{url}/v1/sources", files=[doc], headers=AUTH, timeout=60)
                assert started.status_code == 202, started.text
                response = send(headers=headers, path=f"/v1/jobs/{started.json()['id']}")
            else:
                response = send(headers=headers)
            if label == "POST /v1/sources":
                job = wait_for_job(url, response, headers=AUTH)
                assert job["state"] == "done" and job["result"]["added"] == ["auth-probe"], (headers, job)
                httpx.delete(f"{url}/v1/sources/auth-probe", headers=AUTH, timeout=60)
            elif label == "DELETE /v1/jobs/{job_id}":
                assert response.status_code == 200, (label, headers, response.text[:300])
                assert response.json()["state"] == "cancelled", response.json()
            elif label == "DELETE /v1/sources/{source_id}":  # put the deleted source back for the next header form
                assert response.status_code == 200, (label, headers, response.text[:300])
                doc = ("files", ("zorblax-accord.md", _ZORBLAX.encode(), "text/markdown"))
                job = wait_for_job(url, httpx.post(f"{url}/v1/sources", files=[doc], headers=AUTH, timeout=120))
                assert job["state"] == "done" and job["result"]["added"] == ["zorblax-accord"], job
            else:  # the conversation writes
                assert response.status_code in (200, 201), (label, headers, response.text[:300])


_ZORBLAX = (
    "# The Zorblax Accord\n\nThe Zorblax Accord requires every signatory to register each orbital compute cluster "
    "with the Lunar Registry within thirty days of launch.\n"
)
