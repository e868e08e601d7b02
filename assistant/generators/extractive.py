"""The default backend: an answer composed of the passages' own best sentences (no LLM).

Candidate sentences are scored by IDF-weighted term coverage of the question,
by embedding similarity to it, and by their passage's rank; the best few are
kept (at most two per passage, near-duplicates dropped, both countries kept
for comparisons) and put back in passage order. Deterministic and fast, and
every sentence is verbatim from a retrieved chunk.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from assistant.crosslingual import chinese_terms
from assistant.evidence import content_tokens, coverage, display_text, looks_like_instruction, numbers, strip_markers
from assistant.generators import GenerationInput, register
from assistant.models import Draft, DraftSentence
from assistant.settings import Settings
from ingest.embed import embed_query_cached
from ingest.sentences import split_sentences

MAX_SENTENCES = 5
MAX_PER_PASSAGE = 2
MAX_EMBEDDED_CANDIDATES = 16
NUMBER_BONUS = 0.1
FOCUS_BOOST = 3.0
COVERAGE_GAIN = 0.5
# Footnotes ("30 Executive Order 14306 ...") and references (URLs).
_NOT_AN_ANSWER = re.compile(r"^\d{1,3}\s+[A-Z“\"]|https?://|www\.")
# Empty lead-ins to a list ("... as follows:"). Longer lead-ins stay: in legal text they often
# carry the answer ("Within 90 days ..., under the Defense Production Act, the Secretary shall require:").
_EMPTY_LEAD_IN = re.compile(r"\b(?:as follows|the following)\b|(?:includes?|including|are|is|namely)\s*[:：]$", re.I)
LEAD_IN_MIN_WORDS = 15
_CJK_LEAD_IN = re.compile(r"(?:如下|以下)[:：。]?$")
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|often|soon|quickly)|what (share|percentage|proportion|date|year|size|threshold|rate)|"
    r"when|which (year|date)|within how|deadline|by what)\b|多少|几|何时|什么时候|哪一年|比例|不少于|不低于",
    re.I,
)
_HEADING_LIKE = re.compile(r"^(#|(Sec\.|Section|Article)\s*\d+[a-z]?\.?\s*\S{0,30}$|第.{1,5}[条章]\s*$)")


@dataclass
class Candidate:
    """A sentence of a retrieved passage with its scores."""

    passage_rank: int
    chunk_id: str
    country: str
    start: int
    end: int
    text: str
    lexical: float
    semantic: float = 0.0
    matched: dict[str, float] = field(default_factory=dict)
    """Question terms this sentence contains, with their share of the question's total weight."""

    @property
    def score(self) -> float:
        """Combined score used to pick sentences."""
        return 0.5 * self.lexical + 0.4 * self.semantic + 0.1 / (1 + self.passage_rank)


def candidate_sentences(data: GenerationInput) -> list[Candidate]:
    """Every usable sentence of the passages, scored; best first.

    Headings, fragments, very long runs and instruction-like text are skipped.
    The result is cached on ``data`` (the abstain gate and the generator share it).
    """
    if data.scored_sentences is not None:
        return data.scored_sentences
    query_tokens = content_tokens(data.question)
    # Chinese sentences are matched against the question's policy terms in Chinese as well.
    zh_query_tokens = query_tokens | content_tokens(chinese_terms(data.question))
    wants_number = bool(_QUANTITY_QUESTION.search(data.question))
    spans: list[tuple[int, str, str, int, int, str, set[str], bool]] = []
    for rank, passage in enumerate(data.passages):
        text = passage.chunk.text
        for start, end in split_sentences(text):
            plain = display_text(strip_markers(text[start:end]))
            cjk = bool(re.search(r"[\u4e00-\u9fff]", plain))
            if len(plain) < (12 if cjk else 40) or len(plain) > 700 or _HEADING_LIKE.match(plain):
                continue
            unterminated = plain[-1] not in '.;:!?")”’' and len(plain.split()) < 8
            if (not cjk and unterminated) or looks_like_instruction(plain) or _NOT_AN_ANSWER.search(plain):
                continue
            if _is_empty_lead_in(plain, cjk):
                continue
            spans.append((rank, passage.chunk_id, passage.meta.country, start, end, plain, content_tokens(plain), cjk))
    # Terms shared by every candidate name the topic; the rarer ones among them
    # are what distinguishes the sentence that answers (e.g. "take effect").
    local_df = Counter(t for *_, tokens, _cjk in spans for t in tokens & zh_query_tokens)
    n = len(spans)

    focus = content_tokens(data.focus) if data.focus else set()

    def weight(token: str) -> float:
        boost = FOCUS_BOOST if token in focus else 1.0
        return boost * data.idf(token) * math.log(1 + n / (1 + local_df.get(token, 0)))

    totals = {False: sum(weight(t) for t in query_tokens) or 1.0, True: sum(weight(t) for t in zh_query_tokens) or 1.0}
    candidates: list[Candidate] = []
    for rank, chunk_id, country, start, end, plain, tokens, cjk in spans:
        wanted = zh_query_tokens if cjk else query_tokens
        lexical = coverage(wanted, tokens, weight)
        if wants_number and any(len(n.rstrip("%")) >= 2 for n in numbers(plain)):
            lexical = min(1.0, lexical + NUMBER_BONUS)
        matched = {t: weight(t) / totals[cjk] for t in wanted & tokens}
        candidates.append(Candidate(rank, chunk_id, country, start, end, plain, lexical, matched=matched))
    candidates.sort(key=lambda c: (-c.lexical, c.passage_rank))
    top = candidates[:MAX_EMBEDDED_CANDIDATES]
    if top:
        for candidate, similarity in zip(top, _similarities(data, top), strict=True):
            candidate.semantic = similarity
    top.sort(key=lambda c: -c.score)
    data.scored_sentences = top
    return top


def _is_empty_lead_in(plain: str, cjk: bool) -> bool:
    if cjk and _CJK_LEAD_IN.search(plain):
        return True
    if plain[-1] not in ":：":
        return False
    return bool(_EMPTY_LEAD_IN.search(plain)) or (not cjk and len(plain.split()) < LEAD_IN_MIN_WORDS)


def _similarities(data: GenerationInput, candidates: list[Candidate]) -> list[float]:
    """Cosine similarity of each candidate sentence to the question.

    Uses the sentence vectors pooled at ingest when the service provides them
    (no model run); a sentence without one is embedded on its own.
    """
    query = np.asarray(embed_query_cached(data.embeddings, data.question))
    vectors: list[np.ndarray | None] = [None] * len(candidates)
    if data.sentence_vectors is not None:
        wanted = {c.chunk_id for c in candidates}
        stored = data.sentence_vectors([p.chunk for p in data.passages if p.chunk_id in wanted])
        vectors = [stored.get(c.chunk_id, {}).get((c.start, c.end)) for c in candidates]
    missing = [i for i, v in enumerate(vectors) if v is None]
    if missing:
        fresh = data.embeddings.embed_documents([candidates[i].text for i in missing])
        for i, vector in zip(missing, fresh, strict=True):
            vectors[i] = np.asarray(vector)
    return [float(np.asarray(v) @ query) for v in vectors]


def _new_coverage(candidate: Candidate, covered: set[str]) -> float:
    return sum(share for token, share in candidate.matched.items() if token not in covered)


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = content_tokens(a), content_tokens(b)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.7


def select_sentences(candidates: list[Candidate], comparison: bool) -> list[Candidate]:
    """Pick the answer sentences from scored candidates (best first in, passage order out)."""
    if not candidates:
        return []
    best = candidates[0].score
    chosen: list[Candidate] = []
    per_passage: dict[str, int] = {}
    covered: set[str] = set()
    # Eligible: close enough to the best. Among them, each pick favours sentences that add
    # question terms the answer does not cover yet (multi-part questions need several facts).
    pool = [c for c in candidates if c.score >= 0.6 * best]
    while pool and len(chosen) < MAX_SENTENCES:
        candidate = max(pool, key=lambda c: c.score + COVERAGE_GAIN * _new_coverage(c, covered))
        pool.remove(candidate)
        if per_passage.get(candidate.chunk_id, 0) >= MAX_PER_PASSAGE:
            continue
        if any(_near_duplicate(candidate.text, c.text) for c in chosen):
            continue
        chosen.append(candidate)
        covered.update(candidate.matched)
        per_passage[candidate.chunk_id] = per_passage.get(candidate.chunk_id, 0) + 1
    if comparison:
        for country in ("US", "CN"):
            if not any(c.country == country for c in chosen):
                side = [c for c in candidates if c.country == country and c.score >= 0.4 * best]
                if side:
                    if len(chosen) >= MAX_SENTENCES:
                        chosen.pop()
                    chosen.append(side[0])
    chosen.sort(key=lambda c: (c.passage_rank, c.start))
    return chosen


class ExtractiveGenerator:
    """Answers with verbatim sentences of the retrieved passages."""

    name = "extractive"

    def draft(self, data: GenerationInput) -> Draft:
        """Select and order the best supporting sentences."""
        chosen = select_sentences(candidate_sentences(data), data.comparison)
        return Draft(
            sentences=[DraftSentence(text=c.text, chunk_id=c.chunk_id, start=c.start, end=c.end) for c in chosen],
            generator=self.name,
        )

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the draft one sentence at a time."""
        for sentence in self.draft(data).sentences:
            yield sentence.text + " "


@register("extractive")
def _factory(settings: Settings) -> ExtractiveGenerator:
    return ExtractiveGenerator()
