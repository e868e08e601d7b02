"""Status and relations: "Is EO 14110 still in force?", "What did EO 14179 revoke?", "What replaced X?".

Detected by a status cue. Answered from the library's relations (:mod:`ingest.relations`):
each line a short note naming the documents from the catalog, cited to the sentence
that states the relation, followed by that sentence. When no document in the
library says a named source was revoked, rescinded or superseded, the part says
exactly that (an abstention on the asked fact) and quotes what the library does
say. The retrieve stage adds the passages that state relations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.kinds import BaseKind, Pass, Reading, register
from assistant.core.lang import Messages
from assistant.core.parts import PartContext, PartDraft, sentence_of
from assistant.models import DraftSentence
from assistant.retrieval.as_of import issued_by
from assistant.retrieval.knowledge import display_name
from ingest.models import SourceMeta
from ingest.relations import NOT_IN_FORCE, Relation

_STATUS_OF = {"revokes": "revoked", "rescinds": "rescinded", "supersedes": "superseded", "amends": "amended"}


def relation_line(relation: Relation, metas: Mapping[str, SourceMeta], messages: Messages) -> str:
    """One relation as a sentence naming both documents ("X is referred to as revoked in Y (2025-01-23).")."""
    stater = metas.get(relation.stated_in)
    stated = f"{display_name(stater)} ({stater.date})" if stater else relation.stated_in
    target_meta = metas.get(relation.target_id or "")
    target = display_name(target_meta) if target_meta else relation.target
    if relation.type in _STATUS_OF:
        status = messages.words.get(_STATUS_OF[relation.type], _STATUS_OF[relation.type])
        return messages.relation_note.format(target=target, status=status, stated=stated)
    verb = messages.words.get(relation.type, relation.type)
    return messages.acts_note.format(stated=stated, verb=verb, target=target)


def _evidence_lines(relation: Relation, prefix: str, metas: Mapping[str, SourceMeta],
                    messages: Messages) -> list[DraftSentence]:
    evidence = relation.evidence
    if evidence is None:
        return []
    return [
        DraftSentence(relation_line(relation, metas, messages), evidence.chunk_id, evidence.start, evidence.end,
                      prefix=prefix, note=True),
        DraftSentence(evidence.text, evidence.chunk_id, evidence.start, evidence.end, break_after=True),
    ]


def status_lines(context: PartContext) -> tuple[list[DraftSentence], str | None]:
    """The cited status lines of the part, and what the library does not state when there are none."""
    part, analysis, metas = context.part, context.analysis, context.metas
    messages = context.lang.messages
    refs = [r for r in analysis.doc_refs if r in metas]
    lines: list[DraftSentence] = []
    if not refs and "library_wide" in part.flags:
        for standing in context.standings.values():
            if standing.status in NOT_IN_FORCE and standing.evidence is not None:
                lines += _evidence_lines(standing.evidence, "", metas, messages)
        return lines, None if lines else messages.none_not_in_force
    if not refs:
        return [], None
    if "acting" in part.flags:  # "What did EO 14179 revoke?": what the named document acts on
        for relation in context.relations:
            if relation.stated_in in refs or relation.actor_id in refs:
                lines += _evidence_lines(relation, "", metas, messages)
        names = ", ".join(display_name(metas[r]) for r in refs)
        return lines, None if lines else messages.not_acting.format(names=names)
    for ref in refs:
        found = context.standings.get(ref)
        shown = found.evidence if found is not None else None
        if found is not None and found.status in NOT_IN_FORCE and shown is not None:
            prefix = messages.no if "yes_no_form" in part.flags and not lines else ""
            lines += _evidence_lines(shown, prefix, metas, messages)
        for relation in context.relations:  # what replaced it, amended it
            if relation.target_id == ref and relation is not shown and relation.type in _STATUS_OF:
                lines += _evidence_lines(relation, "", metas, messages)
    if lines:
        return lines, None
    if "in_force" not in part.flags:
        return [], None  # "What is NIST AI 600-1 a companion to?": the text answers, not the status
    if context.as_of is not None:
        lines = _as_of_lines(context, refs[0])
        if lines:
            return lines, None
    return [], messages.not_revoked.format(names=display_name(metas[refs[0]]))


def _as_of_lines(context: PartContext, ref: str) -> list[DraftSentence]:
    """"As of <day>, X was in force" (or "had not been issued"), cited to X's own opening passage.

    The standings are those of ``context.as_of``, and none of them says ``ref`` was revoked,
    rescinded or superseded by then; empty when no passage of ``ref`` was retrieved.
    """
    assert context.as_of is not None
    meta, messages = context.metas[ref], context.lang.messages
    own = sorted((p for p in context.passages if p.chunk.source_id == ref), key=lambda p: p.chunk.position)
    if not own:
        return []
    chunk = own[0].chunk
    start, end = next(((s, e) for s, e, _ in chunk.sentences), (0, len(chunk.text)))
    when = context.as_of.isoformat()
    if issued_by(meta, context.as_of) is False:
        text = messages.not_issued_as_of.format(as_of=when, name=display_name(meta), date=meta.date)
    else:
        text = messages.in_force_as_of.format(as_of=when, name=display_name(meta))
    return [DraftSentence(text, chunk.chunk_id, start, end, note=True, break_after=True),
            DraftSentence(chunk.text[start:end], chunk.chunk_id, start, end)]


class Status(BaseKind):
    """A part asking whether a document is in force, or how documents act on each other."""

    name = "status"
    priority = 8

    def detect(self, reading: Reading) -> float:
        """A status cue ("still in force", "revoked", "还有效" …)."""
        return 0.8 if reading.lang.status.search(reading.text) else 0.0

    def passes(self, part: Part, analysis: QuestionAnalysis) -> Sequence[Pass]:
        """The passages that state relations between documents."""
        return [Pass("relations")]

    def structural(self, context: PartContext) -> PartDraft | None:
        """The relation lines; or "not stated" with the best candidate quoted; or None (the text answers)."""
        lines, not_stated = status_lines(context)
        if lines:
            return PartDraft(lines, structural=True)
        if not_stated and context.ranked:
            return PartDraft([sentence_of(context.ranked[0].candidate)], not_stated=not_stated, supported=False,
                             structural=True)
        return None


register(Status())
