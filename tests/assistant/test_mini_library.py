"""End to end on the fast tier's mini library (four invented documents, two US-style and two Chinese/English).

The same path as the shared-corpus tests (ingest, retrieval, the extractive answer,
verification, filters), on a library small enough to ingest in seconds: each answer
must be answered (not abstained), cite the right document, and every citation must
be an exact span of the stored text.
"""

from __future__ import annotations

import pytest
from testsupport import assert_markers_match

from assistant.models import Answer, AnswerRequest, Filters
from assistant.service import AnswerService
from ingest.library import Library
from policychat.settings import Settings

TELVAR = "telvar-model-reporting-rule"
KESSICK = "kessick-procurement-memo"
LVZHOU = "lvzhou-labelling-measures-zh"
QINGHE = "qinghe-algorithm-filing-rules"


@pytest.fixture(scope="module")
def service(mini_library: Settings) -> AnswerService:
    return AnswerService(mini_library, Library(mini_library))


def ask(service: AnswerService, question: str, **kwargs: object) -> Answer:
    return service.answer(AnswerRequest(question=question, **kwargs))


def assert_cited_exactly(service: AnswerService, answer: Answer) -> None:
    """Answered, with citations that are exact spans of the stored text and of a retrieved chunk."""
    assert not answer.abstained, answer.answer
    assert answer.citations, answer.answer
    retrieved = {p.chunk_id: p.text for p in answer.retrieved}
    for citation in answer.citations:
        assert citation.quote in retrieved[citation.chunk_id]
        stored = service.library.catalog.source(citation.source_id).text
        assert stored[citation.start:citation.end] == citation.quote
    assert_markers_match(answer.answer, [c.marker for c in answer.citations])


def test_the_mini_library_holds_four_sources_of_both_countries_and_languages(service: AnswerService) -> None:
    records = {r.meta.id: r for r in service.library.catalog.records()}
    assert sorted(records) == [KESSICK, LVZHOU, QINGHE, TELVAR]
    assert {i: r.meta.country for i, r in records.items()} == {KESSICK: "US", LVZHOU: "CN", QINGHE: "CN",
                                                                  TELVAR: "US"}
    assert records[LVZHOU].meta.language == "zh" and records[TELVAR].meta.language == "en"
    assert records[LVZHOU].meta.title == "绿洲市生成内容标识办法"
    assert all(r.n_chunks >= 1 for r in records.values())
    chunks = service.library.catalog.chunks()
    assert service.library.vectors.ids() == {c.chunk_id for c in chunks}
    for chunk in chunks:
        assert service.library.catalog.source(chunk.source_id).text[chunk.start:chunk.end] == chunk.text


def test_an_english_factoid_is_answered_from_its_document(service: AnswerService) -> None:
    answer = ask(service, "Within how many days must developers report a training run under the Telvar rule?")
    assert_cited_exactly(service, answer)
    assert answer.citations[0].source_id == TELVAR
    assert "30 days" in answer.answer.split("\n\n")[0]


def test_a_chinese_question_is_answered_from_the_chinese_document(service: AnswerService) -> None:
    answer = ask(service, "服务提供者应当保存标识日志多久？")
    assert_cited_exactly(service, answer)
    assert {c.source_id for c in answer.citations} == {LVZHOU}
    assert "六个月" in answer.answer


def test_a_chinese_date_question(service: AnswerService) -> None:
    answer = ask(service, "绿洲市生成内容标识办法何时施行？")
    assert_cited_exactly(service, answer)
    assert "2024年9月1日" in answer.answer


@pytest.mark.parametrize(("country", "question", "source_id"), [
    ("CN", "What must providers of recommendation algorithms file?", QINGHE),
    ("US", "What must federal agencies do with AI-generated content in public notices?", KESSICK),
])
def test_a_country_filter_keeps_the_answer_to_that_country(
    service: AnswerService, country: str, question: str, source_id: str
) -> None:
    answer = ask(service, question, filters=Filters(country=[country]))
    assert_cited_exactly(service, answer)  # answered and cited: the check below is over a non-empty list
    assert {c.country for c in answer.citations} == {country}
    assert source_id in {c.source_id for c in answer.citations}
    assert {p.source_id for p in answer.retrieved} <= {
        s for s, c in ((TELVAR, "US"), (KESSICK, "US"), (LVZHOU, "CN"), (QINGHE, "CN")) if c == country}


def test_a_comparison_cites_both_countries(service: AnswerService) -> None:
    answer = ask(service, "How do US and Chinese rules on labelling AI-generated content differ?")
    assert_cited_exactly(service, answer)
    assert {c.country for c in answer.citations} == {"US", "CN"}


def test_a_question_the_library_does_not_cover_is_refused(service: AnswerService) -> None:
    answer = ask(service, "What does the Zorblax treaty say about fishing quotas in the Arctic?")
    assert answer.abstained and answer.citations == []
    assert answer.answer.startswith("I could not find enough support in the library")


def test_a_chinese_question_the_library_does_not_cover_is_refused_in_chinese(service: AnswerService) -> None:
    answer = ask(service, "佐布拉克斯条约对北极渔业配额有何规定?")
    assert answer.abstained and answer.citations == []
    assert answer.answer.startswith("资料库中没有足够的依据来回答这个问题。")
    assert "“佐布拉克斯条约对北极渔业配额有何规定?”" in answer.answer
