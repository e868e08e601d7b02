"""What changed when sources were added: the change list on hand-built results, then through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from testsupport import make_settings, write_docs

from eval.changes import DIRECTIONS, ChangeReport, changes_markdown, compare_results
from eval.dataset import GoldItem
from eval.metrics import ItemResult, summarize
from eval.newsources import comparison_blocker, prepare_libraries
from eval.runner import run_eval, write_report

# ----------------------------------------------------------------------------- hand-built results


def _cite(source_id: str, quote: str, marker: int = 1) -> dict[str, object]:
    return {"marker": marker, "source_id": source_id, "quote": quote}


def _res(item_id: str, answer: str, *, right: bool = True, abstained: bool = False, answerable: bool = True,
         cites: list[dict[str, object]] | None = None) -> ItemResult:
    return ItemResult(id=item_id, answerable=answerable, tags=[], abstained=abstained, answer=answer,
                      key_facts=(1.0 if right else 0.0) if answerable else None, citations=cites or [])


def test_unchanged_items_are_not_listed_and_each_direction_is_named() -> None:
    before = [
        _res("same", "Thirty days [1].", cites=[_cite("a", "within thirty days")]),
        _res("renumbered", "A [1] and B [2].", cites=[_cite("a", "A", 1), _cite("b", "B", 2)]),
        _res("broke", "Thirty days [1].", cites=[_cite("a", "thirty days")]),
        _res("fixed", "I could not find enough support.", right=False, abstained=True),
        _res("better-worded", "Five years [1].", cites=[_cite("q", "five years")]),
        _res("other-source", "Five years [1].", right=False, cites=[_cite("q", "five years")]),
        _res("now-answers", "No support.", answerable=False, abstained=True),
        _res("gone", "x"),
        _res("refused", "No support. Searched 22 sources.", right=False, abstained=True),
    ]
    after = [
        _res("same", "Thirty days [1].", cites=[_cite("a", "within thirty days")]),
        _res("renumbered", "A [1] and B [2].", cites=[_cite("b", "B", 1), _cite("a", "A", 2)]),
        _res("broke", "Sixty days [1].", right=False, cites=[_cite("n", "sixty days")]),
        _res("fixed", "3 percent [1].", cites=[_cite("n", "a levy of 3 percent")]),
        _res("better-worded", "For five years [1].", cites=[_cite("q", "five years")]),
        _res("other-source", "Five years [1].", right=False, cites=[_cite("n", "five years")]),
        _res("now-answers", "The fine is 2 % [1].", answerable=False, cites=[_cite("n", "2 %")]),
        _res("new", "y"),
        _res("refused", "No support. Searched 25 sources.", right=False, abstained=True),  # the same refusal
    ]
    report = compare_results(before, after, {"fixed": "What levy does the act charge?"})
    assert report.compared == 8 and report.missing == ["gone", "new"] and report.skipped is None
    found = {c.id: (c.direction, c.changed) for c in report.changes}
    assert found == {
        "broke": ("right→wrong", ("answer", "citations")),
        "now-answers": ("right→wrong", ("answer", "citations", "refusal")),
        "fixed": ("wrong→right", ("answer", "citations", "refusal")),
        "better-worded": ("still right", ("answer",)),
        "other-source": ("still wrong", ("citations",)),
    }
    assert [c.id for c in report.changes] == ["broke", "now-answers", "fixed", "better-worded", "other-source"]
    fixed = next(c for c in report.changes if c.id == "fixed")
    assert fixed.question == "What levy does the act charge?" and fixed.after == "3 percent [1]."
    assert report.counts() == {"right→wrong": 2, "wrong→right": 1, "still right": 1, "still wrong": 1}
    stored = report.to_dict()
    counts = stored["counts"]
    assert stored["changed"] == 5 and isinstance(counts, dict) and list(counts) == list(DIRECTIONS)
    assert json.loads(json.dumps(stored))["items"][0]["changed"] == ["answer", "citations"]


def test_markdown_section_counts_and_rows() -> None:
    long = "word | " * 60
    report = compare_results([_res("x", long, right=False)], [_res("x", "Right now [1].")], {"x": "Why?"})
    lines = changes_markdown(report)
    assert lines[1] == "## What changed when the sources were added"
    assert "| wrong→right | 1 |" in lines and "| right→wrong | 0 |" in lines
    row = next(line for line in lines if line.startswith("| x |"))
    assert row.startswith("| x | Why? | wrong→right | answer | word \\| word")
    cell = row.split(" | answer | ")[1].split(" | Right now")[0]
    assert cell.endswith("…") and len(cell.replace("\\|", "|")) == 120
    assert changes_markdown(None) == []
    skipped = changes_markdown(ChangeReport(skipped="the main library is on a Chroma server"))
    assert skipped[-1] == "Not compared: the main library is on a Chroma server"


def test_a_chroma_server_or_an_empty_main_library_is_not_compared(tmp_path: Path) -> None:
    empty = make_settings(tmp_path / "data")
    assert "is empty" in (comparison_blocker(empty) or "")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "catalog.sqlite").write_bytes(b"")
    assert comparison_blocker(empty) is None
    served = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=8123)
    assert "Chroma server (127.0.0.1:8123)" in (comparison_blocker(served) or "")


# ----------------------------------------------------------------------------- the real pipeline

MAIN_DOCS = {
    "zorblax-accord.md": (
        "---\ntitle: The Zorblax Accord on Orbital Compute\npublisher: Lunar Registry Office\ncountry: INTL\n"
        "date: 2024-03-01\ndoc_type: treaty\n---\n# The Zorblax Accord\n\n"
        "The Zorblax Accord requires every signatory to register each orbital compute cluster with the Lunar "
        "Registry within thirty days of launch. Registered clusters must publish an annual energy report.\n"
    ),
    "quillon-labelling-rule.md": (
        "---\ntitle: The Quillon Labelling Rule\npublisher: Quillon Media Authority\ncountry: INTL\n"
        "date: 2023-06-01\ndoc_type: rule\n---\n# The Quillon Labelling Rule\n\n"
        "The Quillon Labelling Rule obliges providers of synthetic audio services to embed an audible watermark "
        "in every generated clip. Providers must keep watermark keys for five years.\n"
    ),
}
NEW_DOCS = {
    "velmora-compute-levy.md": (
        "---\ntitle: The Velmora Compute Levy Act\npublisher: Velmora Treasury\ncountry: INTL\ndate: 2025-02-01\n"
        "doc_type: law\n---\n# The Velmora Compute Levy Act\n\n"
        "The Velmora Compute Levy Act charges operators of large training clusters a levy of 3 percent of their "
        "annual cloud revenue. The Velmora Treasury collects the levy every quarter.\n"
    ),
}


def _gold(item_id: str, question: str, source: str, quote: str, fact: str) -> GoldItem:
    return GoldItem(id=item_id, question=question, answerable=True, gold_sources=[source],
                    evidence=[{"source_id": source, "quote": quote}],  # type: ignore[list-item]
                    must_include=[[fact]], reference_answer=fact, tags=["factoid"])


GOLD = [
    _gold("levy", "What levy does the Velmora Compute Levy Act charge operators of training clusters?",
          "velmora-compute-levy", "a levy of 3 percent of their annual cloud revenue", "3 percent"),
    _gold("register", "Within how many days must a signatory register an orbital compute cluster under the Zorblax "
          "Accord?", "zorblax-accord", "within thirty days of launch", "thirty days"),
    _gold("keys", "How long must Quillon providers keep watermark keys?", "quillon-labelling-rule",
          "keep watermark keys for five years", "five years"),
]


def test_adding_a_source_turns_a_refused_item_right_and_leaves_the_others(tmp_path: Path) -> None:
    from assistant.service import AnswerService
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    main = make_settings(tmp_path / "data")
    assert not ingest_paths(Library(main), [write_docs(tmp_path / "main-docs", MAIN_DOCS)]).errors
    assert comparison_blocker(main) is None
    before: dict[str, list[ItemResult]] = {}

    def ask_before(name: str, library: Library) -> None:
        if name == "whole":
            before["whole"] = run_eval(AnswerService(library.settings, library), GOLD)[0]

    libraries = prepare_libraries(main, write_docs(tmp_path / "new-docs", NEW_DOCS), before_ingest=ask_before)
    whole = libraries["whole"][0]
    assert len(whole.catalog.records()) == 3
    after, _ = run_eval(AnswerService(whole.settings, whole), GOLD)
    report = compare_results(before["whole"], after, {item.id: item.question for item in GOLD})

    assert report.compared == 3
    assert [(c.id, c.direction) for c in report.changes] == [("levy", "wrong→right")], report.changes
    levy = report.changes[0]
    assert "refusal" in levy.changed and "citations" in levy.changed and "3 percent" in levy.after
    assert report.counts()["wrong→right"] == 1 and report.counts()["right→wrong"] == 0

    folder = write_report(tmp_path / "report", after, summarize(after), [], "whole", items=GOLD, changes=report)
    md = (folder / "report.md").read_text(encoding="utf-8")
    section = md.split("## What changed when the sources were added", 1)[1].split("\n## ", 1)[0]
    assert "| wrong→right | 1 |" in section and "| levy | What levy does the Velmora" in section
    assert "| register |" not in section and "| keys |" not in section
    stored = json.loads((folder / "summary.json").read_text())["changes"]
    assert stored["compared"] == 3 and [i["id"] for i in stored["items"]] == ["levy"]
    assert "What changed when the sources were added" in (folder / "report.html").read_text(encoding="utf-8")
    # The confidence of each answered item is recorded, and a refusal has none.
    assert all(r.confidence is not None and 0.0 <= r.confidence <= 1.0 for r in after if not r.abstained)
    assert next(r for r in before["whole"] if r.id == "levy").confidence is None
