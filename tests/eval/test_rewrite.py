"""Rewording drafted questions with an OpenAI-compatible model: only checkable rewrites replace the template."""

from __future__ import annotations

from pathlib import Path

import pytest
from testsupport import free_port, make_settings

from eval.dataset import Evidence, GoldItem
from eval.drafting import Draft
from eval.rewrite import acceptable, rewrite_drafts

EVIDENCE = ("Within 90 days of the date of this order, the Secretary of Commerce shall publish guidelines for "
            "red-team testing of dual-use foundation models.")


def _draft(question: str = "Within how many days must the Secretary of Commerce publish guidelines for red-team "
                           "testing under Executive Order 14110?") -> Draft:
    item = GoldItem(id="new-x-1", question=question, answerable=True, gold_sources=["eo"],
                    evidence=[Evidence(source_id="eo", quote=EVIDENCE)], must_include=[["90 days"]],
                    reference_answer=EVIDENCE, tags=["factoid", "generated", "US"], reviewed=False)
    return Draft(item, ["Executive Order 14110", "the Secretary of Commerce"])


@pytest.mark.parametrize(("rewritten", "ok"), [
    ("How long does Executive Order 14110 give the Secretary of Commerce to issue red-team testing guidelines?", True),
    ("How long does the order give Commerce to issue red-team guidelines?", False),  # drops the names to keep
    ("Does Executive Order 14110 give the Secretary of Commerce 90 days for red-team guidelines?", False),  # leaks
    ("Within 90 days of the date of this order, the Secretary of Commerce shall publish guidelines for red-team "
     "testing under Executive Order 14110?", False),  # copies the evidence (and leaks)
    ("Executive Order 14110: the Secretary of Commerce\nand red-team testing?", False),  # two lines
    ("Executive Order 14110 the Secretary of Commerce red-team", False),  # not a question
])
def test_only_checkable_rewrites_are_acceptable(rewritten: str, ok: bool) -> None:
    assert acceptable(rewritten, _draft()) is ok


def test_a_failing_endpoint_leaves_the_templates(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", llm_base_url=f"http://127.0.0.1:{free_port()}/v1")
    drafts = [_draft(), _draft("Summarize Executive Order 14110.")]
    assert [d.item for d in rewrite_drafts(drafts, settings)] == [d.item for d in drafts]


@pytest.mark.slow
def test_rewrites_with_a_real_local_model_stay_valid_drafts(llama_server_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", llm_base_url=llama_server_url, llm_model="smollm2")
    drafts = [_draft(), _draft("Summarize Executive Order 14110.")]
    rewritten = rewrite_drafts(drafts, settings)
    assert len(rewritten) == len(drafts)
    for before, after in zip(drafts, rewritten, strict=True):
        assert after.item.reviewed is False and after.item.split == "dev"
        assert after.item.model_dump(exclude={"question"}) == before.item.model_dump(exclude={"question"})
        assert after.item.question == before.item.question or acceptable(after.item.question, before)
        GoldItem.model_validate(after.item.model_dump())
