"""/v1/sources: reads on the shared corpus; uploads and deletes on small libraries of their own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from testsupport import send_streaming_request, upload_and_wait

from assistant.models import Answer
from policychat.settings import Settings

VANTOR = (
    "# Vantor Data Charter\n\n"
    "The Vantor Data Charter requires cloud operators to store telemetry from autonomous ferries inside the "
    "Vantor region for seven years. Operators must appoint a charter officer who reports breaches within "
    "forty-eight hours. The Vantor Data Charter bans the sale of ferry passenger logs to advertisers.\n"
)


def test_list_sources(corpus_url: str, client: httpx.Client) -> None:
    sources = client.get(f"{corpus_url}/v1/sources").json()
    assert len(sources) >= 20
    first = sources[0]
    assert {"id", "title", "publisher", "country", "date", "doc_type", "chunks", "pages"} <= set(first)
    assert all(s["chunks"] > 0 for s in sources)
    assert any(s["pages"] > 0 for s in sources)  # the PDFs


def test_source_detail_holds_the_text_citations_index_into(corpus_url: str, client: httpx.Client) -> None:
    answer = Answer.model_validate(
        client.post(f"{corpus_url}/v1/answer", json={"question": "What does Executive Order 14179 direct?"}).json()
    )
    citation = answer.citations[0]
    detail = client.get(f"{corpus_url}/v1/sources/{citation.source_id}").json()
    assert detail["id"] == citation.source_id and detail["chunks"] > 0
    assert " ".join(detail["text"][citation.start:citation.end].split()) == " ".join(citation.quote.split())


def test_unknown_source_is_404(corpus_url: str, client: httpx.Client) -> None:
    assert client.get(f"{corpus_url}/v1/sources/no-such-source").status_code == 404
    assert client.delete(f"{corpus_url}/v1/sources/no-such-source").status_code == 404


@pytest.fixture(scope="module")
def writable(small_server: Callable[..., tuple[str, Settings]]) -> tuple[str, Settings]:
    """A server with no API key and a 0.05 MB upload limit, on its own small library."""
    return small_server(max_upload_mb=0.05)


def test_upload_then_answer_cites_it_then_delete(writable: tuple[str, Settings], client: httpx.Client) -> None:
    url, settings = writable
    files = {"files": ("../../Vantor Data Charter.md", VANTOR.encode(), "text/markdown")}
    form = {"title": "Vantor Data Charter", "country": "OTHER", "date": "2025-02-03", "doc_type": "charter",
            "publisher": "Vantor Ministry", "original_url": "https://example.org/vantor"}
    job = upload_and_wait(url, files, data=form)
    assert job["state"] == "done", job
    assert job["result"] == {"added": ["vantor-data-charter"], "updated": [], "unchanged": [], "errors": [],
                             "duplicate_chunks": 0}
    assert [(f["file"], f["state"], f["source_id"]) for f in job["files"]] == [
        ("Vantor Data Charter.md", "added", "vantor-data-charter")]
    assert job["files"][0]["chunks"] == job["files"][0]["chunks_embedded"] >= 1
    assert job["detail"] is None and job["timings"]["running"] > 0

    uploads = list((Path(settings.store.data_dir) / "uploads").iterdir())
    assert len(uploads) == 1 and uploads[0].suffix == ".md" and "vantor" not in uploads[0].name.lower()
    assert not list(Path(settings.store.data_dir).parent.glob("Vantor*"))  # the client path was not used

    detail = client.get(f"{url}/v1/sources/vantor-data-charter").json()
    assert (detail["title"], detail["country"], detail["date"], detail["doc_type"]) == (
        "Vantor Data Charter", "OTHER", "2025-02-03", "charter")

    answer = Answer.model_validate(
        client.post(f"{url}/v1/answer", json={"question": "What does the Vantor Data Charter require of operators?"})
        .json()
    )
    assert not answer.abstained
    assert {c.source_id for c in answer.citations} == {"vantor-data-charter"}

    again = upload_and_wait(url, files, data=form)
    assert again["state"] == "done" and again["result"]["unchanged"] == ["vantor-data-charter"], again
    assert again["files"][0]["state"] == "unchanged"
    assert len(list((Path(settings.store.data_dir) / "uploads").iterdir())) == 1

    deleted = client.delete(f"{url}/v1/sources/vantor-data-charter")
    assert deleted.status_code == 200 and deleted.json()["removed_chunks"] >= 1
    assert client.get(f"{url}/v1/sources/vantor-data-charter").status_code == 404
    assert not list((Path(settings.store.data_dir) / "uploads").iterdir())
    after = Answer.model_validate(
        client.post(f"{url}/v1/answer", json={"question": "What does the Vantor Data Charter require of operators?"})
        .json()
    )
    assert "vantor-data-charter" not in {c.source_id for c in after.citations}


def test_upload_several_files_with_one_bad(writable: tuple[str, Settings], client: httpx.Client) -> None:
    url, _ = writable
    files = [("files", ("one.txt", b"The Ostrel Compact limits drone altitude to ninety metres.\n", "text/plain")),
             ("files", ("empty.txt", b"", "text/plain"))]
    job = upload_and_wait(url, files)
    assert job["state"] == "done", job
    assert job["result"]["added"] == ["one"]
    assert [e["file"] for e in job["result"]["errors"]] == ["empty.txt"]
    assert "empty" in job["result"]["errors"][0]["reason"]
    assert [(f["file"], f["state"]) for f in job["files"]] == [("one.txt", "added"), ("empty.txt", "failed")]
    assert client.delete(f"{url}/v1/sources/one").status_code == 200


def test_upload_where_no_file_can_be_ingested_fails_naming_each_file(writable: tuple[str, Settings]) -> None:
    url, settings = writable
    files = [("files", ("empty.txt", b"", "text/plain")), ("files", ("blank.md", b" \n\t\n", "text/markdown"))]
    job = upload_and_wait(url, files)
    assert job["state"] == "failed" and job["result"]["added"] == [], job
    assert [e["file"] for e in job["result"]["errors"]] == ["empty.txt", "blank.md"]
    assert "empty.txt: file is empty" in job["detail"] and "blank.md: no extractable text" in job["detail"]
    assert not list((Path(settings.store.data_dir) / "uploads").iterdir())


def test_upload_too_large_is_413(writable: tuple[str, Settings], client: httpx.Client) -> None:
    url, settings = writable
    just_over = b"a" * (int(settings.server.max_upload_mb * 1024 * 1024) + 10)
    response = client.post(f"{url}/v1/sources", files={"files": ("big.txt", just_over, "text/plain")})
    assert response.status_code == 413
    way_over = b"a" * (2 * 1024 * 1024)  # stopped by the streaming body limit, whatever Content-Length says
    response = client.post(f"{url}/v1/sources", files={"files": ("huge.txt", way_over, "text/plain")})
    assert response.status_code == 413
    uploads = Path(settings.store.data_dir) / "uploads"
    assert not uploads.exists() or not list(uploads.iterdir())


def test_lying_content_length_is_still_limited(writable: tuple[str, Settings]) -> None:
    url, _ = writable
    boundary = "pcboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + b"a" * (1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()

    def chunks():  # no Content-Length at all: chunked transfer encoding
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    # A raw client that reads the 413 even when the server refuses before the body is all sent (and closes).
    response = send_streaming_request(url, "POST", "/v1/sources", body=chunks(), timeout=30,
                                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413, response.text[:300]


def test_unsupported_extension_is_415(writable: tuple[str, Settings], client: httpx.Client) -> None:
    url, settings = writable
    response = client.post(f"{url}/v1/sources", files={"files": ("notes.xyz", b"hello", "application/octet-stream")})
    assert response.status_code == 415
    assert ".xyz" in response.json()["detail"]
    no_ext = client.post(f"{url}/v1/sources", files={"files": ("README", b"hello", "text/plain")})
    assert no_ext.status_code == 415


def test_bad_form_fields_are_422(writable: tuple[str, Settings], client: httpx.Client) -> None:
    url, _ = writable
    response = client.post(f"{url}/v1/sources", files={"files": ("a.txt", b"text", "text/plain")},
                           data={"date": "March 2024"})
    assert response.status_code == 422
    assert client.post(f"{url}/v1/sources", data={"title": "no files"}).status_code == 422


def test_a_two_paragraph_docx_answers_with_its_one_duration(
    small_server: Callable[..., tuple[str, Settings]], client: httpx.Client, tmp_path: Path
) -> None:
    """The answers issue's smallest case: the asked-for fact (18 months) opens the answer."""
    import docx

    document = docx.Document()
    document.add_paragraph(
        "The Ministry of Testing shall publish the quantum export licensing guide within 45 days of 3 March 2026."
    )
    document.add_paragraph("Licences are valid for 18 months.")
    path = tmp_path / "quantum-licences.docx"
    document.save(str(path))
    url, _settings = small_server()
    with path.open("rb") as handle:
        docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        files = {"files": (path.name, handle, docx_type)}
        job = upload_and_wait(url, files)
    assert job["state"] == "done" and job["result"]["added"] == ["quantum-licences"], job
    response = client.post(f"{url}/v1/answer", json={"question": "How long are quantum export licences valid?"})
    answer = Answer.model_validate(response.json())
    assert not answer.abstained, answer.answer
    lead = answer.answer.split("\n\n")[0]
    assert "18 months" in lead, answer.answer
    assert answer.citations[0].quote == "Licences are valid for 18 months."
