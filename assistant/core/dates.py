"""Written dates compared with catalog dates: "January 23, 2025", "23 January 2025", "2025年1月23日" vs "2025-01-23"."""

from __future__ import annotations

import re

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1
)}


def same_date(text: str, iso: str) -> bool:
    """Whether a written date (``text``) is the ISO date ``iso`` (a year, year-month or full date).

    Args:
        text: a date as a document writes it.
        iso: "YYYY", "YYYY-MM" or "YYYY-MM-DD".
    """
    parts = [int(p) for p in re.findall(r"\d+", iso)]
    if not parts:
        return False
    words = text.lower()
    numbers = [int(n) for n in re.findall(r"\d+", words)]
    month = next((i for name, i in _MONTHS.items() if name in words or name[:3] + "." in words), None)
    chinese = "年" in text
    if chinese and len(numbers) >= 2:
        month = numbers[1]
    if not numbers or numbers[0 if chinese else -1] != parts[0]:
        return False
    if len(parts) >= 2 and month is not None and month != parts[1]:
        return False
    day = numbers[2] if chinese and len(numbers) >= 3 else next((n for n in numbers if n <= 31), None)
    return not (len(parts) >= 3 and day is not None and day != parts[2])
