"""The card as Markdown: every item with its quote reference, tables that survive pipes and line breaks."""

from __future__ import annotations

import re

from assistant.research.card_export import card_file_name, card_markdown, reference
from assistant.research.card_models import (
    CardIdentity,
    FigureItem,
    OutlinePart,
    ProvisionItem,
    Quote,
    RelationEdge,
    SourceCard,
    StatusInfo,
)

TEXT = ("Order 7. This order sets rules for reef sensors.\nSec. 2. Duties\nWithin 30 days, the Reef Office shall\n"
        "publish a sensor | buoy list. Sensors above 40 metres need a permit.")


def _quote(fragment: str, source_text: str = TEXT, page: int | None = None) -> Quote:
    start = source_text.index(fragment)
    return Quote(quote=fragment, start=start, end=start + len(fragment), page=page, chunk_id="reef-order:00000:ab")


def _card(**changes: object) -> SourceCard:
    purpose = _quote("This order sets rules for reef sensors.")
    duty = _quote("Within 30 days, the Reef Office shall\npublish a sensor | buoy list.")
    figure = _quote("Sensors above 40 metres need a permit.", page=2)
    stater_text = "Order 8 hereby revokes Order 7 (reef sensors)."
    card = SourceCard(
        identity=CardIdentity(id="reef-order", title="Reef Sensor Order (Order 7)", short_title="Order 7",
                              aliases=["order 7", "reef sensor order"], issuer="Reef Council", date="2030-02-01",
                              doc_type="executive-order", language="en", country="INTL", url=None),
        purpose=[purpose],
        outline=[OutlinePart(title="Sec. 2. Duties", heading=None, first=duty, sentences=[duty])],
        provisions=[ProvisionItem(**duty.model_dump(), actor="Reef Office",
                                  action="shall publish a sensor | buoy list.", deadline="Within 30 days",
                                  deadline_days=30)],
        figures=[FigureItem(**figure.model_dump(), type="quantity", value="40 metres")],
        summary=[purpose, figure],
        status=StatusInfo(status="revoked", origin="text", stated_in="reef-order-8", stated_in_title="Order 8",
                          stated_in_date="2031-01-01", evidence=_quote(stater_text, stater_text)),
        relations_out=[RelationEdge(type="implements", source_id="reef-order", source_title="Reef Sensor Order",
                                    target="Ocean Act 12", external=True, origin="text",
                                    evidence=_quote("This order sets rules for reef sensors."))],
        relations_in=[RelationEdge(type="revokes", source_id="reef-order-8", source_title="Order 8",
                                   actor_id="reef-order-8", target="Order 7", target_id="reef-order",
                                   target_title="Reef Sensor Order (Order 7)", external=False, origin="catalog")],
        card_version=2,
    )
    return card.model_copy(update=changes)


def test_every_item_ends_with_its_reference() -> None:
    card = _card()
    text = card_markdown(card)
    assert text.startswith("# Reef Sensor Order (Order 7)\n\n| field | value |\n|---|---|\n| Id | reef-order |")
    purpose = card.purpose[0]
    assert f"- “{purpose.quote}” [reef-order:{purpose.start}–{purpose.end}]" in text
    figure = card.figures[0]
    assert f"| quantity | 40 metres | “{figure.quote}” [reef-order:{figure.start}–{figure.end}, p. 2] |" in text
    evidence = card.status.evidence
    assert evidence is not None
    assert "**revoked** (text) — according to Order 8 (2031-01-01)" in text
    assert f"> “Order 8 hereby revokes Order 7 (reef sensors).” [reef-order-8:0–{evidence.end}]" in text
    assert "- **Sec. 2. Duties**: “Within 30 days" in text
    assert "Reef Sensor Order implements Ocean Act 12 (not in the library) — stated in reef-order (text): “" in text
    assert "Order 8 revokes Order 7 (reef-order) — stated in reef-order-8 (catalog)" in text


def test_table_cells_escape_pipes_and_collapse_line_breaks() -> None:
    text = card_markdown(_card())
    provision_rows = [line for line in text.splitlines() if line.startswith("| Reef Office |")]
    assert len(provision_rows) == 1
    row = provision_rows[0]
    assert "Reef Office shall publish a sensor \\| buoy list" in row
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert [c.strip()[:14] for c in cells] == ["Reef Office", "shall publish ", "Within 30 days", "“Within 30 day"]


def test_empty_sections_say_so() -> None:
    card = _card(purpose=[], outline=[], provisions=[], figures=[], summary=[], relations_out=[], relations_in=[],
                 status=StatusInfo(status="unknown", origin="none"))
    text = card_markdown(card)
    assert text.count("_None found._") == 6  # purpose, summary, outline, provisions, figures, relations
    assert "## Status\n\n**unknown**\n" in text


def test_reference_and_file_name() -> None:
    assert reference(Quote(quote="x", start=3, end=4, page=None, chunk_id="c"), "a") == "[a:3–4]"
    assert reference(Quote(quote="x", start=3, end=4, page=9, chunk_id="c"), "a") == "[a:3–4, p. 9]"
    assert card_file_name("us-eo-14110") == "us-eo-14110-card.md"
    assert card_file_name("../etc/passwd") == "..-etc-passwd-card.md"
