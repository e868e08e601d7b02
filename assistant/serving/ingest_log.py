"""Why ingests of a data directory failed: ``<data_dir>/ingest-errors.jsonl``.

One JSON line per file that could not be ingested (from upload jobs, API or UI, and
re-ingests), with the source id it was meant for, so the Library tab can show a source's
errors. The file is capped at :data:`MAX_LOG_LINES` lines.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

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
