"""``policychat verify FILE``: re-check the citations of an exported thread against the current library.

FILE is a Markdown export (footnotes with ``policychat:cite`` references) or a CSL-JSON
export, told apart by content. The report is a table that fits 80 columns, one evidence
line per citation that is not plainly unchanged, and the count per status; ``--json``
prints :class:`~assistant.research.verify_citations.VerifyReport` instead.

Exit codes: 0 when every quote still holds (unchanged, moved or superseded), 1 when any is
changed or removed (or the library cannot be read), 2 when FILE cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import console, err_console, load_settings, open_library, translate_errors
from policychat.errors import CitationInputError

if TYPE_CHECKING:
    from assistant.research.verify_citations import VerifyReport

EVIDENCE_CHARS = 240
"""An evidence line is cut to this many characters (``--json`` has it whole)."""
STATUS_STYLE = {"unchanged": "green", "moved": "cyan", "changed": "bold red", "removed": "bold red",
                "superseded": "yellow"}


def _unreadable(message: str) -> NoReturn:
    """Say on one stderr line that FILE cannot be used, and exit with code 2 (as for a bad argument)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(2)


def _read(file: str) -> str:
    """FILE's text ("-": standard input); exits with code 2 when it cannot be read."""
    try:
        return sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _unreadable(f"cannot read {file}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}")


def _where(start: int | None, end: int | None) -> str:
    return "–" if start is None or end is None else f"{start}–{end}"


def _cut(text: str, limit: int = EVIDENCE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_report(report: VerifyReport, name: str) -> None:
    """The report as a table (footnote, source, status, cited and current offsets), evidence lines and counts."""
    table = Table(title=f"Citations of {escape(name)} (library generation {report.library_generation})",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("source", overflow="fold", ratio=1)
    table.add_column("status")
    table.add_column("cited at")
    table.add_column("now at")
    for index, check in enumerate(report.citations, start=1):
        style = STATUS_STYLE.get(check.status, "")
        table.add_row(str(check.footnote or index), escape(check.source_id), f"[{style}]{check.status}[/]",
                      _where(check.start, check.end), _where(check.now_start, check.now_end))
    console.print(table)
    for index, check in enumerate(report.citations, start=1):
        if check.status != "unchanged" or check.hash_matches is False:
            label = f"[^{check.footnote}]" if check.footnote is not None else f"#{index}"
            console.print(f"{label} {check.status}: {escape(_cut(check.evidence))}", highlight=False)
    counts = ", ".join(f"{n} {status}" for status, n in report.counts.items() if n)
    verdict = "all hold" if report.ok else "some no longer hold"
    console.print(f"{len(report.citations)} citations: {counts} ({verdict})", highlight=False)


@translate_errors
def verify(
    file: Annotated[str, typer.Argument(metavar="FILE",
                                        help="A Markdown or CSL-JSON export of a thread or answer ('-': stdin).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-check an export's quotes against the library: unchanged, moved, changed, removed or superseded.

    Exits 0 when every quote still holds (unchanged, moved, superseded), 1 when any is changed or removed.
    """
    from assistant.research.citation_refs import parse_export
    from assistant.research.verify_citations import verify_citations

    text = _read(file)
    try:
        cited = parse_export(text, file)
    except CitationInputError as exc:
        _unreadable(str(exc))
    report = verify_citations(cited, open_library(load_settings()))
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        print_report(report, file)
    if not report.ok:
        raise typer.Exit(1)
