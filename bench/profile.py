"""Where an answer spends its time: pyinstrument over the gold questions on an ingested library.

``python -m bench.profile [--data-dir DIR] [--questions N]`` (``make profile``) answers the
first N gold questions twice, the second time under pyinstrument (the first warms the
model and the caches), and writes ``bench/results/profile-<date>.txt``: the latency of
each pass and the call tree. The library must already be ingested (``policychat ingest``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from bench.stats import latency_summary
from bench.workload import load_questions

REPO_ROOT = Path(__file__).resolve().parents[1]


def profile_answers(data_dir: Path, questions: list[str], out_dir: Path) -> Path:
    """Answer ``questions`` on the library in ``data_dir`` under pyinstrument; return the report path.

    Runs with the server's torch thread count and an empty query-vector cache per
    question, so the figures match a cold question on the server.
    """
    import torch
    from pyinstrument import Profiler

    from assistant.models import AnswerRequest
    from assistant.service import AnswerService
    from ingest.embed import clear_query_cache
    from policychat.settings import Settings, quiet_network_clients

    quiet_network_clients()
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    torch.set_num_threads(settings.server.serve_torch_threads)
    service = AnswerService(settings)

    def run() -> list[float]:
        durations = []
        for question in questions:
            clear_query_cache()
            t0 = time.perf_counter()
            service.answer(AnswerRequest(question=question))
            durations.append(time.perf_counter() - t0)
        return durations

    warm = latency_summary(run())
    profiler = Profiler(interval=0.001)
    profiler.start()
    profiled = latency_summary(run())
    profiler.stop()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"profile-{dt.datetime.now(dt.UTC):%Y-%m-%d}.txt"
    header = (
        f"policychat answer profile, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {len(questions)} gold questions, "
        f"library {data_dir}\nwarm-up pass: {warm}\nprofiled pass: {profiled}\n\n"
    )
    path.write_text(header + profiler.output_text(unicode=False, color=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, profile, print where the report went; return the exit code."""
    from policychat.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None, help="Ingested library (default: the configured one).")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Settings().store.data_dir
    if not (Path(data_dir) / "catalog.sqlite").is_file():
        sys.stderr.write(f"bench.profile: no library in {data_dir}; run `policychat ingest` first.\n")
        return 2
    path = profile_answers(Path(data_dir), load_questions(args.questions), args.out)
    sys.stdout.write(f"bench.profile: wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
