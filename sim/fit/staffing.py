"""Observed staffing: agents logged in and not paused, per interval and as the scenario's agents.

Two uses:

- a *typical week* for a calibrated scenario: the mean number of ready agents per weekday × interval over
  the normal days (holidays and adjusted days left out, as for arrivals), rounded to whole agents for
  ``agents.headcount_per_interval`` (a 7-day horizon starting Monday);
- the *exact* observed staffing for a back-test: every ready period (agent, start, end in seconds) becomes a
  one-agent shift on its day (``[[agents.shifts]]`` with ``day``), to the minute — no rounding of fractional
  interval means, pauses stay pauses.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import WEEKDAYS


@dataclass
class StaffingFit:
    """Mean ready agents per day × interval (``per_day``) and the weekday profile over normal days."""

    per_day: np.ndarray          # (days, intervals per day) mean agents ready
    dates: list[dt.date]
    normal: np.ndarray           # bool per day

    def profile(self) -> dict[str, list[float]]:
        wd = np.array([d.weekday() for d in self.dates])
        base = self.normal if self.normal.any() else np.ones_like(self.normal)
        out = {"default": self.per_day[base].mean(axis=0).tolist()}
        for i, name in enumerate(WEEKDAYS):
            sel = base & (wd == i)
            if sel.any():
                out[name] = self.per_day[sel].mean(axis=0).tolist()
        return out

    def headcount_week(self) -> list[int]:
        """7 × intervals-per-day whole agents, Monday first (unobserved weekdays: the all-day mean)."""
        prof = self.profile()
        week = [prof.get(name, prof["default"]) for name in WEEKDAYS]
        return [int(math.floor(v + 0.5)) for day in week for v in day]

    def to_dict(self) -> dict:
        return {"definition": "mean agents logged in and not paused per interval (agent-seconds ready / "
                              "interval length); weekday profile = mean over normal days",
                "profile": self.profile(), "headcount_week": self.headcount_week()}

    def plot(self, interval_minutes: int, ax=None):
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 3.5))
        else:
            fig = ax.figure
        hours = np.arange(self.per_day.shape[1]) * interval_minutes / 60.0
        for name, values in self.profile().items():
            if name != "default":
                ax.step(hours, values, where="post", label=name[:3])
        ax.set_xlabel("hour of day")
        ax.set_ylabel("agents ready (mean)")
        ax.set_title("Observed staffing: agents logged in and not paused", fontsize=9)
        ax.legend(fontsize=8, ncol=4)
        return fig


def fit_staffing(per_interval, days: int, dates: list[dt.date], normal: np.ndarray) -> StaffingFit:
    """``per_interval``: mean ready agents per interval over the whole period (days × intervals per day)."""
    values = np.asarray(per_interval, dtype=float)
    return StaffingFit(values.reshape(days, -1), dates, np.asarray(normal, dtype=bool))


def _clock(seconds: float) -> str:
    m = int(round(seconds / 60.0)) % 1440
    return f"{m // 60:02d}:{m % 60:02d}"


def ready_periods_as_shifts(ready: pd.DataFrame, days: int) -> tuple[list[dict], int]:
    """One-agent shifts (scenario dicts with ``day``) reproducing ``ready`` periods (seconds from day 0),
    to the minute; periods crossing midnight stay one shift, longer ones are cut at midnight.

    Returns (shifts, number of periods shorter than a minute after rounding — left out and reported)."""
    shifts, tiny = [], 0
    horizon = days * 86400.0
    for _agent, start, end in ready[["agent", "start", "end"]].itertuples(index=False):
        start, end = max(float(start), 0.0), min(float(end), horizon)
        s_min, e_min = int(round(start / 60.0)), int(round(end / 60.0))
        if e_min <= s_min:
            tiny += int(end > start)
            continue
        t = s_min
        while t < e_min:
            day = t // 1440
            stop = min(e_min, t + 1440 - 1)  # a shift is shorter than 24 h (equal clocks mean a full day)
            shifts.append({"name": "observed", "start": _clock(t * 60), "end": _clock(stop * 60), "day": int(day),
                           "count": 1})
            t = stop
    return shifts, tiny


def agents_seen_per_interval(calls: pd.DataFrame, interval_s: float, n_intervals: int) -> np.ndarray:
    """Distinct agents busy with a call (answer → end of ACW) in each interval: a lower bound of staffing,
    for logs without agent sessions (a CDR)."""
    agent = calls["agent"].to_numpy()
    start = calls["answer"].to_numpy(dtype=float)
    end = np.fmax(calls["acw_end"].to_numpy(dtype=float), calls["talk_end"].to_numpy(dtype=float))
    ok = (agent >= 0) & np.isfinite(start) & np.isfinite(end)
    first = np.clip((start[ok] // interval_s).astype(np.int64), 0, n_intervals - 1)
    last = np.clip((np.maximum(end[ok] - 1e-9, start[ok]) // interval_s).astype(np.int64), 0, n_intervals - 1)
    span = last - first + 1
    idx = np.repeat(first, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    pairs = np.unique(np.stack([np.repeat(agent[ok], span), idx]), axis=1)
    return np.bincount(pairs[1], minlength=n_intervals)[:n_intervals].astype(float)
