"""The ``policychat`` command line: ingest, sources, ask, serve, mcp, eval, repair, sync.

One module per command group: :mod:`~assistant.cli.ingest`, :mod:`~assistant.cli.sources`
(with :mod:`~assistant.cli.cards` to print a card), :mod:`~assistant.cli.ask`,
:mod:`~assistant.cli.maintenance` (repair, sync), :mod:`~assistant.cli.serve` and
:mod:`~assistant.cli.mcp`; the ``eval`` group lives next to the evaluation, in :mod:`eval.cli`.
:mod:`assistant.cli.app` assembles them. What they share (consoles, settings, the library,
progress bars and the error handling) is in :mod:`assistant.cli.common`.

Every command builds :class:`~policychat.settings.Settings` once, calls one service
function, and turns a :class:`~policychat.errors.PolicychatError` into a one-line message
and exit code 1 (:func:`~assistant.cli.common.translate_errors`).

This package imports nothing at import time: the app, and with it :mod:`eval.cli`, is
assembled when :func:`main` runs, so ``eval`` (the top layer) may import the shared
helpers from here without a cycle.
"""

from __future__ import annotations


def main() -> None:
    """Console-script entry point (``policychat = "assistant.cli:main"``)."""
    from assistant.cli.app import app

    app()
