"""Verifying a model's reply while it streams: cut it into sentences as they end, check each one at once.

:class:`SentenceSplitter` takes token pieces and hands back each sentence as
soon as the next one has started (or the reply ends), with the ``[n]`` markers
the model put after it. :class:`SentenceChecker` verifies one sentence against
the turn's passages with :func:`assistant.core.verify.find_support` (the same test
the whole-draft verifier applies) and numbers citations in order of first use
across the answer. The model's own ``[n]`` only says which passage to try
first; a sentence is released only with a citation the verifier found.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.evidence import Idf, content_tokens, coverage, display_text, looks_like_instruction, missing_facts
from assistant.core.verify import MIN_COVERAGE, Support, cite, find_support, free_form_problem
from assistant.models import Citation, Passage
from ingest.sentences import split_sentences

_MARKER_GROUP = re.compile(r"\s*\[\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*\]")
_LEADING_MARKERS = re.compile(r"^\s*(?:\[\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*\]\s*)+")
_GLUED_MARKER = re.compile(r"([.!?。！？])(\[\d)")
_PASSAGE_TAG = re.compile(r"</?\s*passage\b[^>]*>?", re.I)
_PARTIAL_MARKERS = re.compile(r"\s*(?:\[[\d\s,;–-]*\]?\s*)*")
_WORD = re.compile(r"\w")
# "The passages state that …", "According to passage 2, …", "The answer is: …": attribution, not a claim.
_LEAD_IN = re.compile(
    r"^(?:(?:the\s+)?(?:answer|short answer)\s+is\s*:?\s*(?=\S)|"
    r"according\s+to\s+(?:the\s+)?(?:passages?|documents?|sources?|text)(?:\s*\[?\d+\]?)?\s*,\s*|"
    r"(?:the\s+|both\s+)?(?:passages?|documents?|sources?|text)(?:\s*\[?\d+\]?)?\s+"
    r"(?:states?|says?|mentions?|notes?|shows?|indicates?|explains?|specif(?:y|ies))(?:\s+that)?\s*,?\s*)",
    re.I,
)
_TERMINAL = ".!?\"'”’)。！？"
REPEAT_OVERLAP = 0.8
CUT_OFF = "cut off at the reply's token limit"
REPEAT = "repeats an earlier sentence"


class SentenceSplitter:
    """Cuts a growing reply into sentences; a sentence is complete once the next one has begun."""

    def __init__(self) -> None:
        """Start with nothing buffered."""
        self.text = ""

    def feed(self, piece: str) -> list[str]:
        """Add a token piece; return the sentences it completed (raw, markers included)."""
        self.text += piece
        return self._drain(final=False)

    def finish(self) -> list[str]:
        """The reply ended: return what is left (the last sentence may be unterminated)."""
        return self._drain(final=True)

    def _drain(self, final: bool) -> list[str]:
        text = _GLUED_MARKER.sub(r"\1 \2", self.text)  # "launch.[1] The" must split like "launch. [1] The"
        spans = split_sentences(text)
        if not spans:
            self.text = "" if final else text
            return []
        cut = len(spans)
        if not final:
            cut -= 1  # the last span is still being written
            if cut and _PARTIAL_MARKERS.fullmatch(text[spans[-1][0]:]):
                cut -= 1  # only "[1" so far: those markers may still belong to the sentence before
        sentences: list[str] = []
        for start, end in spans[:cut]:
            segment = text[start:end]
            lead = _LEADING_MARKERS.match(segment)
            if lead and sentences:
                sentences[-1] += " " + lead.group().strip()
                segment = segment[lead.end():]
            if segment.strip():
                sentences.append(segment)
        consumed = spans[cut][0] if cut < len(spans) else len(text)
        lead = _LEADING_MARKERS.match(text[consumed:]) if sentences else None
        if lead and _WORD.search(_LEADING_MARKERS.sub("", text[consumed:])):
            sentences[-1] += " " + lead.group().strip()
            consumed += lead.end()
        self.text = "" if final else text[consumed:]
        return [" ".join(s.split()) for s in sentences]


@dataclass
class Outcome:
    """What became of one sentence: released with its citation, withheld with a reason, or skipped."""

    text: str
    released: str | None = None
    """The sentence as shown, ending in its ``[n]`` marker (None: not released)."""
    markers: list[int] = field(default_factory=list)
    new_citations: list[Citation] = field(default_factory=list)
    reason: str | None = None
    """Why it was withheld (None when released, or when it had no words to check)."""
    counts: bool = False
    """A verification failure (a claim the passages do not support, an echoed instruction), which counts
    against the model; an off-topic sentence, a fragment, a repeat or a cut-off tail is withheld without counting."""


def without_lead_in(text: str) -> str:
    """``text`` without an attribution lead-in ("The passages state that x" -> "X"): only the claim is checked."""
    match = _LEAD_IN.match(text)
    if not match or match.end() >= len(text):
        return text
    rest = text[match.end():]
    return rest[:1].upper() + rest[1:]


def model_markers(raw: str, n_passages: int) -> list[int]:
    """The passage numbers a model cited in ``raw`` ("[2]", "[1, 3]"), within 1..``n_passages``, in order."""
    numbers: list[int] = []
    for group in _MARKER_GROUP.findall(raw):
        for value in re.findall(r"\d+", group):
            if 1 <= int(value) <= n_passages and int(value) not in numbers:
                numbers.append(int(value))
    return numbers


class SentenceChecker:
    """Verifies sentences one at a time against the passages, numbering citations across the answer."""

    def __init__(self, passages: list[Passage], prompt_passages: list[Passage], idf: Idf,
                 embeddings: Embeddings | None, question: str) -> None:
        """Start checking; the passages' embeddings are computed in the background meanwhile.

        Args:
            passages: every retrieved passage (what may be cited).
            prompt_passages: the passages in the prompt, in order (what the model's ``[n]`` points at).
            idf: term weights.
            embeddings: for the similarity that rescues paraphrases (None: term coverage only).
            question: the standalone question (a sentence must share a term with it).
        """
        self.passages, self.prompt_passages, self.idf, self.embeddings = passages, prompt_passages, idf, embeddings
        self.question_tokens = content_tokens(question)
        self.citations: list[Citation] = []
        self.seconds = 0.0
        self._markers: dict[tuple[str, int, int], int] = {}
        self._seen: list[frozenset[str]] = []
        self._pool: ThreadPoolExecutor | None = None
        self._vectors: Future[np.ndarray] | None = None
        if embeddings is not None and passages:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policychat-verify")
            self._vectors = self._pool.submit(
                lambda: np.asarray(embeddings.embed_documents([p.chunk.text for p in passages])))

    def close(self) -> None:
        """Release the background worker."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def check(self, raw: str, cut_off: bool = False) -> Outcome:
        """Verify one sentence of the reply.

        Args:
            raw: the sentence as the model wrote it (markers and tags included).
            cut_off: it is the last piece of a reply that hit the token limit.
        """
        started = time.perf_counter()
        try:
            return self._check(raw, cut_off)
        finally:
            self.seconds += time.perf_counter() - started

    def _check(self, raw: str, cut_off: bool) -> Outcome:
        text = without_lead_in(display_text(_MARKER_GROUP.sub("", _PASSAGE_TAG.sub(" ", raw))).strip())
        tokens = content_tokens(text)
        if not tokens:
            return Outcome(text)
        if cut_off and text[-1] not in _TERMINAL:
            return Outcome(text, reason=CUT_OFF)
        if any(len(tokens & o) / len(tokens | o) > REPEAT_OVERLAP for o in self._seen):
            return Outcome(text, reason=REPEAT)
        problem = free_form_problem(text, tokens, self.question_tokens)
        if problem:
            return Outcome(text, reason=problem, counts=looks_like_instruction(text))
        similarity = self._similarity(text)
        support = self._support(text, model_markers(raw, len(self.prompt_passages)), similarity)
        if support is None:
            return Outcome(text, reason=self._why_unsupported(text, tokens), counts=True)
        key = (support.passage.chunk_id, support.start, support.end)
        new: list[Citation] = []
        if key not in self._markers:
            self._markers[key] = len(self._markers) + 1
            new.append(cite(self._markers[key], support))
            self.citations.extend(new)
        self._seen.append(tokens)
        marker = self._markers[key]
        return Outcome(text, released=f"{text} [{marker}]", markers=[marker], new_citations=new)

    def _similarity(self, text: str) -> np.ndarray | None:
        if self._vectors is None or self.embeddings is None:
            return None
        vector = np.asarray(self.embeddings.embed_documents([text]))[0]
        return self._vectors.result() @ vector

    def _support(self, text: str, cited: list[int], similarity: np.ndarray | None) -> Support | None:
        """The passage the model cited when it supports the sentence, else the best one that does."""
        index = {id(p): i for i, p in enumerate(self.passages)}
        for number in cited:
            passage = self.prompt_passages[number - 1]
            i = index.get(id(passage))
            sim = similarity[[i]] if similarity is not None and i is not None else None
            support = find_support(text, [passage], self.idf, sim)
            if support is not None:
                return support
        return find_support(text, self.passages, self.idf, similarity)

    def _why_unsupported(self, text: str, tokens: frozenset[str]) -> str:
        if not self.passages:
            return "no passage to check it against"
        scored = [(coverage(tokens, content_tokens(p.chunk.text), self.idf), p) for p in self.passages]
        best, passage = max(scored, key=lambda pair: pair[0])
        missing = missing_facts(text, passage.chunk.text)
        if best >= MIN_COVERAGE and missing:
            return f"states {', '.join(missing[:3])}, which the closest passage does not"
        return f"not supported by the retrieved passages (best term coverage {best:.2f})"
