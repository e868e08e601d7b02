"""Checks at the very edge of the app, before a request reaches a route (a pure ASGI middleware).

* Request headers larger than :data:`MAX_HEADER_BYTES` in total get ``431`` (the
  HTTP parser itself sets no limit).
* A write route refuses a request without a valid API key with ``401`` *before*
  its body is read, so an anonymous client cannot make the server receive and
  spool a large upload; the route's own dependency checks the key again.
* With ``POLICYCHAT_API_KEY_READS=true`` every ``/v1`` route, reads included, and the
  MCP endpoint ``/mcp`` (whose tools are all reads) need the key (``/healthz`` and
  ``/readyz`` stay open).
* The plain-text ``413`` that a route's body-size limit produces becomes a JSON
  error naming the limit, like every other API error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.deps import API_KEY_REQUIRED, key_matches, offered_keys
from policychat.settings import Settings

MAX_HEADER_BYTES = 32 * 1024
MAX_JSON_BODY_BYTES = 8 * 1024 * 1024
"""Body limit of the JSON routes: room for 50 history turns of 20,000 characters, even \\u-escaped."""

_API_PATHS = ("/v1/", "/healthz", "/readyz")
_READ_PATHS = ("/v1/", "/mcp/")
"""Prefixes of the reads that need the key with POLICYCHAT_API_KEY_READS (``/mcp`` itself is checked too)."""
READ_KEY_REQUIRED = ("This server needs its API key for every /v1 and /mcp request (POLICYCHAT_API_KEY_READS): "
                     "send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.")


@dataclass(frozen=True)
class WriteRoute:
    """A route that needs the API key: its methods and path pattern."""

    methods: frozenset[str]
    path: re.Pattern[str]


def write_routes(app: FastAPI) -> Callable[[], list[WriteRoute]]:
    """The routes of ``app`` that need the API key: the operations its OpenAPI schema marks with ``security``.

    Returns:
        A function computing them (call it once the app is complete, e.g. on the first request).
    """

    def compute() -> list[WriteRoute]:
        routes = []
        for path, item in app.openapi().get("paths", {}).items():
            methods = frozenset(m.upper() for m, op in item.items() if isinstance(op, dict) and op.get("security"))
            if methods:
                pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path))
                routes.append(WriteRoute(methods, re.compile(f"^{pattern}$")))
        return routes

    return compute


async def _send_json(send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """ASGI middleware: header size limit, early API-key check of writes, JSON bodies for plain-text errors."""

    def __init__(self, app: ASGIApp, settings: Settings, write_routes: Callable[[], list[WriteRoute]] = list) -> None:
        """Wrap ``app``; the routes ``write_routes()`` returns are refused early without ``settings.server.api_key``."""
        self.app = app
        self.settings = settings
        self._find_write_routes = write_routes
        self._write_routes: list[WriteRoute] | None = None

    @property
    def write_routes(self) -> list[WriteRoute]:
        """The write routes, computed on first use (when every route has been added)."""
        if self._write_routes is None:
            self._write_routes = self._find_write_routes()
        return self._write_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one request, then pass it on (with ``send`` translating plain-text API errors)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(name) + len(value) for name, value in scope["headers"])
        if size > MAX_HEADER_BYTES:
            await _send_json(send, 431, f"request headers are too large: {size} bytes in {len(scope['headers'])} "
                                        f"headers, the limit is {MAX_HEADER_BYTES} bytes")
            return
        path, method = scope["path"], scope["method"]
        expected = self.settings.server.api_key
        reads_too = self.settings.server.api_key_reads and (path == "/mcp" or path.startswith(_READ_PATHS))
        if expected and (reads_too or any(method in r.methods and r.path.match(path) for r in self.write_routes)):
            headers = Headers(scope=scope)
            if not key_matches(offered_keys(headers.get("authorization"), headers.get("x-api-key")), expected):
                await _send_json(send, 401, API_KEY_REQUIRED if not reads_too else READ_KEY_REQUIRED,
                                 [(b"www-authenticate", b"Bearer")])
                return
        if not path.startswith(_API_PATHS):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _JsonErrors(scope, send))


class _JsonErrors:
    """A ``send`` that turns a plain-text error response (Starlette's 413) into ``{"detail": ...}``."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope, self.send = scope, send
        self.status: int | None = None
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            if message["status"] >= 400 and content_type.startswith("text/plain"):
                self.status = message["status"]
                return  # replaced once the whole body has arrived
        elif message["type"] == "http.response.body" and self.status is not None:
            self.body += bytes(message.get("body", b""))
            if message.get("more_body", False):
                return
            text = self.body.decode("utf-8", "replace").strip()
            if self.status == 413:
                limit = self.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
                text = f"request body is too large for {self.scope['method']} {self.scope['path']}" + (
                    f": the limit is {limit} bytes" if isinstance(limit, int) else " (limit exceeded, in bytes)")
            await _send_json(self.send, self.status, text)
            return
        await self.send(message)
