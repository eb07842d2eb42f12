"""Synthetic call histories with a known truth for the forecast tests (seeded, Poisson counts)."""
from __future__ import annotations

import numpy as np
import pandas as pd

WEEKDAY = np.array([1.3, 1.1, 1.0, 1.0, 0.95, 0.55, 0.4])  # Mon..Sun multipliers of the day total


def profile(slots_per_day: int, open_h=(8, 20)) -> np.ndarray:
    """Two-peak intraday shape over the open hours (0 when closed), sums to 1."""
    hours = np.arange(slots_per_day) * 24 / slots_per_day
    shape = np.exp(-((hours - 10) / 1.5) ** 2) + 0.8 * np.exp(-((hours - 15) / 2.0) ** 2) + 0.25
    shape[(hours < open_h[0]) | (hours >= open_h[1])] = 0
    return shape / shape.sum()


def truth(days: pd.DatetimeIndex, interval_min: int = 30, base: float = 2000.0, trend_per_day: float = 0.0,
          day_factor=None, weekday=WEEKDAY, open_h=(8, 20)) -> pd.Series:
    """Expected calls per open interval: base × (1 + trend·day) × weekday × day_factor × profile."""
    spd = 1440 // interval_min
    prof = profile(spd, open_h)
    rows = []
    for i, d in enumerate(days):
        f = 1.0 if day_factor is None else day_factor.get(d, 1.0)
        if f is None or weekday[d.weekday()] == 0:
            continue
        total = base * (1 + trend_per_day * i) * weekday[d.weekday()] * f
        idx = d + pd.to_timedelta(np.arange(spd) * interval_min, unit="min")
        rows.append(pd.Series(total * prof, index=idx)[prof > 0])
    return pd.concat(rows)


def sample(mean: pd.Series, seed: int = 1, day_sd: float = 0.0) -> pd.Series:
    """Poisson counts around ``mean`` (times a lognormal day-level shock with sd ``day_sd``)."""
    rng = np.random.default_rng(seed)
    days = mean.index.normalize()
    uniq = days.unique()
    shock = pd.Series(np.exp(rng.normal(-day_sd ** 2 / 2, day_sd, len(uniq))), index=uniq)
    return pd.Series(rng.poisson(mean.to_numpy() * shock.reindex(days).to_numpy()).astype(float), index=mean.index)
