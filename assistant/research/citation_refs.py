"""The machine-readable reference each exported citation carries, and reading it back for a check.

A Markdown footnote ends with an HTML comment: invisible once rendered, kept wherever the
Markdown itself is copied (a memo, a wiki page)::

    [^2]: *Title*, Publisher, 2024-03-01. “The quote.” <!-- policychat:cite {"source_id": "zorblax-accord",
    "content_hash": "9f2c…", "start": 120, "end": 260} -->

(one line in the file). The quote itself is read from the footnote's visible text, so a
verifier checks what the reader sees. A CSL-JSON item (one per cited source) lists its cited
passages under ``custom`` (CSL's field for data of other programs)::

    "custom": {"policychat": [{"footnote": 2, "content_hash": "9f2c…", "start": 120, "end": 260,
                               "quote": "The quote."}]}

``footnote`` is the passage's footnote number in the Markdown export of the same thread.
``content_hash`` is absent for answers stored before hashes were recorded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from assistant.models import Citation
from policychat.errors import CitationInputError

TRAILER_TAG = "policychat:cite"
CSL_KEY = "policychat"
_TRAILER = re.compile(r"\s*<!--\s*" + re.escape(TRAILER_TAG) + r"\s+(.*?)\s*-->\s*$")
_FOOTNOTE = re.compile(r"^\[\^(\d+)\]:\s*")
_JSON_START = re.compile(r"\s*(?:\{|\[\s*(?:[\[\]{\"\d-]|true|false|null|$))")


@dataclass(frozen=True)
class CitedQuote:
    """One cited passage as an export states it: source, version, offsets and the quote shown."""

    source_id: str
    start: int
    end: int
    quote: str
    content_hash: str | None = None
    footnote: int | None = None


def markdown_trailer(citation: Citation) -> str:
    """The HTML comment a footnote ends with: source id, content hash (when known) and offsets, as JSON."""
    fields: dict[str, Any] = {"source_id": citation.source_id}
    if citation.content_hash:
        fields["content_hash"] = citation.content_hash
    fields |= {"start": citation.start, "end": citation.end}
    # "--" would end the comment early; \u002d is the same "-" to a JSON reader.
    body = json.dumps(fields, ensure_ascii=False).replace("--", "-\\u002d")
    return f"<!-- {TRAILER_TAG} {body} -->"


def csl_custom(numbered: list[tuple[int, Citation]]) -> dict[str, Any]:
    """The ``custom`` field of a CSL-JSON item: its cited passages, each with its footnote number."""
    passages = []
    for footnote, citation in numbered:
        passage: dict[str, Any] = {"footnote": footnote}
        if citation.content_hash:
            passage["content_hash"] = citation.content_hash
        passages.append(passage | {"start": citation.start, "end": citation.end, "quote": citation.quote})
    return {CSL_KEY: passages}


def load_json(text: str, where: str, field: str) -> Any:
    """``text`` parsed as JSON.

    Raises:
        CitationInputError: not JSON, or nested too deeply to parse.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CitationInputError(f"is not valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno})", where,
                                 field) from exc
    except RecursionError as exc:
        raise CitationInputError("is not usable JSON: it is nested too deeply", where, field) from exc


def _text(value: Any, where: str, field: str) -> str:
    """``value`` when it is text a report can carry (not a lone surrogate from a JSON escape), else the error."""
    if not isinstance(value, str):
        raise CitationInputError(f"must be text, not {value!r}", where, field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CitationInputError("holds a lone surrogate (not Unicode text)", where, field) from exc
    return value


def _quote_of(body: str, where: str) -> str:
    """The quote of a footnote's visible text ``*Title*, Publisher, date. “quote”``."""
    body = body.rstrip()
    title_end = 0
    if body.startswith("*"):  # the italic title may hold ". “" itself: look after it
        ends = [i for i in (body.find("*, ", 1), body.find("*. “", 1)) if i >= 0]
        title_end = min(ends, default=0)
    opening = body.find(". “", title_end)
    start = opening + 3 if opening >= 0 else body.find("“") + 1
    if not body.endswith("”") or start <= 0 or start >= len(body) - 1:
        raise CitationInputError("the footnote does not end with its quote in “…”", where, "quote")
    return body[start:-1]


def _int_field(fields: dict[str, Any], name: str, where: str) -> int:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CitationInputError(f"must be a whole number ≥ 0, not {value!r}", where, name)
    return value


def _reference(fields: Any, quote: str, where: str, footnote: int | None, source_id: Any = None) -> CitedQuote:
    """A :class:`CitedQuote` from a trailer's or a CSL passage's fields, each checked."""
    if not isinstance(fields, dict):
        raise CitationInputError("must be a JSON object", where, "reference")
    source_id = _text(fields.get("source_id") if source_id is None else source_id, where, "source_id")
    if not source_id.strip():
        raise CitationInputError("must be a source id, not blank", where, "source_id")
    start, end = _int_field(fields, "start", where), _int_field(fields, "end", where)
    if end <= start:
        raise CitationInputError(f"end ({end}) must be after start ({start})", where, "end")
    content_hash = fields.get("content_hash")
    if content_hash is not None:
        content_hash = _text(content_hash, where, "content_hash")
    if not " ".join(_text(quote, where, "quote").split()):
        raise CitationInputError("the quote is empty", where, "quote")
    return CitedQuote(source_id, start, end, quote, content_hash or None, footnote)


def parse_markdown(text: str, name: str) -> list[CitedQuote]:
    """The cited passages of a Markdown export: every line ending with a ``policychat:cite`` comment.

    Args:
        text: the Markdown (a whole export, or a memo holding its footnotes).
        name: what to call the input in errors (a file name, "request body").

    Returns:
        The passages in the order of their footnotes.

    Raises:
        CitationInputError: a reference that cannot be read (naming its footnote and field),
            or no reference at all.
    """
    found: list[CitedQuote] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        trailer = _TRAILER.search(line)
        if trailer is None:
            continue
        label = _FOOTNOTE.match(line)
        footnote = int(label.group(1)) if label else None
        where = f"{name}, footnote [^{footnote}]" if footnote is not None else f"{name}, line {line_number}"
        fields = load_json(trailer.group(1), where, TRAILER_TAG)
        body = line[label.end() if label else 0 : trailer.start()]
        found.append(_reference(fields, _quote_of(body, where), where, footnote))
    if not found:
        raise CitationInputError(
            f"no footnote carries a '{TRAILER_TAG}' reference: export the thread again as Markdown or CSL-JSON "
            "(GET /v1/conversations/{id}/export); exports made before references were added cannot be checked",
            name, "footnotes")
    return found


def parse_csl(items: Any, name: str) -> list[CitedQuote]:
    """The cited passages of a CSL-JSON export (an array of items; items without ``custom.policychat`` are skipped).

    Raises:
        CitationInputError: not an array of items, a passage that cannot be read (naming the item
            and field), or no passage at all.
    """
    if not isinstance(items, list):
        raise CitationInputError("a CSL-JSON export is an array of items", name, "items")
    found: list[CitedQuote] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise CitationInputError("must be a JSON object", f"{name}, item {index}", "item")
        custom = item.get("custom")
        passages = custom.get(CSL_KEY) if isinstance(custom, dict) else None
        if passages is None:
            continue
        where = f"{name}, item {index} ({item.get('id')!r})"
        if not isinstance(passages, list):
            raise CitationInputError("must be an array of cited passages", where, f"custom.{CSL_KEY}")
        for number, passage in enumerate(passages):
            spot = f"{where}, passage {number}"
            quote = _text(passage.get("quote") if isinstance(passage, dict) else None, spot, "quote")
            footnote = passage.get("footnote")
            found.append(_reference(passage, quote, spot, footnote if isinstance(footnote, int) else None,
                                    source_id=item.get("id")))
    if not found:
        raise CitationInputError(f"no item carries cited passages in custom.{CSL_KEY}: export the thread again "
                                 "(GET /v1/conversations/{id}/export?format=csljson)", name, f"custom.{CSL_KEY}")
    return found


def parse_export(text: str, name: str) -> list[CitedQuote]:
    """The cited passages of an export, Markdown or CSL-JSON, told apart by content.

    Text starting like JSON (``{``, or ``[`` then a value or ``]``) is CSL-JSON; anything else
    is Markdown, which may start with ``[`` too (a footnote ``[^1]:``, a link).

    Raises:
        CitationInputError: the input cannot be read (see :func:`parse_markdown`, :func:`parse_csl`).
    """
    body = text.lstrip("\ufeff")
    if not _JSON_START.match(body):
        return parse_markdown(text, name)
    try:
        items = load_json(body, name, "CSL-JSON")
    except CitationInputError:
        if TRAILER_TAG in body:
            return parse_markdown(text, name)
        raise
    return parse_csl(items, name)
