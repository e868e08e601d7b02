"""Streaming answers: sentences cut as the model writes, each verified at once; prompts; the extractive fallback.

The checker tests run the real verifier on a real library (no model). The slow
tests stream from the packaged SmolLM2 through llama.cpp's OpenAI-compatible
server (tests/conftest.py) with policychat's own ``openai`` backend, and assert
what must hold for any reply: a released sentence is supported by its cited quote,
a withheld one is never shown, and the final answer lists it with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from testsupport import (
    LLM_EASY_QUESTION,
    LLM_HARD_QUESTIONS,
    free_port,
    ingest_llm_docs,
    llm_settings,
    silent_listener,
)

from assistant.generators.stream_verify import SentenceChecker, SentenceSplitter, model_markers, without_lead_in
from assistant.generators.streaming import final_answer
from assistant.models import Answer, AnswerRequest
from assistant.service import AnswerService
from ingest.library import Library
from policychat.errors import GeneratorError

FALLBACK = "extractive (fallback from openai)"


def feed(text: str, step: int = 2) -> list[tuple[int, str]]:
    """Feed ``text`` in ``step``-character pieces; (characters fed when it came out, sentence) per sentence."""
    splitter = SentenceSplitter()
    out = [(i + step, s) for i in range(0, len(text), step) for s in splitter.feed(text[i:i + step])]
    return out + [(len(text), s) for s in splitter.finish()]


def test_a_sentence_is_released_once_the_next_begins_with_its_markers() -> None:
    text = "Reports are due within 90 days [1]. The U.S. Secretary shall act.[2] Agencies must comply. [3] Tail"
    got = feed(text)
    assert [s for _, s in got] == [
        "Reports are due within 90 days [1].", "The U.S. Secretary shall act. [2]", "Agencies must comply. [3]", "Tail",
    ]
    first_done = text.index(" The U.S.") + 3  # "The" of the next sentence has started
    assert got[0][0] <= first_done + 2
    assert got[2][0] < len(text)  # released before the reply ended
    chinese = feed("生成式服务应当标识。[1]训练数据必须合法。[2]")
    assert [s for _, s in chinese] == ["生成式服务应当标识。 [1]", "训练数据必须合法。 [2]"]


def test_lead_ins_and_model_markers() -> None:
    assert without_lead_in("The passages state that providers must file.") == "Providers must file."
    assert without_lead_in("According to passage 2, the rule applies.") == "The rule applies."
    assert without_lead_in("Passages matter.") == "Passages matter."
    assert model_markers("As stated [2] and [1, 3]. [9]", 3) == [2, 1, 3]


@pytest.fixture(scope="module")
def llm_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = tmp_path_factory.mktemp("stream-lib")
    settings = llm_settings(root / "data", "http://127.0.0.1:9/v1")
    ingest_llm_docs(root, settings)
    return Library(settings)


def checker_for(library: Library, question: str) -> tuple[SentenceChecker, AnswerService]:
    service = AnswerService(library.settings, library)
    passages = service.retriever.retrieve(question)
    checker = SentenceChecker(passages, passages, service.retriever.snapshot().idf, library.embeddings, question)
    return checker, service


def test_checker_releases_supported_sentences_and_says_why_others_are_withheld(llm_library: Library) -> None:
    checker, _ = checker_for(llm_library, "What must providers of chatbot services do?")
    try:
        labelled = checker.check("The passages state that providers must label chatbot replies as machine-generated.")
        registered = checker.check("Providers of chatbot services must register each model before release [1].")
        again = checker.check("Providers must label chatbot replies as machine-generated.")
        wrong = checker.check("Providers of chatbot services must register each model with the Office of Harbor "
                              "Technology.")
        off_topic = checker.check("The sky over the harbour was grey that morning.")
    finally:
        checker.close()
    assert labelled.released == "Providers must label chatbot replies as machine-generated. [1]"
    assert "machine-generated" in labelled.new_citations[0].quote
    assert registered.released is not None and registered.released.endswith("[2]")
    assert "register each model" in registered.new_citations[0].quote
    assert again.released is None and again.reason == "repeats an earlier sentence" and not again.counts
    assert wrong.released is None and wrong.counts and "Office of Harbor Technology" in (wrong.reason or "")
    assert off_topic.released is None and not off_topic.counts and "topic" in (off_topic.reason or "")
    sources = {c.source_id: llm_library.catalog.source(c.source_id).text for c in checker.citations}
    assert [c.marker for c in checker.citations] == [1, 2]
    for citation in checker.citations:
        assert sources[citation.source_id][citation.start:citation.end] == citation.quote


# Against llama.cpp's OpenAI-compatible server ---------------------------------------------------


@pytest.fixture(scope="module")
def llm_service(llm_library: Library, llama_server_url: str) -> AnswerService:
    settings = llm_settings(llm_library.settings.store.data_dir, llama_server_url)
    return AnswerService(settings, llm_library)


def timed(events: Iterator[dict[str, Any]]) -> list[tuple[float, dict[str, Any]]]:
    started = time.perf_counter()
    return [(time.perf_counter() - started, event) for event in events]


@pytest.mark.slow
def test_an_llm_sentence_survives_verification_and_streams_before_the_answer(
    llm_service: AnswerService, llm_library: Library
) -> None:
    events = timed(llm_service.stream(AnswerRequest(question=LLM_EASY_QUESTION)))
    kinds = [event["event"] for _, event in events]
    assert kinds[0] == "token" and kinds[-1] == "answer"
    answer: Answer = events[-1][1]["answer"]
    assert answer.generator == "openai", answer.fallback_reason
    sentences = [(t, e) for t, e in events if e["event"] == "sentence"]
    assert sentences and all(e["verified"] for _, e in sentences)
    assert kinds.index("token") < kinds.index("sentence")
    first = sentences[0][1]
    assert "machine-generated" in first["text"] and first["text"].endswith("[1]")
    assert "machine-generated" in first["citations"][0]["quote"]
    assert answer.answer.startswith(first["text"])
    citation = answer.citations[0]
    assert llm_library.catalog.source(citation.source_id).text[citation.start:citation.end] == citation.quote
    assert answer.model == "smollm2" and answer.prompt_version
    timings = answer.timings_ms
    assert timings.first_token and timings.first_sentence and timings.first_token <= timings.first_sentence
    assert timings.tokens_per_s and timings.tokens_per_s > 0
    assert answer.usage and answer.usage.prompt_tokens > 100 and answer.usage.completion_tokens > 0


@pytest.mark.slow
def test_an_unsupported_llm_sentence_is_withheld_and_listed_with_its_reason(llm_service: AnswerService) -> None:
    seen: list[tuple[dict[str, Any], Answer, list[str]]] = []
    for question in LLM_HARD_QUESTIONS:
        events = list(llm_service.stream(AnswerRequest(question=question)))
        answer = events[-1]["answer"]
        shown = [e["text"] for e in events if e["event"] == "sentence"]
        seen += [(e, answer, shown) for e in events if e["event"] == "withheld" and e["unsupported"]]
        if seen:
            break
    assert seen, "SmolLM2 wrote no unsupported sentence on any hard question"
    withheld, answer, shown = seen[0]
    dropped = [d for d in answer.dropped if d.reason == withheld["reason"]]
    assert dropped, answer.dropped
    assert all(dropped[0].text not in text for text in shown)
    assert dropped[0].text not in answer.answer


@pytest.mark.slow
def test_answer_is_the_stream_and_keeps_every_sentence_cited(llm_service: AnswerService) -> None:
    answer = llm_service.answer(AnswerRequest(question=LLM_HARD_QUESTIONS[0]))
    assert answer.generator in ("openai", FALLBACK)
    assert answer.citations and not answer.abstained
    for sentence in (s for s in answer.answer.split("\n\n") if s.strip()):
        assert sentence.rstrip().endswith("]"), sentence


def test_endpoint_down_falls_back_to_extractive(llm_library: Library) -> None:
    settings = llm_settings(llm_library.settings.store.data_dir, f"http://127.0.0.1:{free_port()}/v1")
    service = AnswerService(settings, llm_library)
    events = list(service.stream(AnswerRequest(question=LLM_EASY_QUESTION)))
    assert "reset" not in [e["event"] for e in events]  # nothing was shown before the fallback
    answer = final_answer(iter(events))
    assert answer.generator == FALLBACK and "Could not reach" in (answer.fallback_reason or "")
    assert "machine-generated" in answer.answer and answer.citations
    off = AnswerService(llm_settings(settings.store.data_dir, settings.models.llm_base_url or "", llm_fallback=False),
                        llm_library)
    with pytest.raises(GeneratorError, match="Could not reach"):
        off.answer(AnswerRequest(question=LLM_EASY_QUESTION))


def test_endpoint_that_never_answers_times_out_into_the_fallback(llm_library: Library) -> None:
    with silent_listener() as silent:  # accepts connections and never replies
        settings = llm_settings(llm_library.settings.store.data_dir, f"{silent}/v1", llm_timeout_seconds=1.0)
        service = AnswerService(settings, llm_library)
        answer = service.answer(AnswerRequest(question=LLM_EASY_QUESTION))
    assert answer.generator == FALLBACK and "within 1 s" in (answer.fallback_reason or "")  # the timeout fired
    assert not answer.abstained and answer.citations and "machine-generated" in answer.answer

