"""Helpers shared by test modules and conftests: quiet environment, free ports, tiny fixture documents.

Importable as ``testsupport`` from any test (pytest puts ``tests/`` on the path
for the top-level conftest).
"""

from __future__ import annotations

import socket
import time
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


FINAL_JOB_STATES = ("done", "failed", "cancelled")


def wait_for_job(url: str, job: Any, *, timeout: float = 300, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{id}`` until the job is done, failed or cancelled; return its last JSON.

    Args:
        url: the server's base URL.
        job: the ``POST /v1/sources`` response (which must be a 202 with a job) or a job id.
        timeout: seconds before the test fails.
        headers: sent with every poll (reads need no key; harmless when given).
    """
    import httpx

    if isinstance(job, httpx.Response):
        assert job.status_code == 202, (job.status_code, job.text[:500])
        assert job.headers["location"] == f"/v1/jobs/{job.json()['id']}", job.headers.get("location")
        job = job.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{url}/v1/jobs/{job}", headers=headers, timeout=60)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        body: dict[str, Any] = response.json()
        if body["state"] in FINAL_JOB_STATES:
            return body
        assert time.monotonic() < deadline, f"job {job} still {body['state']} after {timeout:g} s: {body}"
        time.sleep(0.1)


def upload_and_wait(url: str, files: Any, *, data: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None, timeout: float = 300) -> dict[str, Any]:
    """``POST /v1/sources`` (asserting the 202) and wait for the job to finish; return the final job JSON."""
    import httpx

    response = httpx.post(f"{url}/v1/sources", files=files, data=data, headers=headers, timeout=120)
    return wait_for_job(url, response, timeout=timeout, headers=headers)


def library_fingerprint(settings: Any) -> dict[str, Any]:
    """What a library holds, comparable byte for byte: every catalog table's rows, the Chroma ids, the BM25 files.

    Cards are compared by source, content hash and recipe version, not by their cached text.

    Reads the catalog read-only and the vector ids through a :class:`~ingest.library.Library`
    on the same settings (safe beside an in-process server).
    """
    import hashlib
    import sqlite3

    from ingest.library import Library

    data_dir = Path(settings.data_dir)
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        rows = {table: sorted(repr(row) for row in db.execute(f'SELECT * FROM "{table}"')) for table in tables}
        if "cards" in rows:
            # A card is a cache a reader may rebuild; which sources have one, for which content, is the state.
            card_keys = db.execute("SELECT source_id, content_hash, version FROM cards")
            rows["cards"] = sorted(repr(row) for row in card_keys)
    finally:
        db.close()
    bm25 = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((data_dir / "bm25").iterdir())}
    uploads = data_dir / "uploads"
    return {
        "catalog": rows,
        "vector_ids": sorted(Library(settings).vectors.ids()),
        "bm25": bm25,
        "uploads": sorted(p.name for p in uploads.iterdir()) if uploads.exists() else [],
    }


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
    from policychat.settings import Settings

    values: dict[str, object] = {"generator": "openai", "llm_base_url": llm_url, "llm_model": "smollm2",
                                 "llm_max_tokens": 120, "llm_temperature": 0.0, "llm_context_tokens": 2048, **overrides}
    return Settings(data_dir=data_dir, sources=None, _env_file=None, **values)  # type: ignore[arg-type]


def ingest_llm_docs(root: Path, settings: Any) -> None:
    """Ingest :data:`LLM_DOCS` (written under ``root``) into the library of ``settings``."""
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    report = ingest_paths(Library(settings), [write_docs(root / "llm-docs", LLM_DOCS)])
    assert not report.errors and len(report.added) == len(LLM_DOCS), report
