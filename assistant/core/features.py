"""Features of a candidate sentence for one part of a question: what the selector learns "answers this part" from.

Every rule the old answer core used to decide (is the asked type of fact in the
sentence, near the focus? does the sentence define the term, negate the
predicate, enumerate, state a status? is it from the document the question
names, in the question's language, a heading or a recital?) is a feature here,
next to lexical, focus and embedding similarity, their gaps to the best
candidate, and ranks. :func:`part_features` returns one row per candidate in the
order of :data:`FEATURES`; :mod:`assistant.core.selector` turns rows into
probabilities.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.candidates import Candidate, PartMatch
from assistant.core.dates import same_date
from assistant.core.evidence import content_tokens, mentions, numbers
from assistant.core.lang import LanguageData, language_data
from assistant.models import Passage
from ingest.keywords import tokenize
from ingest.spans import Span, find_spans

KINDS = ("factoid", "who", "yesno", "definition", "list", "summary", "comparison", "status", "describe")
FEATURES = (
    *(f"kind_{k}" for k in KINDS),
    "asks_type", "question_zh", "question_names_doc", "multi_part", "unknown_words",
    "lexical", "lexical_gap", "focus", "focus_gap", "semantic", "semantic_gap",
    "lexical_rank", "semantic_rank", "passage_rank",
    "type_present", "type_near_focus", "type_echo_only", "type_count", "secondary_type_present",
    "in_named_doc", "outside_named_doc",
    "role_body", "role_list_item", "role_kept", "role_other",
    *(f"cue_{k}" for k in ("definition", "list", "why", "procedure", "status", "requirement")),
    "opposite_present", "negation",
    "numbers_match", "year_match", "language_match", "crosses_language",
    "length", "lead_in", "key_names_present", "has_number", "first_in_chunk", "same_source_as_best_lexical",
    "source_date_match", "asks_issued", "issued_date_match", "counts_asked_noun", "span_window_focus",
    "defines_asked_term", "bigram_overlap", "rarest_term", "section_match", "chunk_lexical", "actor_subject",
    "within_source", "within_source_gap", "span_relation", "relation_present", "missing_asked_type",
    "typed_in_named_doc", "untyped_outside_named_doc",
)
"""Feature names, in column order."""
_INDEX = {name: i for i, name in enumerate(FEATURES)}
_KIND_OF = {"why": "describe", "procedure": "describe"}
_CUED = frozenset({"definition", "list", "why", "procedure", "status"})
"""Kinds with a sentence cue of their own (a feature each: what a cue is worth differs by kind)."""
_NEAR = 60
"""Characters within which a span counts as near a focus word."""


@lru_cache(maxsize=20000)
def spans_of(text: str, answer_type: str) -> tuple[Span, ...]:
    """The typed spans of ``text`` (cached: the same sentences come back question after question)."""
    return tuple(find_spans(text, answer_type))


def _focus_positions(text: str, focus: frozenset[str], words: tuple[str, ...]) -> list[int]:
    positions = [m.start() for m in re.finditer(r"[\w'’.-]+", text) if content_tokens(m.group()) & focus]
    positions += [text.find(w) for w in words if w in text]
    return positions


def echoes(span: Span, part: Part, analysis: QuestionAnalysis) -> bool:
    """Whether ``span`` only repeats what the question already says (no new word, no new number)."""
    text = span.text
    if numbers(text) - analysis.figures:
        return False
    if re.search(r"[\u3400-\u9fff]", text):
        return re.sub(r"\s+", "", text) in analysis.compact
    known = analysis.words | part.terms
    tokens = content_tokens(text)
    if not tokens:
        return False
    new_words = [w for w in re.findall(r"[A-Za-z][\w-]*", text) if content_tokens(w) - known]
    if not new_words:
        return True
    # "Artificial Intelligence Safety …" echoes "AI Safety …": the new words are the letters of an acronym asked
    initials = "".join(w[0] for w in new_words).upper()
    return (len(new_words) >= 2 and all(w[0].isupper() for w in new_words)
            and any(initials in a for a in analysis.acronyms))


def fits(span: Span, part: Part, lang: LanguageData) -> bool:
    """Whether a span can be what the part asks for: no office when a company is asked, no country for a city."""
    if "company" in part.flags and lang.government.search(span.text):
        return False
    return not ("city" in part.flags and lang.country_like.search(span.text))


def asks_typed(part: Part) -> bool:
    """Whether the part asks for a typed fact a sentence must hold (a who-is part asks about a name it gives)."""
    return bool(part.types) and part.kind != "who"


def typed_spans(candidate: Candidate, part: Part, analysis: QuestionAnalysis) -> tuple[list[Span], list[Span]]:
    """The spans of the part's main asked type in the candidate: ``(informative, echoes)``.

    Informative spans say more than the question and can be what it asks for (:func:`fits`).
    """
    if not asks_typed(part):
        return [], []
    lang = language_data("zh" if candidate.cjk else "en")
    found = [s for s in spans_of(candidate.text, part.types[0]) if fits(s, part, lang)]
    fresh = [s for s in found if not echoes(s, part, analysis)]
    return fresh, [s for s in found if s not in fresh]


def nearest_span(spans: Sequence[Span], text: str, part: Part) -> tuple[Span, float] | None:
    """The span closest to what the part asks in ``text``, and its closeness (1 near, 0 far).

    What the part asks is its predicate when it has one ("run" in "Who will run the registry?": the
    body next to "run by", not the one next to "registry"), else any word of its focus. A sentence
    without the predicate has its spans scored as far.
    """
    if not spans:
        return None
    if part.predicate:
        positions = _focus_positions(text, part.predicate, ())
        if not positions:
            return spans[0], 0.0
    else:
        positions = _focus_positions(text, part.focus_terms, part.focus_words)
    if not positions:
        return spans[0], 0.5
    best = min(spans, key=lambda s: (min(abs(p - (s.start + s.end) / 2) for p in positions), s.start))
    distance = min(abs(p - (best.start + best.end) / 2) for p in positions)
    return best, max(0.0, 1.0 - distance / (4 * _NEAR))


def _kind_cue(candidate: Candidate, part: Part, lang_cues: dict[str, re.Pattern[str]],
              defining: re.Pattern[str]) -> float:
    text = candidate.text
    kind = _KIND_OF.get(part.kind, part.kind)
    if part.kind == "definition":
        match = defining.search(text)
        if not match:
            return 0.0
        head = content_tokens(text[: match.start() + 1])
        focus = part.focus_terms
        if part.focus_words:
            return float(any(w in text[: match.start() + 2] for w in part.focus_words))
        return len(head & focus) / len(focus) if focus else 0.5
    pattern = lang_cues.get(part.kind) or lang_cues.get(kind)
    if kind == "list":
        pattern = lang_cues.get("list")
    if pattern is None:
        return 0.0
    return float(bool(pattern.search(text)))


def defines_asked_term(candidate: Candidate, part: Part) -> float:
    """1 when the sentence defines a term the part asks about ("The term “watermarking” means …")."""
    lang = language_data("zh" if candidate.cjk else "en")
    match = lang.defined_term.search(candidate.text)
    if not match:
        return 0.0
    term = match.group("term")
    if candidate.cjk:
        return float(term in part.text or any(w in term for w in part.focus_words if len(w) >= 2))
    tokens = set(tokenize(term))
    return float(bool(tokens) and tokens <= (part.terms | part.focus_terms))


def counts_asked_noun(span: Span, text: str, part: Part) -> float:
    """For a "how many X" part: 1 when the number counts X (X follows it closely), 0 when it counts something else.

    0.5 when the part names nothing it counts.
    """
    if not part.counted:
        return 0.5
    after = text[span.end : span.end + 40]
    if re.search(r"[\u3400-\u9fff]", part.counted):
        return float(part.counted in text[span.start : span.end + 8])
    wanted = content_tokens(part.counted)
    return float(bool(wanted & content_tokens(" ".join(re.findall(r"[\w'’-]+", after)[:6]))))


def window_focus(span: Span, text: str, part: Part, only: frozenset[str] | None = None) -> float:
    """Share of the part's focus terms (or of ``only`` those) within about eight words either side of the span."""
    focus = part.focus_terms if only is None else only
    if part.focus_words and re.search(r"[\u3400-\u9fff]", text):
        near = text[max(0, span.start - 30) : span.end + 30]
        total = sum(len(w) for w in part.focus_words)
        return sum(len(w) for w in part.focus_words if w in near) / total if total else 0.0
    if not focus:
        return 0.0
    before = re.findall(r"[\w'’.-]+", text[: span.start])[-8:]
    after = re.findall(r"[\w'’.-]+", text[span.end :])[:8]
    window = content_tokens(" ".join(before + after))
    return len(window & focus) / len(focus)


def relation_of(part: Part, pool: Sequence[Candidate]) -> dict[str, frozenset[str]]:
    """Per source: the terms of the relation the question asks about.

    Its predicate ("run" in "Who will run the registry?"), else the part's focus terms that are not the topic
    of the source's sentences (not in most of them).
    """
    by_source: dict[str, list[Candidate]] = {}
    for candidate in pool:
        by_source.setdefault(candidate.source_id, []).append(candidate)
    out = {}
    for source_id, members in by_source.items():
        if part.predicate:
            out[source_id] = part.predicate
            continue
        topic = {t for t in part.focus_terms if 2 * sum(t in c.tokens for c in members) > len(members)}
        out[source_id] = frozenset(part.focus_terms - topic) if len(members) >= 2 else frozenset()
    return out


_MODAL = re.compile(r"\b(?:shall|must|will|should|is required to|are required to)\b|应当|必须|负责")


def _acts(actors: list[str], text: str) -> bool:
    """Whether one of ``actors`` (bodies the question names) is the subject of a duty in ``text``."""
    lowered = text.lower()
    for match in _MODAL.finditer(text):
        before = lowered[max(0, match.start() - 120) : match.start()]
        if any(mentions(before, actor) for actor in actors):
            return True
    return False


def _coverage_of(part: Part, text: str) -> float:
    """Share of the part's focus found in ``text`` (Chinese focus words as substrings)."""
    if part.focus_words and re.search(r"[\u3400-\u9fff]", text):
        total = sum(len(w) for w in part.focus_words)
        return sum(len(w) for w in part.focus_words if w in text) / total
    if not part.focus_terms:
        return 0.0
    return len(part.focus_terms & content_tokens(text)) / len(part.focus_terms)


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def part_features(
    part: Part,
    analysis: QuestionAnalysis,
    pool: Sequence[Candidate],
    match: PartMatch,
    passages: Sequence[Passage],
    idf: Callable[[str], float] | None = None,
) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate of ``pool`` for ``part``.

    Args:
        part: the part of the question.
        analysis: the whole question (documents named, numbers, language).
        pool: the candidates.
        match: how each candidate matches the part (:func:`assistant.core.candidates.match_part`).
        passages: the passages the candidates come from (their text, for names the question is about).
        idf: the library's term weights (which of the part's terms is rarest).
    """
    n = len(pool)
    rows = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return rows
    lang = analysis.lang
    # A name the question is about may be the document's own ("TC260-003", "the AI Action Plan"): its title counts.
    texts = {p.chunk_id: f"{p.meta.title} {' '.join(p.meta.aliases)} {p.meta.publisher} {p.chunk.text}".lower()
             for p in passages}
    dates = {p.chunk.source_id: p.meta.date for p in passages}
    named = set(analysis.doc_refs)
    negation = lang.negation
    opposite_tokens = {t for o in part.opposites if o.isascii() for t in tokenize(o)}
    opposite_chinese = {o for o in part.opposites if not o.isascii()}
    lex_order = np.argsort(-match.lexical, kind="stable")
    sem_order = np.argsort(-match.semantic, kind="stable")
    lex_rank = np.empty(n)
    lex_rank[lex_order] = np.arange(n)
    sem_rank = np.empty(n)
    sem_rank[sem_order] = np.arange(n)
    best_lexical_source = pool[int(lex_order[0])].source_id
    names = [name for name in analysis.key_names if not name.isdigit() and name not in analysis.authors]
    # A name the question is about counts as present in a candidate when its source's retrieved text holds it.
    by_source: dict[str, str] = {}
    for passage in passages:
        by_source[passage.chunk.source_id] = by_source.get(passage.chunk.source_id, "") + " " + texts[passage.chunk_id]
    kind = _KIND_OF.get(part.kind, part.kind)
    rows[:, _INDEX[f"kind_{kind}"]] = 1.0
    part_bigrams = _bigrams(tokenize(part.focus)) if analysis.language == "en" else set()
    chunks = {p.chunk_id: p.chunk for p in passages}
    relation_terms = relation_of(part, pool)
    sections = {cid: _coverage_of(part, f"{c.section}") for cid, c in chunks.items()}
    chunk_cover = {cid: _coverage_of(part, c.text) for cid, c in chunks.items()}
    actors = [a.text for a in find_spans(part.text, "body")] if part.text else []
    rarest = max(part.focus_terms, key=lambda t: (idf(t), t)) if idf is not None and part.focus_terms else None
    rows[:, _INDEX["asks_type"]] = float(asks_typed(part))
    rows[:, _INDEX["question_zh"]] = float(analysis.language == "zh")
    rows[:, _INDEX["question_names_doc"]] = float(bool(named))
    rows[:, _INDEX["multi_part"]] = float(len(analysis.parts) > 1)
    rows[:, _INDEX["unknown_words"]] = float(bool(analysis.unknown_words))
    rows[:, _INDEX["asks_issued"]] = float("issued" in part.flags and "date" in part.types)
    rows[:, _INDEX["lexical"]] = match.lexical
    rows[:, _INDEX["lexical_gap"]] = match.lexical - match.lexical.max()
    rows[:, _INDEX["focus"]] = match.focus
    rows[:, _INDEX["focus_gap"]] = match.focus - match.focus.max()
    rows[:, _INDEX["semantic"]] = match.semantic
    rows[:, _INDEX["semantic_gap"]] = match.semantic - match.semantic.max()
    rows[:, _INDEX["lexical_rank"]] = 1.0 / (1.0 + lex_rank)
    if match.within_source is not None:
        rows[:, _INDEX["within_source"]] = match.within_source
        rows[:, _INDEX["within_source_gap"]] = match.within_source - match.within_source.max()
    rows[:, _INDEX["semantic_rank"]] = 1.0 / (1.0 + sem_rank)
    for i, candidate in enumerate(pool):
        row = rows[i]
        row[_INDEX["passage_rank"]] = 1.0 / (1.0 + candidate.passage_rank)
        fresh, echoed = typed_spans(candidate, part, analysis)
        if fresh:
            near = nearest_span(fresh, candidate.text, part)
            row[_INDEX["type_present"]] = 1.0
            row[_INDEX["type_near_focus"]] = near[1] if near else 0.0
            row[_INDEX["type_count"]] = math.log1p(len(fresh))
            if near is not None:
                row[_INDEX["counts_asked_noun"]] = counts_asked_noun(near[0], candidate.text, part)
                row[_INDEX["span_window_focus"]] = window_focus(near[0], candidate.text, part)
                relation = relation_terms.get(candidate.source_id)
                if relation:
                    row[_INDEX["span_relation"]] = window_focus(near[0], candidate.text, part, relation)
        row[_INDEX["type_echo_only"]] = float(bool(echoed) and not fresh)
        row[_INDEX["secondary_type_present"]] = float(any(spans_of(candidate.text, t) for t in part.types[1:]))
        row[_INDEX["missing_asked_type"]] = float(asks_typed(part) and not fresh)
        if named:
            row[_INDEX["in_named_doc"]] = float(candidate.source_id in named)
            row[_INDEX["outside_named_doc"]] = float(candidate.source_id not in named)
            row[_INDEX["typed_in_named_doc"]] = row[_INDEX["in_named_doc"]] * row[_INDEX["type_present"]]
            row[_INDEX["untyped_outside_named_doc"]] = (row[_INDEX["outside_named_doc"]]
                                                        * row[_INDEX["missing_asked_type"]])
        role = candidate.role
        row[_INDEX["role_body"]] = float(role == "body")
        row[_INDEX["role_list_item"]] = float(role == "list_item")
        row[_INDEX["role_kept"]] = float(role in ("preamble", "recital", "boilerplate", "signature"))
        row[_INDEX["role_other"]] = float(role not in ("body", "list_item", "preamble", "recital", "boilerplate",
                                                       "signature"))
        cand_lang = language_data("zh" if candidate.cjk else "en")
        cue = _kind_cue(candidate, part, cand_lang.cues, cand_lang.defining)
        if part.kind in _CUED:
            row[_INDEX[f"cue_{part.kind}"]] = cue
        elif part.kind in ("describe", "factoid", "list") and "requirement" in part.flags:
            row[_INDEX["cue_requirement"]] = float(bool(cand_lang.cues["requirement"].search(candidate.text)))
        if part.kind == "yesno":
            row[_INDEX["opposite_present"]] = float(bool(opposite_tokens & candidate.tokens)
                                                    or any(o in candidate.text for o in opposite_chinese))
            row[_INDEX["negation"]] = float(bool(negation.search(candidate.text)
                                                 or cand_lang.negation.search(candidate.text)))
        found_numbers = numbers(candidate.text)
        if analysis.asked_numbers:
            row[_INDEX["numbers_match"]] = float(analysis.asked_numbers <= found_numbers)
        row[_INDEX["year_match"]] = float(bool(analysis.asked_years & found_numbers))
        row[_INDEX["language_match"]] = float(candidate.cjk == (analysis.language == "zh"))
        row[_INDEX["crosses_language"]] = 1.0 - row[_INDEX["language_match"]]
        row[_INDEX["length"]] = math.log1p(len(candidate.text)) / 7.0
        row[_INDEX["lead_in"]] = float(candidate.lead_in)
        if names:
            context = by_source.get(candidate.source_id, candidate.text.lower())
            row[_INDEX["key_names_present"]] = sum(mentions(context, name) for name in names) / len(names)
        else:
            row[_INDEX["key_names_present"]] = 1.0
        row[_INDEX["has_number"]] = float(any(len(x.rstrip("%")) >= 2 for x in found_numbers))
        row[_INDEX["first_in_chunk"]] = float(candidate.position == 0)
        row[_INDEX["same_source_as_best_lexical"]] = float(candidate.source_id == best_lexical_source)
        date = dates.get(candidate.source_id, "")
        if len(date) >= 7:
            row[_INDEX["source_date_match"]] = float(any(same_date(s.text, date) for s in spans_of(candidate.text,
                                                                                                  "date")))
        row[_INDEX["issued_date_match"]] = row[_INDEX["source_date_match"]] * row[_INDEX["asks_issued"]]
        if part.kind == "definition":
            row[_INDEX["defines_asked_term"]] = defines_asked_term(candidate, part)
        if part_bigrams and not candidate.cjk:
            row[_INDEX["bigram_overlap"]] = len(part_bigrams & _bigrams(tokenize(candidate.text))) / len(part_bigrams)
        if rarest is not None:
            row[_INDEX["rarest_term"]] = float(rarest in candidate.tokens)
        relation_here = relation_terms.get(candidate.source_id)
        if relation_here:
            row[_INDEX["relation_present"]] = len(relation_here & candidate.tokens) / len(relation_here)
        row[_INDEX["section_match"]] = sections.get(candidate.chunk_id, 0.0)
        row[_INDEX["chunk_lexical"]] = chunk_cover.get(candidate.chunk_id, 0.0)
        if actors:
            row[_INDEX["actor_subject"]] = float(_acts(actors, candidate.text))
    return rows


PART_FEATURES = (
    "best_score", "best_share", "second_share", "asks_type", "typed_best", "best_type_present", "best_type_near",
    "best_focus",
    "best_lexical", "best_semantic", "best_key_names", "unknown_words", "best_in_named_doc", "question_names_doc",
    "type_share_top5", "question_zh", "typed_focus_support", "typed_lexical_support", "max_key_names", "max_focus",
    "eligible_typed", "eligible_counted", "eligible_strict", "typed_window_focus", "best_crosses_language",
    "names_missing", "any_name_missing", "focus_union_coverage", "missing_focus_weight", "missing_focus_share",
)
"""Features of a part as a whole, from its candidates' rows and scores: what the confidence is calibrated on."""
TOP = 5
SCAN = 14
"""How many of the best-scored candidates are searched for one holding the asked fact near the focus."""
TOP_RANKED = 3
RELEVANT = 0.3
"""A candidate holding the asked type of fact supports the part when it is among the three best-scored, or holds
this share of the part's focus (or terms)."""


RELEVANT_ACROSS = 0.15
"""The same for a sentence in the other language, matched term by term through the bilingual table."""


def relevant(row: np.ndarray) -> float:
    """The focus share a candidate row needs to count as on the part's topic."""
    return RELEVANT_ACROSS if row[_INDEX["crosses_language"]] > 0 else RELEVANT


def softmax(scores: np.ndarray) -> np.ndarray:
    """Each score's share of the part: ``exp(score)`` over the sum of every candidate's."""
    if len(scores) == 0:
        return scores
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()


CONTEXT_FEATURES = ("names_missing", "any_name_missing", "focus_union_coverage", "missing_focus_weight",
                    "missing_focus_share")
"""Part features measured on the passages as a whole (:func:`passage_context`), not on candidate rows."""


def passage_context(part: Part, analysis: QuestionAnalysis, passages: Sequence[Passage],
                    idf: Callable[[str], float], translations: dict[str, list[str]] | None = None) -> np.ndarray:
    """The :data:`CONTEXT_FEATURES` of a part: names the passages lack, and how much of the focus they cover at all.

    A name or code the question is about ("H20", "Seoul AI Summit") that no passage, title or
    publisher mentions means the passages are about something else; the author a question
    names a document by ("Biden's AI order") is not such a name. A focus word counts as covered
    by a passage in the other language holding one of its ``translations``.
    """
    context = "\n".join(f"{p.meta.title} {' '.join(p.meta.aliases)} {p.meta.publisher} {p.meta.date} {p.chunk.text}"
                        for p in passages).lower()
    names = [n for n in analysis.key_names if not n.isdigit() and n not in analysis.authors]
    missing = [n for n in names if not mentions(context, n)]
    union: set[str] = set()
    for passage in passages:
        union |= content_tokens(passage.chunk.embed_text)
    focus = part.focus_terms
    translations = translations or {}

    def found(token: str) -> bool:
        return token in union or any(word in context for word in translations.get(token, ()))

    covered = sum(idf(t) for t in focus if found(t)) / (sum(idf(t) for t in focus) or 1.0) if focus else 1.0
    absent = [t for t in focus if not found(t)]
    # The rarest word of the focus that no passage holds ("fine", "budget") is often exactly the asked fact.
    heaviest = max((idf(t) for t in focus), default=0.0)
    missing_weight = max((idf(t) for t in absent), default=0.0) / heaviest if heaviest else 0.0
    missing_share = len(absent) / len(focus) if focus else 0.0
    if part.focus_words:
        # A Chinese focus word counts as covered by an English passage holding one of its English words.
        def found_word(word: str) -> bool:
            return word in context or any(token in union for token in translations.get(word, ()))

        total = sum(len(w) for w in part.focus_words)
        covered = sum(len(w) for w in part.focus_words if found_word(w)) / total
        gone = [w for w in part.focus_words if not found_word(w)]
        missing_weight = max((len(w) for w in gone), default=0) / max(len(w) for w in part.focus_words)
        missing_share = len(gone) / len(part.focus_words)
    return np.array([len(missing) / len(names) if names else 0.0, float(bool(missing)), covered, missing_weight,
                     missing_share])


def part_summary(rows: np.ndarray, scores: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
    """One row of :data:`PART_FEATURES` for a part whose candidates have ``rows`` and selector ``scores``.

    ``scores`` are the candidate model's raw scores (logits); their softmax over the part's
    candidates is each candidate's share. ``context`` holds the part's :data:`CONTEXT_FEATURES`
    (:func:`passage_context`).
    """
    out = np.zeros(len(PART_FEATURES))
    if len(scores) == 0:
        return out
    order = np.argsort(-scores, kind="stable")
    best = int(order[0])
    top = order[:TOP]
    r = rows
    asks = r[best, _INDEX["asks_type"]]
    typed = r[:, _INDEX["type_present"]]
    shares = softmax(scores)
    values = {
        "best_score": float(scores[best]),
        "best_share": float(shares[best]),
        "second_share": float(shares[order[1]]) if len(order) > 1 else 0.0,
        "asks_type": asks,
        "typed_best": float(max((shares[i] for i in top if typed[i] > 0), default=0.0)) if asks else 1.0,
        "best_type_present": r[best, _INDEX["type_present"]] if asks else 1.0,
        "best_type_near": r[best, _INDEX["type_near_focus"]] if asks else 1.0,
        "best_focus": r[best, _INDEX["focus"]],
        "best_lexical": r[best, _INDEX["lexical"]],
        "best_semantic": r[best, _INDEX["semantic"]],
        "best_key_names": r[best, _INDEX["key_names_present"]],
        "unknown_words": r[best, _INDEX["unknown_words"]],
        "best_in_named_doc": r[best, _INDEX["in_named_doc"]],
        "question_names_doc": r[best, _INDEX["question_names_doc"]],
        "type_share_top5": float(np.mean(typed[top])) if asks else 1.0,
        "question_zh": r[best, _INDEX["question_zh"]],
        "typed_focus_support": float(np.max(r[:, _INDEX["focus"]] * r[:, _INDEX["type_near_focus"]] * typed))
        if asks else 1.0,
        "typed_lexical_support": float(np.max(r[:, _INDEX["lexical"]] * typed)) if asks else 1.0,
        "max_key_names": float(np.max(r[:, _INDEX["key_names_present"]])),
        "max_focus": float(np.max(r[:, _INDEX["focus"]])),
        "eligible_typed": float(any(
            typed[i] > 0 and r[i, _INDEX["key_names_present"]] >= 1.0
            and (rank < TOP_RANKED or max(r[i, _INDEX["focus"]], r[i, _INDEX["lexical"]]) >= relevant(r[i]))
            for rank, i in enumerate(order[:SCAN]))) if asks else 1.0,
        "eligible_strict": float(any(
            typed[i] > 0 and r[i, _INDEX["key_names_present"]] >= 1.0
            and max(r[i, _INDEX["focus"]], r[i, _INDEX["lexical"]]) >= relevant(r[i]) for i in order[:SCAN]))
        if asks else 1.0,
        "typed_window_focus": float(max((r[i, _INDEX["span_window_focus"]] for i in order[:SCAN] if typed[i] > 0),
                                        default=0.0)) if asks else 1.0,
        "best_crosses_language": r[best, _INDEX["crosses_language"]],
        "eligible_counted": float(any(
            typed[i] > 0 and r[i, _INDEX["counts_asked_noun"]] != 0.0
            and (rank < TOP_RANKED or max(r[i, _INDEX["focus"]], r[i, _INDEX["lexical"]]) >= relevant(r[i]))
            for rank, i in enumerate(order[:SCAN]))) if asks else 1.0,
    }
    for name, value in zip(CONTEXT_FEATURES, context if context is not None else np.zeros(len(CONTEXT_FEATURES)),
                           strict=True):
        values[name] = float(value)
    for i, name in enumerate(PART_FEATURES):
        out[i] = values[name]
    return out
