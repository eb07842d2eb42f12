"""First attempts: when calls arrive and of which type, one day at a time.

The model's arrivals are a non-homogeneous Poisson process (or exact counts when ``arrivals.poisson`` is
false) with the scenario's rate per interval, uniform inside each interval; times in seconds from the horizon
start. ``CallCentreModel`` chains them, one pending arrival at a time (``sim.model``).
"""
from __future__ import annotations

import numpy as np

from sim.scenario import Scenario


def arrival_days(sc: Scenario, rng: np.random.Generator):
    """Non-homogeneous Poisson first attempts (or exact counts when ``arrivals.poisson`` is false), uniform
    inside each interval, generated one day at a time: yields (sorted times in s, call-type codes) per day, so
    a long horizon never holds all arrival times at once."""
    rates = sc.arrival_rates()
    shares = np.array([ct.share for ct in sc.call_types.values()])
    p = shares / shares.sum()
    interval = float(sc.horizon.interval_s)
    per_day = sc.horizon.intervals_per_day
    counts = rng.poisson(rates) if sc.arrivals.poisson else np.rint(rates).astype(np.int64)
    for first in range(0, rates.size, per_day):
        day_counts = counts[first:first + per_day]
        total = int(day_counts.sum())
        starts = np.repeat((first + np.arange(day_counts.size)) * interval, day_counts)
        times = starts + rng.random(total) * interval
        types = rng.choice(shares.size, size=total, p=p).astype(np.int8)
        order = np.argsort(times, kind="stable")
        yield times[order], types[order]


def arrival_stream(sc: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """All first attempts of the horizon at once: (sorted times in s, call-type codes)."""
    days = list(arrival_days(sc, rng))
    return np.concatenate([d[0] for d in days]), np.concatenate([d[1] for d in days])
