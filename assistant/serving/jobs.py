"""Background ingest jobs: uploads queue up and run one at a time in a worker thread of the server.

``POST /v1/sources`` and the UI's Library tab save the uploaded files, :meth:`JobQueue.submit`
a job and return at once. The worker takes jobs in order and runs each as one atomic
ingest (the function the queue is given: :func:`assistant.serving.writes.ingest_uploads`, under the
runtime's write lock, in a server), so
answers keep being served from the previous library generation until the job's sources
appear together in one catalog transaction. Per-file progress (pages parsed, chunks
embedded of those to embed), errors and timings are read from the run's
:class:`~ingest.progress.IngestControl` while it works.

:meth:`JobQueue.cancel` drops a queued job, or raises the cancel flag of the running
one, which stops between files or embedding batches and stores nothing: the library
stays exactly as it was. Jobs live in this process's memory (the latest
:data:`KEEP_JOBS`); a server killed mid-job forgets them, and its start-up repair
removes the vectors the job had written. Files a job could not ingest are also
recorded in the data directory's ingest error log (:class:`~assistant.serving.ingest_log.IngestErrorLog`),
which the Library tab shows.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.serving.ingest_log import IngestErrorLog, IngestProblem
from assistant.serving.uploads import SavedUpload, UploadFields, UploadReport
from ingest.progress import FileStatus, IngestControl
from policychat.errors import JobFinishedError, JobNotFoundError, PolicychatError

# Ingests one job's saved uploads with its form fields, under the control the job cancels through.
IngestUploads = Callable[[list[SavedUpload], UploadFields, IngestControl], UploadReport]

log = logging.getLogger(__name__)

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL_STATES = frozenset({"done", "failed", "cancelled"})
KEEP_JOBS = 100


@dataclass(eq=False)
class Job:
    """One upload being ingested in the background: its files, state, progress and outcome."""

    id: str
    uploads: list[SavedUpload]
    fields: UploadFields
    state: str = "queued"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    cancel_requested: bool = False
    report: UploadReport | None = None
    detail: str | None = None
    control: IngestControl = field(default_factory=IngestControl)

    @property
    def finished(self) -> bool:
        """True in a final state (done, failed, cancelled)."""
        return self.state in FINAL_STATES

    def files(self) -> list[tuple[str, FileStatus]]:
        """``(client file name, status)`` per uploaded file, in upload order."""
        names = {str(u.path): u.client_name for u in self.uploads}
        statuses = {s.path: s for s in self.control.snapshot()}
        return [(names[str(u.path)], statuses.get(str(u.path)) or FileStatus(str(u.path), state=self._file_state()))
                for u in self.uploads]

    def _file_state(self) -> str:
        """The state of a file the run never reached."""
        return "cancelled" if self.state == "cancelled" else "failed" if self.state == "failed" else "queued"


class JobQueue:
    """The jobs of one server and the worker thread that runs them, oldest first."""

    def __init__(self, ingest: IngestUploads, error_log: IngestErrorLog) -> None:
        """Run each job with ``ingest``; record files it could not ingest in ``error_log``.

        The worker thread starts with the first job.
        """
        self._ingest = ingest
        self._error_log = error_log
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._changed = threading.Condition()
        self._worker: threading.Thread | None = None
        self._stopping = False

    def submit(self, uploads: list[SavedUpload], fields: UploadFields) -> Job:
        """Queue saved uploads for ingest; returns the job at once (state "queued")."""
        job = Job(uuid.uuid4().hex[:16], uploads, fields)
        with self._changed:
            self._jobs[job.id] = job
            self._queue.append(job)
            self._forget_old()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="policychat-ingest-jobs", daemon=True)
                self._worker.start()
            self._changed.notify_all()
        return job

    def get(self, job_id: str) -> Job:
        """The job with this id.

        Raises:
            JobNotFoundError: no such job in this server's memory.
        """
        with self._changed:
            job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(f"No job with id {job_id!r}; GET /v1/jobs lists the recent jobs of this server.")
        return job

    def list(self) -> list[Job]:
        """The recent jobs, newest first."""
        with self._changed:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def wait(self, job_id: str, timeout: float) -> Job:
        """The job once it has finished, or as it is after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        job = self.get(job_id)
        with self._changed:
            while not job.finished and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
        return job

    def cancel(self, job_id: str, wait: float = 60.0) -> Job:
        """Cancel a job: a queued one never runs; a running one stops at its next check and stores nothing.

        Args:
            job_id: the job.
            wait: seconds to wait for a running job to stop before returning it as it is.

        Raises:
            JobNotFoundError: no such job.
            JobFinishedError: the job has already finished.
        """
        job = self.get(job_id)
        with self._changed:
            if job.finished:
                raise JobFinishedError(
                    f"Job {job_id} has already finished ({job.state}); remove its sources with "
                    "DELETE /v1/sources/{id} instead.")
            job.cancel_requested = True
            job.control.cancel()
            if job.state == "queued":
                self._queue.remove(job)
                self._finish(job, "cancelled")
        if job.state == "cancelled" and job.started_at is None:
            for upload in job.uploads:
                upload.path.unlink(missing_ok=True)
        return self.wait(job_id, wait)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel the running job and every queued one, and stop the worker (at server shutdown)."""
        with self._changed:
            self._stopping = True
            pending = list(self._queue)
            running = [j for j in self._jobs.values() if j.state == "running"]
            self._changed.notify_all()
        for job in pending + running:
            try:
                self.cancel(job.id, wait=0)
            except JobFinishedError:
                pass
        if self._worker is not None:
            self._worker.join(timeout)

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._stopping:
                    self._changed.wait()
                if self._stopping:
                    return
                job = self._queue.popleft()
                job.state, job.started_at = "running", time.time()
                self._changed.notify_all()
            self._run(job)

    def _run(self, job: Job) -> None:
        state, detail, report = "failed", None, None
        try:
            report = self._ingest(job.uploads, job.fields, job.control)
            if report.cancelled:
                state = "cancelled"
            elif report.added or report.updated or report.unchanged:
                state = "done"
            else:
                detail = "no file of the upload could be ingested: " + "; ".join(
                    f"{e.file}: {e.reason}" for e in report.errors)
        except PolicychatError as exc:
            detail = str(exc)
            for upload in job.uploads:
                detail = detail.replace(str(upload.path.resolve()), upload.client_name)
                detail = detail.replace(str(upload.path), upload.client_name)
        except Exception as exc:  # the worker must outlive any bug; the job reports it
            log.exception("ingest job %s failed", job.id)
            detail = f"internal error while ingesting ({type(exc).__name__}: {exc})"
        if report is not None and report.errors:
            self._log_errors(job, report)
        with self._changed:
            job.report, job.detail = report, detail
            self._finish(job, state)

    def _log_errors(self, job: Job, report: UploadReport) -> None:
        """Record the files of ``job`` that could not be ingested in the ingest error log."""
        names = {u.client_name: u.source_id for u in job.uploads}
        self._error_log.add(
            [IngestProblem(time.time(), names.get(e.file, e.file), e.file, e.reason) for e in report.errors])

    def _finish(self, job: Job, state: str) -> None:
        """Set a final state (the caller holds the condition) and wake every waiter."""
        job.state, job.finished_at = state, time.time()
        self._changed.notify_all()

    def _forget_old(self) -> None:
        """Keep at most :data:`KEEP_JOBS` jobs, dropping the oldest finished ones."""
        finished = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j.created_at)
        for job in finished[: max(0, len(self._jobs) - KEEP_JOBS)]:
            del self._jobs[job.id]
