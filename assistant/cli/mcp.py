"""``policychat mcp``: the library as an MCP server on stdin/stdout, for assistants and IDEs that start it."""

from __future__ import annotations

from assistant.cli.common import load_settings, translate_errors


@translate_errors
def mcp() -> None:
    """Serve the library to an MCP client over stdio: answer, search, list_sources, read_card; sources as resources.

    The client starts this command and talks on its stdin/stdout; logs go to stderr. The library is the one
    POLICYCHAT_DATA_DIR names. Over HTTP, `policychat serve` offers the same server at /mcp.
    """
    from assistant.api.mcp import run_stdio

    run_stdio(load_settings())
