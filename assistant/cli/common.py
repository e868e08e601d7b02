"""What every ``policychat`` command shares: the consoles, settings, the library, progress bars, tables, errors."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from policychat.errors import PolicychatError
from policychat.settings import Settings, get_settings, quiet_network_clients

if TYPE_CHECKING:
    from ingest.library import Library

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
err_console = Console(stderr=True)

WIDE_LIMIT = 1000
"""The widest a ``--wide`` table is measured at (its cells are capped well below this)."""


def fail(exc: Exception) -> NoReturn:
    """Print ``exc`` as one line on stderr ("error: …") and exit with code 1."""
    err_console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(1)


def translate_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command so that a :class:`PolicychatError` it raises is reported by :func:`fail`.

    Every command (and group callback) is wrapped, so a project error never reaches the user as a
    traceback. Other exceptions, ``typer.Exit`` among them, pass through unchanged. The wrapper keeps
    the command's signature and docstring, from which typer builds its options and help.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PolicychatError as exc:
            fail(exc)

    return run


def load_settings() -> Settings:
    """The settings, with the network clients' chatter and the model loaders' progress bars silenced."""
    quiet_network_clients()
    quiet_model_loaders()
    return get_settings()


def quiet_model_loaders() -> None:
    """Switch off the tqdm bars of huggingface_hub and transformers ("Loading weights") in this process.

    They are read from ``HF_HUB_DISABLE_PROGRESS_BARS`` when those libraries are imported, so the
    variable is set first (unless the user set it); a library imported already is told directly.
    Our own progress (rich bars, plain ingest lines) is not tqdm and stays.
    """
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if os.environ["HF_HUB_DISABLE_PROGRESS_BARS"].strip().lower() not in ("1", "true", "yes", "on"):
        return
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


def open_library(settings: Settings) -> Library:
    """The library of ``settings``, with its publisher in server mode (imported late: ``--help`` stays fast)."""
    from ingest.publish import open_library as open_with_publisher

    return open_with_publisher(settings)


def print_table(table: Table, *, wide: bool = False) -> None:
    """Print ``table`` on stdout: fitted to the terminal, or with ``wide`` at its natural width.

    Args:
        table: the table to print.
        wide: print every cell whole, even if the lines come out longer than the terminal
            (``--wide``); a fitted table shortens headers and cells ("sou…") instead.
    """
    if wide:
        natural = Measurement.get(console, console.options.update_width(WIDE_LIMIT), table).maximum
        if natural > console.width:
            Console(file=console.file, width=natural).print(table)
            return
    console.print(table)


def progress_bar(label: str) -> Progress:
    """A transient progress bar on stderr: label, bar, done/total, elapsed time."""
    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console, transient=True
    )
