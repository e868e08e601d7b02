"""GET /v1/sources/{id}/pages/{n}.png: a real PDF rendered, the cited quote boxed where pdfplumber finds it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageChops
from researchsupport import UN_PDF, UN_QUESTION, expected_box, research_library

from assistant.models import Answer
from assistant.research.pages import SCALE
from ingest.catalog import Catalog
from policychat.settings import Settings


@pytest.fixture(scope="module")
def pdf_server(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A server on the tiny documents plus the 8-page UN resolution PDF (from the shared corpus)."""
    from assistant.serving.server import background_server

    settings = research_library(tmp_path_factory.mktemp("pages"))
    with background_server(settings) as url:
        yield url, settings


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_cited_page_is_highlighted_where_pdfplumber_finds_the_quote(pdf_server: tuple[str, Settings]) -> None:
    url, settings = pdf_server
    answer = Answer.model_validate(httpx.post(f"{url}/v1/answer", json={"question": UN_QUESTION}, timeout=120).json())
    cited = [c for c in answer.citations if c.source_id == UN_PDF]
    assert cited, answer.answer
    source = Catalog(Path(settings.store.data_dir) / "catalog.sqlite").source(UN_PDF)
    pdf = Path(settings.store.data_dir).parent / "docs" / f"{UN_PDF}.pdf"
    compared = 0
    for citation in cited:
        page = source.page_at(citation.start)
        assert page is not None and citation.page == page  # the quote's page, not its chunk's first page
        base = f"{url}/v1/sources/{UN_PDF}/pages/{page}.png"
        marked = httpx.get(base, params={"highlight": f"{citation.start}-{citation.end}"}, timeout=60)
        assert marked.status_code == 200 and marked.headers["content-type"] == "image/png"
        assert marked.headers["x-highlight"] == "found", citation.quote
        assert marked.headers["x-quote-page"] == str(page)
        plain = httpx.get(base, timeout=60)
        assert plain.headers["x-highlight"] == "off" and "x-highlight-boxes" not in plain.headers
        changed = ImageChops.difference(_image(marked.content), _image(plain.content)).getbbox()
        assert changed is not None  # something was drawn
        boxes = [tuple(map(int, b.split(","))) for b in marked.headers["x-highlight-boxes"].split(";")]
        assert boxes and changed == (min(b[0] for b in boxes), min(b[1] for b in boxes),
                                     max(b[2] for b in boxes) + 1, max(b[3] for b in boxes) + 1)
        want = expected_box(pdf, page, citation.quote, SCALE)
        if want is None:
            continue
        compared += 1
        x0, top, x1, bottom = want  # the drawn box hugs the first and last words pdfplumber finds
        assert changed[0] <= x0 + 1 and abs(changed[1] - top) <= 6, (changed, want)
        assert changed[2] >= x1 - 1 and abs(changed[3] - bottom) <= 6, (changed, want)
        assert changed[3] - changed[1] < (bottom - top) + 12  # no taller than the quote's lines
    assert compared >= 1, [c.quote for c in cited]


def test_page_images_have_the_page_size_and_are_cached(pdf_server: tuple[str, Settings]) -> None:
    url, settings = pdf_server
    first = httpx.get(f"{url}/v1/sources/{UN_PDF}/pages/2.png", timeout=60)
    assert first.status_code == 200 and first.headers["x-page-count"] == "8"
    image = Image.open(io.BytesIO(first.content))
    assert image.size == (round(612 * SCALE), round(792 * SCALE))  # US letter at 1.5 px per point
    cache = Path(settings.store.data_dir) / "page-cache"
    assert list(cache.glob("*/p2-plain-x1.5.png"))
    again = httpx.get(f"{url}/v1/sources/{UN_PDF}/pages/2.png", timeout=60)
    assert again.content == first.content


def test_a_quote_not_on_the_page_falls_back_without_highlight(pdf_server: tuple[str, Settings]) -> None:
    url, settings = pdf_server
    source = Catalog(Path(settings.store.data_dir) / "catalog.sqlite").source(UN_PDF)
    span = source.pages[4]  # a sentence from page 5, asked on page 1
    start = span.start + source.text[span.start:span.end].index(" ") + 1
    end = start + 60
    base = f"{url}/v1/sources/{UN_PDF}/pages/1.png"
    response = httpx.get(base, params={"highlight": f"{start}-{end}"}, timeout=60)
    assert response.status_code == 200
    assert response.headers["x-highlight"] == "none" and response.headers["x-quote-page"] == "5"
    assert "x-highlight-boxes" not in response.headers
    plain = httpx.get(base, timeout=60)
    assert ImageChops.difference(_image(response.content), _image(plain.content)).getbbox() is None


def test_page_errors(pdf_server: tuple[str, Settings]) -> None:
    url, settings = pdf_server
    client = httpx.Client(timeout=60)
    length = len(Catalog(Path(settings.store.data_dir) / "catalog.sqlite").source(UN_PDF).text)
    for path, code, words in [("/v1/sources/no-such/pages/1.png", 404, "no-such"),
                              ("/v1/sources/zorblax-accord/pages/1.png", 404, "not a PDF"),
                              (f"/v1/sources/{UN_PDF}/pages/0.png", 404, "pages 1 to 8"),
                              (f"/v1/sources/{UN_PDF}/pages/9.png", 404, "pages 1 to 8"),
                              (f"/v1/sources/{UN_PDF}/pages/1.png?highlight={length - 5}-{length + 5}", 404,
                               "beyond the end")]:
        response = client.get(url + path)
        assert response.status_code == code and words in response.json()["detail"], (path, response.text)
    for bad in ("abc", "5-3", "7-7", "1-", "-4", "1-2-3", "0-30000"):
        response = client.get(f"{url}/v1/sources/{UN_PDF}/pages/1.png", params={"highlight": bad})
        assert response.status_code == 422, bad
    assert client.get(f"{url}/v1/sources/{UN_PDF}/pages/x.png").status_code == 404
    pdf = Path(settings.store.data_dir).parent / "docs" / f"{UN_PDF}.pdf"
    moved = pdf.with_suffix(".moved")
    pdf.rename(moved)
    try:
        gone = client.get(f"{url}/v1/sources/{UN_PDF}/pages/3.png")
        assert gone.status_code == 404 and "re-ingest" in gone.json()["detail"]
    finally:
        moved.rename(pdf)
    assert client.get(f"{url}/v1/sources/{UN_PDF}/pages/3.png").status_code == 200


def test_exported_footnotes_name_the_page_the_quote_is_on(pdf_server: tuple[str, Settings]) -> None:
    url, settings = pdf_server
    client = httpx.Client(timeout=120)
    conversation = client.post(f"{url}/v1/conversations", json={"title": "pages"}).json()["id"]
    message = client.post(f"{url}/v1/conversations/{conversation}/messages", json={"question": UN_QUESTION}).json()
    cited = [c for c in message["answer"]["citations"] if c["source_id"] == UN_PDF]
    assert cited
    source = Catalog(Path(settings.store.data_dir) / "catalog.sqlite").source(UN_PDF)
    notes = client.get(f"{url}/v1/conversations/{conversation}/export").text.split("\n[^1]: ", 1)[1]
    for citation in cited:
        quote = " ".join(citation["quote"].split())
        note = next(line for line in ("[^1]: " + notes).splitlines() if f"“{quote}” <!-- policychat:cite " in line)
        assert f", p. {source.page_at(citation['start'])}, " in note
