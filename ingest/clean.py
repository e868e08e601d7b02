"""Text clean-up before chunking.

Extracted text is normalised *before* it is stored, so every offset a chunk or a
citation carries points into the stored text exactly; no second map is needed.
The steps: Unicode NFKC (PDF ligatures such as "ﬁ", CJK radicals such as "⼈"),
dropping page headers/footers that repeat across pages, re-joining words split
by a line-end hyphen or by PDF spacing between CJK characters, and tidying
whitespace while keeping paragraph breaks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from ingest.figures import unicode_superscripts

_CJK = r"\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A space between two CJK characters, or between CJK and CJK-adjacent punctuation.
_CJK_PUNCT = "“”‘’(),:;%+"
_CJK_GAP = re.compile(
    f"(?<=[{_CJK}])[ \t]+(?=[{_CJK}{_CJK_PUNCT}])|(?<=[{_CJK}{_CJK_PUNCT}])[ \t]+(?=[{_CJK}])"
)
_CJK_GAP_DIGIT = re.compile(f"(?<=[{_CJK}])[ \t]+(?=\\d)|(?<=\\d)[ \t]+(?=[{_CJK}])")
_SENTENCE_END_CJK = "。！？：；!?:;"
# "2 0 2 4年": digits a PDF spaced out next to a Chinese date word.
_SPACED_DIGITS = re.compile(r"(?<![\d.])\d(?: \d){1,7}(?=\s*[年月日号])")
# The look-behinds make every attempt start at the beginning of a run, so the scans stay linear.
_HYPHEN_BREAK = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,})-\n[ \t]*([a-z]{2,})")
_TOC_LINE = re.compile(r"(?<!\.)(?<!\.\s)(?:\.\s?){5,}\s*[\divxlcIVXLC]+\s*$")
_CONTENTS_ENTRY = re.compile(r"\D\s\d{1,3}\s*$")
_PAGE_NUMBER_LINE = re.compile(r"^[\s\-–—]*(?:page\s*)?[\divxlcIVXLC]{1,5}(?:\s*/\s*\d+)?[\s\-–—]*$", re.I)


# CJK Radicals Supplement forms that some PDF fonts emit instead of the ideograph;
# NFKC has no mapping for them (Unicode's EquivalentUnifiedIdeograph data does).
_RADICAL_EQUIVALENTS = str.maketrans({
    "⺠": "民", "⻛": "风", "⻓": "长", "⻅": "见", "⻋": "车", "⻜": "飞", "⻘": "青", "⻔": "门",
    "⻢": "马", "⻚": "页", "⻄": "西", "⻝": "食", "⻨": "麦", "⻥": "鱼", "⻦": "鸟", "⻬": "齐",
    "⻮": "齿", "⻰": "龙", "⻆": "角", "⻈": "讠", "⻉": "贝", "⻊": "足", "⻤": "鬼", "⻣": "骨",
    "⻩": "黄", "⻑": "長", "⺟": "母", "⺫": "目", "⺲": "罒",
})


def normalize_unicode(text: str) -> str:
    """NFKC-normalise, map CJK radical forms to ideographs, drop control characters.

    Superscript digits are made explicit first: "10²⁶" -> "10^26".
    """
    text = unicodedata.normalize("NFKC", unicode_superscripts(text)).translate(_RADICAL_EQUIVALENTS)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def strip_repeated_margins(pages: list[str], margin_lines: int = 2) -> list[str]:
    """Drop header/footer lines that repeat on many pages, and bare page numbers.

    A line within ``margin_lines`` of a page's top or bottom is dropped when the
    same line (digits folded, so "Page 3" matches "Page 4") appears at a margin of
    at least 40 % of the pages (and at least 3 pages).
    """
    split = [page.split("\n") for page in pages]

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.split())).lower()

    def margin_indexes(lines: list[str]) -> list[int]:
        content = [i for i, line in enumerate(lines) if line.strip()]
        return sorted(set(content[:margin_lines] + content[-margin_lines:]))

    counts: Counter[str] = Counter()
    for lines in split:
        counts.update({key(lines[i]) for i in margin_indexes(lines)})
    threshold = max(3, int(0.4 * len(pages) + 0.5))
    repeated = {k for k, n in counts.items() if n >= threshold and k}

    cleaned = []
    for lines in split:
        drop = {
            i
            for i in margin_indexes(lines)
            if key(lines[i]) in repeated or _PAGE_NUMBER_LINE.match(lines[i])
        }
        cleaned.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return cleaned


def _join_hyphenated(text: str) -> str:
    r"""Re-join "govern-\nance" to "governance"; keep real compounds ("risk-\nbased")."""
    hyphenated_words = set(re.findall(r"\b([A-Za-z]{2,}-[a-z]{2,})\b", text))

    def repl(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        if f"{left}-{right}" in hyphenated_words:
            return f"{left}-{right}"
        return left + right

    return _HYPHEN_BREAK.sub(repl, text)


def _join_cjk_lines(text: str) -> str:
    """Join lines that a PDF wrapped in the middle of a Chinese sentence."""
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        if (
            out
            and line
            and out[-1]
            and _CJK_CHAR.match(line[0])
            and _CJK_CHAR.match(out[-1][-1])
            and out[-1][-1] not in _SENTENCE_END_CJK
            and len(out[-1]) >= 20
        ):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def tidy_whitespace(text: str) -> str:
    """Collapse runs of spaces, strip line ends, keep at most one blank line."""
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def clean_text(text: str, *, from_pdf: bool = False) -> str:
    """Normalise one text: Unicode, CJK spacing, hyphenation, whitespace.

    Args:
        text: raw extracted text (one page for PDFs, the whole file otherwise).
        from_pdf: also apply the fixes only PDF extraction needs (hyphen breaks,
            wrapped CJK lines, table-of-contents dot leaders).

    Returns:
        The cleaned text; offsets into it are what the index stores.
    """
    text = normalize_unicode(text)
    text = _CJK_GAP.sub("", text)
    text = _CJK_GAP_DIGIT.sub("", text)
    text = _SPACED_DIGITS.sub(lambda m: m.group().replace(" ", ""), text)
    text = restore_cjk_punctuation(text)
    if from_pdf:
        text = tidy_whitespace(text)
        text = _join_hyphenated(text)
        text = _join_cjk_lines(text)
        text = "\n".join(line for line in text.split("\n") if not _TOC_LINE.search(line))
    return tidy_whitespace(text)


def _drop_contents_listing(page: str) -> str:
    """Drop the entries of a table-of-contents page ("1.2 Risk Tolerance 7")."""
    lines = [line for line in page.split("\n") if line.strip()]
    numbered = [line for line in lines if _CONTENTS_ENTRY.search(line)]
    if len(lines) >= 8 and len(numbered) >= 0.6 * len(lines):
        return "\n".join(line for line in page.split("\n") if not _CONTENTS_ENTRY.search(line))
    return page


def join_vertical_runs(page: str) -> str:
    r"""Rejoin text a PDF laid out vertically, one character per line ("2\n0\n2\n4\n年\n9\n月" -> "2024年9月").

    Only runs of three or more one-character lines are joined, so a lone page
    number or list letter stays as it is.
    """
    lines = page.split("\n")
    out: list[str] = []
    run: list[str] = []
    for line in [*lines, "\x00end"]:
        if len(line.strip()) == 1 and line.strip() != "\x00":
            run.append(line.strip())
            continue
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if line != "\x00end":
            out.append(line)
    return "\n".join(out)


_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_CJK_BEFORE_PUNCT = re.compile(r"(?<=[\u3400-\u9fff”’」』）》〉])[ \t]*([,;:?!])(?!\d)")
# "(…)" after a Chinese character or mark, or holding one. The second alternative takes any parenthesis
# possessively and the replacement checks it for a Chinese character: no backtracking over a long run
# without a closing parenthesis (which made the scan quadratic), and nothing can match inside one anyway.
_CJK_PAREN = re.compile(r"(?<=[\u3400-\u9fff，。、；：])\(([^()\n]{1,80})\)|\(([^()\n]*+)\)")
_HAN = re.compile(r"[\u3400-\u9fff]")


def restore_cjk_punctuation(text: str) -> str:
    """Full-width punctuation in Chinese text again, after NFKC made it half-width.

    "提供者,应当" -> "提供者，应当"; "委员会(SAC/TC260)" -> "委员会（SAC/TC260）". Punctuation
    in English text and in numbers ("1,000") is left alone.
    """
    if not _CJK_CHAR.search(text):
        return text
    text = _CJK_BEFORE_PUNCT.sub(lambda m: _HALF_TO_FULL[m.group(1)], text)
    return _CJK_PAREN.sub(_full_width_parentheses, text)


def _full_width_parentheses(match: re.Match[str]) -> str:
    inner = match.group(1)
    if inner is None:  # the second alternative: only when a Chinese character is inside
        inner = match.group(2)
        if not _HAN.search(inner):
            return match.group()
    return f"（{inner}）"


_SPLIT_WORD = re.compile(r"\b([B-HJ-Zb-z]) ([a-z]{2,})\b")


def rejoin_split_words(text: str, words: frozenset[str]) -> str:
    """Rejoin words a PDF split after their first letter ("U nited" -> "United", "s upport" -> "support").

    Only when the fragment is no word of its own and the joined form is one of ``words``
    (everyday English), so "a new" or "s most" stay as they are.
    """
    if not words:
        return text

    def join(match: re.Match[str]) -> str:
        joined = match.group(1) + match.group(2)
        return joined if joined.lower() in words and match.group(2) not in words else match.group()

    return _SPLIT_WORD.sub(join, text)


def clean_pdf_pages(pages: list[str], words: frozenset[str] = frozenset()) -> list[str]:
    """Clean every page of a PDF, dropping repeated headers and footers first.

    Headers, footers and contents listings are kept when dropping them would leave
    the document with no text at all.

    Args:
        pages: the raw text of each page.
        words: everyday English words, to rejoin words the PDF split (see :func:`rejoin_split_words`).

    Returns:
        One cleaned string per input page (possibly empty).
    """
    normalized = [join_vertical_runs(tidy_whitespace(normalize_unicode(page))) for page in pages]
    pages = [_drop_contents_listing(page) for page in strip_repeated_margins(normalized)]
    cleaned = [clean_text(page, from_pdf=True) for page in pages]
    if any(normalized) and not any(cleaned):
        # Everything looked like page furniture (say one repeated line per page): removing it would
        # leave nothing, so the document keeps it (dot-leader lines too, if they are all there is).
        cleaned = [clean_text(page, from_pdf=True) for page in normalized]
        if not any(cleaned):
            cleaned = [clean_text(page) for page in normalized]
    return [rejoin_split_words(page, words) for page in cleaned]


def looks_chinese(text: str) -> bool:
    """True when CJK characters make up more than a fifth of the letters."""
    sample = text[:5000]
    cjk = len(_CJK_CHAR.findall(sample))
    letters = sum(ch.isalpha() for ch in sample)
    return letters > 0 and cjk / letters > 0.2
