"""Server-Sent Events helpers: encode events and start a stream only once its first event exists.

The first event is computed before the response starts, so a bad request or a
down index still gets its proper status code (400, 503) instead of a 200 stream
that breaks; a failure later in the stream becomes an ``error`` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any, TypeVar

from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event
from starlette.concurrency import run_in_threadpool

from policychat.errors import PolicychatError

T = TypeVar("T")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "A text/event-stream of events."}
}


def sse_event(event: str | None, data: Any) -> bytes:
    """One event in wire format, ``data`` as JSON (a ``str`` is sent raw, e.g. ``[DONE]``)."""
    data_str = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return format_sse_event(event=event, data_str=data_str)


async def started(events: Iterator[T]) -> Iterator[T]:
    """Compute the first item of ``events`` in the threadpool (raising its errors now) and re-attach it.

    Returns:
        An iterator over every item, the first one included.
    """
    sentinel = object()
    first = await run_in_threadpool(next, events, sentinel)
    if first is sentinel:
        return iter(())
    return chain([first], events)  # type: ignore[list-item]


def sse_response(body: Iterable[bytes]) -> StreamingResponse:
    """A ``text/event-stream`` response over encoded events (a sync iterable runs in the threadpool)."""
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS)


def encode_events(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """Service stream events as SSE bytes; a :class:`PolicychatError` mid-stream becomes an ``error`` event.

    Each item's ``event`` names the event and its ``data`` (or the other keys) is
    the payload; a final ``done`` event always follows.
    """
    from assistant.api.errors import status_for

    try:
        for item in events:
            name = str(item.get("event", "message"))
            data = item["data"] if "data" in item else {k: v for k, v in item.items() if k != "event"}
            yield sse_event(name, data)
    except PolicychatError as exc:
        yield sse_event("error", {"detail": str(exc), "status": status_for(exc)})
    yield sse_event("done", {})
