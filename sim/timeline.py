"""Time spent inside each reporting interval by a set of segments (vectorised, no loop per segment)."""
from __future__ import annotations

import numpy as np


def _covered_until(t: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """G(t) = total length of all segments' parts before time t (segments [start, end), seconds)."""
    s = np.sort(starts)
    e = np.sort(ends)
    cs = np.concatenate([[0.0], np.cumsum(s)])
    ce = np.concatenate([[0.0], np.cumsum(e)])
    ns = np.searchsorted(s, t, side="right")
    ne = np.searchsorted(e, t, side="right")
    # (open segments) x t - (starts - ends of the segments begun): exactly constant where no segment is open
    return (ns - ne) * t - (cs[ns] - ce[ne])


def time_per_interval(starts, ends, interval_s: float, n_intervals: int) -> np.ndarray:
    """Seconds of the segments [starts, ends) falling in each interval [k·I, (k+1)·I), k < n_intervals."""
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    keep = np.isfinite(starts) & np.isfinite(ends) & (ends > starts)
    if not keep.any():
        return np.zeros(n_intervals)
    grid = np.arange(n_intervals + 1, dtype=float) * interval_s
    covered = _covered_until(grid, starts[keep], ends[keep])
    return np.maximum(np.diff(covered), 0.0)   # >= 0 by construction; drop cumulative-sum rounding (-1e-14)
