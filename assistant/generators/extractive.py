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
from dataclasses import dataclass

import numpy as np

from assistant.evidence import content_tokens, coverage, display_text, looks_like_instruction, numbers, strip_markers
from assistant.generators import GenerationInput, register
from assistant.models import Draft, DraftSentence
from assistant.settings import Settings
from ingest.sentences import split_sentences

MAX_SENTENCES = 5
MAX_PER_PASSAGE = 2
MAX_EMBEDDED_CANDIDATES = 16
NUMBER_BONUS = 0.1
FOCUS_BOOST = 3.0
# Lead-ins to a list ("... as follows:"), footnotes ("30 Executive Order 14306 ...") and references (URLs).
_NOT_AN_ANSWER = re.compile(r"(:|：)$|^\d{1,3}\s+[A-Z“\"]|https?://|www\.")
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
    wants_number = bool(_QUANTITY_QUESTION.search(data.question))
    spans: list[tuple[int, str, str, int, int, str, set[str]]] = []
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
            spans.append((rank, passage.chunk_id, passage.meta.country, start, end, plain, content_tokens(plain)))
    # Terms shared by every candidate name the topic; the rarer ones among them
    # are what distinguishes the sentence that answers (e.g. "take effect").
    local_df = Counter(t for *_, tokens in spans for t in tokens & query_tokens)
    n = len(spans)

    focus = content_tokens(data.focus) if data.focus else set()

    def weight(token: str) -> float:
        boost = FOCUS_BOOST if token in focus else 1.0
        return boost * data.idf(token) * math.log(1 + n / (1 + local_df.get(token, 0)))

    candidates: list[Candidate] = []
    for rank, chunk_id, country, start, end, plain, tokens in spans:
        lexical = coverage(query_tokens, tokens, weight)
        if wants_number and any(len(n.rstrip("%")) >= 2 for n in numbers(plain)):
            lexical = min(1.0, lexical + NUMBER_BONUS)
        candidates.append(Candidate(rank, chunk_id, country, start, end, plain, lexical))
    candidates.sort(key=lambda c: (-c.lexical, c.passage_rank))
    top = candidates[:MAX_EMBEDDED_CANDIDATES]
    if top:
        vectors = np.asarray(data.embeddings.embed_documents([c.text for c in top]))
        query = np.asarray(data.embeddings.embed_query(data.question))
        for candidate, similarity in zip(top, vectors @ query, strict=True):
            candidate.semantic = float(similarity)
    top.sort(key=lambda c: -c.score)
    data.scored_sentences = top
    return top


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
    for candidate in candidates:
        if len(chosen) == MAX_SENTENCES or candidate.score < 0.6 * best:
            break
        if per_passage.get(candidate.chunk_id, 0) >= MAX_PER_PASSAGE:
            continue
        if any(_near_duplicate(candidate.text, c.text) for c in chosen):
            continue
        chosen.append(candidate)
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
