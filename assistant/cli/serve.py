"""``policychat serve``: the answer API and the chat UI in one uvicorn server."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import load_settings, translate_errors


@translate_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on; default POLICYCHAT_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default POLICYCHAT_PORT (8000).")] = None,
) -> None:
    """Serve the answer API (/v1, docs at /docs) and the chat UI (/) in one uvicorn server."""
    from assistant.serving.server import serve as run_server

    run_server(load_settings(), host=host, port=port)
