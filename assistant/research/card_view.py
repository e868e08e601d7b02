"""Cards, relations and statuses of a library as the API, the CLI and the UI show them.

Everything here is read from the catalog (cards are stored at ingest, relations per
catalog generation; a missing or stale card is built on the spot) and the data directory's
eval health file, so it works while the vector store is down. Item offsets become offsets
into the stored text of the source each item belongs to, and every ``quote`` is that exact
stored text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

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
from assistant.retrieval.knowledge import display_name
from ingest.card_items import CardItem
from ingest.cards import Card
from ingest.library import Library
from ingest.models import SourceMeta
from ingest.relations import Relation, Standing, statuses
from policychat.eval_health import SourceHealth, read_eval_health

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365,
              "日": 1, "天": 1, "工作日": 1, "周": 7, "个月": 30, "月": 30, "年": 365}
_PERIOD = re.compile(r"(\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s*"
                     r"(?:calendar\s+|business\s+)?(day|week|month|year|工作日|日|天|周|个月|月|年)", re.I)
_MONTHS = "january february march april may june july august september october november december".split()
_CALENDAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),\s+(\d{4})", re.I)


def deadline_days(deadline: str, doc_date: str = "") -> int | None:
    """A provision's deadline in days, for sorting and searching provisions by deadline.

    A period ("within 90 days", "6 months"), a recurrence ("annually": 365) or a calendar date
    counted from ``doc_date`` (``YYYY-MM-DD``); None when the deadline names none of these.
    """
    period = _PERIOD.search(deadline)
    if period:
        count = period.group(1).lower()
        number = int(count) if count.isdigit() else _NUMBER_WORDS[count]
        return number * _UNIT_DAYS[period.group(2).lower()]
    if re.search(r"\bannually\b|每年", deadline, re.I):
        return 365
    if re.search(r"每月", deadline):
        return 30
    if re.search(r"每周", deadline):
        return 7
    when = _CALENDAR.search(deadline)
    start = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", doc_date)
    if when and start:
        try:
            due = date(int(when.group(3)), _MONTHS.index(when.group(1).lower()) + 1, int(when.group(2)))
            return (due - date(*(int(g) for g in start.groups()))).days
        except ValueError:
            return None
    return None


class StoredTexts:
    """Stored texts of a library's sources by id, each read once."""

    def __init__(self, library: Library, known: Mapping[str, str] | None = None) -> None:
        """Read from ``library``'s catalog on demand (``known``: texts already read, by id)."""
        self.library = library
        self._texts: dict[str, str] = dict(known or {})

    def get(self, source_id: str) -> str:
        """The stored text of ``source_id``; raises SourceNotFoundError."""
        if source_id not in self._texts:
            self._texts[source_id] = self.library.catalog.source(source_id).text
        return self._texts[source_id]


def quote_of(item: CardItem, text: str) -> Quote:
    """A card item as a :class:`Quote` of ``text`` (the stored text of the item's source)."""
    return Quote(quote=text[item.source_start : item.source_end], start=item.source_start, end=item.source_end,
                 page=item.page, chunk_id=item.chunk_id)


def library_standings(library: Library, metas: Iterable[SourceMeta] | None = None) -> dict[str, Standing]:
    """Each source's standing: the catalog's ``status`` column, else what other sources say of it."""
    if metas is None:
        metas = [r.meta for r in library.catalog.records()]
    return statuses(metas, library.relations())


def relation_edge(relation: Relation, metas: Mapping[str, SourceMeta], texts: StoredTexts) -> RelationEdge:
    """One relation with both ends named and its evidence quoted from the stating source's text."""
    stater = metas.get(relation.stated_in)
    target = metas.get(relation.target_id or "")
    evidence = relation.evidence
    return RelationEdge(
        type=relation.type,  # type: ignore[arg-type]
        source_id=relation.stated_in,
        source_title=stater.title if stater else relation.stated_in,
        actor=relation.actor,
        actor_id=relation.actor_id,
        target=display_name(target) if target else relation.target,
        target_id=relation.target_id if target else None,
        target_title=target.title if target else "",
        external=target is None,
        origin=relation.origin,
        evidence=quote_of(evidence, texts.get(relation.stated_in)) if evidence is not None and stater else None,
    )


def relation_edges(library: Library, rel_type: str | None = None, source_id: str | None = None) -> list[RelationEdge]:
    """Every relation of the library, optionally of one type or touching one source (stating, acting or target).

    Raises:
        SourceNotFoundError: ``source_id`` is not in the library.
    """
    metas = {r.meta.id: r.meta for r in library.catalog.records()}
    texts = StoredTexts(library)
    if source_id is not None:
        texts.get(source_id)  # an unknown id is a 404, not an empty list
    return [
        relation_edge(r, metas, texts)
        for r in library.relations()
        if (rel_type is None or r.type == rel_type)
        and (source_id is None or source_id in (r.stated_in, r.target_id, r.actor_id))
    ]


def status_info(standing: Standing | None, metas: Mapping[str, SourceMeta], texts: StoredTexts) -> StatusInfo:
    """A standing with the source and sentence that show it."""
    if standing is None:
        return StatusInfo(status="unknown", origin="none")
    relation = standing.evidence
    stater = metas.get(relation.stated_in) if relation is not None else None
    if relation is None or stater is None:
        return StatusInfo(status=standing.status, origin=standing.origin)
    evidence = relation.evidence
    return StatusInfo(
        status=standing.status, origin=standing.origin, stated_in=stater.id, stated_in_title=stater.title,
        stated_in_date=stater.date, evidence=quote_of(evidence, texts.get(stater.id)) if evidence else None,
    )


def card_view(
    card: Card, meta: SourceMeta, texts: StoredTexts, metas: Mapping[str, SourceMeta], relations: list[Relation],
    standings: Mapping[str, Standing], health: SourceHealth | None = None,
) -> SourceCard:
    """Assemble the :class:`SourceCard` of one source from its stored card and the library's relations.

    ``health`` is the source's latest eval health (:mod:`policychat.eval_health`), shown on the card.
    """
    text = texts.get(meta.id)

    def quotes(items: Iterable[CardItem]) -> list[Quote]:
        return [quote_of(item, text) for item in items]

    return SourceCard(
        identity=CardIdentity(
            id=meta.id, title=meta.title, short_title=display_name(meta), aliases=card.aliases,
            issuer=card.issuer or meta.publisher, date=card.date or meta.date, doc_type=card.doc_type or meta.doc_type,
            language=card.language or meta.language, country=card.country or meta.country, url=meta.original_url,
        ),
        purpose=quotes(card.purpose),
        outline=[
            OutlinePart(title=o.title, heading=quote_of(o.heading, text) if o.heading else None,
                        first=quote_of(o.first, text) if o.first else None, sentences=quotes(o.sentences))
            for o in card.outline
        ],
        provisions=[
            ProvisionItem(**quote_of(p.item, text).model_dump(), actor=p.actor, action=p.action, deadline=p.deadline,
                          deadline_days=deadline_days(p.deadline, meta.date))
            for p in card.provisions
        ],
        figures=[FigureItem(**quote_of(f.item, text).model_dump(), type=f.type, value=f.value) for f in card.figures],
        summary=quotes(card.summary),
        status=status_info(standings.get(meta.id), metas, texts),
        relations_out=[relation_edge(r, metas, texts) for r in relations if r.stated_in == meta.id],
        relations_in=[relation_edge(r, metas, texts) for r in relations if r.target_id == meta.id],
        card_version=card.version,
        eval_health=health,
    )


def source_card(library: Library, source_id: str) -> SourceCard:
    """The card of one source as stored at ingest (built now when missing or stale), with its eval health.

    Raises:
        SourceNotFoundError: no such source.
    """
    source = library.catalog.source(source_id)
    card = library.cards.get(source.id, source.content_hash)
    if card is None:
        card = library.card(source, library.catalog.chunks(source.id))
    metas = {r.meta.id: r.meta for r in library.catalog.records()}
    metas.setdefault(source.id, source.meta)
    texts = StoredTexts(library, {source.id: source.text})
    relations = library.relations()
    health = read_eval_health(library.data_dir).get(source.id)
    return card_view(card, source.meta, texts, metas, relations, statuses(metas.values(), relations), health)
