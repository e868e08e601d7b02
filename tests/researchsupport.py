"""A small library with a real PDF for the research-workflow tests (threads, exports, cited pages).

It holds the tiny invented documents of :mod:`testsupport` plus the UN General
Assembly resolution A/RES/78/265 (8 pages) copied from the shared corpus with its
catalog row, ingested straight through the pipeline (not the upload API).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

from testsupport import SHARED_CORPUS, require_corpus, settings_for, write_docs

from policychat.settings import Settings

__all__ = ["SHARED_CORPUS", "settings_for"]  # re-exported for the research tests
UN_PDF = "un-ga-res-78-265-safe-secure-trustworthy-ai-2024"
UN_QUESTION = "What does General Assembly resolution 78/265 encourage Member States to do?"
ZORBLAX_QUESTION = "What must signatories of the Zorblax Accord register?"
QUILLON_QUESTION = "What does the Quillon Labelling Rule oblige providers to embed?"


def write_research_docs(folder: Path, with_pdf: bool = True) -> Path:
    """The tiny documents, and (``with_pdf``) the UN resolution PDF with its ``catalog.csv`` row.

    With the PDF, the caller should depend on the ``corpus_dir`` fixture (which marks the test ``corpus``).
    """
    write_docs(folder)
    if with_pdf:
        require_corpus()
        with (SHARED_CORPUS / "catalog.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            row = next(r for r in reader if r["id"] == UN_PDF)
            fields = list(reader.fieldnames or [])
        shutil.copy(SHARED_CORPUS / row["file"], folder / row["file"])
        with (folder / "catalog.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerow(row)
    return folder


def research_library(root: Path, with_pdf: bool = True, **overrides: Any) -> Settings:
    """Ingest :func:`write_research_docs` into ``root/data``; return its settings."""
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    settings: Settings = settings_for(root / "data", **overrides)
    report = ingest_paths(Library(settings), [write_research_docs(root / "docs", with_pdf)])
    assert not report.errors, report.errors
    return settings


def expected_box(pdf: Path, page: int, quote: str, scale: float = 1.5) -> tuple[float, float, float, float] | None:
    """Where pdfplumber's own text search puts the quote's first and last words, in image pixels; None if unsearchable.

    (x0 of the first words, top of the first words, x1 of the last words, bottom of the last words).
    """
    import pdfplumber

    words = quote.split()
    if len(words) < 8:
        return None
    with pdfplumber.open(pdf) as doc:
        found = doc.pages[page - 1]
        heads = found.search(" ".join(words[:4]), regex=False)
        tails = found.search(" ".join(words[-4:]), regex=False)
    if len(heads) != 1 or len(tails) != 1:
        return None
    head, tail = heads[0], tails[0]
    return head["x0"] * scale, head["top"] * scale, tail["x1"] * scale, tail["bottom"] * scale
