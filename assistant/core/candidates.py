"""Candidate sentences: every quotable sentence of the retrieved passages, and how each matches each part.

:func:`candidate_pool` lists the sentences of the passages once (a sentence in two
overlapping chunks counts once), their quote starting after list markers and
datelines ("(k) ", "WASHINGTON, D.C.— ") so offsets still point at the stored text.
A sentence whose ingest-time role says it is not answer text (a heading, a table
row, a footnote, a bibliography entry) is left out unless the question asks for
that role; preambles, recitals, boilerplate and signatures stay in, marked by
their role, for the selector to weigh. :func:`match_part` measures each candidate
against one part of the question: IDF-weighted coverage of the part's terms,
coverage of its focus and embedding similarity (ingest-time sentence vectors).
These are features; :mod:`assistant.core.selector` decides.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.evidence import Idf, content_tokens, coverage, display_text, looks_like_instruction, strip_markers
from assistant.models import Passage
from assistant.retrieval.crosslingual import BilingualTable, chinese_terms
from ingest.embed import embed_query_cached
from ingest.models import Chunk
from ingest.roles import NOT_QUOTED
from ingest.sentence_vectors import SpanVectors

MAX_SENTENCE = 800
MAX_EMBEDDED = 16
"""Candidates without an ingest-time vector that are embedded now (the lexically best ones)."""
FOCUS_BOOST = 3.0
"""Weight of the user's own words over the context a follow-up borrows from the history."""
KEPT_ROLES = frozenset({"preamble", "recital", "boilerplate", "signature"})
"""Non-answer roles kept as candidates (the selector weighs them): a date in a dateline, a signer."""
_PREFIX = re.compile(
    r"^(?:\s*(?:[-•*▪●◦]|\((?:[a-zA-Z]{1,3}|\d{1,2})\)|[a-z]\)|\d{1,2}\))\s+)+|"
    r"^[A-Z][A-Z .,]{2,40}(?:—|–|--)\s*|^(?:#{1,6}\s+)|^[A-Z][A-Z ,'&/-]{3,60}:\s+(?=[A-Z])"
)
_EMPTY_LEAD_IN = re.compile(r"\b(?:as follows|the following)\b|(?:includes?|including|are|is|namely)\s*[:：]$", re.I)
_CJK_LEAD_IN = re.compile(r"(?:如下|以下)[:：。]?$")
_CLAUSE_BREAK = re.compile(r"[;；]\s+|,\s*\n(?=\s*[a-z])|,\s+(?=(?:and|as well as|including|while|whereas)\s)")
LEAD_IN_MIN_WORDS = 15


@dataclass
class Candidate:
    """A quotable sentence of a retrieved passage; ``start``/``end`` are offsets into the chunk's text."""

    passage_rank: int
    chunk_id: str
    source_id: str
    country: str
    start: int
    end: int
    text: str
    role: str
    cjk: bool
    tokens: frozenset[str]
    position: int = 0
    """The sentence's order among its chunk's sentences."""

    @property
    def lead_in(self) -> bool:
        """The sentence ends in a colon: its substance is in the items after it."""
        return self.text.rstrip().endswith((":", "："))


@dataclass
class PartMatch:
    """How every candidate matches one part of the question (arrays in candidate order)."""

    lexical: np.ndarray
    focus: np.ndarray
    semantic: np.ndarray
    matched: list[dict[str, float]] = field(default_factory=list)
    """Per candidate: the part's terms it holds, with their share of the part's weight."""
    within_source: np.ndarray | None = None
    """Coverage of the part's terms weighted by how rare each is among its own source's candidates: what sets a
    sentence apart from the rest of its document (the topic words every sentence of it shares weigh little)."""


PREFIX = 5
PREFIX_CREDIT = 0.8
"""A term held only as another form of the word (same first five letters: "registration" / "register") counts 0.8."""


def held(term: str, tokens: frozenset[str], prefixes: frozenset[str]) -> float:
    """How much of ``term`` a sentence with these tokens holds: 1 as such, 0.8 as another form of the word, else 0."""
    if term in tokens:
        return 1.0
    if len(term) >= PREFIX and term.isascii() and term[:PREFIX] in prefixes:
        return PREFIX_CREDIT
    return 0.0


def soft_coverage(terms: set[str], tokens: frozenset[str], weight: Callable[[str], float]) -> float:
    """Weighted share of ``terms`` a sentence holds, other forms of a word counting 0.8 (see :func:`held`)."""
    total = sum(weight(t) for t in terms)
    if total <= 0:
        return 0.0
    prefixes = frozenset(t[:PREFIX] for t in tokens if len(t) >= PREFIX)
    return sum(weight(t) * held(t, tokens, prefixes) for t in terms) / total


def _trim(text: str, start: int, end: int) -> int:
    match = _PREFIX.match(text[start:end])
    return start + match.end() if match and match.end() < end - start else start


def _empty_lead_in(plain: str, cjk: bool) -> bool:
    if cjk and _CJK_LEAD_IN.search(plain):
        return True
    if plain[-1] not in ":：":
        return False
    if not cjk and len(plain.split()) < LEAD_IN_MIN_WORDS:
        return True
    match = _EMPTY_LEAD_IN.search(plain)
    return match is not None and (cjk or len(plain[: match.start()].split()) < LEAD_IN_MIN_WORDS)


def _spans(chunk: Chunk) -> list[tuple[int, int, str]]:
    """Sentence spans with roles; a sentence longer than :data:`MAX_SENTENCE` is cut at clause breaks."""
    roles = chunk.sentences or tuple((s, e, "body") for s, e in chunk.sentence_spans())
    spans: list[tuple[int, int, str]] = []
    for start, end, role in roles:
        if end - start <= MAX_SENTENCE:
            spans.append((start, end, role))
            continue
        piece = start
        for match in _CLAUSE_BREAK.finditer(chunk.text, start, end):
            if match.start() - piece >= 80:
                spans.append((piece, match.start() + 1, role))
                piece = match.end()
        if end > piece:
            spans.append((piece, end, role))
    return spans


def _usable(plain: str, role: str, allowed: frozenset[str], cjk: bool) -> bool:
    if role in NOT_QUOTED and role not in allowed and role not in KEPT_ROLES:
        return False
    short = 8 if cjk or role in ("signature", "boilerplate") else 25
    if len(plain) < short or len(plain) > MAX_SENTENCE:
        return False
    if looks_like_instruction(plain) or re.search(r"https?://|www\.", plain):
        return False
    if not cjk and plain[-1] not in '.;:!?")”’' and len(plain.split()) < 8 and role not in allowed | KEPT_ROLES:
        return False
    return not _empty_lead_in(plain, cjk)


def candidate_pool(passages: Sequence[Passage], analysis: QuestionAnalysis) -> list[Candidate]:
    """Every usable sentence of ``passages`` once, in passage order.

    Args:
        passages: the retrieved passages, best first.
        analysis: the question (which non-answer roles it asks for).
    """
    pool: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for rank, passage in enumerate(passages):
        text = passage.chunk.text
        for position, (start, end, role) in enumerate(_spans(passage.chunk)):
            start = _trim(text, start, end)
            plain = display_text(strip_markers(text[start:end]))
            cjk = bool(re.search(r"[\u4e00-\u9fff]", plain))
            if not plain or not _usable(plain, role, analysis.allowed_roles, cjk):
                continue
            key = (passage.chunk.source_id, plain)
            if key in seen:
                continue
            seen.add(key)
            tokens = content_tokens(plain)
            if role == "signature":
                tokens |= {"sign", "signatur"}  # a signature line says "signed by" without the words
            pool.append(Candidate(rank, passage.chunk_id, passage.chunk.source_id, passage.meta.country, start, end,
                                  plain, role, cjk, frozenset(tokens), position))
    return pool


def match_part(
    part: Part,
    pool: Sequence[Candidate],
    passages: Sequence[Passage],
    idf: Idf,
    embeddings: Embeddings,
    *,
    own_words: frozenset[str] = frozenset(),
    bilingual: BilingualTable | None = None,
    sentence_vectors: Callable[[Sequence[Chunk]], dict[str, SpanVectors]] | None = None,
    question_zh: bool = False,
) -> PartMatch:
    """Lexical, focus and semantic match of every candidate to ``part``.

    Args:
        part: one part of the analysed question.
        pool: the candidates (:func:`candidate_pool`).
        passages: the passages the candidates come from (for ingest-time sentence vectors).
        idf: term weights of the library.
        embeddings: the embedding model (the part's vector; candidates without a stored vector).
        own_words: the tokens of the user's own words when the part borrows context from the history (weighted up).
        bilingual: the library's term table, to match a sentence in the question's other language.
        sentence_vectors: looks up ingest-time sentence vectors of chunks.
        question_zh: whether the question is written in Chinese.
    """
    terms = set(part.terms)
    zh_terms = terms | content_tokens(chinese_terms(part.text))
    local_df = Counter(t for c in pool for t in c.tokens & zh_terms)
    n = len(pool)
    boosted = own_words

    def weight(token: str) -> float:
        boost = FOCUS_BOOST if token in boosted else 1.0
        return boost * idf(token) * math.log(1 + n / (1 + local_df.get(token, 0)))

    totals = {False: sum(weight(t) for t in terms) or 1.0, True: sum(weight(t) for t in zh_terms) or 1.0}
    focus_terms = set(part.focus_terms)
    zh_focus = focus_terms | content_tokens(chinese_terms(part.focus))
    across = _cross_lingual(part, terms, weight, idf, bilingual, question_zh) if bilingual is not None else None
    lexical = np.zeros(n)
    focus = np.zeros(n)
    matched: list[dict[str, float]] = []
    for i, candidate in enumerate(pool):
        wanted = zh_terms if candidate.cjk else terms
        crossing = across is not None and candidate.cjk != question_zh
        lexical[i] = across(candidate.text, candidate.tokens) if crossing and across else soft_coverage(
            wanted, candidate.tokens, weight)
        matched.append({t: weight(t) / totals[candidate.cjk] for t in wanted & candidate.tokens})
        if crossing:
            focus[i] = lexical[i]
        elif candidate.cjk and part.focus_words:
            total = sum(len(w) for w in part.focus_words)
            focus[i] = sum(len(w) for w in part.focus_words if w in candidate.text) / total
        else:
            wanted_focus = zh_focus if candidate.cjk else focus_terms
            focus[i] = coverage(wanted_focus, candidate.tokens, idf) if wanted_focus else lexical[i]
    semantic = _similarities(part.text, pool, passages, embeddings, lexical, sentence_vectors)
    return PartMatch(lexical, focus, semantic, matched, _within_source(pool, terms, zh_terms))


def _within_source(pool: Sequence[Candidate], terms: set[str], zh_terms: set[str]) -> np.ndarray:
    by_source: dict[str, list[int]] = {}
    for i, candidate in enumerate(pool):
        by_source.setdefault(candidate.source_id, []).append(i)
    out = np.zeros(len(pool))
    for members in by_source.values():
        m = len(members)
        for i in members:
            wanted = zh_terms if pool[i].cjk else terms
            df = Counter(t for j in members for t in pool[j].tokens & wanted)

            def rarity(token: str, df: Counter[str] = df, m: int = m) -> float:
                return math.log(1 + m / (1 + df.get(token, 0)))

            out[i] = soft_coverage(wanted, pool[i].tokens, rarity)
    return out


def _cross_lingual(
    part: Part, terms: set[str], weight: Callable[[str], float], idf: Idf, table: BilingualTable, question_zh: bool
) -> Callable[[str, frozenset[str]], float]:
    """Coverage of the part by a sentence in the other language, term by term through the bilingual table."""
    if question_zh:
        english = content_tokens(table.to_english(part.text))

        def zh_question(text: str, tokens: frozenset[str]) -> float:
            return coverage(english, tokens, idf) if english else 0.0

        return zh_question
    pairs = dict(table.pairs_in(part.text))
    total = sum(weight(t) for t in terms) or 1.0

    def en_question(text: str, tokens: frozenset[str]) -> float:
        covered = sum(weight(t) for t in terms if t in tokens or any(w in text for w in pairs.get(t, [])))
        return min(1.0, covered / total)

    return en_question


def _similarities(
    text: str,
    pool: Sequence[Candidate],
    passages: Sequence[Passage],
    embeddings: Embeddings,
    lexical: np.ndarray,
    sentence_vectors: Callable[[Sequence[Chunk]], dict[str, SpanVectors]] | None,
) -> np.ndarray:
    """Cosine similarity of each candidate to ``text`` (stored sentence vectors; at most 16 embedded now)."""
    out = np.zeros(len(pool))
    if not pool:
        return out
    query = np.asarray(embed_query_cached(embeddings, text))
    vectors: dict[int, np.ndarray] = {}
    if sentence_vectors is not None:
        wanted = {c.chunk_id for c in pool}
        stored = sentence_vectors([p.chunk for p in passages if p.chunk_id in wanted])
        for i, c in enumerate(pool):
            spans = stored.get(c.chunk_id, {})
            vector = spans.get((c.start, c.end))
            if vector is None:
                vector = next((v for (a, b), v in spans.items() if a <= c.start and c.end <= b), None)
            if vector is not None:
                vectors[i] = vector
    missing = sorted((i for i in range(len(pool)) if i not in vectors), key=lambda i: -lexical[i])[:MAX_EMBEDDED]
    if missing:
        for i, row in zip(missing, embeddings.embed_documents([pool[i].text for i in missing]), strict=True):
            vectors[i] = np.asarray(row)
    for i, vector in vectors.items():
        out[i] = float(np.asarray(vector) @ query)
    return out
