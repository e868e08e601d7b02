"""16 concurrent clients ask while uploads and deletes change the library: no errors, no inconsistent reads.

A real ``policychat serve`` process answers ``POST /v1/answer`` for 16 client
threads while one writer thread keeps uploading and deleting two sources the
questions are about (upload A, delete B, upload B, delete A, ...).

*Inconsistent read*, precisely: every answer names the catalog generation it
was retrieved from (``index_generation``). The writer is the only writer; after
each write returns it reads, in one SQLite read transaction, the catalog's
generation, chunks and source texts, so it holds the exact index content of every
generation. An answer is consistent when

* its generation is one the writer recorded, and was current at some moment
  while the request was in flight (not older than the last generation committed
  before the request was sent, not newer than the last write started before the
  response arrived);
* every cited and every retrieved chunk id belongs to that generation, with the
  source id it had there;
* every citation's quote is a substring of its chunk's text and of its source's
  stored text in that generation, and ``text[start:end]`` is the quote.
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from testsupport import wait_for_job, wait_until

KEY = "load-key-5e21"
AUTH = {"Authorization": f"Bearer {KEY}"}
CLIENTS = 16
MIN_READINGS = 8 * CLIENTS
"""Answers to collect at the least (the clients keep asking until the writer has also done its cycles)."""
MIN_WRITE_CYCLES = 2

CHURN = {
    "vantor-data-charter.md": (
        "# Vantor Data Charter\n\n"
        "The Vantor Data Charter requires cloud operators to store telemetry from autonomous ferries inside the "
        "Vantor region for seven years. Operators must appoint a charter officer who reports breaches within "
        "forty-eight hours. The Vantor Data Charter bans the sale of ferry passenger logs to advertisers.\n"
    ),
    "ostrel-compact.txt": (
        "The Ostrel Compact\n\n"
        "The Ostrel Compact limits delivery drones to an altitude of ninety metres over towns. Operators under the "
        "Ostrel Compact must file a flight plan with the Ostrel Airspace Board one day ahead, and the board may "
        "ground an operator whose drones breach the limit three times in a year.\n"
    ),
}
QUESTIONS = [
    "What does the Vantor Data Charter require of cloud operators?",
    "How high may delivery drones fly under the Ostrel Compact?",
    "What does the Zorblax Accord require of signatories?",
    "What must providers of synthetic audio embed under the Quillon Labelling Rule?",
    "Who must laboratories notify under the Brimble Protocol?",
]


@dataclass(frozen=True)
class Generation:
    """The exact index content of one catalog generation, and when the write that made it ran."""

    number: int
    write_started: float
    write_done: float
    chunks: dict[str, tuple[str, str]]  # chunk id -> (source id, chunk text)
    texts: dict[str, str]  # source id -> stored text


def read_generation(catalog: Path, write_started: float, write_done: float) -> Generation:
    """Read generation, chunks and texts in ONE read transaction (so they belong together)."""
    db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=30)
    try:
        db.execute("BEGIN")
        row = db.execute("SELECT value FROM state WHERE key='generation'").fetchone()
        chunks = {cid: (sid, text) for cid, sid, text in db.execute("SELECT chunk_id, source_id, text FROM chunks")}
        texts = dict(db.execute("SELECT id, text FROM sources").fetchall())
        db.execute("COMMIT")
    finally:
        db.close()
    return Generation(int(row[0]) if row else 0, write_started, write_done, chunks, texts)


@dataclass
class Reading:
    """One answer request: when it was sent and answered, and what came back."""

    sent: float
    answered: float
    status: int  # 0: no response (transport error or timeout)
    body: Any


def ask(url: str, questions: list[str], offset: int, stop: threading.Event, out: list[Reading],
        lock: threading.Lock) -> None:
    """One client: ask the questions round-robin until ``stop`` is set."""
    with httpx.Client(timeout=180) as client:
        n = offset
        while not stop.is_set():
            question = questions[n % len(questions)]
            if n % 2:  # every other question is new, so its embedding is computed, not cached
                question = f"{question} (question {n} of client {offset})"
            n += 1
            sent = time.monotonic()
            try:
                response = client.post(f"{url}/v1/answer", json={"question": question})
                status = response.status_code
                body = response.json() if status == 200 else response.text[:500]
            except httpx.HTTPError as exc:
                status, body = 0, f"{type(exc).__name__}: {exc}"
            with lock:
                out.append(Reading(sent, time.monotonic(), status, body))


def churn(url: str, catalog: Path, stop: threading.Event, log: list[Generation], failures: list[str],
          answered_after: Callable[[float], bool]) -> None:
    """The writer: upload one churn source, delete the other, and so on, logging every generation.

    After each write it waits until some answer was asked after the write returned, so every
    generation is served to the clients before the next write replaces it.
    """
    names = list(CHURN)
    cycle = 0
    while not stop.is_set() or cycle < MIN_WRITE_CYCLES * 2:
        name = names[cycle % 2]
        other = Path(names[(cycle + 1) % 2]).stem
        for action in ("upload", "delete"):
            started = time.monotonic()
            if action == "upload":
                response = httpx.post(f"{url}/v1/sources", headers=AUTH, timeout=180,
                                      files={"files": (name, CHURN[name].encode(), "text/plain")})
                job = wait_for_job(url, response, headers=AUTH, timeout=180) if response.status_code == 202 else {}
                ok = job.get("state") == "done" and job["result"]["added"] + job["result"]["updated"]
            else:
                response = httpx.delete(f"{url}/v1/sources/{other}", headers=AUTH, timeout=180)
                ok = response.status_code in (200, 404)
            done = time.monotonic()
            if not ok:
                failures.append(f"{action} {name}: {response.status_code} {response.text[:300]}"
                                + (f" job: {job}" if action == "upload" else ""))
            log.append(read_generation(catalog, started, done))
            wait_until(lambda done=done: answered_after(done), 180, message="an answer asked after the write")
        cycle += 1


def inconsistencies(reading: Reading, generations: dict[int, Generation], log: list[Generation]) -> list[str]:
    """Why this answer is not a consistent read (empty when it is)."""
    answer = reading.body
    number = answer.get("index_generation")
    if number not in generations:
        return [f"served generation {number}, which the writer never saw"]
    generation = generations[number]
    problems = []
    committed_before = max((g.number for g in log if g.write_done < reading.sent), default=0)
    started_before = max((g.number for g in log if g.write_started < reading.answered), default=0)
    if not committed_before <= number <= started_before:
        problems.append(f"generation {number} was not current during the request "
                        f"(allowed {committed_before}..{started_before})")
    for passage in answer["retrieved"]:
        if passage["chunk_id"] not in generation.chunks:
            problems.append(f"retrieved {passage['chunk_id']}, not in generation {number}")
    for citation in answer["citations"]:
        chunk = generation.chunks.get(citation["chunk_id"])
        if chunk is None:
            problems.append(f"cited {citation['chunk_id']}, not in generation {number}")
            continue
        source_id, chunk_text = chunk
        text = generation.texts[source_id]
        quote = citation["quote"]
        if citation["source_id"] != source_id:
            problems.append(f"citation says source {citation['source_id']}, the chunk is {source_id}'s")
        if quote not in chunk_text or quote not in text:
            problems.append(f"quote of {citation['chunk_id']} is not in its chunk/source text: {quote[:80]!r}")
        if " ".join(text[citation["start"]:citation["end"]].split()) != " ".join(quote.split()):
            problems.append(f"text[{citation['start']}:{citation['end']}] of {source_id} is not the quote")
    return problems


def test_concurrent_answers_during_uploads_and_deletes(
    tmp_path: Path, serve_process: Callable[..., Any], tiny_docs: dict[str, str],
) -> None:
    data_dir = tmp_path / "data"
    server = serve_process(data_dir, POLICYCHAT_API_KEY=KEY)
    url = server.start()
    files = [("files", (name, text.encode(), "text/plain")) for name, text in tiny_docs.items()]
    files.append(("files", ("ostrel-compact.txt", CHURN["ostrel-compact.txt"].encode(), "text/plain")))
    first = wait_for_job(url, httpx.post(f"{url}/v1/sources", files=files, headers=AUTH, timeout=180), headers=AUTH)
    assert first["state"] == "done" and len(first["result"]["added"]) == 4, first
    catalog = data_dir / "catalog.sqlite"
    now = time.monotonic()
    log = [read_generation(catalog, now, now)]
    warm = httpx.post(f"{url}/v1/answer", json={"question": QUESTIONS[1]}, timeout=180)
    assert warm.status_code == 200 and warm.json()["index_generation"] == log[0].number, warm.text

    readings: list[Reading] = []
    write_failures: list[str] = []
    lock = threading.Lock()
    stop_readers, stop_writer = threading.Event(), threading.Event()
    readers = [threading.Thread(target=ask, args=(url, QUESTIONS, i, stop_readers, readings, lock), daemon=True)
               for i in range(CLIENTS)]
    def answered_after(moment: float) -> bool:
        with lock:
            return any(r.sent > moment for r in readings)

    writer = threading.Thread(target=churn, args=(url, catalog, stop_writer, log, write_failures, answered_after),
                              daemon=True)
    started = time.monotonic()
    for thread in readers:
        thread.start()
    writer.start()
    wait_until(lambda: len(readings) >= MIN_READINGS, 600, interval=0.5, message=f"{MIN_READINGS} answers")
    stop_writer.set()
    writer.join(timeout=300)
    stop_readers.set()
    for thread in readers:
        thread.join(timeout=200)
    elapsed = time.monotonic() - started
    assert not writer.is_alive() and not any(t.is_alive() for t in readers), "a client or the writer hung"

    generations = {g.number: g for g in log}
    errors = [r for r in readings if r.status != 200]
    inconsistent = {i: p for i, r in enumerate(readings) if r.status == 200
                    if (p := inconsistencies(r, generations, log))}
    latencies = sorted(r.answered - r.sent for r in readings)
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    churn_ids = {Path(n).stem for n in CHURN}
    cited_churn = sum(1 for r in readings if r.status == 200 and {c["source_id"] for c in r.body["citations"]}
                      & churn_ids)
    served = {r.body["index_generation"] for r in readings if r.status == 200}
    print(f"\nload: {len(readings)} answers from {CLIENTS} clients in {elapsed:.0f} s "
          f"({len(readings) / elapsed:.2f}/s) during {len(log) - 1} writes; errors {len(errors)}, "
          f"inconsistent reads {len(inconsistent)}; latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
          f"{cited_churn} answers cited a source that came or went; generations served: {sorted(served)}")

    # The check is not vacuous: a reading that cites a chunk of another generation is caught.
    good = next(r for r in readings if r.status == 200 and r.body["citations"])
    number = good.body["index_generation"]
    foreign = next(cid for g in log for cid in g.chunks if cid not in generations[number].chunks)
    tampered = {**good.body, "citations": [{**good.body["citations"][0], "chunk_id": foreign}]}
    assert inconsistencies(Reading(good.sent, good.answered, 200, tampered), generations, log)
    stale = {**good.body, "index_generation": log[0].number}
    assert number == log[0].number or inconsistencies(Reading(good.sent, good.answered, 200, stale), generations, log)

    assert not write_failures, write_failures
    assert not errors, f"{len(errors)} failed requests, e.g. {[(e.status, e.body) for e in errors[:3]]}"
    assert not inconsistent, "\n".join(f"request {i}: {p}" for i, p in list(inconsistent.items())[:10])
    assert len(log) - 1 >= MIN_WRITE_CYCLES * 4, f"only {len(log) - 1} writes ran"
    assert len(served) >= 3, f"the answers saw too few library states to mean anything: {sorted(served)}"
    assert cited_churn > 0
