"""``policychat serve``: starts uvicorn on the given port; refuses a public host without a key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx


def test_serve_runs_on_the_given_port(tmp_path: Path, serve_process: Callable[..., Any]) -> None:
    server = serve_process(tmp_path / "data")
    url = server.start()  # `serve --port N` on a free port, ready once /readyz answers
    assert url.endswith(f":{server.port}")
    assert httpx.get(f"{url}/healthz", timeout=30).json() == {"status": "ok"}
    ready = httpx.get(f"{url}/readyz", timeout=60).json()
    assert ready["sources"] == 0 and ready["chunks"] == 0
    server.stop()
    assert "Traceback" not in server.log_tail()


def test_serve_refuses_a_public_host_without_a_key(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = cli("serve", "--host", "0.0.0.0", data_dir=tmp_path / "data", cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert "POLICYCHAT_API_KEY" in result.stderr
