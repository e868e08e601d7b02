"""Answers that answer: the asked-for fact first, honest refusals, summaries, on the shared corpus.

These are the questions the answers issue quoted as a new user would see them;
each checks the first line of the answer, not just that a fact appears somewhere.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from assistant.models import AnswerRequest
from assistant.service import AnswerService


@pytest.fixture(scope="module")
def service(ingested: Any) -> AnswerService:
    return AnswerService(ingested.settings, ingested.library)


def _lead(text: str) -> str:
    return text.split("\n\n")[0]


def test_a_date_question_opens_with_the_date(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="When was the AI Diffusion Rule issued?"))
    assert not answer.abstained
    assert _lead(answer.answer) == "January 15, 2025 [1]", answer.answer
    cited = {c.marker: c for c in answer.citations}
    assert "January 15, 2025" in cited[1].quote


def test_a_yes_no_question_opens_with_the_deciding_clause(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="Is the NIST AI RMF mandatory?"))
    lead = _lead(answer.answer)
    assert lead.startswith("No:") and "voluntary" in lead, answer.answer
    assert {c.source_id for c in answer.citations} == {"us-nist-ai-rmf-1-0-2023"}


def test_who_is_gives_the_role_without_markdown(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="Who is David Sacks?"))
    lead = _lead(answer.answer)
    assert "David Sacks" in lead and "AI and Crypto Czar" in lead, answer.answer
    assert "**" not in answer.answer


def test_a_summary_of_a_document_in_the_library_is_never_refused(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="Summarize the National Security Memorandum on AI."))
    assert not answer.abstained
    assert len(answer.citations) >= 3
    assert {c.source_id for c in answer.citations} == {"us-nsm-ai-national-security-2024-10"}


def test_a_near_miss_says_the_library_does_not_state_it_and_quotes_what_it_does(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(
        question="What compute (FLOP) threshold did the AI diffusion rule use to control closed model weights?"
    ))
    assert answer.abstained
    # either an outright refusal or "does not state …" with what the library says instead, cited
    assert "could not find" in answer.answer or ("does not" in answer.answer and answer.citations)


def test_answers_quote_no_headings_preambles_or_bibliography(service: AnswerService) -> None:
    questions = [
        "What does EO 14179 order?", "What does the UN resolution on AI encourage member states to do?",
        "What is confabulation in the NIST generative AI profile?", "人工智能安全治理框架提出了哪些治理原则?",
    ]
    for question in questions:
        answer = service.answer(AnswerRequest(question=question))
        assert answer.citations, question
        for citation in answer.citations:
            assert not citation.quote.startswith(("By the authority vested", "Reaffirming", "Recalling")), citation
            assert not re.match(r"^[A-Z][a-z]+, [A-Z]\. ", citation.quote), citation  # "Ji, Z. et al (2023) …"


def test_a_chinese_date_question_opens_with_the_date(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="《生成式人工智能服务管理暂行办法》自何时起施行?"))
    assert _lead(answer.answer).startswith("2023年8月15日"), answer.answer
    assert "cn-genai-interim-measures-2023-zh" in {c.source_id for c in answer.citations}


def test_typos_do_not_lose_the_answer(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="wat tarrif did the january 2026 proclamation put on advanced "
        "chips?"))
    assert not answer.abstained
    assert "25" in _lead(answer.answer), answer.answer
