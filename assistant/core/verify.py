"""Verification: every sentence of a draft is matched to passage text that supports it.

A sentence is supported by a retrieved passage when its terms are covered
(IDF-weighted) by the passage and every number and name it states appears
there; its citation quotes the passage's best-matching sentence verbatim,
with offsets into the source's stored text. Unsupported sentences are dropped
(or kept and marked when a raw draft is asked for), repeats are removed, and
markers are numbered in order of first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.evidence import (
    Idf,
    content_tokens,
    coverage,
    display_text,
    looks_like_instruction,
    missing_facts,
    strip_markers,
)
from assistant.models import Citation, Draft, DraftSentence, Passage
from ingest.sentences import split_sentences

MIN_COVERAGE = 0.6
MIN_COVERAGE_WITH_SIMILARITY = 0.4
MIN_SIMILARITY = 0.7
UNSUPPORTED_TAG = "[unsupported]"
MIN_FREE_FORM_TOKENS = 3


@dataclass
class Support:
    """Where a draft sentence is supported: the passage and the quoted span in its chunk."""

    passage: Passage
    start: int
    end: int
    coverage: float


@dataclass
class VerifiedAnswer:
    """The verified answer text, its citations, and how many draft sentences were dropped."""

    text: str
    citations: list[Citation]
    dropped: int
    kept: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    """Each kept line with the part of the question its draft sentence answers."""


def _best_quote(sentence_tokens: frozenset[str], passage: Passage, idf: Idf) -> tuple[int, int, float]:
    """The span of the passage sentence (or adjacent pair) that covers the claim best."""
    text = passage.chunk.text
    spans = split_sentences(text) or [(0, len(text))]
    best = (spans[0][0], spans[0][1], -1.0)
    for i, (start, end) in enumerate(spans):
        for stop in (end, spans[i + 1][1] if i + 1 < len(spans) else end):
            score = coverage(sentence_tokens, content_tokens(text[start:stop]), idf)
            if score > best[2] + 1e-9:
                best = (start, stop, score)
    return best


def find_support(
    sentence: str, passages: list[Passage], idf: Idf, similarity: np.ndarray | None = None
) -> Support | None:
    """The passage that best supports ``sentence``, or None.

    Args:
        sentence: a draft sentence without markers.
        passages: the retrieved passages (the only things that may be cited).
        idf: term weights.
        similarity: optional cosine similarity of the sentence to each passage.
    """
    tokens = content_tokens(sentence)
    if not tokens:
        return None
    best: Support | None = None
    for i, passage in enumerate(passages):
        passage_cover = coverage(tokens, content_tokens(passage.chunk.text), idf)
        sim = float(similarity[i]) if similarity is not None else 0.0
        if passage_cover < MIN_COVERAGE and not (
            passage_cover >= MIN_COVERAGE_WITH_SIMILARITY and sim >= MIN_SIMILARITY
        ):
            continue
        if missing_facts(sentence, passage.chunk.text):
            continue
        start, end, _ = _best_quote(tokens, passage, idf)
        if best is None or passage_cover > best.coverage:
            best = Support(passage, start, end, passage_cover)
    return best


def _citation(marker: int, passage: Passage, start: int, end: int) -> Citation:
    chunk, meta = passage.chunk, passage.meta
    return Citation(
        marker=marker,
        source_id=meta.id,
        title=meta.title,
        publisher=meta.publisher,
        country=meta.country,
        date=meta.date,
        url=meta.original_url,
        page=chunk.page,
        chunk_id=chunk.chunk_id,
        quote=chunk.text[start:end],
        start=chunk.start + start,
        end=chunk.start + end,
    )


def verify_draft(
    draft: Draft,
    passages: list[Passage],
    idf: Idf,
    embeddings: Embeddings | None = None,
    *,
    question: str = "",
    keep_unsupported: bool = False,
) -> VerifiedAnswer:
    """Check a draft sentence by sentence and attach numbered citations.

    A free-form (LLM) sentence must also be on the question's topic (share a
    term with it), be more than a fragment, and not be an instruction echoed
    from a document; extractive sentences were chosen for the question already.

    Args:
        draft: the generator's sentences (extractive ones already name their chunk span).
        passages: retrieved passages; citations can only point at these.
        idf: term weights for coverage.
        embeddings: when given, embedding similarity can rescue paraphrases.
        question: the standalone question, for the topic check of free-form sentences.
        keep_unsupported: keep unsupported sentences, tagged ``[unsupported]``.

    Returns:
        The answer text with [n] markers, the citations, and counts.
    """
    by_id = {p.chunk_id: p for p in passages}
    question_tokens = content_tokens(question)
    markers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    lines: list[str] = []
    parts: list[int] = []
    seen: list[frozenset[str]] = []
    dropped = 0
    free_form = [s for s in draft.sentences if s.chunk_id is None]
    similarity: dict[int, np.ndarray] = {}
    if embeddings is not None and free_form and passages:
        vectors = np.asarray(embeddings.embed_documents([strip_markers(s.text) for s in free_form]))
        passage_vectors = np.asarray(embeddings.embed_documents([p.chunk.text for p in passages]))
        for sentence, row in zip(free_form, vectors @ passage_vectors.T, strict=True):
            similarity[id(sentence)] = row

    for sentence in draft.sentences:
        text = display_text(strip_markers(sentence.text))
        tokens = content_tokens(text)
        if not tokens or (not sentence.derived and any(len(tokens & o) / len(tokens | o) > 0.8 for o in seen)):
            continue  # empty or a repeat (a lead and the sentence it comes from may share most words)
        support = _known_support(sentence, by_id)
        if support is None and _acceptable_free_form(text, tokens, question_tokens):
            support = find_support(text, passages, idf, similarity.get(id(sentence)))
        if support is None:
            dropped += 1
            if keep_unsupported:
                lines.append(f"{text} {UNSUPPORTED_TAG} ")
                parts.append(sentence.part)
            continue
        key = (support.passage.chunk_id, support.start, support.end)
        if key not in markers:
            markers[key] = len(markers) + 1
            citations.append(_citation(markers[key], support.passage, support.start, support.end))
        seen.append(tokens)
        prefix = f"{sentence.prefix} " if sentence.prefix else ""
        lines.append(f"{prefix}{text} [{markers[key]}]" + ("\n\n" if sentence.break_after else " "))
        parts.append(sentence.part)
    kept = len(lines) - (dropped if keep_unsupported else 0)
    return VerifiedAnswer("".join(lines).strip(), citations, dropped, kept, list(zip(parts, lines, strict=True)))


def _acceptable_free_form(text: str, tokens: frozenset[str], question_tokens: frozenset[str]) -> bool:
    """An LLM sentence worth checking: on topic, not a fragment, not an echoed instruction."""
    return free_form_problem(text, tokens, question_tokens) is None


def free_form_problem(text: str, tokens: frozenset[str], question_tokens: frozenset[str]) -> str | None:
    """Why an LLM sentence is not worth checking against the passages (None: check it).

    Args:
        text: the sentence without markers.
        tokens: its content tokens.
        question_tokens: the standalone question's content tokens.
    """
    if looks_like_instruction(text):
        return "reads as an instruction, not an answer"
    if len(tokens) < MIN_FREE_FORM_TOKENS:
        return "too short to check"
    if question_tokens and not tokens & question_tokens:
        return "off the question's topic (shares no term with it)"
    return None


def cite(marker: int, support: Support) -> Citation:
    """The numbered citation for a supported sentence: the quoted span and its offsets in the stored text."""
    return _citation(marker, support.passage, support.start, support.end)


def _known_support(sentence: DraftSentence, by_id: dict[str, Passage]) -> Support | None:
    """An extractive sentence cites its own span, if that span really is in a retrieved chunk."""
    if sentence.chunk_id is None or sentence.start is None or sentence.end is None:
        return None
    passage = by_id.get(sentence.chunk_id)
    if passage is None or not (0 <= sentence.start < sentence.end <= len(passage.chunk.text)):
        return None
    quoted = display_text(strip_markers(passage.chunk.text[sentence.start : sentence.end]))
    claim = display_text(strip_markers(sentence.text))
    if sentence.note:
        return Support(passage, sentence.start, sentence.end, 1.0)  # cited to the span, worded from the catalog
    if sentence.derived:
        # A lead built from the span: every content word and every number must be in it.
        if not content_tokens(claim) <= content_tokens(quoted) or missing_facts(claim, quoted):
            return None
    elif quoted != claim:
        return None
    return Support(passage, sentence.start, sentence.end, 1.0)


def answer_sentences(text: str) -> list[str]:
    """Split a verified answer back into its sentences, each ending with its [n] marker(s)."""
    return [s for s in re.split(r"(?<=\])\s+", text) if s.strip()]
