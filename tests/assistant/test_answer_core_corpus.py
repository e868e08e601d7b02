"""The answer-core issue's own examples, on the shared corpus (and the Ruritania notice uploaded beside it).

Each test reads the answer the way a user would: the asked fact near the top, a lead only when it is the
answer, no "does not give" beside a quote that gives it, the right documents cited.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from testsupport import NOT_STATED, RURITANIA, assert_markers_match, make_settings, write_docs

from assistant.models import Answer, AnswerRequest, ChatTurn
from assistant.service import AnswerService

EO_14110 = "us-eo-14110-safe-secure-trustworthy-ai-2023"
EO_14179 = "us-eo-14179-removing-barriers-ai-2025"
UN_RESOLUTION = "un-ga-res-78-265-safe-secure-trustworthy-ai-2024"
NSM = "us-nsm-ai-national-security-2024-10"
INTERIM = {"cn-genai-interim-measures-2023-zh", "cn-genai-interim-measures-2023-casi-en"}


@pytest.fixture(scope="module")
def corpus(ingested: Any) -> AnswerService:
    return AnswerService(ingested.settings, ingested.library)


@pytest.fixture(scope="module")
def beside_corpus(ingested: Any, tmp_path_factory: pytest.TempPathFactory) -> AnswerService:
    """A copy of the ingested corpus with the Ruritania notice uploaded into it (the session's library is shared)."""
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("beside-corpus")
    shutil.copytree(Path(ingested.settings.store.data_dir), root / "data")
    settings = make_settings(root / "data")
    library = Library(settings)
    report = ingest_paths(library, [write_docs(root / "notice", RURITANIA)])
    assert not report.errors and len(library.catalog.records()) == len(ingested.library.catalog.records()) + 1
    return AnswerService(settings, library)


def ask(service: AnswerService, question: str, history: list[ChatTurn] | None = None) -> Answer:
    answer = service.answer(AnswerRequest(question=question, history=history or []))
    assert answer.citations, f"{question!r} was refused: {answer.answer[:300]}"
    assert_markers_match(answer.answer, [c.marker for c in answer.citations])
    return answer


def first_cited(answer: Answer) -> str:
    marker = int(re.search(r"\[(\d+)\]", answer.answer).group(1))  # type: ignore[union-attr]
    return next(c.source_id for c in answer.citations if c.marker == marker)


# -- the Ruritania notice beside the corpus ---------------------------------------------------------------------


def test_ruritania_who_runs_the_registry(beside_corpus: AnswerService) -> None:
    answer = ask(beside_corpus, "Who will run the Ruritanian compute registry?")
    assert "Office of Frontier Computing" in answer.answer[:400]
    assert not answer.answer.startswith("Ruritanian Ministry of Digital Affairs [")
    assert first_cited(answer) == "ruritania-compute-registry"


def test_ruritania_accelerator_threshold(beside_corpus: AnswerService) -> None:
    answer = ask(beside_corpus, "How many AI accelerators trigger registration for the Ruritanian compute registry?")
    assert "4,096" in answer.answer[:300]
    assert not answer.answer.startswith("2.5 million")


def test_ruritania_fine_is_given_not_refused(beside_corpus: AnswerService) -> None:
    answer = ask(beside_corpus, "What is the fine for missing the Ruritanian registration deadline?")
    assert "2.5 million Ruritanian crowns" in answer.answer[:200]
    assert not NOT_STATED.search(answer.answer) and not answer.abstained


# -- the corpus ------------------------------------------------------------------------------------------------


def test_interim_measures_date_part_is_answered(corpus: AnswerService) -> None:
    answer = ask(corpus, "When did the Interim Measures for generative AI take effect, and which bodies jointly "
                         "issued them?")
    assert len(answer.parts) == 2
    date_part = answer.parts[0]
    assert date_part.supported and "August 15, 2023" in date_part.text[:200]
    assert "does not give a date" not in answer.answer
    assert {c.source_id for c in answer.citations} <= INTERIM


def test_watermarking_comparison_is_about_the_named_documents(corpus: AnswerService) -> None:
    answer = ask(corpus, "How do the G7 code of conduct and the UN General Assembly resolution differ on "
                         "watermarking?")
    assert not answer.answer.startswith("United States:")
    assert first_cited(answer) == UN_RESOLUTION and NSM not in {c.source_id for c in answer.citations}
    assert "watermarking" in answer.answer[:400]
    assert "does not hold the G7 code of conduct" in answer.answer  # the side the library lacks is named


def test_eo_14110_board_lead_is_the_agency_not_the_board(corpus: AnswerService) -> None:
    answer = ask(corpus, "Which agency does EO 14110 put in charge of the AI Safety and Security Board?")
    lead = answer.parts[0].lead
    assert lead is None or "Board" not in lead
    assert "Secretary of Homeland Security" in answer.answer[:120]
    assert first_cited(answer) == EO_14110


def test_eo_14110_compute_threshold_keeps_its_exponent(corpus: AnswerService) -> None:
    answer = ask(corpus, "What compute threshold did EO 14110 set for reporting?")
    assert "10^26" in answer.answer[:300] and "1026" not in answer.answer
    assert any("10^26" in c.quote for c in answer.citations)


def test_a_chinese_question_after_an_eo_14179_thread_is_answered_fresh(corpus: AnswerService) -> None:
    first = ask(corpus, "What does Executive Order 14179 direct agencies to do?")
    assert first_cited(first) == EO_14179
    history = [ChatTurn(role="user", content="What does Executive Order 14179 direct agencies to do?"),
               ChatTurn(role="assistant", content=first.answer)]
    answer = ask(corpus, "生成式人工智能服务提供者应当履行哪些义务？", history)
    assert first_cited(answer) in INTERIM
    assert EO_14179 not in {c.source_id for c in answer.citations}
    assert re.search(r"提供者", answer.answer[:200])
