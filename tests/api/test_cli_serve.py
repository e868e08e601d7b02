"""``policychat serve``: starts uvicorn on the given port; refuses a public host without a key."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from testsupport import free_port


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHAT_")}
    env["POLICYCHAT_DATA_DIR"] = str(data_dir)
    return env


def test_serve_runs_on_the_given_port(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            env=_env(tmp_path / "data"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=60).json()
        assert ready["sources"] == 0 and ready["chunks"] == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_a_public_host_without_a_key(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "serve", "--host", "0.0.0.0"], cwd=tmp_path,
                            env=_env(tmp_path / "data"), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "POLICYCHAT_API_KEY" in result.stderr
