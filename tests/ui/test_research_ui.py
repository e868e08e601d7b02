"""The research workflow in Chromium: threads, Markdown export, feedback into eval, the cited PDF page, sources.

Servers run on small libraries of their own (tiny invented documents plus the UN
resolution PDF), so every answer can only come from them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect
from researchsupport import (
    QUILLON_QUESTION,
    UN_PDF,
    UN_QUESTION,
    ZORBLAX_QUESTION,
    expected_box,
    research_library,
)

from assistant.serving.server import background_server
from eval.dataset import load_gold
from policychat.settings import Settings

Shot = Callable[[Any, str], Path]
KEY = "ui-key-for-tests"
FINISHED = "#pc-chat .pc-answer:not(.pc-pending):not(.pc-streaming)"


@pytest.fixture(scope="module")
def research(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A server without a key on the tiny documents and the UN resolution PDF (from the shared corpus)."""
    settings = research_library(tmp_path_factory.mktemp("research-ui"))
    with background_server(settings) as url:
        yield url, settings


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A server whose writes need ``KEY``, on the tiny documents."""
    settings = research_library(tmp_path_factory.mktemp("research-ui-keyed"), with_pdf=False, api_key=KEY)
    with background_server(settings) as url:
        yield url, settings


def _ask(page: Any, question: str) -> Any:
    """Ask and wait for the finished answer (cited or refused); returns the answer element."""
    before = page.locator(FINISHED).count()
    page.locator("#pc-question textarea").fill(question)
    page.locator("#pc-ask").click()
    expect(page.locator(FINISHED)).to_have_count(before + 1)
    return page.locator("#pc-chat .pc-answer").last


def _thread_labels(page: Any) -> list[str]:
    return page.locator("#pc-threads label").all_inner_texts()


def _title_box(page: Any) -> Any:
    return page.locator("#pc-thread-title textarea, #pc-thread-title input").first


def test_create_rename_resume_and_delete_a_thread(page: Any, research: tuple[str, Settings], screenshot: Shot) -> None:
    url, settings = research
    page.goto(url)
    page.locator("#pc-thread-new").click()
    answer = _ask(page, ZORBLAX_QUESTION)
    assert answer.locator("a.pc-marker").count() >= 1
    expect(_title_box(page)).to_have_value(ZORBLAX_QUESTION)
    expect(page.locator("#pc-threads label").filter(has_text=ZORBLAX_QUESTION)).to_have_count(1)

    _title_box(page).fill("Zorblax notes")
    page.locator("#pc-thread-rename").click()
    expect(page.locator("#pc-threads label").filter(has_text="Zorblax notes")).to_have_count(1)
    follow_up = _ask(page, "How long do they have to do it?")
    assert "thirty days" in follow_up.inner_text()

    page.locator("#pc-thread-new").click()
    expect(page.locator("#pc-chat .pc-answer")).to_have_count(0)
    _ask(page, QUILLON_QUESTION)
    expect(page.locator("#pc-threads label").filter(has_text=QUILLON_QUESTION)).to_have_count(1)

    page.locator("#pc-threads label").filter(has_text="Zorblax notes").click()  # resume
    expect(page.locator("#pc-chat .pc-answer")).to_have_count(2)
    expect(_title_box(page)).to_have_value("Zorblax notes")
    assert ZORBLAX_QUESTION in page.locator("#pc-chat .pc-question").first.inner_text()
    assert "thirty days" in page.locator("#pc-chat .pc-answer").last.inner_text()
    expect(page.locator("#pc-thread-stale .pc-stale")).to_have_count(0)
    screenshot(page, "thread-list")

    _add_a_source(settings)  # the library moves on: the thread says so and offers to re-ask
    page.locator("#pc-threads label").filter(has_text=QUILLON_QUESTION).click()
    expect(page.locator("#pc-chat .pc-answer")).to_have_count(1)
    page.locator("#pc-threads label").filter(has_text="Zorblax notes").click()
    expect(page.locator(FINISHED)).to_have_count(2)
    expect(_title_box(page)).to_have_value("Zorblax notes")
    stale = page.locator("#pc-thread-stale .pc-stale")
    expect(stale).to_contain_text("Answered from an older library")
    page.locator("#pc-thread-reask").click()
    expect(page.locator(FINISHED)).to_have_count(3)
    expect(stale).to_have_count(0)
    assert "thirty days" in page.locator("#pc-chat .pc-answer").last.inner_text()

    conversation_id = _thread_id(url, "Zorblax notes")
    page.locator("#pc-thread-delete").click()
    expect(page.locator("#pc-thread-confirm").first).to_contain_text("Delete “Zorblax notes” and its 3 answers?")
    page.locator("#pc-thread-delete-yes").click()
    expect(page.locator("#pc-threads label").filter(has_text="Zorblax notes")).to_have_count(0)
    expect(page.locator("#pc-chat .pc-answer")).to_have_count(0)
    assert httpx.get(f"{url}/v1/conversations/{conversation_id}", timeout=30).status_code == 404


def _add_a_source(settings: Settings) -> None:
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    folder = Path(settings.store.data_dir).parent / "more"
    folder.mkdir(exist_ok=True)
    (folder / "ostrel-compact.txt").write_text("The Ostrel Compact limits drone altitude to ninety metres.\n")
    assert ingest_paths(Library(settings), [folder]).added == ["ostrel-compact"]


def _thread_id(url: str, title: str) -> str:
    threads = httpx.get(f"{url}/v1/conversations", timeout=30).json()
    matches = [t["id"] for t in threads if t["title"] == title]
    assert len(matches) == 1, threads
    return str(matches[0])


def test_export_to_markdown_with_footnotes(browser: Any, research: tuple[str, Settings], screenshot: Shot) -> None:
    url, _ = research
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(url)
        _ask(page, ZORBLAX_QUESTION)
        _title_box(page).fill("Export memo")
        page.locator("#pc-thread-rename").click()
        expect(page.locator("#pc-threads label").filter(has_text="Export memo")).to_have_count(1)
        conversation = httpx.get(f"{url}/v1/conversations/{_thread_id(url, 'Export memo')}", timeout=30).json()
        citations = conversation["messages"][0]["answer"]["citations"]
        assert citations

        with page.expect_download() as download:
            page.locator("#pc-export-md").click()
        assert download.value.suggested_filename.startswith("policychat-export-memo-")
        text = Path(download.value.path()).read_text(encoding="utf-8")
        assert text.startswith(f"# Export memo\n\n## {ZORBLAX_QUESTION}\n\n")
        body = text.split("\n[^1]: ")[0]
        for n, citation in enumerate(citations, start=1):
            assert f"[^{n}]" in body
            quote = " ".join(citation["quote"].split())
            assert (f"\n[^{n}]: *The Zorblax Accord on Orbital Compute*, Lunar Registry Office, 2024-03-01. “{quote}”"
                    in text)
        assert "## References" in text

        page.locator("#pc-chat a.pc-copy").last.click()
        expect(page.locator("#pc-chat a.pc-copy").last).to_have_text("Copied with sources ✓")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(f"# Export memo\n\n## {ZORBLAX_QUESTION}") and "\n[^1]: *The Zorblax" in copied

        shot = context.new_page()
        shot.set_viewport_size({"width": 1100, "height": 600})
        shot.set_content("<style>body{font:14px/1.5 ui-monospace,monospace;margin:24px;white-space:pre-wrap;"
                         "color:#1f2430}</style><body></body>")
        shot.evaluate("text => { document.body.textContent = text; }", text)
        screenshot(shot, "export-markdown")
    finally:
        context.close()


def test_negative_feedback_shows_up_in_eval_candidates(
    page: Any, research: tuple[str, Settings], cli: Callable[..., CompletedProcess[str]], tmp_path: Path
) -> None:
    url, settings = research
    page.goto(url)
    page.locator("#pc-thread-new").click()
    _ask(page, QUILLON_QUESTION)
    page.locator("#pc-chat button[aria-label='Dislike']").last.click()
    form = page.locator("#pc-feedback").first
    expect(form).to_be_visible()
    expect(form).to_contain_text(QUILLON_QUESTION)
    page.locator("#pc-feedback-comment textarea").fill("It leaves out the fine.")
    page.locator("#pc-feedback-answer textarea").fill("An audible watermark in every clip; removing it costs 2%.")
    page.locator("#pc-feedback-sources input").click()
    page.get_by_role("option", name="quillon-labelling-rule").click()
    page.locator("#pc-feedback-send").click()
    expect(page.locator("#pc-feedback-status")).to_contain_text("Feedback saved")
    expect(page.locator("#pc-feedback >> visible=true")).to_have_count(0)

    out = tmp_path / "candidates.jsonl"
    done = cli("eval", "candidates", "--out", str(out), data_dir=Path(settings.store.data_dir))
    assert done.returncode == 0, done.stderr
    items = [item for item in load_gold(out) if item.question == QUILLON_QUESTION]
    assert len(items) == 1
    item = items[0]
    assert item.reviewed is False and item.split == "dev" and item.gold_sources == ["quillon-labelling-rule"]
    assert item.reference_answer == "An audible watermark in every clip; removing it costs 2%."


def _png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_pdf_citation_opens_the_page_with_the_quote_highlighted(
    page: Any, research: tuple[str, Settings], screenshot: Shot
) -> None:
    url, settings = research
    page.goto(url)
    page.locator("#pc-thread-new").click()
    _ask(page, UN_QUESTION)
    notes = page.locator("#pc-chat .pc-answer").last.locator("details.pc-cite")
    assert notes.count() >= 1
    pdf = Path(settings.store.data_dir).parent / "docs" / f"{UN_PDF}.pdf"
    compared = 0
    for index in range(notes.count()):
        note = notes.nth(index)
        if note.locator(".pc-page").count() == 0:
            continue
        note.locator("summary").click()
        box = note.locator(".pc-page")
        expect(box).to_have_attribute("data-highlight", "found")
        image = box.locator("img.pc-page-img")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.naturalWidth") == 918
        href = box.locator("a.pc-page-link").get_attribute("href")
        shown = bytes(image.evaluate(
            "async img => Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer()))"))
        marked = httpx.get(url + href, timeout=60)
        assert shown == marked.content  # the image on screen is the highlighted render
        plain = httpx.get(url + href.split("?")[0], timeout=60)
        drawn = ImageChops.difference(_png(shown), _png(plain.content)).getbbox()
        assert drawn is not None
        page_number = int(href.split("/pages/")[1].split(".")[0])
        start, end = (int(x) for x in href.split("highlight=")[1].split("-"))
        quote = httpx.get(f"{url}/v1/sources/{UN_PDF}", timeout=30).json()["text"][start:end]
        want = expected_box(pdf, page_number, quote)
        if want is None:
            continue
        compared += 1
        x0, top, x1, bottom = want
        assert drawn[0] <= x0 + 1 and abs(drawn[1] - top) <= 6 and drawn[2] >= x1 - 1 and abs(drawn[3] - bottom) <= 6
        if compared == 1:
            note.scroll_into_view_if_needed()
            full = screenshot(page, "pdf-highlight-page")
            note.screenshot(path=str(full.with_name("pdf-highlight.png")))
    assert compared >= 1


def test_delete_and_reingest_a_source_from_the_library_tab(page: Any, keyed: tuple[str, Settings]) -> None:
    url, settings = keyed
    page.goto(url)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#pc-sources-table")).to_contain_text("quillon-labelling-rule")

    page.locator("#pc-source-pick input").click()
    page.get_by_role("option", name="quillon-labelling-rule — The Quillon Labelling Rule").click()
    expect(page.locator("#pc-source-details")).to_contain_text("None recorded for this source.")
    page.locator("#pc-source-delete").click()
    expect(page.locator("#pc-source-confirm").first).to_contain_text("Delete quillon-labelling-rule")
    page.locator("#pc-source-delete-yes").click()  # no key entered yet
    page.get_by_text("needs its API key").first.wait_for()
    assert httpx.get(f"{url}/v1/sources/quillon-labelling-rule", timeout=30).status_code == 200
    page.locator("#pc-api-key input").fill(KEY)
    page.locator("#pc-source-delete-yes").click()
    expect(page.locator("#pc-source-status")).to_contain_text("Deleted quillon-labelling-rule")
    expect(page.locator("#pc-source-confirm >> visible=true")).to_have_count(0)
    expect(page.locator("#pc-sources-table")).not_to_contain_text("quillon-labelling-rule")
    assert httpx.get(f"{url}/v1/sources/quillon-labelling-rule", timeout=30).status_code == 404

    page.locator("#pc-source-pick input").click()
    page.get_by_role("option", name="zorblax-accord — The Zorblax Accord on Orbital Compute").click()
    page.locator("#pc-source-reingest").click()
    expect(page.locator("#pc-source-status")).to_contain_text("Re-ingested zorblax-accord")
    source_file = Path(settings.store.data_dir).parent / "docs" / "zorblax-accord.md"
    source_file.rename(source_file.with_suffix(".gone"))
    page.locator("#pc-source-reingest").click()
    expect(page.locator("#pc-source-status")).to_contain_text("Re-ingest of zorblax-accord failed: the file is gone")
    expect(page.locator("#pc-source-details")).to_contain_text("the file is gone")
    expect(page.locator("#pc-ingest-errors")).to_contain_text("zorblax-accord.md (zorblax-accord): the file is gone")
    assert httpx.get(f"{url}/v1/sources/zorblax-accord", timeout=30).status_code == 200  # the old version stays
