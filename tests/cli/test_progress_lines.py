"""The plain progress lines of `policychat ingest` off a terminal, driven through a real IngestControl."""

from __future__ import annotations

import io
import re

from testsupport import wait_until

from assistant.cli.progress_lines import ProgressLines
from ingest.progress import FileStatus, IngestControl

FILE_LINE = re.compile(r"^\[(\d+)/3\] (\S+) +([^\s:]+)")


def test_each_finished_file_is_written_once_and_the_overall_line_repeats_while_the_run_goes_on() -> None:
    control = IngestControl()
    out = io.StringIO()
    a, b, c = FileStatus("docs/a.md"), FileStatus("docs/b.pdf"), FileStatus("docs/c.md")
    with ProgressLines(control, out, every=0.1, poll=0.01):
        control.start([a, b, c])
        wait_until(lambda: "ingest: 0/3 files done, 0 chunks embedded" in out.getvalue(), 10)
        control.update(b, state="added", pages=3, chunks=12, seconds=1.44)
        wait_until(lambda: "[1/3] added     docs/b.pdf (3 pages, 12 chunks, 1.4 s)\n" in out.getvalue(), 10)
        control.update(a, state="embedding", chunks=1, chunks_to_embed=40)
        control.add(a, chunks_embedded=24)
        wait_until(lambda: "1/3 files done, 24/40 chunks embedded" in out.getvalue(), 10)
        assert "(embedding docs/a.md)" in out.getvalue()
        control.update(a, state="updated", seconds=0.31)
        control.update(c, state="failed", reason="could not be parsed (no text)")  # written when the block ends
    lines = out.getvalue().splitlines()
    finished = [FILE_LINE.match(line) for line in lines if FILE_LINE.match(line)]
    assert [(m[1], m[2], m[3]) for m in finished if m] == [
        ("1", "added", "docs/b.pdf"), ("2", "updated", "docs/a.md"), ("3", "failed", "docs/c.md")]
    assert "[2/3] updated   docs/a.md (1 chunk, 0.3 s)" in lines
    assert "[3/3] failed    docs/c.md: could not be parsed (no text)" in lines
    overall = [line for line in lines if line.startswith("ingest: ")]
    assert overall[0].startswith("ingest: 0/3 files done, 0 chunks embedded, ")
    assert any(line.startswith("ingest: 1/3 files done, 24/40 chunks embedded") for line in overall[1:]), lines
    assert lines[-1].startswith("[3/3]"), "no overall line after the last file: the summary follows"


def test_nothing_is_written_before_the_run_knows_its_files() -> None:
    control = IngestControl()
    out = io.StringIO()
    with ProgressLines(control, out, every=0.01, poll=0.01):
        wait_until(lambda: True, 1)
    assert out.getvalue() == ""
