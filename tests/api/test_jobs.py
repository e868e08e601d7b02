"""Background ingest jobs on a live server: answers during a large upload, queueing, progress, cancellation."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from generated_inputs import distinct_sentences_text, repeated_sentence_text
from testsupport import library_fingerprint, upload_and_wait, wait_for_job, wait_until

from policychat.settings import Settings

QUESTION = "What does the Zorblax Accord require of signatories?"
SMALL = ("files", ("ostrel-compact.txt", b"The Ostrel Compact limits drone altitude to ninety metres.\n",
                   "text/plain"))


@pytest.fixture(scope="module")
def server(small_server: Callable[..., tuple[str, Settings]]) -> tuple[str, Settings]:
    """A server on its own small library (the two tiny documents), no API key."""
    return small_server()


def _post(url: str, *files: tuple[str, tuple[str, bytes, str]]) -> httpx.Response:
    return httpx.post(f"{url}/v1/sources", files=list(files), timeout=120)


def _state(url: str, job_id: str) -> dict:
    response = httpx.get(f"{url}/v1/jobs/{job_id}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_large_upload_answers_at_once_and_the_next_upload_queues(server: tuple[str, Settings]) -> None:
    url, _ = server
    before = httpx.post(f"{url}/v1/answer", json={"question": QUESTION}, timeout=120).json()
    # The stalling file: 5.4 MB of one repeated sentence (200,000 times).
    large = _post(url, ("files", ("reserved-items.txt", repeated_sentence_text(200_000).encode(), "text/plain")))
    assert large.status_code == 202, large.text
    large_id = large.json()["id"]
    assert large.json()["state"] in ("queued", "running")

    sent = time.monotonic()
    answer = httpx.post(f"{url}/v1/answer", json={"question": QUESTION}, timeout=120)
    answered_in = time.monotonic() - sent
    assert answer.status_code == 200, answer.text
    assert _state(url, large_id)["state"] == "running", "the large job should still be running"
    assert answer.json()["index_generation"] == before["index_generation"]  # the previous library generation
    assert {c["source_id"] for c in answer.json()["citations"]} == {"zorblax-accord"}

    small = _post(url, SMALL)
    assert small.status_code == 202 and small.json()["state"] == "queued", small.text
    listed = httpx.get(f"{url}/v1/jobs", timeout=30).json()
    assert [j["id"] for j in listed[:2]] == [small.json()["id"], large_id]  # newest first

    large_done = wait_for_job(url, large_id, timeout=600)
    small_done = wait_for_job(url, small.json()["id"], timeout=300)
    large_t, small_t = large_done["timings"], small_done["timings"]
    print(f"\nanswer during the large job: {answered_in:.2f} s; large job ran {large_t['running']:.1f} s; "
          f"small job queued {small_t['queued']:.1f} s, ran {small_t['running']:.1f} s")
    assert large_done["state"] == "done" and large_done["result"]["added"] == ["reserved-items"], large_done
    (large_file,) = large_done["files"]
    assert large_file["state"] == "added" and large_file["chunks"] > 8000
    assert large_file["chunks_to_embed"] <= 3 and large_file["chunks_embedded"] == large_file["chunks_to_embed"]
    assert large_done["result"]["duplicate_chunks"] == large_file["duplicate_chunks"] == (
        large_file["chunks"] - large_file["chunks_to_embed"])
    assert small_done["state"] == "done" and small_done["result"]["added"] == ["ostrel-compact"], small_done
    assert small_done["started_at"] >= large_done["finished_at"]  # one job at a time, in order
    after = httpx.post(f"{url}/v1/answer", json={"question": "What altitude does the Ostrel Compact allow?"},
                       timeout=120).json()
    assert after["index_generation"] > before["index_generation"]
    assert "ostrel-compact" in {c["source_id"] for c in after["citations"]}
    for source_id in ("reserved-items", "ostrel-compact"):
        assert httpx.delete(f"{url}/v1/sources/{source_id}", timeout=120).status_code == 200


def test_cancel_mid_embedding_leaves_the_library_byte_identical(server: tuple[str, Settings]) -> None:
    url, settings = server
    before = library_fingerprint(settings)
    assert before["vector_ids"] and before["catalog"]["chunks"]
    text = distinct_sentences_text(4000).encode()  # several hundred distinct chunks: a minute of embedding
    response = _post(url, ("files", ("annex-review.txt", text, "text/plain")), SMALL)
    job_id = response.json()["id"]

    def embedding() -> dict | None:
        job = _state(url, job_id)
        assert job["state"] in ("queued", "running"), job
        first = job["files"][0]
        return first if first["state"] == "embedding" and first["chunks_embedded"] > 0 else None

    first = wait_until(embedding, 120, message="the first file to be embedding")
    assert 0 < first["chunks_embedded"] < first["chunks_to_embed"], first
    assert first["pages"] == 0 and first["chunks"] >= first["chunks_to_embed"] > 200

    cancelled = httpx.delete(f"{url}/v1/jobs/{job_id}", timeout=120)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["state"] == "cancelled" and body["cancel_requested"], body
    assert [f["state"] for f in body["files"]] == ["cancelled", "cancelled"]
    assert body["result"]["added"] == [] and body["result"]["updated"] == []
    assert library_fingerprint(settings) == before
    assert httpx.get(f"{url}/v1/sources/annex-review", timeout=30).status_code == 404

    again = httpx.delete(f"{url}/v1/jobs/{job_id}", timeout=30)
    assert again.status_code == 409 and job_id in again.json()["detail"], again.text
    unknown = httpx.get(f"{url}/v1/jobs/no-such-job", timeout=30)
    assert unknown.status_code == 404 and "no-such-job" in unknown.json()["detail"]
    assert httpx.delete(f"{url}/v1/jobs/no-such-job", timeout=30).status_code == 404


def test_a_queued_job_cancelled_never_runs(server: tuple[str, Settings]) -> None:
    url, settings = server
    before = library_fingerprint(settings)
    first = _post(url, ("files", ("annex-two.txt", distinct_sentences_text(4000, seed=8).encode(), "text/plain")))
    second = _post(url, SMALL)
    assert second.json()["state"] == "queued"
    cancelled = httpx.delete(f"{url}/v1/jobs/{second.json()['id']}", timeout=60).json()
    assert cancelled["state"] == "cancelled" and cancelled["started_at"] is None, cancelled
    assert [f["state"] for f in cancelled["files"]] == ["cancelled"]
    assert httpx.delete(f"{url}/v1/jobs/{first.json()['id']}", timeout=120).json()["state"] == "cancelled"
    assert library_fingerprint(settings) == before
    uploads = Path(settings.store.data_dir) / "uploads"
    assert not list(uploads.iterdir())


def test_a_file_over_its_chunk_budget_is_refused_and_the_rest_goes_in(
    small_server: Callable[..., tuple[str, Settings]],
) -> None:
    url, settings = small_server(max_chunks_per_file=40)
    before = library_fingerprint(settings)
    job = upload_and_wait(url, [("files", ("annex-long.txt", distinct_sentences_text(2000).encode(), "text/plain")),
                                SMALL])
    assert job["state"] == "done" and job["result"]["added"] == ["ostrel-compact"], job
    (error,) = job["result"]["errors"]
    assert error["file"] == "annex-long.txt"
    assert "POLICYCHAT_MAX_CHUNKS_PER_FILE=40" in error["reason"] and "\n" not in error["reason"]
    assert [f["state"] for f in job["files"]] == ["failed", "added"]
    added = set(library_fingerprint(settings)["vector_ids"]) - set(before["vector_ids"])
    detail = httpx.get(f"{url}/v1/sources/ostrel-compact", timeout=30).json()
    assert len(added) == detail["chunks"] >= 1 and all(i.startswith("ostrel-compact:") for i in added)
