"""The LLM prompt: numbered passages with source, date and status, the expected answer form, the rules, fitting."""

from __future__ import annotations

import pytest

from assistant.core.analysis import Part, QuestionAnalysis
from assistant.generators.prompts import PROMPT_VERSION, build_prompt, estimate_message_tokens, estimate_tokens
from assistant.models import Passage
from ingest.models import Chunk, SourceMeta
from ingest.relations import Standing
from policychat.errors import GeneratorError


def analysis_of(kind: str, types: tuple = (), count: int | None = None, language: str = "en") -> QuestionAnalysis:
    return QuestionAnalysis(question="q", query="q", language=language,  # type: ignore[arg-type]
                            parts=(Part(text="q", kind=kind, types=types, count=count),))


def passage(n: int, words: int = 30) -> Passage:
    meta = SourceMeta(id=f"doc-{n}", title=f'Order "{n}" on Compute', publisher="The Office", date=f"2024-0{n}-01")
    text = " ".join(f"clause{n}w{i}" for i in range(words))
    chunk = Chunk(chunk_id=f"c{n}", source_id=meta.id, position=0, text=text, start=0, end=len(text), page=None,
                  section="", embed_text=text)
    return Passage(chunk=chunk, meta=meta, score=1.0 / n)


def test_passages_are_numbered_with_source_date_and_status_and_the_rules_are_stated() -> None:
    standings = {"doc-2": Standing("doc-2", "revoked"), "doc-1": Standing("doc-1", "unknown")}
    analysis = analysis_of("factoid", ("date",))
    prompt = build_prompt("When was it signed?", [passage(1), passage(2)], analysis=analysis, standings=standings,
                          max_passages=4, max_words=100)
    system, human = (m.text for m in prompt.messages)
    assert prompt.version == PROMPT_VERSION and [p.chunk_id for p in prompt.passages] == ["c1", "c2"]
    assert "Cite every sentence with the number of the passage" in system
    assert "If the passages do not state the answer, say that the passages do not state it." in system
    assert "style" not in system.lower()
    assert '<passage id="1" source="Order \'1\' on Compute" publisher="The Office" date="2024-01-01">' in human
    head = '<passage id="2" source="Order \'2\' on Compute" publisher="The Office" date="2024-02-01" status="revoked">'
    assert head in human
    assert "The question asks for a date" in human and human.rstrip().endswith("cite each sentence like [1].")


@pytest.mark.parametrize(("analysis", "expected"), [
    (analysis_of("yesno"), "start with Yes or No"),
    (analysis_of("list", count=4), "(the question expects 4)"),
    (analysis_of("summary"), "3 to 5 sentences"),
    (analysis_of("describe", language="zh"), "Answer in Chinese."),
])
def test_the_expected_answer_form_follows_the_question_analysis(analysis: QuestionAnalysis, expected: str) -> None:
    prompt = build_prompt("q", [passage(1)], analysis=analysis, max_passages=2, max_words=50)
    assert expected in prompt.messages[1].text


def test_style_is_a_separate_section_that_cannot_change_the_rules() -> None:
    prompt = build_prompt("q", [passage(1)], style="Answer like a pirate.", max_passages=2, max_words=50)
    system = prompt.messages[0].text
    assert system.index("Cite every sentence") < system.index("never the rules above") < system.index("pirate")


def test_passages_are_fitted_to_the_context_then_shortened() -> None:
    passages = [passage(n, words=200) for n in range(1, 5)]
    roomy = build_prompt("q", passages, max_passages=4, max_words=300)
    assert len(roomy.passages) == 4
    fitted = build_prompt("q", passages, max_passages=4, max_words=300, context_tokens=roomy.tokens - 50,
                          reply_tokens=0)
    assert len(fitted.passages) == 3 and fitted.tokens <= roomy.tokens - 50
    tight = build_prompt("q", passages, max_passages=4, max_words=300, context_tokens=500, reply_tokens=100)
    assert len(tight.passages) == 1 and "…" in tight.messages[1].text and tight.tokens + 100 <= 500
    with pytest.raises(GeneratorError, match="POLICYCHAT_LLM_CONTEXT_TOKENS"):
        build_prompt("q", passages, max_passages=4, max_words=300, context_tokens=200, reply_tokens=100)


def test_token_estimates_err_high() -> None:
    assert estimate_tokens("The order directs agencies to report.") == 11  # 37 characters / 3.5
    assert estimate_tokens("生成式人工智能") == 11  # 7 CJK characters x 1.5
    prompt = build_prompt("q", [passage(1)], max_passages=1, max_words=10)
    assert prompt.tokens > estimate_message_tokens(prompt.messages)  # plus the template overhead
