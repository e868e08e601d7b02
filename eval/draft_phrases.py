"""Short phrases for drafted questions, cut from a card's own items.

Defined terms, actions, the thing a figure is about, and the key words of a passage
(for ``must_include``).

Questions are templates filled with these phrases, never the evidence sentence
itself; :func:`copies_evidence` rejects a question that repeats a long run of it.
"""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
STOP = frozenset(
    "a an the of and or to in on for with by as at from that this these those is are be been being was were will "
    "shall must may might can could should would its their his her it they them such any all each every other than "
    "into under over within including include includes which who whom whose what when where how also not no nor "
    "so if then there here our we you your he she i us one two three more most less least only same new given per "
    "upon about after before during while through between among against without via both either until since "
    "related".split()
)
GENERIC = frozenset(
    "president states united government department including important national international countries country "
    "today announced similar following follows current certain other which their there these those would should "
    "through within under about after before because while where order section article shall measures document "
    "documents policy policies support provide provides ensure further public general their being".split()
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_DEFINITION_EN = [
    re.compile(r"(?:^|\bthe term\s+|^\(\w{1,4}\)\s*(?:the term\s+)?)[“\"‘']([^”\"’']{2,60})[”\"’']"
               r"(?:\s+or\s+[“\"‘'][^”\"’']{1,30}[”\"’'])?(?:\s*\([^)]{1,30}\))?\s*,?\s+"
               r"(?P<verb>means|refers to|is defined as|has the meaning)\s+(?P<body>.+)", re.I),
    re.compile(r"^(?:The\s+)?(?P<term>[A-Za-z][\w\s-]{2,50}?)\s+(?P<verb>refers to|is defined as)\s+(?P<body>.+)"),
]
_DEFINITION_ZH = re.compile(r"(?:本(?:办法|文件|标准|规定|框架)(?:中)?所称|^)(?P<term>[^，,。；“”]{2,20})，?"
                            r"(?:是指|指的是)(?P<body>[^。]{4,})")
_MODAL = re.compile(r"^(?:shall|must|is directed to|are directed to|is required to|are required to|should|will)\s+",
                    re.I)
_MODAL_ZH = re.compile(r"^(?:应当|应|须|要)")
_CLAUSE_END = re.compile(r"[;:(]|,\s+(?:and|or|including|in coordination|consistent|as appropriate|to the extent)\b")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese characters."""
    return bool(_CJK.search(text))


def words(text: str) -> list[str]:
    """The Latin-script words of ``text`` in order."""
    return WORD.findall(text)


def content_words(text: str) -> list[str]:
    """Words that carry meaning (no stop words, at least three letters), in order."""
    return [w for w in words(text) if w.lower() not in STOP and len(w) >= 3]


def definition(sentence: str) -> tuple[str, str] | None:
    """``(term, body)`` of a defining sentence ("The term “X” means …", "X refers to …", "本办法所称X，是指…")."""
    text = " ".join(sentence.split())
    if has_cjk(text):
        zh = _DEFINITION_ZH.search(text)
        if zh is None:
            return None
        term = re.sub(r"^(?:本办法|本文件|本标准)?所称|^[（(][一二三四五六七八九十\d]+[)）]|^\d+[.、]", "",
                      zh.group("term")).strip("“”\" ")
        return (term, zh.group("body").strip()) if 2 <= len(term) <= 20 else None
    for pattern in _DEFINITION_EN:
        match = pattern.search(text)
        if match is None:
            continue
        term = (match.groupdict().get("term") or match.group(1)).strip(" ,")
        if 1 <= len(term.split()) <= 6 and len(match.group("body").split()) >= 4:
            return term, match.group("body").strip()
    return None


def action_phrase(action: str) -> str | None:
    """A provision's action as a short verb phrase: modal dropped, first clause, at most 12 words (or 30 characters).

    "shall develop guidelines for red-teaming, in coordination with …" -> "develop guidelines for red-teaming".
    None for a prohibition ("不得"), a list head ("shall:") or a phrase too short to ask about.
    """
    text = " ".join(action.split())
    if has_cjk(text):
        if text.startswith("不得"):
            return None
        text = re.split(r"[，,；;：:。]", _MODAL_ZH.sub("", text))[0].strip()
        return text[:30] if len(text) >= 6 else None
    text = _MODAL.sub("", text)
    text = _CLAUSE_END.split(text)[0].split(",")[0].strip(" ,.")
    phrase = _trim(text.split()[:12])
    if len(phrase.split()) < 3 or len(content_words(phrase)) < 2:
        return None
    if re.search(r"\b(?:following|this work|these|such|those|them)\b|:$", phrase, re.I):
        return None  # a list head or a phrase that only makes sense next to its sentence
    first = phrase.split()[0]
    return phrase if first.isupper() else phrase[0].lower() + phrase[1:]


def _trim(tokens: list[str]) -> str:
    """Tokens without stop words or punctuation at either end, joined."""
    while tokens and (tokens[0].lower().strip(",.;:()") in STOP or not re.search(r"\w", tokens[0])):
        tokens = tokens[1:]
    while tokens and (tokens[-1].lower().strip(",.;:()") in STOP or not re.search(r"\w", tokens[-1])):
        tokens = tokens[:-1]
    return " ".join(tokens).strip(" ,.;:()")


def figure_thing(sentence: str, value: str, width: int = 7) -> str | None:
    """What a figure in ``sentence`` is about: up to ``width`` words of its clause next to the value.

    The words after the value come first ("25 percent tariff on certain advanced chips" -> "tariff on certain
    advanced chips"), else the words before it; None when neither side has two content words.
    """
    text = " ".join(sentence.split())
    if value not in text:
        return None
    marked = text.replace(value, " \x00 ", 1)
    clause = next(c for c in re.split(r"[;:]|,\s+(?=\w)|\s+(?=\()|(?<=\))\s+|\.\s+", marked) if "\x00" in c)
    before, after = (part.split() for part in clause.split("\x00", 1))
    before = [w for w in before if not re.match(r"^(?:\(\w{1,4}\)|[a-z]\)|[-•*])$", w)]
    window = before[-width:]
    while window and len(before) > len(window) and window[0][:1].isupper() and before[-len(window) - 1][:1].isupper():
        window = window[1:]  # never start in the middle of a name ("… United | States and exclusions")
    for side in (_trim(after[:width]), _trim(window)):
        named_only = not any(w[0].islower() for w in content_words(side))
        if len(content_words(side)) >= 2 and not re.search(r"\d", side) and not named_only:
            return side
    return None


def key_words(passages: list[str], exclude: str, n: int = 2) -> list[str]:
    """The ``n`` most repeated content words of ``passages`` that ``exclude`` (the question) does not use.

    Words every policy text uses ("president", "national", "including") are left out; ties go to longer words.
    """
    banned = {w.lower() for w in words(exclude)} | GENERIC
    counts = Counter(w.lower() for text in passages for w in content_words(text) if len(w) >= 5)
    chosen = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0])) if w not in banned]
    return chosen[:n]


def key_phrase_zh(text: str, exclude: str) -> str | None:
    """A Chinese key phrase of ``text``: the first six characters of its longest run between punctuation.

    Runs whose start ``exclude`` (the question) already contains are passed over.
    """
    runs = sorted((r for r in re.findall(r"[\u3400-\u9fff]{4,}", text) if r[:6] not in exclude), key=len,
                  reverse=True)
    return runs[0][:6] if runs else None


def with_article(actor: str) -> str:
    """"the Secretary of Commerce" for "Secretary of Commerce"; acronyms, plurals and "the …" stay as they are."""
    first = actor.split()[0] if actor.split() else ""
    if not first or has_cjk(actor) or first.isupper() or first.lower() == "the" or not first[0].isupper():
        return actor
    return f"the {actor}"


def copies_evidence(question: str, evidence: str, limit: int = 9) -> bool:
    """Whether ``question`` repeats ``limit`` or more consecutive words (or 20 Chinese characters) of ``evidence``."""
    if has_cjk(question):
        return any(question[i : i + 20] in evidence for i in range(max(0, len(question) - 19)))
    q, e = [w.lower() for w in words(question)], " ".join(w.lower() for w in words(evidence))
    return any(" ".join(q[i : i + limit]) in e for i in range(max(0, len(q) - limit + 1)))
