"""The core both pipeline packages build on: settings and the one exception tree.

:mod:`policychat.settings` and :mod:`policychat.errors` import neither ``ingest`` nor ``assistant``.
"""
