"""/v1/conversations on a live server: threads, asking with history (JSON and SSE), feedback, export, auth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from researchsupport import QUILLON_QUESTION, ZORBLAX_QUESTION, research_library

from assistant.serving.server import background_server

KEY = "conversation-key-for-tests"
ZORBLAX_TITLE = "The Zorblax Accord on Orbital Compute"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server without an API key on the tiny invented documents."""
    settings = research_library(tmp_path_factory.mktemp("conversations"), with_pdf=False)
    with background_server(settings) as base:
        yield base


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose writes need ``KEY``."""
    settings = research_library(tmp_path_factory.mktemp("conversations-keyed"), with_pdf=False, api_key=KEY)
    with background_server(settings) as base:
        yield base


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as c:
        yield c


def _new(client: httpx.Client, url: str, **body: str) -> str:
    response = client.post(f"{url}/v1/conversations", json=body or None)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _ask(client: httpx.Client, url: str, conversation_id: str, question: str) -> dict:
    response = client.post(f"{url}/v1/conversations/{conversation_id}/messages", json={"question": question})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_list_rename_delete(url: str, client: httpx.Client) -> None:
    untitled = client.post(f"{url}/v1/conversations")  # no body at all
    assert untitled.status_code == 201 and untitled.json()["title"] == "New conversation"
    assert untitled.json()["message_count"] == 0
    named = _new(client, url, title="  Orbital\tcompute  notes ")
    listed = client.get(f"{url}/v1/conversations").json()
    assert listed and listed[0]["id"] == named and listed[0]["title"] == "Orbital compute notes"
    assert untitled.json()["id"] in [c["id"] for c in listed]

    renamed = client.patch(f"{url}/v1/conversations/{named}", json={"title": "Zorblax research"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Zorblax research"
    assert client.get(f"{url}/v1/conversations/{named}").json()["title"] == "Zorblax research"
    page = client.get(f"{url}/v1/conversations", params={"limit": 1, "offset": 0}).json()
    assert [c["id"] for c in page] == [named]

    deleted = client.delete(f"{url}/v1/conversations/{named}")
    assert deleted.status_code == 200 and deleted.json() == {"id": named, "deleted_messages": 0}
    assert client.get(f"{url}/v1/conversations/{named}").status_code == 404
    assert named not in [c["id"] for c in client.get(f"{url}/v1/conversations").json()]


def test_messages_are_answered_with_history_and_stored(url: str, client: httpx.Client) -> None:
    conversation_id = _new(client, url)
    first = _ask(client, url, conversation_id, ZORBLAX_QUESTION)
    assert first["position"] == 0 and first["conversation_id"] == conversation_id
    answer = first["answer"]
    assert not answer["abstained"] and answer["citations"]
    assert {c["source_id"] for c in answer["citations"]} == {"zorblax-accord"}
    assert isinstance(answer["index_generation"], int)

    follow_up = _ask(client, url, conversation_id, "How long do they have to do it?")
    assert follow_up["position"] == 1
    assert not follow_up["answer"]["abstained"], follow_up["answer"]["answer"]
    assert "thirty days" in follow_up["answer"]["answer"]  # only answerable with the first turn as history

    stored = client.get(f"{url}/v1/conversations/{conversation_id}").json()
    assert stored["title"] == ZORBLAX_QUESTION  # the first question names an untitled thread
    assert stored["message_count"] == 2
    assert [m["id"] for m in stored["messages"]] == [first["id"], follow_up["id"]]
    assert stored["messages"][0]["answer"] == answer  # the full answer JSON, citations and passages included
    assert stored["messages"][0]["answer"]["retrieved"]
    assert stored["library_generation"] == answer["index_generation"]


def test_stream_variant_stores_the_answer(url: str, client: httpx.Client) -> None:
    conversation_id = _new(client, url, title="streamed")
    response = client.post(f"{url}/v1/conversations/{conversation_id}/messages/stream",
                           json={"question": QUILLON_QUESTION})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [(block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
              for block in response.text.strip().split("\n\n")]
    names = [name for name, _ in events]
    assert names[-3:] == ["answer", "message", "done"] and names.count("sentence") >= 1
    assert set(names[:-3]) == {"sentence"}
    answer, stored = events[-3][1], events[-2][1]
    assert not answer["abstained"] and {c["source_id"] for c in answer["citations"]} == {"quillon-labelling-rule"}
    assert stored["conversation_id"] == conversation_id and stored["position"] == 0
    messages = client.get(f"{url}/v1/conversations/{conversation_id}").json()["messages"]
    assert [m["id"] for m in messages] == [stored["message_id"]]
    assert messages[0]["answer"]["answer"] == answer["answer"]


def test_unknown_ids_are_404(url: str, client: httpx.Client) -> None:
    base = f"{url}/v1/conversations/conv-nope"
    feedback = {"rating": "down"}
    for response in (client.get(base), client.patch(base, json={"title": "x"}), client.delete(base),
                     client.post(f"{base}/messages", json={"question": ZORBLAX_QUESTION}),
                     client.post(f"{base}/messages/stream", json={"question": ZORBLAX_QUESTION}),
                     client.post(f"{base}/messages/msg-nope/feedback", json=feedback),
                     client.get(f"{base}/export")):
        assert response.status_code == 404, (response.request.method, response.request.url, response.text)
        assert "conv-nope" in response.json()["detail"]
    conversation_id = _new(client, url)
    real = f"{url}/v1/conversations/{conversation_id}"
    assert client.post(f"{real}/messages/msg-nope/feedback", json=feedback).status_code == 404
    assert client.get(f"{real}/export", params={"message_id": "msg-nope"}).status_code == 404


def test_feedback_is_stored_with_the_answer(url: str, client: httpx.Client) -> None:
    conversation_id = _new(client, url)
    message = _ask(client, url, conversation_id, ZORBLAX_QUESTION)
    target = f"{url}/v1/conversations/{conversation_id}/messages/{message['id']}/feedback"
    up = client.post(target, json={"rating": "up"})
    assert up.status_code == 200 and up.json()["rating"] == "up" and up.json()["source_ids"] == []
    down = client.post(target, json={"rating": "down", "comment": " misses the energy report ",
                                     "correct_answer": "Each cluster, within thirty days of launch.",
                                     "source_ids": ["zorblax-accord", "zorblax-accord", " "]})
    assert down.status_code == 200
    stored = client.get(f"{url}/v1/conversations/{conversation_id}").json()["messages"][0]["feedback"]
    assert stored["rating"] == "down" and stored["comment"] == "misses the energy report"
    assert stored["correct_answer"] == "Each cluster, within thirty days of launch."
    assert stored["source_ids"] == ["zorblax-accord"]
    for bad in ({"rating": "meh"}, {}, {"rating": "up", "extra": 1}, {"rating": "up", "comment": "a\u0000b"}):
        assert client.post(target, json=bad).status_code == 422, bad


def test_export_markdown_bibtex_csljson(url: str, client: httpx.Client) -> None:
    conversation_id = _new(client, url, title="Zorblax memo")
    first = _ask(client, url, conversation_id, ZORBLAX_QUESTION)
    second = _ask(client, url, conversation_id, QUILLON_QUESTION)
    export = f"{url}/v1/conversations/{conversation_id}/export"

    md = client.get(export)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.headers["content-disposition"].startswith('attachment; filename="policychat-zorblax-memo-')
    text = md.text
    assert text.startswith("# Zorblax memo\n")
    assert f"## {ZORBLAX_QUESTION}" in text and f"## {QUILLON_QUESTION}" in text
    citations = first["answer"]["citations"] + second["answer"]["citations"]
    assert citations
    distinct = {(c["source_id"], c["start"], c["end"]): c for c in citations}  # one note per cited passage
    for n, citation in enumerate(distinct.values(), start=1):  # numbered across the whole thread, in order
        quote = " ".join(citation["quote"].split())
        assert f"[^{n}]" in text.split("[^1]:")[0]
        where = ", Lunar Registry Office, 2024-03-01" if citation["source_id"] == "zorblax-accord" else ""
        assert f"[^{n}]: *{citation['title']}*{where}. “{quote}”" in text
    assert "## References" in text and "- Lunar Registry Office (2024). *The Zorblax Accord on Orbital Compute*" in text

    one = client.get(export, params={"message_id": second["id"]}).text
    assert QUILLON_QUESTION in one and ZORBLAX_QUESTION not in one and "[^1]" in one

    bib = client.get(export, params={"format": "bibtex"})
    assert bib.status_code == 200 and bib.headers["content-type"].startswith("application/x-bibtex")
    assert bib.headers["content-disposition"].endswith('.bib"')
    assert "@misc{zorblax-accord,\n  title = {{The Zorblax Accord on Orbital Compute}},\n" in bib.text
    assert "  author = {{Lunar Registry Office}},\n  year = {2024},\n  month = mar,\n  date = {2024-03-01}," in bib.text
    assert bib.text.count("@misc{") == 2  # one entry per cited source

    csl = client.get(export, params={"format": "csljson"})
    assert csl.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    items = {item["id"]: item for item in csl.json()}
    assert set(items) == {"zorblax-accord", "quillon-labelling-rule"}
    zorblax = items["zorblax-accord"]
    assert zorblax["title"] == ZORBLAX_TITLE and zorblax["author"] == [{"literal": "Lunar Registry Office"}]
    assert zorblax["issued"] == {"date-parts": [[2024, 3, 1]]} and zorblax["type"] == "treaty"
    assert client.get(export, params={"format": "docx"}).status_code == 422


def test_a_library_change_leaves_older_answers_marked(tmp_path: Path, client: httpx.Client) -> None:
    settings = research_library(tmp_path, with_pdf=False)
    with background_server(settings) as base:
        conversation_id = _new(client, base)
        message = _ask(client, base, conversation_id, ZORBLAX_QUESTION)
        before = client.get(f"{base}/v1/conversations/{conversation_id}").json()
        assert before["library_generation"] == message["answer"]["index_generation"]
        assert client.delete(f"{base}/v1/sources/quillon-labelling-rule").status_code == 200
        after = client.get(f"{base}/v1/conversations/{conversation_id}").json()
        assert after["library_generation"] > after["messages"][0]["answer"]["index_generation"]
        again = _ask(client, base, conversation_id, ZORBLAX_QUESTION)
        assert again["answer"]["index_generation"] == after["library_generation"]


def test_validation_errors_are_422(url: str, client: httpx.Client) -> None:
    conversation_id = _new(client, url)
    messages = f"{url}/v1/conversations/{conversation_id}/messages"
    for body in ({"question": ""}, {"question": "x" * 2001}, {"question": "a\u0000"}, {"question": "q", "top_k": 0},
                 {"question": "q", "history": []}, {}):
        assert client.post(messages, json=body).status_code == 422, body
    assert client.post(f"{url}/v1/conversations", json={"title": "x" * 201}).status_code == 422
    assert client.post(f"{url}/v1/conversations", json={"title": " \t "}).status_code == 422
    assert client.patch(f"{url}/v1/conversations/{conversation_id}", json={}).status_code == 422
    assert client.get(f"{url}/v1/conversations", params={"limit": 0}).status_code == 422
    assert client.post(messages, json={"question": "q", "generator": "no-such"}).status_code == 400
    assert client.get(f"{url}/v1/conversations/{conversation_id}").json()["message_count"] == 0


def test_a_thread_of_200_turns(url: str, client: httpx.Client) -> None:
    conversation_id = _new(client, url, title="long thread")
    questions = [ZORBLAX_QUESTION, QUILLON_QUESTION, "How long must providers keep watermark keys?",
                 "Who chooses the arbitrators under the Zorblax Accord?"]
    ids = []
    for turn in range(200):
        ids.append(_ask(client, url, conversation_id, questions[turn % 4])["id"])
    thread = client.get(f"{url}/v1/conversations/{conversation_id}")  # how fast: tests/bench/test_bench_threads.py
    assert thread.status_code == 200
    messages = thread.json()["messages"]
    assert [m["id"] for m in messages] == ids and [m["position"] for m in messages] == list(range(200))
    refused = [m["question"] for m in messages if not m["answer"]["citations"]]
    assert not refused, refused[:8]  # 200 answered turns
    summary = next(c for c in client.get(f"{url}/v1/conversations").json() if c["id"] == conversation_id)
    assert summary["message_count"] == 200
    markdown = client.get(f"{url}/v1/conversations/{conversation_id}/export").text
    assert markdown.count("\n## ") == 201  # 200 questions and the reference list
    body, notes = markdown.split("\n[^1]: ", 1)
    assert body.count("[^") >= 200  # every answer points at its footnotes
    passages = {(c["source_id"], c["start"], c["end"]) for m in messages for c in m["answer"]["citations"]}
    assert passages and notes.count("\n[^") + 1 == len(passages)  # a passage cited again keeps its number


WRITES = [("POST", "/v1/conversations", {"title": "t"}), ("PATCH", "/v1/conversations/{id}", {"title": "t"}),
          ("DELETE", "/v1/conversations/{id}", None),
          ("POST", "/v1/conversations/{id}/messages", {"question": ZORBLAX_QUESTION}),
          ("POST", "/v1/conversations/{id}/messages/stream", {"question": ZORBLAX_QUESTION}),
          ("POST", "/v1/conversations/{id}/messages/{mid}/feedback", {"rating": "down"})]


def test_writes_need_the_key_reads_do_not(keyed: str, client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    conversation_id = client.post(f"{keyed}/v1/conversations", json={}, headers=auth).json()["id"]
    message = client.post(f"{keyed}/v1/conversations/{conversation_id}/messages", json={"question": ZORBLAX_QUESTION},
                          headers={"X-API-Key": KEY})
    assert message.status_code == 201
    for method, path, body in WRITES:
        target = keyed + path.format(id=conversation_id, mid=message.json()["id"])
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": KEY + "x"}):
            response = client.request(method, target, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"] == "Bearer"
    thread = client.get(f"{keyed}/v1/conversations/{conversation_id}")
    assert thread.status_code == 200 and thread.json()["message_count"] == 1
    assert thread.json()["messages"][0]["feedback"] is None  # nothing written without the key
    assert client.get(f"{keyed}/v1/conversations").status_code == 200
    assert client.get(f"{keyed}/v1/conversations/{conversation_id}/export").status_code == 200
    for method, path, body in [WRITES[i] for i in (5, 4, 3, 1, 2)]:  # with the key every write goes through
        target = keyed + path.format(id=conversation_id, mid=message.json()["id"])
        response = client.request(method, target, json=body, headers=auth)
        assert response.status_code in (200, 201), (method, path, response.text)
