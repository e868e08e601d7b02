"""Sentence splitting (ingest.sentences) on English, Chinese and mixed text: spans, offsets, what never cuts."""

from __future__ import annotations

import pytest

from ingest.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_english_full_stops_question_and_exclamation_marks() -> None:
    text = "The rule applies now. It ends in 2026! Does it apply to chips? Yes."
    assert sentences(text) == ["The rule applies now.", "It ends in 2026!", "Does it apply to chips?", "Yes."]


@pytest.mark.parametrize("text", [
    "The U.S. Department of Commerce issued the rule on Monday.",
    "Mr. Smith and Dr. Jones signed it, e.g. in Geneva.",
    "The order (see Sec. 3) applies to all agencies.",
    "J. Smith signed the order for the agency.",
    "Version 2.5 of the profile replaced version 2.0 in May.",
])
def test_abbreviations_initials_and_decimals_do_not_end_a_sentence(text: str) -> None:
    assert sentences(text) == [text]


@pytest.mark.parametrize(("text", "expected"), [
    ("生成式人工智能服务应当标识。提供者应当保存日志。", ["生成式人工智能服务应当标识。", "提供者应当保存日志。"]),
    ("提供者应当保存日志！监管部门可以检查吗？", ["提供者应当保存日志！", "监管部门可以检查吗？"]),
    ("可以检查；但须事先通知。", ["可以检查；", "但须事先通知。"]),
    ("标识应当清晰可见。”监管部门说。", ["标识应当清晰可见。”", "监管部门说。"]),
])
def test_chinese_sentence_ends(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_a_chinese_article_number_at_a_line_start_is_its_own_span() -> None:
    text = "第一条 为了规范服务，制定本办法。\n第二十四条本办法自2024年9月1日起施行。"
    assert sentences(text) == ["第一条", "为了规范服务，制定本办法。", "第二十四条", "本办法自2024年9月1日起施行。"]


def test_mixed_chinese_and_english() -> None:
    text = "The measures say: 服务提供者应当添加标识。 English follows here. It ends here."
    assert sentences(text) == ["The measures say: 服务提供者应当添加标识。", "English follows here.", "It ends here."]


def test_blank_lines_list_items_and_headings_end_a_span() -> None:
    text = ("# Reporting\n\nDevelopers must report\n\n- the cluster location\n- the compute used\n\n"
            "Short heading\nThe body.")
    assert sentences(text) == ["# Reporting", "Developers must report", "- the cluster location",
                               "- the compute used", "Short heading", "The body."]


def test_a_numbered_paragraph_keeps_its_number() -> None:
    assert sentences("7. Encourages Member States to act.") == ["7. Encourages Member States to act."]


def test_a_hard_wrapped_sentence_stays_whole() -> None:
    text = "The agreement commits both parties to purchase 12 MMT of U.S.\nsoybeans in each of the next three years."
    assert sentences(text) == [text]


def test_spans_are_stripped_ordered_and_shifted_by_the_offset() -> None:
    text = "  First one.   Second one.  \n"
    assert split_sentences(text) == [(2, 12), (15, 26)]
    assert split_sentences(text, offset=100) == [(102, 112), (115, 126)]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_nothing_but_whitespace_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_text_without_terminal_punctuation_is_one_sentence() -> None:
    assert sentences("Export controls on advanced chips") == ["Export controls on advanced chips"]


def test_every_non_space_character_is_in_exactly_one_span() -> None:
    text = ("# 绿洲市生成内容标识办法\n\n第一条 为了规范生成式人工智能服务，制定本办法。\n\n"
            "The U.S. rule applies. Developers must report within 30 days! Why? Because Sec. 2 says so.\n"
            "- item one\n- item two；第二项。\n\n7. Encourages Member States to cooperate.")
    spans = split_sentences(text)
    assert spans == sorted(spans)
    covered = [0] * len(text)
    for start, end in spans:
        assert start < end and text[start:end] == text[start:end].strip()
        for i in range(start, end):
            covered[i] += 1
    assert all(n <= 1 for n in covered)
    assert all(covered[i] == 1 for i, ch in enumerate(text) if not ch.isspace())
