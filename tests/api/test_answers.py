"""POST /v1/answer and /v1/answer/stream against the shared corpus on a live server."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from assistant.models import Answer

EO_QUESTION = "What does Executive Order 14179 direct?"


def parse_sse(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of an SSE body; an event without a name is "message"."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        name = next((line[7:] for line in lines if line.startswith("event: ")), "message")
        data = "\n".join(line[6:] for line in lines if line.startswith("data: "))
        events.append((name, data))
    return events


def test_answer_returns_the_answer_contract(corpus_url: str, client: httpx.Client) -> None:
    response = client.post(f"{corpus_url}/v1/answer", json={"question": EO_QUESTION})
    assert response.status_code == 200, response.text
    answer = Answer.model_validate(response.json())
    assert set(response.json()) == set(Answer.model_fields)
    assert not answer.abstained
    assert "[1]" in answer.answer
    assert any(c.source_id.startswith("us-eo-14179") for c in answer.citations)
    assert answer.retrieved and answer.generator == "extractive"


def test_answer_with_filters_and_history(corpus_url: str, client: httpx.Client) -> None:
    body = {
        "question": "What does it say about labelling?",
        "history": [{"role": "user", "content": "Tell me about China's generative AI interim measures."}],
        "filters": {"country": ["CN"], "date_from": "2023-01-01"},
        "top_k": 5,
    }
    response = client.post(f"{corpus_url}/v1/answer", json=body)
    assert response.status_code == 200, response.text
    answer = Answer.model_validate(response.json())
    assert len(answer.retrieved) <= 5
    assert not answer.abstained and answer.citations, answer.answer  # so the check below is not over nothing
    assert {c.country for c in answer.citations} == {"CN"}


def test_question_too_long_is_422(corpus_url: str, client: httpx.Client) -> None:
    response = client.post(f"{corpus_url}/v1/answer", json={"question": "x" * 2001})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "question"]
    response = client.post(f"{corpus_url}/v1/answer/stream", json={"question": "x" * 2001})
    assert response.status_code == 422


@pytest.mark.parametrize("body", ['{"question": ', "not json", '{"question": "ok", "unknown": 1}', '{"question": ""}'])
def test_malformed_or_invalid_body_is_422(corpus_url: str, client: httpx.Client, body: str) -> None:
    response = client.post(f"{corpus_url}/v1/answer", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_unknown_generator_is_400_with_the_message(corpus_url: str, client: httpx.Client) -> None:
    response = client.post(f"{corpus_url}/v1/answer", json={"question": EO_QUESTION, "generator": "nope"})
    assert response.status_code == 400
    assert "Unknown generator 'nope'" in response.json()["detail"]
    assert "extractive" in response.json()["detail"]
    stream = client.post(f"{corpus_url}/v1/answer/stream", json={"question": EO_QUESTION, "generator": "nope"})
    assert stream.status_code == 400


def test_bad_filter_dates_are_400(corpus_url: str, client: httpx.Client) -> None:
    body = {"question": EO_QUESTION, "filters": {"date_from": "2025-01-01", "date_to": "2024-01-01"}}
    response = client.post(f"{corpus_url}/v1/answer", json=body)
    assert response.status_code == 400
    assert "date_from" in response.json()["detail"]


def test_stream_sends_sentences_then_the_answer_then_done(corpus_url: str, client: httpx.Client) -> None:
    with client.stream("POST", f"{corpus_url}/v1/answer/stream", json={"question": EO_QUESTION}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()
    events = parse_sse(body)
    names = [name for name, _ in events]
    assert names[-2:] == ["answer", "done"]
    assert names[:-2] and set(names[:-2]) == {"sentence"}
    sentences = [json.loads(data)["text"] for name, data in events if name == "sentence"]
    answer = Answer.model_validate_json(events[-2][1])
    assert " ".join(" ".join(s.split()) for s in sentences) == " ".join(answer.answer.split())
    assert answer.citations


def test_twenty_concurrent_answers_all_succeed(corpus_url: str) -> None:
    questions = [
        EO_QUESTION,
        "How do US and Chinese rules on labelling AI-generated content differ?",
        "生成式人工智能服务提供者有哪些义务？",
        "What does the AI Action Plan say about data centers?",
    ]

    def ask(i: int) -> int:
        with httpx.Client(timeout=300) as c:
            r = c.post(f"{corpus_url}/v1/answer", json={"question": questions[i % len(questions)]})
            Answer.model_validate(r.json())
            return r.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(ask, range(20)))
    assert codes == [200] * 20
