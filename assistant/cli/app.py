"""The ``policychat`` typer app: every command group of :mod:`assistant.cli`, plus plugged-in groups.

Commands are listed by ``--help`` in the order they are added here (groups after commands).
Command groups of higher layers (``eval`` from :mod:`eval.cli`) are found through the
``policychat.commands`` entry points declared in pyproject.toml, so the assistant layer never
imports the evaluation; a package can add a group the same way. This module is only imported by
:func:`assistant.cli.main`, when the command runs.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from assistant.cli.ask import ask
from assistant.cli.ingest import ingest
from assistant.cli.maintenance import repair, sync
from assistant.cli.mcp import mcp
from assistant.cli.serve import serve
from assistant.cli.sources import sources_app
from assistant.cli.verify import verify

app = typer.Typer(
    help="Cited answers about US–China AI policy from your own library of sources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sources_app, name="sources")
app.command()(ingest)
app.command()(ask)
app.command()(verify)
for plugin in sorted(entry_points(group="policychat.commands"), key=lambda entry: entry.name):
    app.add_typer(plugin.load(), name=plugin.name)
app.command()(repair)
app.command()(sync)
app.command()(serve)
app.command()(mcp)
