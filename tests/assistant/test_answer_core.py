"""The answer core: one reader of the question, parts, the learned selector, leads that are right or absent.

A small library (the fast tier's mini documents plus an invented notice on a "Ruritanian compute registry",
so the answers can only come from it) checks the behaviour the answer-core issue asks for; the shared
corpus's own examples are in ``test_answer_core_corpus.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from testsupport import MINI_DOCS, NOT_STATED, RURITANIA, assert_markers_match, make_settings, write_docs

from assistant.core.analysis import analyze_question
from assistant.core.features import spans_of
from assistant.core.lang import language_data
from assistant.core.selector import load_model
from assistant.models import Answer, AnswerRequest, ChatTurn
from assistant.service import AnswerService


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> AnswerService:
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("ruritania")
    settings = make_settings(root / "data")
    library = Library(settings)
    report = ingest_paths(library, [write_docs(root / "docs", {**MINI_DOCS, **RURITANIA})])
    assert not report.errors
    return AnswerService(settings, library)


def ask(service: AnswerService, question: str, history: list[ChatTurn] | None = None) -> Answer:
    answer = service.answer(AnswerRequest(question=question, history=history or []))
    if answer.citations:
        assert_markers_match(answer.answer, [c.marker for c in answer.citations])
    return answer


# -- the one reader -------------------------------------------------------------------------------------------


def test_a_question_asking_two_things_has_two_parts() -> None:
    analysis = analyze_question("When did the Interim Measures take effect, and which bodies jointly issued them?")
    assert [p.kind for p in analysis.parts] == ["factoid", "list"]
    assert analysis.parts[0].types == ("date",) and analysis.parts[1].types == ("body",)
    assert "Interim Measures" in analysis.parts[1].text  # "them" gets the question's subject
    assert len(analyze_question("How do US and Chinese rules on labelling differ?").parts) == 1
    assert len(analyze_question("What are the rights and duties of providers?").parts) == 1
    zh = analyze_question("《生成式人工智能服务管理暂行办法》何时施行，由哪些部门联合发布？")
    assert len(zh.parts) == 2 and zh.parts[0].types == ("date",)


def test_follow_ups_depend_on_the_history_only_when_they_point_at_it() -> None:
    history = [ChatTurn(role="user", content="What does Executive Order 14179 direct?"),
               ChatTurn(role="assistant", content="It directs an AI Action Plan within 180 days.")]
    pointing = analyze_question("And when was it signed?", history)
    assert pointing.follow_up and "14179" in pointing.query
    fresh = analyze_question("生成式人工智能服务提供者应当履行哪些义务？", history)
    assert not fresh.follow_up and fresh.query == "生成式人工智能服务提供者应当履行哪些义务？"
    switch = analyze_question("Different topic: what does the NIST AI RMF say about risk tolerance?", history)
    assert not switch.follow_up and "14179" not in switch.query
    zh_history = [ChatTurn(role="user", content="《生成式人工智能服务管理暂行办法》何时施行？"),
                  ChatTurn(role="assistant", content="2023年8月15日。")]
    assert analyze_question("那它由哪些部门发布？", zh_history).follow_up
    assert not analyze_question("What does the AI Action Plan say about open-source models?", zh_history).follow_up


def test_cue_words_and_messages_live_in_the_language_data() -> None:
    english, chinese = language_data("en"), language_data("zh")
    assert english.messages.not_stated["money"].startswith("The library does not give")
    assert "资料库" in chinese.messages.refusal
    assert analyze_question("暂行办法何时施行？").language == "zh"
    assert analyze_question("When did 《生成式人工智能服务管理暂行办法》 take effect?").language == "en"


def test_the_packaged_selector_fits_this_code() -> None:
    model = load_model()
    assert 0.0 < model.threshold < 1.0
    assert model.info["trained_on"]["dev_items"] >= 200
    cv = model.info["cross_validation"]
    assert cv["held_out"] == "documents" and cv["top1_answers"] > 0.5  # out-of-document ranking, not in-sample


# -- the Ruritania notice ---------------------------------------------------------------------------------------


def test_who_runs_the_registry_never_leads_with_the_announcing_ministry(service: AnswerService) -> None:
    answer = ask(service, "Who will run the Ruritanian compute registry?")
    assert not answer.abstained and "Office of Frontier Computing" in answer.answer
    first_line = answer.answer.split("\n")[0]
    assert not first_line.startswith("Ruritanian Ministry of Digital Affairs [")  # the focus's owner, not the answer
    part = answer.parts[0]
    assert part.lead is None or "Office of Frontier Computing" in part.lead


def test_the_accelerator_threshold_is_the_asked_number(service: AnswerService) -> None:
    answer = ask(service, "How many AI accelerators trigger registration for the Ruritanian compute registry?")
    assert not answer.abstained
    assert "4,096" in answer.answer[:200]
    assert answer.parts[0].lead is None or "2.5 million" not in answer.parts[0].lead


def test_the_fine_is_answered_not_refused_beside_a_quote_that_gives_it(service: AnswerService) -> None:
    answer = ask(service, "What is the fine for missing the Ruritanian registration deadline?")
    assert not answer.abstained
    assert "2.5 million Ruritanian crowns" in answer.answer[:200]
    assert not NOT_STATED.search(answer.answer)


def test_each_part_of_a_two_part_question_is_answered_and_cited(service: AnswerService) -> None:
    answer = ask(service, "When was the Ruritanian compute registry announced, and who runs it?")
    assert len(answer.parts) == 2 and all(p.supported for p in answer.parts)
    assert "14 March 2026" in answer.parts[0].text and "Office of Frontier Computing" in answer.answer
    assert all(0.0 <= p.confidence <= 1.0 for p in answer.parts)


def test_a_part_the_library_does_not_answer_is_said_to_be_unsupported(service: AnswerService) -> None:
    answer = ask(service, "When was the Ruritanian compute registry announced, and which satellite launches it?")
    assert answer.parts[0].supported and "14 March 2026" in answer.parts[0].text
    unsupported = [p for p in answer.parts if not p.supported]
    if unsupported:  # the satellite part: said so, with no citation of its own
        assert unsupported[0].text and not re.search(r"\[\d+\]", unsupported[0].text)


def _refusal_claims_vs_quotes(answer: Answer) -> list[str]:
    """Refused parts that sit beside a cited quote holding a span of the type they say is not given."""
    problems = []
    by_marker = {c.marker: c for c in answer.citations}
    for part in answer.parts:
        if part.supported or not NOT_STATED.search(part.text):
            continue
        types = analyze_question(part.question).parts[0].types
        markers = [int(m) for m in re.findall(r"\[(\d+)\]", part.text)]
        quotes = [by_marker[m].quote for m in markers if m in by_marker]
        if types and any(spans_of(" ".join(q.split()), types[0]) for q in quotes):
            problems.append(f"{part.question!r}: {part.text[:160]!r}")
    return problems


@pytest.mark.parametrize("question", [
    "What is the fine for missing the Ruritanian registration deadline?",
    "How many accelerators make an operator register in Ruritania?",
    "By when must Ruritanian clusters be registered?",
    "What is the Telvar civil penalty per day?",
    "Who reviews compliance under the Kessick Memorandum?",
    "How long must labelling logs be kept in 绿洲市?",
    "What is the budget of the Ruritanian compute registry?",
    "Which city hosts the Qinghe Cyberspace Office?",
])
def test_no_answer_says_not_given_beside_a_quote_that_gives_it(service: AnswerService, question: str) -> None:
    answer = ask(service, question)
    assert answer.parts, answer.answer
    assert not _refusal_claims_vs_quotes(answer)


def test_a_self_contained_question_in_a_thread_is_answered_fresh(service: AnswerService) -> None:
    history = [ChatTurn(role="user", content="Who will run the Ruritanian compute registry?"),
               ChatTurn(role="assistant", content="The Office of Frontier Computing in Strelsau.")]
    answer = ask(service, "绿洲市生成内容标识办法自何时起施行？", history)
    assert not answer.abstained and "2024年9月1日" in answer.answer
    assert all(c.source_id == "lvzhou-labelling-measures-zh" for c in answer.citations[:1])
    follow = ask(service, "And what fine does it set for a missed deadline?", history)
    assert follow.citations and follow.citations[0].source_id == "ruritania-compute-registry"
    assert "2.5 million Ruritanian crowns" in follow.answer


def test_comparison_sides_are_what_the_question_names(service: AnswerService) -> None:
    directory = service.retriever.snapshot().directory()
    two_documents = analyze_question("How do the Telvar Model Reporting Rule and the Kessick Memorandum on Federal AI "
                                     "Procurement differ on reporting?", (), directory)
    assert {side.label for side in two_documents.sides} == {"Telvar Model Reporting Rule",
                                                            "Kessick Memorandum on Federal AI Procurement"}
    countries = analyze_question("How do US and Chinese rules on labelling AI content compare?", (), directory)
    assert {side.country for side in countries.sides} == {"US", "CN"}
    answer = ask(service, "How do the Telvar Model Reporting Rule and the Kessick Memorandum on Federal AI Procurement "
                          "differ on reporting?")
    cited = {c.source_id for c in answer.citations}
    assert {"telvar-model-reporting-rule", "kessick-procurement-memo"} <= cited
    assert "United States:" not in answer.answer and "China:" not in answer.answer


def test_answers_report_each_parts_confidence_over_http(service: AnswerService) -> None:
    from fastapi.testclient import TestClient

    from assistant.serving.server import create_app

    client = TestClient(create_app(service.settings))
    body = client.post("/v1/answer", json={"question": "How often must Ruritanian registrations be renewed?"}).json()
    assert body["parts"] and body["parts"][0]["kind"] == "factoid"
    assert 0.0 <= body["parts"][0]["confidence"] <= 1.0 and body["parts"][0]["supported"] is True
    assert "every 24 months" in body["answer"]


def test_the_core_reads_no_raw_question_downstream() -> None:
    """Only the analysis (and the language data it reads) touches the question's text with patterns."""
    core = Path(__file__).resolve().parents[2] / "assistant" / "core"
    readers = []
    for path in core.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"(?:analysis|data|turn|context)\.(?:analysis\.)?question\b", text):
            readers.append(path.name)
    assert readers == [], readers
