"""FastAPI dependencies as ``Annotated`` aliases: the runtime, settings, service and write access.

Tests swap any of them with ``app.dependency_overrides``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from assistant.service import AnswerService
from assistant.serving.runtime import Runtime
from policychat.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY (needed for writes when a key is set).")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: KEY (alternative).")


async def get_runtime(request: Request) -> Runtime:
    """The :class:`Runtime` that ``create_app`` stored on ``app.state``."""
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_app_settings(runtime: RuntimeDep) -> Settings:
    """The app's settings (not the process-wide cached ones)."""
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_service(runtime: RuntimeDep) -> AnswerService:
    """The app's one :class:`AnswerService` (opened in the threadpool on first use)."""
    return runtime.service()


ServiceDep = Annotated[AnswerService, Depends(get_service)]


async def require_api_key(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
) -> None:
    """Let a write through when no key is configured or a header carries the right one.

    Only the ``Authorization: Bearer`` and ``X-API-Key`` headers count (never the
    query string); keys are compared in constant time.

    Raises:
        HTTPException: 401 with ``WWW-Authenticate: Bearer`` otherwise.
    """
    expected = settings.server.api_key
    if not expected:
        return
    if not key_matches([bearer.credentials if bearer else None, header_key], expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, API_KEY_REQUIRED, headers={"WWW-Authenticate": "Bearer"})


API_KEY_REQUIRED = "A valid API key is required for this write: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'."


def key_matches(offered: Iterable[str | None], expected: str) -> bool:
    """True when one of the ``offered`` keys equals ``expected`` (constant-time comparison)."""
    return any(key and hmac.compare_digest(key.encode(), expected.encode()) for key in offered)


def offered_keys(authorization: str | None, x_api_key: str | None) -> list[str | None]:
    """The keys a request offers, parsed exactly as the :func:`require_api_key` dependencies parse them."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    return [credentials if scheme.lower() == "bearer" else None, x_api_key]


WriteAccess = Depends(require_api_key)


def check_question_length(question: str, settings: Settings) -> None:
    """Reject a question longer than ``POLICYCHAT_MAX_QUESTION_CHARS`` as a 422 validation error."""
    limit = settings.answer.max_question_chars
    if len(question) > limit:
        raise RequestValidationError([{
            "type": "string_too_long", "loc": ("body", "question"),
            "msg": f"String should have at most {limit} characters", "input": question[:100] + "…",
            "ctx": {"max_length": limit},
        }])
