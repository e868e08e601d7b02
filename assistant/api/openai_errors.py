"""Errors of the OpenAI-compatible routes in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.

An ASGI middleware (outermost, so it also sees the edge's 401/413/431) rewrites
every ``{"detail": …}`` error of ``/v1/chat/completions`` and ``/v1/models`` into
the body OpenAI clients parse (the ``openai`` SDK raises ``AuthenticationError``,
``NotFoundError``, ``BadRequestError`` … from it). Status codes are unchanged, except
that a body which is not valid JSON is a 400 here, as on OpenAI's API (the
``/v1`` routes say 422); the rest of the API keeps ``{"detail": …}``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")

_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 429: "rate_limit_error"}
_CODES = {401: "invalid_api_key", 404: "not_found", 413: "request_too_large", 422: "invalid_request",
          431: "headers_too_large", 503: "service_unavailable", 507: "insufficient_storage"}


class OpenAIErrorDetail(BaseModel):
    """What went wrong, OpenAI-style."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    """An error of the OpenAI-compatible routes."""

    error: OpenAIErrorDetail


_DESCRIPTIONS = {400: "Bad request (unknown generator, contradictory filters, a body that is not UTF-8 JSON)",
                 404: "No such model", 413: "Request body too large", 422: "Invalid request (no user message, "
                 "a blank or too long question, a field of the wrong type)",
                 503: "Vector store unavailable (retry later)"}


def openai_error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries (OpenAI error bodies) for the given statuses."""
    return {code: {"model": OpenAIError, "description": _DESCRIPTIONS[code]} for code in codes}


def error_type(status: int) -> str:
    """OpenAI's ``type`` for an HTTP status (``invalid_request_error`` for other 4xx, ``server_error`` for 5xx)."""
    return _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def openai_error(status: int, message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """The OpenAI error body for ``status``."""
    return {"error": {"message": message, "type": error_type(status), "param": param,
                      "code": code or _CODES.get(status)}}


def _field(error: dict[str, Any]) -> str:
    """The dotted field of a validation error (``messages.0.content``); empty for the body as a whole."""
    return ".".join(str(part) for part in error.get("loc", []) if part != "body")


def _from_detail(status: int, detail: Any) -> dict[str, Any]:
    """Translate a ``detail`` (a message, or FastAPI's list of validation errors) into an OpenAI error body."""
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        messages = [f"{_field(e)}: {e.get('msg', '')}" if _field(e) else str(e.get("msg", "")) for e in detail]
        return openai_error(status, "; ".join(messages), param=_field(detail[0]) or None)
    return openai_error(status, str(detail))


def _status(status: int, detail: Any) -> int:
    """``status``, except 400 for a body that is not JSON at all (OpenAI's status for it; FastAPI says 422)."""
    if status == 422 and isinstance(detail, list) and detail and all(
            isinstance(e, dict) and e.get("type") == "json_invalid" for e in detail):
        return 400
    return status


class OpenAIErrorShape:
    """ASGI middleware: JSON error responses of :data:`OPENAI_PATHS` re-shaped for OpenAI clients."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; buffer and rewrite an error response of an OpenAI route."""
        if scope["type"] != "http" or not scope["path"].startswith(OPENAI_PATHS):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = b""

        async def reshape(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] >= 400 and content_type.startswith("application/json"):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body += bytes(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _send_reshaped(send, start, body)
                return
            await send(message)

        await self.app(scope, receive, reshape)


async def _send_reshaped(send: Send, start: Message, body: bytes) -> None:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = {"detail": body.decode("utf-8", "replace")}
    if isinstance(payload, dict) and "detail" in payload and "error" not in payload:
        start = {**start, "status": _status(start["status"], payload["detail"])}
        payload = _from_detail(start["status"], payload["detail"])
    data = json.dumps(payload, ensure_ascii=False).encode()
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    await send({**start, "headers": [*headers, (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
