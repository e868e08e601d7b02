"""The one reader of the question: :func:`analyze_question` turns a question and its history into a typed analysis.

Nothing downstream reads the raw question again: retrieval, the selector's
features, composition, refusals and the LLM prompt all read the
:class:`QuestionAnalysis`. It holds

* whether the question depends on the conversation (a pronoun, an ellipsis, "that
  order") and, only then, the standalone query with the earlier subject added;
* its **parts**: a question that asks two things ("When did it take effect, and
  who issued it?") is split, and each :class:`Part` has its own kind, expected
  answer types, focus and requested count;
* the documents it names, its language, comparison sides (see
  :mod:`assistant.core.kinds.comparison`), names and numbers it is about.

Cue words come from :mod:`assistant.core.lang`; kinds from :mod:`assistant.core.kinds`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.core.evidence import content_tokens, key_names, numbers
from assistant.core.kinds import Reading, detect_kind
from assistant.core.lang import (
    ANSWER_TYPES,
    AnswerType,
    Language,
    LanguageData,
    all_languages,
    language_data,
    language_of,
)
from assistant.models import ChatTurn
from assistant.retrieval.numerals import chinese_number
from ingest.directory import DocumentDirectory
from ingest.keywords import tokenize
from ingest.spelling import Vocabulary

TYPED_KINDS = frozenset({"factoid", "who"})
"""Kinds whose answer is a typed span (a date, a number, a body …)."""
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "twenty": 20,
}
_NOT_COUNTED = frozenset({"days", "months", "years", "weeks", "hours", "percent", "times"})
_ROLE_REQUESTS = {
    "recital": re.compile(r"\b(recall|reaffirm|recogni[sz]e|preamb|recital|whereas|welcom|acknowledg)\w*", re.I),
    "reference": re.compile(r"\b(reference|bibliograph|cite[sd]?|citation|source list|works cited)\w*|参考文献|引用",
                            re.I),
    "footnote": re.compile(r"\bfootnote", re.I),
    "signature": re.compile(r"\b(sign(ed|ature)|contact)\b|签署|署名", re.I),
    "heading": re.compile(r"\b(heading|section title|title of (section|part|chapter)|table of contents)\b|标题|目录",
                          re.I),
    "preamble": re.compile(r"\b(authority|preamble|addressed to|memorandum for)\b", re.I),
}
"""Sentence roles that are not answer text unless the question asks for them ("what does it recall?")."""
_TOPIC_SWITCH = re.compile(
    r"\b(different|new|another|unrelated|separate) (topic|question|subject)\b|换个话题|另一个问题", re.I
)
_SHORT_QUESTION_TOKENS = 2


@dataclass(frozen=True)
class Part:
    """One thing a question asks: its own words, kind, expected answer types and focus."""

    text: str
    """The part's words, with the question's subject added when the part only points at it ("… issued them")."""
    kind: str
    types: tuple[AnswerType, ...] = ()
    """Expected answer types, in the order the part asks for them."""
    focus: str = ""
    """What the part is about: its words without question words, document names and provenance."""
    focus_terms: frozenset[str] = field(default_factory=frozenset)
    focus_words: tuple[str, ...] = ()
    """Chinese focus as segmented words (matched in sentences as substrings)."""
    terms: frozenset[str] = field(default_factory=frozenset)
    """Every BM25 token of the part's words (typos corrected, yes/no opposites added)."""
    count: int | None = None
    asked_type: AnswerType | None = None
    """The type of thing the part names whatever its kind ("Which companies endorsed it?" asks for bodies)."""
    flags: frozenset[str] = frozenset()
    """What else the wording asks, read once here (see :data:`FLAG_CUES`): "issued" (when was X signed /
    issued), "signer", "company", "city", "plural", "outline" (a document's parts), "acting" (what did X
    revoke), "library_wide", "yes_no_form", "in_force"."""
    noun: str = ""
    """The noun of a "which X" part ("company"), for "the library does not say which company that is"."""
    counted: str = ""
    """What a "how many" part counts ("countries", "国家"): a number that counts something else does not answer."""
    predicate: frozenset[str] = frozenset()
    """The tokens of what a wh-part asks someone does ("run" in "Who will run the registry?")."""
    opposites: frozenset[str] = frozenset()
    """Words that would answer a yes/no part with "No" ("voluntary" for "Is it mandatory?")."""
    negated: bool = False
    """The part itself is negated ("Is it not binding?")."""

    @property
    def answer_type(self) -> AnswerType | None:
        """The typed span a factoid part asks for (None for other kinds)."""
        return self.types[0] if self.kind in TYPED_KINDS and self.types else None


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a label and the sources that speak for it."""

    label: str
    source_ids: frozenset[str]
    country: str = ""


@dataclass(frozen=True)
class QuestionAnalysis:
    """A question as the answer core reads it (see the module docstring)."""

    question: str
    query: str
    """The standalone query: the question, plus the earlier subject when it depends on the history."""
    language: Language
    parts: tuple[Part, ...]
    follow_up: bool = False
    doc_refs: tuple[str, ...] = ()
    sides: tuple[Side, ...] = ()
    historical: bool = False
    search_terms: tuple[str, ...] = ()
    """Extra keywords for retrieval: yes/no opposites ("mandatory" -> "voluntary") and corrected typos."""
    corrections: tuple[tuple[str, str], ...] = ()
    unknown_words: tuple[str, ...] = ()
    """Words of the question the library never uses that are neither typos nor everyday words ("sorghum")."""
    key_names: tuple[str, ...] = ()
    """Names, codes and numbers the question is about ("H20", "Generative AI Public Working Group")."""
    authors: tuple[str, ...] = ()
    """Names the question uses to say whose document it means ("Biden" in "Biden's AI order"), not its topic."""
    asked_numbers: frozenset[str] = frozenset()
    asked_years: frozenset[str] = frozenset()
    allowed_roles: frozenset[str] = frozenset()
    """Non-answer sentence roles the question asks for ("recital" for "what does the resolution recall?")."""
    wants_number: bool = False
    """Some part asks for a date, number, amount, share or period."""
    words: frozenset[str] = frozenset()
    """The question's own content tokens (what a span must go beyond to tell the asker something)."""
    figures: frozenset[str] = frozenset()
    """The numbers the question states."""
    compact: str = ""
    """The question without whitespace (a Chinese span is checked against it)."""
    acronyms: frozenset[str] = frozenset()
    """Its all-capital words ("AI", "BIS"): a span spelling one out ("Artificial Intelligence …") echoes it."""

    @property
    def lang(self) -> LanguageData:
        """The question's language data."""
        return language_data(self.language)

    @property
    def kind(self) -> str:
        """The first part's kind (a comparison anywhere makes the whole question one)."""
        return "comparison" if self.sides else self.parts[0].kind

    @property
    def answer_type(self) -> AnswerType | None:
        """The first part's typed span, if it asks for one."""
        return self.parts[0].answer_type

    @property
    def focus(self) -> str:
        """The focus of every part."""
        return " ".join(p.focus for p in self.parts)

    @property
    def focus_terms(self) -> frozenset[str]:
        """The focus tokens of every part."""
        return frozenset().union(*(p.focus_terms for p in self.parts))

    @property
    def count(self) -> int | None:
        """The first part's requested count."""
        return self.parts[0].count

    @property
    def secondary_types(self) -> tuple[AnswerType, ...]:
        """Further answer types the first part asks for ("how many …, and by when?" unsplit)."""
        return self.parts[0].types[1:] if self.parts[0].kind in TYPED_KINDS else ()

    @property
    def comparison(self) -> bool:
        """Whether the question compares sides."""
        return bool(self.sides)


FLAG_CUES = {
    "issued": "asks_issued", "signer": "asks_signer", "company": "asks_company", "city": "asks_city",
    "plural": "plural_ask", "outline": "parts_of_document", "acting": "status_acting",
    "library_wide": "library_wide", "yes_no_form": "yes_no_opening", "in_force": "in_force",
    "embedded": "embedded_question", "who": "who_opening", "requirement": "asks_requirement",
}
"""Part flags and the :class:`~assistant.core.lang.LanguageData` pattern that sets each."""


def _flags(text: str, lang: LanguageData) -> frozenset[str]:
    return frozenset(flag for flag, cue in FLAG_CUES.items() if getattr(lang, cue).search(text))


# -- answer types, counts, parts ------------------------------------------------------------------------------


def answer_types(text: str, lang: LanguageData) -> tuple[AnswerType, ...]:
    """The answer types ``text`` asks for, in the order their cue words appear (specific types win)."""
    found: list[tuple[int, AnswerType]] = []
    for answer_type, pattern in lang.type_cues:
        match = pattern.search(text)
        if match and all(t != answer_type for _, t in found):
            found.append((match.start(), answer_type))
    kinds = {t for _, t in found}
    drop: set[AnswerType] = set()
    if "duration" in kinds and lang.counts_days.search(text):
        drop.add("number")
    if kinds & {"percentage", "money"}:
        drop |= {"number", "quantity"}
    if "body" in kinds:
        drop |= {"person", "place"}
    unit = lang.units.search(text)
    if "number" in kinds and unit:
        drop.add("number")
        if "quantity" not in kinds:
            found.append((unit.start(), "quantity"))
    elif kinds & {"money", "percentage", "number", "duration"} and not unit:
        drop.add("quantity")
    kept = sorted(((p, t) for p, t in found if t not in drop), key=lambda f: (f[0], ANSWER_TYPES.index(f[1])))
    return tuple(t for _, t in kept)


def requested_count(text: str, lang: LanguageData) -> int | None:
    """The count ``text`` asks for ("four functions", "三个方面"), 2 to 30, or None."""
    for match in lang.count.finditer(text):
        value = match.group(1).lower()
        noun = (match.group(2) or "").lower() if match.lastindex and match.lastindex >= 2 else ""
        if noun in _NOT_COUNTED:
            continue
        number = int(value) if value.isdigit() else _NUMBER_WORDS.get(value) or chinese_number(value)
        if 2 <= number <= 30:
            return number
    return None


def split_parts(text: str, lang: LanguageData) -> list[str]:
    """The question's parts: one per thing it asks ("When …, and which bodies …?" -> two).

    A split happens only where the next words start a question of their own; "the rights and duties
    of X" or "How do the US and China differ?" stay whole. A comparison is never split.
    """
    if lang.comparison.search(text):
        return [text]
    pieces, start = [], 0
    for match in lang.part_split.finditer(text):
        piece = text[start : match.start()].strip(" ,;，；")
        if len(tokenize(piece)) >= 1 and len(piece) >= 4:
            pieces.append(piece)
            start = match.end()
    rest = text[start:].strip(" ,;，；")
    if rest:
        pieces.append(rest)
    # A piece that asks nothing ("Under EO 14110, how many …") belongs to the question after it.
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        if not lang.asks.search(piece):
            carry = f"{carry}{piece}, " if carry or piece else carry
            continue
        merged.append(f"{carry}{piece}")
        carry = ""
    if carry and merged:
        merged[-1] = f"{merged[-1]} {carry.strip(', ')}"
    if len(merged) > 1 and all(len(tokenize(p)) >= 1 for p in merged):
        return merged
    return [text]


# -- focus ---------------------------------------------------------------------------------------------------


def _focus(text: str, lang: LanguageData, directory: DocumentDirectory | None) -> str:
    """``text`` without question words, document names, provenance and politeness."""
    text = lang.provenance.sub(" ", text)
    if directory is not None:
        from ingest.aliases import normalize_name

        text = normalize_name(text)
        for mention in sorted(directory.mentions(text), key=lambda m: -m.start):
            text = text[: mention.start] + " " + text[mention.end :]
    text = re.sub(r"[?？!。,，:：;；\"“”'‘’《》()（）—–-]", " ", text)
    for data in all_languages():
        text = data.question_words.sub(" ", text)
        text = data.politeness.sub("", text.strip())
    stop = language_data("en").stop_focus | lang.stop_focus
    return " ".join(w for w in text.split() if w.lower() not in stop)


def _chinese_words(focus: str) -> tuple[str, ...]:
    """Segmented Chinese words of the focus (two characters or more), without stop words."""
    if not re.search(r"[\u3400-\u9fff]", focus):
        return ()
    from ingest.segment import STOP_WORDS, default_segmenter

    words = [w for run in re.findall(r"[\u3400-\u9fff]+", focus) for w in default_segmenter().words_of(run)]
    return tuple(dict.fromkeys(w for w in words if len(w) >= 2 and w not in STOP_WORDS))


def opposites_in(text: str, lang: LanguageData) -> dict[str, tuple[str, ...]]:
    """``{predicate word of the text: its opposites}`` ("mandatory" -> ("voluntary", "optional"))."""
    found: dict[str, tuple[str, ...]] = {}
    for data in all_languages():
        for word, opposite in data.opposites.items():
            pattern = rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word)
            if re.search(pattern, text, re.I):
                found[word] = opposite
    return found


# -- history -------------------------------------------------------------------------------------------------


def depends_on_history(
    question: str, history: Sequence[ChatTurn], lang: LanguageData, directory: DocumentDirectory | None = None
) -> bool:
    """Whether the question leans on the conversation: a pronoun, an ellipsis or "that order" without a name.

    A question that names a document, says it changes the topic, or carries its own subject is answered
    as if asked fresh.
    """
    if not any(t.role == "user" and t.content.strip() for t in history):
        return False
    if _TOPIC_SWITCH.search(question):
        return False
    if directory is not None and directory.resolve(question):
        return False
    if lang.ellipsis.search(question) or lang.anaphora.search(question):
        return True
    return len(content_tokens(_focus(question, lang, directory))) < _SHORT_QUESTION_TOKENS


def _subject(text: str, lang: LanguageData | None = None) -> str:
    """A question's subject terms.

    Its words that carry meaning, without its question words and what it asks someone does ("run" in
    "Who will run the registry?": a follow-up is about the registry, not about running).
    """
    verb = lang.predicate.search(text) if lang is not None else None
    asked = set(tokenize(verb.group("verb"))) if verb else set()
    if lang is not None:
        text = _focus(text, lang, None)
    kept = [w for w in re.findall(r"[\w’'.-]+|[\u4e00-\u9fff]+", text) if tokenize(w) and not set(tokenize(w)) & asked]
    return " ".join(kept)


def _part_needs_subject(part: str, lang: LanguageData, directory: DocumentDirectory | None) -> bool:
    if directory is not None and directory.resolve(part):
        return False
    return bool(lang.anaphora.search(part)) or len(content_tokens(_focus(part, lang, directory))) < 3


# -- the analysis --------------------------------------------------------------------------------------------


def _part(text: str, lang: LanguageData, directory: DocumentDirectory | None,
          corrections: dict[str, str]) -> Part:
    types = answer_types(text, lang)
    count = requested_count(text, lang)
    kind = detect_kind(Reading(text, lang, types, count))
    focus = _focus(text, lang, directory)
    focus_terms = frozenset(corrections.get(t, t) for t in content_tokens(focus))
    terms = {corrections.get(t, t) for t in content_tokens(text)}
    if kind == "yesno":
        terms |= content_tokens(" ".join(o for os in opposites_in(text, lang).values() for o in os))
    which = lang.which_noun.search(text)
    counted = lang.counted.search(text) if "number" in types or "quantity" in types else None
    verb = lang.predicate.search(text)
    return Part(
        text=text, kind=kind, types=types, focus=focus, focus_terms=focus_terms, focus_words=_chinese_words(focus),
        terms=frozenset(terms), count=count, asked_type=types[0] if types else None, flags=_flags(text, lang),
        noun=which.group(1).lower() if which else "", counted=counted.group("noun").lower() if counted else "",
        predicate=frozenset(tokenize(verb.group("verb"))) if verb else frozenset(),
        opposites=frozenset(o for os in opposites_in(text, lang).values() for o in os),
        negated=bool(lang.negation.search(text)),
    )


def analyze_question(
    question: str,
    history: Sequence[ChatTurn] = (),
    directory: DocumentDirectory | None = None,
    vocabulary: Vocabulary | None = None,
) -> QuestionAnalysis:
    """Read one question (and, only when it depends on them, the earlier turns).

    Args:
        question: the user's question as typed.
        history: earlier turns of the conversation, oldest first.
        directory: the library's documents, to resolve names such as "EO 14110" to source ids.
        vocabulary: the library's words, to recognise typos ("goverment") and words it never uses.

    Returns:
        The :class:`QuestionAnalysis`.
    """
    question = question.strip()
    language = language_of(question)
    lang = language_data(language)
    follow_up = depends_on_history(question, history, lang, directory)
    context = ""
    if follow_up:
        previous = [t.content for t in history if t.role == "user" and t.content.strip()]
        context = _subject(previous[-1], language_data(language_of(previous[-1])))
    query = f"{question} ({context})" if context else question
    corrections = vocabulary.corrections(content_tokens(question)) if vocabulary is not None else {}
    pieces = split_parts(question, lang)
    subject = (context or _subject(pieces[0], lang)) if len(pieces) > 1 else context
    parts = []
    for n, piece in enumerate(pieces):
        needs = (n > 0 and _part_needs_subject(piece, lang, directory)) or (n == 0 and bool(context))
        parts.append(_part(f"{piece} ({subject})" if needs and subject else piece, lang, directory, corrections))
    doc_refs = tuple(directory.resolve(query)) if directory is not None else ()
    yes_no_extra = tuple(o for p in parts if p.kind == "yesno" for os in opposites_in(p.text, lang).values()
                         for o in os)
    asked_numbers = {x for x in numbers(question) if len(x) >= 2 and not re.fullmatch(r"(?:19|20)\d{2}", x)}
    for source_id in doc_refs:
        meta = directory.metas.get(source_id) if directory is not None else None
        if meta is not None:  # "EO 14110" names the document; another one citing "14110" is no better for it
            asked_numbers -= numbers(f"{meta.title} {' '.join(meta.aliases)} {meta.id.replace('-', ' ')}")
    analysis = QuestionAnalysis(
        question=question,
        query=query,
        language=language,
        parts=tuple(parts),
        follow_up=follow_up,
        doc_refs=doc_refs,
        historical=bool(lang.historical.search(question)),
        search_terms=tuple(dict.fromkeys(yes_no_extra + tuple(corrections.values()))),
        corrections=tuple(sorted(corrections.items())),
        unknown_words=_unknown_words(question, directory, vocabulary),
        key_names=tuple(sorted(key_names(question))),
        authors=tuple(sorted({m.group(1) for m in lang.author.finditer(question)})),
        asked_numbers=frozenset(asked_numbers),
        asked_years=frozenset(re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", question)),
        allowed_roles=frozenset(role for role, pattern in _ROLE_REQUESTS.items() if pattern.search(question)),
        wants_number=any(t in ("date", "duration", "number", "percentage", "money", "quantity")
                         for p in parts for t in p.types),
        words=frozenset(content_tokens(question)),
        figures=frozenset(numbers(question)),
        compact=re.sub(r"\s+", "", question),
        acronyms=frozenset(re.findall(r"\b[A-Z]{2,}\b", question)),
    )
    if any(p.kind == "comparison" for p in parts):
        from assistant.core.kinds.comparison import comparison_sides

        analysis = replace(analysis, sides=comparison_sides(question, analysis, directory))
        absent = [side.label for side in analysis.sides if not side.source_ids]
        if absent:  # a document the library lacks: its name can only pull in passages that merely mention it
            analysis = replace(analysis, parts=tuple(_without_names(p, absent, corrections) for p in analysis.parts))
    return analysis


def _without_names(part: Part, names: Sequence[str], corrections: dict[str, str]) -> Part:
    """``part`` with ``names`` taken out of its focus (and focus terms) when it is a comparison part."""
    if part.kind != "comparison":
        return part
    focus = part.focus
    for name in names:
        focus = re.sub(re.escape(name), " ", focus, flags=re.I)
    focus = " ".join(focus.split())
    return replace(part, focus=focus, focus_terms=frozenset(corrections.get(t, t) for t in content_tokens(focus)),
                   focus_words=_chinese_words(focus))


def _unknown_words(
    question: str, directory: DocumentDirectory | None, vocabulary: Vocabulary | None
) -> tuple[str, ...]:
    """Words of the question the library never uses, except those inside a document's name."""
    if vocabulary is None:
        return ()
    names = " ".join(m.alias for m in directory.mentions(question)) if directory is not None else ""
    return tuple(w for w in vocabulary.unknown_words(question) if w.lower() not in names)
