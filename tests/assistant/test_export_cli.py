"""``policychat ask --format md``: the answer as Markdown with footnotes, from a real library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from researchsupport import ZORBLAX_QUESTION, research_library


def test_ask_format_md_prints_footnotes(tmp_path: Path, cli: Callable[..., CompletedProcess[str]]) -> None:
    settings = research_library(tmp_path, with_pdf=False)
    done = cli("ask", ZORBLAX_QUESTION, "--format", "md", data_dir=Path(settings.store.data_dir))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith(f"## {ZORBLAX_QUESTION}\n\nThe Zorblax Accord requires")
    assert "[^1]" in text.split("\n[^1]: ")[0]
    assert "\n[^1]: *The Zorblax Accord on Orbital Compute*, Lunar Registry Office, 2024-03-01. “" in text
    assert "\n## References\n\n- Lunar Registry Office (2024). *The Zorblax Accord on Orbital Compute*" in text
    bad = cli("ask", ZORBLAX_QUESTION, "--format", "pdf", data_dir=Path(settings.store.data_dir))
    assert bad.returncode == 1 and "--format must be text, json or md" in bad.stderr
