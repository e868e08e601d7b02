"""Optional LLM judge: RAGAS-style scores from an OpenAI-compatible chat endpoint, reported apart from the gates.

:func:`judge_results` takes the items an evaluation answered and asks the
endpoint configured in ``POLICYCHAT_LLM_BASE_URL`` (model ``POLICYCHAT_LLM_MODEL``)
for four metrics named as in RAGAS, on samples with RAGAS's field names
(``user_input``, ``response``, ``retrieved_contexts``, ``reference``):

* ``faithfulness``: share of the answer's statements the contexts support;
* ``answer_relevancy``: how directly the answer addresses the question (0-10, scaled to 0..1);
* ``context_precision``: average precision of the contexts judged useful for the reference, by rank;
* ``context_recall``: share of the reference's statements the contexts support.

One call per metric and item, so a run costs at most ``4 * limit`` calls.
Statements are split with the project's sentence splitter, never by the model;
prompts are clipped to fit a 2048-token context so that small local models can
judge too. A reply that cannot be read gives ``None`` for that metric (counted
as *unparsed*), never an exception. The scores are written to ``judge.json``
and a separate report section (:func:`eval.html.judge_markdown_section`,
:func:`eval.html.judge_html_section`): they are not part of the summary and no
gate reads them.

The client and the meaning of a failed call are those of the ``openai`` backend
(:func:`assistant.generators.chat.openai_chat_model`, :func:`~assistant.generators.chat.endpoint_error`);
replies are read by :mod:`eval.judge_parse`. The only exceptions raised are
:class:`~policychat.errors.ConfigError` (no endpoint configured); why a run stopped
early (an :class:`~policychat.errors.EndpointError` or a
:class:`~policychat.errors.JudgeError`) is reported in ``error``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from assistant.generators.chat import endpoint_error, openai_chat_model
from eval.dataset import GoldItem
from eval.judge_parse import average_precision, parse_score, parse_verdicts, share
from eval.metrics import ItemResult
from ingest.sentences import split_sentences
from policychat.errors import (
    ConfigError,
    EndpointError,
    EndpointRefusedError,
    EndpointUnreachableError,
    JudgeError,
    PolicychatError,
)
from policychat.settings import Settings

__all__ = [
    "METRICS", "JudgeError", "JudgeReport", "JudgeSample", "eligible_samples", "judge_results", "parse_score",
    "parse_verdicts", "require_endpoint", "statements",
]

METRICS = ("faithfulness", "answer_relevancy", "context_precision", "context_recall")
DEFAULT_LIMIT = 20
TIMEOUT_SECONDS = 60.0
MAX_REPLY_TOKENS = 64
MAX_CONTEXTS = 4  # contexts shown to the judge, best first (context_precision is @4)
CONTEXT_TOKENS = 120  # estimated tokens kept of each context
MAX_STATEMENTS = 6  # answer / reference statements judged per item
STATEMENT_TOKENS = 50
TEXT_TOKENS = 160  # question, reference and answer text in the single-text prompts
MAX_FAILED_CALLS_IN_A_ROW = 3

SYSTEM_PROMPT = "You are a strict grader of answers about policy documents. Reply only in the format asked for."
STATEMENTS_PROMPT = (
    "Context:\n{contexts}\n\nStatements:\n{statements}\n\n"
    "Is each statement supported by the context? Reply with one line per statement, in this format:\n{format}"
)
PRECISION_PROMPT = (
    "Question: {question}\nReference answer: {reference}\n\nPassages:\n{contexts}\n\n"
    "Is each passage useful for arriving at the reference answer? Reply with one line per passage, "
    "in this format:\n{format}"
)
RELEVANCY_PROMPT = (
    "Question: {question}\nAnswer: {answer}\n\n"
    "How directly and completely does the answer address the question? Rate it from 0 (not at all) "
    "to 10 (fully). Reply with the number only."
)

_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass
class JudgeSample:
    """One judged item: RAGAS's sample fields and metric names, plus what could not be read."""

    id: str
    user_input: str
    response: str
    retrieved_contexts: list[str]
    reference: str
    faithfulness: float | None = None
    answer_relevancy: float | None = None
    context_precision: float | None = None
    context_recall: float | None = None
    unparsed: dict[str, str] = field(default_factory=dict)  # metric -> the reply that could not be read
    failed: dict[str, str] = field(default_factory=dict)  # metric -> why the call failed


@dataclass
class JudgeReport:
    """The judge's per-item scores and their aggregate; ``error`` says why a run stopped early."""

    model: str
    endpoint: str
    samples: list[JudgeSample] = field(default_factory=list)
    eligible: int = 0
    limit: int = DEFAULT_LIMIT
    error: str | None = None
    seconds: float = 0.0

    def aggregate(self) -> dict[str, dict[str, float | int | None]]:
        """Per metric: mean over scored items, and counts of scored, unparsed and failed items."""
        out: dict[str, dict[str, float | int | None]] = {}
        for metric in METRICS:
            values = [v for s in self.samples if (v := getattr(s, metric)) is not None]
            out[metric] = {
                "mean": sum(values) / len(values) if values else None,
                "scored": len(values),
                "unparsed": sum(metric in s.unparsed for s in self.samples),
                "failed": sum(metric in s.failed for s in self.samples),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """The content of ``judge.json``."""
        return {
            "gating": False,
            "model": self.model,
            "endpoint": self.endpoint,
            "items_eligible": self.eligible,
            "items_judged": len(self.samples),
            "limit": self.limit,
            "error": self.error,
            "seconds": round(self.seconds, 1),
            "aggregate": self.aggregate(),
            "samples": [asdict(s) for s in self.samples],
        }


# Prompt pieces -------------------------------------------------------------------


def estimate_tokens(text: str) -> int:
    """A rough token count that does not need the endpoint's tokenizer (CJK characters count 2)."""
    cjk = len(_CJK.findall(text))
    return int(cjk * 2 + (len(text) - cjk) / 3.5) + 1


def clip(text: str, max_tokens: int) -> str:
    """``text`` with whitespace collapsed, cut so that :func:`estimate_tokens` stays under ``max_tokens``."""
    text = " ".join(text.split())
    if estimate_tokens(text) <= max_tokens:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix within budget
        mid = (low + high + 1) // 2
        if estimate_tokens(text[:mid]) <= max_tokens - 1:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + " …"


def statements(text: str) -> list[str]:
    """The sentences of an answer or reference, citation markers and the verifier's note removed."""
    body = _MARKER.sub("", text.split("\n\nNote:")[0])
    return [" ".join(body[a:b].split()) for a, b in split_sentences(body)]


def _numbered(texts: Sequence[str], max_tokens: int, brackets: bool = False) -> str:
    return "\n".join(
        (f"[{n}] " if brackets else f"{n}. ") + clip(text, max_tokens) for n, text in enumerate(texts, start=1)
    )


def _format_lines(count: int) -> str:
    return "\n".join(f"{n}: yes or no" for n in range(1, count + 1))


# Endpoint calls ----------------------------------------------------------------------


def _endpoint_label(url: str) -> str:
    """The base URL without user info, query or fragment (safe to write into a report)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def require_endpoint(settings: Settings) -> str:
    """The configured endpoint URL, or a ConfigError that says which setting to set."""
    if not settings.models.llm_base_url:
        raise ConfigError(
            "The LLM judge (--judge) needs an OpenAI-compatible endpoint: set POLICYCHAT_LLM_BASE_URL "
            "(e.g. http://127.0.0.1:8080/v1 for a llama.cpp or vLLM server) and POLICYCHAT_LLM_MODEL."
        )
    return settings.models.llm_base_url


_FATAL = (EndpointUnreachableError, EndpointRefusedError)


def _describe(error: EndpointError) -> str:
    """One failed call, for judge.json (``HTTP 500: …``, ``no reply within 60s``)."""
    return error.detail[:300]


def _prompts(sample: JudgeSample) -> dict[str, tuple[str, int]]:
    """Per metric: the prompt and how many verdicts it asks for (0 = one score)."""
    contexts = sample.retrieved_contexts[:MAX_CONTEXTS]
    context_text = _numbered(contexts, CONTEXT_TOKENS, brackets=True)
    claims = statements(sample.response)[:MAX_STATEMENTS]
    reference = statements(sample.reference)[:MAX_STATEMENTS]
    return {
        "faithfulness": (
            STATEMENTS_PROMPT.format(
                contexts=context_text, statements=_numbered(claims, STATEMENT_TOKENS), format=_format_lines(len(claims))
            ),
            len(claims),
        ),
        "answer_relevancy": (
            RELEVANCY_PROMPT.format(
                question=clip(sample.user_input, TEXT_TOKENS),
                answer=clip(" ".join(statements(sample.response)), TEXT_TOKENS),
            ),
            0,
        ),
        "context_precision": (
            PRECISION_PROMPT.format(
                question=clip(sample.user_input, TEXT_TOKENS),
                reference=clip(sample.reference, TEXT_TOKENS),
                contexts=context_text,
                format=_format_lines(len(contexts)),
            ),
            len(contexts),
        ),
        "context_recall": (
            STATEMENTS_PROMPT.format(
                contexts=context_text,
                statements=_numbered(reference, STATEMENT_TOKENS),
                format=_format_lines(len(reference)),
            ),
            len(reference),
        ),
    }


def _score(metric: str, reply: str, count: int) -> float | None:
    if metric == "answer_relevancy":
        return parse_score(reply)
    verdicts = parse_verdicts(reply, count)
    return average_precision(verdicts) if metric == "context_precision" else share(verdicts)


def eligible_samples(
    items: Sequence[GoldItem], results: Sequence[ItemResult], contexts: dict[str, list[str]]
) -> list[JudgeSample]:
    """Samples for the items the system answered (answerable, not abstained, with retrieved passages)."""
    gold = {item.id: item for item in items}
    samples = []
    for result in results:
        item = gold.get(result.id)
        texts = contexts.get(result.id) or []
        if item is None or not item.answerable or result.abstained or not texts or not statements(result.answer):
            continue
        samples.append(
            JudgeSample(
                id=item.id,
                user_input=item.question,
                response=result.answer,
                retrieved_contexts=list(texts),
                reference=item.reference_answer,
            )
        )
    return samples


def judge_results(
    items: Sequence[GoldItem],
    results: Sequence[ItemResult],
    settings: Settings,
    contexts: dict[str, list[str]],
    limit: int = DEFAULT_LIMIT,
    progress: Callable[[int, int], None] | None = None,
) -> JudgeReport:
    """Ask the configured endpoint to score up to ``limit`` answered items; never raises for a bad reply.

    Args:
        items: the gold items of the run (for the question and the reference answer).
        results: the run's per-item results (for the answer and whether it abstained).
        settings: ``llm_base_url``, ``llm_model`` and ``llm_api_key`` name the endpoint.
        contexts: item id -> retrieved passage texts, best first (``run_eval(..., contexts=...)``).
        limit: at most this many items are judged (four calls each), in dataset order.
        progress: called with (items done, items to judge) after each item.

    Returns:
        The report. When the endpoint is unreachable, refuses the key or lacks the
        model, or several calls in a row fail, judging stops and ``error`` says why;
        the items judged so far are kept.

    Raises:
        ConfigError: no endpoint is configured (``POLICYCHAT_LLM_BASE_URL``).
    """
    base_url = require_endpoint(settings)
    endpoint = _endpoint_label(base_url)
    started = time.monotonic()
    candidates = eligible_samples(items, results, contexts)
    report = JudgeReport(model=settings.models.llm_model, endpoint=endpoint, eligible=len(candidates), limit=limit)
    todo = candidates[: max(limit, 0)]
    model = openai_chat_model(settings, base_url=base_url, temperature=0.0, max_tokens=MAX_REPLY_TOKENS,
                              timeout=TIMEOUT_SECONDS, max_retries=0)
    failed_in_a_row = 0
    for done, sample in enumerate(todo, start=1):
        for metric, (prompt, count) in _prompts(sample).items():
            try:
                reply = model.invoke([("system", SYSTEM_PROMPT), ("human", prompt)]).text
            except Exception as exc:  # any endpoint failure is reported, never raised
                error = endpoint_error(exc, endpoint, model=settings.models.llm_model, timeout=TIMEOUT_SECONDS)
                failed_in_a_row += 1
                # Unreachable, key refused, no such model: no later call can succeed either.
                fatal: PolicychatError | None = error if isinstance(error, _FATAL) else None
                if fatal is None and failed_in_a_row >= MAX_FAILED_CALLS_IN_A_ROW:
                    fatal = JudgeError(f"{failed_in_a_row} calls in a row to {endpoint} failed; "
                                       f"last: {_describe(error)}")
                if fatal is not None:
                    report.error = str(fatal)
                    if any(getattr(sample, m) is not None for m in METRICS) or sample.failed:
                        report.samples.append(sample)
                    report.seconds = time.monotonic() - started
                    return report
                sample.failed[metric] = _describe(error)
                continue
            failed_in_a_row = 0
            value = _score(metric, reply, count)
            setattr(sample, metric, value)
            if value is None:
                sample.unparsed[metric] = reply[:300]
        report.samples.append(sample)
        if progress:
            progress(done, len(todo))
    report.seconds = time.monotonic() - started
    return report
