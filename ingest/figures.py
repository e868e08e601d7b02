"""Figures keep their meaning at ingest: an exponent stays an exponent, a footnote mark stays off the number.

``10<sup>26</sup>``, ``10²⁶`` and a PDF's raised "26" after "10" all mean 10 to the
26th; stripping the markup, normalising Unicode or extracting the PDF's text glues
them into "1026", a wrong figure that answers, cards and exports would then quote
with a citation. Here every such exponent becomes ``10^26``. A raised digit after
anything else is a footnote mark and is dropped ("as of 2023⁴" is "as of 2023",
not "20234"); a unit's power stays a power ("km²" -> "km^2"). Subscripts keep their
digits ("CO<sub>2</sub>" -> "CO2"), set apart from a number they follow.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+")
_BASE = re.compile(r"(?<![\d.])10\s?$")
"""An exponent's base: a literal 10 ("2 × 10²⁶" too)."""
_UNIT = re.compile(r"(?<![A-Za-z])(?:m|km|cm|mm|ft|in|s|m/s)$")
_SUP_TAG = re.compile(r"<sup>\s*([^<>]{1,12}?)\s*</sup>", re.I)
_SUB_TAG = re.compile(r"<sub>\s*([^<>]{1,12}?)\s*</sub>", re.I)


def _power(before: str, digits: str) -> str:
    """What a raised ``digits`` after ``before`` becomes: "^digits" for a power, "" for a footnote mark."""
    if _BASE.search(before) or _UNIT.search(before):
        return "^" + digits
    return ""


def scripts_in_markup(text: str) -> str:
    """``<sup>``/``<sub>`` in Markdown or HTML made explicit before the tags are stripped.

    Returns:
        ``text`` with ``10<sup>26</sup>`` as ``10^26``, other ``<sup>`` marks (footnotes) removed and
        ``<sub>`` contents kept (after a space when they would run into a number).
    """

    def sup(match: re.Match[str]) -> str:
        content = match.group(1).strip()
        if re.fullmatch(r"[+\-−]?\d{1,4}", content):
            return _power(text[max(0, match.start() - 12) : match.start()], content.replace("−", "-"))
        return ""  # a footnote mark ("a", "*", "iv")

    raised = _SUP_TAG.sub(sup, text)

    def sub(match: re.Match[str]) -> str:
        before = raised[max(0, match.start() - 1) : match.start()]
        return (" " if before.isdigit() else "") + match.group(1).strip()

    return _SUB_TAG.sub(sub, raised)


def unicode_superscripts(text: str) -> str:
    """Superscript digits ("10²⁶", "km²", "2023⁴") made explicit before Unicode normalisation flattens them."""
    if not _SUPERSCRIPT_RUN.search(text):
        return text
    return _SUPERSCRIPT_RUN.sub(
        lambda m: _power(text[max(0, m.start() - 12) : m.start()], m.group().translate(_SUPERSCRIPT)), text
    )


@dataclass(frozen=True)
class TextRun:
    """One piece of text a PDF page shows, with its font size and baseline height (from the text matrix)."""

    text: str
    size: float
    rise: float


RAISED_SIZE = 0.85
"""A raised run is at most this share of the text before it in size …"""
RAISED_HEIGHT = 0.15
"""… and sits at least this share of that text's size above its baseline."""


def raised_digits(page_text: str, runs: Sequence[TextRun]) -> str:
    """``page_text`` (a PDF page's extracted text) with the raised digit runs of ``runs`` made explicit.

    A run of digits set smaller and higher than the run before it is a superscript: after a
    "10" it is an exponent ("10^26"), after anything else a footnote mark, dropped.
    """
    out, cursor = page_text, 0
    for before, run in zip(runs, runs[1:], strict=False):
        digits = run.text.strip()
        if not re.fullmatch(r"\d{1,4}", digits) or before.size <= 0 or not before.text.strip():
            continue
        if run.size > RAISED_SIZE * before.size or run.rise - before.rise < RAISED_HEIGHT * before.size:
            continue
        tail = before.text.rstrip()[-12:]
        at = out.find(tail + digits, cursor)
        if at < 0:
            continue
        start = at + len(tail)
        replacement = _power(tail, digits)
        out = out[:start] + replacement + out[start + len(digits) :]
        cursor = start + len(replacement)
    return out
