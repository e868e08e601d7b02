"""Typed answer spans in English and Chinese sentences, and typo tolerance against the library's words."""

from __future__ import annotations

import pytest

from ingest.spans import find_spans
from ingest.spelling import Vocabulary, edit_distance


@pytest.mark.parametrize(
    ("answer_type", "sentence", "expected"),
    [
        ("date", "The AI Diffusion Rule was issued on January 15, 2025, with compliance due May 15, 2025.",
         ["January 15, 2025", "May 15, 2025"]),
        ("date", "Resolution adopted by the General Assembly on 21 March 2024", ["21 March 2024"]),
        ("date", "本办法自2023年8月15日起施行。", ["2023年8月15日"]),
        ("duration", "Licences are valid for 18 months.", ["for 18 months"]),
        ("duration", "The Ministry shall publish the guide within 45 days of 3 March 2026.", ["within 45 days"]),
        ("duration", "Convene meetings at least twice per year under the auspices of CAISI.",
         ["at least twice per year"]),
        ("duration", "关键词库应每周更新。", ["每周"]),
        ("percentage", "It imposes a 25 percent tariff on certain advanced computing chips.", ["25 percent"]),
        ("percentage", "应用普及率超70%，智能经济核心产业规模快速增长。", ["超70%"]),
        ("money", "Japan's previous $550 billion investment commitment to the United States.", ["$550 billion"]),
        ("number", "The Plan identifies over 90 Federal policy actions across three pillars.", ["over 90", "three"]),
        ("number", "关键词库总规模不宜少于10000个。", ["10000个"]),
        ("quantity", "China will purchase at least 12 MMT of U.S. soybeans.", ["at least 12 MMT"]),
        ("person", "This Action Plan provides a roadmap for doing that,” said AI and Crypto Czar David Sacks.",
         ["David Sacks"]),
        ("document", "This memorandum fulfills subsection 4.8 of Executive Order 14110 of October 30, 2023.",
         ["Executive Order 14110"]),
    ],
)
def test_spans_of_each_type(answer_type: str, sentence: str, expected: list[str]) -> None:
    assert [s.text for s in find_spans(sentence, answer_type)] == expected
    for span in find_spans(sentence, answer_type):
        assert sentence[span.start : span.end] == span.text


def test_bodies_are_whole_names_and_offices() -> None:
    found = [s.text for s in find_spans(
        "The White House AI Council shall be chaired by the Assistant to the President and Deputy Chief of Staff "
        "for Policy.", "body")]
    assert found == ["White House AI Council", "Assistant to the President and Deputy Chief of Staff for Policy"]
    assert "国家发展改革委" in "".join(s.text for s in find_spans("国家发展改革委要加强统筹协调。", "body"))


def test_lookalikes_are_not_spans() -> None:
    assert find_spans("Executive Order 14192 of January 31, 2025 directs agencies.", "number") == []
    assert [s.text for s in find_spans("the Homeland Security Act of 2002 applies", "date")] == []
    assert find_spans("The Information Protection Law of the People's Republic applies.", "person") == []


def test_edit_distance_counts_transpositions_and_stops_early() -> None:
    assert edit_distance("tarrif", "tariff", 2) == 2
    assert edit_distance("excut", "execut", 2) == 1
    assert edit_distance("goverment", "government", 2) == 1
    assert edit_distance("sorghum", "soybean", 2) == 3  # limit + 1


def test_vocabulary_corrects_typos_and_keeps_unknown_names_apart() -> None:
    common = frozenset("how many tons of will china buy".split())
    vocabulary = Vocabulary({"tariff": 12, "govern": 40, "chip": 30, "make": 9, "soybean": 3}, common)
    assert vocabulary.corrections(["tarrif", "govern", "buy"]) == {"tarrif": "tariff"}
    assert vocabulary.unknown_words("How many tons of sorghum will China buy?") == ["sorghum"]
    assert vocabulary.unknown_words("chipmaking ITU tarrifs") == []  # a compound, an acronym, a typo
