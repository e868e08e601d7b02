"""The cited page of a PDF source as a PNG, with the quoted passage highlighted.

The page is rendered with pypdfium2 and the quote located with pdfplumber
(:mod:`assistant.research.quote_locator`); the boxes are drawn onto the image. When the
quote cannot be located the page comes back without a highlight and says so
(``highlight == "none"``). Rendered pages are cached under
``<data_dir>/page-cache/<content hash>/``, so a re-ingested source never shows
an old rendering, and folders of sources that are gone are dropped on the next
cache miss.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from assistant.models import Citation
from assistant.research.quote_locator import Box, locate_quote
from ingest.catalog import Catalog
from ingest.models import Source
from policychat.errors import PageUnavailableError, SourceNotFoundError

SCALE = 1.5
"""Pixels per PDF point (108 dpi): a US-letter page is 918 × 1188 px."""
MAX_HIGHLIGHT_CHARS = 20_000
PAD = 1.5  # points around each line box
FILL = (255, 214, 0, 96)
OUTLINE = (232, 93, 4, 255)

HighlightState = Literal["found", "partial", "none", "off"]

_PDFIUM = threading.Lock()  # pdfium is not thread-safe; requests render in the threadpool


@dataclass(frozen=True)
class PageImage:
    """A rendered page: PNG bytes, whether the highlight was drawn, and its boxes in image pixels.

    ``quote_page`` is the page where the highlighted span starts in the stored text
    (it can differ from the page asked for when a citation names its chunk's first page).
    """

    png: bytes
    highlight: HighlightState
    boxes: list[tuple[int, int, int, int]]
    width: int
    height: int
    page_count: int
    quote_page: int | None = None


def parse_highlight(value: str | None) -> tuple[int, int] | None:
    """``"START-END"`` → ``(start, end)``; None for no value.

    Raises:
        ValueError: not two integers with ``0 <= START < END`` and at most
            :data:`MAX_HIGHLIGHT_CHARS` apart.
    """
    if not value:
        return None
    start_text, sep, end_text = value.partition("-")
    if not sep or not start_text.isdigit() or not end_text.isdigit():
        raise ValueError("highlight must be START-END, two character offsets such as 1200-1340")
    start, end = int(start_text), int(end_text)
    if start >= end or end - start > MAX_HIGHLIGHT_CHARS:
        raise ValueError(f"highlight needs START < END and at most {MAX_HIGHLIGHT_CHARS} characters")
    return start, end


class PageRenderer:
    """Renders cited pages of one library's PDF sources, with a disk cache under the data directory."""

    def __init__(self, catalog: Catalog, cache_dir: Path, scale: float = SCALE) -> None:
        """Read sources from ``catalog``; keep rendered pages under ``cache_dir``."""
        self.catalog = catalog
        self.cache_dir = cache_dir
        self.scale = scale

    def page(self, source_id: str, page: int, highlight: tuple[int, int] | None = None) -> PageImage:
        """Page ``page`` (1-based) of ``source_id``, with the stored text's ``highlight`` span marked.

        Raises:
            SourceNotFoundError: no such source.
            PageUnavailableError: the source is not a PDF, has no such page, or its file is gone.
        """
        record = next((r for r in self.catalog.records() if r.meta.id == source_id), None)
        source = self.catalog.source(source_id)  # raises SourceNotFoundError
        path = Path(record.path) if record else Path()
        if path.suffix.lower() != ".pdf" or not source.pages:
            raise PageUnavailableError(f"Source {source_id!r} is not a PDF; GET /v1/sources/{source_id} has its text.")
        if not 1 <= page <= len(source.pages):
            raise PageUnavailableError(f"Source {source_id!r} has pages 1 to {len(source.pages)}, not {page}.")
        if highlight is not None and highlight[1] > len(source.text):
            raise PageUnavailableError(f"highlight {highlight[0]}-{highlight[1]} lies beyond the end of the text of "
                                       f"{source_id!r} ({len(source.text)} characters).")
        if not path.is_file():
            raise PageUnavailableError(f"The PDF of {source_id!r} is no longer at {path.name}; re-ingest the source.")
        key = f"p{page}-" + (f"{highlight[0]}-{highlight[1]}" if highlight else "plain") + f"-x{self.scale:g}"
        folder = self.cache_dir / hashlib.sha256(source.content_hash.encode()).hexdigest()[:24]
        quote_page = source.page_at(highlight[0]) if highlight else None
        cached = _read_cache(folder, key)
        if cached is not None:
            return replace(cached, quote_page=quote_page)
        self._drop_stale(set(self.catalog.hashes().values()))
        quote = source.text[highlight[0]:highlight[1]] if highlight else ""
        image = render_page(path, page, quote, self.scale, len(source.pages))
        _write_cache(folder, key, image)
        return replace(image, quote_page=quote_page)


    def _drop_stale(self, hashes: set[str]) -> None:
        """Remove cache folders of sources (or versions of them) the catalog no longer holds."""
        if not self.cache_dir.is_dir():
            return
        live = {hashlib.sha256(h.encode()).hexdigest()[:24] for h in hashes}
        for entry in self.cache_dir.iterdir():
            if entry.is_dir() and entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)


def citation_pages(catalog: Catalog) -> Callable[[Citation], int | None]:
    """A lookup of the page where a citation's quote starts in its source.

    A citation names its chunk's first page, which is not the quote's when the chunk
    runs over a page break. The lookup falls back to the citation's own page when the
    source is gone, has no pages, or no longer holds the quote at its offsets.
    """
    sources: dict[str, Source | None] = {}

    def page(citation: Citation) -> int | None:
        if citation.source_id not in sources:
            try:
                sources[citation.source_id] = catalog.source(citation.source_id)
            except SourceNotFoundError:
                sources[citation.source_id] = None
        source = sources[citation.source_id]
        if source is None or not source.pages:
            return citation.page
        if " ".join(source.text[citation.start:citation.end].split()) != " ".join(citation.quote.split()):
            return citation.page
        return source.page_at(citation.start) or citation.page

    return page


def render_page(pdf_path: Path, page: int, quote: str, scale: float = SCALE, page_count: int = 0) -> PageImage:
    """Render ``page`` of ``pdf_path`` at ``scale`` and draw boxes around ``quote`` where it is found.

    Raises:
        PageUnavailableError: pdfium cannot open the file or the page.
    """
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        with _PDFIUM:
            pdf = pdfium.PdfDocument(pdf_path)
            try:
                bitmap = pdf[page - 1].render(scale=scale)
                image = bitmap.to_pil().convert("RGB")
            finally:
                pdf.close()
    except (pdfium.PdfiumError, IndexError, OSError) as exc:
        raise PageUnavailableError(f"cannot render page {page} of {pdf_path.name} ({exc})") from exc
    state: HighlightState = "off"
    pixels: list[tuple[int, int, int, int]] = []
    if quote.strip():
        located = locate_quote(pdf_path, page, quote)
        state = "none" if not located.found else ("partial" if located.match == "prefix" else "found")
        pixels = [_to_pixels(box, scale, image.size) for box in located.boxes]
    if pixels:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for x0, y0, x1, y1 in pixels:
            draw.rectangle((x0, y0, x1, y1), fill=FILL, outline=OUTLINE, width=2)
        image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=3)
    return PageImage(buffer.getvalue(), state, pixels, image.size[0], image.size[1], page_count)


def _to_pixels(box: Box, scale: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A box in points → integer pixels, padded and kept inside the image."""
    width, height = size
    return (max(0, int((box.x0 - PAD) * scale)), max(0, int((box.top - PAD) * scale)),
            min(width - 1, math.ceil((box.x1 + PAD) * scale)), min(height - 1, math.ceil((box.bottom + PAD) * scale)))


def _read_cache(folder: Path, key: str) -> PageImage | None:
    try:
        meta = json.loads((folder / f"{key}.json").read_text())
        png = (folder / f"{key}.png").read_bytes()
    except (OSError, ValueError):
        return None
    return PageImage(png, meta["highlight"], [tuple(b) for b in meta["boxes"]], meta["width"], meta["height"],
                     meta["page_count"])


def _write_cache(folder: Path, key: str, image: PageImage) -> None:
    """Store the PNG, then its description (readers need both); a full or read-only disk only skips caching."""
    meta = {k: v for k, v in asdict(image).items() if k not in ("png", "quote_page")}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in ((f"{key}.png", image.png), (f"{key}.json", json.dumps(meta).encode())):
            tmp = folder / f".{uuid.uuid4().hex}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, folder / name)
    except OSError:
        pass
