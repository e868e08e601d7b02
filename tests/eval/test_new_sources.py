"""The new-source flow: draft questions for unseen documents, evaluate them apart from the main index."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.dataset import load_gold
from eval.newsources import draft_questions

NEW_DOCS = {
    "orbital-compute-act.md": (
        "# Orbital Compute Act\n\n"
        "The Orbital Compute Act requires every operator of an orbital data centre to file a safety case with the "
        "Lunar Registry Office before launch. The Act entered into force on 3 March 2031 after ratification.\n\n"
        "Operators shall report each cooling failure within 48 hours to the Orbital Safety Board.\n"
    ),
    "reef-data-charter.md": (
        "# Reef Data Charter\n\n"
        "Signatories of the charter must share coral telemetry with the Pacific Reef Observatory every quarter. "
        "The charter was signed in Suva by 14 island governments and the Pacific Islands Forum.\n"
    ),
}


def _write(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "eval-sources" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_drafts_cover_dates_quantities_and_named_bodies(tmp_path: Path) -> None:
    items = draft_questions(_write(tmp_path / "new", NEW_DOCS), known_sources=set())
    by_source: dict[str, list[Any]] = {}
    for item in items:
        by_source.setdefault(item.gold_sources[0], []).append(item)
        assert item.reviewed is False
        (group,) = item.must_include
        assert group[0] in item.evidence[0].quote and group[0] not in item.question
    assert set(by_source) == {"orbital-compute-act", "reef-data-charter"}
    facts = {item.must_include[0][0] for item in items}
    assert "3 March 2031" in facts
    assert "Pacific Reef Observatory" in facts or "Pacific Islands Forum" in facts
    assert draft_questions(tmp_path / "new", known_sources={"orbital-compute-act", "reef-data-charter"}) == []


def test_generate_then_run_reports_new_and_whole_and_leaves_the_main_index_alone(
    cli: Callable[..., Any], make_library: Callable[..., Any], tmp_path: Path
) -> None:
    from ingest.pipeline import ingest_paths

    main_docs = _write(tmp_path / "main-docs", {"keep.md": "# Keep\n\nThe grid board meets every spring to review "
                                                "reserve margins of regional operators.\n"})
    data_dir = tmp_path / "data"
    assert not ingest_paths(make_library(data_dir), [main_docs]).errors
    before = _digest(data_dir)

    new = _write(tmp_path / "new", NEW_DOCS)
    drafted = tmp_path / "drafted.jsonl"
    generated = cli("eval", "generate", "--sources", str(new), "--out", str(drafted), data_dir=data_dir)
    assert generated.returncode == 0, generated.stderr
    items = load_gold(drafted)
    assert len(items) >= 3

    report = tmp_path / "report"
    run = cli("eval", "run", "--sources", str(new), "--dataset", str(drafted), "--no-ablations", "--out",
              str(report), data_dir=data_dir)
    assert run.returncode in (0, 1), run.stderr  # gates are tuned for the gold set; a miss here is not an error
    for scope, n_sources in (("new", 2), ("whole", 3)):
        summary = json.loads((report / scope / "summary.json").read_text())["summary"]
        assert summary["items"] == len(items)
        assert summary["hit@5"] == 1.0  # each question quotes its own document
        assert summary["citation_validity"] == 1.0
        assert (report / scope / "report.html").is_file()
        assert f"{n_sources} sources" in run.stderr
    assert _digest(data_dir) == before, "the main library must not be written"
