"""Candidate sentences of the retrieved passages, cleaned and scored against the question.

Every sentence of every retrieved chunk is a candidate unless its ingest-time
role says it is not answer text (a heading, a recital, a footnote, boilerplate
…, see :mod:`ingest.roles`) and the question does not ask for that role. A
candidate's quote starts after list markers and datelines ("(k) ",
"WASHINGTON, D.C.— "), so the offsets still point at the stored text.

Scores: IDF-weighted coverage of the question's terms (rarer terms among the
candidates count more, the user's own words in a follow-up count triple),
embedding similarity to the question (ingest-time sentence vectors), the
passage's rank, and coverage of the question's focus.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.crosslingual import chinese_terms
from assistant.evidence import content_tokens, coverage, display_text, looks_like_instruction, numbers, strip_markers
from assistant.generators import GenerationInput
from assistant.question import topic_query
from ingest.embed import embed_query_cached
from ingest.roles import NOT_QUOTED

MAX_EMBEDDED_CANDIDATES = 16
NUMBER_BONUS = 0.1
FOCUS_BOOST = 3.0
DOCUMENT_BONUS = 0.15
"""For a sentence of a document the question names ("Is the AI RMF mandatory?")."""
NUMBER_MATCH_BONUS = 0.15
"""For a sentence stating every number the question states ("targets for 2027")."""
YEAR_MATCH_BONUS = 0.1
LANGUAGE_BONUS = 0.1
"""For a sentence of a source dated in a year the question names."""
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|often|soon|quickly)|what (share|percentage|proportion|date|year|size|threshold|rate)|"
    r"when|which (year|date)|within how|deadline|by what)\b|多少|几|何时|什么时候|哪一年|比例|不少于|不低于",
    re.I,
)
_PREFIX = re.compile(
    r"^(?:\s*(?:[-•*▪●◦]|\((?:[a-zA-Z]{1,3}|\d{1,2})\)|[a-z]\)|\d{1,2}\))\s+)+|"
    r"^[A-Z][A-Z .,]{2,40}(?:—|–|--)\s*|^(?:#{1,6}\s+)|^[A-Z][A-Z ,'&/-]{3,60}:\s+(?=[A-Z])"
)
_EMPTY_LEAD_IN = re.compile(r"\b(?:as follows|the following)\b|(?:includes?|including|are|is|namely)\s*[:：]$", re.I)
_CJK_LEAD_IN = re.compile(r"(?:如下|以下)[:：。]?$")
LEAD_IN_MIN_WORDS = 15
_ROLE_REQUESTS = {
    "recital": re.compile(r"\b(recall|reaffirm|recogni[sz]e|preamb|recital|whereas|welcom|acknowledg)\w*", re.I),
    "reference": re.compile(
        r"\b(reference|bibliograph|cite[sd]?|citation|source list|works cited)\w*|参考文献|引用", re.I
    ),
    "footnote": re.compile(r"\bfootnote", re.I),
    "signature": re.compile(r"\b(sign(ed|ature)|contact)\b|签署|署名", re.I),
    "heading": re.compile(
        r"\b(heading|section title|title of (section|part|chapter)|table of contents)\b|标题|目录", re.I
    ),
    "preamble": re.compile(r"\b(authority|preamble|addressed to|memorandum for)\b", re.I),
}


@dataclass
class Candidate:
    """A sentence of a retrieved passage with its scores; ``start``/``end`` are offsets into the chunk text."""

    passage_rank: int
    chunk_id: str
    source_id: str
    country: str
    start: int
    end: int
    text: str
    role: str = "body"
    lexical: float = 0.0
    semantic: float = 0.0
    focus: float = 0.0
    """IDF-weighted share of the question's focus terms the sentence holds."""
    matched: dict[str, float] = field(default_factory=dict)
    """Question terms this sentence contains, with their share of the question's total weight."""
    cjk: bool = False

    bonus: float = 0.0
    semantic_weight: float = 0.35
    """Less for a Chinese question: the English-only embedding model's similarity is mostly noise there."""
    """From the question's own specifics: a document it names, a number or year it states."""

    @property
    def score(self) -> float:
        """Combined relevance used to rank sentences."""
        return (
            0.45 * self.lexical + self.semantic_weight * self.semantic + 0.1 * self.focus
            + 0.1 / (1 + self.passage_rank) + self.bonus
        )


def allowed_roles(question: str) -> set[str]:
    """The non-answer roles the question explicitly asks for ("what does the resolution recall?")."""
    return {role for role, pattern in _ROLE_REQUESTS.items() if pattern.search(question)}


def _trim(text: str, start: int, end: int) -> int:
    """The start of a sentence's content after list markers and a dateline."""
    match = _PREFIX.match(text[start:end])
    return start + match.end() if match and match.end() < end - start else start


def _is_empty_lead_in(plain: str, cjk: bool) -> bool:
    if cjk and _CJK_LEAD_IN.search(plain):
        return True
    if plain[-1] not in ":：":
        return False
    if not cjk and len(plain.split()) < LEAD_IN_MIN_WORDS:
        return True
    match = _EMPTY_LEAD_IN.search(plain)
    # "Companies developing … to provide … records regarding the following:" states an obligation itself.
    return match is not None and (cjk or len(plain[: match.start()].split()) < LEAD_IN_MIN_WORDS)


CJK_SEMANTIC_SHARE = 0.3
_SIGNATURE_TOKENS = frozenset({"sign", "signatur"})
MAX_SENTENCE = 800
_CLAUSE_BREAK = re.compile(r"[;；]\s+|,\s*\n(?=\s*[a-z])|,\s+(?=(?:and|as well as|including|while|whereas)\s)")


def _clauses_of_long(text: str, roles: Any) -> list[tuple[int, int, str]]:
    """Sentence spans, with a sentence longer than :data:`MAX_SENTENCE` cut at clause breaks.

    A resolution's paragraph ("Taking note of the efforts of the ITU, in partnership with 40 United
    Nations bodies, …") can run a thousand characters without a full stop; its clauses are quotable.
    """
    spans: list[tuple[int, int, str]] = []
    for start, end, role in roles:
        if end - start <= MAX_SENTENCE:
            spans.append((start, end, role))
            continue
        piece_start = start
        for match in _CLAUSE_BREAK.finditer(text, start, end):
            if match.start() - piece_start >= 80:
                spans.append((piece_start, match.start() + 1, role))
                piece_start = match.end()
        if end - piece_start > 0:
            spans.append((piece_start, end, role))
    return spans


def _usable(plain: str, role: str, allowed: set[str], cjk: bool) -> bool:
    if role in NOT_QUOTED and role not in allowed:
        return False
    short = 8 if cjk or role in ("signature", "boilerplate") else 25
    if len(plain) < short or len(plain) > MAX_SENTENCE:
        return False
    if looks_like_instruction(plain) or re.search(r"https?://|www\.", plain):
        return False
    if not cjk and plain[-1] not in '.;:!?")”’' and len(plain.split()) < 8 and role not in allowed:
        return False
    return not _is_empty_lead_in(plain, cjk)


RESERVE_ROLES = frozenset({"recital", "boilerplate", "signature", "preamble"})
"""Roles a factoid may fall back on when no body sentence states the fact (a date in a dateline, a
fact only the preamble of a resolution records, "Translator: …")."""


def candidate_sentences(data: GenerationInput) -> list[Candidate]:
    """Every usable sentence of the passages, scored; best first (cached on ``data``).

    Sentences of the :data:`RESERVE_ROLES` are left out unless the question asks for them
    (see :func:`reserve_sentences`).
    """
    return [c for c in _scored(data) if c.role not in RESERVE_ROLES or c.role in _allowed(data)]


def reserve_sentences(data: GenerationInput) -> list[Candidate]:
    """The scored sentences of :data:`RESERVE_ROLES` that :func:`candidate_sentences` leaves out, best first."""
    allowed = _allowed(data)
    return [c for c in _scored(data) if c.role in RESERVE_ROLES and c.role not in allowed]


def _allowed(data: GenerationInput) -> set[str]:
    allowed = allowed_roles(data.question)
    if data.analysis is not None and data.analysis.answer_type == "date":
        # "When was it signed / adopted?": the date under the signature or in the document's header.
        allowed |= {"signature", "boilerplate", "preamble"}
    return allowed


def _scored(data: GenerationInput) -> list[Candidate]:
    if data.scored_sentences is not None:
        return data.scored_sentences
    analysis = data.analysis
    allowed = allowed_roles(data.question) | RESERVE_ROLES
    asked = data.question
    if analysis is not None and analysis.kind == "comparison":
        asked = topic_query(asked)  # each side is one country's: "US and Chinese" would favour reports on both
    query_tokens = content_tokens(asked)
    if analysis is not None and analysis.search_terms:  # "mandatory?" is answered by "voluntary"; typos fixed
        query_tokens = {t for t in query_tokens if t not in dict(analysis.corrections)}
        query_tokens |= content_tokens(" ".join(analysis.search_terms))
    zh_query_tokens = query_tokens | content_tokens(chinese_terms(asked))
    wants_number = bool(_QUANTITY_QUESTION.search(data.question))
    raw: list[tuple[Candidate, set[str]]] = []
    seen: set[tuple[str, str]] = set()
    for rank, passage in enumerate(data.passages):
        text = passage.chunk.text
        roles = passage.chunk.sentences or tuple((s, e, "body") for s, e in passage.chunk.sentence_spans())
        for start, end, role in _clauses_of_long(text, roles):
            start = _trim(text, start, end)
            plain = display_text(strip_markers(text[start:end]))
            cjk = bool(re.search(r"[\u4e00-\u9fff]", plain))
            if not plain or not _usable(plain, role, allowed, cjk):
                continue
            key = (passage.chunk.source_id, plain)
            if key in seen:
                continue  # the same sentence in two overlapping chunks
            seen.add(key)
            candidate = Candidate(
                rank, passage.chunk_id, passage.chunk.source_id, passage.meta.country, start, end, plain, role, cjk=cjk
            )
            tokens = content_tokens(plain)
            if role == "signature":
                tokens |= _SIGNATURE_TOKENS  # a signature line says "signed by" without the words
            raw.append((candidate, tokens))
    local_df = Counter(t for c, tokens in raw for t in tokens & zh_query_tokens)
    n = len(raw)
    focus_boost = content_tokens(data.focus) if data.focus else set()

    def weight(token: str) -> float:
        boost = FOCUS_BOOST if token in focus_boost else 1.0
        return boost * data.idf(token) * math.log(1 + n / (1 + local_df.get(token, 0)))

    totals = {False: sum(weight(t) for t in query_tokens) or 1.0, True: sum(weight(t) for t in zh_query_tokens) or 1.0}
    named = set(analysis.doc_refs) if analysis is not None else set()
    asked_numbers = {x for x in numbers(data.question) if len(x) >= 2 and not re.fullmatch(r"(?:19|20)\d{2}", x)}
    for source_id in named:
        meta = data.metas.get(source_id)
        if meta is not None:  # "EO 14110" names the document; another one citing "14110" is no better for it
            asked_numbers -= numbers(f"{meta.title} {meta.aliases} {meta.id.replace('-', ' ')}")
    asked_years = set(re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", data.question))
    dated = {p.chunk.source_id: p.meta.date[:4] for p in data.passages}
    focus_terms = set(analysis.focus_terms) if analysis is not None else set()
    zh_focus = focus_terms | content_tokens(chinese_terms(analysis.focus)) if analysis is not None else set()
    candidates: list[Candidate] = []
    question_zh = bool(re.search(r"[\u4e00-\u9fff]", data.question))
    across = _cross_lingual_scorer(data, query_tokens, weight) if data.bilingual is not None else None
    for candidate, tokens in raw:
        wanted = zh_query_tokens if candidate.cjk else query_tokens
        crossing = across is not None and candidate.cjk != question_zh
        if across is not None and crossing:
            candidate.lexical = across(candidate.text, tokens)
        else:
            candidate.lexical = coverage(wanted, tokens, weight)
        if wants_number and any(len(x.rstrip("%")) >= 2 for x in numbers(candidate.text)):
            candidate.lexical = min(1.0, candidate.lexical + NUMBER_BONUS)
        candidate.matched = {t: weight(t) / totals[candidate.cjk] for t in wanted & tokens}
        focus = zh_focus if candidate.cjk else focus_terms
        if crossing:
            candidate.focus = candidate.lexical  # judged through the bilingual table, term by term
        elif candidate.cjk and analysis is not None and analysis.focus_words:
            candidate.focus = _word_coverage(analysis.focus_words, candidate.text)
        else:
            candidate.focus = coverage(focus, tokens, data.idf) if focus else candidate.lexical
        if candidate.source_id in named:
            candidate.bonus += DOCUMENT_BONUS
        if analysis is not None and candidate.cjk == (analysis.language == "zh"):
            candidate.bonus += LANGUAGE_BONUS  # quote in the question's language first
        if asked_numbers and asked_numbers <= numbers(candidate.text):
            candidate.bonus += NUMBER_MATCH_BONUS
        elif asked_years and dated.get(candidate.source_id) in asked_years:
            candidate.bonus += YEAR_MATCH_BONUS  # "where did they meet in nov 2023?": the 2023 readout
        candidates.append(candidate)
    _add_similarities(data, candidates)
    if question_zh:
        # The packaged embedding model is English-only: a Chinese question's similarity to any
        # sentence is mostly noise (high for every Chinese string), so it counts for little.
        for candidate in candidates:
            candidate.semantic_weight *= CJK_SEMANTIC_SHARE
    candidates.sort(key=lambda c: (-c.score, c.passage_rank, c.start))
    data.scored_sentences = candidates
    return candidates


def _cross_lingual_scorer(data: GenerationInput, query_tokens: set[str], weight: Any) -> Any:
    """Term-level coverage of a question by a sentence in the other language (via the bilingual table).

    An English question's tokens count as covered by a Chinese sentence when one of their
    Chinese words occurs in it (and names or numbers written alike occur too); a Chinese
    question's translated English tokens are matched against an English sentence's tokens.
    """
    table = data.bilingual
    if re.search(r"[\u4e00-\u9fff]", data.question):
        english = content_tokens(table.to_english(data.question))

        def zh_question(text: str, tokens: set[str]) -> float:
            return coverage(english, tokens, data.idf) if english else 0.0

        return zh_question
    pairs = dict(table.pairs_in(data.question))
    total = sum(weight(t) for t in query_tokens) or 1.0

    def en_question(text: str, tokens: set[str]) -> float:
        covered = 0.0
        for token in query_tokens:
            words = pairs.get(token, [])
            if token in tokens or any(word in text for word in words):
                covered += weight(token)
        return min(1.0, covered / total)

    return en_question


def _word_coverage(words: tuple[str, ...], text: str) -> float:
    """Share of the question's Chinese focus words found in ``text`` (longer words count more)."""
    total = sum(len(w) for w in words)
    return sum(len(w) for w in words if w in text) / total if total else 0.0


def _add_similarities(data: GenerationInput, candidates: list[Candidate]) -> None:
    """Cosine similarity of each candidate to the question.

    Ingest-time sentence vectors give every candidate a similarity for free; the
    best lexical candidates without one are embedded now (at most 16).
    """
    if not candidates:
        return
    query = np.asarray(embed_query_cached(data.embeddings, data.question))
    vectors: dict[int, np.ndarray] = {}
    if data.sentence_vectors is not None:
        wanted = {c.chunk_id for c in candidates}
        stored = data.sentence_vectors([p.chunk for p in data.passages if p.chunk_id in wanted])
        for i, c in enumerate(candidates):
            spans = stored.get(c.chunk_id, {})
            vector = spans.get((c.start, c.end))
            if vector is None:
                vector = _containing(spans, c.start, c.end)
            if vector is not None:
                vectors[i] = vector
    missing = sorted((i for i in range(len(candidates)) if i not in vectors), key=lambda i: -candidates[i].lexical)
    missing = missing[:MAX_EMBEDDED_CANDIDATES]
    if missing:
        fresh = data.embeddings.embed_documents([candidates[i].text for i in missing])
        for i, row in zip(missing, fresh, strict=True):
            vectors[i] = np.asarray(row)
    for i, found in vectors.items():
        candidates[i].semantic = float(np.asarray(found) @ query)


def _containing(spans: dict[tuple[int, int], np.ndarray], start: int, end: int) -> np.ndarray | None:
    """The vector of the stored sentence span that contains ``start:end`` (a candidate trimmed of its marker)."""
    for (a, b), vector in spans.items():
        if a <= start and end <= b:
            return vector
    return None
