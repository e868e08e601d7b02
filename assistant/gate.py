"""The abstain gate: is the retrieved evidence strong enough to answer at all?

:func:`admits` is the chain's gate step (between retrieve and generate);
:func:`assess_evidence` scores the evidence it decides on.

A last resort behind the composer's own refusal by answer type (a factoid whose
type of fact no retrieved sentence holds is answered "the library does not
state …" by :mod:`assistant.compose`): here the question is refused outright
when the best candidate sentence matches it too weakly, or when a name or number
the question is about appears in no retrieved passage.
"""

from __future__ import annotations

import re

from assistant.compose import candidate_sentences
from assistant.crosslingual import chinese_terms
from assistant.evidence import content_tokens, coverage, key_names, mentions
from assistant.generators import GenerationInput
from assistant.question import opposite_words
from assistant.turn import Evidence, Turn
from policychat.settings import Settings

# A Chinese-language source never writes "China" in English; its country field says it.
_COUNTRY_NAMES = {
    "US": "United States U.S. US America American", "CN": "China PRC People's Republic of China Chinese",
}


_AUTHOR = re.compile(
    r"\b([A-Z][a-z]+)['’]s\s+(?:[\w-]+\s+){0,2}(?:order|executive order|eo|administration|plan|rule|memo|"
    r"memorandum|polic(?:y|ies)|government|white house|deal|team|statement)\b",
    re.I,
)


def admits(turn: Turn, data: GenerationInput, settings: Settings) -> bool:
    """The gate: whether the turn's passages are strong enough to answer from (else the turn abstains).

    Records the assessment in ``turn.evidence``. A summary of a document the library
    holds is never refused: its card answers it.
    """
    turn.evidence = assess_evidence(data)
    summarizing = bool(turn.cards) and turn.analysis is not None and turn.analysis.kind in ("summary", "definition")
    return bool(turn.passages) and (summarizing or turn.evidence.sufficient(settings))


def assess_evidence(data: GenerationInput) -> Evidence:
    """Score how well the retrieved passages can answer the question.

    ``strength`` (0..1) is the best candidate sentence's lexical + semantic
    match, scaled by how much of the question the passages cover at all;
    ``missing_names`` are names or numbers of the question that no passage
    (text, title, publisher or date) contains, such as a law the library never
    mentions.
    """
    if not data.passages:
        return Evidence(0.0, [])
    candidates = candidate_sentences(data)
    best = max((0.5 * c.lexical + 0.5 * c.semantic for c in candidates), default=0.0)
    union = set().union(*(content_tokens(p.chunk.embed_text) for p in data.passages))
    if any(role == "signature" for p in data.passages for _, _, role in p.chunk.sentences):
        union |= {"sign", "signatur"}  # a signature line says "signed by" without the words
    question_tokens = content_tokens(data.question)
    if data.analysis is not None and data.analysis.focus_terms:
        # Judge coverage on what the question is about, not on its wording ("does it mention anything …").
        question_tokens = set(data.analysis.focus_terms)
    question_tokens = _with_opposites(data.question, question_tokens, union)
    covered = max(
        coverage(question_tokens, union, data.idf),
        coverage(question_tokens | content_tokens(chinese_terms(data.question)), union, data.idf),
    )
    if data.bilingual is not None and re.search(r"[\u4e00-\u9fff]", data.question):
        # A Chinese question about English passages: judge coverage on its words in English.
        english = content_tokens(data.bilingual.to_english(data.question))
        if english:
            covered = max(covered, coverage(english, union, data.idf))
    context = "\n".join(
        f"{p.meta.title} {p.meta.publisher} {p.meta.date} {_COUNTRY_NAMES.get(p.meta.country, '')} {p.chunk.text}"
        for p in data.passages
    ).lower()
    authors = set(_AUTHOR.findall(data.question))  # "Biden's AI order" names the order's author, not its topic
    missing = sorted(n for n in key_names(data.question) if not mentions(context, n) and n not in authors)
    missing += _missing_rare_terms(data, union)
    named = bool(data.analysis and data.analysis.doc_refs)
    return Evidence(best * covered, missing, named)


def _with_opposites(question: str, tokens: set[str], passage_tokens: set[str]) -> set[str]:
    """``tokens`` with a yes/no predicate the passages lack replaced by its opposite they hold.

    "Is the RMF mandatory?" is covered by a passage saying it is voluntary: that is the answer ("No").
    """
    for word, opposites in opposite_words(question).items():
        present = set().union(*(content_tokens(o) for o in opposites)) & passage_tokens
        if present and not content_tokens(word) & passage_tokens:
            tokens = (tokens - content_tokens(word)) | present
    return tokens


def _missing_rare_terms(data: GenerationInput, passage_tokens: set[str]) -> list[str]:
    """Words of the question the library never uses at all ("sorghum", "DeepSeek").

    Such a word is what the question is specifically about; when no passage of the
    library holds it (and it is neither a typo of a library word nor everyday English, see
    :mod:`assistant.spelling`), the passages cover the topic around it, not the asked fact.
    """
    return list(data.analysis.unknown_words) if data.analysis is not None else []
