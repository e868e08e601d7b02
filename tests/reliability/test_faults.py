"""Faults with real processes: a server SIGKILLed mid-upload job, a Chroma server stopped or hung, a full disk.

After each fault the library must be consistent (catalog chunk ids == Chroma ids
== BM25 ids, no duplicates, every chunk's text at its offsets), sources stored
before the fault must be intact, and the service must recover without manual
repair once the fault is gone.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from testsupport import child_env, count_rows, run_cli, wait_for_job, wait_until

from assistant.serving.server import background_server
from policychat.settings import Settings

KEY = "faults-key-77d1"
AUTH = {"Authorization": f"Bearer {KEY}"}
BASELINE = ("zorblax-accord.md", "quillon-labelling-rule.txt")
SUBJECTS = ["export controls", "model evaluation", "compute thresholds", "data security", "chip subsidies",
            "safety institutes", "open-weight models", "cloud access"]
ACTORS = ["the ministry", "the agency", "the council", "the regulator", "the committee"]
VERBS = ["reviewed", "tightened", "funded", "postponed", "expanded", "audited", "clarified"]


def generated_upload(n_files: int = 6, seed: int = 7) -> list[tuple[str, bytes]]:
    """Several small Markdown/text notes of a few chunks each (seeded, so every run sends the same bytes)."""
    rng = random.Random(seed)
    files = []
    for i in range(n_files):
        subject = SUBJECTS[i % len(SUBJECTS)]
        paragraphs = []
        for p in range(4):
            sentences = [f"In {2016 + (i + p) % 9}, {rng.choice(ACTORS)} {rng.choice(VERBS)} the rules on {subject} "
                         f"for the {rng.randint(2, 90)} firms of annex {i}-{p}-{k}." for k in range(9)]
            paragraphs.append(" ".join(sentences))
        suffix = ".md" if i % 2 else ".txt"
        heading = f"# Note {i} on {subject}\n\n" if suffix == ".md" else f"Note {i} on {subject}\n\n"
        files.append((f"note-{i:02d}{suffix}", (heading + "\n\n".join(paragraphs) + "\n").encode()))
    return files


def multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """An encoded multipart body with every file as a ``files`` part, and its content type."""
    request = httpx.Request("POST", "http://x/", files=[("files", (n, d, "text/plain")) for n, d in files])
    return request.read(), request.headers["content-type"]


def sources(url: str) -> dict[str, dict[str, Any]]:
    """{id: source info} from the API."""
    response = httpx.get(f"{url}/v1/sources", timeout=60)
    assert response.status_code == 200, response.text
    return {s["id"]: s for s in response.json()}


def source_text(url: str, source_id: str) -> str:
    """A source's stored text from the API."""
    response = httpx.get(f"{url}/v1/sources/{source_id}", timeout=60)
    assert response.status_code == 200, response.text
    return str(response.json()["text"])


def wait_repaired(url: str, timeout: float = 90) -> dict[str, Any]:
    """Wait until ``/readyz`` counts as many vectors as chunks (the start-up repair ran); return it."""
    last: list[dict[str, Any]] = [{}]

    def repaired() -> dict[str, Any] | None:
        last[0] = ready = dict(httpx.get(f"{url}/readyz", timeout=60).json())
        return ready if ready.get("status") == "ready" and ready["vectors"] == ready["chunks"] else None

    return wait_until(repaired, timeout, interval=0.2,
                      message=lambda: f"vectors to match chunks after the restart: {last[0]}")


# --------------------------------------------------------------------------- kill -9 during an upload


def _chroma_queue_top(data_dir: Path) -> int:
    """The highest sequence number of Chroma's write-ahead log (moves on when vectors are written)."""
    return count_rows(data_dir / "chroma" / "chroma.sqlite3", "SELECT COALESCE(MAX(seq_id), 0) FROM embeddings_queue",
                      unreadable=-1)


def _staged_rows(data_dir: Path) -> int:
    """Sentence-vector rows an ingest run has staged and not committed (the run is embedding)."""
    return count_rows(data_dir / "catalog.sqlite", "SELECT COUNT(*) FROM staged_sentence_vectors")


def _uploaded_files(data_dir: Path) -> int:
    uploads = data_dir / "uploads"
    return len(list(uploads.iterdir())) if uploads.exists() else 0


def _post_in_background(url: str, body: bytes | Iterator[bytes], content_type: str) -> threading.Thread:
    def post() -> None:
        try:
            httpx.post(f"{url}/v1/sources", content=body, headers={**AUTH, "content-type": content_type},
                       timeout=120)
        except httpx.TransportError:
            pass  # the server is killed under it

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def test_kill_9_during_uploads_leaves_a_consistent_library(
    tmp_path: Path, serve_process: Callable[..., Any], index_state: Callable[[Path], Any],
    tiny_docs: dict[str, str],
) -> None:
    baseline = [(name, tiny_docs[name].encode()) for name in BASELINE]
    upload = generated_upload()
    upload_ids = {Path(name).stem for name, _ in upload}
    # The reference: one clean ingest of the same files (ids = file stems, as uploads get), in parallel.
    clean_files = tmp_path / "clean-files"
    clean_files.mkdir()
    for name, data in [*baseline, *upload]:
        (clean_files / name).write_bytes(data)
    clean_dir = tmp_path / "clean-data"
    clean_run = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", str(clean_files)],
                                 cwd=tmp_path, env=child_env(POLICYCHAT_DATA_DIR=str(clean_dir)),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    data_dir = tmp_path / "data"
    server = serve_process(data_dir, POLICYCHAT_API_KEY=KEY)
    url = server.start()
    body, content_type = multipart(baseline)
    first = httpx.post(f"{url}/v1/sources", content=body, headers={**AUTH, "content-type": content_type}, timeout=180)
    first_job = wait_for_job(url, first, headers=AUTH)
    assert first_job["state"] == "done" and len(first_job["result"]["added"]) == 2, first_job
    before = {sid: source_text(url, sid) for sid in sources(url)}

    body, content_type = multipart(upload)
    queue_top = [0]
    kill_points: list[tuple[str, Callable[[], bool]]] = [
        ("with the files saved, while parsing and embedding", lambda: _uploaded_files(data_dir) >= len(upload)),
        ("mid-embedding, with sentence vectors staged", lambda: _staged_rows(data_dir) > 0),
        ("right after the vectors are written", lambda: _chroma_queue_top(data_dir) > queue_top[0]),
    ]
    for name, condition in kill_points:
        queue_top[0] = _chroma_queue_top(data_dir)
        _post_in_background(url, body, content_type)
        wait_until(condition, 120, interval=0.002, message=f"the kill point {name!r}")
        server.kill()
        url = server.start()
        ready = wait_repaired(url)
        assert _staged_rows(data_dir) == 0, "the start-up repair left staged sentence vectors"
        listed = sources(url)
        assert set(before) <= set(listed), f"killed {name}: a source stored before is gone"
        # A job is committed in one transaction: all of its sources are there, or none.
        assert set(listed) - set(before) in (set(), upload_ids), listed
        for sid in before:
            assert source_text(url, sid) == before[sid], f"killed {name}: {sid} changed"
        assert ready["sources"] == len(listed) and ready["chunks"] == sum(s["chunks"] for s in listed.values())
        # The start-up repair also removes the files the killed job had saved (unless its sources made it).
        stored = len(listed)
        wait_until(lambda stored=stored: _uploaded_files(data_dir) == stored, 60, interval=0.2,
                   message=f"uploads/ to hold exactly the {stored} stored sources' files")
        print(f"\nkill -9 {name}: {len(listed) - len(before)} of {len(upload)} uploaded sources were stored "
              f"(all or none); {_uploaded_files(data_dir)} files in uploads/")

    # Uploading again converges to what one clean ingest gives.
    again = wait_for_job(url, httpx.post(f"{url}/v1/sources", content=body,
                                         headers={**AUTH, "content-type": content_type}, timeout=180), headers=AUTH)
    assert again["state"] == "done" and again["result"]["errors"] == [], again
    assert sorted(again["result"]["added"] + again["result"]["unchanged"]) == sorted(upload_ids)
    server.stop()
    final = index_state(data_dir)
    assert final.problems() == [], final.problems()
    for sid, text in before.items():
        assert final.texts[sid] == text
    assert clean_run.wait(timeout=300) == 0, clean_run.stderr.read() if clean_run.stderr else ""
    clean = index_state(clean_dir)
    assert final.chunk_ids_by_source == clean.chunk_ids_by_source
    assert final.texts == clean.texts


# --------------------------------------------------------------------------- Chroma server stopped / hung


class Hammer:
    """Threads posting questions in a loop, recording (status, body or error, seconds) per request."""

    def __init__(self, url: str, questions: list[str], threads: int = 6, timeout: float = 60) -> None:
        self.url, self.questions, self.timeout = url, questions, timeout
        self.results: list[tuple[float, int, Any, float]] = []  # (started, status (0: no response), body, seconds)
        self.starts: list[float] = []  # when each request was sent, answered or not
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 10)

    def _run(self, index: int) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            n = index
            while not self._stop.is_set():
                question = self.questions[n % len(self.questions)]
                n += 1
                t0 = time.monotonic()
                with self._lock:
                    self.starts.append(t0)
                try:
                    response = client.post(f"{self.url}/v1/answer", json={"question": question})
                    status, body = response.status_code, (
                        response.json() if response.headers.get("content-type", "").startswith("application/json")
                        else response.text)
                except httpx.HTTPError as exc:
                    status, body = 0, f"{type(exc).__name__}: {exc}"
                with self._lock:
                    self.results.append((t0, status, body, time.monotonic() - t0))

    def since(self, t0: float) -> list[tuple[float, int, Any, float]]:
        """Results of requests started at or after ``t0``."""
        with self._lock:
            return [r for r in self.results if r[0] >= t0]

    def wait_for(self, count: int, t0: float, status: int | None = None, timeout: float = 120) -> None:
        """Wait until ``count`` requests started at or after ``t0`` have finished (with ``status``, if given)."""
        wait_until(lambda: len([r for r in self.since(t0) if status is None or r[1] == status]) >= count, timeout,
                   message=f"{count} requests after t={t0:.1f} with status {status}")

    def wait_sent(self, count: int, t0: float, timeout: float = 60) -> None:
        """Wait until ``count`` requests were sent at or after ``t0`` (answered or not)."""
        def sent() -> bool:
            with self._lock:
                return sum(t >= t0 for t in self.starts) >= count

        wait_until(sent, timeout, message=f"{count} requests sent after t={t0:.1f}")


def _bad_results(results: list[tuple[float, int, Any, float]]) -> list[str]:
    """Requests that neither answered (200) nor failed with a clear 503 JSON error."""
    bad = []
    for _t0, status, body, seconds in results:
        clear_503 = status == 503 and isinstance(body, dict) and "Chroma" in str(body.get("detail", ""))
        if status != 200 and not clear_503:
            bad.append(f"{status} after {seconds:.1f} s: {str(body)[:300]}")
    return bad


def _cited_answer(body: Any) -> bool:
    """Whether a 200 body is an answer that states something with citations (not a refusal)."""
    return isinstance(body, dict) and not body.get("abstained", True) and bool(body.get("citations"))


def _wait_answering(url: str, question: str, timeout: float = 60) -> None:
    """Poll ``/v1/answer`` until it answers 200 (only clear 503s are allowed on the way)."""

    def answering() -> bool:
        response = httpx.post(f"{url}/v1/answer", json={"question": question}, timeout=60)
        assert response.status_code in (200, 503), response.text
        return response.status_code == 200

    wait_until(answering, timeout, interval=0.2, message="answers to come back")


def test_chroma_server_stopped_or_hung_mid_query(
    tmp_path: Path, chroma_process: Callable[[], Any], write_docs: Callable[..., Path],
    reliability_settings: Callable[..., Settings],
) -> None:
    from ingest.pipeline import ingest_paths
    from ingest.publish import open_library

    chroma = chroma_process()
    settings = reliability_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma.port,
                                    api_key=KEY, chroma_timeout_seconds=5.0)
    timeout = settings.store.chroma_timeout_seconds
    assert not ingest_paths(open_library(settings), [write_docs(tmp_path / "docs")]).errors
    questions = ["What does the Zorblax Accord require?", "What must providers of synthetic audio embed?",
                 "What does the Brimble Protocol cap?"]
    with background_server(settings) as url:
        _wait_answering(url, questions[0])
        with Hammer(url, questions) as hammer:
            hammer.wait_for(3, 0.0, status=200)  # answering under load
            chroma.stop()  # returns once the server process has exited
            t_stop = time.monotonic()
            hammer.wait_for(3, t_stop + 0.5)  # requests sent while Chroma is down have their replies
            down = httpx.get(f"{url}/readyz", timeout=timeout + 30)
            t_restart = time.monotonic()
            chroma.start()
            _wait_answering(url, questions[1])
            t_back = time.monotonic()
            hammer.wait_for(3, t_back)  # answered again before the next fault

            t_pause = time.monotonic()
            chroma.pause()
            hammer.wait_sent(2, t_pause + 0.5)  # requests that meet a hung server
            hung = httpx.get(f"{url}/readyz", timeout=timeout + 30)
            t_resume = time.monotonic()
            chroma.resume()
            _wait_answering(url, questions[2])
            hammer.wait_for(3, t_resume + 1, status=200)
        results = hammer.results

        assert down.status_code == 503 and down.json()["status"] == "unavailable", down.text
        assert "Chroma server" in down.json()["detail"]
        assert hung.status_code == 503 and "Chroma server" in hung.json()["detail"], hung.text
        bad = _bad_results(results)
        assert not bad, f"{len(bad)} requests failed unclearly:\n" + "\n".join(bad[:10])
        slowest = max(r[3] for r in results)
        assert slowest < timeout * 2 + 10, f"a request took {slowest:.1f} s: the API hung on Chroma"
        during_stop = [r for r in results if t_stop + 0.5 < r[0] < t_restart]
        during_pause = [r for r in results if t_pause + 0.5 < r[0] < t_resume]
        # Reads are served from the in-memory snapshot of the last synced generation, so while
        # Chroma is down a request either gets a cited answer from it or a clear 503.
        assert during_stop, "no request was sent while Chroma was down"
        assert all(_cited_answer(r[2]) if r[1] == 200 else r[1] == 503 for r in during_stop), (
            "requests while Chroma was down: " + "; ".join(f"{r[1]} {str(r[2])[:200]}" for r in during_stop[:5])
        )
        assert during_pause and all(r[1] in (200, 503) for r in during_pause)
        back = [r for r in results if t_back < r[0] and r[0] + r[3] < t_pause]
        after = [r for r in results if r[0] > t_resume + 1]
        assert back and after and all(r[1] == 200 for r in back[-3:] + after[-3:]), "answers did not come back"
        ready = httpx.get(f"{url}/readyz", timeout=60)
        assert ready.status_code == 200, ready.text
        print(f"\nchroma faults: {len(results)} requests, {sum(r[1] == 200 for r in results)} answered, "
              f"{sum(r[1] == 503 for r in results)} clear 503s, slowest {slowest:.1f} s")


# --------------------------------------------------------------------------- disk full


NOTICE = "# Gamma directive\n\n" + "\n\n".join(
    f"Section {i}. The Gamma directive obliges cloud providers in region {i} to log every training run above the "
    f"compute threshold, to keep the logs for {i + 2} years and to report them to the agency within {i + 5} days."
    for i in range(40)
) + "\n"


def test_disk_full_fails_clearly_and_keeps_the_library(
    tmpfs: Callable[[int], Path], fill_disk: Callable[[Path, int], Path], index_state: Callable[[Path], Any],
    write_docs: Callable[..., Path], reliability_settings: Callable[..., Settings], tmp_path: Path,
) -> None:
    mount = tmpfs(16 * 1024 * 1024)
    data_dir = mount / "data"
    docs = write_docs(tmp_path / "docs")
    big = tmp_path / "big"
    big.mkdir()
    (big / "gamma-directive.md").write_text(NOTICE, encoding="utf-8")

    first = run_cli("ingest", str(docs), data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    before = index_state(data_dir)
    assert before.problems() == [] and len(before.texts) == 3

    filler = fill_disk(mount, 64 * 1024)
    failed = run_cli("ingest", str(big), data_dir=data_dir)
    assert failed.returncode != 0, failed.stdout
    message = " ".join(failed.stderr.split())
    print(f"\ndisk full, CLI: {message[:400]}")
    assert "no space left" in message.lower() and "gamma-directive.md" in message, failed.stderr
    assert "Traceback" not in failed.stderr, failed.stderr
    after_cli = index_state(data_dir)
    assert [p for p in after_cli.problems() if "orphan vectors" not in p] == [], after_cli.problems()
    assert after_cli.texts == before.texts and after_cli.chunk_ids_by_source == before.chunk_ids_by_source

    with background_server(reliability_settings(data_dir, api_key=KEY)) as url:
        answer = httpx.post(f"{url}/v1/answer", json={"question": "What does the Zorblax Accord require?"},
                            timeout=120)
        assert answer.status_code == 200 and answer.json()["citations"], answer.text
        # Fits on the disk as a file, but not into the stores: the job fails, naming the file.
        small = httpx.post(f"{url}/v1/sources", headers=AUTH, timeout=180,
                           files={"files": ("gamma-directive.md", NOTICE.encode(), "text/markdown")})
        small_job = wait_for_job(url, small, headers=AUTH)
        print(f"disk full, API job: {small_job['state']} {str(small_job['detail'])[:300]}")
        assert small_job["state"] == "failed" and small_job["result"] is None, small_job
        assert "gamma-directive.md" in small_job["detail"] and "no space left" in small_job["detail"].lower()
        assert [f["state"] for f in small_job["files"]] == ["failed"]
        # Does not even fit as an uploaded file: refused at once.
        large = httpx.post(f"{url}/v1/sources", headers=AUTH, timeout=180,
                           files={"files": ("huge-annex.txt", b"Annex line about compute. " * 20_000, "text/plain")})
        assert large.status_code == 507, (large.status_code, large.text[:500])
        detail = large.json()["detail"]
        print(f"disk full, API: 507 {detail[:300]}")
        assert "huge-annex.txt" in detail and "no space left" in detail.lower(), detail
        uploads = data_dir / "uploads"
        assert not uploads.exists() or not list(uploads.iterdir()), "a failed upload left its file behind"
        again = httpx.post(f"{url}/v1/answer", json={"question": "What does the Quillon Labelling Rule oblige?"},
                           timeout=120)
        assert again.status_code == 200 and again.json()["citations"], again.text
        assert set(sources(url)) == set(before.texts)
        assert httpx.get(f"{url}/readyz", timeout=60).status_code == 200

    filler.unlink()
    freed = run_cli("ingest", str(big), data_dir=data_dir)
    assert freed.returncode == 0, freed.stderr
    final = index_state(data_dir)
    assert final.problems() == [], final.problems()
    assert set(final.texts) == set(before.texts) | {"gamma-directive"}
    for sid, text in before.texts.items():
        assert final.texts[sid] == text and final.chunk_ids_by_source[sid] == before.chunk_ids_by_source[sid]
