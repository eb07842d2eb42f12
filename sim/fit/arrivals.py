"""Arrival profile: first attempts per weekday × reporting interval, in total and per call type.

Only *first* attempts are counted (redials and repeat calls are produced by the model's own redial and FCR
behaviour; counting them here too would double them). A day's calls belong to the interval in which they
arrived; the profile of a weekday is the mean count over the observed *normal* days of that weekday.

Holidays and adjusted working days (调休: weekend days worked in exchange for a holiday) are marked and left
out of the weekday profile: they follow their own pattern. They come from the ``holidays`` package's China
calendar, shared with the forecaster (the report names the source), plus any dates the caller passes. Weekdays never
observed on a normal day get the mean of all normal days (``default``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import WEEKDAYS


def special_days(dates: list[dt.date], extra: list[dt.date] | None = None) -> tuple[dict[dt.date, str], str]:
    """(date → reason, calendar source) for holidays and adjusted working days among ``dates``.

    The calendar is the forecaster's (:mod:`staffing.forecast.calendar_cn`, the ``holidays`` package's China
    calendar with its 调休 working weekends), so calibration and forecasting mark the same days."""
    from importlib.metadata import version

    from staffing.forecast.calendar_cn import SpecialDays

    marked: dict[dt.date, str] = {d: "holiday (given)" for d in (extra or [])}
    if not dates:
        return marked, "no dates"
    off, swaps = SpecialDays("CN")._country_days(sorted({d.year for d in dates}))
    holidays_sorted = sorted(off)
    for day in dates:
        if day in off:
            marked.setdefault(day, f"holiday: {off[day]}")
        elif day.weekday() >= 5 and day not in swaps and _inside_holiday_run(day, holidays_sorted):
            marked.setdefault(day, "holiday: weekend inside a public-holiday period")
        elif day in swaps:
            marked.setdefault(day, f"adjusted working day (调休, worked as {WEEKDAYS[swaps[day]]})")
    return marked, f"holidays {version('holidays')} (China)"


def _inside_holiday_run(day: dt.date, holidays: list[dt.date]) -> bool:
    """A weekend day with public holidays at most 3 days before and after it (e.g. the Saturday and Sunday
    inside the National Day week, which the ``holidays`` calendar lists as plain weekend days)."""
    return (any(0 < (day - h).days <= 3 for h in holidays) and any(0 < (h - day).days <= 3 for h in holidays))


@dataclass
class ArrivalFit:
    """Counts per day × interval (``counts``; per type ``by_type``), marked days and weekday profiles."""

    counts: np.ndarray               # (days, intervals per day) first attempts
    by_type: dict[str, np.ndarray]   # call type → (days, intervals per day)
    dates: list[dt.date]
    marked: dict[dt.date, str]
    calendar: str
    interval_minutes: int
    kind: str = "first attempts"

    @property
    def normal(self) -> np.ndarray:
        return np.array([d not in self.marked for d in self.dates])

    @property
    def weekdays(self) -> np.ndarray:
        return np.array([d.weekday() for d in self.dates])

    def profile(self, counts: np.ndarray | None = None) -> dict[str, list[float]]:
        """Weekday name (and ``default``) → mean first attempts per interval over normal days."""
        counts = self.counts if counts is None else counts
        normal, wd = self.normal, self.weekdays
        base = normal if normal.any() else np.ones_like(normal)
        out = {"default": counts[base].mean(axis=0).tolist()}
        for i, name in enumerate(WEEKDAYS):
            sel = base & (wd == i)
            if sel.any():
                out[name] = counts[sel].mean(axis=0).tolist()
        return out

    def days_per_weekday(self) -> dict[str, int]:
        normal, wd = self.normal, self.weekdays
        return {name: int(np.sum(normal & (wd == i))) for i, name in enumerate(WEEKDAYS)}

    @property
    def shares(self) -> dict[str, float]:
        """Fraction of first attempts per call type (all days)."""
        totals = {k: float(v.sum()) for k, v in self.by_type.items()}
        s = sum(totals.values())
        return {k: (v / s if s else 1.0 / len(totals)) for k, v in totals.items()}

    @property
    def params(self) -> dict:
        return {"profile": self.profile(), "shares": self.shares}

    def to_dict(self) -> dict:
        return {
            "definition": ("first attempts (not redials or repeat calls)" if self.kind == "first attempts" else
                           self.kind) + " per interval; weekday profile = mean over normal days of that weekday",
            "interval_minutes": self.interval_minutes, "calendar": self.calendar,
            "days": [{"date": d.isoformat(), "weekday": WEEKDAYS[d.weekday()], "first_attempts": int(c.sum()),
                      "marked": self.marked.get(d)} for d, c in zip(self.dates, self.counts)],
            "normal_days_per_weekday": self.days_per_weekday(),
            "profile": self.profile(),
            "profile_by_type": {k: self.profile(v) for k, v in self.by_type.items()},
            "shares": self.shares,
        }

    def summary(self) -> str:
        marked = ", ".join(f"{d} ({why})" for d, why in sorted(self.marked.items())) or "none"
        return (f"arrivals: {int(self.counts.sum())} {self.kind} over {len(self.dates)} days; "
                f"mean {self.counts[self.normal].sum(axis=1).mean() if self.normal.any() else float('nan'):.1f}"
                f" per normal day; marked days: {marked} [{self.calendar}]")

    def plot_profile(self, ax=None):
        """Mean first attempts per interval for each observed weekday (marked days as thin grey lines)."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4))
        else:
            fig = ax.figure
        hours = np.arange(self.counts.shape[1]) * self.interval_minutes / 60.0
        for d, c in zip(self.dates, self.counts):
            if d in self.marked:
                ax.plot(hours, c, color="0.7", lw=0.8)
        for name, values in self.profile().items():
            if name != "default":
                ax.plot(hours, values, label=name[:3])
        ax.set_xlabel("hour of day")
        ax.set_ylabel(f"{self.kind} per {self.interval_minutes} min")
        ax.set_title("Arrival profile by weekday (grey: marked holidays / adjusted days)", fontsize=9)
        ax.legend(fontsize=8, ncol=4)
        return fig


def fit_arrivals(calls: pd.DataFrame, first: np.ndarray, start: pd.Timestamp, days: int, interval_minutes: int,
                 holidays: list[dt.date] | None = None) -> ArrivalFit:
    """Count first attempts (``first`` mask) per day × interval; day 0 starts at ``start`` (local midnight)."""
    n_day = 1440 // interval_minutes
    arrive = calls["arrive"].to_numpy(dtype=float)
    ok = first & np.isfinite(arrive) & (arrive >= 0) & (arrive < days * 86400.0)
    day = (arrive[ok] // 86400).astype(int)
    slot = ((arrive[ok] % 86400) // (interval_minutes * 60)).astype(int)
    flat = day * n_day + slot
    counts = np.bincount(flat, minlength=days * n_day).reshape(days, n_day).astype(float)
    types = calls["call_type"].astype(str).to_numpy()[ok]
    names = list(calls["call_type"].cat.categories) if hasattr(calls["call_type"], "cat") else sorted(set(types))
    by_type = {str(t): np.bincount(flat[types == str(t)], minlength=days * n_day).reshape(days, n_day).astype(float)
               for t in names}
    d0 = start.date()
    dates = [d0 + dt.timedelta(days=i) for i in range(days)]
    marked, source = special_days(dates, holidays)
    marked = {d: why for d, why in marked.items() if d in set(dates)}
    return ArrivalFit(counts, by_type, dates, marked, source, interval_minutes)
