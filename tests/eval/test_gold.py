"""The gold set (eval/data/gold.jsonl) is well-formed and quotes the library verbatim.

Evidence quotes must be substrings of the *stored* (cleaned) text of their
source, compared after collapsing whitespace runs to one space, so that the
evaluation can check citations against exactly what the assistant sees.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

GOLD_PATH = Path(__file__).resolve().parents[2] / "eval" / "data" / "gold.jsonl"
REQUIRED_FIELDS = {
    "id",
    "question",
    "answerable",
    "gold_sources",
    "evidence",
    "must_include",
    "reference_answer",
    "tags",
}
OPTIONAL_FIELDS = {"history", "split", "reviewed"}
KIND_TAGS = {
    "definition", "who", "list", "factoid", "status", "yesno", "summary",
    "comparison", "procedure", "why", "describe", "near-miss", "unanswerable",
}


def _load_gold() -> list[dict[str, Any]]:
    lines = GOLD_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


GOLD = _load_gold()


def _collapse_whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def test_gold_set_is_not_empty_and_ids_are_unique() -> None:
    ids = [str(item.get("id")) for item in GOLD]
    assert ids, f"{GOLD_PATH} has no items"
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate gold ids: {duplicates}"


@pytest.mark.parametrize("item", GOLD, ids=[str(item.get("id")) for item in GOLD])
def test_gold_item_schema(item: dict[str, Any]) -> None:
    fields = set(item)
    assert REQUIRED_FIELDS <= fields, f"missing fields: {sorted(REQUIRED_FIELDS - fields)}"
    unknown = fields - REQUIRED_FIELDS - OPTIONAL_FIELDS
    assert not unknown, f"unknown fields: {sorted(unknown)}"
    assert isinstance(item["id"], str) and item["id"]
    assert isinstance(item["question"], str) and item["question"].strip()
    assert isinstance(item["answerable"], bool)
    assert isinstance(item["reference_answer"], str) and item["reference_answer"].strip()
    assert _is_str_list(item["tags"]) and item["tags"]
    assert _is_str_list(item["gold_sources"])

    for turn in item.get("history", []):
        assert isinstance(turn, dict) and set(turn) == {"role", "content"}, turn
        assert turn["role"] in {"user", "assistant"} and isinstance(turn["content"], str)

    assert isinstance(item["evidence"], list)
    for evidence in item["evidence"]:
        assert isinstance(evidence, dict) and set(evidence) == {"source_id", "quote"}, evidence
        assert isinstance(evidence["source_id"], str) and isinstance(evidence["quote"], str)
        assert evidence["quote"].strip()

    assert isinstance(item["must_include"], list)
    for group in item["must_include"]:
        assert _is_str_list(group) and group, f"must_include group must be a non-empty list of str: {group!r}"

    assert item.get("split") in {"dev", "test"}, "every item is in the dev or the test split"
    kinds = [tag for tag in item["tags"] if tag in KIND_TAGS]
    assert len(kinds) == 1, f"exactly one kind tag expected, got {kinds}"
    assert (kinds[0] in {"near-miss", "unanswerable"}) == (not item["answerable"])

    if item["answerable"]:
        assert item["gold_sources"] and item["evidence"] and item["must_include"]
        assert {e["source_id"] for e in item["evidence"]} == set(item["gold_sources"])
    else:
        assert not item["gold_sources"] and not item["evidence"] and not item["must_include"]


def test_test_split_is_large_and_stratified() -> None:
    test = [item for item in GOLD if item["split"] == "test"]
    assert len(test) >= 0.4 * len(GOLD), f"only {len(test)} of {len(GOLD)} items are in the test split"
    near_miss = [item for item in test if "near-miss" in item["tags"]]
    chinese = [item for item in test if re.search(r"[\u4e00-\u9fff]", item["question"])]
    assert len(near_miss) >= 10 and len(chinese) >= 12, (len(near_miss), len(chinese))
    for kind in KIND_TAGS:
        of_kind = [item for item in GOLD if kind in item["tags"]]
        if len(of_kind) >= 4:
            share = sum(item["split"] == "test" for item in of_kind) / len(of_kind)
            assert 0.25 <= share <= 0.65, f"kind {kind}: {share:.2f} of its items are in test"


@pytest.mark.parametrize("item", GOLD, ids=[str(item.get("id")) for item in GOLD])
def test_must_include_groups_appear_in_the_evidence(item: dict[str, Any]) -> None:
    quotes = " ".join(e["quote"] for e in item["evidence"]).lower()
    for group in item["must_include"]:
        assert any(alternative.lower() in quotes for alternative in group), (
            f"no alternative of {group} occurs in the evidence quotes of {item['id']}"
        )


@pytest.fixture(scope="module")
def stored_texts(ingested: Any) -> dict[str, str]:
    """{source id: stored text with whitespace collapsed} for every ingested source."""
    catalog = ingested.library.catalog
    return {r.meta.id: _collapse_whitespace(catalog.source(r.meta.id).text) for r in catalog.records()}


@pytest.mark.parametrize("item", GOLD, ids=[str(item.get("id")) for item in GOLD])
def test_evidence_quotes_are_verbatim_in_stored_text(item: dict[str, Any], stored_texts: dict[str, str]) -> None:
    for source_id in item["gold_sources"]:
        assert source_id in stored_texts, f"{item['id']}: gold source {source_id!r} is not in the library"
    for evidence in item["evidence"]:
        quote = _collapse_whitespace(evidence["quote"])
        assert quote in stored_texts[evidence["source_id"]], (
            f"{item['id']}: quote not found verbatim in stored text of {evidence['source_id']}: {quote!r}"
        )
