"""Translate the project's exceptions into HTTP status codes, at the edge only.

==========================  ======
exception                   status
==========================  ======
SourceNotFoundError         404
UploadTooLargeError         413
UnsupportedFileError        415
IndexUnavailableError       503 (with ``Retry-After``)
any other PolicychatError   400
==========================  ======
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant.api.writes import UploadTooLargeError
from assistant.errors import IndexUnavailableError, PolicychatError, SourceNotFoundError, UnsupportedFileError

STATUS_BY_ERROR: list[tuple[type[PolicychatError], int]] = [
    (SourceNotFoundError, 404),
    (UploadTooLargeError, 413),
    (UnsupportedFileError, 415),
    (IndexUnavailableError, 503),
    (PolicychatError, 400),
]


def status_for(exc: PolicychatError) -> int:
    """The HTTP status for a project exception (most specific class wins)."""
    return next(code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind))


async def _policychat_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PolicychatError)
    code = status_for(exc)
    headers = {"Retry-After": "5"} if code == 503 else None
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the translation of every :class:`PolicychatError` on ``app``."""
    app.add_exception_handler(PolicychatError, _policychat_error)
