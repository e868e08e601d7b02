"""Answers as of a day (issue 24): the sources in force then, what had been said by then, later changes noted."""

from __future__ import annotations

import httpx
import pytest

EO_14110 = "us-eo-14110-safe-secure-trustworthy-ai-2023"
EO_14179 = "us-eo-14179-removing-barriers-ai-2025"
IN_FORCE = "Is Executive Order 14110 in force?"


def _ask(url: str, question: str, as_of: str | None, **extra: object) -> dict:
    body = {"question": question, **extra}
    if as_of is not None:
        body["as_of"] = as_of
    response = httpx.post(f"{url}/v1/answer", json=body, timeout=120)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_eo_14110_was_in_force_in_june_2024_and_its_revocation_is_noted(corpus_url: str) -> None:
    answer = _ask(corpus_url, IN_FORCE, "2024-06-01")
    assert answer["as_of"] == "2024-06-01" and not answer["abstained"]
    lead = answer["answer"].split("\n")[0]
    assert lead.startswith("As of 2024-06-01, Executive Order 14110 was in force"), lead
    cited = {c["marker"]: c for c in answer["citations"]}
    assert cited[1]["source_id"] == EO_14110  # the order's own opening is what the line cites
    note = answer["answer"].strip().split("\n")[-1]
    assert note.startswith("Note: Executive Order 14110 is referred to as revoked in Executive Order 14179"), note
    marker = int(note.rsplit("[", 1)[1].split("]")[0])
    assert cited[marker]["source_id"] == EO_14179 and "revoked" in cited[marker]["quote"]
    assert cited[1]["status"] == "revoked"  # what became of it later, on the citation too


def test_eo_14110_was_revoked_by_june_2025_citing_eo_14179(corpus_url: str) -> None:
    answer = _ask(corpus_url, IN_FORCE, "2025-06-01")
    assert not answer["abstained"]
    assert answer["answer"].startswith("No: Executive Order 14110 is referred to as revoked in Executive Order 14179")
    sources = {c["source_id"] for c in answer["citations"]}
    assert sources == {EO_14179}, sources  # the revoked order itself is not answered from
    assert all("revoked Executive Order 14110" in " ".join(c["quote"].split()) for c in answer["citations"])
    assert EO_14110 not in {p["source_id"] for p in answer["retrieved"]}


def test_the_same_question_in_chinese_as_of_june_2025(corpus_url: str) -> None:
    answer = _ask(corpus_url, "第14110号行政令是否仍然有效？", "2025-06-01")
    assert "撤销" in answer["answer"] and "14179" in answer["answer"], answer["answer"][:300]
    assert {c["source_id"] for c in answer["citations"]} == {EO_14179}


def test_a_document_issued_later_is_not_answered_from(corpus_url: str) -> None:
    question = "What does America's AI Action Plan say about open-source AI models?"
    now = _ask(corpus_url, question, None)
    assert "us-ai-action-plan-2025" in {c["source_id"] for c in now["citations"]}  # it answers today
    before = _ask(corpus_url, question, "2024-06-01")
    assert before["abstained"] and not before["citations"]
    assert before["answer"].startswith("As of 2024-06-01, America's AI Action Plan had not been issued: it is dated "
                                       "2025-07-23."), before["answer"][:300]


def test_other_questions_answer_from_the_sources_of_that_day(corpus_url: str) -> None:
    answer = _ask(corpus_url, "When did the Interim Measures for generative AI services take effect?", "2024-01-01")
    assert "August 15, 2023" in answer["answer"]
    dates = {s["id"]: s["date"] for s in httpx.get(f"{corpus_url}/v1/sources", timeout=60).json()}
    retrieved = {p["source_id"] for p in answer["retrieved"]}
    assert retrieved and all(dates[sid] <= "2024-01-01" for sid in retrieved), {sid: dates[sid] for sid in retrieved}


def test_as_of_through_chat_completions(corpus_url: str) -> None:
    body = {"model": "extractive", "messages": [{"role": "user", "content": IN_FORCE}], "as_of": "2024-06-01"}
    response = httpx.post(f"{corpus_url}/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200, response.text[:300]
    assert "was in force" in response.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize("as_of", ["2025-13-01", 20240601, "June 2024"])
def test_a_bad_day_is_422_naming_as_of(corpus_url: str, as_of: object) -> None:
    response = httpx.post(f"{corpus_url}/v1/answer", json={"question": IN_FORCE, "as_of": as_of}, timeout=60)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "as_of"]
