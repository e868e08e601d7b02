"""Answers and threads as Markdown with numbered footnotes, and their sources as BibTeX or CSL-JSON.

Markdown footnotes are numbered across the whole export (the same cited passage
keeps one number); each says title, publisher, date, page, URL and the quote,
then carries the citation's machine-readable reference (source id, content hash,
offsets: :mod:`assistant.research.citation_refs`) so ``policychat verify`` can
check it later. The reference lists hold one entry per cited source; a CSL-JSON
item lists its cited passages the same way in ``custom``. ``kinds`` (source id →
document type, from the catalog) picks the entry type when it is known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from assistant.models import Answer, Citation
from assistant.research.citation_refs import csl_custom, markdown_trailer

ExportFormat = Literal["md", "bibtex", "csljson"]
MEDIA_TYPES: dict[str, str] = {"md": "text/markdown; charset=utf-8", "bibtex": "application/x-bibtex; charset=utf-8",
                               "csljson": "application/vnd.citationstyles.csl+json; charset=utf-8"}
EXTENSIONS = {"md": "md", "bibtex": "bib", "csljson": "json"}

_MARKER = re.compile(r"\[(\d+)\]")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CSL_TYPES = {"executive-order": "legislation", "law": "legislation", "resolution": "legislation",
              "regulation": "regulation", "treaty": "treaty", "standard": "standard", "strategy": "report",
              "report": "report", "news": "article-newspaper", "statement": "speech"}  # CSL 1.0.2 types
_BIB_TYPES = {"standard": "techreport", "strategy": "techreport", "report": "techreport"}
_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


@dataclass(frozen=True)
class Turn:
    """A question and its answer, the unit of an export."""

    question: str
    answer: Answer


def with_pages(turns: Sequence[Turn], page_of: Callable[[Citation], int | None]) -> list[Turn]:
    """``turns`` with each citation's page set to ``page_of(citation)`` (see ``research.pages.citation_pages``)."""
    return [Turn(t.question, t.answer.model_copy(update={"citations": [
        c.model_copy(update={"page": page_of(c)}) for c in t.answer.citations]})) for t in turns]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def footnote(citation: Citation) -> str:
    """One footnote's text: title, publisher, date, page, URL and the quote."""
    parts = [f"*{_one_line(citation.title)}*"]
    parts += [_one_line(p) for p in (citation.publisher, citation.date) if p.strip()]
    if citation.page:
        parts.append(f"p. {citation.page}")
    if citation.url:
        parts.append(f"<{citation.url.strip()}>")
    return ", ".join(parts) + f". “{_one_line(citation.quote)}”"


PassageKey = tuple[str, str | None, int, int]


def passage_key(citation: Citation) -> PassageKey:
    """What makes two citations one cited passage: source, its version (content hash) and offsets."""
    return citation.source_id, citation.content_hash, citation.start, citation.end


def passage_numbers(turns: Sequence[Turn]) -> dict[PassageKey, int]:
    """The footnote number of every cited passage: 1, 2, … in order of first citation (by marker within an answer)."""
    numbers: dict[PassageKey, int] = {}
    for turn in turns:
        for citation in sorted(turn.answer.citations, key=lambda c: c.marker):
            numbers.setdefault(passage_key(citation), len(numbers) + 1)
    return numbers


def to_markdown(turns: Sequence[Turn], title: str | None = None, kinds: dict[str, str] | None = None) -> str:
    """``turns`` as Markdown: each answer with ``[^n]`` footnotes, then the notes and a reference list."""
    numbers = passage_numbers(turns)
    notes: dict[int, str] = {}
    sources: dict[str, Citation] = {}
    lines = [f"# {_one_line(title)}", ""] if title else []
    for turn in turns:
        cited = {c.marker: c for c in turn.answer.citations}
        local: dict[int, int] = {}
        for marker, citation in sorted(cited.items()):
            number = numbers[passage_key(citation)]
            notes.setdefault(number, f"[^{number}]: {footnote(citation)} {markdown_trailer(citation)}")
            local[marker] = number
            sources.setdefault(citation.source_id, citation)

        def link(match: re.Match[str], local: dict[int, int] = local) -> str:
            n = int(match.group(1))
            return f"[^{local[n]}]" if n in local else match.group(0)

        lines += [f"## {_one_line(turn.question)}", "", _MARKER.sub(link, turn.answer.answer.strip()), ""]
    if notes:
        lines += [*(notes[n] for n in sorted(notes)), ""]
    if sources:
        lines += ["## References", ""]
        lines += [f"- {_reference(c, (kinds or {}).get(c.source_id))}" for c in sources.values()]
        lines.append("")
    return "\n".join(lines)


def _reference(citation: Citation, kind: str | None) -> str:
    who = _one_line(citation.publisher) or "Unknown publisher"
    year = citation.date[:4] if citation.date[:4].isdigit() else "n.d."
    url = f" <{citation.url.strip()}>" if citation.url else ""
    kind_note = f" [{kind}]" if kind else ""
    return f"{who} ({year}). *{_one_line(citation.title)}*{kind_note}.{url}"


def cited_sources(turns: Sequence[Turn]) -> dict[str, list[Citation]]:
    """{source id: its citations} over every answer, in order of first citation."""
    out: dict[str, list[Citation]] = {}
    for turn in turns:
        for citation in turn.answer.citations:
            out.setdefault(citation.source_id, []).append(citation)
    return out


def _date_parts(value: str) -> list[int]:
    return [int(p) for p in value.split("-")[:3] if p.isdigit()]


def _latex(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in _one_line(text))


def _bib_key(source_id: str, taken: set[str]) -> str:
    key = re.sub(r"[^A-Za-z0-9_:-]+", "-", source_id).strip("-") or "source"
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}-{n}", n + 1
    taken.add(candidate)
    return candidate


def to_bibtex(turns: Sequence[Turn], kinds: dict[str, str] | None = None) -> str:
    """One BibTeX entry per cited source (``@techreport`` for reports and standards, else ``@misc``)."""
    entries: list[str] = []
    taken: set[str] = set()
    for source_id, citations in cited_sources(turns).items():
        first = citations[0]
        kind = (kinds or {}).get(source_id, "")
        entry_type = _BIB_TYPES.get(kind, "misc")
        fields = [("title", "{" + _latex(first.title) + "}")]
        if first.publisher.strip():  # an organisation as author: braced so it is not split into names
            fields.append(("author", "{" + _latex(first.publisher) + "}"))
            if entry_type == "techreport":
                fields.append(("institution", _latex(first.publisher)))
        parts = _date_parts(first.date)
        if parts:
            fields.append(("year", str(parts[0])))
        if len(parts) > 1 and 1 <= parts[1] <= 12:
            fields.append(("month", _MONTHS[parts[1] - 1]))
        if len(parts) == 3:
            fields.append(("date", first.date[:10]))
        if first.url:
            fields.append(("url", first.url.strip()))
        pages = sorted({c.page for c in citations if c.page})
        if pages:
            fields.append(("note", "Cited pages: " + ", ".join(map(str, pages))))
        if kind:
            fields.append(("type", _latex(kind)))
        body = ",\n".join(f"  {name} = {value if name == 'month' else '{' + value + '}'}" for name, value in fields)
        entries.append(f"@{entry_type}{{{_bib_key(source_id, taken)},\n{body}\n}}\n")
    return "\n".join(entries)


def to_csl_json(turns: Sequence[Turn], kinds: dict[str, str] | None = None) -> str:
    """The cited sources as a CSL-JSON array (what Zotero, Pandoc and citeproc read).

    Each item's ``custom.policychat`` lists its cited passages (footnote number, content hash,
    offsets, quote), what ``policychat verify`` reads back.
    """
    numbers = passage_numbers(turns)
    items = []
    for source_id, citations in cited_sources(turns).items():
        first = citations[0]
        kind = (kinds or {}).get(source_id, "")
        item: dict[str, object] = {"id": source_id, "type": _CSL_TYPES.get(kind, "document"),
                                   "title": _one_line(first.title)}
        if first.publisher.strip():
            item["author"] = [{"literal": _one_line(first.publisher)}]
            item["publisher"] = _one_line(first.publisher)
        parts = _date_parts(first.date)
        if parts:
            item["issued"] = {"date-parts": [parts]}
        if first.url:
            item["URL"] = first.url.strip()
        pages = sorted({c.page for c in citations if c.page})
        if pages:
            item["note"] = "Cited pages: " + ", ".join(map(str, pages))
        if kind:
            item["genre"] = kind
        passages = {passage_key(c): c for c in citations}
        item["custom"] = csl_custom(sorted(((numbers[key], c) for key, c in passages.items()), key=lambda p: p[0]))
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def export(turns: Sequence[Turn], fmt: ExportFormat, title: str | None = None,
           kinds: dict[str, str] | None = None) -> str:
    """``turns`` in ``fmt`` (``md``, ``bibtex`` or ``csljson``)."""
    if fmt == "md":
        return to_markdown(turns, title, kinds)
    if fmt == "bibtex":
        return to_bibtex(turns, kinds)
    return to_csl_json(turns, kinds)


def file_name(title: str, fmt: ExportFormat) -> str:
    """A safe download name from a title: ``policychat-<slug>-<date>.<ext>``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "export"
    return f"policychat-{slug}-{date.today().isoformat()}.{EXTENSIONS[fmt]}"
