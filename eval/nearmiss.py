"""Near-miss questions: a number, name or date the document does not give, about something it does cover.

Each draft changes one value the card holds (a deadline, an actor, a date) or asks
for one the document never states (a fine), and is kept only when the asked value is
absent from the document's whole text in every spelling checked here — so the
honest answer is that the document does not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = ("January February March April May June July August September October November December").split()
_OTHER_ACTORS = ("the Secretary of Agriculture", "the Federal Trade Commission", "the Secretary of Transportation",
                 "the Small Business Administration", "the National Science Foundation", "the Secretary of Labor")
_OTHER_ACTORS_ZH = ("国家铁路局", "中国民用航空局", "国家林业和草原局", "国家邮政局")
_BINDING = re.compile(r"\b(?:rule|order|regulation|measures?|act|code|standard|law|directive|memorandum)\b|"
                      r"办法|规定|标准", re.I)
_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "sixteen seventeen eighteen nineteen twenty").split()


@dataclass(frozen=True)
class NearMiss:
    """A drafted near-miss: the question, the value it asks about, and what the document does say."""

    question: str
    value: str
    reference_answer: str


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def absent(text: str, *spellings: str) -> bool:
    """Whether none of ``spellings`` occurs in ``text`` (case and whitespace ignored)."""
    flat = _flat(text)
    return all(_flat(s) not in flat for s in spellings if s)


def period_spellings(number: int, unit: str) -> list[str]:
    """Ways a document may write a period: "45 days", "45-day", "forty-five days" (up to twenty in words)."""
    out = [f"{number} {unit}", f"{number}-{unit.rstrip('s')}", f"{number} calendar {unit}", f"{number} business {unit}"]
    if number < len(_NUMBER_WORDS):
        out += [f"{_NUMBER_WORDS[number]} {unit}", f"{_NUMBER_WORDS[number]}-{unit.rstrip('s')}"]
    if number == 1:
        out += [f"one {unit.rstrip('s')}", f"1 {unit.rstrip('s')}"]
    return out


def shifted_deadline(text: str, doc: str, actor: str, deadline: str) -> NearMiss | None:
    """"What must <actor> do within <N'> days under <doc>?" for a deadline of N days, N' written nowhere."""
    match = re.search(r"(\d+)\s*(?:calendar\s+|business\s+)?(days?|months?|years?)", deadline, re.I)
    if match is None or re.search(r"[\u3400-\u9fff]", actor):
        return None
    number, unit = int(match.group(1)), match.group(2).lower().rstrip("s") + "s"
    for other in (number + 15, number * 2, number + 45, number + 7):
        if absent(text, *period_spellings(other, unit)):
            return NearMiss(
                f"What must {actor} do within {other} {unit} under {doc}?", f"{other} {unit}",
                f"{doc} gives {actor} a deadline of {match.group(0)}, not {other} {unit}; it sets no "
                f"{other}-{unit.rstrip('s')} deadline.")
    return None


def swapped_actor(text: str, doc: str, language: str, salt: int) -> NearMiss | None:
    """"What must <an actor the document never names> do under <doc>?" (names checked absent)."""
    pool = _OTHER_ACTORS_ZH if language == "zh" else _OTHER_ACTORS
    for i in range(len(pool)):
        actor = pool[(salt + i) % len(pool)]
        core = re.sub(r"^the (?:Secretary of )?", "", actor)
        if absent(text, actor, core):
            if language == "zh":
                return NearMiss(f"根据《{doc}》，{actor}应当履行哪些义务？", actor,
                                f"《{doc}》没有提到{actor}，也没有为其规定义务。")
            return NearMiss(f"What does {doc} require {actor} to do?", actor,
                            f"{doc} does not mention {actor} or give it any task.")
    return None


def parse_date(value: str) -> date | None:
    """The date written as "March 4, 2025" or "4 March 2025" in ``value`` (None when there is none)."""
    match = re.search(r"(" + "|".join(MONTHS) + r")\s+(\d{1,2}),\s+(\d{4})", value)
    if match:
        return date(int(match.group(3)), MONTHS.index(match.group(1)) + 1, int(match.group(2)))
    match = re.search(r"(\d{1,2})\s+(" + "|".join(MONTHS) + r")\s+(\d{4})", value)
    if match:
        return date(int(match.group(3)), MONTHS.index(match.group(2)) + 1, int(match.group(1)))
    return None


def date_spellings(day: date) -> list[str]:
    """Ways a document may write a date: "March 4, 2025", "4 March 2025", "2025-03-04", "2025年3月4日"."""
    month = MONTHS[day.month - 1]
    return [f"{month} {day.day}, {day.year}", f"{day.day} {month} {day.year}", day.isoformat(),
            f"{day.year}年{day.month}月{day.day}日"]


def shifted_date(text: str, doc: str, value: str, thing: str) -> NearMiss | None:
    """"What does <doc> say about <thing> on <D'>?" for a date D it gives, D' written nowhere."""
    day = parse_date(value)
    if day is None:
        return None
    for months in (2, 5, -3, 7):
        total = day.year * 12 + day.month - 1 + months
        try:
            other = date(total // 12, total % 12 + 1, min(day.day, 28))
        except ValueError:
            continue
        spellings = date_spellings(other)
        if absent(text, *spellings):
            return NearMiss(f"What does {doc} say about {thing} as of {spellings[0]}?", spellings[0],
                            f"{doc} gives {value} for {thing}; it says nothing about {spellings[0]}.")
    return None


def missing_fine(text: str, doc: str, title: str, language: str) -> NearMiss | None:
    """"What is the maximum fine for violating <doc>?" for a binding-sounding text that states no fine amount."""
    if not _BINDING.search(title):
        return None
    amounts = re.search(r"[$€£¥]\s?\d|\d[\d,.]*\s*(?:dollars|euros|yuan|万元|元)|[一二三四五六七八九十百千万两]+元",
                        text, re.I)
    fines = re.search(r"\b(?:fine|penalt|sanction)\w*|罚款|处罚", text, re.I)
    if amounts and fines:
        return None
    if language == "zh":
        return NearMiss(f"违反《{doc}》最高罚款多少？", "罚款金额", f"《{doc}》没有规定罚款金额。")
    return NearMiss(f"What is the maximum fine for violating {doc}?", "a fine amount",
                    f"{doc} sets no fine amount.")
