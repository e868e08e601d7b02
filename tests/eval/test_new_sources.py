"""The new-source flow: draft questions from the cards of unseen documents, evaluate them apart from the main index."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from testsupport import SHARED_EXTRA, make_settings, require_or_skip

from eval.dataset import KINDS, GoldItem, load_gold
from eval.newsources import draft_questions
from ingest.loaders import load_document

EXTRA_DOCS = ("us-bis-license-policy-semiconductors-china-2026-01", "us-nsc-statement-us-prc-ai-talks-geneva-2024-05",
              "g7-hiroshima-code-of-conduct-2023")
CORPUS_DOCS = ("us-eo-14110-safe-secure-trustworthy-ai-2023", "us-eo-14179-removing-barriers-ai-2025",
               "cn-genai-interim-measures-2023-zh")


def _copy_corpus_docs(corpus: Path, folder: Path, ids: tuple[str, ...]) -> Path:
    """Copy some shared-corpus documents with their catalog rows into ``folder`` (a new-sources folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (corpus / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["id"] in ids]
        fields = list(reader.fieldnames or [])
    for row in rows:
        shutil.copy(corpus / row["file"], folder / row["file"])
    with (folder / "catalog.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _flat(text: str) -> str:
    return "".join(text.split()).lower()


def _longest_shared_run(question: str, evidence: str) -> int:
    """Longest run of consecutive words (Chinese: characters) the question shares with the evidence."""
    q = list(question) if re.search(r"[\u3400-\u9fff]", question) else question.lower().split()
    e = "".join(evidence.split()) if re.search(r"[\u3400-\u9fff]", question) else " ".join(evidence.lower().split())
    joiner = "" if re.search(r"[\u3400-\u9fff]", question) else " "
    best = 0
    for i in range(len(q)):
        for j in range(i + best + 1, len(q) + 1):
            if joiner.join(q[i:j]) not in e:
                break
            best = j - i
    return best


@pytest.fixture(scope="module")
def drafted(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[GoldItem], dict[str, str]]:
    folder = _copy_corpus_docs(corpus_dir, tmp_path_factory.mktemp("new-docs"), CORPUS_DOCS)
    settings = make_settings(folder.parent / "data")
    items = draft_questions(folder, known_sources=set(), settings=settings)
    texts = {p.stem: load_document(p).text for p in folder.glob("*.*") if p.suffix != ".csv"}
    return items, texts


def test_drafts_cover_every_kind_of_user_question(drafted: tuple[list[GoldItem], dict[str, str]]) -> None:
    items, _ = drafted
    assert items
    assert all(not item.reviewed and item.split == "dev" and item.kind in KINDS for item in items)
    assert len({item.id for item in items}) == len(items)
    kinds = {item.kind for item in items}
    assert {"definition", "factoid", "who", "status", "summary", "near-miss", "yesno", "describe"} <= kinds
    by_source = {s for item in items for s in item.gold_sources}
    assert by_source == set(CORPUS_DOCS)
    questions = [item.question for item in items]
    assert "What does Executive Order 14179 revoke?" in questions
    assert "Is Executive Order 14110 still in force?" in questions
    assert "What is Executive Order 14110 about?" in questions
    assert "《生成式人工智能服务管理暂行办法》自什么时候起施行？" in questions
    assert any(q.startswith("How many days does the Secretary of ") for q in questions)
    assert any(q.startswith("Under Executive Order 14110, who must ") for q in questions)
    assert any(q.startswith("How does Executive Order 14110 define “") for q in questions)
    # one question per document in the other language: English about the Chinese text, Chinese about the English
    crossed = [item for item in items if "cross-lingual" in item.tags]
    assert {"cn-genai-interim-measures-2023-zh", "us-eo-14110-safe-secure-trustworthy-ai-2023"} <= {
        s for item in crossed for s in item.gold_sources}
    english = next(i for i in crossed if i.gold_sources == ["cn-genai-interim-measures-2023-zh"])
    assert english.language == "en" and "August 15, 2023" in english.must_include[0]
    status = next(i for i in items if i.question == "Is Executive Order 14110 still in force?")
    assert status.gold_sources == ["us-eo-14179-removing-barriers-ai-2025"] and status.must_include == [["revoked"]]
    assert "the revoked Executive Order 14110" in " ".join(status.evidence[0].quote.split())


def test_evidence_is_verbatim_and_questions_paraphrase_it(drafted: tuple[list[GoldItem], dict[str, str]]) -> None:
    items, texts = drafted
    answerable = [item for item in items if item.answerable]
    assert answerable
    for item in answerable:
        assert item.evidence and item.must_include, item.id
        for evidence in item.evidence:
            assert evidence.quote in texts[evidence.source_id], (item.id, evidence.quote[:80])
            assert _flat(evidence.quote) not in _flat(item.question)
            assert _longest_shared_run(item.question, evidence.quote) < (20 if item.language == "zh" else 10), \
                item.question
        quotes = _flat(" ".join(e.quote for e in item.evidence))
        for group in item.must_include:  # every key fact can be found in the evidence ...
            assert any(_flat(alt) in quotes for alt in group), (item.id, group)
            assert not any(_flat(alt) in _flat(item.question) for alt in group), item.question  # ... nor the question


def test_near_misses_ask_for_values_the_document_does_not_give(
    drafted: tuple[list[GoldItem], dict[str, str]]
) -> None:
    items, texts = drafted
    near = [item for item in items if item.kind == "near-miss"]
    assert len(near) == len(CORPUS_DOCS)  # one near-miss per document
    assert all(not i.answerable and not i.gold_sources and not i.evidence and not i.must_include for i in near)
    checked = 0
    for item in near:
        name = item.question
        source = next(s for s in CORPUS_DOCS if any(n in name for n in _names(s)))
        text = _flat(texts[source])
        period = re.search(r"within (\d+) (days|months|years)", name)
        actor = re.search(r"require (the [A-Z][\w ]+?) to do\?|，(\S+?)应当履行", name)
        if period:
            number, unit = period.groups()
            assert not any(_flat(v) in text for v in (f"{number} {unit}", f"{number}-{unit[:-1]}")), name
            checked += 1
        if actor:
            assert _flat(actor.group(1) or actor.group(2)) not in text, name
            checked += 1
        if "maximum fine" in name or "最高罚款" in name:
            assert not re.search(r"[$¥]\s?\d|\d+\s*(?:dollars|万元|元)", texts[source]), name
            checked += 1
    assert checked >= len(near) - 1


def _names(source_id: str) -> tuple[str, ...]:
    return {"us-eo-14110-safe-secure-trustworthy-ai-2023": ("Executive Order 14110",),
            "us-eo-14179-removing-barriers-ai-2025": ("Executive Order 14179",),
            "cn-genai-interim-measures-2023-zh": ("生成式人工智能服务管理暂行办法",)}[source_id]


def test_known_sources_are_skipped(corpus_dir: Path, tmp_path: Path) -> None:
    folder = _copy_corpus_docs(corpus_dir, tmp_path / "new", CORPUS_DOCS[1:2])
    settings = make_settings(tmp_path / "data")
    assert draft_questions(folder, known_sources=set(CORPUS_DOCS), settings=settings) == []


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    # eval-sources/ holds the scratch libraries; eval_health.json is the eval's own file, not the index.
    for path in sorted(p for p in folder.rglob("*")
                       if p.is_file() and "eval-sources" not in p.parts and p.name != "eval_health.json"):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_generate_then_run_on_the_extra_documents_reports_per_kind_and_leaves_the_main_index_alone(
    corpus_dir: Path, cli: Callable[..., Any], make_library: Callable[..., Any], tmp_path: Path
) -> None:
    from ingest.pipeline import ingest_paths

    extra = SHARED_EXTRA
    if not (extra / "catalog.csv").is_file():
        require_or_skip("corpus", f"the extra shared documents are absent ({extra})")
    main_docs = tmp_path / "main-docs"
    main_docs.mkdir()
    (main_docs / "keep.md").write_text("# Keep\n\nThe grid board meets every spring to review reserve margins of "
                                       "regional operators.\n", encoding="utf-8")
    data_dir = tmp_path / "data"
    assert not ingest_paths(make_library(data_dir), [main_docs]).errors
    before = _digest(data_dir)

    drafted = tmp_path / "drafted.jsonl"
    generated = cli("eval", "generate", "--sources", str(extra), "--out", str(drafted), data_dir=data_dir)
    assert generated.returncode == 0, generated.stderr
    assert "unreviewed questions (" in generated.stdout
    items = load_gold(drafted)
    assert len(items) >= 6 and {s for item in items for s in item.gold_sources} == set(EXTRA_DOCS)
    kinds = {item.kind for item in items}
    assert {"summary", "near-miss"} <= kinds  # three one-page statements: what they are about, and a near-miss

    report = tmp_path / "report"
    # The drafted questions double as the "gold set" asked before and after: the main library cannot answer them.
    run = cli("eval", "run", "--sources", str(extra), "--dataset", str(drafted), "--no-ablations", "--out",
              str(report), "--changes-dataset", str(drafted), data_dir=data_dir, timeout=900)
    assert run.returncode in (0, 1), run.stderr  # gates are tuned for the gold set; a miss here is not an error
    for scope, n_sources in (("new", 3), ("whole", 4)):
        written = json.loads((report / scope / "summary.json").read_text())
        summary, groups = written["summary"], written["groups"]["kind"]
        assert summary["items"] == len(items)
        assert set(groups) == kinds and all(groups[k]["items"] >= 1 for k in kinds)
        assert summary["hit@5"] is not None and summary["hit@5"] >= 0.5
        assert summary["citation_validity"] == 1.0
        assert groups["near-miss"]["refusal_accuracy"] is not None
        assert "## By kind" in (report / scope / "report.md").read_text()
        assert (report / scope / "report.html").is_file()
        assert f"{n_sources} sources" in run.stderr
    assert _digest(data_dir) == before, "the main library must not be written"
    changes = json.loads((report / "whole" / "summary.json").read_text())["changes"]
    assert changes["skipped"] is None and changes["compared"] == len(items)
    assert changes["counts"]["wrong→right"] >= 1  # refused on the main library, answered with the sources
    assert "## What changed when the sources were added" in (report / "whole" / "report.md").read_text("utf-8")
    assert json.loads((report / "new" / "summary.json").read_text())["changes"] is None
    health = json.loads((data_dir / "eval_health.json").read_text())
    assert set(health) == {s for item in items for s in item.gold_sources}
    assert all(h["report"] == str(report / "whole" / "report.md") and h["items"] >= 1 for h in health.values())
