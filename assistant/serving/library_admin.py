"""Managing single sources of a running server: re-ingest one, recording why it failed.

A failed re-ingest is added to the data directory's ingest error log
(:class:`~assistant.serving.ingest_log.IngestErrorLog`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from assistant.serving.ingest_log import IngestProblem
from assistant.serving.runtime import Runtime
from ingest.pipeline import ingest_paths
from policychat.errors import IngestError, SourceNotFoundError


@dataclass(frozen=True)
class ReingestResult:
    """What a re-ingest did: the source id, chunks now stored, and the reason when it failed."""

    source_id: str
    chunks: int
    error: str | None = None


def reingest_source(runtime: Runtime, source_id: str) -> ReingestResult:
    """Parse, chunk and embed one source again from its file, keeping its id and metadata.

    An uploaded source keeps the metadata it was uploaded with; a source from a
    folder takes its metadata from the folder again (``catalog.csv``, sidecar,
    front matter). On failure the previous version stays in the library and the
    reason is logged in the runtime's ingest error log.

    Raises:
        SourceNotFoundError: no such source.
    """
    log = runtime.ingest_log
    with runtime.write_lock:
        library = runtime.service().library
        record = next((r for r in library.catalog.records() if r.meta.id == source_id), None)
        if record is None:
            raise SourceNotFoundError(f"No source with id {source_id!r}; the Library tab lists the ids.")
        path = Path(record.path)
        uploaded = path.resolve().parent == runtime.uploads_dir.resolve()
        overrides = {k: v for k, v in record.meta.to_dict().items() if v and k not in ("file", "language")}
        if not path.is_file():
            error = f"the file is gone ({path}); upload it again or ingest its folder"
            log.add([IngestProblem(time.time(), source_id, path.name, error)])
            return ReingestResult(source_id, record.n_chunks, error)
        library.catalog.forget_hash(source_id)
        try:
            report = ingest_paths(library, [path], overrides={path: overrides if uploaded else {"id": source_id}})
        except IngestError as exc:
            report = None
            error = exc.reason
    if report is not None and report.errors:
        error = "; ".join(e.reason for e in report.errors)
    elif report is not None:
        records = {r.meta.id: r for r in runtime.service().library.catalog.records()}
        if source_id in records:
            return ReingestResult(source_id, records[source_id].n_chunks)
        error = f"the file now yields the source id(s) {', '.join(report.ingested) or 'none'}, not {source_id!r}"
    log.add([IngestProblem(time.time(), source_id, path.name, error)])
    return ReingestResult(source_id, record.n_chunks, error)
