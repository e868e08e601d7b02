"""What the extractive answer picks: cross-lingual evidence, list lead-ins, product codes, comparisons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.core.analysis import analyze_question
from assistant.core.evidence import mentions, product_codes
from assistant.models import AnswerRequest
from assistant.retrieval.crosslingual import chinese_terms
from assistant.service import AnswerService

TC260 = "cn-tc260-003-genai-service-security-requirements-2024-zh"


@pytest.fixture(scope="module")
def corpus_service(ingested: Any) -> AnswerService:
    return AnswerService(ingested.settings, ingested.library)


def test_glossary_gives_chinese_terms_for_english_policy_words() -> None:
    terms = chinese_terms("How large must the keyword library be, and how often is it updated weekly?").split()
    assert "关键词库" in terms and "每周" in terms
    assert chinese_terms("Adoption-rate targets for open-source agents").split()[:2] == ["普及率", "应用普及率"]
    assert chinese_terms("生成式人工智能服务实行什么监管?") == ""  # already Chinese
    assert chinese_terms("When did the summit in Woodside happen?") == ""  # no policy vocabulary


def test_english_question_finds_a_source_that_exists_only_in_chinese(corpus_service: AnswerService) -> None:
    answer = corpus_service.answer(
        AnswerRequest(question="Under TC260-003, what size must the keyword library have and how often is it updated?")
    )
    assert TC260 in [p.source_id for p in answer.retrieved[:5]]
    assert not answer.abstained
    assert "10000" in answer.answer
    assert TC260 in {c.source_id for c in answer.citations}


def test_a_lead_in_that_carries_the_facts_can_answer(corpus_service: AnswerService) -> None:
    question = "Which official instructed BIS enforcement officials not to enforce the AI Diffusion Rule?"
    answer = corpus_service.answer(AnswerRequest(question=question))
    assert "Kessler" in answer.answer  # the sentence ends "..., stating:" and used to be skipped


def test_product_codes_must_match_whole_words() -> None:
    assert product_codes("Did NVIDIA pay a share of H20 revenue for MI325X and ECCN 3A090 items?") == {
        "H20", "MI325X", "3A090"
    }
    assert not mentions("the nvidia h200 and amd mi325x", "H20")
    assert mentions("the nvidia h200 and amd mi325x", "MI325X")
    assert mentions("tc260-003 sets basic requirements", "TC260")


def test_question_about_a_product_the_library_never_names_is_refused(corpus_service: AnswerService) -> None:
    answer = corpus_service.answer(
        AnswerRequest(question="What share of H20 chip sales revenue did NVIDIA agree to pay the US government?")
    )
    assert answer.abstained


def test_how_do_a_and_b_questions_naming_both_countries_are_comparisons(corpus_service: AnswerService) -> None:
    directory = corpus_service.retriever.snapshot().directory()
    question = "How do the US AI Action Plan and China's 'AI+' opinion treat open-source AI?"
    both = analyze_question(question, (), directory)
    assert both.comparison and len(both.sides) == 2
    assert {side.country for side in both.sides} == {"US", "CN"}
    assert not analyze_question("How do export controls on chips to China work?", (), directory).comparison


def test_empty_list_lead_ins_are_not_answers(make_library: Callable[..., Any], tmp_path: Path) -> None:
    from ingest.pipeline import ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "grid-compact.md").write_text(
        "# The Grid Compact\n\n"
        "The obligations of grid operators under the Grid Compact are as follows:\n\n"
        "- Grid operators must report every outage longer than four hours to the Grid Board within two days.\n"
        "- Grid operators must publish their reserve margins each quarter.\n",
        encoding="utf-8",
    )
    library = make_library(tmp_path / "data")
    assert not ingest_paths(library, [docs]).errors
    answer = AnswerService(library.settings, library).answer(
        AnswerRequest(question="What must grid operators report under the Grid Compact, and to whom?")
    )
    assert "Grid Board" in answer.answer
    assert "as follows" not in answer.answer
