"""Interval call history: the counts a forecast learns from, laid out as a day × time-of-day grid.

A history is a pandas Series of call counts indexed by interval start (time-zone aware or naive), or a
DataFrame with a ``calls`` column and a call-type column (one row per interval and type).  Everything here
works on local wall-clock time: a tz-aware index is converted to its own zone and the zone is remembered so
forecasts come back in it.

Rows that are absent mean *no observation*: a day with no rows is a closed day, a time of day that never has
rows on a kind of day is closed on that kind of day, and a missing row inside open hours is a gap (unknown),
never a zero.  The interval length is the smallest step between consecutive starts; it must divide a day.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DAY_S = 86400


@dataclass
class History:
    """Call counts on a grid: ``counts[day, slot]`` (NaN = no row), the dates, the interval length (s)."""

    counts: np.ndarray
    dates: pd.DatetimeIndex
    interval_s: int
    tz: object = None
    types: pd.DataFrame | None = None  # per call type: columns = type names, index = wall-clock starts

    @property
    def slots_per_day(self) -> int:
        return DAY_S // self.interval_s

    @property
    def open_days(self) -> np.ndarray:
        """True where the day has at least one row."""
        return ~np.all(np.isnan(self.counts), axis=1)

    def truncated(self, before: pd.Timestamp) -> "History":
        """The history strictly before the wall-clock time ``before`` (later cells become NaN / dropped days)."""
        before = pd.Timestamp(before)
        day0 = before.normalize()
        keep_days = int(np.searchsorted(self.dates.values, day0.to_datetime64(), side="right"))
        if keep_days and self.dates[keep_days - 1] == day0 and before == day0:
            keep_days -= 1
        counts = self.counts[:keep_days].copy()
        if keep_days and self.dates[keep_days - 1] == day0:
            first_cut = int(np.ceil((before - day0).total_seconds() / self.interval_s))
            counts[keep_days - 1, first_cut:] = np.nan
        return History(counts, self.dates[:keep_days], self.interval_s, self.tz, self.types)


def _wall_clock(index: pd.Index, what: str) -> tuple[pd.DatetimeIndex, object]:
    try:
        idx = pd.DatetimeIndex(index)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be indexed by interval start timestamps") from None
    if idx.hasnans:
        raise ValueError(f"{what} has missing (NaT) interval starts")
    idx = idx.as_unit("ns")
    tz = idx.tz
    if tz is not None:
        idx = idx.tz_convert(tz).tz_localize(None)
    return idx, tz


def infer_interval_s(index: pd.DatetimeIndex) -> int:
    """Smallest positive step between consecutive (sorted, unique) starts, in seconds; must divide a day."""
    uniq = np.unique(index.as_unit("ns").asi8)
    if uniq.size < 2:
        raise ValueError("history needs at least two interval starts to infer the interval length")
    step = int(np.diff(uniq).min() // 10**9)
    if step <= 0 or DAY_S % step:
        raise ValueError(f"interval length must divide a day (86400 s); the history's smallest step is {step} s")
    return step


def to_history(history, *, type_col: str | None = None, calls_col: str = "calls",
               interval_s: int | None = None) -> History:
    """Normalise a Series (or long DataFrame with a call-type column) of counts into a :class:`History`."""
    types = None
    if isinstance(history, History):
        return history
    if isinstance(history, pd.DataFrame):
        if calls_col not in history.columns:
            raise ValueError(f"history DataFrame needs a {calls_col!r} column (has {list(history.columns)})")
        if type_col is None:
            type_col = next((c for c in ("call_type", "type") if c in history.columns), None)
        idx, tz = _wall_clock(history.index, "history")
        frame = pd.DataFrame({"calls": pd.to_numeric(history[calls_col], errors="coerce").to_numpy()}, index=idx)
        if type_col is not None:
            frame["type"] = history[type_col].astype(str).to_numpy()
            _check_counts(frame["calls"])
            types = frame.pivot_table(index=frame.index, columns="type", values="calls", aggfunc="sum")
            series = types.sum(axis=1, min_count=1)
        else:
            series = frame["calls"]
    elif isinstance(history, pd.Series):
        idx, tz = _wall_clock(history.index, "history")
        series = pd.Series(pd.to_numeric(history, errors="coerce").to_numpy(), index=idx)
    else:
        raise ValueError("history must be a pandas Series of call counts indexed by interval start "
                         f"(or a DataFrame with a call-type column), got {type(history).__name__}")
    _check_counts(series)
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        raise ValueError(f"history has more than one row for interval {dup} (give a call-type column "
                         "or aggregate first)")
    series = series.sort_index()
    step = interval_s or infer_interval_s(series.index)
    if DAY_S % step:
        raise ValueError(f"interval length must divide a day (86400 s), got {step} s")
    offsets = (series.index - series.index.normalize()).total_seconds().to_numpy()
    if np.any(offsets % step):
        bad = series.index[np.flatnonzero(offsets % step)[0]]
        raise ValueError(f"interval start {bad} is not on the {step // 60}-minute grid of the history")
    dates = pd.date_range(series.index[0].normalize(), series.index[-1].normalize(), freq="D")
    counts = np.full((len(dates), DAY_S // step), np.nan)
    day = ((series.index.normalize() - dates[0]).days).to_numpy()
    counts[day, (offsets // step).astype(int)] = series.to_numpy(dtype=float)
    return History(counts, dates, int(step), tz, types)


def _check_counts(values: pd.Series) -> None:
    v = values.to_numpy(dtype=float)
    if np.isnan(v).any():
        raise ValueError("calls must be numbers >= 0 (a row has an empty or non-numeric calls value; "
                         "leave the row out for a gap)")
    if (v < 0).any():
        raise ValueError(f"calls must be >= 0, got {v.min()!r}")


def aggregate(history: pd.Series, minutes: int) -> pd.Series:
    """Sum counts into ``minutes``-long intervals (which must divide a day); empty intervals get no row."""
    if minutes <= 0 or 1440 % minutes:
        raise ValueError(f"aggregation interval must divide a day (1440 min), got {minutes}")
    grouped = history.groupby(history.index.floor(f"{minutes}min"))
    return grouped.sum(min_count=1).dropna()


def read_history_csv(path: str | Path, *, time_col: str = "interval_start", calls_col: str = "calls",
                     type_col: str | None = None):
    """Read a history CSV -> Series (or DataFrame with ``type_col``) indexed by interval start."""
    p = Path(path)
    try:
        raw = pd.read_csv(p)
    except FileNotFoundError:
        raise ValueError(f"history file {str(p)!r} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read history CSV {str(p)!r}: {exc}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for col, opt in ((time_col, "--time-col"), (calls_col, "--calls-col")) + (
            ((type_col, "--type-col"),) if type_col else ()):
        if col not in raw.columns:
            raise ValueError(f"history CSV {p.name} has no column {col!r} ({opt}); it has {list(raw.columns)}")
    if raw.empty:
        raise ValueError(f"history CSV {p.name} has no rows")
    try:
        when = pd.to_datetime(raw[time_col], errors="raise")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {time_col!r} must hold timestamps such as 2026-01-05 08:30 ({exc})") from None
    calls = pd.to_numeric(raw[calls_col], errors="coerce")
    if calls.isna().any():
        row = int(np.flatnonzero(calls.isna().to_numpy())[0])
        raise ValueError(f"column {calls_col!r} must hold numbers >= 0 (row {row + 2}: "
                         f"{raw[calls_col].iloc[row]!r}); leave a row out for a gap")
    if type_col:
        return pd.DataFrame({"calls": calls.to_numpy(), "call_type": raw[type_col].astype(str).to_numpy()},
                            index=pd.DatetimeIndex(when, name="interval_start"))
    return pd.Series(calls.to_numpy(), index=pd.DatetimeIndex(when, name="interval_start"), name="calls")
