"""Relations between sources, and each source's standing (in force, revoked, rescinded …), from text and catalog.

A :class:`Relation` says that one document acts on another — ``revokes``,
``rescinds``, ``supersedes``, ``amends``, ``implements``, ``supports``,
``responds_to``, ``translation_of`` — with the sentence that says so. It is
found in text ("the revoked Executive Order 14110", "announced a rescission of
the … AI Diffusion Rule", "This memorandum fulfills the directive … of Executive
Order 14110", "本文件支撑《生成式人工智能服务管理暂行办法》") or stated in the
catalog (``relations`` column, ``type:target-id`` pairs; catalog statements win).
The acting side may be the stating document itself ("This order revokes …") or
someone the sentence names ("President Trump rescinded …"); the target may be a
library source or a named document outside the library (an external node).

:func:`statuses` derives each source's status from the catalog ``status``
column first, then from what other documents say about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ingest.card_items import CardItem
from ingest.directory import DocumentDirectory
from ingest.models import Chunk, SourceMeta
from ingest.roles import NOT_QUOTED

RELATION_TYPES = (
    "revokes", "rescinds", "supersedes", "amends", "implements", "supports", "responds_to", "translation_of",
)
STATUSES = ("in force", "revoked", "rescinded", "superseded", "amended", "draft", "unknown")
NOT_IN_FORCE = frozenset({"revoked", "rescinded", "superseded"})
_STATUS_OF = {"revokes": "revoked", "rescinds": "rescinded", "supersedes": "superseded", "amends": "amended"}
_SELF = r"(?:^|\(\w\)\s*|\d+\.\s*)(?:This|The present)\s+(?:order|memorandum|document|profile|framework|standard|" \
        r"rule|plan|action plan|guidance|proclamation|resolution|measures?)\b|^本(?:文件|标准|办法|意见|框架|规定)"
_EXTERNAL = re.compile(
    r"\b(?:Executive Order|E\.O\.|EO)\s+\d{5}|\bOMB Memorand(?:um|a)\s+M-\d{2}-\d{2}|《[^》]{2,40}》|"
    r"\b(?:the\s+)?(?:[A-Z][\w-]*\s+){1,6}(?:Rule|Act|Order|Memorandum|Framework)\b"
)


@dataclass(frozen=True)
class Relation:
    """``actor`` --type--> ``target``, stated by the sentence ``evidence`` of ``stated_in``.

    ``actor_id`` is the acting library source when the stating document speaks for itself
    ("This order revokes …"), else None (``actor`` then names who acts, when the sentence says).
    ``target_id`` is None for a document outside the library (``target`` is its name).
    """

    type: str
    target: str
    target_id: str | None
    stated_in: str
    actor: str = ""
    actor_id: str | None = None
    origin: str = "text"
    evidence: CardItem | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


# (relation type, pattern with {m} for the mentioned document, whether the stating document is the actor)
_PATTERNS: list[tuple[str, str, bool]] = [
    ("revokes", r"\b(?:the\s+)?revoked\s+{m}|{m}[^.;]{0,60}\b(?:is|are)\s+(?:hereby\s+)?revoked", False),
    ("revokes", r"\b(?:hereby\s+)?revok(?:es|ing)\s+{m}", True),
    ("rescinds", r"\brescission\s+of\s+(?:the\s+)?[^.;]{0,60}?{m}", True),
    ("rescinds", r"\b(?P<actor>(?:President\s+)?[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3})\s+(?:has\s+)?rescind(?:ed|ing)\s+"
                 r"(?:the\s+)?[^.;]{0,40}?{m}", False),
    ("rescinds", r"\brescinding\s+[^.;]{0,40}?{m}", False),
    ("supersedes", r"\bsupersed(?:es|ing)\s+{m}|\breplac(?:es|ing)\s+{m}", True),
    ("amends", r"\bamend(?:s|ing)\s+{m}", True),
    ("implements", r"\bfulfills?\s+the\s+directive[^.;]{0,80}?{m}|\bimplement(?:s|ing)\s+{m}|"
                   r"\bpursuant\s+to\s+[^.;]{0,40}?{m}|{m}[^.;]{0,200}\bdirect(?:ed|ing)\s+(?:the\s+creation|the\s+development|"
                   r"us\s+to\s+produce)", True),
    ("supports", r"\bcompanion\s+resource\s+(?:for|to)\s+(?:the\s+)?{m}|支撑{m}", True),
    ("responds_to", r"\bin\s+response\s+to\s+{m}|\brespond(?:s|ing)\s+to\s+{m}", True),
    ("implements", r"(?:根据|依据){m}[^。]{0,120}制定本", True),
]


def _mentions(sentence: str, directory: DocumentDirectory, own: set[str]) -> list[tuple[str, str | None]]:
    """Documents a sentence names: ``(name as written, library source id or None)``, not the stating work."""
    found: list[tuple[str, str | None]] = []
    normalized_text = sentence
    for mention in directory.mentions(sentence):
        ids = [i for i in mention.source_ids if i not in own]
        if ids:
            primary = directory.primary(ids) or ids[0]
            found.append((mention.alias, primary))
    for match in _EXTERNAL.finditer(normalized_text):
        name = match.group().strip()
        generic = not re.search(r"\d|《", name)
        if directory.resolve(name) or (generic and (len(name.split()) < 3 or "Executive Order" in name)):
            continue
        if generic and re.match(r"\s*(?:\(EO\)\s*)?\d", normalized_text[match.end() : match.end() + 10]):
            continue  # "Biden Executive Order 14110": the number names it, found above
        found.append((name, None))
    return found


def _pattern_for(name: str) -> str:
    """A regex matching a document name as the sentence may write it (case, spacing, quotes)."""
    words = re.findall(r"[\w\u3400-\u9fff+/.-]+", name)
    return r"[《“\"]?" + r"[\s\W]{0,3}".join(re.escape(w) for w in words) + r"[》”\"]?"


def find_relations(
    meta: SourceMeta, chunks: Sequence[Chunk], directory: DocumentDirectory
) -> list[Relation]:
    """Relations stated in one source's text (see the module docstring).

    Args:
        meta: the stating source.
        chunks: its chunks in order, with sentence roles.
        directory: every source of the library by name, to resolve the documents it mentions.

    Returns:
        Relations found, one per (type, target), with the first sentence that states each.
    """
    own = directory.same_work(meta.id)
    found: dict[tuple[str, str], Relation] = {}
    for chunk in chunks:
        for start, end, role in chunk.sentences:
            if role in NOT_QUOTED and role != "footnote":
                continue
            sentence = " ".join(chunk.text[start:end].split())
            for name, target_id in _mentions(sentence, directory, own):
                pattern = _pattern_for(name)
                for rel_type, template, self_acting in _PATTERNS:
                    match = re.search(template.replace("{m}", pattern), sentence, re.I)
                    if not match:
                        continue
                    if self_acting and rel_type in ("supports", "implements") and not re.search(_SELF, sentence, re.I):
                        if not (rel_type == "implements" and "direct" in match.group().lower()):
                            continue
                    key = (rel_type, target_id or name.lower())
                    if key in found:
                        continue
                    actor = (match.groupdict().get("actor") or "") if not self_acting else ""
                    if actor and not actor[0].isupper():
                        actor = ""
                    found[key] = Relation(
                        rel_type, name, target_id, meta.id, actor=actor.strip(),
                        actor_id=meta.id if self_acting else None,
                        evidence=CardItem(sentence, chunk.chunk_id, start, end, chunk.start + start,
                                          chunk.start + end, chunk.page),
                    )
                    break
    return list(found.values())


def catalog_relations(meta: SourceMeta, directory: DocumentDirectory) -> list[Relation]:
    """Relations the catalog states (``revokes:us-eo-14110;translation-of:cn-…``), and translations by title."""
    relations = []
    for part in re.split(r"[;,]", meta.relations):
        if ":" not in part:
            continue
        rel_type, target = (p.strip() for p in part.split(":", 1))
        rel_type = rel_type.replace("-", "_")
        if rel_type in RELATION_TYPES and target:
            target_id = target if target in directory.metas else None
            relations.append(Relation(rel_type, target, target_id, meta.id, actor_id=meta.id, origin="catalog"))
    if re.search(r"\btranslation\b|译本|译文", meta.title, re.I):
        for other in sorted(directory.same_work(meta.id) - {meta.id}):
            if not any(r.type == "translation_of" for r in relations):
                relations.append(Relation("translation_of", directory.metas[other].title, other, meta.id,
                                          actor_id=meta.id, origin="title"))
    return relations


def library_relations(
    chunks_by_source: Mapping[str, Sequence[Chunk]], metas: Iterable[SourceMeta]
) -> list[Relation]:
    """Every relation in the library: the catalog's, then those found in text (a catalog statement wins)."""
    metas = list(metas)
    directory = DocumentDirectory(metas)
    relations: list[Relation] = []
    stated = set()
    for meta in metas:
        for relation in catalog_relations(meta, directory):
            relations.append(relation)
            stated.add((relation.type, relation.target_id or relation.target, relation.stated_in))
    for meta in metas:
        for relation in find_relations(meta, chunks_by_source.get(meta.id, ()), directory):
            if (relation.type, relation.target_id or relation.target, relation.stated_in) not in stated:
                relations.append(relation)
    return relations


@dataclass(frozen=True)
class Standing:
    """A source's status and the relation that shows it (None: stated in the catalog or unknown)."""

    source_id: str
    status: str
    evidence: Relation | None = None
    origin: str = "text"


_AUTHORITY = {"executive-order": 0, "regulation": 0, "resolution": 0, "standard": 1, "strategy": 1}


def statuses(metas: Iterable[SourceMeta], relations: Sequence[Relation]) -> dict[str, Standing]:
    """Each source's standing: the catalog ``status`` column wins, then what other documents say of it.

    Among several documents saying so, an order or regulation is preferred to a plan, and a plan
    to a press statement; then the earliest.
    """
    metas = list(metas)
    by_id = {m.id: m for m in metas}
    result: dict[str, Standing] = {}
    for meta in metas:
        if meta.status.strip():
            result[meta.id] = Standing(meta.id, meta.status.strip().lower(), None, "catalog")
            continue
        acting = [r for r in relations if r.target_id == meta.id and r.type in _STATUS_OF]

        def rank(r: Relation) -> tuple[bool, int, str]:
            stater = by_id.get(r.stated_in)
            authority = _AUTHORITY.get(stater.doc_type, 2) if stater else 3
            return (r.type == "amends", authority, stater.date if stater else "")

        acting.sort(key=rank)
        if acting:
            result[meta.id] = Standing(meta.id, _STATUS_OF[acting[0].type], acting[0])
        elif re.search(r"\bdraft\b|征求意见稿|草案", meta.title, re.I):
            result[meta.id] = Standing(meta.id, "draft", None, "title")
        else:
            result[meta.id] = Standing(meta.id, "unknown", None, "none")
    return result
