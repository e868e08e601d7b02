"""Small measurement helpers: percentiles, memory, and timing."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Return the ``pct``-th percentile (0-100, linear interpolation) of ``values``; None if empty."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return float(cuts[int(pct) - 1]) if 0 < pct < 100 else float(max(values) if pct >= 100 else min(values))


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """Turn per-call durations in seconds into ``{"n", "p50_ms", "p95_ms", "mean_ms"}``."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": _round(percentile(ms, 50)),
        "p95_ms": _round(percentile(ms, 95)),
        "mean_ms": _round(statistics.fmean(ms)) if ms else None,
    }


def time_calls(func: Callable[[str], object], inputs: Sequence[str]) -> list[float]:
    """Call ``func`` once per input and return each call's wall-clock seconds."""
    durations: list[float] = []
    for item in inputs:
        t0 = time.perf_counter()
        func(item)
        durations.append(time.perf_counter() - t0)
    return durations


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (``resource.getrusage``; Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float | None:
    """Current resident set size of this process in MiB (``VmRSS`` of /proc/self/status), None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference`` rounded to 3 places, or None when either is missing or the reference is 0."""
    if value is None or not reference:
        return None
    return round(value / reference, 3)


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)
