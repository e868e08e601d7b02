"""Take the screenshots of the research workflow in docs/usage.md with Playwright and Debian's Chromium.

Usage (on a data directory where the shared corpus is ingested; it is copied, never changed)::

    PYTHONPATH=. python docs/screenshots.py --data-dir data

Writes docs/img/threads.png (thread list beside a resumed thread), docs/img/pdf-highlight.png
(a PDF citation opened on its page with the quote highlighted) and docs/img/export.png (a
thread exported as Markdown with footnotes).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import expect, sync_playwright

from assistant.serving.server import background_server
from policychat.settings import Settings

OUT = Path(__file__).resolve().parent / "img"
FINISHED = "#pc-chat .pc-answer:not(.pc-pending):not(.pc-streaming)"
THREADS = [
    ("NIST AI RMF: measuring risk", ["What does the NIST AI RMF say about measuring AI risks?",
                                     "Which practices does it describe for governing AI risks?"]),
    (None, ["What does Executive Order 14179 direct?"]),
    (None, ["How do US and Chinese rules on labelling AI-generated content differ?"]),
]


def ask(page, question: str) -> None:  # noqa: ANN001
    """Ask in the open thread and wait for the finished answer."""
    before = page.locator(FINISHED).count()
    page.locator("#pc-question textarea").fill(question)
    page.locator("#pc-ask").click()
    expect(page.locator(FINISHED)).to_have_count(before + 1)


def main() -> None:
    """Copy the data directory, serve it, and take the three screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    expect.set_options(timeout=120_000)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="policychat-shots-") as scratch:
        data = Path(scratch) / "data"
        shutil.copytree(args.data_dir, data, ignore=shutil.ignore_patterns("conversations.sqlite*", "page-cache"))
        settings = Settings(data_dir=data, sources=None, _env_file=None)  # type: ignore[call-arg]
        with background_server(settings) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1500, "height": 980}, device_scale_factor=1)
            page.goto(url)
            for title, questions in THREADS:
                page.locator("#pc-thread-new").click()
                expect(page.locator("#pc-chat .pc-answer")).to_have_count(0)
                for question in questions:
                    ask(page, question)
                if title:
                    page.locator("#pc-thread-title textarea, #pc-thread-title input").first.fill(title)
                    page.locator("#pc-thread-rename").click()
                    expect(page.locator("#pc-threads label").filter(has_text=title)).to_have_count(1)
            first = THREADS[0][0] or ""
            page.locator("#pc-threads label").filter(has_text=first).click()
            expect(page.locator(FINISHED)).to_have_count(2)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(OUT / "threads.png"))

            page.set_viewport_size({"width": 1500, "height": 2100})  # the chat (70vh) holds the whole footnote
            note = page.locator("#pc-chat details.pc-cite").filter(has=page.locator(".pc-page")).first
            note.locator("summary").click()
            expect(note.locator(".pc-page")).to_have_attribute("data-highlight", "found")
            note.scroll_into_view_if_needed()
            note.screenshot(path=str(OUT / "pdf-highlight.png"))

            threads = httpx.get(f"{url}/v1/conversations", timeout=30).json()
            conversation = next(t for t in threads if t["title"] == first)
            markdown = httpx.get(f"{url}/v1/conversations/{conversation['id']}/export", timeout=30).text
            sheet = browser.new_page(viewport={"width": 1200, "height": 900})
            sheet.set_content("<style>body{font:13px/1.5 ui-monospace,monospace;margin:24px;white-space:pre-wrap;"
                              "color:#1f2430;background:#fbfcff}</style><body></body>")
            sheet.evaluate("text => { document.body.textContent = text; }", markdown)
            sheet.screenshot(path=str(OUT / "export.png"), full_page=True)
            browser.close()
    for name in ("threads.png", "pdf-highlight.png", "export.png"):
        print(OUT / name)  # noqa: T201


if __name__ == "__main__":
    main()
