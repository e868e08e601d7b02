"""Typed document cards and relations as the API, the CLI and the UI show them (``GET /v1/sources/{id}/card``).

Every quoted item carries ``quote``, ``start``, ``end`` and ``page``: ``start``/``end`` are
offsets into the stored text of the source the item belongs to (``GET /v1/sources/{id}``),
so ``text[start:end] == quote``, exactly as for an answer's citations.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from policychat.eval_health import SourceHealth

RelationType = Literal[
    "revokes", "rescinds", "supersedes", "amends", "implements", "supports", "responds_to", "translation_of",
]


class Quote(BaseModel):
    """A sentence of a source: its exact text and where it is."""

    quote: str = Field(description="The exact stored text at start:end.")
    start: int = Field(description="Offset of the quote in the source's stored text.")
    end: int = Field(description="End offset (exclusive) in the source's stored text.")
    page: int | None = Field(None, description="PDF page where the quote starts; null for sources without pages.")
    chunk_id: str = Field(description="The chunk that holds the quote.")


class OutlinePart(BaseModel):
    """A top-level part of the document (pillar, section, article, chapter) as the document names it."""

    title: str
    heading: Quote | None = Field(None, description="The heading line itself, when it is in the stored text.")
    first: Quote | None = Field(None, description="The part's first substantive sentence.")
    sentences: list[Quote] = Field(default_factory=list, description="Up to three body sentences of the part.")


class ProvisionItem(Quote):
    """An obligation or directive: who must do what, by when or under what condition."""

    actor: str
    action: str
    deadline: str = Field(description="The deadline or recurrence as written ('within 90 days'); empty when none.")
    deadline_days: int | None = Field(None, description="The deadline in days ('within 6 months': 180, 'annually': "
                                      "365; a calendar date: days after the document's date); null when none.")


class FigureItem(Quote):
    """A key figure (percentage, money, quantity, duration, date) and the sentence it comes from."""

    type: str
    value: str


class RelationEdge(BaseModel):
    """One document acting on another (``source_id`` --type--> ``target``), with the sentence that says so."""

    type: RelationType
    source_id: str = Field(description="The library source whose text (or catalog row) states the relation.")
    source_title: str
    actor: str = Field("", description="Who acts, when the sentence names someone else than the stating source.")
    actor_id: str | None = Field(None, description="The acting library source, when the stating source acts itself.")
    target: str = Field(description="The target's short name when it is in the library, else as the text names it.")
    target_id: str | None = Field(None, description="The target's library id; null for a document outside the library.")
    target_title: str = Field("", description="The target's title in the library ('' for an external document).")
    external: bool = Field(description="The target is not in the library (a named external document).")
    origin: str = Field(description="Where the relation comes from: text, catalog or title.")
    evidence: Quote | None = Field(None, description="The stating sentence (offsets into source_id's stored text).")


class StatusInfo(BaseModel):
    """A source's standing and what shows it."""

    status: str = Field(description="in force, revoked, rescinded, superseded, amended, draft or unknown.")
    origin: str = Field(description="catalog (the status column), text (another document says so), title or none.")
    stated_in: str | None = Field(None, description="The source whose sentence shows the status.")
    stated_in_title: str = ""
    stated_in_date: str = ""
    evidence: Quote | None = Field(None, description="That sentence (offsets into stated_in's stored text).")


class CardIdentity(BaseModel):
    """What the document is: id, names, issuer, date, type, language, country."""

    id: str
    title: str
    short_title: str = Field(description="The short name answers use ('Executive Order 14110').")
    aliases: list[str]
    issuer: str
    date: str
    doc_type: str
    language: str
    country: str
    url: str | None = None


class SourceCard(BaseModel):
    """A source's card: identity, purpose, outline, provisions, key figures, summary, status and relations."""

    identity: CardIdentity
    purpose: list[Quote]
    outline: list[OutlinePart]
    provisions: list[ProvisionItem]
    figures: list[FigureItem]
    summary: list[Quote]
    status: StatusInfo
    relations_out: list[RelationEdge] = Field(description="What this source says about other documents.")
    relations_in: list[RelationEdge] = Field(description="What other sources say about this one.")
    card_version: int
    eval_health: SourceHealth | None = Field(
        None, description="How the latest `policychat eval run` that asked about this source fared: the share of "
        "its items answered right, with the run's date and report; null when no run asked about it.",
    )
