"""Per-source eval health: how often the latest evaluation answered each source's questions right.

``policychat eval run`` writes ``eval_health.json`` into the data directory (:func:`merge_eval_health`);
every card (CLI, UI, API) reads it (:func:`read_eval_health`). It lives in the core package because
the eval writes it and the assistant reads it, and the assistant must not import the eval. The file::

    {"<source_id>": {"pass_rate": 0.78, "right": 7, "items": 9, "date": "2026-12-07",
                     "report": "eval/reports/20261207-101500/report.md"}, ...}
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

HEALTH_FILE = "eval_health.json"
log = logging.getLogger(__name__)


class SourceHealth(BaseModel):
    """How one source fared in the latest evaluation that asked about it."""

    pass_rate: float = Field(ge=0.0, le=1.0, description="Share of the source's items answered right.")
    right: int = Field(ge=0, description="Items about the source answered right.")
    items: int = Field(ge=1, description="Items about the source (their gold sources name it).")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Day of the run (YYYY-MM-DD).")
    report: str = Field("", description="The run's report.md.")

    def describe(self) -> str:
        """``7/9 right (0.78), 2026-12-07``: the line a card shows after "Eval:"."""
        return f"{self.right}/{self.items} right ({self.pass_rate:.2f}), {self.date}"


_FILE = TypeAdapter(dict[str, SourceHealth])


def health_path(data_dir: Path) -> Path:
    """Where the eval health of the library in ``data_dir`` is stored."""
    return Path(data_dir) / HEALTH_FILE


def read_eval_health(data_dir: Path) -> dict[str, SourceHealth]:
    """Every source's stored eval health; empty when none was written or the file cannot be read.

    A damaged file is logged and read as empty: a card must not fail over a figure about it.
    """
    path = health_path(data_dir)
    try:
        return _FILE.validate_json(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValidationError) as exc:
        log.warning("%s: cannot read the eval health (%s); cards show none", path, exc)
        return {}


def merge_eval_health(data_dir: Path, entries: Mapping[str, SourceHealth]) -> dict[str, SourceHealth]:
    """Merge ``entries`` into the stored eval health and write the file atomically; return what was written.

    Per source the newer run wins: an entry replaces a stored one unless the stored one is
    dated later (same day: the new entry wins). Sources not in ``entries`` are kept.
    """
    merged = read_eval_health(data_dir)
    for source_id, entry in entries.items():
        old = merged.get(source_id)
        if old is None or entry.date >= old.date:
            merged[source_id] = entry
    path = health_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({k: v.model_dump() for k, v in sorted(merged.items())}, indent=1, ensure_ascii=False)
    # Written beside the target and renamed over it, so a reader never sees half a file.
    handle, tmp = tempfile.mkstemp(prefix=".eval_health.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return merged
