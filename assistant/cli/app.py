"""The ``policychat`` typer app: every command group of :mod:`assistant.cli`, and ``eval`` from :mod:`eval.cli`.

Commands are listed by ``--help`` in the order they are added here (groups after commands).
Mounting ``eval`` is the one place the assistant layer imports the evaluation, and this module is
only imported by :func:`assistant.cli.main`, when the command runs.
"""

from __future__ import annotations

import typer

from assistant.cli.ask import ask
from assistant.cli.ingest import ingest
from assistant.cli.maintenance import repair, sync
from assistant.cli.serve import serve
from assistant.cli.sources import sources_app
from eval.cli import eval_app

app = typer.Typer(
    help="Cited answers about US–China AI policy from your own library of sources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sources_app, name="sources")
app.command()(ingest)
app.command()(ask)
app.add_typer(eval_app, name="eval")
app.command()(repair)
app.command()(sync)
app.command()(serve)
