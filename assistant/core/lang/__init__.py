"""Per-language data of the answer core: cue words of questions and the messages answers use.

Code in :mod:`assistant.core` never holds a cue word or a user-facing sentence
of its own; it takes a :class:`LanguageData` (``ENGLISH`` from :mod:`.en`,
``CHINESE`` from :mod:`.zh`) and reads its patterns and messages. Adding a
language is one new module with one :class:`LanguageData`, registered in
:data:`LANGUAGES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

AnswerType = Literal[
    "date", "duration", "number", "percentage", "money", "quantity", "body", "person", "place", "document", "product"
]
ANSWER_TYPES: tuple[AnswerType, ...] = (
    "date", "duration", "number", "percentage", "money", "quantity", "body", "person", "place", "document", "product"
)
Language = Literal["en", "zh"]


@dataclass(frozen=True)
class Messages:
    """What answers say in one language."""

    refusal: str
    """No support at all: ``{n}`` sources searched, ``{s}`` the plural suffix, ``{filters}``, ``{query}``."""
    not_stated: dict[str, str]
    """"The library does not state …" per asked answer type ("" key: any other fact)."""
    not_stated_which: str
    """"The library does not say which {noun} that is." (a "which company …?" question)."""
    not_stated_who: str
    unsure: str
    """A refused part whose best sentence holds the kind of fact asked: the sentence follows, hedged."""
    unsure_part: str
    """The same for one part of a question in several: ``{part}`` is the part's own words."""
    closest: str
    """Introduces the closest quotes after a "not stated" line."""
    unsupported_part: str
    """A part of a question the library does not answer: ``{part}`` is the part's own words."""
    missing_side: str
    """A comparison side without support: ``{sides}`` the sides' names joined by :attr:`or_word`."""
    absent_side: str
    """A comparison side the library holds no document of: ``{sides}`` as for :attr:`missing_side`."""
    or_word: str
    yes: str
    no: str
    translation_label: str
    """Before the other-language text of a quoted article."""
    country_names: dict[str, str]
    """How answers name a country side of a comparison ("US" -> "United States")."""
    status_note: str
    """After an answer citing a source no longer in force: ``{name}``, ``{status}``, ``{stater}``, ``{when}``
    (" (date)" or ""), ``{marker}``."""
    relation_note: str
    """A status answer's line: ``{target}`` is ``{status}`` in ``{stated}``."""
    acts_note: str
    """A relation answer's line: ``{stated}`` ``{verb}`` ``{target}``."""
    words: dict[str, str]
    """Relation and status words in this language ("revoked", "implements" …)."""
    none_not_in_force: str
    not_acting: str
    """``{names}`` revokes, replaces or amends no other document."""
    not_revoked: str
    """No document says ``{names}`` has been revoked …"""
    in_force_as_of: str
    """As of ``{as_of}`` no document dated by then revokes, rescinds or supersedes ``{name}``: it was in force."""
    not_issued_as_of: str
    """As of ``{as_of}``, ``{name}`` (dated ``{date}``) had not been issued."""
    not_in_force_as_of: str
    """As of ``{as_of}``, ``{name}`` was no longer in force (``{status}``)."""


@dataclass(frozen=True)
class LanguageData:
    """Cue patterns and messages of one language (see the package docstring)."""

    code: Language
    type_cues: tuple[tuple[AnswerType, re.Pattern[str]], ...]
    """Expected answer types and the words that ask for them, in order of specificity."""
    counts_days: re.Pattern[str]
    """"how many days": a duration, not a count."""
    units: re.Pattern[str]
    """Units that make a "how many" a quantity ("how many tons")."""
    count: re.Pattern[str]
    """A requested count ("four functions", "三个方面"): group 1 the number, group 2 (optional) the noun."""
    summary: re.Pattern[str]
    comparison: re.Pattern[str]
    compared_pair: re.Pattern[str]
    """The two things a comparison names, as groups ``a`` and ``b`` ("How do A and B differ on …")."""
    document_name: re.Pattern[str]
    """A phrase that names a document by its type ("the G7 code of conduct", "欧盟人工智能法")."""
    factoid_opening: re.Pattern[str]
    who_opening: re.Pattern[str]
    """"Who …?": a missing answer is "the library does not say who"."""
    status: re.Pattern[str]
    in_force: re.Pattern[str]
    """Asks whether a document still applies ("still in force", "revoked", "还有效"): unlike "a companion to"."""
    status_acting: re.Pattern[str]
    """"What did X revoke?": the named document acts on others."""
    library_wide: re.Pattern[str]
    """"Which documents are no longer in force?": a question about the whole library."""
    why: re.Pattern[str]
    procedure: re.Pattern[str]
    definition: re.Pattern[str]
    value_words: re.Pattern[str]
    """A definition-looking question about a value ("What is the deadline …?") is a factoid."""
    who_is: re.Pattern[str]
    yes_no: re.Pattern[str]
    yes_no_opening: re.Pattern[str]
    listing: re.Pattern[str]
    embedded_question: re.Pattern[str]
    """"Did NIST say how many …?": the embedded question decides the kind."""
    plural_ask: re.Pattern[str]
    """"Which companies …": every one a sentence names is asked for."""
    which_noun: re.Pattern[str]
    """The noun of a "which X" question (group 1)."""
    asks_company: re.Pattern[str]
    asks_city: re.Pattern[str]
    government: re.Pattern[str]
    """A name of government (an office, a ministry): no answer when a company is asked for."""
    country_like: re.Pattern[str]
    """A country, region or sea: no answer when a city is asked for."""
    asks_signer: re.Pattern[str]
    asks_requirement: re.Pattern[str]
    """"What does X require / must X do": duties (sentences with "shall", "应当") answer."""
    asks_issued: re.Pattern[str]
    """"When was X signed / issued / adopted?": the document's own date."""
    parts_of_document: re.Pattern[str]
    """"What parts does X have?": the document's outline."""
    part_split: re.Pattern[str]
    """Where a question asking two things splits (the second part starts a new question)."""
    asks: re.Pattern[str]
    """A piece of text that asks something (a question word, a yes/no opening): a part must have one."""
    predicate: re.Pattern[str]
    """Group "verb": what a wh-question asks someone does ("run" in "Who will run the registry?")."""
    anaphora: re.Pattern[str]
    """Words that point back at something named earlier ("it", "that order", "该")."""
    ellipsis: re.Pattern[str]
    """Openings that continue an earlier question ("And …", "What about …", "那…呢")."""
    historical: re.Pattern[str]
    author: re.Pattern[str]
    """Group 1: the person a question names a document by ("Biden" in "Biden's AI order")."""
    provenance: re.Pattern[str]
    """Where a fact is stated ("according to the China Daily piece"), not what it is about."""
    question_words: re.Pattern[str]
    """Question words and filler removed from the focus."""
    politeness: re.Pattern[str]
    opposites: dict[str, tuple[str, ...]]
    """Yes/no predicate -> its opposites ("mandatory" -> "voluntary")."""
    negation: re.Pattern[str]
    cues: dict[str, re.Pattern[str]]
    """Sentence cues per kind ("why": "because", "in order to" …): features of a candidate, not decisions."""
    defining: re.Pattern[str]
    """A sentence that defines a term ("X means …", "X是指 …")."""
    defined_term: re.Pattern[str]
    """The term a defining sentence defines (group "term": "The term “watermarking” means" -> watermarking)."""
    counted: re.Pattern[str]
    """What a "how many" question counts (group "noun": "how many countries" -> countries, "多少个国家" -> 国家)."""
    countries: dict[str, re.Pattern[str]]
    """Country (and organisation) codes of the catalog -> the words that name them ("US": "America", "Biden")."""
    messages: Messages
    stop_focus: frozenset[str] = field(default_factory=frozenset)
    """Lower-cased words never part of a focus ("say", "require", "document" …)."""


_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_QUOTED_TITLE = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"")


def language_of(text: str) -> Language:
    """"zh" when the question is written in Chinese, else "en".

    A title in 《》 or quotes does not decide it ("When did 《…》 take effect?" is English); the rest
    is Chinese when it has at least as many CJK characters as Latin words.
    """
    rest = _QUOTED_TITLE.sub(" ", text)
    cjk = len(_CJK.findall(rest))
    if not cjk:
        return "zh" if not _LATIN_WORD.search(rest) and _CJK.search(text) else "en"
    return "zh" if cjk >= len(_LATIN_WORD.findall(rest)) else "en"


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds any CJK character."""
    return bool(_CJK.search(text))


def language_data(code: Language) -> LanguageData:
    """The :class:`LanguageData` of ``code`` ("en" or "zh")."""
    from assistant.core.lang.en import ENGLISH
    from assistant.core.lang.zh import CHINESE

    return CHINESE if code == "zh" else ENGLISH


def all_languages() -> tuple[LanguageData, ...]:
    """Every language's data (for cues that may appear in a question of either language, such as names)."""
    from assistant.core.lang.en import ENGLISH
    from assistant.core.lang.zh import CHINESE

    return ENGLISH, CHINESE
