"""Per-source eval health: computed from a run, merged into eval_health.json, shown on every card."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from subprocess import CompletedProcess

from testsupport import make_settings, write_docs

from eval.dataset import GoldItem
from eval.health import record_health, source_health
from eval.metrics import ItemResult
from ingest.library import Library
from policychat.eval_health import HEALTH_FILE, SourceHealth, merge_eval_health, read_eval_health

ZORBLAX, QUILLON = "zorblax-accord", "quillon-labelling-rule"


def _item(item_id: str, question: str, sources: list[str], facts: list[str], answerable: bool = True) -> GoldItem:
    return GoldItem(id=item_id, question=question, answerable=answerable, gold_sources=sources, evidence=[],
                    must_include=[[f] for f in facts], reference_answer="", tags=["factoid"])


GOLD = [
    _item("z-days", "Within how many days must a Zorblax signatory register an orbital compute cluster?", [ZORBLAX],
          ["thirty days"]),
    # The accord says thirty days: an answer can never hold "ninety days", so this item is always wrong.
    _item("z-wrong", "Within how many days must a Zorblax signatory register an orbital compute cluster, again?",
          [ZORBLAX], ["ninety days"]),
    _item("q-keys", "How long must Quillon providers keep watermark keys?", [QUILLON], ["five years"]),
    _item("none", "What does the Zorblax Accord say about lunar tourism taxes?", [], [], answerable=False),
]


def _result(item_id: str, right: bool, answerable: bool = True) -> ItemResult:
    return ItemResult(id=item_id, answerable=answerable, tags=[], key_facts=float(right) if answerable else None,
                      abstained=not right if not answerable else False)


def test_source_health_by_hand() -> None:
    items = [_item("a", "q", ["s1", "s2"], ["x"]), _item("b", "q", ["s1", "s1"], ["x"]), _item("c", "q", ["s2"], ["x"]),
             _item("d", "q", [], [], answerable=False), _item("e", "q", ["s3"], ["x"])]
    results = [_result("a", True), _result("b", False), _result("c", True), _result("d", True, answerable=False)]
    health = source_health(results, items, day=date(2026, 12, 7), report="r/report.md")
    assert set(health) == {"s1", "s2"}  # s3's item was not run; "d" names no source
    assert (health["s1"].right, health["s1"].items, health["s1"].pass_rate) == (1, 2, 0.5)
    assert (health["s2"].right, health["s2"].items, health["s2"].pass_rate) == (2, 2, 1.0)
    assert health["s1"].date == "2026-12-07" and health["s1"].report == "r/report.md"
    assert health["s1"].describe() == "1/2 right (0.50), 2026-12-07"


def test_merge_keeps_other_sources_and_the_newer_run(tmp_path: Path) -> None:
    def entry(right: int, day: str) -> SourceHealth:
        return SourceHealth(pass_rate=right / 4, right=right, items=4, date=day, report=f"{day}.md")

    assert read_eval_health(tmp_path) == {}
    merge_eval_health(tmp_path, {"a": entry(1, "2026-12-05"), "b": entry(2, "2026-12-05")})
    merged = merge_eval_health(tmp_path, {"a": entry(3, "2026-12-07"), "b": entry(4, "2026-12-01"),
                                          "c": entry(0, "2026-12-07")})
    assert {k: (v.right, v.date) for k, v in merged.items()} == {
        "a": (3, "2026-12-07"), "b": (2, "2026-12-05"), "c": (0, "2026-12-07")}
    assert read_eval_health(tmp_path) == merged
    merge_eval_health(tmp_path, {"a": entry(2, "2026-12-07")})  # the same day: the later run wins
    assert read_eval_health(tmp_path)["a"].right == 2
    assert [p.name for p in tmp_path.iterdir()] == [HEALTH_FILE]  # no temporary file left behind
    (tmp_path / HEALTH_FILE).write_text('{"a": {"pass_rate": 7}}')
    assert read_eval_health(tmp_path) == {}  # a damaged file shows no health rather than failing the card
    assert set(merge_eval_health(tmp_path, {"c": entry(1, "2026-12-08")})) == {"c"}


def _tiny_library(root: Path) -> Library:
    from ingest.pipeline import ingest_paths

    library = Library(make_settings(root / "data"))
    assert not ingest_paths(library, [write_docs(root / "docs")]).errors  # testsupport.TINY_DOCS
    return library


def test_an_eval_run_shows_on_the_cli_ui_markdown_and_api_cards(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from rich.console import Console

    from assistant.cli.cards import print_card
    from assistant.research.card_export import card_markdown
    from assistant.research.card_view import source_card
    from assistant.service import AnswerService
    from assistant.serving.server import create_app
    from assistant.ui.card_render import render_card
    from eval.runner import run_eval

    library = _tiny_library(tmp_path)
    assert source_card(library, ZORBLAX).eval_health is None
    results, _ = run_eval(AnswerService(library.settings, library), GOLD)
    right = {r.id: r for r in results}
    assert right["z-days"].key_facts == 1.0 and right["z-wrong"].key_facts == 0.0 and right["q-keys"].key_facts == 1.0
    assert record_health(library.data_dir, results, GOLD, tmp_path / "report" / "report.md") == 2
    today = date.today().isoformat()
    line = f"Eval: 1/2 right (0.50), {today}"

    card = source_card(library, ZORBLAX)
    assert card.eval_health is not None and card.eval_health.report == str(tmp_path / "report" / "report.md")
    console = Console(record=True, width=200)
    print_card(console, card)
    assert line in console.export_text()
    assert line in render_card(card)
    assert f"| Eval | 1/2 right (0.50), {today} |" in card_markdown(card)

    client = TestClient(create_app(library.settings))
    body = client.get(f"/v1/sources/{ZORBLAX}/card").json()
    assert body["eval_health"] == {"pass_rate": 0.5, "right": 1, "items": 2, "date": today,
                                   "report": str(tmp_path / "report" / "report.md")}
    assert client.get(f"/v1/sources/{QUILLON}/card").json()["eval_health"]["right"] == 1
    assert f"1/2 right (0.50), {today}" in client.get(f"/v1/sources/{ZORBLAX}/card.md").text


def test_eval_run_on_the_cli_stores_health_that_sources_show_prints(
    tmp_path: Path, cli: Callable[..., CompletedProcess[str]]
) -> None:
    library = _tiny_library(tmp_path)
    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text("".join(item.model_dump_json() + "\n" for item in GOLD), encoding="utf-8")
    done = cli("eval", "run", "--dataset", str(dataset), "--no-ablations", "--out", str(tmp_path / "report"),
               data_dir=library.data_dir, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pass rates of 2 sources stored" in done.stderr
    stored = json.loads((library.data_dir / HEALTH_FILE).read_text())
    assert stored[ZORBLAX]["right"] == 1 and stored[ZORBLAX]["items"] == 2
    assert stored[ZORBLAX]["report"] == str(tmp_path / "report" / "report.md")
    shown = cli("sources", "show", ZORBLAX, data_dir=library.data_dir, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert f"Eval: 1/2 right (0.50), {date.today().isoformat()}" in shown.stdout
