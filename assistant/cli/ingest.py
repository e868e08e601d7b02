"""``policychat ingest``: files and folders into the library, with progress bars and a summary table."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table

from assistant.cli.common import console, err_console, load_settings, open_library, progress_bar, translate_errors
from policychat.errors import PolicychatError

if TYPE_CHECKING:
    from ingest.progress import IngestControl


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


@translate_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders; default POLICYCHAT_SOURCES.")] = None,
    prune: Annotated[bool, typer.Option(help="Remove sources whose files are gone from the given folders.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any file fails.")] = False,
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
    with progress_bar("{task.description}") as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task("parsing" if stage == "parse" else "embedding", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        control = IngestControl()
        with _ctrl_c_cancels(control):
            report = ingest_paths(library, list(paths), prune=prune, progress=progress, control=control)
    for error in report.errors:
        err_console.print(f"[red]skipped[/] {escape(error.path)}: {escape(error.reason)}")  # names may hold "[red]"
    table = Table(title="Ingest summary")
    for column in (
        "sources",
        "added",
        "updated",
        "unchanged",
        "removed",
        "failed",
        "chunks",
        "duplicates",
        "pages",
        "seconds",
        "chunks/s",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        str(len(library.catalog.records())),
        str(len(report.added)),
        str(len(report.updated)),
        str(len(report.unchanged)),
        str(len(report.removed)),
        str(len(report.errors)),
        str(report.chunks_embedded),
        str(report.duplicate_chunks),
        str(report.pages),
        f"{report.seconds:.1f}",
        f"{report.chunks_per_second:.1f}",
    )
    console.print(table)
    if report.cancelled:
        err_console.print(f"[yellow]cancelled:[/] {len(report.ingested)} sources stored before the cancel were kept; "
                          "no file in progress was stored")
        raise typer.Exit(130)
    nothing = not report.ingested and not report.unchanged
    if (strict and report.errors) or (report.errors and nothing):
        raise typer.Exit(1)
