"""The factoid lead: the typed fact a question asks for (a date, a number with its unit, a body's name …).

:func:`factoid_lead` picks, among the best candidate sentences, one that holds a span of the
expected answer type and enough of the question's focus, and returns that span (a number with
the noun it counts) as a :class:`~assistant.compose.leads.Lead`. The other kinds of lead are in
:mod:`assistant.compose.leads`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.compose.candidates import Candidate
from assistant.compose.leads import SCAN, Lead
from assistant.evidence import content_tokens, key_names, mentions
from assistant.question import QuestionAnalysis
from ingest.keywords import tokenize
from ingest.spans import Span, find_spans

FOCUS_MIN = 0.3
"""A factoid's answer sentence must hold this share (IDF-weighted) of the question's focus, or be among the
few best-ranked sentences (:data:`TOP_RANKED`)."""
TOP_RANKED = 3


def _focus_positions(text: str, focus: frozenset[str]) -> list[int]:
    """Character offsets of the words of ``text`` whose BM25 token is a focus term."""
    positions = []
    for match in re.finditer(r"[\w'’.-]+|[\u3400-\u9fff]+", text):
        if set(tokenize(match.group())) & focus:
            positions.append(match.start())
    return positions


def _nearest(spans: list[Span], positions: list[int]) -> Span:
    """The span closest to the focus words (the first one when the sentence holds none of them)."""
    if not positions:
        return spans[0]
    return min(spans, key=lambda s: (min(abs(p - (s.start + s.end) / 2) for p in positions), s.start))


def _extend(text: str, span: Span, focus: frozenset[str], question_tokens: set[str]) -> str:
    """A number with the noun it counts ("over 90" -> "over 90 Federal policy actions")."""
    if span.type not in ("number", "quantity", "money", "percentage"):
        return span.text
    words = list(re.finditer(r"[\w'’%/-]+", text[span.end :]))[:5]
    end = span.end
    for match in words:
        if match.start() > 40:
            break
        if set(tokenize(match.group())) & (focus | question_tokens):
            end = span.end + match.end()
    return text[span.start : end].strip(" ,;:")


def _key_entities(analysis: QuestionAnalysis) -> list[str]:
    """Multi-word names the question is about ("Generative AI Public Working Group"), not the documents it names."""
    from ingest.aliases import normalize_name

    names = []
    # The rewrite appends the previous turn's keywords in parentheses: context, not names the answer must hold.
    own_words = re.sub(r"\s*\([^()]*\)\s*$", "", analysis.question)
    for name in key_names(own_words):
        words = name.split()
        if len(words) < 2 or any(ch.isdigit() for ch in name):
            continue
        if all(w.lower() in normalize_name(analysis.focus) for w in words):
            names.append(name)
    return names


_QUOTED = re.compile(r"(?:(?<=\s)|^)['‘“\"]([^'’”\"]{3,60})['’”\"](?=[\s?,.]|$)")


def factoid_lead(
    analysis: QuestionAnalysis,
    candidates: list[Candidate],
    doc_freq: Callable[[str], int] | None = None,
    chunk_texts: dict[str, str] | None = None,
) -> Lead | None:
    """The typed fact the question asks for, from the best sentence that holds it and the focus.

    A sentence qualifies when it holds a span of the expected type and enough of the focus.
    Returns None when none qualifies (the caller then says the library does not state it).
    """
    if analysis.answer_type is None:
        return None
    question_tokens = content_tokens(analysis.question)
    entities = _key_entities(analysis)
    quoted = [q for q in _QUOTED.findall(analysis.question) if len(q.split()) >= 2]
    eligible = []
    for rank, candidate in enumerate(candidates[:SCAN]):
        if quoted and not all(mentions(candidate.text.lower(), q) for q in quoted):
            continue  # "the 'performance density threshold'": a figure of anything else does not answer
        if entities and chunk_texts is not None:
            context = chunk_texts.get(candidate.chunk_id, candidate.text).lower()
            if not all(mentions(context, name) for name in entities):
                continue  # the question names a body the passage never mentions: a neighbour's figure
        spans = find_spans(candidate.text, analysis.answer_type)
        spans = [s for s in spans if _adds_information(s, analysis, candidate)]
        relevant = max(candidate.focus, candidate.lexical) >= FOCUS_MIN or (
            rank < TOP_RANKED and candidate.focus >= FOCUS_MIN / 2
        )
        if spans and (relevant or not analysis.focus_terms):
            eligible.append((candidate.score + 0.3 * candidate.focus, candidate, spans))
    if not eligible:
        return None
    _, best, spans = max(eligible, key=lambda e: e[0])
    focus = analysis.focus_terms | (question_tokens - {"mani", "much", "long"})
    positions = _focus_positions(best.text, frozenset(focus))
    parts = [_extend(best.text, _nearest(spans, positions), analysis.focus_terms, question_tokens)]
    plural = analysis.kind == "list" or _PLURAL.search(analysis.question)
    if analysis.answer_type in _NAMED and len(spans) > 1 and plural:
        parts = [s.text for s in spans[:6]]  # "Which chips …?": every one the sentence names
    for extra_type in analysis.secondary_types:
        extra = [s for s in find_spans(best.text, extra_type) if s.text not in parts[0]]
        if extra:
            parts.append(_extend(best.text, _nearest(extra, positions), analysis.focus_terms, question_tokens))
    return Lead(best, "; ".join(parts))


_NAMED = frozenset({"product", "body", "place", "person"})
_PLURAL = re.compile(
    r"\b(?:which|what)\s+(?:\S+\s+){0,2}(?:models|chips|gpus|accelerators|llms|processors|products|companies|firms|"
    r"agencies|bodies|departments|countries|cities|states|people|officials)\b|哪些",
    re.I,
)
_ASKS_COMPANY = re.compile(
    r"\b(?:which|what)\s+(?:\w+\s+){0,2}(?:compan(?:y|ies)|firms?|businesses|corporations?|chipmakers?|"
    r"vendors?|manufacturers?|developers?)\b|哪家|哪些(?:公司|企业)|什么(?:公司|企业)",
    re.I,
)
_GOVERNMENT = re.compile(
    r"\b(?:Secretary|Department|Office|Agency|Council|Bureau|Commission|Ministry|Administration|Congress|"
    r"Government|President|Director|Committee|Assembly|Cabinet)\b|部$|委员会|国务院|办公室|政府|局$",
)
_ASKS_CITY = re.compile(r"\b(?:which|what)\s+(?:\S+\s+){0,2}cit(?:y|ies)\b|哪个城市|哪座城市", re.I)
_COUNTRY_LIKE = re.compile(
    r"\b(?:Republic|Kingdom|States|Peninsula|Sea|Ocean|Strait|China|Korea|Japan|Russia|India|Europe|Asia|Africa|"
    r"America|Macau|Taiwan)\b"
)
_HOW_MANY = re.compile(r"\bhow many\s+(?P<rest>[^?,.;]*)", re.I)
_NOUN_PHRASE_END = frozenset(
    "did does do are is were was have has had will can could must should would in on of under per for to from with at "
    "it they we he she you the a an took got made gave held said sent put set went ran".split()
)
_NOUN_SYNONYMS = {
    "peopl": {"member", "particip", "expert", "individu", "person", "staff"},
    "countri": {"nation", "state", "economi", "destin", "jurisdict"},
    "compani": {"firm", "entiti", "busi", "develop"},
    "bodi": {"entiti", "agenc", "organ"},
    "comment": {"respons", "submiss"},
}


def _counted_noun(question: str, corrections: dict[str, str] | None = None) -> set[str] | None:
    """Stems of the noun a "how many …?" question counts ("how many UN bodies" -> {"bodi", "entiti", …})."""
    match = _HOW_MANY.search(question)
    if not match:
        return None
    phrase: list[str] = []
    for word in match.group("rest").split()[:5]:
        if word.lower() in _NOUN_PHRASE_END or (word.lower().endswith("ed") and len(word) > 4 and "-" not in word):
            break
        phrase.append(word)
    words = [w for w in phrase if w.lower() not in {"other", "more", "new", "extra"}]
    stems = {(corrections or {}).get(t, t) for t in tokenize(words[-1])} if words else set()
    if not stems:
        return None
    for stem in list(stems):
        stems |= _NOUN_SYNONYMS.get(stem, set())
    return stems


_ZH_MEASURE = re.compile(r"(?:多少|几)(?:个|款|项|家|条|名|种|类|部|件|次|位|批|所)")


def _adds_information(span: Span, analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """Whether ``span`` tells the asker something their question does not already say.

    "Which company got the first package under the American AI Exports Program?" is not
    answered by "American AI Exports Program"; "多少款服务" is not answered by a number
    that counts something other than 款.
    """
    text = span.text
    if re.search(r"[\u3400-\u9fff]", text):
        if re.sub(r"\s+", "", text) in re.sub(r"\s+", "", analysis.question):
            return False
    else:
        tokens = content_tokens(text)
        if tokens and tokens <= content_tokens(analysis.question):
            return False
    if _ASKS_COMPANY.search(analysis.question) and _GOVERNMENT.search(text):
        return False  # a company was asked for, an office or agency is no answer
    if _ASKS_CITY.search(analysis.question) and _COUNTRY_LIKE.search(text):
        return False  # a city was asked for; a country or a sea is a different answer
    counted = _counted_noun(analysis.question, dict(analysis.corrections)) if analysis.answer_type == "number" else None
    if counted and not candidate.cjk and set(tokenize(candidate.text)) & counted:
        # "How many comments?" is not answered by "three workshops, public comments on …": the sentence
        # names what was asked but counts something else. (A sentence that words it differently — "two
        # drafts" for "versions" — is left alone.)
        after = " ".join(re.findall(r"[\w'’-]+", candidate.text[span.end :])[:6])
        if not set(tokenize(f"{text} {after}")) & counted:
            return False
    measure = _ZH_MEASURE.search(analysis.question)
    if measure and analysis.answer_type == "number":
        unit = measure.group()[-1]
        return unit in text or unit in candidate.text[span.end : span.end + 2]
    return True
