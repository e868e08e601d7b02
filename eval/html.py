"""A self-contained HTML report: summary vs baseline, per-tag table, charts as embedded PNGs.

Also the reliability diagram of the answers' confidence, the gold items that changed when sources
were added, and the optional LLM judge's section, in HTML and (for report.md) in Markdown.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from eval.dataset import GoldItem
from eval.intervals import bootstrap_interval, format_with_interval
from eval.metrics import K_VALUES, ItemResult, summary_intervals, worst_dev_items

if TYPE_CHECKING:
    from eval.changes import ChangeReport
    from eval.judge import JudgeReport
    from eval.reliability import Reliability


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


def _reliability_chart(table: Reliability) -> str | None:
    """The reliability diagram as a PNG (base64): observed right rate against mean confidence per bucket."""
    filled = [b for b in table.buckets if b.mean_confidence is not None and b.observed is not None]
    if not filled:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 4))
    ax.plot([0, 1], [0, 1], linestyle="--", color="#999", label="calibrated")
    xs = [b.mean_confidence or 0.0 for b in filled]
    ys = [b.observed or 0.0 for b in filled]
    spans = [b.interval or (y, y) for b, y in zip(filled, ys, strict=True)]
    errors = [[y - low for (low, _), y in zip(spans, ys, strict=True)],
              [high - y for (_, high), y in zip(spans, ys, strict=True)]]
    ax.errorbar(xs, ys, yerr=errors, fmt="o", capsize=3, label="observed (95 % interval)")
    for b, x, y in zip(filled, xs, ys, strict=True):
        ax.annotate(f"n={b.items}", (x, y), textcoords="offset points", xytext=(5, -12), fontsize=7)
    for edge in {b.low for b in table.buckets} - {0.0}:
        ax.axvline(edge, color="#ddd", linewidth=0.8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("mean confidence of the answer")
    ax.set_ylabel("share answered right")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    image = _png(fig)
    plt.close(fig)
    return image


def reliability_html_section(table: Reliability | None) -> str:
    """The "Reliability of the confidence" section of report.html: the table and the diagram."""
    if table is None:
        return ""
    rows = "".join(
        f"<tr><td>{b.low:.2f}–{b.high:.2f}</td><td>{b.label}</td><td>{b.items}</td><td>{_fmt(b.mean_confidence)}</td>"
        f"<td>{format_with_interval(b.observed, b.interval)}</td></tr>"
        for b in table.buckets
    )
    chart = _reliability_chart(table)
    image = f'<img alt="reliability diagram" src="data:image/png;base64,{chart}">' if chart else ""
    return (
        f'<h2 id="reliability">Reliability of the confidence</h2><p>Answered, answerable items by the answer’s '
        f"confidence (its least confident answered part): {table.items} items, expected calibration error "
        f"{_fmt(table.ece)}. Right = every key fact, no refusal.</p><table><tr><th>confidence</th><th>label</th>"
        f"<th>items</th><th>mean confidence</th><th>observed right rate</th></tr>{rows}</table>{image}"
    )


def changes_html_section(report: ChangeReport | None) -> str:
    """The "What changed when the sources were added" section of report.html (empty without a comparison)."""
    if report is None:
        return ""
    from eval.changes import SECTION_TITLE

    head = f'<h2 id="changes">{SECTION_TITLE}</h2>'
    if report.skipped:
        return f"{head}<p>Not compared: {html.escape(report.skipped)}</p>"
    counts = "".join(f"<tr><td>{d}</td><td>{n}</td></tr>" for d, n in report.counts().items())
    rows = "".join(
        f"<tr><td>{html.escape(c.id)}</td><td>{html.escape(c.question)}</td><td>{c.direction}</td>"
        f"<td>{', '.join(c.changed)}</td><td>{html.escape(c.before[:300])}</td>"
        f"<td>{html.escape(c.after[:300])}</td></tr>"
        for c in report.changes
    )
    return (
        f"{head}<p>{report.compared} gold items asked on the main library and on it with the new sources; "
        f"{len(report.changes)} changed.</p><table><tr><th>direction</th><th>items</th></tr>{counts}</table>"
        + (f"<table><tr><th>id</th><th>question</th><th>direction</th><th>changed</th><th>before</th><th>after</th>"
           f"</tr>{rows}</table>" if rows else "")
    )


def _rate(values: list[float]) -> str:
    """The mean of per-item values with its bootstrap 95 % interval."""
    return format_with_interval(sum(values) / len(values) if values else None, bootstrap_interval(values))


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
    calibration: Reliability | None = None,
    changes: ChangeReport | None = None,
) -> None:
    """Write ``report.html``: summary with deltas vs ``baseline``, per-tag table, charts, worst items.

    With ``judge``, a separate "LLM judge (not gating)" section follows the gate verdict and summary;
    with ``calibration`` the reliability table and diagram, with ``changes`` the changed gold items.
    """
    rows = []
    spread = summary_intervals(results)
    for metric, value in summary.items():
        base = (baseline or {}).get(metric)
        delta = "" if base is None or value is None else f"{value - base:+.3f}"
        rows.append(
            f"<tr><td>{html.escape(metric)}</td><td>{format_with_interval(value, spread.get(metric))}</td>"
            f"<td>{_fmt(base)}</td><td>{delta}</td></tr>"
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
            f"<td>{_rate(hit5)}</td><td>{_rate(facts)}</td></tr>"
        )
    source_rows = _per_source_rows(results, gold or {})
    ablation_rows = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{format_with_interval(v, getattr(values, 'intervals', {}).get(m))}</td>"
                  for m, v in values.items())
        + "</tr>"
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
<h2>Summary (vs stored baseline; values with bootstrap 95 % intervals)</h2>
<table><tr><th>metric</th><th>value</th><th>baseline</th><th>delta</th></tr>
{"".join(rows)}</table>{judge_html_section(judge)}<h2>Retrieval ablations</h2>
<table><tr><th>variant</th>{ablation_head}</tr>{ablation_rows}</table>
{images}{reliability_html_section(calibration)}{changes_html_section(changes)}
<h2>By tag</h2><table><tr><th>tag</th><th>items</th><th>hit@5</th><th>key facts</th></tr>{"".join(tag_rows)}
</table><h2>By gold source</h2><table><tr><th>source</th><th>items</th><th>hit@5</th><th>key facts</th></tr>
{source_rows}</table><h2>Worst 15 dev items (test items stay unseen)</h2><ol>{worst_html}</ol></body></html>""",
        encoding="utf-8",
    )
