"""Write results as JSON and as a Markdown table with the machine facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.cards import card_rows
from bench.llm_stream import llm_stream_rows


def write_results(results: dict[str, Any], out_dir: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` into ``out_dir``; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stem}.json"
    md_path = out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(results), encoding="utf-8")
    return json_path, md_path


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    return f"{value}{unit}"


def render_markdown(results: dict[str, Any]) -> str:
    """Render the results as a Markdown document: machine facts, then one row per figure."""
    m = results["machine"]
    lines = [
        f"# policychat benchmark — {results['size']} — {m['date_utc']} UTC",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"load average at start {m['load_avg_1m']}. Sources: `{results['sources']}`.",
        "",
        "Measurements, not pass/fail: ratio = measured / target (or ours / peer).",
        "",
        "| section | figure | value | target / peer | ratio |",
        "|---|---|---|---|---|",
    ]
    rows: list[tuple[str, str, str, str, str]] = []
    ing = results.get("ingestion") or {}
    if ing:
        rows += [
            ("ingestion", "sources / chunks / PDF pages", f"{ing['sources']} / {ing['chunks']} / {ing['pages']}",
             "", ""),
            ("ingestion", "end-to-end ingest", _fmt(ing["ingest_s"], " s"), "", ""),
            ("ingestion", "pipeline chunks/s vs raw encode chunks/s", _fmt(ing["pipeline_chunks_per_s"]),
             f"raw {_fmt(ing['raw_encode_chunks_per_s'])} (≥ 0.8)", _fmt(ing["pipeline_vs_raw_ratio"])),
            ("ingestion", "re-ingest unchanged", _fmt(ing["reingest_unchanged_s"], " s"), "≤ 5 s",
             _fmt(ing["reingest_ratio_to_target"])),
            ("ingestion", "peak RSS (process)", _fmt(ing["peak_rss_mb"], " MiB"), "", ""),
        ]
        for fmt, p in ing["parse_s_per_mb"].items():
            rows.append(("ingestion", f"parse {fmt} ({p['files']} files, {p['mb']} MB)",
                         _fmt(p["s_per_mb"], " s/MB"), "", ""))
    for label, ret in (results.get("retrieval") or {}).items():
        for mode in ("dense", "bm25", "hybrid"):
            target = "≤ 100 ms" if mode == "hybrid" and label == "1x" else ""
            ratio = _fmt(ret["hybrid_p95_ratio_to_target"]) if target else ""
            rows.append((f"retrieval {label}", f"{mode} p50 / p95 ({ret['chunks']} chunks)",
                         f"{_fmt(ret[mode]['p50_ms'])} / {_fmt(ret[mode]['p95_ms'])} ms", target, ratio))
        rows.append((f"retrieval {label}", "RSS after queries (process)", _fmt(ret["rss_mb"], " MiB"), "", ""))
    ans = results.get("answering") or {}
    for key, lvl in ans.items():
        if key.startswith("clients_"):
            target = "p95 ≤ 300 ms, 0 errors" if key == "clients_1" else "0 errors"
            ratio = _fmt(ans["p95_at_1_ratio_to_target"]) if key == "clients_1" else ""
            rows.append(("answering", f"{key.split('_')[1]} client(s), {lvl['n']} req: p50 / p95, req/s, errors",
                         f"{_fmt(lvl['p50_ms'])} / {_fmt(lvl['p95_ms'])} ms, {_fmt(lvl['req_per_s'])} req/s, "
                         f"{lvl['errors']} err", target, ratio))
    cold = results.get("cold_start") or {}
    if cold:
        each = ", ".join(_fmt(run["seconds"]) for run in cold.get("runs", []))
        rows.append(("cold start", f"process start → /readyz 200, median of {len(cold.get('runs', []))} ({each} s)",
                     _fmt(cold["seconds"], " s"), "≤ 15 s", _fmt(cold["ratio_to_target"])))
        if cold.get("first_answer_s") is not None:
            rows.append(("cold start", "process start → first answer 200, median", _fmt(cold["first_answer_s"], " s"),
                         "", ""))
        if cold.get("burst_p95_s") is not None:
            target = cold.get("burst_target_s", 2.0)
            rows.append(("cold start", f"{cold.get('burst_size', 16)} concurrent questions right after ready: p95, "
                         "median", _fmt(cold["burst_p95_s"], " s"), f"≤ {target:g} s",
                         _fmt(cold["burst_p95_s"] / target)))
    lc = results.get("langchain") or {}
    if lc:
        rows += [
            ("vs LangChain", f"ingest: ours end-to-end incl. parsing ({ing.get('chunks')} chunks) vs recipe from "
             f"parsed text ({lc['chunks']} chunks)",
             _fmt(lc["ours_ingest_s"], " s"), f"recipe {_fmt(lc['ingest_s'], ' s')}", _fmt(lc["ingest_ratio"])),
            ("vs LangChain", "query p50: ours hybrid vs recipe k=4", _fmt(lc["ours_p50_ms"], " ms"),
             f"recipe {_fmt(lc['query']['p50_ms'], ' ms')}", _fmt(lc["p50_ratio"])),
            ("vs LangChain", "query p95: ours hybrid vs recipe k=4", _fmt(lc["ours_p95_ms"], " ms"),
             f"recipe {_fmt(lc['query']['p95_ms'], ' ms')}", _fmt(lc["p95_ratio"])),
        ]
    llm = results.get("local_llm") or {}
    if llm.get("skipped"):
        rows.append(("local generator", "skipped", llm["skipped"], "", ""))
    elif llm:
        rows += [
            ("local generator", f"time to first token p50 / p95 ({llm['questions']} questions)",
             f"{_fmt(llm['ttft']['p50_ms'])} / {_fmt(llm['ttft']['p95_ms'])} ms", "", ""),
            ("local generator", f"tokens/s mean (min–max), {llm['n_threads']} thread(s)",
             f"{_fmt(llm['tokens_per_s']['mean'])} ({_fmt(llm['tokens_per_s']['min'])}–"
             f"{_fmt(llm['tokens_per_s']['max'])})", "", ""),
        ]
    rows += _page_rows(results.get("pages") or {})
    rows += card_rows(results.get("cards") or {}, _fmt)
    rows += llm_stream_rows(results.get("llm_stream") or {})
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    if results.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


def _page_rows(pages: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Rows of the cited-page section: render, locate and cached costs."""
    if pages.get("skipped"):
        return [("cited pages", "skipped", pages["skipped"], "", "")]
    if not pages:
        return []

    def pair(key: str) -> str:
        return f"{_fmt(pages[key]['p50_ms'])} / {_fmt(pages[key]['p95_ms'])} ms"

    found = pages["outcomes"]
    return [
        ("cited pages", f"render + locate + highlight + PNG, p50 / p95 ({pages['quotes']} quotes, "
         f"{pages['sources']} PDFs)", pair("highlighted"), "", ""),
        ("cited pages", "render + PNG without a highlight, p50 / p95", pair("plain"), "", ""),
        ("cited pages", "locate the quote (pdfplumber), p50 / p95", pair("locate"), "", ""),
        ("cited pages", "cached page, p50 / p95", pair("cached"), "", ""),
        ("cited pages", "quotes found / partly / not located; mean PNG",
         f"{found.get('found', 0)} / {found.get('partial', 0)} / {found.get('none', 0)}; "
         f"{_fmt(pages['png_kb_mean'], ' KiB')}", "", ""),
    ]
