"""Chinese numerals as integers: article numbers ("第二十四条") and counts ("三个方面")."""

from __future__ import annotations

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}


def chinese_number(token: str) -> int:
    """``token`` (Chinese numerals up to the hundreds, or ASCII digits) as an integer.

    "二十四" -> 24, "十" -> 10, "一百零五" -> 105, "7" -> 7; a character that is no numeral counts as 0.
    """
    if token.isdigit():
        return int(token)
    total, current = 0, 0
    for ch in token:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS.get(ch, 0)
    return total + current
