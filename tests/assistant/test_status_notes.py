"""Answers citing a source that is no longer in force: the citation carries the status, the answer says so."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import AnswerRequest
from assistant.service import AnswerService
from ingest.relations import NOT_IN_FORCE

EO_14110 = "us-eo-14110-safe-secure-trustworthy-ai-2023"
EO_14179 = "us-eo-14179-removing-barriers-ai-2025"
QUESTION = "What did Executive Order 14110 require of developers of dual-use foundation models?"
NOTE = "Note: Executive Order 14110 is referred to as revoked in Executive Order 14179 (2025-01-23) [{n}]."


@pytest.fixture(scope="module")
def service(ingested: Any) -> AnswerService:
    return AnswerService(ingested.settings, ingested.library)


def test_a_revoked_order_is_marked_and_the_answer_ends_with_a_cited_note(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question=QUESTION))
    cited = [c for c in answer.citations if c.source_id == EO_14110]
    assert cited, answer.answer
    assert all(c.status == "revoked" for c in cited)
    note = answer.citations[-1]
    assert answer.answer.endswith("\n\n" + NOTE.format(n=note.marker))
    assert note.source_id == EO_14179 and note.status is None
    assert "taken pursuant to the revoked Executive Order 14110" in " ".join(note.quote.split())
    stored = service.library.catalog.source(EO_14179).text
    assert stored[note.start:note.end] == note.quote
    snap = service.retriever.snapshot()
    assert note.quote in snap.chunks[note.chunk_id].text
    standing = service.knowledge.standings(snap)[EO_14110]
    assert standing.evidence is not None and standing.evidence.evidence is not None
    assert (note.start, note.end) == (standing.evidence.evidence.source_start, standing.evidence.evidence.source_end)
    assert [c.marker for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert note.chunk_id in {p.chunk_id for p in answer.retrieved}  # every citation points at a passage


def test_a_historical_question_gets_the_status_without_the_note(service: AnswerService) -> None:
    question = "What did Executive Order 14110 originally require of developers of dual-use foundation models?"
    answer = service.answer(AnswerRequest(question=question))
    cited = [c for c in answer.citations if c.source_id == EO_14110]
    assert cited and all(c.status == "revoked" for c in cited)
    assert "is referred to as revoked" not in answer.answer


def test_only_citations_of_sources_not_in_force_carry_a_status(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="What does Executive Order 14179 direct?"))
    standings = service.knowledge.standings(service.retriever.snapshot())
    assert answer.citations
    for citation in answer.citations:
        status = standings[citation.source_id].status
        assert citation.status == (status if status in NOT_IN_FORCE else None)
    if not any(c.status for c in answer.citations):
        assert "Note:" not in answer.answer


def test_a_status_answer_is_not_noted_twice(service: AnswerService) -> None:
    answer = service.answer(AnswerRequest(question="Is Executive Order 14110 still in force?"))
    assert answer.answer.count("Executive Order 14110 is referred to as revoked in Executive Order 14179") == 1
