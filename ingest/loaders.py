"""File loaders: one per format, registered by file extension.

A loader takes a path and returns a :class:`ParsedDocument` with cleaned text
(see :mod:`ingest.clean`), page spans for paginated formats and metadata hints.
Adding a format means writing one class here and decorating it with
``@register(".ext")``; :func:`load_document` picks the loader by extension.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import yaml

from assistant.errors import IngestError, UnsupportedFileError
from ingest.clean import clean_pdf_pages, clean_text
from ingest.models import PageSpan, ParsedDocument

MAX_TEXT_BYTES = 64 * 1024 * 1024
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024


class Loader(Protocol):
    """Turns one file into a :class:`ParsedDocument`; raises :class:`IngestError`."""

    def load(self, path: Path) -> ParsedDocument:
        """Parse ``path``; raise IngestError with a one-line reason on failure."""
        ...


LOADERS: dict[str, Loader] = {}


def register(*extensions: str) -> Callable[[type], type]:
    """Class decorator: register an instance of the loader for ``extensions``."""

    def decorate(cls: type) -> type:
        for ext in extensions:
            LOADERS[ext.lower()] = cls()
        return cls

    return decorate


def supported_extensions() -> list[str]:
    """Extensions that have a loader, sorted."""
    return sorted(LOADERS)


def load_document(path: Path) -> ParsedDocument:
    """Parse ``path`` with the loader registered for its extension.

    Raises:
        UnsupportedFileError: no loader for the extension.
        IngestError: the file is empty, corrupt, encrypted or has no text.
    """
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileError(
            f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(supported_extensions())}",
            str(path),
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"cannot read file ({exc.strerror})", str(path)) from exc
    if size == 0:
        raise IngestError("file is empty", str(path))
    doc = loader.load(path)
    if not doc.text.strip():
        raise IngestError("no extractable text (scanned image or empty document?)", str(path))
    return doc


def _read_text(path: Path) -> str:
    """Read a text file as UTF-8 (BOM allowed); refuse binary or undecodable data."""
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise IngestError(f"text file larger than {MAX_TEXT_BYTES // (1024 * 1024)} MB; split it first", str(path))
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise IngestError("binary data, not text (NUL bytes found)", str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"not valid UTF-8 at byte {exc.start}; re-save the file as UTF-8", str(path)) from exc


@register(".txt", ".text")
class TextLoader:
    """Plain text, UTF-8."""

    def load(self, path: Path) -> ParsedDocument:
        """Read and clean a UTF-8 text file."""
        return ParsedDocument(text=clean_text(_read_text(path)))


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,300}>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def markdown_to_text(markdown: str) -> tuple[str, dict[str, str]]:
    """Strip front matter, HTML and link syntax from Markdown; keep '#' headings.

    Returns the text and the front matter as string hints.
    """
    hints: dict[str, str] = {}
    match = _FRONT_MATTER.match(markdown)
    if match:
        try:
            front = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            front = None
        if isinstance(front, dict):
            hints = {str(k): str(v) for k, v in front.items() if v is not None}
        markdown = markdown[match.end() :]
    text = _HTML_COMMENT.sub("", markdown)
    text = _HTML_TAG.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = text.replace("\\", "")
    return text, hints


@register(".md", ".markdown")
class MarkdownLoader:
    """Markdown; YAML front matter becomes metadata hints."""

    def load(self, path: Path) -> ParsedDocument:
        """Read Markdown, keep its headings, and return front matter as hints."""
        text, hints = markdown_to_text(_read_text(path))
        return ParsedDocument(text=clean_text(text), hints=hints)


@register(".pdf")
class PdfLoader:
    """PDF through pypdf, one page span per page."""

    def load(self, path: Path) -> ParsedDocument:
        """Extract each page's text; refuse encrypted or unreadable PDFs."""
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        raise IngestError("PDF is encrypted with a password", str(path))
                except NotImplementedError as exc:
                    raise IngestError(f"PDF uses unsupported encryption ({exc})", str(path)) from exc
            raw_pages = [page.extract_text() or "" for page in reader.pages]
            info = reader.metadata
            title = str((info.get("/Title") if info else None) or "").strip()
        except IngestError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
            raise IngestError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})", str(path)) from exc
        pages = clean_pdf_pages(raw_pages)
        spans: list[PageSpan] = []
        parts: list[str] = []
        offset = 0
        for number, page_text in enumerate(pages, start=1):
            if parts:
                parts.append("\n\n")
                offset += 2
            parts.append(page_text)
            spans.append(PageSpan(page=number, start=offset, end=offset + len(page_text)))
            offset += len(page_text)
        hints = {"title": title} if title else {}
        return ParsedDocument(text="".join(parts), pages=spans, hints=hints)


@register(".html", ".htm")
class HtmlLoader:
    """HTML through trafilatura's main-text extraction (navigation and boilerplate dropped)."""

    def load(self, path: Path) -> ParsedDocument:
        """Extract the main text as Markdown-like text, with the page title as a hint."""
        import trafilatura

        html = _read_text(path)
        extracted = trafilatura.extract(
            html,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            favor_recall=True,
            with_metadata=False,
        )
        if not extracted:
            raise IngestError("no main text found in the HTML", str(path))
        hints: dict[str, str] = {}
        meta = trafilatura.extract_metadata(html)
        if meta is not None:
            for key in ("title", "date", "url", "sitename"):
                value = getattr(meta, key, None)
                if value:
                    hints["publisher" if key == "sitename" else key] = str(value)
        text, _ = markdown_to_text(extracted)
        return ParsedDocument(text=clean_text(text), hints=hints)


@register(".docx")
class DocxLoader:
    """Word documents through python-docx; heading styles become '#' headings."""

    def load(self, path: Path) -> ParsedDocument:
        """Read paragraphs and tables in order; refuse zip bombs and non-DOCX files."""
        import docx

        try:
            with zipfile.ZipFile(path) as archive:
                total = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise IngestError("not a valid DOCX (zip) file", str(path)) from exc
        if total > MAX_DOCX_UNCOMPRESSED:
            raise IngestError(
                f"DOCX expands to {total // (1024 * 1024)} MB, over the "
                f"{MAX_DOCX_UNCOMPRESSED // (1024 * 1024)} MB limit (zip bomb?)",
                str(path),
            )
        try:
            document = docx.Document(str(path))
        except Exception as exc:  # python-docx raises many unrelated types on bad input
            raise IngestError(f"corrupt DOCX ({type(exc).__name__})", str(path)) from exc
        lines: list[str] = []
        for paragraph in document.paragraphs:
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            level = re.match(r"Heading (\d)", style)
            if style == "Title" or level:
                lines.append("#" * (int(level.group(1)) if level else 1) + " " + text)
            else:
                lines.append(text)
        for table in document.tables:
            for row in table.rows:
                cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
                if cells:
                    lines.append(" | ".join(cells))
        props = document.core_properties
        hints = {k: str(v) for k, v in (("title", props.title), ("publisher", props.author)) if v}
        return ParsedDocument(text=clean_text("\n\n".join(lines)), hints=hints)
