"""The UI's "As of" day: the answer is the library as it stood that day; a bad day is a clear error."""

from __future__ import annotations

from typing import Any


def _ask(page: Any, question: str) -> None:
    page.locator("#pc-question textarea").fill(question)
    page.locator("#pc-ask").click()


def test_as_of_answers_from_the_sources_in_force_that_day(page: Any, corpus_ui: str) -> None:
    page.goto(corpus_ui)
    page.locator("#pc-as-of input, #pc-as-of textarea").first.fill("2024-06-01")
    _ask(page, "Is Executive Order 14110 in force?")
    answer = page.locator("#pc-chat .pc-answer").last
    page.locator("#pc-chat a.pc-marker").first.wait_for()
    page.wait_for_function("document.querySelector('#pc-chat').innerText.includes('referred to as revoked')")
    text = " ".join(answer.inner_text().split())
    assert "As of 2024-06-01, Executive Order 14110 was in force" in text, text[:400]
    assert "Note: Executive Order 14110 is referred to as revoked in Executive Order 14179" in text

    page.locator("#pc-as-of input, #pc-as-of textarea").first.fill("2024-13-01")
    _ask(page, "Is Executive Order 14110 in force?")
    page.get_by_text("As of must be a date like").first.wait_for()
