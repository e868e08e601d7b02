"""``/v1/jobs``: follow and cancel the background ingest jobs that ``POST /v1/sources`` starts.

Reads are open (job ids are unguessable and jobs hold no document text); cancelling
needs the API key when one is set, like every write.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from assistant.api.deps import RuntimeDep, WriteAccess
from assistant.api.errors import error_responses
from assistant.api.schemas import FileProblemOut, JobFile, JobInfo, JobTimings, UploadResult
from assistant.serving.jobs import Job


def _when(stamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if stamp is not None else None


def job_info(job: Job) -> JobInfo:
    """The API view of a job: state, per-file progress, result, timings."""
    report = job.report
    result = None if report is None else UploadResult(
        added=report.added, updated=report.updated, unchanged=report.unchanged,
        duplicate_chunks=report.duplicate_chunks,
        errors=[FileProblemOut(file=e.file, reason=e.reason) for e in report.errors])
    files = [JobFile(file=name, state=s.state, source_id=s.source_id, pages=s.pages, chunks=s.chunks,  # type: ignore[arg-type]
                     duplicate_chunks=s.duplicate_chunks, chunks_to_embed=s.chunks_to_embed,
                     chunks_embedded=s.chunks_embedded, seconds=round(s.seconds, 3), reason=s.reason)
             for name, s in job.files()]
    start = job.started_at if job.started_at is not None else job.finished_at
    queued = (start if start is not None else datetime.now(UTC).timestamp()) - job.created_at
    running = None
    if job.started_at is not None:
        end = job.finished_at if job.finished_at is not None else datetime.now(UTC).timestamp()
        running = round(end - job.started_at, 3)
    timings = JobTimings(queued=round(queued, 3), running=running,
                         embedding=round(report.embed_seconds, 3) if report is not None else None)
    return JobInfo(id=job.id, state=job.state, cancel_requested=job.cancel_requested,  # type: ignore[arg-type]
                   created_at=_when(job.created_at), started_at=_when(job.started_at),  # type: ignore[arg-type]
                   finished_at=_when(job.finished_at), files=files, result=result, detail=job.detail,
                   timings=timings)


def list_jobs(runtime: RuntimeDep) -> list[JobInfo]:
    """The recent ingest jobs of this server (up to 100), newest first."""
    return [job_info(job) for job in runtime.jobs.list()]


def get_job(job_id: str, runtime: RuntimeDep) -> JobInfo:
    """One job: state (queued, running, done, failed, cancelled), per-file progress, errors, timings; 404 if unknown."""
    return job_info(runtime.jobs.get(job_id))


def cancel_job(job_id: str, runtime: RuntimeDep) -> JobInfo:
    """Cancel a queued or running job; waits up to 60 s for a running one to stop.

    A cancelled job stores nothing: the library stays as it was before the job. 404 for
    an unknown job, 409 for a job that has already finished (delete its sources instead).
    """
    return job_info(runtime.jobs.cancel(job_id))


router = APIRouter(prefix="/jobs", tags=["jobs"])
router.add_api_route("", list_jobs, methods=["GET"], response_model=list[JobInfo])
router.add_api_route("/{job_id}", get_job, methods=["GET"], response_model=JobInfo, responses=error_responses(404))
router.add_api_route("/{job_id}", cancel_job, methods=["DELETE"], response_model=JobInfo, dependencies=[WriteAccess],
                     responses=error_responses(401, 404, 409))
