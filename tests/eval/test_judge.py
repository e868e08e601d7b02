"""The optional LLM judge (eval/judge.py): RAGAS field names, lenient parsing, separate report, never gating.

The end-to-end test runs ``policychat eval run --judge`` against llama-cpp-python's
OpenAI-compatible server with the packaged SmolLM2 (``llama_server_url`` in
tests/conftest.py); the tiny model's verdicts are mostly noise, so it checks the
shape of what is written, not the scores. Deterministic parsing is checked with
a small fake OpenAI-compatible endpoint on loopback that returns fixed replies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from testsupport import FakeChatEndpoint, free_port, make_settings

from eval.dataset import GoldItem
from eval.judge import (
    METRICS,
    JudgeReport,
    JudgeSample,
    judge_results,
    parse_score,
    parse_verdicts,
    statements,
)
from eval.metrics import ItemResult
from eval.runner import check_gates, load_baseline, write_report
from policychat.errors import ConfigError
from policychat.settings import Settings

RAGAS_FIELDS = {"user_input", "response", "retrieved_contexts", "reference"}

DOCS = {
    "us-eo-safe-ai.md": (
        "---\ntitle: Executive Order on Safe, Secure, and Trustworthy AI\npublisher: The White House\n"
        "country: US\ndate: 2023-10-30\ndoc_type: executive-order\n---\n"
        "# Executive Order on Safe, Secure, and Trustworthy AI\n\n"
        "The President signed the Executive Order on Safe, Secure, and Trustworthy Artificial Intelligence "
        "on October 30, 2023. Within 90 days of the order, the Secretary of Commerce shall require companies "
        "developing dual-use foundation models to report the results of their red-team safety tests.\n\n"
        "The order asks the Department of Homeland Security to establish an AI Safety and Security Board.\n"
    ),
    "cn-genai-measures.md": (
        "---\ntitle: Interim Measures for the Management of Generative AI Services\n"
        "publisher: Cyberspace Administration of China\ncountry: CN\ndate: 2023-07-10\ndoc_type: regulation\n---\n"
        "# Interim Measures for the Management of Generative AI Services\n\n"
        "The Cyberspace Administration of China issued the Interim Measures on July 10, 2023. "
        "The measures took effect on August 15, 2023. Providers of generative AI services must carry out "
        "security assessments and file their algorithms with the regulator.\n"
    ),
}


def gold(item_id: str, question: str, source: str, quote: str, fact: str, reference: str) -> GoldItem:
    return GoldItem(
        id=item_id,
        question=question,
        answerable=True,
        gold_sources=[source],
        evidence=[{"source_id": source, "quote": quote}],
        must_include=[[fact]],
        reference_answer=reference,
        tags=["fact"],
    )


GOLD = [
    gold(
        "j1",
        "When did China's interim measures on generative AI take effect?",
        "cn-genai-measures",
        "The measures took effect on August 15, 2023.",
        "August 15, 2023",
        "The measures took effect on August 15, 2023.",
    ),
    gold(
        "j2",
        "Within how many days must developers of dual-use foundation models report red-team test results?",
        "us-eo-safe-ai",
        "Within 90 days of the order",
        "90 days",
        "Within 90 days of the order, companies must report their red-team safety test results.",
    ),
    gold(
        "j3",
        "Which board does the executive order ask Homeland Security to establish?",
        "us-eo-safe-ai",
        "establish an AI Safety and Security Board",
        "AI Safety and Security Board",
        "The order asks the Department of Homeland Security to establish an AI Safety and Security Board.",
    ),
    gold(
        "j4",
        "Which agency issued China's interim measures on generative AI?",
        "cn-genai-measures",
        "The Cyberspace Administration of China issued the Interim Measures",
        "Cyberspace Administration",
        "The Cyberspace Administration of China issued them on July 10, 2023.",
    ),
]
UNANSWERABLE = GoldItem(
    id="j5",
    question="What fine does the EU AI Act set for prohibited practices?",
    answerable=False,
    gold_sources=[],
    evidence=[],
    must_include=[],
    reference_answer="The library does not say.",
    tags=["refusal"],
)


def judge_settings(tmp_path: Path, base_url: str | None, model: str = "fake-judge") -> Settings:
    settings: Settings = make_settings(tmp_path / "data", llm_base_url=base_url, llm_model=model)
    return settings


def closed_port() -> int:
    return free_port()


# The fake OpenAI-compatible endpoint (fixed replies, for deterministic parsing) is testsupport.FakeChatEndpoint,
# handed out by the ``fake_endpoint`` fixture of tests/conftest.py.
FakeEndpoint = FakeChatEndpoint


def answered(item: GoldItem, answer: str, abstained: bool = False) -> ItemResult:
    return ItemResult(id=item.id, answerable=item.answerable, tags=item.tags, answer=answer, abstained=abstained)


CONTEXTS = [
    "The measures took effect on August 15, 2023.",
    "The Cyberspace Administration of China issued the Interim Measures on July 10, 2023.",
    "Providers must file their algorithms with the regulator.",
]


# Parsing ----------------------------------------------------------------------------------------


def test_verdicts_are_read_from_json_numbered_lines_or_bare_words() -> None:
    assert parse_verdicts('{"1": "yes", "2": "no"}', 2) == [True, False]
    assert parse_verdicts('Sure: ["no", "yes"]', 2) == [False, True]
    assert parse_verdicts('{"verdicts": [{"statement": "a", "verdict": 1}, {"verdict": 0}]}', 2) == [True, False]
    assert parse_verdicts("1: yes\n2. No\n3) supported", 3) == [True, False, True]
    assert parse_verdicts("**Statement 1:** Not supported\n**Statement 2:** Supported", 2) == [False, True]
    assert parse_verdicts("1: yes", 3) == [True, None, None]
    assert parse_verdicts("No, the context does not say that.", 1) == [False]
    assert parse_verdicts("Yes. No.", 2) == [True, False]


def test_echoes_and_garbage_are_not_verdicts() -> None:
    assert parse_verdicts("1: yes or no\n2: yes or no", 2) == [None, None]
    assert parse_verdicts("1. The order was signed in 2023.\n2. The order bans AI.", 2) == [None, None]
    assert parse_verdicts('JSON:\n{\n  "id": 1,\n  "name": "The President"', 2) == [None, None]
    assert parse_verdicts("", 1) == [None]


def test_scores_are_scaled_to_0_1_and_out_of_range_numbers_rejected() -> None:
    assert parse_score("The answer is 10.") == 1.0
    assert parse_score("7/10") == 0.7
    assert parse_score("70%") == 0.7
    assert parse_score('{"answer_relevancy": 8}') == 0.8
    assert parse_score("0.8") == 0.8
    assert parse_score("yes") == 1.0
    assert parse_score("The answer is 2018-03-24.") is None
    assert parse_score("banana") is None


def test_statements_use_the_project_splitter_without_markers_or_note() -> None:
    answer = "The order was signed on Oct. 30, 2023 [1]. Reports are due in 90 days [2].\n\nNote: unsupported part."
    assert statements(answer) == ["The order was signed on Oct. 30, 2023.", "Reports are due in 90 days."]


# Against a fake endpoint with fixed replies ---------------------------------------------------------


def test_judge_scores_parses_and_counts_unparsed(tmp_path: Path, fake_endpoint: FakeEndpoint) -> None:
    items = [*GOLD[:3], UNANSWERABLE]
    results = [
        answered(GOLD[0], "The measures took effect on August 15, 2023 [1]. They were issued in July [2]."),
        answered(GOLD[1], "Reports are due within 90 days [1]."),
        answered(GOLD[2], "I could not find enough support.", abstained=True),
        answered(UNANSWERABLE, "Fines are up to 7% [1]."),
    ]
    contexts = {item.id: CONTEXTS for item in items}
    fake_endpoint.replies = [
        '{"1": "yes", "2": "no"}',
        "7/10",
        "1: no\n2: yes\n3: yes",
        "Yes.",  # j1: 0.5, 0.7, AP, 1.0
        "banana",
        500,
        "1: yes or no",
        "Sure!",  # j2: unparsed, failed call, unparsed, unparsed
    ]
    report = judge_results(items, results, judge_settings(tmp_path, fake_endpoint.url), contexts, limit=20)

    assert report.error is None and report.eligible == 2 and [s.id for s in report.samples] == ["j1", "j2"]
    first, second = report.samples
    assert first.faithfulness == 0.5 and first.answer_relevancy == 0.7 and first.context_recall == 1.0
    assert first.context_precision == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert first.unparsed == {} and first.failed == {}
    assert all(getattr(second, m) is None for m in METRICS)
    assert set(second.unparsed) == {"faithfulness", "context_precision", "context_recall"}
    assert set(second.failed) == {"answer_relevancy"} and "HTTP 500" in second.failed["answer_relevancy"]
    assert second.unparsed["faithfulness"] == "banana"
    agg = report.aggregate()
    assert agg["faithfulness"] == {"mean": 0.5, "scored": 1, "unparsed": 1, "failed": 0}
    assert agg["answer_relevancy"] == {"mean": 0.7, "scored": 1, "unparsed": 0, "failed": 1}

    assert len(fake_endpoint.requests) == 8
    for body in fake_endpoint.requests:
        assert body["model"] == "fake-judge" and body["temperature"] == 0 and body["max_tokens"] == 64
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "1. The measures took effect on August 15, 2023." in fake_endpoint.requests[0]["messages"][1]["content"]
    assert "[1]" not in fake_endpoint.requests[1]["messages"][1]["content"].split("Answer:")[1]


def test_prompts_are_bounded_and_the_limit_caps_calls(tmp_path: Path, fake_endpoint: FakeEndpoint) -> None:
    long_en = " ".join(f"Clause {i} requires agencies to file annual compliance reports." for i in range(400))
    long_zh = "生成式人工智能服务提供者应当依法开展预训练、优化训练等训练数据处理活动。" * 80
    answer = " ".join(f"Statement number {i} says something about the order [1]." for i in range(20))
    items = GOLD[:3]
    results = [answered(item, answer) for item in items]
    contexts = {item.id: [long_en, long_zh, long_en, long_zh, long_en, long_en] for item in items}
    report = judge_results(items, results, judge_settings(tmp_path, fake_endpoint.url), contexts, limit=2)

    assert report.eligible == 3 and len(report.samples) == 2 and len(fake_endpoint.requests) == 8
    for body in fake_endpoint.requests:
        prompt = body["messages"][1]["content"]
        assert len(prompt) < 4000 and prompt.count("[5]") == 0  # at most 4 contexts, each clipped
        assert prompt.count("\n7. ") == 0  # at most 6 statements
    assert report.samples[0].retrieved_contexts == contexts["j1"]  # judge.json keeps the full texts


def test_unreachable_endpoint_stops_the_judge_and_the_report_says_why(tmp_path: Path) -> None:
    settings = judge_settings(tmp_path, f"http://127.0.0.1:{closed_port()}/v1")
    results = [answered(GOLD[0], "The measures took effect on August 15, 2023 [1].")]
    report = judge_results(GOLD, results, settings, {"j1": CONTEXTS})
    assert report.samples == [] and report.error is not None
    assert "Could not reach" in report.error and "POLICYCHAT_LLM_BASE_URL" in report.error

    folder = write_report(tmp_path / "out", results, {"items": 1.0}, [], "unreachable", items=GOLD, judge=report)
    assert {p.name for p in folder.iterdir()} == {
        "results.jsonl",
        "summary.json",
        "report.md",
        "report.html",
        "judge.json",
    }
    assert json.loads((folder / "judge.json").read_text())["error"] == report.error
    md = (folder / "report.md").read_text()
    assert "## LLM judge (not gating)" in md and "**Judge failed:** Could not reach" in md
    assert "Judge failed:</b> Could not reach" in (folder / "report.html").read_text()


def test_judge_without_endpoint_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="POLICYCHAT_LLM_BASE_URL"):
        judge_results(GOLD, [], judge_settings(tmp_path, None), {})


# Gates --------------------------------------------------------------------------------------------


def sample_with(score: float) -> JudgeSample:
    sample = JudgeSample(id="j1", user_input="q", response="a", retrieved_contexts=["c"], reference="r")
    for metric in METRICS:
        setattr(sample, metric, score)
    return sample


def test_gates_never_read_the_judge(tmp_path: Path) -> None:
    passing = load_baseline()
    assert passing is not None and check_gates(passing) == []
    failing = {**passing, "hit@5": 0.1}
    terrible = JudgeReport(model="m", endpoint="http://127.0.0.1:1/v1", samples=[sample_with(0.0)], eligible=1)
    perfect = JudgeReport(model="m", endpoint="http://127.0.0.1:1/v1", samples=[sample_with(1.0)], eligible=1)
    for summary, judge in ((passing, terrible), (failing, perfect)):
        expected = check_gates(summary)
        with_judge = write_report(tmp_path / f"j{len(expected)}", [], summary, expected, "x", judge=judge)
        without = write_report(tmp_path / f"n{len(expected)}", [], summary, expected, "x")
        stored = json.loads((with_judge / "summary.json").read_text())
        assert stored == json.loads((without / "summary.json").read_text())
        assert not set(stored["summary"]) & set(METRICS) and stored["gate_failures"] == expected
        assert check_gates(stored["summary"]) == expected
        md = (with_judge / "report.md").read_text()
        assert ("\nPASS\n" in md) == (not expected)
        assert json.loads((with_judge / "judge.json").read_text())["gating"] is False
    assert json.loads((tmp_path / "j0" / "judge.json").read_text())["aggregate"]["faithfulness"]["mean"] == 0.0


# Through the CLI ---------------------------------------------------------------------------------


def test_cli_judge_without_endpoint_is_a_clear_error(tmp_path: Path, cli: Callable) -> None:
    done = cli("eval", "run", "--judge", "--no-ablations", data_dir=tmp_path / "data", cwd=tmp_path, timeout=120)
    assert done.returncode == 1
    assert "error:" in done.stderr and "POLICYCHAT_LLM_BASE_URL" in done.stderr and "--judge" in done.stderr
    assert not (tmp_path / "eval").exists()  # failed before answering anything


@pytest.mark.slow
def test_cli_judge_with_smollm2(tmp_path: Path, cli: Callable, llama_server_url: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text("".join(item.model_dump_json() + "\n" for item in [*GOLD, UNANSWERABLE]), encoding="utf-8")
    (tmp_path / ".env").write_text(f"POLICYCHAT_LLM_BASE_URL={llama_server_url}\nPOLICYCHAT_LLM_MODEL=smollm2\n")
    data_dir = tmp_path / "data"
    ingest = cli("ingest", str(docs), data_dir=data_dir, cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stderr

    out = tmp_path / "report"
    done = cli(
        "eval",
        "run",
        "--dataset",
        str(dataset),
        "--no-ablations",
        "--judge",
        "--judge-limit",
        "2",
        "--out",
        str(out),
        data_dir=data_dir,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr  # 1 only when a gate fails on this tiny set
    assert "error:" not in done.stderr
    assert "LLM judge (not gating)" in done.stdout

    judge = json.loads((out / "judge.json").read_text())
    assert judge["gating"] is False and judge["model"] == "smollm2" and judge["error"] is None
    assert judge["endpoint"] == llama_server_url and judge["limit"] == 2
    assert judge["items_judged"] == 2 <= judge["items_eligible"]  # each judged item costs SmolLM2 seconds
    for sample in judge["samples"]:
        assert RAGAS_FIELDS <= set(sample) and sample["id"] != "j5"
        assert sample["retrieved_contexts"] and all(isinstance(c, str) for c in sample["retrieved_contexts"])
        for metric in METRICS:
            value = sample[metric]
            assert value is None or 0.0 <= value <= 1.0
            assert (value is None) == (metric in sample["unparsed"] or metric in sample["failed"])
    for metric, agg in judge["aggregate"].items():
        assert agg["scored"] + agg["unparsed"] + agg["failed"] == judge["items_judged"], metric
        assert agg["mean"] is None or 0.0 <= agg["mean"] <= 1.0

    summary = json.loads((out / "summary.json").read_text())
    assert not set(summary["summary"]) & set(METRICS)
    md = (out / "report.md").read_text()
    assert "## LLM judge (not gating)" in md and "`smollm2`" in md
    for metric in METRICS:
        assert f"| {metric} |" in md
    html = (out / "report.html").read_text()
    assert "LLM judge (not gating)" in html and "<code>smollm2</code>" in html

    # The same run against an endpoint that is down: a clear error, the rest of the report, the same exit code.
    down = f"http://127.0.0.1:{closed_port()}/v1"
    (tmp_path / ".env").write_text(f"POLICYCHAT_LLM_BASE_URL={down}\nPOLICYCHAT_LLM_MODEL=smollm2\n")
    out_down = tmp_path / "report-down"
    failed = cli(
        "eval", "run", "--dataset", str(dataset), "--no-ablations", "--judge", "--out", str(out_down),
        data_dir=data_dir, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert failed.returncode == done.returncode
    assert "LLM judge failed: Could not reach" in failed.stderr and "POLICYCHAT_LLM_BASE_URL" in failed.stderr
    assert {p.name for p in out_down.iterdir()} >= {"results.jsonl", "summary.json", "report.md", "report.html"}
    assert json.loads((out_down / "judge.json").read_text())["error"].startswith("Could not reach")
    assert json.loads((out_down / "summary.json").read_text())["gate_failures"] == summary["gate_failures"]
    assert "**Judge failed:** Could not reach" in (out_down / "report.md").read_text()
