"""Status and relation answers: "Is EO 14110 still in force?", "What did EO 14179 revoke?", "What replaced X?".

They are answered from the library's relations (:mod:`ingest.relations`), each
line a short note naming the documents from the catalog, cited to the sentence
that states the relation, followed by that sentence itself. When no document
in the library says a source was revoked, rescinded or superseded, the answer
says exactly that (an abstention on the asked fact) instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.knowledge import display_name
from assistant.models import DraftSentence
from assistant.question import QuestionAnalysis
from ingest.models import SourceMeta
from ingest.relations import NOT_IN_FORCE, Relation, Standing

_ACTING = re.compile(
    r"\b(?:did|does|do|will)\s+(?P<doc>.{2,80}?)\s+(?:revoke|rescind|replace|supersede|amend|implement|support|"
    r"respond to|build on|fulfil+)|(?:撤销|废止|取代|支撑|实施)了?(?:哪些|什么)",
    re.I,
)
_LIBRARY_WIDE = re.compile(
    r"\b(?:which|what)\s+(?:documents?|sources?|orders?|rules?|policies|texts?)\b|\bno longer in force\b|"
    r"\bin the library\b|哪些文件|哪些文件已|哪些政策",
    re.I,
)
_IN_FORCE_QUESTION = re.compile(
    r"\b(?:in force|in effect|still|revok\w*|rescind\w*|repeal\w*|supersed\w*|replac\w*|valid|current|"
    r"happened to|became of|status)\b|有效|废止|撤销|取代|施行|适用",
    re.I,
)
_VERBS = {
    "revokes": "revoked", "rescinds": "rescinded", "supersedes": "superseded", "amends": "amended",
    "implements": "implements", "supports": "supports", "responds_to": "responds to", "translation_of": "translates",
}


def _note(relation: Relation, metas: Mapping[str, SourceMeta]) -> str:
    """One relation as a sentence naming both documents ("X is referred to as revoked in Y (2025-01-23).")."""
    stater = metas.get(relation.stated_in)
    stated = f"{display_name(stater)} ({stater.date})" if stater else relation.stated_in
    target_meta = metas.get(relation.target_id or "")
    target = display_name(target_meta) if target_meta else relation.target
    if relation.type in ("revokes", "rescinds", "supersedes", "amends"):
        return f"{target} is referred to as {_VERBS[relation.type]} in {stated}."
    return f"{stated} {_VERBS.get(relation.type, relation.type)} {target}."


def _evidence_lines(relation: Relation, note_prefix: str, metas: Mapping[str, SourceMeta]) -> list[DraftSentence]:
    evidence = relation.evidence
    if evidence is None:
        return []
    return [
        DraftSentence(_note(relation, metas), evidence.chunk_id, evidence.start, evidence.end,
                      prefix=note_prefix, note=True),
        DraftSentence(evidence.text, evidence.chunk_id, evidence.start, evidence.end, break_after=True),
    ]


def status_sentences(
    analysis: QuestionAnalysis,
    standings: Mapping[str, Standing],
    relations: Sequence[Relation],
    metas: Mapping[str, SourceMeta],
) -> tuple[list[DraftSentence], str | None]:
    """The cited status lines for a status or relation question, and a "not stated" message when there are none.

    Returns:
        ``(sentences, not_stated)``: sentences quoting the evidence of each relation that answers;
        ``not_stated`` names what the library does not say (then the answer is an abstention).
    """
    refs = [r for r in analysis.doc_refs if r in metas]
    yes_no = bool(re.match(r"^\s*(?:is|are|was|were|has|have|does|do)\b", analysis.question, re.I)) or bool(
        re.search(r"吗[?？]?\s*$|是否", analysis.question)
    )
    lines: list[DraftSentence] = []
    if not refs and _LIBRARY_WIDE.search(analysis.question):
        for standing in standings.values():
            if standing.status in NOT_IN_FORCE and standing.evidence is not None:
                lines += _evidence_lines(standing.evidence, "", metas)
        none = "No document in the library is referred to as revoked, rescinded or superseded."
        return lines, None if lines else none
    if not refs:
        return [], None
    acting = _ACTING.search(analysis.question)
    if acting:  # "What did EO 14179 revoke?": what the named document acts on or says of others
        for relation in relations:
            if relation.stated_in in refs or relation.actor_id in refs:
                lines += _evidence_lines(relation, "", metas)
        names = ", ".join(display_name(metas[r]) for r in refs)
        none = f"The library does not say that {names} revokes, replaces or amends another document."
        return lines, None if lines else none
    for ref in refs:
        found = standings.get(ref)
        shown = found.evidence if found is not None else None
        if found is not None and found.status in NOT_IN_FORCE and shown is not None:
            lines += _evidence_lines(shown, "No:" if yes_no and not lines else "", metas)
        for relation in relations:  # what replaced it, amended it, implements it
            if relation.target_id == ref and relation is not shown:
                if relation.type in ("supersedes", "amends", "rescinds", "revokes") and relation.evidence:
                    lines += _evidence_lines(relation, "", metas)
    if lines:
        return lines, None
    if not _IN_FORCE_QUESTION.search(analysis.question):
        return [], None  # "What is NIST AI 600-1 a companion to?": the text answers, not the status
    names = ", ".join(display_name(metas[r]) for r in refs[:1])
    return [], f"No document in the library says that {names} has been revoked, rescinded, superseded or amended."
