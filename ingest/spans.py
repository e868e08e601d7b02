"""Typed answer spans in a sentence: dates, durations, numbers, percentages, money, quantities, bodies, people.

:func:`find_spans` finds the phrases of one answer type in a sentence, with
character offsets, in English and Chinese. The composer builds a direct lead
from them ("January 15, 2025", "within 45 days", "25 percent", "the Department
of Homeland Security"), and the refusal rule asks whether any candidate
sentence holds a span of the type a factoid asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"ninety|hundred|a hundred|several|a dozen|dozens of)"
)
_NUM = rf"(?:\d[\d,]*(?:\.\d+)?|{_NUMBER_WORD})"
_CURRENCY = (
    r"(?:dollars|USD|yuan|RMB|renminbi|euros?|EUR|pounds(?: sterling)?|GBP|yen|JPY|won|rupees|roubles|rubles|francs|"
    r"crowns|kronor|kroner|marks|pesos|reais|rand|shekels|lira|zloty|forints|baht|ringgit|dirhams|riyals|dinars)"
)
_CN_NUM = r"[\d一二三四五六七八九十百千万两]+"
_ORG_HEAD = (
    r"(?:Department|Office|Bureau|Agency|Council|Committee|Institute|Administration|Commission|Center|Centre|"
    r"Group|Board|Foundation|Ministry|Service|Authority|Corps|Council|Directorate|Division|Secretariat|Program|"
    r"Laboratory|Laboratories|Assembly|Organization|Organisation|Union|Forum|Cabinet|Congress|Senate|Court|Team|"
    r"Task Force|Working Group|Initiative|Hub|Consortium|Consortia|University|Academy)"
)
_OFFICE = (
    r"(?:Secretary|Director|Administrator|Assistant to the President|Under Secretary|Deputy Secretary|Chair|"
    r"Chairman|Attorney General|Advisor|Adviser|Czar|Chief|Commissioner|National Manager|President|Vice President|"
    r"Representative|Ambassador|Minister|Premier|Officer)"
)
_CAP = r"(?:[A-Z][\w.'’&-]*|of|the|for|and|on|to|in|at|de)"
_ACRONYM = r"\b(?:[A-Z]{2,6}s?|[A-Z]+-[A-Z]+)\b"

_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "date": [
        re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"),
        re.compile(rf"\b\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}\b"),
        re.compile(rf"\b(?:(?:early|mid|late)[- ])?{_MONTH}\s+\d{{4}}\b"),
        re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b"),
        re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{4}年|\d{1,2}月\d{1,2}日"),
        re.compile(r"\b(?:by|in|since|until|through|before|after|from|fiscal year|FY)\s+(?:19|20)\d{2}\b"),
        re.compile(r"(?<!Act of )(?<!No\. )\b(?:19|20)\d{2}\b(?![-/]\d)"),
    ],
    "duration": [
        re.compile(
            rf"\b(?:within|for|after|up to|no later than|at least|over|every|each|than)?\s*{_NUM}[\s-]+"
            r"(?:calendar |business |working |consecutive )?(?:days?|weeks?|months?|years?|hours?|minutes?)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:(?:at least |no less than )?(?:once|twice|three times|\d+ times)\s+(?:per|a|each|every)\s+"
            r"(?:day|week|month|quarter|year)|annually|semi-annual(?:ly)?|quarterly|monthly|weekly|daily|biennially|"
            r"each year|every year|per year|on an annual basis|on an ongoing basis|periodically)\b",
            re.I,
        ),
        re.compile(rf"{_CN_NUM}\s*(?:个)?(?:工作日|日|天|周|个月|月|年|小时)(?:内|以内|之内)?|每(?:周|月|年|季度|天|日)"),
    ],
    "percentage": [
        re.compile(rf"(?:\b(?:over|more than|at least|up to|about|nearly|roughly|below|under|than)\s+)?{_NUM}\s?"
                   r"(?:%|percent\b|per cent\b|percentage points?\b)", re.I),
        re.compile(rf"(?:超过?|不低于|不少于|不高于|不超过|达到|低于|高于)?\s*(?:{_CN_NUM}(?:\.\d+)?\s*%|百分之{_CN_NUM})"),
    ],
    "money": [
        re.compile(r"(?:US)?[$€£¥]\s?\d[\d,.]*(?:\s?(?:million|billion|trillion|thousand|[MBK])\b)?", re.I),
        re.compile(rf"\b{_NUM}\s?(?:million|billion|trillion|thousand)?\s?(?:[A-Z][a-z]+\s)?{_CURRENCY}\b", re.I),
        # "a fine of 2.5 million Ruritanian crowns": an amount a fine, fee or budget is "of", in any currency
        re.compile(r"\b(?:fine|fines|penalty|penalties|fee|fees|budget|grant|cost|price|sum|amount) of "
                   r"(?P<value>(?:up to |about |nearly |over |more than |at least )?\d[\d,.]*(?:\s?(?:million|billion|"
                   r"trillion|thousand))?(?:\s[A-Z][a-z]+)?(?:\s[a-z]+s)?)", re.I),
        re.compile(rf"{_CN_NUM}(?:\.\d+)?\s*(?:万|亿)?(?:元|美元|人民币|欧元|英镑|日元|[\u4e00-\u9fff]{{1,3}}元)"),
    ],
    "number": [
        re.compile(r"\b(?:over|more than|at least|up to|about|nearly|roughly|fewer than|less than|approximately|"
                   r"no fewer than|no more than|only)?\s*\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|thousand))?"
                   r"(?!\s?%|\s?percent|[\d,.]*\s?(?:days?|months?|years?|weeks?)\b)\b", re.I),
        re.compile(rf"\b{_NUMBER_WORD}\b(?!\s+(?:days?|months?|years?|weeks?|percent)\b)", re.I),
        re.compile(rf"(?:不少于|不低于|不超过|至少|超过)?{_CN_NUM}(?:个|项|家|名|条|种|类|题|次|大|部|款|批|亿|万)"),
    ],
    "quantity": [
        re.compile(rf"\b(?:over|more than|at least|up to|about|nearly|roughly|approximately|greater than|"
                   rf"less than)?\s*(?:{_NUM}|10\^?\s?\d+)(?:\s?(?:million|billion|trillion))?\s?(?:[a-zA-Z][\w/-]*"
                   r"(?:\s(?:of|per)\s[a-z][\w/-]*)?)"),
        re.compile(rf"{_CN_NUM}(?:\.\d+)?\s*(?:万|亿)?(?:吨|个|项|家|名|条|种|题|千瓦|瓦|次|台|部|款)"),
    ],
    "body": [
        re.compile(_ACRONYM),
        re.compile(r"(?:国家|国务院|中央|省级|地方)?[\u4e00-\u9fff]{0,10}(?:部门|委员会|办公室|网信办|部|委|局|署|院|中心|机构|协会|联盟)"),
    ],
    "person": [
        # a signature in capitals: "JOSEPH R. BIDEN JR."
        re.compile(r"\b[A-Z]{2,}(?:\s+[A-Z]\.)?(?:\s+[A-Z]{2,}\.?){1,3}(?=\s|$)"),
    ],
    "product": [
        re.compile(r"\b(?:GPT|Llama|Qwen|Claude|Gemini|Ernie|Grok|DeepSeek)(?:[- ]?[A-Z]?\d[\w.]*)?\b"),
        re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*(?:-[A-Z]?\d[\w.]*)?\b"),
        re.compile(r"\b[A-Z]{1,3}\d{2,4}[A-Z]?\b(?!-\d)"),
        re.compile(r"\b(?:[A-Z][\w.-]*\s+){1,3}(?=(?:chips?|models?|GPUs?|accelerators?|processors?)\b)"),
    ],
    "place": [
        re.compile(r"\b(?:in|at|to|from|near)\s+((?:the\s+)?[A-Z][a-z]+(?:[\s,]+[A-Z][a-z]+){0,3}"
                   r"(?:\s+of\s+(?:the\s+)?[A-Z][a-z]+)?)"),
    ],
    "document": [
        re.compile(r"“[A-Z][^”]{5,160}?(?:Provisions|Measures|Regulations|Rules|Law|Act|Order|Framework|Guidelines|"
                   r"Standard|Plan|Opinions|Requirements|Specification)”"),
        re.compile(r"\b(?:Executive Order|E\.O\.|EO)\s+\d{5}\b"),
        re.compile(r"\bOMB\s+Memorand(?:um|a)\s+M-\d{2}-\d{2}(?:\s+and\s+M-\d{2}-\d{2})?"),
        re.compile(r"\bM-\d{2}-\d{2}\b"),
        re.compile(r"\b(?:Section|Sec\.)\s+\d+[A-Za-z]?(?:\([\w]+\))*(?:\s+of\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*|\s+of|\s+and){0,8})?"),
        re.compile(r"\b(?:[A-Z][\w'’-]*\s+){0,8}(?:Act|Order|Rule|Memorandum|Framework|Resolution|Plan|Declaration|"
                   r"Initiative|Strategy|Profile|Law|Guidance|Standard|Proclamation|Agreement|Measures)(?:\s+of\s+\d{4})?"
                   r"(?:\s+(?:on|of|for|to)\s+(?:the\s+)?[A-Z][\w'’-]*(?:,?\s+(?:and\s+)?[A-Z][\w'’-]*){0,8})?\b"),
        re.compile(r"《[^》]{2,60}》|国发〔\d{4}〕\d+号|第\d+号令|[A-Z]{2,}[- ]?\d{2,}[-\w]*|A/RES/\d+/\d+|"
                   r"\b\d{2}/\d{3}\b"),
    ],
}
_SENTENCE_START = frozenset(
    "The This That These Those It Its A An In On For By With As At To From Under Each Every Such Any All No "
    "Within And Or But If When Where While Also However Further Today Through Following Consistent".split()
)
_NOT_PERSON_WORDS = re.compile(
    r"\b(?:Department|Office|Bureau|Agency|Council|Committee|Institute|Administration|Commission|Center|Act|Order|"
    r"Rule|Plan|Framework|Section|States|Republic|House|China|America|American|Chinese|United|National|Federal|AI|"
    r"Artificial|Intelligence|Nations|Security|General|Assembly|Program|Secretary|President|Fact|Sheet|Action|"
    r"Strategy|Profile|Measures|Standards|Technology|Group|Risk|Management|Generative|Model|Models|International|"
    r"Law|Information|Protection|Data|Cybersecurity|Personal|People|Service|Services|Science|Policy|Export|Exports|"
    r"Control|Controls|Trade|Economic|Commerce|Industry|Defense|Energy|Justice|State|Treasury|Homeland|Office)\b"
)


@dataclass(frozen=True)
class Span:
    """A typed phrase in a sentence: ``text == sentence[start:end]``."""

    type: str
    start: int
    end: int
    text: str


_RUN_WORD = re.compile(r"[A-Z][\w.'’&/-]*|of|for|the|and|on|to|\([A-Z][\w -]{1,12}\)")
_CONNECTORS = frozenset({"of", "for", "the", "and", "on", "to"})
_HEADS = re.compile(rf"^{_ORG_HEAD}$|^{_OFFICE}$|^(?:Force|Group|Hub)$")
_TITLES = frozenset(
    "President Vice Secretary Director Administrator Under Deputy Assistant Chair Chairman Czar Advisor Adviser "
    "Special Chief Commissioner Minister Premier Ambassador Representative Mr. Mrs. Ms. Dr. Prof. Professor Senator "
    "Governor General Attorney Acting Former Economist Nobel Laureate Crypto And AI".split()
)


def _capitalised_runs(sentence: str) -> list[tuple[int, int, list[str]]]:
    """Runs of capitalised words and name connectors ("Bureau of Industry and Security"), with their words."""
    runs: list[tuple[int, int, list[str]]] = []
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", sentence)]
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _RUN_WORD.fullmatch(words[j][2].rstrip(",;:.”\"")):
            j += 1
            if words[j - 1][2][-1] in ",;:”\"" or (words[j - 1][2].endswith(".") and len(words[j - 1][2]) > 3):
                break
        if j > i:
            run = words[i:j]
            while run and run[0][2].lower() in _CONNECTORS:
                run = run[1:]
            while run and run[-1][2].rstrip(",;:.”\"").lower() in _CONNECTORS:
                run = run[:-1]
            if run:
                runs.append((run[0][0], run[-1][1], [w.rstrip(",;:.”\"") for _, _, w in run]))
        i = max(j, i + 1)
    return runs


def _bodies(sentence: str) -> list[tuple[int, int]]:
    """Organisations and offices: capitalised runs that contain a head word (Department, Secretary, …)."""
    found = []
    for start, end, words in _capitalised_runs(sentence):
        if any(_HEADS.match(w) for w in words):
            first = next((i for i, w in enumerate(words) if w not in {"The"}), 0)
            start = sentence.index(words[first], start) if first else start
            found.append((start, end))
    return found


_DOCUMENT_WORDS = re.compile(
    r"\b(?:Act|Law|Order|Rule|Rules|Plan|Framework|Measures|Regulations?|Resolution|Memorandum|Guidance|Standard|"
    r"Agreement|Accord|Treaty|Declaration|Provisions|Code|Profile|Section|Article|Fact Sheet)\b"
)


def _names(sentence: str) -> list[tuple[int, int]]:
    """Capitalised names that are not a sentence's opening word.

    Two or more capitalised words, or one that is not a common sentence start ("the Lunar Registry", "Strelsau").
    """
    found = []
    for start, end, words in _capitalised_runs(sentence):
        if _DOCUMENT_WORDS.search(" ".join(words)):
            continue  # "the Information Protection Law": a document, not who does something
        capitals = [w for w in words if w[:1].isupper()]
        if not capitals or (start == 0 and len(capitals) < 2) or words[0] in _SENTENCE_START:
            if len(capitals) < 2:
                continue
        if len(capitals) == 1 and (len(capitals[0]) < 3 or capitals[0].isupper() and len(capitals[0]) < 3):
            continue
        found.append((start, end))
    return found


_PERSON_CUE = re.compile(
    r"\b(?:said|says|stated|noted|according to|President|Secretary|Director|Czar|Advisor|Adviser|Administrator|"
    r"Minister|Ambassador|Mr\.|Ms\.|Mrs\.|Dr\.|Professor|economist|laureate|Translator|Author|Chair(?:man)?|"
    r"Under Secretary|Representative|Senator|Governor|Commissioner|led by|signed by)\b",
    re.I,
)


def _people(sentence: str) -> list[tuple[int, int]]:
    """Personal names: two or three capitalised words at either end of a capitalised run, titles dropped.

    "said AI and Crypto Czar David Sacks" -> "David Sacks"; "Under Secretary of Commerce for Industry and
    Security Jeffery Kessler" -> "Jeffery Kessler".
    """
    found = []
    for start, _end, words in _capitalised_runs(sentence):
        for size in (3, 2):
            for window in (words[-size:], words[:size]):
                if len(window) < size or any(w in _TITLES or w in _SENTENCE_START for w in window):
                    continue
                if not all(re.fullmatch(r"[A-Z][a-z’'-]+|[A-Z]\.", w) for w in window):
                    continue
                if _NOT_PERSON_WORDS.search(" ".join(window)):
                    continue
                first = sentence.index(window[0], start)
                last = sentence.index(window[-1], first) + len(window[-1])
                # A name is introduced by a title or a verb of saying near it, not any capitalised phrase.
                if _PERSON_CUE.search(sentence[max(0, first - 60) : min(len(sentence), last + 40)]):
                    found.append((first, last))
    return found


def _clean_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Trim spaces and dangling punctuation from a match."""
    while start < end and sentence[start] in " ,;:(":
        start += 1
    while end > start and sentence[end - 1] in " ,;:.(":
        end -= 1
    return start, end


def find_spans(sentence: str, answer_type: str) -> list[Span]:
    """Every phrase of ``answer_type`` in ``sentence``, longest first where they overlap, then in text order.

    Args:
        sentence: one sentence (display text).
        answer_type: the expected type (see :data:`assistant.core.lang.AnswerType`).

    Returns:
        Non-overlapping spans in text order.
    """
    found: list[Span] = []
    # "Which official …?" is answered by an office ("the Secretary of Commerce") when no name is given; a body or
    # person the head-word lists do not know ("the Lunar Registry") is still a capitalised name.
    if answer_type == "person":
        found_spans = _people(sentence) or _bodies(sentence) or _names(sentence)
    elif answer_type == "body":
        found_spans = _bodies(sentence) or _names(sentence)
    else:
        found_spans = []
    for start, end in found_spans:
        start, end = _clean_bounds(sentence, start, end)
        found.append(Span(answer_type, start, end, sentence[start:end]))
    for pattern in _PATTERNS.get(answer_type, []):
        for match in pattern.finditer(sentence):
            group: int | str = "value" if "value" in pattern.groupindex else (
                1 if pattern.groups and answer_type == "place" else 0)
            start, end = _clean_bounds(sentence, match.start(group), match.end(group))
            text = sentence[start:end]
            if end - start < 2 or not _plausible(answer_type, text):
                continue
            found.append(Span(answer_type, start, end, text))
    if answer_type in ("number", "quantity", "duration", "product"):
        # "January 31, 2025" and "Executive Order 14192" hold no count: numbers inside a date or a
        # document's number are not answers of these types.
        taken = [(m.start(), m.end()) for p in _PATTERNS["date"][:5] for m in p.finditer(sentence)]
        taken += [(m.start(), m.end()) for p in _PATTERNS["document"][:3] for m in p.finditer(sentence)]
        found = [f for f in found if not any(f.start < e and a < f.end for a, e in taken)]
    chosen: list[Span] = []
    for span in sorted(found, key=lambda s: (-(s.end - s.start), s.start)):
        if not any(span.start < other.end and other.start < span.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


_CAPITAL_NOT_NAMES = frozenset(
    "THE WHITE HOUSE EXECUTIVE ORDER SECTION UNITED STATES AMERICA PRESIDENT OF AND FOR ON AI NIST BIS PRC USA "
    "DEPARTMENT COMMERCE NATIONAL SECURITY MEMORANDUM FACT SHEET RESOLUTION GENERAL ASSEMBLY ACT RULE".split()
)
_NOT_PRODUCT_WORDS = frozenset(
    "U.S US USA AI American Chinese PRC China Advanced Certain The These Such Frontier Leading Top Foreign Domestic "
    "Large Open Closed Generative Most Many Some All Other New Covered Controlled Specific Several Any".split()
)


def _plausible(answer_type: str, text: str) -> bool:
    """Drop matches that are a type's lookalikes (a capitalised sentence start read as a name, …)."""
    words = text.split()
    if answer_type == "person":
        if text.isupper():
            return not (set(w.strip(".") for w in words) & _CAPITAL_NOT_NAMES)
        return not _NOT_PERSON_WORDS.search(text) and words[0] not in _SENTENCE_START and len(words) <= 4
    if answer_type == "body":
        if re.fullmatch(_ACRONYM, text):
            return text not in {"AI", "US", "USA", "PRC", "UN", "EU", "THE", "AND", "FOR"} and not text.endswith("s")
        return len(text) <= 140 and not re.fullmatch(r"(?:the\s+)?(?:Office|Department|Agency|Council|Center)", text)
    if answer_type == "product":
        # "IaaS" is a service model, "G20" a group of countries, "TC260" a committee; "U.S. AI chips" names none.
        if re.fullmatch(r"[A-Z][a-z]{1,3}S|G\d{1,2}|TC\d+", text):
            return False
        return any(w.strip(".,") not in _NOT_PRODUCT_WORDS for w in words)
    if answer_type == "quantity":
        return bool(re.search(r"\d", text)) and len(words) <= 8
    if answer_type == "number":
        if re.fullmatch(r"(?:19|20)\d{2}", text.strip()):
            return False  # a year is not a count
        if re.fullmatch(r"\d+\.\d+", text.strip()):
            return False  # "1.0", "4.8": a version or a section number, not a count
        return bool(re.search(r"\d|[一二三四五六七八九十百千万两]", text)) or len(words) <= 3
    if answer_type == "document":
        # "Executive Order" alone names no document; "Executive Order 14110" or "the Trade Expansion Act" do.
        bare_type = re.fullmatch(r"(?:the\s+)?\S+\s+Order", text)
        return bool(re.search(r"\d|《|〔", text)) or (len(words) >= 3 and not bare_type)
    return True


def has_span(sentence: str, answer_type: str) -> bool:
    """Whether ``sentence`` holds at least one span of ``answer_type``."""
    return bool(find_spans(sentence, answer_type))
