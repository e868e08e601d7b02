"""What a benchmark run works on: the source folder, the questions, and fresh data directories."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from policychat.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
GOLD = REPO_ROOT / "eval" / "data" / "gold.jsonl"

_SMALL_DOCS = {
    "export-controls.md": "# Export controls\n\nThe United States restricts exports of advanced computing chips "
    "to China. The rule covers graphics processors above a performance threshold and the tools to make them.",
    "safety-framework.md": "# AI safety governance\n\nChina's framework asks developers of generative AI services "
    "to label synthetic content, assess risks before release and keep training data lawful.",
    "un-resolution.txt": "The United Nations General Assembly adopted a resolution on safe, secure and "
    "trustworthy artificial intelligence for sustainable development. Member states are encouraged to "
    "share best practices and close digital divides.",
    "action-plan.txt": "America's AI Action Plan has three pillars: accelerating innovation, building American "
    "AI infrastructure, and leading in international diplomacy and security.",
}


@dataclass
class Workload:
    """The sources to ingest, the questions to ask, and the scale-up factor for this size."""

    size: str
    sources: Path
    questions: list[str]
    scale_factors: list[int]
    answer_requests: dict[int, int]
    llm_questions: int = 3
    cold_starts: int = 3
    """How many server starts the cold-start figure is the median of (one on ``small``, which checks the harness)."""


def load_questions(limit: int) -> list[str]:
    """Return the first ``limit`` ``question`` fields of eval/data/gold.jsonl."""
    questions: list[str] = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            questions.append(json.loads(line)["question"])
        if len(questions) >= limit:
            break
    return questions


def make_settings(data_dir: Path, sources: Path | None = None) -> Settings:
    """Settings on ``data_dir`` that ignore any ``.env`` file and POLICYCHAT_DATA_DIR."""
    return Settings(data_dir=data_dir, sources=sources, _env_file=None)  # type: ignore[call-arg]


@contextmanager
def fresh_dir(prefix: str) -> Iterator[Path]:
    """A new temporary directory, removed afterwards (never the repository's ./data)."""
    path = Path(tempfile.mkdtemp(prefix=f"policychat-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def build_workload(size: str, scratch: Path) -> Workload | None:
    """Return the workload for ``size`` ("small" or "full"); None when the full corpus is absent.

    ``small`` writes four tiny Markdown/text documents into ``scratch`` (no PDF, so the
    PDF parse figure is absent there).
    """
    if size == "full":
        sources = Settings().store.sources
        if sources is None or not Path(sources).is_dir():
            return None
        return Workload(size, Path(sources), load_questions(200), [1, 10, 100], {1: 40, 4: 40, 16: 40}, llm_questions=5)
    folder = scratch / "small-sources"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in _SMALL_DOCS.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return Workload(size, folder, load_questions(5), [1, 10], {1: 4, 4: 8, 16: 16}, llm_questions=1, cold_starts=1)
