"""Small statistics helpers shared by the measurements (no numpy: the suite must run
on a bare Flowdesk install)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The ``pct`` percentile by linear interpolation between closest ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


def per_second(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 and count else None


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0
