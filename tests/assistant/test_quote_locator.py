"""Locating a stored (NFKC-cleaned) quote among a page's character boxes, with hand-built pages."""

from __future__ import annotations

from typing import Any

from assistant.research.quote_locator import Box, locate_in_chars


def page(*lines: str, width: float = 6.0, height: float = 10.0) -> list[dict[str, Any]]:
    """Characters laid out like pdfplumber reports them: one line of text per ``lines`` entry, 14 pt apart."""
    chars = []
    for row, line in enumerate(lines):
        top = 100.0 + 14 * row
        for col, ch in enumerate(line):
            chars.append({"text": ch, "x0": 50 + col * width, "x1": 50 + (col + 1) * width, "top": top,
                          "bottom": top + height})
    return chars


def test_exact_quote_on_one_line() -> None:
    chars = page("Header text", "The rule applies to all vendors.", "Footer")
    located = locate_in_chars(chars, "applies to all")
    assert located.match == "exact"
    assert located.boxes == [Box(50 + 9 * 6, 114, 50 + 23 * 6, 124)]  # "applies to all" = columns 9..22


def test_ligatures_whitespace_and_line_breaks() -> None:
    chars = page("Vendors must ﬁle their", "hazard   logs each year.")
    located = locate_in_chars(chars, "must file their hazard logs")
    assert located.match == "exact"
    assert located.boxes == [Box(50 + 8 * 6, 100, 50 + 22 * 6, 110), Box(50, 114, 50 + 13 * 6, 124)]  # 'hazard   logs'


def test_hyphen_joined_by_the_cleaner() -> None:
    chars = page("develop met-", "rics and goals")
    located = locate_in_chars(chars, "develop metrics and goals")
    assert located.match == "dehyphenated"
    assert len(located.boxes) == 2 and located.boxes[0].x0 == 50 and located.boxes[1].x1 == 50 + 14 * 6


def test_small_differences_inside_a_long_quote_match_by_anchors() -> None:
    long = "Signatories shall register every orbital compute cluster with the Lunar Registry within thirty days."
    printed = long.replace("every", "each")
    located = locate_in_chars(page(printed), long)
    assert located.match == "anchors" and located.boxes == [Box(50, 100, 50 + len(printed) * 6, 110)]


def test_a_quote_running_onto_the_next_page_is_found_in_part() -> None:
    located = locate_in_chars(page("Providers must keep the watermark keys for five years and"),
                              "Providers must keep the watermark keys for five years and hand them to the Authority.")
    assert located.match == "prefix" and located.boxes == [Box(50, 100, 50 + 57 * 6, 110)]


def test_absent_quote_and_cjk_radicals() -> None:
    assert locate_in_chars(page("Nothing relevant here."), "a sentence that is not on the page").boxes == []
    chars = page("⼈⺠⽣活")  # Kangxi / radical forms a PDF font emits; the stored text has 人民生活
    assert locate_in_chars(chars, "人民生活").match == "exact"


def test_a_citation_names_the_page_its_quote_starts_on_not_its_chunks_first_page() -> None:
    from collections import Counter

    from assistant.core.assemble import on_quote_pages
    from assistant.models import Citation
    from assistant.retrieval.retrieve import Snapshot
    from ingest.models import PageSpan

    snap = Snapshot(1, {}, {}, None, Counter(), pages={"doc": [PageSpan(1, 0, 100), PageSpan(2, 100, 250)]})  # type: ignore[arg-type]
    fields = {"title": "T", "publisher": "", "country": "US", "date": "", "url": None, "chunk_id": "doc:0"}
    on_two = Citation(marker=1, source_id="doc", page=1, quote="q", start=120, end=140, **fields)
    unpaged = Citation(marker=2, source_id="html", page=None, quote="q", start=5, end=9, **fields)
    placed = on_quote_pages([on_two, unpaged], snap)
    assert [c.page for c in placed] == [2, None]
    assert snap.page_at("doc", 99) == 1 and snap.page_at("doc", 300) == 2
