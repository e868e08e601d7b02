"""What changed when sources were added: the gold items whose answers differ between two runs.

:func:`compare_results` takes the per-item results of the same items before and after (the main
library, then the main library plus new sources) and returns a :class:`ChangeReport`: every item
whose answer text, cited sources and quotes, or refusal changed, with its direction (right→wrong,
wrong→right, still right, still wrong; "right" as :func:`eval.metrics.is_right`); two uncited
refusals are the same answer whatever their wording. Pure: it answers nothing and reads no files.
:func:`changes_markdown` renders the report.md section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from eval.metrics import ItemResult, is_right

Direction = Literal["right→wrong", "wrong→right", "still right", "still wrong"]
DIRECTIONS: tuple[Direction, ...] = ("right→wrong", "wrong→right", "still right", "still wrong")
"""Worst news first: the order of the counts and of the rows."""
Aspect = Literal["answer", "citations", "refusal"]
EXCERPT_CHARS = 120
SECTION_TITLE = "What changed when the sources were added"


@dataclass(frozen=True)
class ItemChange:
    """One gold item whose answer changed: what changed, which way, and the answers before and after."""

    id: str
    question: str
    direction: Direction
    changed: tuple[Aspect, ...]
    before: str
    after: str
    split: str = "dev"


@dataclass
class ChangeReport:
    """The items that changed between two runs of the same items, or why there was no comparison."""

    compared: int = 0
    changes: list[ItemChange] = field(default_factory=list)
    skipped: str | None = None
    """Why nothing was compared (e.g. the main library is on a Chroma server); None when it was."""
    missing: list[str] = field(default_factory=list)
    """Ids in only one of the two runs (not compared)."""

    def counts(self) -> dict[Direction, int]:
        """Changed items per direction, every direction listed."""
        return {d: sum(c.direction == d for c in self.changes) for d in DIRECTIONS}

    def to_dict(self) -> dict[str, object]:
        """The report as summary.json stores it under "changes"."""
        return {"skipped": self.skipped, "compared": self.compared, "changed": len(self.changes),
                "counts": self.counts(), "missing": self.missing, "items": [asdict(c) for c in self.changes]}


def _cited(result: ItemResult) -> list[tuple[str, str]]:
    """The cited (source, quote) pairs, in a fixed order: a renumbered marker is not a change."""
    return sorted((str(c.get("source_id", "")), str(c.get("quote", ""))) for c in result.citations)


def changed_aspects(before: ItemResult, after: ItemResult) -> tuple[Aspect, ...]:
    """Which of answer text, citations and refusal differ between two results of one item (empty: none).

    Two refusals that cite nothing count as the same answer: their wording names how many sources
    were searched, which every added source changes.
    """
    aspects: list[Aspect] = []
    bare_refusals = before.abstained and after.abstained and not before.citations and not after.citations
    if before.answer != after.answer and not bare_refusals:
        aspects.append("answer")
    if _cited(before) != _cited(after):
        aspects.append("citations")
    if before.abstained != after.abstained:
        aspects.append("refusal")
    return tuple(aspects)


def direction(before: ItemResult, after: ItemResult) -> Direction:
    """right→wrong, wrong→right, still right or still wrong (:func:`eval.metrics.is_right` before and after)."""
    was, now = is_right(before), is_right(after)
    if was != now:
        return "right→wrong" if was else "wrong→right"
    return "still right" if now else "still wrong"


def compare_results(
    before: Sequence[ItemResult], after: Sequence[ItemResult], questions: Mapping[str, str] | None = None
) -> ChangeReport:
    """The items whose answer, citations or refusal changed from ``before`` to ``after``.

    Args:
        before: results on the library as it was.
        after: results of the same items on the library with the new sources.
        questions: item id -> question text, for the rows (ids without one get "").

    Returns:
        A :class:`ChangeReport` whose changes are ordered by direction (:data:`DIRECTIONS`), then id.
    """
    earlier = {r.id: r for r in before}
    later = {r.id: r for r in after}
    common = [item_id for item_id in earlier if item_id in later]
    changes = []
    for item_id in common:
        old, new = earlier[item_id], later[item_id]
        aspects = changed_aspects(old, new)
        if aspects:
            changes.append(ItemChange(id=item_id, question=(questions or {}).get(item_id, ""),
                                      direction=direction(old, new), changed=aspects, before=old.answer,
                                      after=new.answer, split=new.split))
    changes.sort(key=lambda c: (DIRECTIONS.index(c.direction), c.id))
    missing = sorted(set(earlier) ^ set(later))
    return ChangeReport(compared=len(common), changes=changes, missing=missing)


def _cell(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One Markdown table cell: whitespace collapsed, pipes escaped, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    flat = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return flat.replace("|", "\\|")


def changes_markdown(report: ChangeReport | None) -> list[str]:
    """Lines of report.md's "What changed when the sources were added" section (none without a report)."""
    if report is None:
        return []
    lines = ["", f"## {SECTION_TITLE}", ""]
    if report.skipped:
        return [*lines, f"Not compared: {report.skipped}"]
    counts = report.counts()
    lines += [
        f"The gold set asked before (main library) and after (main library + new sources): {report.compared} "
        f"items, {len(report.changes)} with a different answer, citations or refusal. Right = every key fact and "
        "no refusal (unanswerable items: a refusal).", "",
        "| direction | items |", "|---|---|", *(f"| {d} | {n} |" for d, n in counts.items()),
    ]
    if report.missing:
        lines += ["", f"In only one of the two runs (not compared): {', '.join(report.missing)}"]
    if report.changes:
        lines += ["", "| id | question | direction | changed | before | after |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {c.id} | {_cell(c.question)} | {c.direction} | {', '.join(c.changed)} | {_cell(c.before)} | "
            f"{_cell(c.after)} |"
            for c in report.changes
        ]
    return lines
