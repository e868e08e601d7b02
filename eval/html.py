"""A self-contained HTML report: summary vs baseline, per-tag table, charts as embedded PNGs.

Also the optional LLM judge's section, in HTML and (for report.md) in Markdown.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from eval.dataset import GoldItem
from eval.metrics import K_VALUES, ItemResult, worst_dev_items

if TYPE_CHECKING:
    from eval.judge import JudgeReport


def _png(figure) -> str:  # a matplotlib Figure
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _charts(summary: dict[str, float | None], ablations: dict[str, dict]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = []
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(K_VALUES, [summary.get(f"recall@{k}") or 0 for k in K_VALUES], marker="o", label="policychat")
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k of gold sources")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    images.append(_png(fig))
    plt.close(fig)
    if ablations:
        metrics = ("hit@1", "hit@5", "mrr", "evidence@5")
        fig, ax = plt.subplots(figsize=(7, 3.2))
        width = 0.8 / len(ablations)
        for i, (name, values) in enumerate(ablations.items()):
            ax.bar(
                [m + i * width for m in range(len(metrics))], [values.get(m) or 0 for m in metrics], width, label=name
            )
        ax.set_xticks([m + 0.4 - width / 2 for m in range(len(metrics))], metrics)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7, ncol=3)
        images.append(_png(fig))
        plt.close(fig)
    return images


def _rate(values: list[float]) -> str:
    return _fmt(sum(values) / len(values) if values else None)


def _per_source_rows(results: list[ItemResult], gold: dict[str, GoldItem]) -> str:
    by_source: dict[str, list[ItemResult]] = defaultdict(list)
    for result in results:
        item = gold.get(result.id)
        for source in item.gold_sources if item else []:
            by_source[source].append(result)
    return "".join(
        f"<tr><td>{html.escape(source)}</td><td>{len(group)}</td>"
        f"<td>{_rate([r.hits.get(5, 0.0) for r in group])}</td>"
        f"<td>{_rate([r.key_facts for r in group if r.key_facts is not None])}</td></tr>"
        for source, group in sorted(by_source.items())
    )


def _worst_item(result: ItemResult, item: GoldItem | None) -> str:
    """One failing item: question, answer, its citations, and the gold evidence."""
    cites = "".join(
        f"<li>[{c['marker']}] {html.escape(str(c['source_id']))}: “{html.escape(str(c['quote'])[:240])}”</li>"
        for c in result.citations
    )
    evidence = "".join(
        f"<li>{html.escape(e.source_id)}: “{html.escape(e.quote)}”</li>" for e in (item.evidence if item else [])
    )
    question = html.escape(item.question) if item else ""
    return (
        f"<li><b>{html.escape(result.id)}</b> (key facts {result.key_facts}, rr {result.reciprocal_rank:.2f})"
        f"<br><i>{question}</i><br>{html.escape(result.answer[:600])}"
        f"<br>Citations:<ul>{cites or '<li>none</li>'}</ul>Gold evidence:<ul>{evidence}</ul></li>"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def judge_markdown_section(report: JudgeReport | None) -> list[str]:
    """Lines of the "LLM judge (not gating)" section of report.md."""
    if report is None:
        return []
    lines = [
        "",
        "## LLM judge (not gating)",
        "",
        f"Model `{report.model}` at {report.endpoint}; {len(report.samples)} of {report.eligible} answered "
        f"items judged (limit {report.limit}) in {report.seconds:.0f} s. RAGAS metric names; "
        "per-item scores in judge.json. No gate reads these figures.",
    ]
    if report.error:
        lines += ["", f"**Judge failed:** {report.error}"]
    lines += ["", "| metric | mean | scored | unparsed | failed calls |", "|---|---|---|---|---|"]
    lines += [
        f"| {metric} | {_fmt(agg['mean'])} | {agg['scored']} | {agg['unparsed']} | {agg['failed']} |"
        for metric, agg in report.aggregate().items()
    ]
    return lines


def judge_html_section(report: JudgeReport | None) -> str:
    """The "LLM judge (not gating)" section of report.html (empty when the judge did not run)."""
    if report is None:
        return ""
    rows = "".join(
        f"<tr><td>{metric}</td><td>{_fmt(agg['mean'])}</td><td>{agg['scored']}</td>"
        f"<td>{agg['unparsed']}</td><td>{agg['failed']}</td></tr>"
        for metric, agg in report.aggregate().items()
    )
    failed = f'<p class="judge-error"><b>Judge failed:</b> {html.escape(report.error)}</p>' if report.error else ""
    return (
        f'<h2 id="llm-judge">LLM judge (not gating)</h2><p>Model <code>{html.escape(report.model)}</code> at '
        f"{html.escape(report.endpoint)}; {len(report.samples)} of {report.eligible} answered items judged "
        f"(limit {report.limit}) in {report.seconds:.0f} s. RAGAS metric names; per-item scores in judge.json. "
        f"No gate reads these figures.</p>{failed}<table><tr><th>metric</th><th>mean</th><th>scored</th>"
        f"<th>unparsed</th><th>failed calls</th></tr>{rows}</table>"
    )


def write_html(
    path: Path,
    label: str,
    summary: dict[str, float | None],
    baseline: dict[str, float | None] | None,
    results: list[ItemResult],
    ablations: dict[str, dict],
    failures: list[str],
    gold: dict[str, GoldItem] | None = None,
    judge: JudgeReport | None = None,
) -> None:
    """Write ``report.html``: summary with deltas vs ``baseline``, per-tag table, charts, worst items.

    With ``judge``, a separate "LLM judge (not gating)" section follows the gate verdict and summary.
    """
    rows = []
    for metric, value in summary.items():
        base = (baseline or {}).get(metric)
        delta = "" if base is None or value is None else f"{value - base:+.3f}"
        rows.append(
            f"<tr><td>{html.escape(metric)}</td><td>{_fmt(value)}</td><td>{_fmt(base)}</td><td>{delta}</td></tr>"
        )
    by_tag: dict[str, list[ItemResult]] = defaultdict(list)
    for result in results:
        for tag in result.tags:
            by_tag[tag].append(result)
    tag_rows = []
    for tag, group in sorted(by_tag.items()):
        answerable = [r for r in group if r.answerable]
        facts = [r.key_facts for r in answerable if r.key_facts is not None]
        hit5 = [r.hits.get(5, 0.0) for r in answerable]
        tag_rows.append(
            f"<tr><td>{html.escape(tag)}</td><td>{len(group)}</td>"
            f"<td>{_fmt(sum(hit5) / len(hit5) if hit5 else None)}</td>"
            f"<td>{_fmt(sum(facts) / len(facts) if facts else None)}</td></tr>"
        )
    source_rows = _per_source_rows(results, gold or {})
    ablation_rows = "".join(
        f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{_fmt(v)}</td>" for v in values.values()) + "</tr>"
        for name, values in ablations.items()
    )
    ablation_head = "".join(f"<th>{html.escape(m)}</th>" for m in next(iter(ablations.values()), {}))
    worst = worst_dev_items(results)
    worst_html = "".join(_worst_item(r, (gold or {}).get(r.id)) for r in worst)
    images = "".join(f'<img alt="chart" src="data:image/png;base64,{b64}">' for b64 in _charts(summary, ablations))
    verdict = "PASS" if not failures else "FAIL: " + "; ".join(failures)
    path.write_text(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>policychat eval: {html.escape(label)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
td:first-child{{text-align:left}}.v{{font-weight:bold;color:{"#1a7f37" if not failures else "#c62828"}}}
img{{max-width:100%;margin:0.5em}}</style></head><body>
<h1>Evaluation: {html.escape(label)}</h1><p class="v">Gates: {html.escape(verdict)}</p>
<h2>Summary (vs stored baseline)</h2><table><tr><th>metric</th><th>value</th><th>baseline</th><th>delta</th></tr>
{"".join(rows)}</table>{judge_html_section(judge)}<h2>Retrieval ablations</h2>
<table><tr><th>variant</th>{ablation_head}</tr>{ablation_rows}</table>
{images}<h2>By tag</h2><table><tr><th>tag</th><th>items</th><th>hit@5</th><th>key facts</th></tr>{"".join(tag_rows)}
</table><h2>By gold source</h2><table><tr><th>source</th><th>items</th><th>hit@5</th><th>key facts</th></tr>
{source_rows}</table><h2>Worst 15 dev items (test items stay unseen)</h2><ol>{worst_html}</ol></body></html>""",
        encoding="utf-8",
    )
