"""API key on writes: header forms accepted, everything else refused; reads stay open."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from testsupport import upload_and_wait

from policychat.settings import Settings

KEY = "s3cret-key-for-tests"
DOC = ("files", ("keyed.txt", b"The Brimble Protocol caps training runs at one exaflop per day.\n", "text/plain"))


@pytest.fixture(scope="module")
def keyed(small_server: Callable[..., tuple[str, Settings]]) -> str:
    """A server whose writes need ``KEY``."""
    return small_server(api_key=KEY)[0]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": "Bearer"},
    {"Authorization": KEY},
    {"Authorization": f"Basic {KEY}"},
    {"X-API-Key": ""},
    {"X-API-Key": KEY + "x"},
])
def test_writes_without_the_right_key_are_401(keyed: str, headers: dict[str, str]) -> None:
    upload = httpx.post(f"{keyed}/v1/sources", files=[DOC], headers=headers, timeout=60)
    assert upload.status_code == 401
    assert upload.headers["www-authenticate"] == "Bearer"
    delete = httpx.delete(f"{keyed}/v1/sources/zorblax-accord", headers=headers, timeout=60)
    assert delete.status_code == 401
    cancel = httpx.delete(f"{keyed}/v1/jobs/0123456789abcdef", headers=headers, timeout=60)
    assert cancel.status_code == 401 and cancel.headers["www-authenticate"] == "Bearer"


def test_key_in_query_string_is_rejected(keyed: str) -> None:
    for name in ("api_key", "key", "token", "X-API-Key"):
        response = httpx.post(f"{keyed}/v1/sources", params={name: KEY}, files=[DOC], timeout=60)
        assert response.status_code == 401


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {KEY}"}, {"X-API-Key": KEY}])
def test_bearer_and_x_api_key_are_accepted(keyed: str, headers: dict[str, str]) -> None:
    job = upload_and_wait(keyed, [DOC], headers=headers)
    assert job["state"] == "done", job
    assert "keyed" in job["result"]["added"] + job["result"]["updated"]
    assert httpx.delete(f"{keyed}/v1/sources/keyed", headers=headers, timeout=60).status_code == 200


def test_reads_are_open_with_a_key_set(keyed: str) -> None:
    assert httpx.get(f"{keyed}/v1/sources", timeout=30).status_code == 200
    assert httpx.get(f"{keyed}/v1/sources/zorblax-accord", timeout=30).status_code == 200
    assert httpx.get(f"{keyed}/v1/jobs", timeout=30).status_code == 200
    answer = httpx.post(f"{keyed}/v1/answer", json={"question": "What does the Zorblax Accord require?"}, timeout=120)
    assert answer.status_code == 200


def test_writes_are_open_without_a_key(small_server: Callable[..., tuple[str, Settings]]) -> None:
    url, _ = small_server()
    job = upload_and_wait(url, [DOC])
    assert job["state"] == "done" and job["result"]["added"] == ["keyed"], job
    assert httpx.delete(f"{url}/v1/sources/keyed", timeout=60).status_code == 200
