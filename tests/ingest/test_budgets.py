"""Per-file budgets, honest skip reasons, and a clean Ctrl-C of `policychat ingest`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generated_inputs import NORMAL_DOC, distinct_sentences_text, one_line_per_page_pdf, text_pdf
from testsupport import child_env, count_rows, make_settings, wait_until, write_docs

from ingest.library import Library
from ingest.pipeline import ingest_paths

TESTS = Path(__file__).resolve().parents[1]
_FINGERPRINT = ("import json, sys; sys.path.insert(0, sys.argv[2]); from testsupport import library_fingerprint; "
                "from policychat.settings import Settings; print(json.dumps(library_fingerprint(Settings("
                "data_dir=sys.argv[1], sources=None, _env_file=None))))")


def fingerprint(data_dir: Path) -> dict[str, Any]:
    """:func:`testsupport.library_fingerprint` read in a fresh process (no cached Chroma client)."""
    result = subprocess.run([sys.executable, "-c", _FINGERPRINT, str(data_dir), str(TESTS)], capture_output=True,
                            text=True, timeout=120, check=False, env=child_env())
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _library(data_dir: Path, **overrides: Any) -> Library:
    return Library(make_settings(data_dir, **overrides))


def _chunk_ids(library: Library) -> set[str]:
    return {c.chunk_id for c in library.catalog.chunks()}


def _library_and_new_folder(tmp_path: Path, annex_sentences: int) -> tuple[Path, dict[str, Any], Path]:
    """A small ingested library, its fingerprint, and a folder with a long annex and a normal notice to add."""
    data_dir = tmp_path / "data"
    assert not ingest_paths(_library(data_dir), [write_docs(tmp_path / "docs")]).errors
    before = fingerprint(data_dir)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "annex-review.txt").write_text(distinct_sentences_text(annex_sentences), encoding="utf-8")
    (folder / "harbour-compute-notice.md").write_text(NORMAL_DOC, encoding="utf-8")
    return data_dir, before, folder


def test_a_file_over_its_time_budget_is_refused_and_nothing_of_it_is_stored(tmp_path: Path) -> None:
    data_dir, before, folder = _library_and_new_folder(tmp_path, annex_sentences=3000)
    library = _library(data_dir, max_file_seconds=2)
    report = ingest_paths(library, [folder])
    assert report.added == ["harbour-compute-notice"]
    (error,) = report.errors
    assert error.path == str(folder / "annex-review.txt")
    assert "POLICYCHAT_MAX_FILE_SECONDS=2" in error.reason and "while embedding" in error.reason
    assert "\n" not in error.reason
    refused = next(f for f in report.files if f.path == error.path)
    assert refused.state == "failed" and 0 < refused.chunks_embedded < refused.chunks_to_embed
    after = fingerprint(data_dir)
    assert not [i for i in after["vector_ids"] if i.startswith("annex-review:")]
    assert not [row for row in after["catalog"]["sentence_vectors"] if "annex-review:" in row]
    assert after["catalog"]["staged_sentence_vectors"] == []
    new_ids = set(after["vector_ids"]) - set(before["vector_ids"])
    assert new_ids and all(i.startswith("harbour-compute-notice:") for i in new_ids)
    for table in ("sources", "chunks"):
        assert set(before["catalog"][table]) <= set(after["catalog"][table])


def test_cli_names_the_file_and_the_chunk_limit_and_ingests_the_rest(
    tmp_path: Path, cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "annex-long.txt").write_text(distinct_sentences_text(2000), encoding="utf-8")
    (folder / "harbour-compute-notice.md").write_text(NORMAL_DOC, encoding="utf-8")
    env_dir = tmp_path / "data"
    result = cli("ingest", str(folder), data_dir=env_dir, cwd=tmp_path, env={"POLICYCHAT_MAX_CHUNKS_PER_FILE": "40"})
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1, result.stderr
    assert str(folder / "annex-long.txt") in skipped[0] and "POLICYCHAT_MAX_CHUNKS_PER_FILE=40" in skipped[0]
    listed = json.loads(cli("sources", "--json", data_dir=env_dir).stdout)
    assert [s["id"] for s in listed] == ["harbour-compute-notice"]


def test_skip_reasons_say_what_the_file_lacks(make_library: Callable[..., Library], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scanned.pdf").write_bytes(one_line_per_page_pdf(["", "", ""]))
    (folder / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    (folder / "page-numbers-only.pdf").write_bytes(one_line_per_page_pdf([f"Page {i}" for i in range(1, 7)]))
    header = "Harbour Energy Board - Quarterly Bulletin"
    places = ["Arden", "Belmont", "Corran", "Dunmore", "Elgin", "Farrow", "Glenmoor", "Harlow"]
    bulletin = [[header, f"News from the {place} region.", f"The board approved the grid plan for {place}.",
                 f"Operators in {place} filed their reports.", f"Inspectors visited {place} twice.",
                 f"Page {i + 1}"] for i, place in enumerate(places)]
    (folder / "bulletin.pdf").write_bytes(text_pdf(bulletin))
    report = ingest_paths(make_library(), [folder])
    reasons = {Path(e.path).name: e.reason for e in report.errors}
    assert reasons == {
        "scanned.pdf": "no extractable text in the file: its 3 pages have no text layer (scanned images? run OCR "
                       "first)",
        "blank.txt": "no extractable text in the file (only whitespace or control characters)",
    }
    assert sorted(report.added) == ["bulletin", "page-numbers-only"]
    library = make_library()
    # Page furniture that is all there is stays; beside real text the repeated header still goes.
    assert library.catalog.source("page-numbers-only").text.split("\n\n") == [f"Page {i}" for i in range(1, 7)]
    bulletin_text = library.catalog.source("bulletin").text
    assert header not in bulletin_text and "Page 3" not in bulletin_text
    assert "The board approved the grid plan for Corran." in bulletin_text


def test_ctrl_c_cancels_cleanly_and_changes_nothing(tmp_path: Path) -> None:
    data_dir, before, folder = _library_and_new_folder(tmp_path, annex_sentences=4000)
    env = child_env(POLICYCHAT_DATA_DIR=str(data_dir), COLUMNS="250")
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", str(folder)], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def embedding() -> bool:  # embedding has begun once a batch is staged
        assert process.poll() is None, process.communicate()
        return _staged_rows(data_dir / "catalog.sqlite") > 0

    wait_until(embedding, 240, message="the ingest to start embedding")
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, (stdout, stderr)
    assert "cancelled" in stderr and "Traceback" not in stderr, stderr
    assert fingerprint(data_dir) == before


def _staged_rows(catalog: Path) -> int:
    return count_rows(catalog, "SELECT COUNT(*) FROM staged_sentence_vectors")
