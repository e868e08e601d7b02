"""Bootstrap 95 % intervals for the eval figures: how much a figure could move with other items.

A rate over 30 items is not as certain as one over 300; every figure in a report carries a
percentile-bootstrap interval over its items. The resampling is seeded, so the same results
always give the same interval (a gate or a report never flickers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RESAMPLES = 2000
SEED = 20261207
LEVEL = 0.95


def bootstrap_interval(
    values: Sequence[float], resamples: int = RESAMPLES, seed: int = SEED, percentile: float | None = None
) -> tuple[float, float] | None:
    """The percentile-bootstrap 95 % interval of the mean (or a percentile) of ``values``.

    Args:
        values: one number per item (0/1 for a rate); None-free.
        resamples: how many resamples of the items to draw.
        seed: the random seed (fixed: the same values give the same interval).
        percentile: the interval of this percentile (0..100, e.g. 95 for a p95 latency) instead of the mean.

    Returns:
        ``(low, high)``, or None for no values. A single value gives ``(v, v)``.
    """
    data = np.asarray(list(values), dtype=float)
    if data.size == 0:
        return None
    if data.size == 1 or np.all(data == data[0]):
        return float(data[0]), float(data[0])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, data.size, size=(resamples, data.size))
    samples = data[picks]
    means = samples.mean(axis=1) if percentile is None else np.percentile(samples, percentile, axis=1)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def format_with_interval(value: float | None, interval: Sequence[float] | None) -> str:
    """``0.629 [0.55, 0.70]`` (just the value when there is no interval; ``n/a`` for no value)."""
    if value is None:
        return "n/a"
    if not interval:
        return f"{value:.3f}"
    return f"{value:.3f} [{interval[0]:.2f}, {interval[1]:.2f}]"
