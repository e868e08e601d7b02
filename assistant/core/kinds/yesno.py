"""Yes/no questions: "Is the AI RMF mandatory?", "是否需要备案？".

Detected by a yes/no opening. The lead labels the top-ranked candidate's
deciding clause "No:" when it states the opposite of the question's predicate
("voluntary" for "mandatory") or negates the focus the question does not
negate, and "Yes:" when it states nearly all the focus without negation.
Otherwise there is no label: the answer quotes the candidate and lets it speak.
"""

from __future__ import annotations

import re

from assistant.core.kinds import BaseKind, Reading, register
from assistant.core.parts import Lead, PartContext, PartDraft, answer_with
from ingest.keywords import tokenize

YES_FOCUS = 0.9
NO_FOCUS = 0.75
MAX_CLAUSE_WORDS = 25


def _clause_through(text: str, words: set[str]) -> str:
    """The sentence from its start through the clause holding one of ``words`` ("…, the Playbook is voluntary")."""
    for match in re.finditer(r"[\w'’-]+|[\u3400-\u9fff]+", text):
        piece = match.group()
        if set(tokenize(piece)) & words or any(w in piece for w in words if not w.isascii()):
            stop = re.search(r"[,;；，。]|\s(?:and|but|which|while|providing)\s", text[match.end() :])
            end = match.end() + (stop.start() if stop else len(text) - match.end())
            clause = text[:end].rstrip(" .;,")
            return clause if len(clause.split()) <= MAX_CLAUSE_WORDS else text.rstrip(" .")
    return text.rstrip(" .")


def _deciding_clause(text: str, terms: frozenset[str]) -> str:
    """The comma- or semicolon-delimited part of ``text`` sharing the most of ``terms``."""
    pieces = [p.strip() for p in re.split(r"(?<=[,;；，])\s*", text) if p.strip()]
    if len(pieces) <= 1:
        return text.rstrip(" .;。")
    best = max(range(len(pieces)), key=lambda i: (len(set(tokenize(pieces[i])) & terms), -i))
    clause = pieces[best]
    if len(clause.split()) < 6 and best > 0:
        clause = f"{pieces[best - 1]} {clause}"
    return clause.rstrip(" ,;.，；。")


class YesNo(BaseKind):
    """A part asking whether something holds."""

    name = "yesno"
    priority = 6

    def detect(self, reading: Reading) -> float:
        """A yes/no opening (without "or"), or a yes/no cue anywhere (weaker)."""
        if reading.lang.yes_no_opening.search(reading.text):
            return 0.62
        return 0.4 if reading.lang.yes_no.search(reading.text) else 0.0

    def compose(self, context: PartContext) -> PartDraft | None:
        """The labelled deciding clause of the top candidate (when it clearly decides), then support."""
        if not context.ranked:
            return None
        top = context.ranked[0]
        best = top.candidate
        part, lang = context.part, context.lang
        lead = None
        found = {o for o in part.opposites if (set(tokenize(o)) & best.tokens if o.isascii() else o in best.text)}
        if found:
            lead = Lead(best, _clause_through(best.text, {t for o in found for t in tokenize(o)} | found),
                        lang.messages.no)
        else:
            clause = _deciding_clause(best.text, part.terms)
            negated = bool(lang.negation.search(clause)) and not part.negated
            if negated and top.focus >= NO_FOCUS:
                lead = Lead(best, clause, lang.messages.no)
            elif top.focus >= YES_FOCUS and not lang.negation.search(clause):
                lead = Lead(best, clause, lang.messages.yes)
        return answer_with(lead, best, context, wide=True)


register(YesNo())
