"""A document card as Markdown (``GET /v1/sources/{id}/card.md``, the UI's download, ``sources show --format md``).

Every quoted item ends with its reference: the source id and the character offsets
of the quote in that source's stored text, plus the page for PDFs, e.g.
``[us-eo-14110-…:1234–1301, p. 3]``; relation evidence names the stating source.
"""

from __future__ import annotations

import re

from assistant.research.card_models import Quote, RelationEdge, SourceCard

_VERBS = {
    "revokes": "revokes", "rescinds": "rescinds", "supersedes": "supersedes", "amends": "amends",
    "implements": "implements", "supports": "supports", "responds_to": "responds to",
    "translation_of": "is a translation of",
}


def _inline(text: str) -> str:
    """One line of Markdown-safe text: whitespace collapsed, table pipes and leading markers escaped."""
    text = " ".join(text.split()).replace("|", "\\|")
    return re.sub(r"^([#>*+-]|\d+\.)(\s)", r"\\\1\2", text)


def reference(quote: Quote, source_id: str) -> str:
    """``[source-id:start–end, p. N]``: where the quote is in the stored text of ``source_id``."""
    page = f", p. {quote.page}" if quote.page else ""
    return f"[{source_id}:{quote.start}–{quote.end}{page}]"


def _quoted(quote: Quote, source_id: str) -> str:
    return f"“{_inline(quote.quote)}” {reference(quote, source_id)}"


def relation_line(edge: RelationEdge) -> str:
    """One relation as a sentence with its evidence: "A revokes B: “…” [a:1–2]"."""
    actor = edge.actor or edge.source_title
    target = edge.target + (" (not in the library)" if edge.external else f" ({edge.target_id})")
    line = f"{_inline(actor)} {_VERBS.get(edge.type, edge.type)} {_inline(target)}"
    line += f" — stated in {edge.source_id} ({edge.origin})"
    return line + (f": {_quoted(edge.evidence, edge.source_id)}" if edge.evidence else "")


def card_markdown(card: SourceCard) -> str:
    """The whole card as a Markdown document (identity, status, purpose, summary, outline, provisions, figures)."""
    ident = card.identity
    sid = ident.id
    lines = [f"# {_inline(ident.title)}", ""]
    facts = [("Id", sid), ("Short title", ident.short_title), ("Issuer", ident.issuer), ("Date", ident.date),
             ("Type", ident.doc_type), ("Language", ident.language), ("Country", ident.country),
             ("Aliases", "; ".join(ident.aliases)), ("URL", ident.url or ""),
             ("Eval", card.eval_health.describe() if card.eval_health else "")]
    lines += ["| field | value |", "|---|---|"]
    lines += [f"| {name} | {_inline(value)} |" for name, value in facts if value]
    status = card.status
    lines += ["", "## Status", "", f"**{status.status}**" + (f" ({status.origin})" if status.origin != "none" else "")]
    if status.stated_in:
        lines[-1] += f" — according to {_inline(status.stated_in_title)} ({status.stated_in_date or 'undated'})"
    if status.evidence and status.stated_in:
        lines += ["", f"> {_quoted(status.evidence, status.stated_in)}"]
    for title, quotes in (("Purpose", card.purpose), ("Summary", card.summary)):
        lines += ["", f"## {title}", ""]
        lines += [f"- {_quoted(q, sid)}" for q in quotes] or ["_None found._"]
    lines += ["", "## Outline", ""]
    for part in card.outline:
        lines.append(f"- **{_inline(part.title)}**" + (f": {_quoted(part.first, sid)}" if part.first else ""))
    if not card.outline:
        lines.append("_None found._")
    lines += ["", "## Provisions", ""]
    if card.provisions:
        lines += ["| actor | action | deadline | quote |", "|---|---|---|---|"]
        lines += [f"| {_inline(p.actor)} | {_inline(p.action)} | {_inline(p.deadline) or '–'} | {_quoted(p, sid)} |"
                  for p in card.provisions]
    else:
        lines.append("_None found._")
    lines += ["", "## Key figures", ""]
    if card.figures:
        lines += ["| type | value | quote |", "|---|---|---|"]
        lines += [f"| {f.type} | {_inline(f.value)} | {_quoted(f, sid)} |" for f in card.figures]
    else:
        lines.append("_None found._")
    lines += ["", "## Relations", ""]
    edges = [*card.relations_out, *card.relations_in]
    lines += [f"- {relation_line(edge)}" for edge in edges] or ["_None found._"]
    return "\n".join(lines) + "\n"


def card_file_name(source_id: str) -> str:
    """A safe download name for a card: ``<id>-card.md``."""
    return re.sub(r"[^\w.-]+", "-", source_id).strip("-")[:120] + "-card.md"
