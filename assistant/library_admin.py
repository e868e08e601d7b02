"""Managing single sources of a running server: re-ingest one, and remember why ingests failed.

The error log is a JSON-lines file, ``<data_dir>/ingest-errors.jsonl``: one line
per file that could not be ingested (from upload jobs, API or UI, and re-ingests),
with the source id it was meant for, so the Library tab can show a source's
errors. The file is capped at :data:`MAX_LOG_LINES` lines.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.runtime import Runtime
from ingest.pipeline import ingest_paths
from policychat.errors import IngestError, SourceNotFoundError

MAX_LOG_LINES = 2000
_LOG_LOCK = threading.Lock()


@dataclass(frozen=True)
class IngestProblem:
    """One failed ingest of a file: when, for which source id, the file's name and the reason."""

    at: float
    source_id: str
    file: str
    reason: str


class IngestErrorLog:
    """The ingest errors of one data directory, newest last."""

    def __init__(self, data_dir: Path) -> None:
        """Use ``<data_dir>/ingest-errors.jsonl``."""
        self.path = Path(data_dir) / "ingest-errors.jsonl"

    def add(self, problems: list[IngestProblem]) -> None:
        """Append ``problems`` (the oldest lines go once the log is over its cap); a full disk only skips it."""
        if not problems:
            return
        with _LOG_LOCK:
            lines = [json.dumps(asdict(p), ensure_ascii=False) for p in problems]
            try:
                kept = self.path.read_text(encoding="utf-8").splitlines() if self.path.is_file() else []
                self.path.write_text("\n".join([*kept, *lines][-MAX_LOG_LINES:]) + "\n", encoding="utf-8")
            except OSError:
                pass

    def read(self, source_id: str | None = None, limit: int = 50) -> list[IngestProblem]:
        """The latest problems (of ``source_id`` when given), newest first."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        problems = []
        for line in reversed(lines):
            try:
                problem = IngestProblem(**json.loads(line))
            except (ValueError, TypeError):
                continue
            if source_id is None or problem.source_id == source_id:
                problems.append(problem)
            if len(problems) >= limit:
                break
        return problems


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
    reason is logged in :class:`IngestErrorLog`.

    Raises:
        SourceNotFoundError: no such source.
    """
    log = IngestErrorLog(Path(runtime.settings.store.data_dir))
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
