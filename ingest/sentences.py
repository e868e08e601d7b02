"""Sentence boundaries with character offsets, for English and Chinese policy text.

Used by the chunker (never cut mid-sentence) and by the assistant (extractive
answers and per-sentence verification), so both agree on what a sentence is.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "u.s", "u.k", "e.g", "i.e", "sec", "secs", "no", "nos", "art", "para", "mr", "mrs", "ms",
    "dr", "st", "inc", "corp", "co", "ltd", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "fig", "vol", "pp", "p", "cf", "al", "approx", "dept",
    "gov", "gen", "sen", "rep", "pres", "u.s.c", "v", "vs", "ed", "eds", "est", "subsec", "ch",
}
# End of a sentence: terminal punctuation, optional closing quotes/brackets, then space.
_EN_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_CJK_END = re.compile(r"(?:。|(?<=[\u3400-\u9fff”’」』)])[！？；!?;])[”’」』)]*")
_BLANK_LINE = re.compile(r"\n\s*\n")
_LINE_START_MARKER = re.compile(
    r"^(?:#{1,6}\s|[-•*▪●◦]\s|\((?:[a-z]|[ivx]+|[A-Z]|\d+)\)\s|\d+(?:\.\d+)+\.?\s|\d+[.)]\s|"
    r"[A-Z][.)]\s|第.{1,6}[条章节]|"
    r"[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|Sec(?:tion)?\.?\s+\d|Article\s+\d)"
)
_TERMINAL = ".!?:;。！？；：”\""
_INITIAL = re.compile(r"\b[A-Z]$")  # searched only over the two characters before a full stop
_ARTICLE_HEAD = re.compile(r"(?m)^[ \t]*第[一二三四五六七八九十百零〇\d]{1,6}条(?=[ \t]*[^\s\d])")
_RESOLUTION_PARAGRAPH = re.compile(
    r"[,;](?=[ \t]*\n[ \t]*(?:Recalling|Reaffirming|Recognizing|Recognising|Taking note|Noting|Acknowledging|"
    r"Welcoming|Emphasizing|Emphasising|Underscoring|Stressing|Mindful|Bearing in mind|Convinced|Concerned|"
    r"Determined|Affirming|Considering|Expressing|Highlighting|Reiterating|Aware|Cognizant)\b)"
)
_CJK_CHAR = re.compile(r"[\u3400-\u9fff“《]")
_CJK_HEADING = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?|第[一二三四五六七八九十百零〇\d]+[章节条部分]|[一二三四五六七八九十]+、|"
    r"[（(][一二三四五六七八九十\d]+[)）]|附录\s*[A-Z])\s*[\u3400-\u9fff“《][^。；！？]*$"
)
_LIST_NUMBER = re.compile(r"\d{1,3}|[ivxlc]{1,5}|[a-zA-Z]|\d{1,3}(?:\.\d{1,3})+")
_SPACE = re.compile(r"\s")  # the whitespace of str.strip()
_NON_SPACE = re.compile(r"\S")


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    return text[start:end].lower().rstrip(".")


def _wrap_width(lines: list[str]) -> int:
    """The width a hard-wrapped text was wrapped at (the median of its longer lines; 0 when unwrapped)."""
    widths = sorted(len(line) for line in lines if len(line) > 30)
    if len(widths) < 8:
        return 0
    median = widths[len(widths) // 2]
    return median if median <= 120 else 0


def _paragraph_breaks(text: str) -> list[int]:
    """Offsets where a line break also ends a sentence (list items, headings, short lines)."""
    cuts: list[int] = []
    lines = text.split("\n")
    # In hard-wrapped text a line close to the wrap width is a wrapped sentence, never a heading.
    wrapped_from = 0.7 * _wrap_width(lines) or float("inf")
    offset = 0
    for i, line in enumerate(lines[:-1]):
        offset += len(line) + 1
        nxt = lines[i + 1].lstrip()
        stripped = line.rstrip()
        if not stripped or not nxt:
            continue
        if _LINE_START_MARKER.match(nxt) or stripped.startswith("#"):
            cuts.append(offset)
        elif stripped[-1] in _TERMINAL:
            # "... purchase 12 MMT of U.S.\nsoybeans": a lower-case continuation is the same sentence.
            initial = (
                re.search(r"(?:^|\s)[A-Z]\.$", stripped)
                or _word_before(stripped, len(stripped) - 1) in _ABBREVIATIONS
            )
            lower_continuation = (nxt[:1].islower() or bool(initial)) and stripped[-1] == "."
            broken_number = re.search(r"\d\.$", stripped) and nxt[:1].isdigit() and not _LINE_START_MARKER.match(nxt)
            if not (lower_continuation or broken_number):
                cuts.append(offset)
        elif (
            len(stripped) < min(60, wrapped_from)
            and nxt[:1].isupper()
            and not re.search(r"\b(?:the|of|and|or|to|in|for|a|an|by|with|on)$", stripped, re.I)
        ):
            cuts.append(offset)  # a short unterminated line before a capitalised one: a heading
        elif _CJK_HEADING.match(stripped) and len(stripped) <= 30 and _CJK_CHAR.match(nxt):
            cuts.append(offset)  # "1. 人工智能安全治理原则" above its first sentence
    return cuts


def _next_is_digit(text: str, pos: int) -> bool:
    """``text[pos:].lstrip()[:1].isdigit()`` without copying the rest of the text."""
    found = _find(_NON_SPACE, text, pos)
    return text[found : found + 1].isdigit()


def _find(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where ``pattern`` first matches at or after ``pos`` (``len(text)`` when nowhere)."""
    found = pattern.search(text, pos)
    return found.start() if found else len(text)


class _LineHeads:
    """Whether a line holds nothing but a list number before a position, for positions in increasing order.

    ``only_a_list_number_before(pos)`` is
    ``_LIST_NUMBER.fullmatch(text[line_start:pos].strip())`` with ``line_start`` just after
    the last line break before ``pos``, but costs time proportional to the line's first word,
    once per line, instead of the whole line up to ``pos`` on every call (a long line with
    many full stops made that quadratic).
    """

    def __init__(self, text: str) -> None:
        """Start before the first line of ``text``."""
        self.text = text
        self.scanned = 0  # line breaks before this offset have been seen
        self.line_start = 0
        self.head: tuple[int, int, int] | None = None  # (first non-space, first space after it, non-space after that)

    def only_a_list_number_before(self, pos: int) -> bool:
        """True when the text from the start of ``pos``'s line to ``pos`` is one list number ("7", "iv", "2.1")."""
        text = self.text
        newline = text.rfind("\n", self.scanned, pos)
        self.scanned = max(self.scanned, pos)
        if newline >= 0:
            self.line_start, self.head = newline + 1, None
        if self.head is None:
            word_start = _find(_NON_SPACE, text, self.line_start)
            word_end = _find(_SPACE, text, word_start)
            self.head = (word_start, word_end, _find(_NON_SPACE, text, word_end))
        word_start, word_end, after = self.head
        if pos <= word_start:
            return False  # only whitespace before pos: strip() leaves ""
        if pos <= word_end:
            return _LIST_NUMBER.fullmatch(text, word_start, pos) is not None
        # Past the first word: only a list number when nothing but whitespace follows that word up to pos.
        return after >= pos and _LIST_NUMBER.fullmatch(text, word_start, word_end) is not None


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans.

    Args:
        text: any cleaned text (English, Chinese or mixed).
        offset: added to every returned position (for spans inside a larger text).

    Returns:
        ``(start, end)`` pairs, in order, covering every non-space character once;
        each span is stripped of surrounding whitespace.
    """
    cuts = {0, len(text)}
    cuts.update(m.end() for m in _BLANK_LINE.finditer(text))
    cuts.update(_paragraph_breaks(text))
    lines = _LineHeads(text)
    for match in _EN_END.finditer(text):
        if text[match.start()] == "." and _word_before(text, match.start()) in _ABBREVIATIONS:
            continue
        if text[match.start()] == "." and match.start() > 0 and text[match.start() - 1].isdigit():
            gap = text[match.start() + 1 : match.end() + 2]
            if "\n" in gap and _next_is_digit(text, match.end()):
                continue  # "subsection 4.\n8 of …": a number a line break cut in two
        if lines.only_a_list_number_before(match.start()):
            continue  # "7. Encourages Member States …": the number belongs to its paragraph
        if text[match.start()] == "." and _INITIAL.search(text, max(0, match.start() - 2), match.start()):
            continue  # an initial such as "J. Smith"
        cuts.add(match.end())
    cuts.update(m.end() for m in _CJK_END.finditer(text))
    # A resolution's paragraphs end in commas: "…its final report,\nRecognizing that …" starts a new one.
    cuts.update(m.end() for m in _RESOLUTION_PARAGRAPH.finditer(text))
    # "第二十四条本办法自…起施行。": the article number is a heading of its own, not part of the sentence.
    cuts.update(m.end() for m in _ARTICLE_HEAD.finditer(text))
    spans: list[tuple[int, int]] = []
    ordered = sorted(cuts)
    for start, end in zip(ordered, ordered[1:], strict=False):
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece.rstrip())
        if trail > lead:
            spans.append((offset + start + lead, offset + start + trail))
    return spans
