"""/healthz, /readyz, the docs, and 503 when the vector store cannot be reached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from testsupport import free_port, make_settings

from assistant.serving.server import background_server


def test_healthz_and_readyz(corpus_url: str, ingested: object) -> None:
    assert httpx.get(f"{corpus_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{corpus_url}/readyz", timeout=120)
    assert ready.status_code == 200
    body = ready.json()
    n_sources = len(ingested.library.catalog.records())  # type: ignore[attr-defined]
    assert body["status"] == "ready" and body["sources"] == n_sources
    assert body["chunks"] == body["vectors"] > n_sources


def test_docs_and_openapi(corpus_url: str) -> None:
    assert httpx.get(f"{corpus_url}/docs").status_code == 200
    paths = httpx.get(f"{corpus_url}/openapi.json").json()["paths"]
    for path in ("/v1/answer", "/v1/answer/stream", "/v1/chat/completions", "/v1/sources", "/v1/sources/{source_id}",
                 "/v1/jobs", "/v1/jobs/{job_id}", "/healthz", "/readyz"):
        assert path in paths, path
    assert set(paths["/v1/sources"]) == {"get", "post"}
    assert set(paths["/v1/jobs/{job_id}"]) == {"get", "delete"}
    assert set(paths["/v1/sources"]["post"]["responses"]) >= {"202", "401", "413", "415", "422", "507"}


def test_ui_is_served_at_root(corpus_url: str) -> None:
    page = httpx.get(f"{corpus_url}/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert httpx.get(f"{corpus_url}/config", timeout=30).json()["title"] == "policychat"


def test_unreachable_vector_store_is_503(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=free_port())
    with background_server(settings, warm_up=False) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz", timeout=60)
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert "Chroma server" in ready.json()["detail"]
        answer = httpx.post(f"{url}/v1/answer", json={"question": "anything"}, timeout=60)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert httpx.get(f"{url}/v1/sources", timeout=60).status_code == 503


def test_readyz_waits_for_the_warm_up(mini_library: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from assistant.api import health
    from assistant.serving.server import create_app

    monkeypatch.setattr(health, "READY_WAIT_SECONDS", 0.2)
    app = create_app(mini_library, warm_up=False)
    runtime = app.state.runtime
    with TestClient(app) as client:
        runtime.begin_warm_up()  # as the server does before starting its warm-up thread
        warming = client.get("/readyz")
        assert warming.status_code == 503 and warming.json()["status"] == "warming up"
        assert warming.headers["retry-after"] == "2"
        runtime.warm_up()  # loads the models and answers the warm-up questions on the mini library
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["sources"] == 4, ready.text
