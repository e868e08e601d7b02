"""One server: the answer API under ``/v1``, OpenAPI docs at ``/docs``, MCP at ``/mcp``, the Gradio chat UI at ``/``.

The edges share one :class:`~assistant.serving.runtime.Runtime` (settings, one
:class:`~assistant.service.AnswerService`, one write lock); the UI calls the
service directly, never over HTTP.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI

from policychat.settings import Settings, get_settings, quiet_network_clients


def create_app(settings: Settings, *, warm_up: bool = True) -> FastAPI:
    """Build the FastAPI app with the API routes and the mounted Gradio UI.

    Args:
        settings: the configuration this app serves (data dir, limits, API key).
        warm_up: load the index, embedding model and generator in a background
            thread at start-up, so the first question is fast.

    Returns:
        The ASGI app (run it with uvicorn, or :func:`serve`).
    """
    quiet_network_clients()
    import gradio as gr
    import torch

    # Answers run concurrently in the threadpool; one intra-op thread each keeps the
    # cores from being oversubscribed (measured: embed_query p95 186 ms -> 24 ms under load).
    torch.set_num_threads(settings.server.serve_torch_threads)
    _import_model_libraries()

    from assistant.api import api_router, health_router
    from assistant.api.errors import install_error_handlers
    from assistant.api.limits import EdgeGuard, write_routes
    from assistant.api.mcp import build_mcp_server, http_routes
    from assistant.api.openai_errors import OpenAIErrorShape
    from assistant.serving.runtime import Runtime
    from assistant.serving.writes import ingest_uploads
    from assistant.ui import CSS, HEAD, build_ui, make_theme

    runtime = Runtime(settings, ingest_uploads)
    mcp = build_mcp_server(runtime.service, settings)
    mcp_routes = http_routes(mcp, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            runtime.begin_warm_up()
            threading.Thread(target=runtime.warm_up, name="policychat-warm-up", daemon=True).start()
        async with mcp.session_manager.run():
            yield
        runtime.jobs.shutdown()  # a running ingest job is cancelled: it stores nothing

    app = FastAPI(
        title="policychat",
        summary="Cited answers about US–China AI capability and governance from a library of policy sources.",
        version="0.1.0", docs_url="/docs", redoc_url=None, lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(api_router(settings), prefix="/v1")
    app.router.routes.extend(mcp_routes)  # before the UI's mount at "/", which would take every path
    # Header size limit, API key of writes checked before their body is read, JSON 413s.
    app.add_middleware(EdgeGuard, settings=settings, write_routes=write_routes(app))
    app.add_middleware(OpenAIErrorShape)  # outermost: OpenAI routes' errors, the edge's included
    return gr.mount_gradio_app(
        app, build_ui(runtime), path="/", theme=make_theme(), css=CSS, head=HEAD, ssr_mode=False,
        max_file_size=int(settings.server.max_upload_mb * 1024 * 1024), footer_links=["gradio", "settings"],
        run_history=False, show_error=True,
    )


def _import_model_libraries() -> None:
    """Resolve the ``transformers`` names here, before the warm-up thread and the request threads start.

    ``transformers`` resolves its names lazily and that is not thread-safe: an
    upload loading the tokenizer while the warm-up thread loads the embedding
    model failed with "cannot import name 'AutoTokenizer' from 'transformers'" (a 500).
    The loaders in :mod:`ingest.embed` also take one lock; sentence-transformers
    itself (about 6 s to import here) still loads in the warm-up thread, after the
    server listens.
    """
    from transformers import AutoModel, AutoTokenizer  # noqa: F401


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    """Run the app with uvicorn on ``host``/``port`` (default: ``settings.server.host``/``settings.server.port``).

    Raises:
        ConfigError: the host is not loopback and no API key is set (checked again after overrides).
    """
    import uvicorn

    settings = settings or get_settings()
    if host is not None or port is not None:
        settings = settings.replace(host=host or settings.server.host, port=port or settings.server.port)
    server = settings.server
    uvicorn.run(create_app(settings), host=server.host, port=server.port, log_level=server.log_level.lower())


@contextmanager
def background_server(settings: Settings, *, warm_up: bool = True, timeout: float = 60.0) -> Iterator[str]:
    """Run the app with uvicorn in a daemon thread on a free loopback port, for tests and benchmarks.

    Yields:
        The base URL (``http://127.0.0.1:PORT``), once ``/healthz`` answers; the
        server shuts down when the block exits.
    """
    import httpx
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings, warm_up=warm_up), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"server on port {port} did not start within {timeout:g} s")
            time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
