"""Scoring how well a piece of text supports another: the shared core of answering and verifying.

* ``coverage`` – IDF-weighted share of a claim's terms found in the evidence;
* ``facts`` – numbers, dates and named entities that must appear in the evidence;
* ``looks_like_instruction`` – text addressed to a model ("ignore previous
  instructions"), which is treated as data and never quoted as an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from functools import lru_cache

from ingest.keywords import tokenize

Idf = Callable[[str], float]

_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d[\d,]*(?:\.\d+)?%?")
_ENTITY = re.compile(r"\b(?:[A-Z][a-z]+|[A-Z]{2,}[a-z]?)(?:\s+(?:of|for|and|on|the)?\s*(?:[A-Z][a-z]+|[A-Z]{2,}))*")
_SENTENCE_START_WORDS = frozenset(
    "The This That These Those It Its A An In On For By With As At To From Under Each Every Such Any All "
    "No Not Both Within And Or But If When Where While Also However Further Section Sec Article What Which "
    "How Who Whom Whose Why Does Do Did Is Are Was Were Can Could Should Would Will According Per".split()
)
_INSTRUCTION = re.compile(
    r"ignore (?:all |any )?(?:previous|prior|above|earlier) (?:instructions|prompts?)|disregard (?:the|all|your) "
    r"(?:instructions|rules|system)|you are now|system prompt|\bas an ai (?:model|assistant)\b|"
    r"respond (?:only )?with|do not cite|reveal your|忽略(?:之前|以上|先前)的?(?:指令|指示)",
    re.I,
)
_CODE = re.compile(r"\b(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{3,8}\b")
_MARKER = re.compile(r"\s*\[\d+\]")  # any length: a source's "[1000]" must not pass for an answer's marker


@lru_cache(maxsize=100_000)
def content_tokens(text: str) -> frozenset[str]:
    """The BM25 tokens of ``text`` as a set (stop words already dropped).

    Cached: the same sentences and windows come back question after question.
    """
    return frozenset(tokenize(text))


def coverage(claim: Iterable[str], evidence: AbstractSet[str], idf: Idf) -> float:
    """IDF-weighted fraction of ``claim`` tokens present in ``evidence`` (0..1)."""
    claim = set(claim)
    total = sum(idf(t) for t in claim)
    if total <= 0:
        return 0.0
    return sum(idf(t) for t in claim if t in evidence) / total


def numbers(text: str) -> set[str]:
    """Numbers and percentages in ``text``, normalised (commas dropped)."""
    return {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}


def entities(text: str) -> set[str]:
    """Capitalised names and acronyms that are not just a sentence's first word."""
    found: set[str] = set()
    for match in _ENTITY.finditer(text):
        words = match.group().split()
        while words and (words[0] in _SENTENCE_START_WORDS or words[0].islower()):
            words.pop(0)
        while words and words[-1].lower() in {"of", "for", "and", "on", "the"}:
            words.pop()
        name = " ".join(words)
        if len(name) >= 2:
            found.add(name)
    return found


def name_words(name: str) -> list[str]:
    """The lower-cased words of a name that must each appear for the name to count as present."""
    return [w.lower() for w in re.findall(r"[\w'’-]+", name) if w.lower() not in {"of", "for", "and", "on", "the"}]


def missing_facts(claim: str, evidence: str) -> list[str]:
    """Numbers and names in ``claim`` that ``evidence`` does not contain (empty = all present)."""
    evidence_numbers = numbers(evidence)
    lowered = evidence.lower()
    missing = [n for n in numbers(claim) if n not in evidence_numbers]
    for name in entities(claim):
        if not all(w in lowered for w in name_words(name)):
            missing.append(name)
    return missing


_NATIONALITIES = frozenset(
    "Chinese American Japanese European British French German Korean Indian Russian Canadian Australian "
    "Taiwanese Dutch Italian Spanish Israeli Iranian".split()
)
_MONTHS = frozenset(
    "January February March April May June July August September October November December".split()
)


def key_names(question: str) -> set[str]:
    """The specific names and numbers a question is about (for the abstain gate).

    Multi-word names, single capitalised words of 4+ letters (not months), codes
    such as "H20", and numbers of 2+ digits; acronyms ("EO", "NSM on AI") are
    left out because sources often spell them out.
    """
    # "Biden and Xi" or "the US AI Action Plan and China" are two names, each checked on its own.
    parts = {part.strip() for name in entities(question) for part in re.split(r"\s+and\s+", name) if part.strip()}
    names = {
        n for n in parts
        if n not in _NATIONALITIES
        if (len(n.split()) > 1 and not all(w.isupper() or w in {"of", "for", "on", "the"} for w in n.split()))
        or (len(n.split()) == 1 and len(n) >= 4 and not n.isupper() and n not in _MONTHS)
    }
    return names | {n for n in numbers(question) if len(n.rstrip("%")) >= 2} | product_codes(question)


def product_codes(text: str) -> set[str]:
    """Model and classification codes such as "H20", "MI325X" or "3A090" (letters and digits in one word)."""
    return {m.group() for m in _CODE.finditer(text)}


def mentions(context: str, name: str) -> bool:
    """Whether lower-cased ``context`` mentions ``name``: every word of it, codes as whole words.

    "H20" is not mentioned by a text about the "H200": for codes a near miss is a different product.
    """
    if _CODE.fullmatch(name):
        return re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", context) is not None
    return all(w in context for w in name_words(name))


def looks_like_instruction(text: str) -> bool:
    """True for text that tries to instruct a model (prompt injection inside a document)."""
    return bool(_INSTRUCTION.search(text))


def strip_markers(text: str) -> str:
    """Remove citation-like markers such as "[3]" (sources contain them, and LLMs invent them)."""
    return _MARKER.sub("", text).strip()


_MARKDOWN_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((?:https?://|/|#)[^)\s]*\)")
_MARKDOWN_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
_SOURCE_BRACKET = re.compile(r"\[\s*([^\]\[\n]{1,40}?)\s*\]")
_LEADING_MARK = re.compile(r"^(?:#{1,6}\s+|[-•*▪●◦]\s+|>\s+)+")


def display_text(text: str) -> str:
    """Text as shown in an answer: layout line breaks and Markdown syntax removed.

    A break between two Chinese characters disappears; any other run of
    whitespace becomes one space. Markdown emphasis (``**bold**``, ``*italic*``),
    link syntax (``[text](url)`` keeps ``text``), heading marks and bullets go:
    the citation still quotes the stored text verbatim.
    """
    text = re.sub(r"(?<=[\u3400-\u9fff，。、；：,.;:])\s*\n\s*(?=[\u3400-\u9fff])", "", text)
    text = " ".join(text.split())
    text = _MARKDOWN_LINK.sub(r"\1", text)
    # A bracket of the source ("[国家网信部门]", a page's "[ 大 ]") is shown in parentheses: in an answer,
    # square brackets are citation markers.
    text = _SOURCE_BRACKET.sub(r"(\1)", text)
    text = _MARKDOWN_EMPHASIS.sub(r"\2", text)
    text = text.replace("**", "")
    return _LEADING_MARK.sub("", text).strip()
