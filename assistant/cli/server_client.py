"""``policychat ask`` through a running ``policychat serve``: the answer without loading the model here.

Loading the embedding model takes seconds per ``ask``; a running server has it loaded
already. :func:`ask_server` checks ``GET /healthz`` with a short connect timeout and, when a
policychat server answers, sends the request to ``POST /v1/answer`` (with the API key, when
one is configured). It returns None when nothing answers at the address, so the caller can
answer in-process instead; a server that answers with an error is reported, not bypassed
(a wrong key or a bad filter would fail in-process too, or worse, against another library).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policychat.errors import PolicychatError
from policychat.settings import Settings

if TYPE_CHECKING:
    import httpx

    from assistant.models import Answer, AnswerRequest

CONNECT_SECONDS = 0.5
"""How long to wait for a connection: a server on this machine or network accepts at once."""
HEALTH_SECONDS = 3.0
"""How long ``/healthz`` may take to reply once connected."""
ANSWER_SECONDS = 600.0
"""How long an answer may take (an LLM backend on a small CPU is slow)."""
UNSPECIFIED_HOSTS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}
"""A server listening on every interface is reached on loopback."""


def default_server_url(settings: Settings) -> str:
    """The address ``policychat serve`` listens on with ``settings``: ``http://POLICYCHAT_HOST:POLICYCHAT_PORT``.

    Args:
        settings: the configuration (its ``server.host`` and ``server.port``).

    Returns:
        The base URL, with an all-interfaces host replaced by loopback and IPv6 in brackets.
    """
    host = UNSPECIFIED_HOSTS.get(settings.server.host, settings.server.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.server.port}"


def ask_server(url: str, request: AnswerRequest, api_key: str | None) -> Answer | None:
    """The answer to ``request`` from the policychat server at ``url``, or None when none answers there.

    Args:
        url: the server's base URL (``http://127.0.0.1:8000``).
        request: the question, filters and options, sent as the ``POST /v1/answer`` body.
        api_key: sent as ``Authorization: Bearer KEY`` when set (needed when the server
            requires the key for reads).

    Returns:
        The server's answer, or None when no policychat server answered ``/healthz``
        (nothing listens, the connection timed out, or another service replied).

    Raises:
        PolicychatError: the server answered the question with an error (its detail is
            quoted), stopped answering mid-way, or sent something that is not an answer.
    """
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    timeout = httpx.Timeout(ANSWER_SECONDS, connect=CONNECT_SECONDS)
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout) as client:
        if not _is_policychat(client):
            return None
        try:
            response = client.post("/v1/answer", json=request.model_dump(mode="json", exclude_none=True))
        except httpx.ConnectError:
            return None  # it went away since /healthz: answering in-process still works
        except httpx.TransportError as exc:
            raise PolicychatError(f"the server at {url} stopped answering ({type(exc).__name__}: {exc}); "
                                  "try again, or answer here with --no-server") from exc
    return _answer(url, response)


def _is_policychat(client: httpx.Client) -> bool:
    """True when ``GET /healthz`` replies ``{"status": "ok"}`` within :data:`HEALTH_SECONDS`."""
    import httpx

    try:
        response = client.get("/healthz", timeout=httpx.Timeout(HEALTH_SECONDS, connect=CONNECT_SECONDS))
        return response.status_code == 200 and _json(response).get("status") == "ok"
    except httpx.TransportError:
        return False


def _answer(url: str, response: httpx.Response) -> Answer:
    """The :class:`Answer` in a ``/v1/answer`` response.

    Raises:
        PolicychatError: an error status (with the server's detail), or a body that is not an answer.
    """
    from assistant.models import Answer

    if response.status_code != 200:
        detail = _json(response).get("detail") or response.text[:200] or response.reason_phrase
        hint = "; set POLICYCHAT_API_KEY to the server's key" if response.status_code == 401 else ""
        raise PolicychatError(f"the server at {url} refused the question ({response.status_code}): {detail}{hint} "
                              "(--no-server answers here instead)")
    try:
        return Answer.model_validate(response.json())
    except ValueError as exc:  # not JSON, or pydantic's ValidationError (a ValueError)
        raise PolicychatError(f"the server at {url} did not send an answer ({exc}); is it a policychat server "
                              "of this version? --no-server answers here instead") from exc


def _json(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or ``{}`` when its body is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
