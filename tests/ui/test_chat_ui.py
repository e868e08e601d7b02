"""The Gradio UI in Chromium: examples, a streamed cited answer, footnotes, refusal, upload, inert scripts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from generated_inputs import distinct_sentences_text
from playwright.sync_api import expect

Shot = Callable[[Any, str], Path]

EXAMPLE = "What does Executive Order 14179 direct?"
PLINTH = (
    "Plinth Safety Code <script>window.__pwned=1</script>\n\n"
    "The Plinth Safety Code requires robot vendors to file a hazard log before each firmware release. "
    "<script>window.__pwned=1</script> Vendors must keep every hazard log for ten years. "
    '<img src="x" onerror="window.__pwned=1"> The Plinth Safety Code lets inspectors fine vendors who skip the '
    "hazard log.\n"
)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _ask(page: Any, question: str) -> None:
    page.locator("#pc-question textarea").fill(question)
    page.locator("#pc-ask").click()


def test_examples_streamed_answer_and_citation_in_context(page: Any, corpus_ui: str, screenshot: Shot) -> None:
    page.goto(corpus_ui)
    assert page.locator("#pc-header h1").inner_text() == "policychat"
    for text in (EXAMPLE, "How do US and Chinese rules on labelling AI-generated content differ?",
                 "生成式人工智能服务提供者有哪些义务？"):
        page.get_by_text(text, exact=True).first.wait_for()
    page.locator("#pc-examples button", has_text=EXAMPLE).click()

    marker = page.locator("#pc-chat a.pc-marker", has_text="[1]").first
    marker.wait_for()
    answer = page.locator("#pc-chat .pc-answer").last
    assert "{" not in answer.inner_text()  # no raw JSON
    note = page.locator("#pc-chat details.pc-cite").first
    assert note.get_attribute("open") is None
    marker.click()
    page.wait_for_function("document.querySelector('#pc-chat details.pc-cite').open === true")
    mark = note.locator("mark")
    assert mark.is_visible()
    quote = _squash(mark.inner_text())
    assert len(quote) > 20 and quote in _squash(answer.inner_text())
    context = _squash(note.locator("blockquote").inner_text())
    assert len(context) > len(quote) + 100  # surrounding text on at least one side
    summary = note.locator("summary").inner_text()
    assert "Executive Order 14179" in summary and "2025" in summary

    passages = page.locator("#pc-passages li.pc-passage")
    assert passages.count() >= 3
    assert page.locator("#pc-passages .pc-score").first.inner_text().startswith("0.")
    path = screenshot(page, "ui-answer")
    assert path.stat().st_size > 10_000


def test_refusal_is_a_clear_notice(page: Any, corpus_ui: str) -> None:
    page.goto(corpus_ui)
    _ask(page, "What is the recipe for the chocolate cake served at the Mars embassy?")
    refusal = page.locator("#pc-chat .pc-refusal")
    refusal.wait_for()
    assert "No supported answer" in refusal.inner_text()
    assert page.locator("#pc-chat a.pc-marker").count() == 0


def test_filters_restrict_the_cited_countries(page: Any, corpus_ui: str) -> None:
    page.goto(corpus_ui)
    page.locator("#pc-country label", has_text="CN").click()
    _ask(page, "What obligations do generative AI service providers have?")
    page.locator("#pc-chat .pc-sources, #pc-chat .pc-refusal").first.wait_for()
    titles = page.locator("#pc-passages .pc-passage-title").all_inner_texts()
    assert titles and not any("Executive Order" in t or "America" in t for t in titles)
    page.locator("#pc-question textarea").fill("")
    page.locator("#pc-country label", has_text="CN").click()
    page.get_by_label("Date from").fill("2024/01/01")
    _ask(page, EXAMPLE)
    page.get_by_text("must be a date like").first.wait_for()


def test_empty_library_upload_and_document_scripts_stay_inert(
    page: Any, empty_ui: str, tmp_path: Path, screenshot: Shot
) -> None:
    page.goto(empty_ui)
    notice = page.locator("#pc-library-notice")
    notice.get_by_text("The library is empty").wait_for()
    assert "policychat ingest PATH" in notice.inner_text()

    page.get_by_role("tab", name="Library").click()
    doc = tmp_path / "plinth-safety-code.txt"
    doc.write_text(PLINTH, encoding="utf-8")
    annex = tmp_path / "annex-review.txt"  # long enough (100+ distinct chunks) to watch its progress
    annex.write_text(distinct_sentences_text(1500), encoding="utf-8")
    blank = tmp_path / "blank-note.md"
    blank.write_text(" \n\n \n", encoding="utf-8")
    page.locator("#pc-upload-files input[type=file]").set_input_files([str(annex), str(doc), str(blank)])
    page.locator("#pc-upload-files").get_by_text("plinth-safety-code").first.wait_for()
    page.locator("#pc-upload").click()
    job = page.locator("#pc-upload-result .pc-job")
    # While it runs: one row per file, each with its progress bar.
    running_annex = page.locator('#pc-upload-result .pc-job[data-state="running"] li[data-state="embedding"]',
                                 has_text="annex-review.txt")
    running_annex.locator("progress").wait_for()
    expect(running_annex).to_contain_text("chunks embedded")
    screenshot(page, "ui-upload-progress")
    page.locator('#pc-upload-result .pc-job[data-state="done"]').wait_for(timeout=300_000)
    rows = {row.get_attribute("data-state"): row.inner_text() for row in job.locator("li.pc-job-file").all()}
    assert sorted(rows) == ["added", "failed"] and len(job.locator("li.pc-job-file").all()) == 3, rows
    assert "blank-note.md" in rows["failed"] and "no extractable text" in rows["failed"]
    result = page.locator("#pc-upload-result ul.pc-upload-result").inner_text()
    assert "Added: annex-review, plinth-safety-code" in _squash(result) and "Skipped blank-note.md" in result
    expect(page.locator("#pc-sources-table")).to_contain_text("plinth-safety-code")
    expect(page.locator("#pc-sources-table")).to_contain_text("annex-review")
    assert not notice.inner_text().strip()

    page.get_by_role("tab", name="Chat").click()
    _ask(page, "What must robot vendors file under the Plinth Safety Code?")
    marker = page.locator("#pc-chat a.pc-marker").first
    marker.wait_for()
    marker.click()
    context = page.locator("#pc-chat details.pc-cite[open] blockquote").first
    context.wait_for()
    assert "<script>window.__pwned=1</script>" in context.inner_text()
    assert "<script>" in page.locator("#pc-chat details.pc-cite summary").first.inner_text()
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "ui-inert-script")
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#pc-sources-table")).to_contain_text("Plinth Safety Code <script>window.__pwned=1</script>")
    assert page.evaluate("window.__pwned") is None
