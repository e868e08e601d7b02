"""``policychat ingest``: files and folders into the library, with progress and a summary table.

On a terminal the progress is a set of bars (on stderr, drawn only there). When stdout is
not a terminal (a log file, a pipe, a container) the progress also goes to stdout as plain
lines, one per finished file and an overall one every ten seconds
(:mod:`assistant.cli.progress_lines`), so the log shows the run advance.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from assistant.cli.common import (
    console,
    err_console,
    load_settings,
    open_library,
    print_table,
    progress_bar,
    translate_errors,
)
from policychat.errors import PolicychatError

if TYPE_CHECKING:
    from ingest.library import Library
    from ingest.pipeline import IngestReport
    from ingest.progress import IngestControl

SUMMARY_COLUMNS = ("sources", "added", "updated", "unchanged", "removed", "failed", "chunks", "seconds")
"""The summary's columns by default: they fit 80 columns."""
WIDE_SUMMARY_COLUMNS = (*SUMMARY_COLUMNS[:7], "duplicates", "pages", "seconds", "chunks/s")
"""The summary's columns with ``--wide``."""


@contextmanager
def _ctrl_c_cancels(control: IngestControl) -> Iterator[None]:
    """The first Ctrl-C asks the ingest run to stop at its next check (a clean cancel); a second one aborts."""
    previous = signal.getsignal(signal.SIGINT)

    def handle(signum: int, frame: object) -> None:
        if control.cancelled:
            raise KeyboardInterrupt
        control.cancel()
        err_console.print("[yellow]cancelling[/] after the current file or embedding batch (Ctrl-C again to abort)")

    signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _progress_reports(control: IngestControl) -> Iterator[Callable[[str, int, int], None]]:
    """Show the run's progress while the block runs; yields the ``progress(stage, done, total)`` callback.

    Bars on stderr (drawn only when it is a terminal) and, when stdout is not a terminal,
    plain lines on stdout as well, so that a log of the run shows it advance.
    """
    from assistant.cli.progress_lines import ProgressLines

    with ExitStack() as stack:
        bar = stack.enter_context(progress_bar("{task.description}"))
        if not console.is_terminal:
            stack.enter_context(ProgressLines(control, console.file))
        yield _bar_callback(bar)


def _bar_callback(bar: Progress) -> Callable[[str, int, int], None]:
    """A progress callback that keeps one bar per stage ("parsing", "embedding") of ``bar`` up to date."""
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task("parsing" if stage == "parse" else "embedding", total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return progress


def _summary(library: Library, report: IngestReport, wide: bool) -> Table:
    """The summary table of a run: the compact columns, or every column with ``wide``."""
    values = {
        "sources": str(len(library.catalog.records())),
        "added": str(len(report.added)),
        "updated": str(len(report.updated)),
        "unchanged": str(len(report.unchanged)),
        "removed": str(len(report.removed)),
        "failed": str(len(report.errors)),
        "chunks": str(report.chunks_embedded),
        "duplicates": str(report.duplicate_chunks),
        "pages": str(report.pages),
        "seconds": f"{report.seconds:.1f}",
        "chunks/s": f"{report.chunks_per_second:.1f}",
    }
    table = Table(title="Ingest summary")
    columns = WIDE_SUMMARY_COLUMNS if wide else SUMMARY_COLUMNS
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(*(values[column] for column in columns))
    return table


@translate_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders; default POLICYCHAT_SOURCES.")] = None,
    prune: Annotated[bool, typer.Option(help="Remove sources whose files are gone from the given folders.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any file fails.")] = False,
    wide: Annotated[bool, typer.Option(help="Summary with every column (duplicates, pages, chunks/s).")] = False,
) -> None:
    """Ingest files and folders (PDF, HTML, Markdown, text, DOCX) into the library; Ctrl-C cancels cleanly."""
    from ingest.pipeline import ingest_paths
    from ingest.progress import IngestControl

    settings = load_settings()
    if not paths:
        if settings.store.sources is None:
            raise PolicychatError(
                "No paths given and POLICYCHAT_SOURCES is not set (../shared/corpus is absent); "
                "pass files or folders: policychat ingest PATH..."
            )
        paths = [Path(settings.store.sources)]
    library = open_library(settings)
    control = IngestControl()
    with _progress_reports(control) as progress, _ctrl_c_cancels(control):
        report = ingest_paths(library, list(paths), prune=prune, progress=progress, control=control)
    for error in report.errors:
        err_console.print(f"[red]skipped[/] {escape(error.path)}: {escape(error.reason)}")  # names may hold "[red]"
    print_table(_summary(library, report, wide), wide=wide)
    if report.cancelled:
        err_console.print(f"[yellow]cancelled:[/] {len(report.ingested)} sources stored before the cancel were kept; "
                          "no file in progress was stored")
        raise typer.Exit(130)
    nothing = not report.ingested and not report.unchanged
    if (strict and report.errors) or (report.errors and nothing):
        raise typer.Exit(1)
