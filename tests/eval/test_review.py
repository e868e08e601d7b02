"""`policychat eval review`: decisions saved as you go, resumed, then added to a gold set by document.

The command is driven through typer's CliRunner with scripted answers to its prompts, over drafts written here
(the two invented documents of ``testsupport.TINY_DOCS``); the gold files are temporary copies, never
eval/data/gold.jsonl. No library or model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app
from eval.dataset import GoldItem, load_gold
from eval.gold_add import add_to_gold, document_of, hashed_split
from eval.review import Edits, accept_item, decide, load_review, rejected_path
from policychat.errors import PolicychatError

ZORBLAX = "zorblax-accord"
QUILLON = "quillon-labelling-rule"
REGISTER = (
    "The Zorblax Accord requires every signatory to register each orbital compute cluster with the Lunar "
    "Registry within thirty days of launch."
)
ARBITERS = "Disputes under the accord go to a panel of three arbitrators chosen by the Lunar Registry."
KEYS = "Providers must keep watermark keys for five years and hand them to the Quillon Media Authority on request."
FINE = "A provider that removes watermarks faces a fine of two percent of turnover."


def _draft(
    item_id: str,
    question: str,
    source: str | None,
    quote: str,
    must: list[list[str]],
    reference: str,
    kind: str = "factoid",
) -> dict[str, Any]:
    """A draft as ``eval generate`` writes it (unanswerable when ``source`` is None)."""
    return {
        "id": item_id,
        "question": question,
        "history": [],
        "answerable": source is not None,
        "gold_sources": [source] if source else [],
        "evidence": [{"source_id": source, "quote": quote}] if source else [],
        "must_include": must,
        "reference_answer": reference,
        "tags": [kind, "generated", "INTL"],
        "reviewed": False,
        "split": "dev",
    }


DRAFTS = [
    _draft(
        "new-zorblax-accord-1",
        "Within how many days must a signatory register an orbital compute cluster?",
        ZORBLAX,
        REGISTER,
        [["thirty days"]],
        "Within thirty days of launch.",
    ),
    _draft(
        "new-zorblax-accord-2",
        "Who chooses the arbitrators of disputes under the Zorblax Accord?",
        ZORBLAX,
        ARBITERS,
        [["Lunar Registry"]],
        "The Lunar Registry.",
        kind="who",
    ),
    _draft(
        "new-quillon-labelling-rule-1",
        "How long must providers keep watermark keys?",
        QUILLON,
        KEYS,
        [["five years"]],
        "Five years.",
    ),
    _draft(
        "new-zorblax-accord-3",
        "What registration fee does the Zorblax Accord set?",
        None,
        "",
        [],
        "The Zorblax Accord does not set a registration fee.",
        kind="near-miss",
    ),
    _draft(
        "new-quillon-labelling-rule-2",
        "What fine does a provider that removes watermarks face?",
        QUILLON,
        FINE,
        [["two percent"]],
        "Two percent of turnover.",
    ),
]
IDS = [draft["id"] for draft in DRAFTS]
EDITED_QUESTION = "Who picks the arbitration panel under the Zorblax Accord?"


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _review(drafts: Path, answers: str, *options: str) -> tuple[int, str]:
    """Run ``policychat eval review DRAFTS OPTIONS`` with ``answers`` on stdin; (exit code, output, one line)."""
    result = CliRunner().invoke(app, ["eval", "review", str(drafts), *options], input=answers)
    return result.exit_code, " ".join(result.output.split())


def _shown(output: str) -> list[str]:
    """The ids of the drafts the review showed, in order (each is printed as "<n>/<total> <id> · ...")."""
    return [
        word
        for before, word in zip(output.split(), output.split()[1:], strict=False)
        if "/" in before and before.split("/")[0].isdigit() and word in IDS
    ]


@pytest.fixture
def drafts(tmp_path: Path) -> Path:
    return _write_jsonl(tmp_path / "generated.jsonl", DRAFTS)


def test_review_saves_each_decision_and_resumes_at_the_first_undecided_draft(drafts: Path) -> None:
    edit = f"e\n{EDITED_QUESTION}\n\n\nthree arbitrators | panel of three; Lunar Registry\n\n"
    code, output = _review(drafts, "a\n" + edit + "r\nq\n")
    assert code == 0, output
    assert "5 drafts, 0 accepted, 0 rejected, 5 to review" in output
    assert _shown(output) == IDS[:4]  # the fourth was shown, then the review quit
    rows = {row["id"]: row for row in _rows(drafts)}
    assert list(rows) == [IDS[0], IDS[1], IDS[3], IDS[4]]
    assert rows[IDS[0]] == {**DRAFTS[0], "reviewed": True}
    assert rows[IDS[1]]["reviewed"] is True
    assert rows[IDS[1]]["question"] == EDITED_QUESTION
    assert rows[IDS[1]]["must_include"] == [["three arbitrators", "panel of three"], ["Lunar Registry"]]
    assert (
        rows[IDS[1]]["evidence"] == DRAFTS[1]["evidence"] and rows[IDS[1]]["reference_answer"] == "The Lunar Registry."
    )
    assert [rows[i]["reviewed"] for i in (IDS[3], IDS[4])] == [False, False]
    assert [row["id"] for row in _rows(rejected_path(drafts))] == [IDS[2]]
    assert "2 accepted, 1 rejected, 2 undecided (run again to resume at new-zorblax-accord-3)" in output

    before = drafts.read_bytes()
    code, output = _review(drafts, "s\nq\n")
    assert code == 0, output
    assert "5 drafts, 2 accepted, 1 rejected, 2 to review" in output
    assert _shown(output) == [IDS[3], IDS[4]]
    assert drafts.read_bytes() == before  # skipping and quitting write nothing

    code, output = _review(drafts, "a\na\n")
    assert code == 0, output
    assert _shown(output) == [IDS[3], IDS[4]]  # the skipped draft is still the first undecided one
    assert "4 accepted, 1 rejected, 0 undecided" in output
    state = load_review(drafts)
    assert [item.id for item in state.accepted] == [IDS[0], IDS[1], IDS[3], IDS[4]] and not state.pending
    assert [item.id for item in state.rejected] == [IDS[2]]


def test_an_edit_that_breaks_a_rule_is_refused_naming_the_field(drafts: Path) -> None:
    before = drafts.read_bytes()
    blank_question = "e\n \n\n\n\n\n"
    not_in_evidence = "e\n\n\n\nninety days\n\n"
    code, output = _review(drafts, blank_question + not_in_evidence + "q\n")
    assert code == 0, output
    assert "error: new-zorblax-accord-1: question: must not be empty" in output
    assert "error: new-zorblax-accord-1: must_include: no alternative of key fact 1 (ninety days) occurs" in output
    assert drafts.read_bytes() == before

    with pytest.raises(PolicychatError, match="reference_answer: must not be empty"):
        accept_item(GoldItem.model_validate(DRAFTS[0]), Edits(reference_answer="  "))
    with pytest.raises(PolicychatError, match="kind: an unanswerable question's kind is near-miss or unanswerable"):
        accept_item(GoldItem.model_validate(DRAFTS[0]), Edits(answerable=False))
    unanswerable = accept_item(GoldItem.model_validate(DRAFTS[0]), Edits(answerable=False, kind="unanswerable"))
    assert (unanswerable.gold_sources, unanswerable.evidence, unanswerable.must_include) == ([], [], [])
    assert unanswerable.tags == ["unanswerable", "generated", "INTL"] and unanswerable.reviewed

    # A feedback candidate has no sources, quotes or key facts: refused until the reviewer gives them.
    candidate = GoldItem.model_validate(
        {
            **_draft(
                "fb-1a2b", "What must signatories register?", None, "", [], "TO REVIEW: write the correct answer."
            ),
            "answerable": True,
        }
    )
    assert document_of(candidate) == "fb-1a2b"
    with pytest.raises(PolicychatError, match="gold_sources: an answerable item needs"):
        accept_item(candidate)
    filled = accept_item(
        candidate,
        Edits(
            gold_sources=[ZORBLAX],
            evidence=[REGISTER],
            must_include=[["thirty days"]],
            reference_answer="Each orbital compute cluster, within thirty days.",
        ),
    )
    assert [(e.source_id, e.quote) for e in filled.evidence] == [(ZORBLAX, REGISTER)]
    assert filled.gold_sources == [ZORBLAX] and filled.must_include == [["thirty days"]]


def test_accepted_items_join_the_gold_set_in_their_documents_split(drafts: Path, tmp_path: Path) -> None:
    gold = _write_jsonl(
        tmp_path / "gold.jsonl",
        [
            {
                **_draft(
                    "g900",
                    "What must providers embed under the Quillon rule?",
                    QUILLON,
                    FINE,
                    [["two percent"]],
                    "A watermark.",
                ),
                "reviewed": True,
                "split": "test",
            },
            {
                **_draft(
                    "new-zorblax-accord-1",
                    "An older item that took this id",
                    "other-doc",
                    "Some words.",
                    [["words"]],
                    "Words.",
                ),
                "reviewed": True,
                "split": "dev",
            },
        ],
    )
    gold_before = gold.read_bytes()
    # The hash sends every new document to dev (--test-share 0): Quillon goes to test only because the gold set has it.
    code, output = _review(drafts, "a\na\nr\na\na\n", "--add-to", str(gold), "--test-share", "0")
    assert code == 0, output
    added = {item.id: item for item in load_gold(gold)[2:]}  # load_gold refuses duplicate ids
    assert gold.read_bytes().startswith(gold_before)
    assert set(added) == {"new-zorblax-accord-4", IDS[1], IDS[3], IDS[4]}
    assert added["new-zorblax-accord-4"].question == DRAFTS[0]["question"]  # renamed: its id was taken
    assert "new-zorblax-accord-4 (renamed from new-zorblax-accord-1) → dev" in output
    assert {item_id: item.split for item_id, item in added.items()} == {
        "new-zorblax-accord-4": "dev",
        IDS[1]: "dev",
        IDS[3]: "dev",
        IDS[4]: "test",
    }
    assert f"→ test (its document's split: {QUILLON})" in output
    assert "added 4 items to" in output

    code, output = _review(drafts, "", "--add-to", str(gold))
    assert code == 0, output
    assert "added 0 items" in output and "4 already there" in output
    assert len(load_gold(gold)) == 6


def test_a_known_document_keeps_its_split_whatever_the_hash_or_split_option(tmp_path: Path) -> None:
    long_id = "us-eo-promoting-export-american-ai-stack-2025"  # 45 characters: drafted ids keep the first 40
    near_miss = GoldItem.model_validate(
        {
            **_draft(
                f"new-{long_id[:40]}-3",
                "What tariff does the order set?",
                None,
                "",
                [],
                "It sets none.",
                kind="near-miss",
            ),
            "reviewed": True,
        }
    )
    fresh = GoldItem.model_validate({**DRAFTS[0], "reviewed": True})
    gold = _write_jsonl(
        tmp_path / "gold.jsonl",
        [
            {
                **_draft(
                    "g1",
                    "What does the order direct?",
                    long_id,
                    "An export program.",
                    [["export"]],
                    "An export program.",
                ),
                "reviewed": True,
                "split": "dev",
            },
        ],
    )
    assert document_of(near_miss, {long_id, "another-document"}) == long_id
    report = add_to_gold([near_miss, fresh], gold, split="test", test_share=1.0)
    assert [(a.id, a.split, a.document) for a in report.added] == [
        (near_miss.id, "dev", long_id),
        (fresh.id, "test", ZORBLAX),
    ]
    with pytest.raises(PolicychatError, match="not reviewed"):
        add_to_gold([GoldItem.model_validate(DRAFTS[0])], gold)


def test_new_documents_split_by_a_stable_hash() -> None:
    documents = [f"document-{n}" for n in range(400)]
    in_test = sum(hashed_split(doc) == "test" for doc in documents)
    assert 160 <= in_test <= 240
    assert {hashed_split(doc, 0.0) for doc in documents} == {"dev"}
    assert {hashed_split(doc, 1.0) for doc in documents} == {"test"}
    assert 40 <= sum(hashed_split(doc, 0.2) == "test" for doc in documents) <= 120
    # Pinned: a document's split must not change between runs or versions (SHA-256 of the id, not hash()).
    assert [hashed_split(doc) for doc in (ZORBLAX, "cn-pipl-2021", "us-ai-action-plan-2025")] == ["test", "dev", "test"]


def test_a_rejection_cut_short_neither_loses_nor_doubles_an_item(drafts: Path) -> None:
    torn = json.dumps({**DRAFTS[0], "reviewed": False})[:60]
    rejected_path(drafts).write_text(json.dumps(DRAFTS[2]) + "\n" + torn, encoding="utf-8")
    state = load_review(drafts)
    assert [item.id for item in state.pending] == [IDS[0], IDS[1], IDS[3], IDS[4]]
    assert [item.id for item in state.rejected] == [IDS[2]]
    state = decide(drafts, IDS[0], "reject")
    assert [row["id"] for row in _rows(drafts)] == [IDS[1], IDS[3], IDS[4]]
    assert [item.id for item in load_review(drafts).rejected] == [IDS[2], IDS[0]]
    with pytest.raises(PolicychatError, match="already rejected"):
        decide(drafts, IDS[0], "accept")
