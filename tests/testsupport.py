"""Helpers shared by test modules and conftests: quiet environment, free ports, tiny fixture documents.

Importable as ``testsupport`` from any test (pytest puts ``tests/`` on the path
for the top-level conftest).
"""

from __future__ import annotations

import socket
from pathlib import Path

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
