"""``policychat sources``: list, show (a source's card) and remove ingested sources."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from assistant.cli.common import console, load_settings, open_library, print_table, translate_errors

if TYPE_CHECKING:
    from ingest.catalog import SourceRecord

TITLE_CHARS = 70
"""A title is cut to this many characters in the wide table."""
MIN_TITLE_ROOM = 20
"""The compact table's title line is never cut shorter than this."""

sources_app = typer.Typer(help="List, show and remove ingested sources.", invoke_without_command=True)


@sources_app.callback()
@translate_errors
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    wide: Annotated[bool, typer.Option(help="Every column: id, title, country, date, type, chunks, pages, "
                                             "status (lines may be longer than the terminal).")] = False,
) -> None:
    """List ingested sources: id and title, date, status (--wide: country, type, chunks, pages too)."""
    if ctx.invoked_subcommand is not None:
        return
    from assistant.research.card_view import library_standings

    settings = load_settings()
    library = open_library(settings)
    records = library.catalog.records()
    standings = library_standings(library, [r.meta for r in records])
    status = {sid: standing.status for sid, standing in standings.items()}
    if as_json:
        sys.stdout.write(
            json.dumps(
                [{**r.meta.to_dict(), "chunks": r.n_chunks, "pages": r.n_pages, "status": status.get(r.meta.id)}
                 for r in records],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        return
    title = f"{len(records)} sources in {settings.store.data_dir}"
    table = _wide_table(title, records, status) if wide else _compact_table(title, records, status)
    print_table(table, wide=wide)


def _cut(text: str, limit: int, style: str = "") -> Text:
    """``text`` on one line, cut to ``limit`` terminal cells with "…" when longer (a CJK character takes two)."""
    line = Text(" ".join(text.split()), style=style)
    line.truncate(limit, overflow="ellipsis")
    return line


def _status_text(status: str) -> Text:
    """A source's status, red for revoked or superseded, yellow for amended or draft (as on its card)."""
    from assistant.cli.cards import STATUS_STYLE

    return Text(status, style=STATUS_STYLE.get(status, ""))


def _compact_table(title: str, records: list[SourceRecord], status: dict[str, str]) -> Table:
    """The default listing, as wide as the terminal: the id with the title under it, date and status.

    The id is never cut (it is what ``sources show`` and ``ask --source`` take); the title
    is cut to the room the other two columns leave.
    """
    states = [status.get(r.meta.id, "unknown") for r in records]
    fixed = len("YYYY-MM-DD") + max((len(state) for state in states), default=len("status")) + 4  # + 2 gaps of 2
    room = max(MIN_TITLE_ROOM, console.width - fixed - 2)  # the title line is indented by 2
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column("source", overflow="fold")
    table.add_column("date", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for record, state in zip(records, states, strict=True):
        source = Text(record.meta.id)
        source.append("\n  ").append_text(_cut(record.meta.title, room, "dim"))
        table.add_row(source, Text(record.meta.date), _status_text(state))
    return table


def _wide_table(title: str, records: list[SourceRecord], status: dict[str, str]) -> Table:
    """The ``--wide`` listing: one row per source with every column."""
    table = Table(title=title)
    for column in ("id", "title", "country", "date", "type", "chunks", "pages", "status"):
        table.add_column(column, justify="right" if column in ("chunks", "pages") else "left", overflow="fold")
    for r in records:
        table.add_row(Text(r.meta.id), _cut(r.meta.title, TITLE_CHARS),
                      *(Text(value) for value in (r.meta.country, r.meta.date, r.meta.doc_type, str(r.n_chunks),
                                                  str(r.n_pages))),
                      _status_text(status.get(r.meta.id, "unknown")))
    return table


@sources_app.command("show")
@translate_errors
def sources_show(
    source_id: Annotated[str, typer.Argument(help="The source id (see `policychat sources`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the card as JSON (GET /v1/sources/ID/card).")] = False,
    markdown: Annotated[bool, typer.Option("--md", help="Print the card as Markdown (as …/card.md).")] = False,
) -> None:
    """Show a source's card: identity, status, purpose, summary, outline, provisions, key figures, relations."""
    from assistant.research.card_view import source_card

    library = open_library(load_settings())
    card = source_card(library, source_id)
    if as_json:
        sys.stdout.write(card.model_dump_json(indent=2) + "\n")
    elif markdown:
        from assistant.research.card_export import card_markdown

        sys.stdout.write(card_markdown(card))
    else:
        from assistant.cli.cards import print_card

        print_card(console, card)


@sources_app.command("rm")
@translate_errors
def sources_rm(source_ids: Annotated[list[str], typer.Argument(help="Source ids to remove.")]) -> None:
    """Remove sources (their chunks, vectors and keyword entries) from the library."""
    library = open_library(load_settings())
    for source_id in source_ids:
        removed = library.remove_source(source_id)
        console.print(f"removed {source_id} ({removed} chunks)")
