"""``GET /healthz`` (the process is up) and ``GET /readyz`` (the index is loaded and reachable)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from assistant.api.deps import RuntimeDep
from assistant.api.schemas import Health, Ready
from policychat.errors import PolicychatError

router = APIRouter(tags=["health"])

READY_WAIT_SECONDS = 30.0
"""How long ``/readyz`` waits for the start-up warm-up before answering 503 "warming up"."""


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: always ``{"status": "ok"}`` while the process serves."""
    return Health()


@router.get("/readyz", response_model=Ready, responses={503: {"description": "Index or vector store unavailable"}})
def readyz(runtime: RuntimeDep) -> Ready | JSONResponse:
    """Readiness: the start-up warm-up has finished, the service opens, the snapshot loads, vectors count.

    Waits up to :data:`READY_WAIT_SECONDS` for the warm-up (models, indexes and the
    answer core's lazily built parts, loaded once), so that ready means the first
    questions answer at full speed. Returns 503 ``{"status": "warming up"}`` when it
    is still running, and ``{"status": "unavailable", "detail"}`` when opening fails.
    """
    if not runtime.wait_until_warm(READY_WAIT_SECONDS):
        return JSONResponse({"status": "warming up", "detail": "loading models and indexes"}, status_code=503,
                            headers={"Retry-After": "2"})
    try:
        service = runtime.service()
        snapshot = service.retriever.snapshot()
        vectors = len(service.library.vectors.ids())
    except PolicychatError as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503,
                            headers={"Retry-After": "5"})
    return Ready(sources=len(snapshot.metas), chunks=len(snapshot.chunks), vectors=vectors)
