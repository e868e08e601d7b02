"""Document cards in Chromium: open a card from the Library tab, follow a relation, filter by status, timeline,
export, and the status badge on a chat citation of a revoked order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

Shot = Callable[[Any, str], Path]
EO_14110 = "us-eo-14110-safe-secure-trustworthy-ai-2023"
EO_14179 = "us-eo-14179-removing-barriers-ai-2025"


def _pick(page: Any, source_id: str) -> None:
    page.locator("#pc-source-pick input").click()
    page.get_by_role("option", name=f"{source_id} — ").first.click()


def test_card_opens_from_the_library_tab_and_links_to_related_cards(
    page: Any, corpus_ui: str, screenshot: Shot
) -> None:
    page.goto(corpus_ui)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#pc-sources-table")).to_contain_text(EO_14110)
    _pick(page, EO_14110)

    card = page.locator("#pc-card-view .pc-card")
    expect(card.locator(".pc-card-head .pc-status")).to_have_text("revoked")
    expect(card.locator(".pc-card-status")).to_contain_text("Referred to as revoked in")
    expect(card.locator(".pc-card-status")).to_contain_text("the revoked Executive Order 14110")
    summary = card.locator("ul.pc-card-summary li")
    assert summary.count() >= 3 and all(len(t) > 30 for t in summary.all_inner_texts())
    assert card.locator("ol.pc-card-outline li").count() >= 5
    provisions = page.locator("#pc-provisions")
    expect(provisions).to_contain_text("Secretary of Commerce")
    days = [provisions.locator(f'[data-testid="cell-{row}-0"]').inner_text().strip() for row in range(5)]
    assert days and all(d.isdigit() for d in days) and [int(d) for d in days] == sorted(int(d) for d in days)
    screenshot(page, "ui-card")

    with page.expect_download() as download:
        page.locator("#pc-card-download").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("# Executive Order on the Safe, Secure, and Trustworthy Development")
    assert f"[{EO_14179}:" in exported  # the status evidence with its reference

    links = card.locator("a.pc-card-link", has_text="Executive Order 14179")
    assert links.count() >= 1
    links.first.click()
    expect(page.locator("#pc-card-view .pc-card-head")).to_contain_text("(Executive Order 14179)")
    expect(page.locator("#pc-source-pick input")).to_have_value(f"{EO_14179} — Removing Barriers to American "
                                                               "Leadership in Artificial Intel")
    back = page.locator("#pc-card-view a.pc-card-link", has_text="Executive Order 14110")
    expect(back.first).to_be_visible()
    back.first.click()
    expect(page.locator("#pc-card-view .pc-card-head .pc-status")).to_have_text("revoked")


def test_status_filter_and_timeline(page: Any, corpus_ui: str) -> None:
    page.goto(corpus_ui)
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#pc-sources-table")
    expect(table).to_contain_text(EO_14179)
    page.locator("#pc-status-filter label", has_text="revoked").click()
    expect(table).not_to_contain_text(EO_14179)
    expect(table).to_contain_text(EO_14110)
    page.locator("#pc-status-filter label", has_text="rescinded").click()
    expect(table).to_contain_text("us-wh-fact-sheet-ai-diffusion-rule-2025-01")
    expect(table).not_to_contain_text("us-ai-action-plan-2025")

    page.get_by_text("Timeline", exact=True).click()
    image = page.locator("#pc-timeline img")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('#pc-timeline img').naturalWidth >= 1000")


def test_a_chat_citation_of_a_revoked_order_shows_its_status(page: Any, corpus_ui: str) -> None:
    page.goto(corpus_ui)
    page.locator("#pc-question textarea").fill("How does Executive Order 14110 define AI red-teaming?")
    page.locator("#pc-ask").click()
    answer = page.locator("#pc-chat .pc-answer:not(.pc-pending):not(.pc-streaming)").last
    expect(answer).to_contain_text("Note: Executive Order 14110 is referred to as revoked in Executive Order 14179")
    revoked = answer.locator("details.pc-cite", has_text="Executive Order 14110)")
    assert revoked.count() >= 1
    expect(revoked.first.locator("summary .pc-status")).to_have_text("revoked")
    stating = answer.locator("details.pc-cite", has_text="(Executive Order 14179)")
    expect(stating.first).to_be_visible()
    assert stating.first.locator(".pc-status").count() == 0
