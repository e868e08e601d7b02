"""Definitions: "What does the NIST profile mean by confabulation?", "什么是深度合成？".

Detected by a defining question ("what is X", "what counts as", "define", "是指什么").
A question about a value ("What is the deadline …?", "What is the fine?") is a
factoid instead. The selector favours the sentence that defines the focus term
(its ``kind_cue`` feature); "What is <document>?" adds the document's card
passages.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.kinds import BaseKind, Pass, Reading, register

VALUE_TYPES = frozenset({"date", "duration", "number", "percentage", "money", "quantity"})


class Definition(BaseKind):
    """A part asking what a term means."""

    name = "definition"
    priority = 7

    def detect(self, reading: Reading) -> float:
        """A defining question that does not ask for a value."""
        match = reading.lang.definition.search(reading.text)
        if not match:
            return 0.0
        term = match.groupdict().get("term")
        if term is not None and reading.lang.value_words.search(term):
            return 0.0
        if term is not None and reading.types and reading.types[0] in VALUE_TYPES:
            return 0.0
        return 0.7

    def passes(self, part: Part, analysis: QuestionAnalysis) -> Sequence[Pass]:
        """"What is <document>?": the document's card passages."""
        if analysis.doc_refs and not part.focus_terms and not part.focus_words:
            return [Pass("card", analysis.doc_refs)]
        return ()


register(Definition())
