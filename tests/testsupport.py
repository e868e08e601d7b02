"""Helpers shared by test modules and conftests: quiet environment, free ports, tiny fixture documents.

Importable as ``testsupport`` from any test (pytest puts ``tests/`` on the path
for the top-level conftest).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

QUIET_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}

TINY_DOCS = {
    "zorblax-accord.md": (
        "---\ntitle: The Zorblax Accord on Orbital Compute\npublisher: Lunar Registry Office\ncountry: INTL\n"
        "date: 2024-03-01\ndoc_type: treaty\n---\n# The Zorblax Accord\n\n"
        "The Zorblax Accord requires every signatory to register each orbital compute cluster with the Lunar "
        "Registry within thirty days of launch. Registered clusters must publish an annual energy report. "
        "The Lunar Registry may suspend a cluster that fails two consecutive inspections.\n\n"
        "Signatories of the Zorblax Accord agreed to share debris-tracking data for orbital compute platforms. "
        "Disputes under the accord go to a panel of three arbitrators chosen by the Lunar Registry.\n"
    ),
    "quillon-labelling-rule.txt": (
        "The Quillon Labelling Rule\n\n"
        "The Quillon Labelling Rule obliges providers of synthetic audio services to embed an audible watermark "
        "in every generated clip. Providers must keep watermark keys for five years and hand them to the Quillon "
        "Media Authority on request. A provider that removes watermarks faces a fine of two percent of turnover.\n"
    ),
}
"""Two invented documents (so answers about them can only come from them) for small libraries."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_docs(folder: Path, docs: dict[str, str] | None = None) -> Path:
    """Write ``docs`` (default :data:`TINY_DOCS`) into ``folder`` as UTF-8 files; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (TINY_DOCS if docs is None else docs).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


LLM_DOCS = {
    "harbor-compute-act.md": (
        "---\ntitle: Harbor Compute Act\npublisher: Office of Harbor Technology\ncountry: US\n"
        "date: 2025-02-03\ndoc_type: law\n---\n# Harbor Compute Act\n\n"
        "The Harbor Compute Act requires every data centre operator to report its annual energy use to the "
        "Office of Harbor Technology. Operators must file the report by March 31 of each year. "
        "The Office of Harbor Technology may fine an operator that misses the deadline.\n"
    ),
    "lantern-model-rules.md": (
        "---\ntitle: Lantern Model Registration Rules\npublisher: Lantern Digital Agency\ncountry: CN\n"
        "date: 2024-09-12\ndoc_type: regulation\n---\n# Lantern Model Registration Rules\n\n"
        "The Lantern Model Registration Rules require providers of chatbot services to register each model "
        "with the Lantern Digital Agency before release. Registration takes effect after a review of "
        "twenty working days. Providers must label chatbot replies as machine-generated.\n"
    ),
}
"""Two invented documents with facts short enough for the packaged 135M model to copy into a sentence."""
LLM_EASY_QUESTION = "What must providers label chatbot replies as?"
"""SmolLM2 answers it with the passage's own fact ("machine-generated"), which verification releases."""
LLM_HARD_QUESTIONS = (
    "Who may fine an operator that misses the deadline?",
    "What must providers of chatbot services do before releasing a model?",
    "What must data centre operators report under the Harbor Compute Act?",
)
"""SmolLM2 mixes the two documents up on these: some of its sentences state what no passage supports."""


def llm_settings(data_dir: Path, llm_url: str, **overrides: object) -> Any:
    """Settings for the ``openai`` backend on llama.cpp's server (greedy decoding, short replies)."""
    from assistant.settings import Settings

    values: dict[str, object] = {"generator": "openai", "llm_base_url": llm_url, "llm_model": "smollm2",
                                 "llm_max_tokens": 120, "llm_temperature": 0.0, "llm_context_tokens": 2048, **overrides}
    return Settings(data_dir=data_dir, sources=None, _env_file=None, **values)  # type: ignore[arg-type]


def ingest_llm_docs(root: Path, settings: Any) -> None:
    """Ingest :data:`LLM_DOCS` (written under ``root``) into the library of ``settings``."""
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    report = ingest_paths(Library(settings), [write_docs(root / "llm-docs", LLM_DOCS)])
    assert not report.errors and len(report.added) == len(LLM_DOCS), report
