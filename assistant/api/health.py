"""``GET /healthz`` (the process is up) and ``GET /readyz`` (the index is loaded and reachable)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from assistant.api.deps import RuntimeDep
from assistant.api.schemas import Health, Ready
from policychat.errors import PolicychatError

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: always ``{"status": "ok"}`` while the process serves."""
    return Health()


@router.get("/readyz", response_model=Ready, responses={503: {"description": "Index or vector store unavailable"}})
def readyz(runtime: RuntimeDep) -> Ready | JSONResponse:
    """Readiness: open the service, load the retrieval snapshot and count the stored vectors.

    Returns 503 ``{"status": "unavailable", "detail"}`` when any of that fails.
    """
    try:
        service = runtime.service()
        snapshot = service.retriever.snapshot()
        vectors = len(service.library.vectors.ids())
    except PolicychatError as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503,
                            headers={"Retry-After": "5"})
    return Ready(sources=len(snapshot.metas), chunks=len(snapshot.chunks), vectors=vectors)
