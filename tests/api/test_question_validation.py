"""Blank questions and bodies that are not JSON, at every HTTP entry point that takes a question.

A question that is empty or only whitespace is refused where it arrives (422 naming the field,
OpenAI's error shape on /v1/chat/completions) instead of answering from passages retrieved for
nothing; a body that is not JSON says so and where. Each test also asks a real question on the
same server, so a refusal cannot come from a server that refuses everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from testsupport import build_mini_library

from assistant.serving.server import background_server

QUESTION = "Within how many days must developers report a training run?"
BLANKS = ["", "   ", "\n\t"]
BLANK_MESSAGE = "must not be empty or only whitespace"
NOT_JSON = [b'{"messages": [', b"not json", b'{\n  "question": "x",\n}']
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on a private copy of the mini library (a conversation post opens its conversation store)."""
    with background_server(build_mini_library(tmp_path_factory.mktemp("blank-questions"))) as base:
        yield base


@pytest.fixture(scope="module")
def http(url: str) -> Iterator[httpx.Client]:
    """A client of :func:`url` with a generous timeout (the first answer loads the models)."""
    with httpx.Client(base_url=url, timeout=120) as client:
        yield client


def blank_refusal(response: httpx.Response) -> dict[str, Any]:
    """The one validation error of a native route's 422 for a blank question (no answer in the body)."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail"}  # no answer, citations or passages
    assert [(e["loc"], e["type"], e["msg"]) for e in body["detail"]] == [
        (["body", "question"], "string_blank", BLANK_MESSAGE)]
    return body


def openai_refusal(response: httpx.Response, status: int) -> dict[str, Any]:
    """The ``error`` object of an OpenAI-shaped refusal, checking the status and that nothing else came."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")  # not an event stream
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error"
    error: dict[str, Any] = body["error"]
    return error


def json_error_at(body: bytes) -> str:
    """Where the standard library's parser stops on ``body``, as the error message words it."""
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno} (character {exc.pos})"
    raise AssertionError(f"{body!r} is valid JSON")


def test_a_real_question_is_answered_with_citations(http: httpx.Client) -> None:
    answer = http.post("/v1/answer", json={"question": QUESTION})
    assert answer.status_code == 200, answer.text
    assert answer.json()["citations"] and "30 days" in answer.json()["answer"]
    chat = http.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
    assert chat.status_code == 200, chat.text
    assert chat.json()["citations"] and "[1]" in chat.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize("blank", BLANKS)
def test_blank_question_is_422_on_answer_and_its_stream(http: httpx.Client, blank: str) -> None:
    blank_refusal(http.post("/v1/answer", json={"question": blank}))
    blank_refusal(http.post("/v1/answer/stream", json={"question": blank}))


@pytest.mark.parametrize("blank", BLANKS)
def test_blank_question_is_422_in_a_conversation_before_anything_is_looked_up(http: httpx.Client,
                                                                              blank: str) -> None:
    target = "/v1/conversations/no-such-conversation/messages"
    blank_refusal(http.post(target, json={"question": blank}))
    blank_refusal(http.post(f"{target}/stream", json={"question": blank}))
    # The same request with a real question gets as far as the lookup: the 422 came from the question.
    assert http.post(target, json={"question": QUESTION}).status_code == 404


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("blank", BLANKS)
def test_blank_last_user_message_is_an_openai_422_naming_its_content(http: httpx.Client, blank: str,
                                                                     stream: bool) -> None:
    messages = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Within 30 days [1]."},
                {"role": "user", "content": blank}]
    error = openai_refusal(http.post("/v1/chat/completions", json={"messages": messages, "stream": stream}), 422)
    assert error["param"] == "messages.2.content"
    assert BLANK_MESSAGE in error["message"] and error["code"] == "invalid_request"


def test_blank_content_parts_are_refused_too(http: httpx.Client) -> None:
    parts = [{"type": "text", "text": " \n"}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    response = http.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": parts}]})
    assert openai_refusal(response, 422)["param"] == "messages.0.content"


def test_the_openai_client_raises_on_a_blank_question(url: str) -> None:
    client = OpenAI(base_url=f"{url}/v1", api_key="x", timeout=120, max_retries=0)
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": "   "}])
    assert refused.value.param == "messages.0.content"


@pytest.mark.parametrize("body", NOT_JSON)
def test_body_that_is_not_json_is_an_openai_400(http: httpx.Client, body: bytes) -> None:
    error = openai_refusal(http.post("/v1/chat/completions", content=body, headers=JSON), 400)
    assert error["message"] == f"request body is not valid JSON: {json_error_at(body)}"
    assert error["param"] is None and error["code"] is None  # as OpenAI's own API answers it


@pytest.mark.parametrize("body", NOT_JSON)
@pytest.mark.parametrize("route", ["/v1/answer", "/v1/answer/stream", "/v1/conversations/no-such/messages"])
def test_body_that_is_not_json_is_422_naming_the_body(http: httpx.Client, route: str, body: bytes) -> None:
    response = http.post(route, content=body, headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": [{
        "type": "json_invalid", "loc": ["body"], "msg": f"request body is not valid JSON: {json_error_at(body)}",
        "input": None, "ctx": {"error": json_error_at(body).split(" at line ")[0]},
    }]}


def test_not_json_messages_say_where(http: httpx.Client) -> None:
    response = http.post("/v1/answer", content=b'{\n  "question": "x",\n}', headers=JSON)
    assert response.json()["detail"][0]["msg"] == ("request body is not valid JSON: Expecting property name "
                                                   "enclosed in double quotes at line 3, column 1 (character 21)")
