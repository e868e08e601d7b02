"""Question analysis on 234 labelled questions (English and Chinese) and document references from the catalog.

The labelled set (tests/assistant/data/labelled_questions.jsonl) was written apart
from the evaluation gold set, so the analyser is never tested on evaluation items.
Thresholds are rates over the whole set, each printed with the misses.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.core.analysis import analyze_question
from ingest.directory import DocumentDirectory
from ingest.models import SourceMeta

DATA = Path(__file__).parent / "data" / "labelled_questions.jsonl"
LABELLED = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def directory(corpus_dir: Path) -> DocumentDirectory:
    """The document directory of the shared corpus's catalog (its titles, publishers and dates)."""
    with (corpus_dir / "catalog.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    metas = [
        SourceMeta(id=r["id"], title=r["title"], publisher=r["publisher"], country=r["country"], date=r["date"],
                   doc_type=r["doc_type"], language="zh" if "-zh" in r["id"] else "en")
        for r in rows
    ]
    return DocumentDirectory(metas)


def _rate(pairs: list[tuple[object, object, str]]) -> tuple[float, list[str]]:
    misses = [f"{want!r} got {got!r}: {question}" for want, got, question in pairs if want != got]
    return 1 - len(misses) / len(pairs), misses


def test_the_labelled_set_is_large_and_covers_both_languages_and_every_kind() -> None:
    kinds = Counter(q["kind"] for q in LABELLED)
    assert len(LABELLED) >= 150
    assert sum(q["language"] == "zh" for q in LABELLED) >= 40
    assert set(kinds) == {
        "definition", "who", "list", "factoid", "status", "yesno", "summary", "comparison", "procedure", "why",
        "describe",
    }


def test_kind_is_right_for_nine_in_ten(directory: DocumentDirectory) -> None:
    pairs = [(q["kind"], analyze_question(q["question"], (), directory).kind, q["question"]) for q in LABELLED]
    rate, misses = _rate(pairs)
    assert rate >= 0.9, f"kind accuracy {rate:.3f}; misses:\n" + "\n".join(misses)


def test_answer_type_of_factoids(directory: DocumentDirectory) -> None:
    factoids = [q for q in LABELLED if q["kind"] == "factoid"]
    pairs = [
        (q["answer_type"], analyze_question(q["question"], (), directory).answer_type, q["question"]) for q in factoids
    ]
    rate, misses = _rate(pairs)
    assert len(factoids) >= 40
    assert rate >= 0.85, f"answer-type accuracy {rate:.3f}; misses:\n" + "\n".join(misses)


def test_language_and_requested_count(directory: DocumentDirectory) -> None:
    languages = [(q["language"], analyze_question(q["question"]).language, q["question"]) for q in LABELLED]
    counts = [(q["count"], analyze_question(q["question"]).count, q["question"]) for q in LABELLED]
    assert _rate(languages)[0] == 1.0, _rate(languages)[1]
    rate, misses = _rate(counts)
    assert sum(q["count"] is not None for q in LABELLED) >= 10
    assert rate >= 0.95, f"count accuracy {rate:.3f}; misses:\n" + "\n".join(misses)


def test_document_references_resolve_to_catalog_ids(directory: DocumentDirectory) -> None:
    pairs = [
        (sorted(q["doc_refs"]), sorted(directory.resolve(q["question"])), q["question"])
        for q in LABELLED
    ]
    rate, misses = _rate(pairs)
    assert sum(bool(q["doc_refs"]) for q in LABELLED) >= 40
    assert rate >= 0.85, f"document references exact for {rate:.3f}; misses:\n" + "\n".join(misses)


@pytest.mark.parametrize(
    ("question", "refs"),
    [
        ("Is EO 14110 still in force?", ["us-eo-14110-safe-secure-trustworthy-ai-2023"]),
        ("What are the functions of the AI RMF core?", ["us-nist-ai-rmf-1-0-2023"]),
        ("TC260-003对关键词库有什么要求?", ["cn-tc260-003-genai-service-security-requirements-2024-zh"]),
        (
            "《生成式人工智能服务管理暂行办法》自何时起施行?",
            ["cn-genai-interim-measures-2023-casi-en", "cn-genai-interim-measures-2023-zh"],
        ),
        ("What does resolution 78/265 ask of states?", ["un-ga-res-78-265-safe-secure-trustworthy-ai-2024"]),
    ],
)
def test_named_documents(directory: DocumentDirectory, question: str, refs: list[str]) -> None:
    assert sorted(directory.resolve(question)) == refs


def test_focus_drops_question_words_and_the_document_name(directory: DocumentDirectory) -> None:
    analysis = analyze_question("When was the AI Diffusion Rule issued?", (), directory)
    assert (analysis.kind, analysis.answer_type) == ("factoid", "date")
    assert analysis.focus_terms == {"issu"}
    assert analysis.doc_refs == ("us-wh-fact-sheet-ai-diffusion-rule-2025-01",)
    zh = analyze_question("《生成式人工智能服务管理暂行办法》自何时起施行?", (), directory)
    assert zh.language == "zh" and zh.answer_type == "date"
    assert "施行" in zh.focus_terms and "何时" not in zh.focus_terms


def test_yes_no_questions_search_for_the_opposite_too() -> None:
    analysis = analyze_question("Is the NIST AI RMF mandatory?")
    assert analysis.kind == "yesno" and "voluntary" in analysis.search_terms
