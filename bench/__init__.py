"""Benchmarks for policychat: ingestion, retrieval, answering, cold start, and the stock LangChain recipe.

Run with ``make bench`` (``python -m bench [--size small|full] [--out DIR]``). Results
are measurements, not pass/fail tests: each figure is reported next to its target
or peer as a ratio, and written to ``bench/results/<date>-<HHMM>.json`` and ``.md``.
"""
