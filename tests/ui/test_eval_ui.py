"""The Eval tab in Chromium: review drafts (each decision lands in the file on disk), then evaluate the accepted ones.

The server runs on the two invented documents of ``testsupport.TINY_DOCS`` (no shared corpus); the drafts file
is written here, in the test's own folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from researchsupport import research_library

from assistant.serving.server import background_server
from policychat.settings import Settings

REGISTER = (
    "The Zorblax Accord requires every signatory to register each orbital compute cluster with the Lunar "
    "Registry within thirty days of launch."
)
FINE = "A provider that removes watermarks faces a fine of two percent of turnover."
DRAFTS = [
    {
        "id": "new-zorblax-accord-1",
        "question": "Within how many days must a Zorblax Accord signatory register an orbital compute cluster?",
        "history": [],
        "answerable": True,
        "gold_sources": ["zorblax-accord"],
        "evidence": [{"source_id": "zorblax-accord", "quote": REGISTER}],
        "must_include": [["thirty days"]],
        "reference_answer": "Within thirty days of launch.",
        "tags": ["factoid", "generated", "INTL"],
        "reviewed": False,
        "split": "dev",
    },
    {
        "id": "new-quillon-labelling-rule-1",
        "question": "What fine does a provider that removes watermarks face?",
        "history": [],
        "answerable": True,
        "gold_sources": ["quillon-labelling-rule"],
        "evidence": [{"source_id": "quillon-labelling-rule", "quote": FINE}],
        "must_include": [["two percent"]],
        "reference_answer": "Two percent of turnover.",
        "tags": ["factoid", "generated", "INTL"],
        "reviewed": False,
        "split": "dev",
    },
    {
        "id": "new-zorblax-accord-2",
        "question": "What registration fee does the Zorblax Accord set?",
        "history": [],
        "answerable": False,
        "gold_sources": [],
        "evidence": [],
        "must_include": [],
        "reference_answer": "The accord sets no fee.",
        "tags": ["near-miss", "generated", "INTL"],
        "reviewed": False,
        "split": "dev",
    },
]


@pytest.fixture(scope="module")
def tiny_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A server without a key on the two tiny documents."""
    settings = research_library(tmp_path_factory.mktemp("eval-ui"), with_pdf=False)
    with background_server(settings) as url:
        yield url, settings


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_review_drafts_in_the_eval_tab_then_evaluate_the_accepted_ones(
    page: Any, tiny_ui: tuple[str, Settings], tmp_path: Path, screenshot: Callable[[Any, str], Path]
) -> None:
    url, settings = tiny_ui
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text("".join(json.dumps(row) + "\n" for row in DRAFTS), encoding="utf-8")
    page.goto(url)
    page.get_by_role("tab", name="Eval").click()
    page.locator("#pc-eval-path textarea, #pc-eval-path input").first.fill(str(drafts))
    page.locator("#pc-eval-load").click()
    shown = page.locator("#pc-eval-current")
    expect(shown).to_have_attribute("data-id", "new-zorblax-accord-1")
    expect(page.locator("#pc-eval-draft h3")).to_have_text(DRAFTS[0]["question"])
    expect(page.locator("#pc-eval-status")).to_contain_text("3 drafts: 0 accepted, 0 rejected, 3 undecided")

    page.locator("#pc-eval-skip").click()
    expect(shown).to_have_attribute("data-id", "new-quillon-labelling-rule-1")
    page.locator("#pc-eval-reject").click()
    expect(shown).to_have_attribute("data-id", "new-zorblax-accord-2")
    page.locator("#pc-eval-skip").click()
    expect(shown).to_have_attribute("data-id", "new-zorblax-accord-1")  # round to the skipped one
    page.locator("#pc-eval-accept").click()
    expect(shown).to_have_attribute("data-id", "new-zorblax-accord-2")
    expect(page.locator("#pc-eval-status")).to_contain_text("3 drafts: 1 accepted, 1 rejected, 1 undecided")
    expect(page.locator("#pc-eval-drafts")).to_contain_text("rejected")
    page.locator("#pc-eval-edit").get_by_text("Edit").click()
    expect(page.locator("#pc-eval-reference textarea")).to_have_value(DRAFTS[2]["reference_answer"])
    screenshot(page, "eval-tab-review")

    rows = _rows(drafts)
    assert [(row["id"], row["reviewed"]) for row in rows] == [
        ("new-zorblax-accord-1", True),
        ("new-zorblax-accord-2", False),
    ]
    assert rows[0] == {**DRAFTS[0], "reviewed": True}
    assert [row["id"] for row in _rows(tmp_path / "drafts.rejected.jsonl")] == ["new-quillon-labelling-rule-1"]

    page.locator("#pc-eval-run").click()
    report = page.locator("#pc-eval-report")
    expect(report).to_contain_text("on 1 accepted drafts of drafts.jsonl")
    screenshot(page, "eval-tab-report")
    written = list((Path(settings.store.data_dir) / "eval-reports").glob("*/report.md"))
    assert len(written) == 1
    results = [json.loads(line) for line in (written[0].parent / "results.jsonl").read_text().splitlines()]
    assert [result["id"] for result in results] == ["new-zorblax-accord-1"]
