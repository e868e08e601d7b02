"""`policychat ingest` off a terminal: a line per file as it finishes, no model-loader bars, an 80-column summary."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from testsupport import MINI_DOCS, TINY_DOCS, child_env, run_cli, terminate, wait_until, write_docs

pytestmark = pytest.mark.process  # runs the CLI, which loads the model, in subprocesses

FIRST = dict(list(MINI_DOCS.items())[:2])
LATER = {**dict(list(MINI_DOCS.items())[2:]), **TINY_DOCS}
LOADER_TRACES = ("Loading weights", "it/s]", "s/it]", "\r")
"""What a tqdm bar (the model loaders' "Loading weights") leaves in a file."""
SUMMARY = ("sources", "added", "updated", "unchanged", "removed", "failed", "chunks", "seconds")
WIDE_SUMMARY = (*SUMMARY[:7], "duplicates", "pages", "seconds", "chunks/s")
FILE_LINE = re.compile(r"^\[(\d+)/(\d+)\] (added|updated|unchanged|failed|cancelled) +(\S+?):? ")


def finished_files(text: str) -> dict[str, tuple[int, int, str]]:
    """File name -> (position in the output, files in the run, state) of every per-file line."""
    files = {}
    for line in text.splitlines():
        match = FILE_LINE.match(line + " ")
        if match:
            files[Path(match[4]).name] = (int(match[1]), int(match[2]), match[3])
    return files


def summary_header(text: str) -> str:
    """The header row of the summary table."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "Ingest summary" in line)
    return next(line for line in lines[start:] if "┃" in line and "sources" in line)


def assert_no_loader_bars(*outputs: str) -> None:
    for output in outputs:
        for trace in LOADER_TRACES:
            assert trace not in output, f"a progress bar of the model loaders leaked: {trace!r} in {output[-2000:]!r}"


def test_first_ingest_off_a_terminal_lists_each_file_before_an_80_column_summary(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    docs = write_docs(tmp_path / "docs", FIRST)
    done = cli("ingest", str(docs), data_dir=tmp_path / "data", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    files = finished_files(done.stdout)
    assert {name: state for name, (_, _, state) in files.items()} == {name: "added" for name in FIRST}
    assert sorted(position for position, _, _ in files.values()) == [1, 2]
    assert done.stdout.index("Ingest summary") > max(done.stdout.index(name) for name in FIRST)
    assert re.search(r"\(\d+ chunks?, \d+\.\d s\)", done.stdout), done.stdout
    lines = done.stdout.splitlines()
    summary = lines[next(i for i, line in enumerate(lines) if "Ingest summary" in line) :]
    assert max(cell_len(line) for line in summary) <= 80, done.stdout  # (log lines may be longer: paths are whole)
    header = summary_header(done.stdout)
    assert "…" not in header, header
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == list(SUMMARY)
    assert_no_loader_bars(done.stdout, done.stderr)

    wide = cli("ingest", str(docs), "--wide", data_dir=tmp_path / "data", env={"COLUMNS": "80"})
    assert wide.returncode == 0, wide.stderr
    header = summary_header(wide.stdout)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == list(WIDE_SUMMARY)
    row = next(line for line in wide.stdout.splitlines() if line.startswith("│"))
    assert [cell.strip() for cell in row.strip("│").split("│")][:4] == ["2", "0", "0", "2"]  # sources … unchanged


def test_ingest_into_a_file_writes_progress_while_it_runs(tmp_path: Path) -> None:
    data_dir, docs = tmp_path / "data", write_docs(tmp_path / "docs", FIRST)
    assert run_cli("ingest", str(docs), data_dir=data_dir).returncode == 0
    write_docs(docs, LATER)  # the first files are unchanged: their lines come long before the new ones are embedded
    out, err = tmp_path / "ingest.log", tmp_path / "ingest.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "ingest", str(docs)], cwd=tmp_path, stdout=stdout, stderr=stderr,
            env=child_env(POLICYCHAT_DATA_DIR=str(data_dir), COLUMNS="80"),
        )
    try:

        def unchanged_lines_written() -> str:
            text = out.read_text(encoding="utf-8")
            states = [state for _, _, state in finished_files(text).values()]
            return text if states.count("unchanged") == len(FIRST) else ""

        early = wait_until(unchanged_lines_written, 240, message=lambda: out.read_text() + err.read_text())
        assert process.poll() is None, "the per-file lines reached the file only when the ingest ended"
        assert "Ingest summary" not in early
        assert early.startswith(f"ingest: 0/{len(FIRST) + len(LATER)} files done"), early
        assert process.wait(timeout=600) == 0, err.read_text()
    finally:
        terminate(process)
    text = out.read_text(encoding="utf-8")
    files = finished_files(text)
    assert {name: state for name, (_, _, state) in files.items()} == {
        **{name: "unchanged" for name in FIRST}, **{name: "added" for name in LATER}}
    assert sorted(position for position, _, _ in files.values()) == list(range(1, len(files) + 1))
    assert {total for _, total, _ in files.values()} == {len(files)}
    assert text.index("Ingest summary") > max(text.index(name) for name in files)
    assert_no_loader_bars(text, err.read_text(encoding="utf-8"))
