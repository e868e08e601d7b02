"""Chinese numerals as integers, checked against hand-written values."""

from __future__ import annotations

import pytest

from assistant.retrieval.numerals import chinese_number


@pytest.mark.parametrize(("token", "value"), [
    ("七", 7), ("两", 2), ("十", 10), ("十六", 16), ("二十", 20), ("二十四", 24), ("一百", 100), ("一百零五", 105),
    ("百二十", 120), ("〇", 0), ("24", 24), ("7", 7),
])
def test_chinese_numerals_and_digits(token: str, value: int) -> None:
    assert chinese_number(token) == value
