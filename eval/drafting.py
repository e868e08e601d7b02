"""Draft eval questions for new documents from their cards, the way users ask them.

Each new document is parsed and chunked like an ingest and gets its card
(:func:`ingest.cards.build_card`); relations are found among the new documents. From
them come, per document:

* definitions: "How does <doc> define “<term>”?" (defined-term sentences);
* provisions: "Within how many days must <actor> <action>?", "Who must <action>?";
* key figures: "What <figure type> does <doc> give for <thing>?";
* status and relations: "What does <doc> revoke?", "Is <target> still in force?";
* a summary: "Summarize <doc>.";
* near-misses (:mod:`eval.nearmiss`): a value the document does not give about what it covers.

Questions are templates filled with the card's own short phrases
(:mod:`eval.draft_phrases`), never the evidence sentence; each item is a valid
:class:`~eval.dataset.GoldItem` with one kind tag, ``reviewed: false`` and ``split: dev``,
and its evidence quotes are exact stored text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from assistant.research.card_view import deadline_days
from assistant.retrieval.knowledge import display_name
from eval import nearmiss
from eval.dataset import Evidence, GoldItem
from eval.draft_phrases import (
    action_phrase,
    content_words,
    copies_evidence,
    definition,
    figure_thing,
    key_phrase_zh,
    key_words,
    with_article,
)
from ingest.card_items import CardItem
from ingest.cards import Card
from ingest.models import Chunk, SourceMeta
from ingest.relations import Relation
from ingest.roles import NOT_QUOTED

T = TypeVar("T")
PER_KIND = {"definition": 2, "factoid": 3, "who": 2, "status": 3, "summary": 1, "near-miss": 3}
_BASE_VERB = {"revokes": "revoke", "rescinds": "rescind", "supersedes": "supersede", "amends": "amend",
              "implements": "implement", "supports": "support", "responds_to": "respond to"}
_STATUS_WORD = {"revokes": "revoked", "rescinds": "rescinded", "supersedes": "superseded"}
_ZH_VERB = {"revokes": "废止", "rescinds": "撤销", "supersedes": "取代", "amends": "修改", "implements": "实施",
            "supports": "支撑", "responds_to": "回应"}
_FIGURE_WORD = {"percentage": "percentage", "money": "amount", "quantity": "number", "duration": "period",
                "date": "date"}
_PERIOD = re.compile(r"(\d+|[a-z]+)\s*(?:calendar\s+|business\s+)?(days?|months?|years?)|"
                     r"(\d+)(?:个)?(工作日|日|天|个月|年)", re.I)
_NAMED_NUMBER = re.compile(r"(?:Section|Sec\.|Article|Order|No\.|Title|Part|U\.S\.C\.|Resolution|Rule)\s*$")


@dataclass
class NewDocument:
    """A document to draft for: metadata, stored text, chunks (with sentence roles) and card."""

    meta: SourceMeta
    text: str
    chunks: list[Chunk]
    card: Card


@dataclass
class Draft:
    """A drafted item and what an LLM rewrite of its question must keep (names, terms, the asked value)."""

    item: GoldItem
    keep: list[str] = field(default_factory=list)


def doc_name(meta: SourceMeta) -> str:
    """How a question names the document: its short name, a headline in quotes, or a Chinese title in 《》."""
    if meta.language == "zh":
        chinese = re.match(r"[^(（,，]+", meta.title)
        return (chinese.group() if chinese else meta.title).strip()
    name = display_name(meta)
    if name.endswith("…"):  # a long title, shortened: questions name it in full
        name = re.sub(r"\s*\([^()]*\)", "", meta.title).strip()
    return f"“{name}”" if meta.doc_type in ("statement", "news") and len(name.split()) >= 6 else name


def _quote(doc: NewDocument, item: CardItem) -> str:
    return doc.text[item.source_start : item.source_end]


def quotable_sentences(doc: NewDocument) -> list[CardItem]:
    """The document's quotable sentences in order (each once, although chunks overlap)."""
    out, upto = [], -1
    for chunk in doc.chunks:
        for start, end, role in chunk.sentences:
            if chunk.start + start < upto or role in NOT_QUOTED:
                continue
            upto = chunk.start + end
            out.append(CardItem(chunk.text[start:end], chunk.chunk_id, start, end, chunk.start + start,
                                chunk.start + end, chunk.page))
    return out


class DraftBuilder:
    """Numbers and assembles the items of one document."""

    def __init__(self, doc: NewDocument, prefix: str) -> None:
        self.doc, self.prefix, self.count = doc, prefix, 0
        self.zh = doc.meta.language == "zh"
        self.name = doc_name(doc.meta)

    def item(self, kind: str, question: str, evidence: list[str], must: list[list[str]], reference: str,
             keep: list[str], answerable: bool = True) -> Draft | None:
        """The next numbered draft, or None when it copies its evidence or gives its own answer away."""
        if answerable and (not evidence or any(copies_evidence(question, e) for e in evidence)):
            return None
        if answerable and any(alt.lower() in question.lower() for group in must for alt in group):
            return None  # the question would give its own answer away
        self.count += 1
        meta = self.doc.meta
        tags = [kind, "generated", meta.country] + (["zh"] if self.zh else [])
        return Draft(GoldItem(
            id=f"{self.prefix}-{meta.id[:40]}-{self.count}", question=question, answerable=answerable,
            gold_sources=[meta.id] if answerable else [],
            evidence=[Evidence(source_id=meta.id, quote=e) for e in evidence] if answerable else [],
            must_include=must if answerable else [], reference_answer=reference, tags=tags, reviewed=False,
            split="dev"), [self.name, *keep])


def _definitions(b: DraftBuilder) -> list[Draft]:
    drafts: list[Draft] = []
    templates = ("How does {doc} define “{term}”?", "What is “{term}” according to {doc}?",
                 "What does {doc} mean by “{term}”?")
    for item in quotable_sentences(b.doc):
        found = definition(item.text)
        if found is None:
            continue
        term, body = found
        if b.zh:
            phrase = key_phrase_zh(body, term)
            question, must = f"《{b.name}》中的“{term}”是指什么？", [[phrase]] if phrase else []
        else:
            question = templates[len(drafts) % len(templates)].format(doc=b.name, term=term)
            must = [[w] for w in key_words([body], question + " " + term)]
        draft = b.item("definition", question, [_quote(b.doc, item)], must, " ".join(item.text.split()), [term])
        if draft and must:
            drafts.append(draft)
    return drafts


def _provisions(b: DraftBuilder) -> tuple[list[Draft], list[Draft]]:
    """("Within how many days must …" factoids, "Who must …" questions)."""
    when, who = [], []
    for provision in b.doc.card.provisions:
        action = action_phrase(provision.action)
        if action is None or provision.actor.lower() in action.lower():
            continue
        evidence, sentence = [_quote(b.doc, provision.item)], " ".join(provision.item.text.split())
        period = _PERIOD.search(provision.deadline)
        if period and deadline_days(provision.deadline) is not None:
            if b.zh:
                question = f"根据《{b.name}》，{provision.actor}应当在多长时间内{action}？"
            else:
                unit = (period.group(2) or "days").lower().rstrip("s") + "s"
                question = f"Within how many {unit} must {with_article(provision.actor)} {action} under {b.name}?"
            draft = b.item("factoid", question, evidence, [[period.group(0)]], sentence, [provision.actor, action])
            if draft:
                when.append(draft)
        if b.zh:
            question = f"根据《{b.name}》，谁应当{action}？"
        else:
            question = f"Under {b.name}, who must {action}?"
        actor_words = content_words(provision.actor)
        alternatives = [provision.actor] + ([actor_words[-1]] if len(actor_words) > 1 else [])
        draft = b.item("who", question, evidence, [alternatives], sentence, [action])
        if draft:
            who.append(draft)
    return when, who


def _figures(b: DraftBuilder) -> tuple[list[Draft], list[tuple[str, str]]]:
    """Key-figure questions, and the (date, thing) pairs a near-miss may shift."""
    drafts, dates = [], []
    for figure in b.doc.card.figures:
        sentence = " ".join(figure.item.text.split())
        at = sentence.find(figure.value)
        if at < 0 or _NAMED_NUMBER.search(sentence[:at]) or b.zh:
            continue
        thing = figure_thing(sentence, figure.value)
        core = re.search(r"\d[\d,.]*(?:\s*(?:%|percent|million|billion|trillion|percentage points))?", figure.value)
        if thing is None or core is None:
            continue
        if figure.type == "date":
            dates.append((figure.value, thing))
            question = f"What date does {b.name} give for {thing}?"
            must = [[figure.value]]
        else:
            label = _FIGURE_WORD.get(figure.type, "figure")
            if figure.type == "quantity" and re.search(r"greater than|more than|above|exceed|at least|threshold",
                                                         sentence, re.I):
                label = "threshold"
            question = f"What {label} does {b.name} give for {thing}?"
            must = [[core.group().strip()]]
        draft = b.item("factoid", question, [_quote(b.doc, figure.item)], must, sentence, [thing])
        if draft:
            drafts.append(draft)
    return drafts, dates


def relation_drafts(b: DraftBuilder, relations: list[Relation], names: dict[str, str]) -> list[Draft]:
    """"What does <doc> revoke?" and "Is <target> still in force?" for the relations the document states."""
    drafts = []
    for relation in relations:
        if relation.stated_in != b.doc.meta.id or relation.evidence is None or relation.type not in _BASE_VERB:
            continue
        evidence = [_quote(b.doc, relation.evidence)]
        target = names.get(relation.target_id or "", relation.target)
        number = re.findall(r"\d{4,5}", relation.target)
        alternatives = [relation.target, target, *number]
        if b.zh:
            question = f"《{b.name}》{_ZH_VERB[relation.type]}哪部文件？"
        else:
            question = f"What does {b.name} {_BASE_VERB[relation.type]}?"
        draft = b.item("status", question, evidence, [alternatives], " ".join(relation.evidence.text.split()), [])
        if draft:
            drafts.append(draft)
        if relation.type in _STATUS_WORD and relation.target_id in names:
            question = f"Is {target} still in force?"
            draft = b.item("status", question, evidence, [[_STATUS_WORD[relation.type]]],
                           f"No: {b.name} refers to it as {_STATUS_WORD[relation.type]}.", [target])
            if draft:
                drafts.append(draft)
    return drafts


def _summary(b: DraftBuilder) -> list[Draft]:
    items = b.doc.card.summary[:3]
    if not items:
        return []
    texts = [" ".join(i.text.split()) for i in items]
    if b.zh:
        question = f"请概述《{b.name}》的主要内容。"
        phrases = [p for p in (key_phrase_zh(t, question) for t in texts[:2]) if p]
        must = [[p] for p in phrases[:2]]
    else:
        question = f"Summarize {b.name}."
        found = key_words(texts, question, 4)
        must = [found[i::2] for i in range(2) if found[i::2]]
    draft = b.item("summary", question, [_quote(b.doc, i) for i in items], must, " ".join(texts), [])
    return [draft] if draft and must else []


def _near_misses(b: DraftBuilder, dates: list[tuple[str, str]]) -> list[Draft]:
    doc, found = b.doc, []
    timed = [p for p in doc.card.provisions if re.search(r"\d+\s*(?:calendar\s+|business\s+)?(?:days?|months?|years?)",
                                                          p.deadline, re.I)]
    if timed and not b.zh:
        middle = timed[len(timed) // 2]
        found.append(nearmiss.shifted_deadline(doc.text, b.name, with_article(middle.actor), middle.deadline))
    if doc.card.provisions:
        found.append(nearmiss.swapped_actor(doc.text, b.name, doc.meta.language, len(doc.meta.id)))
    if dates:
        found.append(nearmiss.shifted_date(doc.text, b.name, *dates[0]))
    found.append(nearmiss.missing_fine(doc.text, b.name, doc.meta.title, doc.meta.language))
    drafts = [b.item("near-miss", m.question, [], [], m.reference_answer, [m.value], answerable=False)
              for m in found if m is not None]
    return [d for d in drafts if d is not None]


def spread(drafts: list[T], n: int) -> list[T]:
    """Up to ``n`` drafts spread evenly through the document (first, middle, last …)."""
    if len(drafts) <= n:
        return drafts
    return [drafts[round(i * (len(drafts) - 1) / max(1, n - 1))] for i in range(n)]


def draft_document(
    doc: NewDocument, relations: list[Relation], names: dict[str, str], prefix: str,
    per_kind: dict[str, int] | None = None,
) -> list[Draft]:
    """Every kind of question for one document, at most ``per_kind`` (default :data:`PER_KIND`) of each kind.

    Args:
        doc: the document with its card.
        relations: relations among all new documents.
        names: how questions name each new document, by id.
        prefix: item id prefix.
        per_kind: the most items of each kind (the selector's training asks for more than a reviewer would).
    """
    caps = per_kind or PER_KIND
    b = DraftBuilder(doc, prefix)
    when, who = _provisions(b)
    figures, dates = _figures(b)
    groups: list[tuple[str, Callable[[], list[Draft]]]] = [
        ("definition", lambda: _definitions(b)), ("factoid", lambda: spread(when, 2) + figures),
        ("who", lambda: who), ("status", lambda: relation_drafts(b, relations, names)),
        ("summary", lambda: _summary(b)),
        ("near-miss", lambda: _near_misses(b, dates)),
    ]
    return [d for kind, make in groups for d in spread(make(), caps[kind])]
