"""Server mode: a real `chroma run` server on loopback holds the vectors; data survives a restart.

The ``chroma_server`` fixture lives in tests/ingest/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from testsupport import make_settings

from assistant.models import AnswerRequest
from assistant.service import AnswerService
from ingest.pipeline import ingest_paths
from ingest.publish import open_library
from policychat.errors import IndexUnavailableError


def test_ingest_and_answer_through_a_chroma_server_across_a_restart(tmp_path: Path, chroma_server) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "talks.md").write_text(
        "# Geneva talks\n\nThe United States and China held their first intergovernmental talks on AI risk "
        "in Geneva on 14 May 2024.\n", encoding="utf-8")
    (docs / "chips.md").write_text(
        "# Chip rule\n\nThe export rule requires a license for advanced computing chips shipped to "
        "listed destinations.\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    assert settings.store.uses_chroma_server
    library = open_library(settings)
    report = ingest_paths(library, [docs])
    assert sorted(report.added) == ["chips", "talks"]
    assert not (tmp_path / "data" / "chroma").exists(), "server mode must not create an embedded store"

    question = AnswerRequest(question="Where were the US-China talks on AI risk held?")
    first = AnswerService(settings, library).answer(question)
    assert not first.abstained and first.citations[0].source_id == "talks"

    chroma_server.stop()
    with pytest.raises(IndexUnavailableError, match="Chroma server"):
        AnswerService(settings, open_library(settings)).answer(question)

    chroma_server.start()
    reopened = open_library(settings)
    assert reopened.vectors.ids() == {c.chunk_id for c in reopened.catalog.chunks()}
    again = AnswerService(settings, reopened).answer(question)
    assert again.answer == first.answer
    assert ingest_paths(reopened, [docs]).chunks_embedded == 0
