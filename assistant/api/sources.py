"""``/v1/sources``: list, read, upload and delete library sources.

Reads are open; uploads and deletes need the API key when one is set and go
through :mod:`assistant.serving.writes`, the same code path as the UI's Library tab.
Uploads run as background jobs (:mod:`assistant.serving.jobs`, followed at ``/v1/jobs``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from assistant.api.deps import RuntimeDep, ServiceDep, WriteAccess
from assistant.api.errors import error_responses
from assistant.api.jobs import job_info
from assistant.api.schemas import Deleted, JobInfo, SourceDetail, SourceInfo
from assistant.research.card_view import library_standings
from assistant.serving.uploads import (
    BadFileNameError,
    SavedUpload,
    UploadFields,
    UploadTooLargeError,
    checked_extension,
)
from assistant.serving.writes import delete_source, max_upload_bytes, save_upload
from policychat.errors import SourceNotFoundError
from policychat.settings import Settings

# Room for the multipart envelope and the metadata fields on top of the file bytes.
ENVELOPE_BYTES = 64 * 1024
MAX_FILES = 20


def list_sources(service: ServiceDep) -> list[SourceInfo]:
    """Every source with its metadata, chunk and page counts and status, ordered by id."""
    records = service.library.catalog.records()
    standings = library_standings(service.library, [r.meta for r in records])
    return [SourceInfo.from_record(r, standings[r.meta.id].status) for r in records]


def get_source(source_id: str, service: ServiceDep) -> SourceDetail:
    """One source's metadata, counts and stored text; 404 for an unknown id."""
    catalog = service.library.catalog
    record = next((r for r in catalog.records() if r.meta.id == source_id), None)
    if record is None:
        raise SourceNotFoundError(f"No source with id {source_id!r}; GET /v1/sources lists the ids.")
    status = library_standings(service.library).get(source_id)
    return SourceDetail(**SourceInfo.from_record(record, status.status if status else "unknown").model_dump(),
                        text=catalog.source(source_id).text)


def upload_sources(
    runtime: RuntimeDep,
    response: Response,
    files: Annotated[list[UploadFile], File(description="One or more PDF, HTML, Markdown, text or DOCX files.")],
    title: Annotated[str | None, Form()] = None,
    publisher: Annotated[str | None, Form()] = None,
    country: Annotated[str | None, Form(description="US, CN, INTL or OTHER")] = None,
    date: Annotated[str | None, Form(description="YYYY-MM-DD")] = None,
    doc_type: Annotated[str | None, Form()] = None,
    original_url: Annotated[str | None, Form()] = None,
) -> JobInfo:
    """Add or replace sources in a background job: each file becomes a source whose id is a slug of its file name.

    The files are saved and the job is queued at once: 202 with the job (also at the
    ``Location`` header); follow it with ``GET /v1/jobs/{id}`` until its state is done
    (``result`` lists added/updated/unchanged ids and per-file errors), failed (``detail``
    names the files and why) or cancelled. Jobs run one at a time; answers are served
    from the library as it was until a job's sources appear together at its end.
    The form fields apply to every file. 413 when the upload exceeds
    POLICYCHAT_MAX_UPLOAD_MB, 415 for an extension with no loader, 422 for a bad form
    field or file name, 507 when the disk is too full to save the files.
    """
    try:
        fields = UploadFields(title=title, publisher=publisher, country=country, date=date, doc_type=doc_type,
                              original_url=original_url)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
    if len(files) > MAX_FILES:
        raise RequestValidationError([{"type": "too_long", "loc": ("body", "files"),
                                       "msg": f"at most {MAX_FILES} files per upload", "input": None}])
    for i, upload in enumerate(files):
        try:
            checked_extension(upload.filename or "")
        except BadFileNameError as exc:
            raise RequestValidationError([{"type": "value_error", "loc": ("body", "files", i),
                                           "msg": f"bad file name: {exc.reason}", "input": None}]) from None
    limit = max_upload_bytes(runtime)
    if sum(upload.size or 0 for upload in files) > limit:
        limit_mb = runtime.settings.server.max_upload_mb
        raise UploadTooLargeError(f"upload is larger than POLICYCHAT_MAX_UPLOAD_MB={limit_mb:g}")
    saved: list[SavedUpload] = []
    try:
        for upload in files:
            saved.append(save_upload(runtime, upload.filename or "upload", upload.file, limit))
    except BaseException:
        for item in saved:
            item.path.unlink(missing_ok=True)
        raise
    job = runtime.jobs.submit(saved, fields)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_info(job)


def remove_source(source_id: str, runtime: RuntimeDep) -> Deleted:
    """Remove a source with its chunks, vectors and keyword entries; 404 for an unknown id."""
    return Deleted(id=source_id, removed_chunks=delete_source(runtime, source_id))


def sources_router(settings: Settings) -> APIRouter:
    """The sources routes; the upload route's streaming body limit comes from ``settings``."""
    router = APIRouter(prefix="/sources", tags=["sources"])
    router.add_api_route("", list_sources, methods=["GET"], response_model=list[SourceInfo])
    router.add_api_route("/{source_id}", get_source, methods=["GET"], response_model=SourceDetail,
                         responses=error_responses(404))
    router.add_api_route(
        "", upload_sources, methods=["POST"], response_model=JobInfo, status_code=202, dependencies=[WriteAccess],
        max_body_size=int(settings.server.max_upload_mb * 1024 * 1024) + ENVELOPE_BYTES,
        responses=error_responses(400, 401, 413, 415, 503, 507),
    )
    router.add_api_route(
        "/{source_id}", remove_source, methods=["DELETE"], response_model=Deleted, dependencies=[WriteAccess],
        responses=error_responses(401, 404, 503, 507),
    )
    return router
