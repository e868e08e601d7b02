"""Question analysis: what kind of answer a question wants, about what, from which documents.

:func:`analyze_question` turns the standalone question into a typed
:class:`QuestionAnalysis` that the composer, the refusal rule, retrieval and the
LLM prompt all read: the kind (definition, who-is, list, factoid, status, yes/no,
summary, comparison, procedure, why, describe), the expected answer type of a
factoid (date, duration, number, percentage, money, quantity, body, person,
place, document), the focus, documents named in the question, a requested
count ("four functions", "三个方面") and the language. English and Chinese; the
rules for the kind, the answer types and the count are in :mod:`assistant.question_kind`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from assistant.evidence import content_tokens
from assistant.question_kind import (
    COMPARISON,
    FACTOID_OPENING,
    AnswerType,
    Kind,
    answer_types,
    question_kind,
    requested_count,
)
from ingest.directory import DocumentDirectory
from ingest.spelling import Vocabulary

_HISTORICAL = re.compile(
    r"\b(originally|at the time|back then|historically|in its original|when it was issued|was it)\b|当时|原先|最初",
    re.I,
)
_QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how is are was were does do did can could should would will "
    "many much long often soon mean means meant define defined definition say says said tell explain "
    "describe summarize summarise summary overview list name give main key point points still force effect "
    "according".split()
)
_ZH_QUESTION_WORDS = re.compile(
    r"什么时候|何时|什么|哪些|哪个|哪几|哪一|哪|多少|几|是否|吗|呢|怎么|怎样|如何|为什么|为何|谁|有何|是不是|有没有|"
    r"请问|一下|要求|规定|提出|具体|主要|分别|的是|是指|指的"
)
# Verbs that carry no topic ("what does X require", "what did Y say"): never part of the focus.
_GENERIC_WORDS = frozenset(
    "say says said require requires required need needs ask asks asked want wants set sets put get gets use used "
    "make makes take takes have has include includes included mention mentions mentioned do does did tell tells "
    "call calls called give gives given go goes happen happens happened document documents library "
    "according per regard regarding about specifically exactly actually fact sheet piece article readout page "
    "story website text announcement mentioned".split()
)


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question asks for (see the module docstring)."""

    question: str
    kind: Kind
    answer_type: AnswerType | None = None
    focus: str = ""
    focus_terms: frozenset[str] = field(default_factory=frozenset)
    doc_refs: tuple[str, ...] = ()
    count: int | None = None
    language: Literal["en", "zh"] = "en"
    secondary_types: tuple[AnswerType, ...] = ()
    """Further answer types a multi-part factoid asks for ("how many …, and by when?")."""
    historical: bool = False
    """The question asks about the past on purpose (status notes are then not added)."""
    search_terms: tuple[str, ...] = ()
    """Extra keywords for retrieval: the opposite of a yes/no question's predicate ("mandatory" -> "voluntary")
    and the library's spelling of words the question misspells ("tarrif" -> "tariff")."""
    corrections: tuple[tuple[str, str], ...] = ()
    """``(typo, library token)`` pairs found in the question."""
    unknown_words: tuple[str, ...] = ()
    """Words of the question the library never uses and that are neither typos nor everyday words ("sorghum")."""
    focus_words: tuple[str, ...] = ()
    """The focus of a Chinese question as segmented words ("监管", "包容审慎"): matched in sentences as substrings."""
    asked_type: AnswerType | None = None
    """The type of thing the question names, whatever its kind ("Which companies endorsed it?" asks for bodies)."""

    @property
    def wants_span(self) -> bool:
        """Whether a typed span must be found for the answer (factoids)."""
        return self.kind == "factoid" and self.answer_type is not None


def _language(question: str) -> Literal["en", "zh"]:
    return "zh" if re.search(r"[\u3400-\u9fff]", question) else "en"


_PROVENANCE = re.compile(
    r"\b(?:did|does|do|has|have)\s+(?:the\s+)?[\w' .’-]{2,40}?\s+(?:say|said|state|states|stated|report|claim|write|"
    r"note)\b|\b(?:according to|as stated in|as reported (?:by|in)|per|mentioned in|cited in|in)\s+(?:the\s+)?"
    r"[\w' .’-]{0,40}?\b(?:report|piece|article|fact sheet|readout|announcement|statement|story|press release)\b|"
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{4}\s+"
    r"(?=[A-Z])|据.{1,12}?(?:报道|称|说)|那篇报道",
    re.I,
)


def _focus(question: str, directory: DocumentDirectory | None) -> str:
    """The question with question words, document names, provenance and politeness removed.

    Provenance ("did the White House say", "according to the China Daily piece", "the July 2025
    …") says where a fact is stated, not what the fact is about.
    """
    text = _PROVENANCE.sub(" ", question)
    if directory is not None:
        from ingest.aliases import normalize_name

        text = normalize_name(text)
        for mention in sorted(directory.mentions(text), key=lambda m: -m.start):
            text = text[: mention.start] + " " + text[mention.end :]
    text = re.sub(r"[?？!。,，:：;；\"“”'‘’《》()（）]", " ", text)
    text = _ZH_QUESTION_WORDS.sub(" ", text)
    text = re.sub(r"^(can you|could you|please|tell me|i want to know|do you know)\s+", "", text.strip(), flags=re.I)
    words = [w for w in text.split() if w.lower() not in _QUESTION_WORDS and w.lower() not in _GENERIC_WORDS]
    return " ".join(words)


_OPPOSITES = {
    "mandatory": ("voluntary", "optional"), "required": ("voluntary", "optional"), "binding": ("voluntary",),
    "compulsory": ("voluntary",), "obligatory": ("voluntary",), "voluntary": ("mandatory", "required"),
    "legal": ("illegal", "prohibited"), "allowed": ("prohibited",), "permitted": ("prohibited",),
    "banned": ("permitted", "allowed"), "prohibited": ("permitted", "allowed"), "强制": ("自愿",), "强制性": ("自愿",),
}


def opposite_words(question: str) -> dict[str, tuple[str, ...]]:
    """``{predicate word of the question: its opposites}`` ("mandatory" -> ("voluntary", "optional"))."""
    words = re.findall(r"[a-z]+|强制性|强制", question.lower())
    return {w: _OPPOSITES[w] for w in words if w in _OPPOSITES}


def _opposites(question: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(o for opposites in opposite_words(question).values() for o in opposites))


def _chinese_words(focus: str) -> tuple[str, ...]:
    """Segmented Chinese words of the focus (two characters or more), without stop words."""
    if not re.search(r"[\u3400-\u9fff]", focus):
        return ()
    from ingest.segment import STOP_WORDS, default_segmenter

    words = [w for run in re.findall(r"[\u3400-\u9fff]+", focus) for w in default_segmenter().words_of(run)]
    return tuple(dict.fromkeys(w for w in words if len(w) >= 2 and w not in STOP_WORDS))


def _unknown_words(
    question: str, directory: DocumentDirectory | None, vocabulary: Vocabulary | None
) -> tuple[str, ...]:
    """Words of the question the library never uses, except those inside a document's name."""
    if vocabulary is None:
        return ()
    names = " ".join(m.alias for m in directory.mentions(question)) if directory is not None else ""
    return tuple(w for w in vocabulary.unknown_words(question) if w.lower() not in names)


def analyze_question(
    question: str, directory: DocumentDirectory | None = None, vocabulary: Vocabulary | None = None
) -> QuestionAnalysis:
    """Analyse one standalone question.

    Args:
        question: the question (already made standalone from the conversation history).
        directory: the library's documents, to resolve names such as "EO 14110" to source ids.
        vocabulary: the library's words, to recognise typos ("goverment").

    Returns:
        The :class:`QuestionAnalysis`.
    """
    types = answer_types(question)
    count = requested_count(question)
    kind = question_kind(question, types, count)
    focus = _focus(question, directory)
    corrections = vocabulary.corrections(content_tokens(question)) if vocabulary is not None else {}
    focus_terms = frozenset(corrections.get(t, t) for t in content_tokens(focus))
    extra = (_opposites(question) if kind == "yesno" else ()) + tuple(corrections.values())
    return QuestionAnalysis(
        question=question,
        kind=kind,
        answer_type=types[0] if kind == "factoid" and types else None,
        focus=focus,
        focus_terms=focus_terms,
        doc_refs=tuple(directory.resolve(question)) if directory is not None else (),
        count=count,
        language=_language(question),
        secondary_types=tuple(types[1:]) if kind == "factoid" else (),
        historical=bool(_HISTORICAL.search(question)),
        search_terms=tuple(dict.fromkeys(extra)),
        corrections=tuple(sorted(corrections.items())),
        unknown_words=_unknown_words(question, directory, vocabulary),
        focus_words=_chinese_words(focus),
        asked_type=types[0] if types else None,
    )


_COUNTRY_WORDS = {
    "US": re.compile(
        r"\b(u\.?s\.?a?|united states|america|american|washington|biden|trump|white house|nist)\b|美国|中美|美中", re.I
    ),
    "CN": re.compile(r"\b(china|chinese|prc|beijing|xi)\b|中国|我国|中美|美中", re.I),
}


def topic_query(question: str) -> str:
    """A comparison question without its country and comparing words, to search one side's sources by topic.

    Each side is already limited to one country's sources; "US and Chinese" would only favour the few
    documents that talk about both countries (a news report) over the ones that regulate the topic.
    """
    topic = question
    for pattern in _COUNTRY_WORDS.values():
        topic = pattern.sub(" ", topic)
    topic = COMPARISON.sub(" ", topic)
    topic = re.sub(r"[’']s\b", " ", topic)
    topic = " ".join(topic.split())
    return topic if len(topic.split()) >= 2 or re.search(r"[\u3400-\u9fff]", topic) else question


def is_comparison(question: str) -> bool:
    """A question that contrasts the US and China: names both and asks to compare or contrast."""
    if FACTOID_OPENING.match(question):
        return False  # "Who said there's almost no difference between US and Chinese AI?" asks for a name
    mentions = [c for c, pattern in _COUNTRY_WORDS.items() if pattern.search(question)]
    return len(mentions) == 2 and bool(COMPARISON.search(question))
