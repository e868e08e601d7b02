"""``policychat sources show ID``: a document card as rich tables on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.research.card_models import Quote, SourceCard

STATUS_STYLE = {"revoked": "bold red", "rescinded": "bold red", "superseded": "bold red", "amended": "yellow",
                "draft": "yellow", "in force": "green"}


def _text(quote: Quote, limit: int = 400) -> str:
    text = " ".join(quote.quote.split())
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _where(quote: Quote) -> str:
    return f"{quote.start}–{quote.end}" + (f", p. {quote.page}" if quote.page else "")


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=True)
    for column in columns:
        table.add_column(column, overflow="fold", ratio=3 if column in ("action", "quote", "sentence") else 1)
    return table


def print_card(console: Console, card: SourceCard) -> None:
    """Print ``card``: identity, status and eval health, purpose, summary, outline, provisions, figures, relations."""
    ident, status = card.identity, card.status
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    for name, value in (("id", ident.id), ("short title", ident.short_title), ("issuer", ident.issuer),
                        ("date", ident.date), ("type", ident.doc_type), ("language", ident.language),
                        ("country", ident.country), ("aliases", "; ".join(ident.aliases)), ("url", ident.url or "")):
        if value:
            facts.add_row(name, escape(value))
    style = STATUS_STYLE.get(status.status, "dim")
    said = f" — according to {escape(status.stated_in_title)} ({status.stated_in_date})" if status.stated_in else ""
    facts.add_row("status", f"[{style}]{escape(status.status)}[/] ({status.origin}){said}")
    console.print(f"[bold]{escape(ident.title)}[/]")
    console.print(facts)
    if status.evidence is not None:
        console.print(f"    “{_text(status.evidence)}” [dim]{status.stated_in}:{_where(status.evidence)}[/]",
                      highlight=False)
    if card.eval_health is not None:
        console.print(f"Eval: {card.eval_health.describe()}", highlight=False)
    for title, quotes in (("Purpose", card.purpose), ("Summary", card.summary)):
        table = _table(title, "sentence", "where")
        for quote in quotes:
            table.add_row(_text(quote), _where(quote))
        console.print(table if quotes else f"[dim]{title}: none found[/]")
    outline = _table(f"Outline ({len(card.outline)} parts)", "part", "sentence", "where")
    for part in card.outline:
        outline.add_row(escape(part.title), _text(part.first, 200) if part.first else "",
                        _where(part.first) if part.first else "")
    console.print(outline if card.outline else "[dim]Outline: none found[/]")
    provisions = _table(f"Provisions ({len(card.provisions)})", "actor", "action", "deadline", "where")
    for provision in card.provisions:
        provisions.add_row(escape(provision.actor), escape(provision.action[:200]), escape(provision.deadline) or "–",
                           _where(provision))
    console.print(provisions if card.provisions else "[dim]Provisions: none found[/]")
    figures = _table(f"Key figures ({len(card.figures)})", "type", "value", "sentence", "where")
    for figure in card.figures:
        figures.add_row(figure.type, escape(figure.value), _text(figure, 160), _where(figure))
    console.print(figures if card.figures else "[dim]Key figures: none found[/]")
    relations = _table("Relations", "stated in", "relation", "target", "evidence")
    for edge in [*card.relations_out, *card.relations_in]:
        target = edge.target + (" (outside the library)" if edge.external else f" ({edge.target_id})")
        relations.add_row(escape(edge.source_id), edge.type.replace("_", " "), escape(target),
                          _text(edge.evidence, 200) if edge.evidence else f"({edge.origin})")
    console.print(relations if relations.row_count else "[dim]Relations: none found[/]")
