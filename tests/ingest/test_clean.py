"""Text clean-up before chunking (ingest.clean): Unicode, CJK spacing and punctuation, hyphens, page furniture."""

from __future__ import annotations

import pytest

from ingest.clean import (
    clean_pdf_pages,
    clean_text,
    join_vertical_runs,
    looks_chinese,
    normalize_unicode,
    rejoin_split_words,
    restore_cjk_punctuation,
    strip_repeated_margins,
    tidy_whitespace,
)


def test_unicode_ligatures_radicals_soft_hyphens_and_control_characters() -> None:
    assert normalize_unicode("ﬁnal ﬂow") == "final flow"  # PDF ligatures
    assert normalize_unicode("⼈⺠") == "人民"  # Kangxi radical and a CJK radical supplement form
    assert normalize_unicode("regu\u00adlation") == "regulation"
    assert normalize_unicode("a\r\nb\rc") == "a\nb\nc"
    assert normalize_unicode("bell\x07 and\ttab\x00") == "bell and\ttab"
    assert normalize_unicode("ＡＩ　１２３") == "AI 123"  # full-width forms


def test_whitespace_is_tidied_and_paragraphs_kept() -> None:
    messy = "  The   rule\u00a0applies. \n\n\n\n Next  paragraph.  "
    assert tidy_whitespace(messy) == "The rule applies.\n\nNext paragraph."


def test_spaces_a_pdf_put_between_chinese_characters_and_digits_go() -> None:
    assert clean_text("人 工 智 能 服 务") == "人工智能服务"
    assert clean_text("自 2 0 2 4 年 9 月 1 日起施行") == "自2024年9月1日起施行"
    assert clean_text("Article 3 of the AI Act") == "Article 3 of the AI Act"  # English spacing untouched


def test_chinese_punctuation_is_full_width_again_but_english_and_numbers_keep_theirs() -> None:
    assert restore_cjk_punctuation("提供者,应当标识;见附录:一") == "提供者，应当标识；见附录：一"
    assert restore_cjk_punctuation("技术委员会(SAC/TC260)发布") == "技术委员会（SAC/TC260）发布"
    assert restore_cjk_punctuation("Costs (in USD) rose to 1,000; see (a).") == "Costs (in USD) rose to 1,000; see (a)."
    assert restore_cjk_punctuation("共1,000家企业") == "共1,000家企业"


def test_line_end_hyphens_are_joined_in_pdf_text_unless_the_word_is_a_compound() -> None:
    text = "The govern-\nance of risk-\nbased systems is risk-based."
    assert clean_text(text, from_pdf=True) == "The governance of risk-based systems is risk-based."
    assert clean_text("govern-\nance", from_pdf=False) == "govern-\nance"  # only PDF extraction breaks words


def test_a_chinese_line_wrapped_by_the_pdf_is_joined() -> None:
    wrapped = "服务提供者应当在生成的图片音频和视频中添加显式标识并保存\n日志不少于六个月。\n第二条本办法施行。"
    joined = "服务提供者应当在生成的图片音频和视频中添加显式标识并保存日志不少于六个月。\n第二条本办法施行。"
    assert clean_text(wrapped, from_pdf=True) == joined


def test_table_of_contents_dot_leaders_are_dropped_from_pdf_text() -> None:
    assert clean_text("1.2 Risk Tolerance ........ 7\nThe profile covers risks.", from_pdf=True) == (
        "The profile covers risks.")


def test_repeated_headers_footers_and_page_numbers_are_dropped() -> None:
    pages = [
        f"Harbour Energy Bulletin\nThe board reviewed plan {name}.\nMembers voted on the {name} budget.\n"
        f"Grid notes for {name} follow.\nThe {name} session closed.\nPage {i} of 5"
        for i, name in enumerate(["Arden", "Belmont", "Corran", "Dunmore", "Elgin"], start=1)
    ]
    cleaned = strip_repeated_margins(pages)
    assert cleaned[2] == "The board reviewed plan Corran.\nMembers voted on the Corran budget.\n" \
                         "Grid notes for Corran follow.\nThe Corran session closed."
    assert all("Harbour Energy Bulletin" not in page and "Page" not in page for page in cleaned)


def test_lines_repeated_on_too_few_pages_stay() -> None:
    pages = ["Memo header\nFirst body line.\nSecond line.\n3", "Memo header\nOther body.\nMore text.\n4"]
    assert strip_repeated_margins(pages) == ["Memo header\nFirst body line.\nSecond line.",
                                             "Memo header\nOther body.\nMore text."]  # bare page numbers go


def test_vertical_text_is_joined_only_in_runs_of_three_or_more() -> None:
    assert join_vertical_runs("2\n0\n2\n4\n年\n9\n月\nThe order took effect.") == "2024年9月\nThe order took effect."
    assert join_vertical_runs("A\nB\nTwo single letters stay.") == "A\nB\nTwo single letters stay."


def test_words_split_after_their_first_letter_are_rejoined_only_into_known_words() -> None:
    known = frozenset({"united", "states", "support", "new", "most"})
    assert rejoin_split_words("The U nited States s upport it", known) == "The United States support it"
    assert rejoin_split_words("a new s most", known) == "a new s most"
    assert rejoin_split_words("The U nited States", frozenset()) == "The U nited States"


def test_pdf_pages_keep_their_furniture_when_nothing_else_is_left() -> None:
    assert clean_pdf_pages(["Same line\nbody one", "Same line\nbody two", "Same line\nbody three"]) == [
        "body one", "body two", "body three"]
    assert clean_pdf_pages(["Only line\n", "Only line\n", "Only line\n"]) == ["Only line"] * 3


@pytest.mark.parametrize(("text", "chinese"), [
    ("这是一段中文文本，讨论人工智能的治理。", True),
    ("这是中文文本 with a few words", True),  # 6 of 16 letters are Chinese: over a fifth
    ("An English text with one 中 character in it.", False),
    ("12345 !!!", False),
])
def test_looks_chinese(text: str, chinese: bool) -> None:
    assert looks_chinese(text) is chinese
