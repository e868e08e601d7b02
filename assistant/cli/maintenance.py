"""``policychat repair`` and ``policychat sync``: keep this machine's catalog, vectors and BM25 index consistent."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import console, load_settings, open_library, translate_errors


@translate_errors
def repair() -> None:
    """Check that catalog, vectors and BM25 agree, and fix what an interrupted run left."""
    report = open_library(load_settings()).repair()
    console.print(
        f"orphan vectors removed: {report.orphans_removed}; sources to re-ingest: "
        f"{', '.join(report.stale_sources) or 'none'}; keyword index rebuilt: {report.keyword_rebuilt}"
    )


@translate_errors
def sync(
    full: Annotated[bool, typer.Option(help="Re-read every source even if nothing changed.")] = False,
) -> None:
    """Chroma server mode: update this machine's catalog and BM25 index from the server."""
    from ingest.sync import sync_from_chroma

    report = sync_from_chroma(open_library(load_settings()), full=full)
    console.print(report.summary(), highlight=False)
