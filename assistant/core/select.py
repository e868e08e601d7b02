"""The select stage: every candidate sentence scored for every part of the question, and each part's confidence.

:func:`select` runs between retrieval and generation. It lists the candidates of
the retrieved passages once (:func:`assistant.core.candidates.candidate_pool`),
measures them against each part, turns the measurements into features and the
features into the learned selector's probabilities, and ranks. A part's
confidence is the calibrated probability of its best candidate; the part is
answered when it reaches the model's threshold, and said to be unsupported
otherwise. The same selection serves every generator: the extractive composer
quotes from it, an LLM is asked only about the parts it supports, and the answer
reports each part's confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.core.candidates import Candidate, PartMatch, candidate_pool, match_part
from assistant.core.evidence import Idf
from assistant.core.features import part_features, passage_context, softmax
from assistant.core.selector import SelectorModel, load_model
from assistant.models import Passage
from assistant.retrieval.crosslingual import BilingualTable
from ingest.models import Chunk
from ingest.sentence_vectors import SpanVectors


@dataclass
class Ranked:
    """A candidate with the selector's probability that it answers the part, and how it matched."""

    candidate: Candidate
    p: float
    """The candidate's share of the part: the probability that it is the part's answering sentence."""
    lexical: float
    focus: float
    semantic: float
    matched: dict[str, float] = field(default_factory=dict)
    row: np.ndarray | None = field(default=None, repr=False)
    """Its feature row (kept for training and inspection)."""
    score: float = 0.0
    """The candidate model's raw score (the part's shares are its softmax)."""


@dataclass
class PartSelection:
    """One part's ranked candidates and the verdict on it."""

    part: Part
    ranked: list[Ranked]
    confidence: float
    """The calibrated rate at which parts scored alike were answered right."""
    supported: bool
    """The part model's score reached the answer threshold."""
    context: np.ndarray | None = field(default=None, repr=False)

    @property
    def best(self) -> Ranked | None:
        """The best-scored candidate, if any."""
        return self.ranked[0] if self.ranked else None

    def pool_of(self, source_id: str) -> list[Candidate]:
        """The part's candidates from one source."""
        return [r.candidate for r in self.ranked if r.candidate.source_id == source_id]

    def within(self, source_ids: frozenset[str] | set[str]) -> list[Ranked]:
        """The ranking restricted to candidates of ``source_ids`` (a comparison side)."""
        return [r for r in self.ranked if r.candidate.source_id in source_ids]


@dataclass
class Selection:
    """The select stage's result: the candidate pool and one :class:`PartSelection` per part."""

    pool: list[Candidate]
    parts: list[PartSelection]
    threshold: float
    model: SelectorModel = field(repr=False)

    @property
    def answered(self) -> bool:
        """Whether any part is supported."""
        return any(p.supported for p in self.parts)

    def confidence_of(self, ranked: Sequence[Ranked], context: np.ndarray | None = None) -> float:
        """The calibrated confidence of answering with the best of ``ranked`` (a subset, such as a side; 0 for none)."""
        rows = [r.row for r in ranked if r.row is not None]
        if not rows:
            return 0.0
        score = self.model.part_score(np.vstack(rows), np.array([r.score for r in ranked if r.row is not None]),
                                      context)
        return self.model.calibrate(score)


@dataclass
class PartRows:
    """One part's candidates measured and turned into feature rows (the selector's input)."""

    part: Part
    match: PartMatch
    rows: np.ndarray
    context: np.ndarray
    """The part's features measured on the passages as a whole (:func:`assistant.core.features.passage_context`)."""


def featurize(
    analysis: QuestionAnalysis,
    passages: Sequence[Passage],
    idf: Idf,
    embeddings: Embeddings,
    *,
    bilingual: BilingualTable | None = None,
    sentence_vectors: Callable[[Sequence[Chunk]], dict[str, SpanVectors]] | None = None,
) -> tuple[list[Candidate], list[PartRows]]:
    """The candidate pool of ``passages`` and, per part of ``analysis``, its feature rows.

    Args:
        analysis: the analysed question.
        passages: the retrieved passages, best first.
        idf: the library's term weights.
        embeddings: the embedding model.
        bilingual: the library's English–Chinese term table (cross-lingual matching).
        sentence_vectors: ingest-time sentence vectors of chunks.
    """
    pool = candidate_pool(passages, analysis)
    own_words = analysis.words if analysis.follow_up else frozenset()
    measured = []
    for part in analysis.parts:
        match = match_part(part, pool, passages, idf, embeddings, own_words=own_words, bilingual=bilingual,
                           sentence_vectors=sentence_vectors, question_zh=analysis.language == "zh")
        translations: dict[str, list[str]] = {}
        if bilingual is not None:
            translations = (dict(bilingual.pairs_in(part.focus)) if analysis.language == "en"
                            else {word: bilingual.english_of(word) for word in part.focus_words})
        measured.append(PartRows(part, match, part_features(part, analysis, pool, match, passages, idf),
                                 passage_context(part, analysis, passages, idf, translations)))
    return pool, measured


def select(
    analysis: QuestionAnalysis,
    passages: Sequence[Passage],
    idf: Idf,
    embeddings: Embeddings,
    *,
    bilingual: BilingualTable | None = None,
    sentence_vectors: Callable[[Sequence[Chunk]], dict[str, SpanVectors]] | None = None,
    model: SelectorModel | None = None,
) -> Selection:
    """Score every candidate of ``passages`` for every part of ``analysis``.

    Args:
        analysis: the analysed question.
        passages: the retrieved passages, best first.
        idf: the library's term weights.
        embeddings: the embedding model.
        bilingual: the library's English–Chinese term table (cross-lingual matching).
        sentence_vectors: ingest-time sentence vectors of chunks.
        model: the selector (default: the packaged model).

    Returns:
        The :class:`Selection`; a part with no candidates has confidence 0 and is unsupported.
    """
    model = model or load_model()
    pool, measured = featurize(analysis, passages, idf, embeddings, bilingual=bilingual,
                               sentence_vectors=sentence_vectors)
    parts = []
    for item in measured:
        if not pool:
            parts.append(PartSelection(item.part, [], 0.0, False))
            continue
        match, rows = item.match, item.rows
        raw = model.scores(rows)
        shares = softmax(raw)
        order = sorted(range(len(pool)), key=lambda i: (-round(float(raw[i]), 9), pool[i].passage_rank,
                                                        pool[i].start))
        ranked = [Ranked(pool[i], float(shares[i]), float(match.lexical[i]), float(match.focus[i]),
                         float(match.semantic[i]), match.matched[i], rows[i], float(raw[i])) for i in order]
        score = model.part_score(rows, raw, item.context)
        parts.append(PartSelection(item.part, ranked, model.calibrate(score), model.answers(score), item.context))
    return Selection(pool, parts, model.threshold, model)
