"""What every ``policychat`` command shares: the consoles, settings, the library, progress bars, error handling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from policychat.errors import PolicychatError
from policychat.settings import Settings, get_settings, quiet_network_clients

if TYPE_CHECKING:
    from ingest.library import Library

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
err_console = Console(stderr=True)


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
    """The settings, with the network clients' chatter silenced."""
    quiet_network_clients()
    return get_settings()


def open_library(settings: Settings) -> Library:
    """The library of ``settings``, with its publisher in server mode (imported late: ``--help`` stays fast)."""
    from ingest.publish import open_library as open_with_publisher

    return open_with_publisher(settings)


def progress_bar(label: str) -> Progress:
    """A transient progress bar on stderr: label, bar, done/total, elapsed time."""
    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console, transient=True
    )
