"""Reading the LLM judge's replies: yes/no verdicts per numbered statement, and 0..1 scores.

Small models answer in many shapes (JSON objects or lists, ``1: yes`` lines,
"Statement 3 - supported", bare words, "7/10", "70%"); everything here is lenient
and returns ``None`` for what cannot be read, never an exception. Used by
:mod:`eval.judge`.
"""

from __future__ import annotations

import json
import re

_VERDICT_WORD = r"(yes|no|true|false|supported|unsupported|not supported|relevant|irrelevant|not relevant)"
_NUMBERED_VERDICT = re.compile(
    r"(?im)^[\s*#>\-]*(?:statement|passage|context)?\s*\[?(\d{1,2})\]?\s*[:.)=\-]\s*[*\"']*\s*"
    + _VERDICT_WORD
    + r"\b(?!\s*(?:or|/)\s*(?:no|yes)\b)"
)
_BARE_VERDICT = re.compile(r"(?i)(?<!or )(?<!/)\b" + _VERDICT_WORD + r"\b(?!\s*(?:or|/)\s*(?:no|yes)\b)")
_POSITIVE = {"yes", "true", "supported", "relevant"}


def _verdict(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, dict):
        for key in ("verdict", "supported", "answer", "useful", "relevant"):
            if key in value:
                return _verdict(value[key])
        return None
    if isinstance(value, str):
        word = value.strip().strip(".!\"'*").lower()
        if word in _POSITIVE or word == "1":
            return True
        if word in {"no", "false", "unsupported", "not supported", "irrelevant", "not relevant", "0"}:
            return False
    return None


def _json_value(reply: str) -> object:
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = reply.find(opener), reply.rfind(closer)
        if 0 <= start < end:
            try:
                return json.loads(reply[start : end + 1])
            except json.JSONDecodeError:
                continue
    return None


def parse_verdicts(reply: str, count: int) -> list[bool | None]:
    """Yes/no verdicts for ``count`` numbered statements, read leniently from a model reply.

    Understands ``{"1": "yes", "2": "no"}``, ``["yes", "no"]``, lines such as
    ``1: yes`` / ``2. No`` / ``Statement 3 - supported``, and, when there is no
    numbering, a bare sequence of exactly ``count`` yes/no words. A statement
    without a readable verdict is ``None``; an echoed ``1: yes or no`` is not a verdict.
    """
    verdicts: list[bool | None] = [None] * count
    data = _json_value(reply)
    if isinstance(data, dict):
        for key in ("verdicts", "statements", "passages", "results"):
            if isinstance(data.get(key), list | dict):
                data = data[key]
                break
    if isinstance(data, dict):
        for key, value in data.items():
            digits = re.sub(r"\D", "", str(key))
            if digits and 1 <= int(digits) <= count:
                verdicts[int(digits) - 1] = _verdict(value)
    elif isinstance(data, list) and len(data) == count:
        verdicts = [_verdict(v) for v in data]
    if any(v is not None for v in verdicts):
        return verdicts
    for match in _NUMBERED_VERDICT.finditer(reply):
        number = int(match.group(1))
        if 1 <= number <= count and verdicts[number - 1] is None:
            verdicts[number - 1] = match.group(2).lower() in _POSITIVE
    if any(v is not None for v in verdicts):
        return verdicts
    words = [m.group(1).lower() in _POSITIVE for m in _BARE_VERDICT.finditer(reply)]
    if count == 1 and words:
        return [words[0]]
    if len(words) == count:
        return list(words)
    return verdicts


def parse_score(reply: str, scale: float = 10.0) -> float | None:
    """A 0..1 score from a rating on ``0..scale`` ("7", "7/10", "70%", ``{"score": 7}``, or yes/no).

    A decimal below 1 ("0.8") is read as already on 0..1. A number out of
    range (a year, a date) is not a score: ``None``.
    """
    data = _json_value(reply)
    if isinstance(data, dict):
        numbers = [v for v in data.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers:
            reply = str(numbers[0])
    match = re.search(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(%|/\s*(\d+(?:\.\d+)?))?", reply)
    if match:
        value = float(match.group(1))
        if match.group(2) == "%":
            value, top = value / 100, 1.0
        elif match.group(3):
            top = float(match.group(3))
            value = value / top if top else -1.0
        elif "." in match.group(1) and value < 1.0:
            top = 1.0  # "0.8": a 0..1 score despite the 0..10 scale asked for
        else:
            top = scale
            value = value / scale
        return round(value, 4) if 0.0 <= value <= 1.0 and top > 0 else None
    verdicts = parse_verdicts(reply, 1)
    return None if verdicts[0] is None else float(verdicts[0])


def share(verdicts: list[bool | None]) -> float | None:
    """The share of read verdicts that are yes (None when none could be read)."""
    read = [v for v in verdicts if v is not None]
    return sum(read) / len(read) if read else None


def average_precision(verdicts: list[bool | None]) -> float | None:
    """RAGAS's context precision: mean of precision@k over the ranks k of useful contexts (unread = not useful)."""
    if all(v is None for v in verdicts):
        return None
    useful = [bool(v) for v in verdicts]
    if not any(useful):
        return 0.0
    total = sum(sum(useful[: k + 1]) / (k + 1) for k, flag in enumerate(useful) if flag)
    return total / sum(useful)
