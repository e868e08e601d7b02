"""Translate the project's exceptions into HTTP status codes, at the edge only.

==========================  ======
exception                   status
==========================  ======
SourceNotFoundError         404
JobNotFoundError            404
JobFinishedError            409 (a finished job cannot be cancelled)
ConversationNotFoundError   404
PageUnavailableError        404
UploadTooLargeError         413
UnsupportedFileError        415
StorageFullError            507 (Insufficient Storage)
IndexUnavailableError       503 (with ``Retry-After``)
any other PolicychatError   400
==========================  ======

A request body that cannot be parsed at all (not UTF-8, nested too deeply) is a
400 whose ``detail`` says which; one that is not valid JSON stays FastAPI's 422,
at loc ``["body"]`` with a message saying so and where (``/v1/chat/completions``
makes it OpenAI's 400: :mod:`assistant.api.openai_errors`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from assistant.api.schemas import Problem
from assistant.serving.uploads import UploadTooLargeError
from policychat.errors import (
    ConversationNotFoundError,
    IndexUnavailableError,
    JobFinishedError,
    JobNotFoundError,
    PageUnavailableError,
    PolicychatError,
    SourceNotFoundError,
    StorageFullError,
    UnsupportedFileError,
    is_disk_full,
)

STATUS_BY_ERROR: list[tuple[type[PolicychatError], int]] = [
    (SourceNotFoundError, 404),
    (JobNotFoundError, 404),
    (JobFinishedError, 409),
    (ConversationNotFoundError, 404),
    (PageUnavailableError, 404),
    (UploadTooLargeError, 413),
    (UnsupportedFileError, 415),
    (StorageFullError, 507),
    (IndexUnavailableError, 503),
    (PolicychatError, 400),
]

_DESCRIPTIONS = {
    400: "Bad request: unknown generator, contradictory filters, a body that is not UTF-8 JSON",
    401: "API key missing or wrong",
    404: "Unknown source, job, page, conversation or message",
    409: "The job has already finished",
    413: "Request body or upload too large",
    415: "Unsupported file type",
    503: "Vector store unavailable (retry later)",
    507: "No space left to store the upload",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries (``{"detail": str}`` bodies) for the given error statuses."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}


def status_for(exc: PolicychatError) -> int:
    """The HTTP status for a project exception (most specific class wins; any write failing on a full disk: 507)."""
    if is_disk_full(exc):
        return 507
    return next(code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind))


async def _policychat_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PolicychatError)
    code = status_for(exc)
    headers = {"Retry-After": "5"} if code == 503 else None
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


_FASTAPI_PARSE_ERROR = "There was an error parsing the body"


def _unparsable_body(cause: BaseException) -> str:
    if isinstance(cause, RecursionError):
        return "request body is not usable JSON: it is nested too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return (f"request body is not valid UTF-8 (byte 0x{cause.object[cause.start]:02x} at position {cause.start}); "
                "send JSON encoded as UTF-8")
    return f"request body could not be parsed as JSON ({type(cause).__name__})"


async def _http_error(request: Request, exc: Exception) -> Any:
    """FastAPI's handler, with a body-parsing failure explained instead of 'There was an error parsing the body'."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _FASTAPI_PARSE_ERROR and exc.__cause__ is not None:
        return JSONResponse({"detail": _unparsable_body(exc.__cause__)}, status_code=400)
    if exc.status_code == 413 and exc.detail == "Content Too Large":  # a route's body size limit
        limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
        where = f"{request.method} {request.url.path}"
        detail = f"request body is too large for {where}" + (f": the limit is {limit} bytes" if limit else "")
        return JSONResponse({"detail": detail}, status_code=413)
    return await http_exception_handler(request, exc)


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities spelled as strings (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _invalid_json(error: dict[str, Any], document: Any) -> dict[str, Any]:
    """FastAPI's ``json_invalid`` error (loc ``["body", <position>]``, "JSON decode error") said plainly.

    Args:
        error: the validation error FastAPI raised for a body ``json.loads`` refused.
        document: the body as decoded text (the ``body`` of FastAPI's exception), for the line and column.

    Returns:
        The error at loc ``["body"]`` whose message says the body is not valid JSON, why and where.
    """
    loc = error.get("loc", ())
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    reason = (error.get("ctx") or {}).get("error") or "it could not be parsed"
    where = ""
    if position is not None and isinstance(document, str):
        parsed = json.JSONDecodeError(reason, document, position)  # computes the line and column
        where = f" at line {parsed.lineno}, column {parsed.colno} (character {position})"
    elif position is not None:
        where = f" at character {position}"
    return {"type": "json_invalid", "loc": ["body"], "msg": f"request body is not valid JSON: {reason}{where}",
            "input": None, "ctx": {"error": reason}}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, with a body that is not JSON said plainly and an echoed ``NaN``/``Infinity`` not a 500."""
    assert isinstance(exc, RequestValidationError)
    errors = [_invalid_json(e, exc.body) if e.get("type") == "json_invalid" else e for e in exc.errors()]
    return JSONResponse({"detail": _json_safe(jsonable_encoder(errors))}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Register the translation of every :class:`PolicychatError` (and of unparsable bodies) on ``app``."""
    app.add_exception_handler(PolicychatError, _policychat_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
