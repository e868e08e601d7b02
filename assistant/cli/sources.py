"""``policychat sources``: list, show (a source's card) and remove ingested sources."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from assistant.cli.common import console, load_settings, open_library, translate_errors

sources_app = typer.Typer(help="List, show and remove ingested sources.", invoke_without_command=True)


@sources_app.callback()
@translate_errors
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List ingested sources (id, title, country, date, type, chunks, status)."""
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
    table = Table(title=f"{len(records)} sources in {settings.store.data_dir}")
    for column in ("id", "title", "country", "date", "type", "chunks", "status"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(r.meta.id, r.meta.title[:70], r.meta.country, r.meta.date, r.meta.doc_type, str(r.n_chunks),
                      status.get(r.meta.id, "unknown"))
    console.print(table)


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
