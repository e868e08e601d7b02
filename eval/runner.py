"""Run a gold set through the assistant, write a report folder, and check the gates.

``run_eval`` answers every item with the real service and measures it;
``write_report`` writes ``results.jsonl``, ``summary.json``, ``report.md`` and
``report.html`` (plus ``judge.json`` when the optional LLM judge ran);
``check_gates`` compares the summary with ``eval/gates.toml`` and nothing else:
the LLM judge's scores never reach the summary or the gates.
"""

from __future__ import annotations

import json
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.models import AnswerRequest
from assistant.service import AnswerService
from eval.dataset import GoldItem
from eval.intervals import format_with_interval
from eval.metrics import (
    ItemResult,
    answer_confidence,
    citation_scores,
    citation_source_precision,
    direct_answer_score,
    key_fact_score,
    retrieval_scores,
    summarize,
    summarize_groups,
    summary_intervals,
    worst_dev_items,
)
from ingest.embed import torch_threads

if TYPE_CHECKING:
    from eval.changes import ChangeReport
    from eval.judge import JudgeReport

GATES_FILE = Path(__file__).parent / "gates.toml"
BASELINE_FILE = Path(__file__).parent / "baseline.json"


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, float | None] | None:
    """The stored summary that reports compare against, if there is one."""
    if not path.is_file():
        return None
    return json.loads(path.read_text()).get("summary")


def evaluate_item(
    service: AnswerService,
    item: GoldItem,
    generator: str | None = None,
    contexts: dict[str, list[str]] | None = None,
) -> ItemResult:
    """Answer one gold item and measure retrieval, answer and citations.

    When ``contexts`` is given, the retrieved passage texts (best first) are
    stored in it under the item's id, for the optional LLM judge.
    """
    answer = service.answer(AnswerRequest(question=item.question, history=item.history, generator=generator,
                                          as_of=item.as_of))
    if contexts is not None:
        contexts[item.id] = [p.text for p in answer.retrieved]
    result = ItemResult(
        id=item.id, answerable=item.answerable, tags=item.tags, split=item.split, kind=item.kind, language=item.language
    )
    result.retrieved_sources = [p.source_id for p in answer.retrieved]
    result.abstained = answer.abstained
    result.latency_ms = answer.timings_ms.model_dump()
    result.answer = answer.answer
    result.citations = [c.model_dump() for c in answer.citations]
    result.confidence = answer_confidence(answer)
    if not item.answerable:
        return result
    scores = retrieval_scores(item, result.retrieved_sources, [p.text for p in answer.retrieved])
    result.hits, result.recall = scores["hits"], scores["recall"]  # type: ignore[assignment]
    result.reciprocal_rank, result.ndcg10 = scores["rr"], scores["ndcg10"]  # type: ignore[assignment]
    result.evidence_at5 = scores["evidence_at5"]  # type: ignore[assignment]
    result.key_facts = key_fact_score(item, answer.answer)
    result.direct_answer = direct_answer_score(item, answer.answer)
    directory = service.retriever.snapshot().directory()
    result.citation_source_precision = citation_source_precision(item, answer, directory.same_work)
    cites = citation_scores(answer, {p.chunk_id: p.text for p in answer.retrieved}, service.retriever.snapshot().idf)
    result.citation_valid = cites["valid"] if not answer.abstained else None
    result.citation_recall, result.citation_precision = cites["recall"], cites["precision"]
    if answer.citations:
        result.gold_citation_hit = float(any(c.source_id in item.gold_sources for c in answer.citations))
    if "comparison" in item.tags and not answer.abstained:
        result.both_countries_cited = float({"US", "CN"} <= {c.country for c in answer.citations})
    return result


def run_eval(
    service: AnswerService,
    items: list[GoldItem],
    generator: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    contexts: dict[str, list[str]] | None = None,
) -> tuple[list[ItemResult], dict[str, float | None]]:
    """Evaluate every item; return per-item results and the summary.

    ``contexts``, when given, is filled with each item's retrieved passage texts (see :func:`evaluate_item`).
    """
    results = []
    # Latencies are measured as the server answers: with its torch thread count.
    with torch_threads(service.settings.server.serve_torch_threads):
        for done, item in enumerate(items, start=1):
            results.append(evaluate_item(service, item, generator, contexts))
            if progress:
                progress(done, len(items))
    return results, summarize(results)


def gated_results(results: list[ItemResult]) -> list[ItemResult]:
    """The results the CI gates judge: the test split, or every result when a set has no test split."""
    test = [r for r in results if r.split == "test"]
    return test or list(results)


def check_gates(
    summary: dict[str, float | None], gates_file: Path = GATES_FILE, section: str = "test"
) -> list[str]:
    """Failures of one summary against one gate table, as readable lines ("hit@5 0.91 < 0.95").

    Args:
        summary: metric values (see :func:`eval.metrics.summarize`).
        gates_file: a TOML file with ``[<section>.min]``/``[<section>.max]`` tables and/or plain
            ``[min]``/``[max]`` tables (used for a section the file has no table for).
        section: which table to judge against ("test", or "legacy" for the plain tables).

    Returns:
        One line per failed gate; empty when every gate passes. A metric the summary cannot
        measure (refusals in a set with no unanswerable items) is skipped, not failed.
    """
    gates = tomllib.loads(gates_file.read_text())
    table = gates.get(section, gates) if section in gates else gates
    failures = []
    for metric, bound in table.get("min", {}).items():
        value = summary.get(metric)
        if value is not None and value < bound:
            failures.append(f"{metric} {round(value, 3)} < {bound}")
    for metric, bound in table.get("max", {}).items():
        value = summary.get(metric)
        if value is not None and value > bound:
            failures.append(f"{metric} {round(value, 3)} > {bound}")
    return failures


def check_result_gates(results: list[ItemResult], gates_file: Path = GATES_FILE) -> list[str]:
    """Every gate table of ``gates_file`` judged on the results it is about.

    ``[test]`` judges the test split (every result when the set has none). The plain
    ``[min]``/``[max]`` tables judge the items whose ids match ``legacy_ids``, and only when all
    ``legacy_items`` of them were run (a dev-only run is not judged on them); without ``[test]``
    they judge every gated result. Failure lines are prefixed with the table's name.
    """
    gates = tomllib.loads(gates_file.read_text())
    if "test" not in gates:
        return check_gates(summarize(gated_results(results)), gates_file)
    failures = [f"test: {line}" for line in check_gates(summarize(gated_results(results)), gates_file, "test")]
    if "legacy_ids" in gates:
        chosen = [r for r in results if re.fullmatch(gates["legacy_ids"], r.id)]
        if chosen and len(chosen) == gates.get("legacy_items", len(chosen)):
            failures += [f"legacy: {line}" for line in check_gates(summarize(chosen), gates_file, "legacy")]
    return failures


def write_report(
    out_dir: Path,
    results: list[ItemResult],
    summary: dict[str, float | None],
    failures: list[str],
    label: str,
    ablations: dict[str, dict] | None = None,
    items: list[GoldItem] | None = None,
    judge: JudgeReport | None = None,
    data_dir: Path | None = None,
    changes: ChangeReport | None = None,
) -> Path:
    """Write results.jsonl, summary.json, report.md and report.html into ``out_dir``; return the folder.

    Every figure carries its bootstrap 95 % interval, and both reports hold the reliability table of
    the answers' confidence (:mod:`eval.reliability`). With ``data_dir``, report.md also lists the
    answers users rated down there recently (:func:`eval.candidates.feedback_section`). With ``changes``
    (the gold set before and after new sources, :mod:`eval.changes`), a section lists the changed items.

    With ``judge`` (the optional LLM judge's report), also ``judge.json`` and a
    separate "LLM judge (not gating)" section in both reports; the summary and
    the gate verdict are the same with or without it.
    """
    from eval.changes import changes_markdown
    from eval.html import judge_markdown_section, write_html
    from eval.reliability import reliability, reliability_markdown

    ablations = ablations or {}
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    names = [name for name in ("dev", "test", "heldout", "unseen") if any(r.split == name for r in results)]
    splits = {name: summarize([r for r in results if r.split == name]) for name in names}
    intervals = {name: summary_intervals([r for r in results if r.split == name]) for name in names}
    groups = {key: summarize_groups(results, key) for key in ("split", "kind", "language")}
    group_intervals = {key: group_intervals_of(results, key) for key in ("split", "kind", "language")}
    spreads = {name: getattr(values, "intervals", {}) for name, values in ablations.items()}
    calibration, whole = reliability(results), summary_intervals(results)
    (out_dir / "summary.json").write_text(
        json.dumps(
            {
                "label": label, "summary": summary, "intervals": whole, "splits": splits,
                "split_intervals": intervals, "groups": groups, "group_intervals": group_intervals,
                "ablations": ablations, "ablation_intervals": spreads, "reliability": calibration.to_dict(),
                "changes": changes.to_dict() if changes is not None else None, "gate_failures": failures,
            },
            indent=2,
        )
    )
    if judge is not None:
        (out_dir / "judge.json").write_text(json.dumps(judge.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    gold = {item.id: item for item in items or []}
    write_html(out_dir / "report.html", label, summary, load_baseline(), results, ablations, failures, gold, judge,
               calibration, changes)
    lines = [
        f"# Evaluation: {label}",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {metric} | {format_with_interval(value, whole.get(metric))} |" for metric, value in summary.items()]
    lines += ["", "Intervals are bootstrap 95 % intervals over the items.", ""]
    lines += ["", "## Splits (the gates judge test)", ""]
    lines += split_table(splits, intervals)
    for key in ("kind", "language"):
        lines += ["", f"## By {key}", ""]
        lines += group_table(groups[key], key, group_intervals[key])
    if ablations:
        metrics = list(next(iter(ablations.values())))
        lines += [
            "",
            "## Retrieval ablations",
            "",
            "| variant | " + " | ".join(metrics) + " |",
            "|---" * (len(metrics) + 1) + "|",
        ]
        lines += [
            f"| {name} | " + " | ".join(format_with_interval(v, spreads[name].get(m)) for m, v in values.items()) + " |"
            for name, values in ablations.items()
        ]
    lines += reliability_markdown(calibration)
    lines += changes_markdown(changes)
    lines += ["", "## Gates", "", "PASS" if not failures else "FAIL: " + "; ".join(failures)]
    lines += judge_markdown_section(judge)
    lines += ["", "## Worst dev items (test items are never listed: they must stay unseen while tuning)", ""]
    worst = worst_dev_items(results)
    for r in worst:
        lines.append(
            f"- **{r.id}** key facts {r.key_facts}, rr {r.reciprocal_rank:.2f}, abstained {r.abstained}: "
            f"{r.answer[:300]}"
        )
    if data_dir is not None:
        from eval.candidates import feedback_section

        lines += feedback_section(data_dir)
    (out_dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out_dir


def group_intervals_of(results: list[ItemResult], key: str) -> dict[str, dict[str, tuple[float, float] | None]]:
    """Bootstrap intervals of each group's rates (groups as in :func:`eval.metrics.summarize_groups`)."""
    grouped: dict[str, list[ItemResult]] = {}
    for result in results:
        grouped.setdefault(str(getattr(result, key)), []).append(result)
    return {name: summary_intervals(group) for name, group in sorted(grouped.items())}


def split_table(
    splits: dict[str, dict[str, float | None]],
    intervals: dict[str, dict[str, tuple[float, float] | None]] | None = None,
) -> list[str]:
    """Markdown rows: every metric per split with its interval, and the dev − test gap."""
    names = list(splits)
    gap = "dev" in splits and "test" in splits
    lines = ["| metric | " + " | ".join(names) + (" | dev − test |" if gap else " |"),
             "|---" * (len(names) + 1 + gap) + "|"]
    first = next(iter(splits.values()), {})
    for metric in first:
        cells = [format_with_interval(splits[n].get(metric), (intervals or {}).get(n, {}).get(metric))
                 if metric != "items" else _fmt(splits[n].get(metric)) for n in names]
        row = f"| {metric} | " + " | ".join(cells) + " |"
        if gap:
            a, b = splits["dev"].get(metric), splits["test"].get(metric)
            row += f" {'' if a is None or b is None or metric == 'items' else f'{a - b:+.3f}'} |"
        lines.append(row)
    return lines


def group_table(
    groups: dict[str, dict[str, float | None]],
    key: str,
    intervals: dict[str, dict[str, tuple[float, float] | None]] | None = None,
) -> list[str]:
    """Markdown rows of :func:`eval.metrics.summarize_groups` output, each rate with its interval."""
    metrics = list(next(iter(groups.values()), {}))
    lines = [f"| {key} | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for name, values in groups.items():
        spread = (intervals or {}).get(name, {})
        cells = [_fmt(v) if m == "items" else format_with_interval(v, spread.get(m)) for m, v in values.items()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
