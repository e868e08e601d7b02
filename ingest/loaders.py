"""File loaders: one per format, registered by file extension.

A loader takes a path and returns a :class:`ParsedDocument` with cleaned text
(see :mod:`ingest.clean`), page spans for paginated formats and metadata hints.
Adding a format means writing one class here and decorating it with
``@register(".ext")``; :func:`load_document` picks the loader by extension.
"""

from __future__ import annotations

import codecs
import datetime
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import yaml

from ingest.clean import clean_pdf_pages, clean_text
from ingest.embed import common_words
from ingest.figures import TextRun, raised_digits, scripts_in_markup
from ingest.models import PageSpan, ParsedDocument
from policychat.errors import IngestError, UnsupportedFileError

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
        raise IngestError("no extractable text in the file (only whitespace or control characters)", str(path))
    return doc


_UNICODE_BOMS = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _read_text(path: Path) -> str:
    """Read a text file as UTF-8, or as UTF-16/32 when it starts with that byte-order mark.

    The size is checked before anything is read; binary or undecodable data is refused.
    """
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise IngestError(f"text file larger than {MAX_TEXT_BYTES // (1024 * 1024)} MB; split it first", str(path))
    raw = path.read_bytes()
    encoding = "utf-8"
    for bom, name in _UNICODE_BOMS:
        if raw.startswith(bom):
            raw, encoding = raw[len(bom) :], name
            break
    if encoding == "utf-8" and b"\x00" in raw[:8192]:
        raise IngestError(
            "binary data, not text (NUL bytes found; UTF-16 text needs a byte-order mark)", str(path)
        )
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        label = encoding.upper().replace("-LE", "").replace("-BE", "")
        raise IngestError(f"not valid {label} at byte {exc.start}; re-save the file as UTF-8", str(path)) from exc


@register(".txt", ".text")
class TextLoader:
    """Plain text, UTF-8."""

    def load(self, path: Path) -> ParsedDocument:
        """Read and clean a UTF-8 text file."""
        return ParsedDocument(text=clean_text(_read_text(path)))


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
MAX_FRONT_MATTER_CHARS = 64 * 1024
_SCALARS = (str, int, float, bool, datetime.date)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,300}>")
_MD_LINK_START = re.compile(r"!?\[")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def markdown_to_text(markdown: str) -> tuple[str, dict[str, str]]:
    """Strip front matter, HTML and link syntax from Markdown; keep '#' headings.

    Returns the text and the front matter as string hints.
    """
    hints: dict[str, str] = {}
    match = _FRONT_MATTER.match(markdown)
    if match:
        hints = _front_matter_hints(match.group(1))
        markdown = markdown[match.end() :]
    text = _strip_comments(markdown)
    text = scripts_in_markup(text)
    text = _HTML_TAG.sub("", text)
    text = _strip_links(text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = text.replace("\\", "")
    return text, hints


def _strip_comments(text: str) -> str:
    """Remove ``<!-- ... -->`` comments (``re.sub(r"<!--.*?-->", "", text, flags=re.S)``, in linear time)."""
    out: list[str] = []
    last = 0
    while (start := text.find("<!--", last)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        out.append(text[last:start])
        last = end + 3
    out.append(text[last:])
    return "".join(out)


def _strip_links(text: str) -> str:
    r"""Replace Markdown links and images by their text: ``re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)``.

    The same result in linear time: the regex scans to the end of the text from every
    "[" that has no "]" after it ("[[[[..." took minutes), while here the next "]" and
    ")" are found once and reused until the scan passes them.
    """
    out: list[str] = []
    last, close_bracket, close_paren = 0, -1, -1
    for match in _MD_LINK_START.finditer(text):
        if match.start() < last:
            continue
        inner = match.end()
        if close_bracket < inner:
            close_bracket = text.find("]", inner)
            if close_bracket < 0:
                break
        if text[close_bracket + 1 : close_bracket + 2] != "(":
            continue
        if close_paren < close_bracket + 2:
            close_paren = text.find(")", close_bracket + 2)
            if close_paren < 0:
                break
        out += (text[last : match.start()], text[inner:close_bracket])
        last = close_paren + 1
    out.append(text[last:])
    return "".join(out)


def _front_matter_hints(block: str) -> dict[str, str]:
    """Scalar ``key: value`` pairs of a YAML front matter block; {} when it is not usable metadata.

    Broken, oversized or deeply nested YAML is ignored (the document is still ingested),
    and lists or mappings are never turned into strings: an alias bomb stays unexpanded.
    """
    if len(block) > MAX_FRONT_MATTER_CHARS:
        return {}
    try:
        front = yaml.safe_load(block)
    except (yaml.YAMLError, RecursionError):
        return {}
    if not isinstance(front, dict):
        return {}
    return {str(k): str(v) for k, v in front.items() if isinstance(k, _SCALARS) and isinstance(v, _SCALARS)}


@register(".md", ".markdown")
class MarkdownLoader:
    """Markdown; YAML front matter becomes metadata hints."""

    def load(self, path: Path) -> ParsedDocument:
        """Read Markdown, keep its headings, and return front matter as hints."""
        text, hints = markdown_to_text(_read_text(path))
        return ParsedDocument(text=clean_text(text), hints=hints)


def _page_text(page: Any) -> str:
    """A pypdf page's text, with raised digits (exponents, footnote marks) made explicit (:mod:`ingest.figures`)."""
    runs: list[TextRun] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: object, size: float) -> None:
        if text:
            scale = abs(tm[3]) if tm[3] else 1.0
            runs.append(TextRun(text, size * scale, tm[5] * (cm[3] or 1.0) + cm[5]))

    text = page.extract_text(visitor_text=visit) or ""
    return raised_digits(text, runs) if len(runs) > 1 else text


@register(".pdf")
class PdfLoader:
    """PDF through pypdf, one page span per page."""

    def load(self, path: Path) -> ParsedDocument:
        """Extract each page's text; refuse encrypted or unreadable PDFs."""
        from pypdf import PdfReader
        from pypdf.errors import LimitReachedError

        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        raise IngestError("PDF is encrypted with a password", str(path))
                except NotImplementedError as exc:
                    raise IngestError(f"PDF uses unsupported encryption ({exc})", str(path)) from exc
            raw_pages = [_page_text(page) for page in reader.pages]
            info = reader.metadata
            title = str((info.get("/Title") if info else None) or "").strip()
        except IngestError:
            raise
        except LimitReachedError as exc:
            raise IngestError(f"PDF exceeds the parser's limits, a decompression bomb? ({exc})", str(path)) from exc
        except Exception as exc:  # pypdf raises many unrelated types on broken input (ValueError, KeyError, ...)
            raise IngestError(f"corrupt or unreadable PDF ({_one_line(exc)})", str(path)) from exc
        if not any(_has_text(page) for page in raw_pages):
            what = f"its {len(raw_pages):,} pages have no text layer (scanned images? run OCR first)" if raw_pages \
                else "the PDF has no pages"
            raise IngestError(f"no extractable text in the file: {what}", str(path))
        pages = clean_pdf_pages(raw_pages, common_words())
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

        html = scripts_in_markup(_read_text(path))
        try:
            extracted = trafilatura.extract(
                html,
                output_format="markdown",
                include_comments=False,
                include_tables=True,
                favor_recall=True,
                with_metadata=False,
            )
            meta = trafilatura.extract_metadata(html) if extracted else None
        except Exception as exc:  # lxml and trafilatura raise many types on hostile markup
            raise IngestError(f"unreadable HTML ({_one_line(exc)})", str(path)) from exc
        if not extracted:
            raise IngestError("no main text found in the HTML", str(path))
        hints: dict[str, str] = {}
        if meta is not None:
            for key in ("title", "date", "url", "sitename"):
                value = getattr(meta, key, None)
                if value:
                    hints["publisher" if key == "sitename" else key] = str(value)
        text, _ = markdown_to_text(extracted)
        return ParsedDocument(text=clean_text(text), hints=hints)


def _has_text(page: str) -> bool:
    """True when extracted text holds anything besides whitespace and control characters."""
    return any(not ch.isspace() and unicodedata.category(ch)[0] != "C" for ch in page)


def _one_line(exc: BaseException, limit: int = 160) -> str:
    """``Type: message`` of an exception on one short line."""
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_docx_archive(path: Path) -> None:
    """Refuse a DOCX that is not a zip, or that inflates past the limits (a zip bomb).

    The declared sizes are checked first; then every member is inflated in 1 MB
    steps and counted, so a zip whose headers understate its sizes is caught too,
    without ever holding more than one step in memory.
    """
    mb = 1024 * 1024

    def check(total: int, xml: int) -> None:
        if total > MAX_DOCX_UNCOMPRESSED:
            raise IngestError(
                f"DOCX expands to at least {total // mb} MB, over the "
                f"{MAX_DOCX_UNCOMPRESSED // mb} MB limit (zip bomb?)",
                str(path),
            )
        if xml > MAX_TEXT_BYTES:
            raise IngestError(
                f"DOCX text parts expand to at least {xml // mb} MB, over the {MAX_TEXT_BYTES // mb} MB limit "
                "(zip bomb, or split the document)",
                str(path),
            )

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            is_xml = [info.filename.lower().endswith((".xml", ".rels")) for info in infos]
            check(sum(i.file_size for i in infos), sum(i.file_size for i, x in zip(infos, is_xml, strict=True) if x))
            total = xml = 0
            for info, xml_part in zip(infos, is_xml, strict=True):
                with archive.open(info) as member:
                    while block := member.read(mb):
                        total += len(block)
                        xml += len(block) if xml_part else 0
                        check(total, xml)
    except IngestError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, zlib.error) as exc:
        if isinstance(exc, zipfile.BadZipFile) and "File is not a zip file" in str(exc):
            raise IngestError("not a valid DOCX (zip) file", str(path)) from exc
        raise IngestError(f"corrupt DOCX ({_one_line(exc)})", str(path)) from exc


def _paragraph_text(paragraph: Any) -> str:
    """A DOCX paragraph's text, superscript runs marked up so exponents survive (:func:`scripts_in_markup`)."""
    runs = paragraph.runs
    if not any(run.font.superscript or run.font.subscript for run in runs):
        return str(paragraph.text)
    pieces = []
    for run in runs:
        tag = "sup" if run.font.superscript else "sub" if run.font.subscript else ""
        pieces.append(f"<{tag}>{run.text}</{tag}>" if tag and run.text.strip() else run.text)
    return scripts_in_markup("".join(pieces))


@register(".docx")
class DocxLoader:
    """Word documents through python-docx; heading styles become '#' headings."""

    def load(self, path: Path) -> ParsedDocument:
        """Read paragraphs and tables in order; refuse zip bombs and non-DOCX files."""
        import docx

        _check_docx_archive(path)
        try:
            document = docx.Document(str(path))
        except Exception as exc:  # python-docx raises many unrelated types on bad input
            raise IngestError(f"corrupt DOCX ({_one_line(exc)})", str(path)) from exc
        lines: list[str] = []
        for paragraph in document.paragraphs:
            text = _paragraph_text(paragraph).strip()
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
