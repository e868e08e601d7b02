"""``python -m bench.hostile [--quick] [--no-folder] [--timeout S] [--out DIR]``: ingest time of hostile inputs.

Measures, each in a fresh library and its own subprocess (model loaded before the
clock starts; a run over ``--timeout`` seconds is reported as such and stopped):

* the repeated-sentence file ("Export controls apply [1]. " x N) at 5,000 / 10,000 /
  20,000 (the issue's sizes) and 50,000 / 100,000 / 200,000 sentences;
* a Markdown file that is one line without punctuation, at 1.25 / 2.5 / 5 MB;
* a PDF with one line per page, at 375 / 750 / 1,500 pages;
* the folder the issue asks for: those three at full size plus the shared corpus's
  normal documents, in one run.

Each input sits beside a small normal document. Point ``PYTHONPATH`` at another
checkout to measure its code (the "before" column of the issue's closing note).
Results go to ``bench/results/hostile-<date>-<HHMM>.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from generated_inputs import (  # noqa: E402 - tests/ holds the generators shared with the tests
    NORMAL_DOC,
    one_line_per_page_pdf,
    register_pdf_lines,
    repeated_sentence_text,
    single_line_markdown,
)

_RUN = r"""
import json, sys, time
from pathlib import Path
from policychat.settings import Settings
from ingest.embed import load_token_counter
from ingest.library import Library
from ingest.pipeline import ingest_paths
library = Library(Settings(data_dir=sys.argv[1], sources=None, _env_file=None))
library.embeddings.embed_query("warm up")
load_token_counter(library.settings.models.embedding_model)
started = time.perf_counter()
report = ingest_paths(library, [Path(p) for p in sys.argv[2:]])
print(json.dumps({"seconds": time.perf_counter() - started, "added": len(report.added),
                  "errors": [f"{Path(e.path).name}: {e.reason}" for e in report.errors],
                  "chunks": sum(r.n_chunks for r in library.catalog.records()),
                  "embedded": report.chunks_embedded, "duplicates": getattr(report, "duplicate_chunks", None)}))
"""


def measure(paths: list[Path], timeout: float) -> dict[str, Any]:
    """Ingest ``paths`` into a fresh library in a subprocess; the figures, or ``{"timeout": s}``."""
    data = Path(tempfile.mkdtemp(prefix="bench-hostile-data-"))
    try:
        result = subprocess.run([sys.executable, "-c", _RUN, str(data), *map(str, paths)], capture_output=True,
                                text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    finally:
        shutil.rmtree(data, ignore_errors=True)
    if result.returncode != 0:
        return {"failed": result.stderr[-500:]}
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _folder(root: Path, name: str, files: dict[str, bytes]) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)
    (folder / "harbour-compute-notice.md").write_text(NORMAL_DOC, encoding="utf-8")
    return folder


def series(quick: bool) -> dict[str, list[tuple[str, dict[str, bytes]]]]:
    """The inputs of each scaling series: (label, files)."""
    repeats = (5_000, 10_000, 20_000) if quick else (5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
    mb = 1024 * 1024
    return {
        "repeated sentence": [(f"{n:,} sentences", {"repeated.txt": repeated_sentence_text(n).encode()})
                              for n in repeats],
        "one line, no punctuation": [(f"{size / mb:g} MB", {"line.md": single_line_markdown(int(size)).encode()})
                                     for size in (1.25 * mb, 2.5 * mb, 5 * mb)],
        "one line per page (PDF)": [(f"{pages:,} pages",
                                     {"register.pdf": one_line_per_page_pdf(register_pdf_lines(pages))})
                                    for pages in (375, 750, 1500)],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the issue's three sizes of the repeated file")
    parser.add_argument("--no-folder", action="store_true", help="skip the whole-folder run")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run before it is stopped")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--corpus", type=Path, default=TESTS.parent.parent / "shared" / "corpus")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"date": dt.datetime.now().isoformat(timespec="minutes"), "series": {}}
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        root = Path(tmp)
        for name, runs in series(args.quick).items():
            results["series"][name] = []
            for i, (label, files) in enumerate(runs):
                figures = measure([_folder(root, f"{name}-{i}", files)], args.timeout)
                results["series"][name].append({"size": label, **figures})
                print(f"{name}, {label}: {figures}", flush=True)
        if not args.no_folder:
            folder = _folder(root, "everything", {
                "repeated-sentence.txt": repeated_sentence_text(200_000).encode(),
                "single-line.md": single_line_markdown(5 * 1024 * 1024).encode(),
                "one-line-pages.pdf": one_line_per_page_pdf(register_pdf_lines(1500), title="Item Register"),
            })
            paths = [folder] + ([args.corpus] if args.corpus.is_dir() else [])
            results["folder"] = {"inputs": "the three at full size + a normal document"
                                 + (" + the shared corpus" if len(paths) > 1 else ""),
                                 **measure(paths, max(args.timeout, 1800))}
            print(f"folder: {results['folder']}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"hostile-{dt.datetime.now():%Y-%m-%d-%H%M}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2))
    stem.with_suffix(".md").write_text(_markdown(results))
    print(f"wrote {stem}.json and .md")
    return 0


def _markdown(results: dict[str, Any]) -> str:
    lines = [f"# Ingest time of hostile inputs ({results['date']})", "",
             "| input | size | seconds | chunks | embedded | duplicates reused | errors |",
             "|---|---|---|---|---|---|---|"]
    rows = [(name, run) for name, runs in results["series"].items() for run in runs]
    if "folder" in results:
        rows.append(("whole folder", {"size": results["folder"]["inputs"], **results["folder"]}))
    for name, run in rows:
        seconds = f"> {run['timeout']:g} (stopped)" if "timeout" in run else (
            "failed" if "failed" in run else f"{run['seconds']:.1f}")
        lines.append(f"| {name} | {run['size']} | {seconds} | {run.get('chunks', '')} | {run.get('embedded', '')} | "
                     f"{run.get('duplicates', '')} | {len(run.get('errors', []))} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
