"""Clock time of the model's seconds: what a planner reads instead of "hours from the start".

Inside the model every time is seconds from the start of the horizon (day 0, 00:00). A planner thinks in
weekday and clock time ("Mon 08:30") and, when the scenario gives ``horizon.start_date``, in calendar
dates. This module turns model seconds into those labels, adds ``date`` / ``weekday`` / ``time`` columns
to interval tables, and puts weekday + clock ticks on a matplotlib time axis.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _start_date(sc) -> dt.date | None:
    value = getattr(sc.horizon, "start_date", None)
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def start_weekday(sc) -> int:
    """Weekday (0 = Monday) of day 0 of the horizon."""
    first = _start_date(sc)
    return first.weekday() if first is not None else int(sc.horizon.start_weekday)


def clock_label(seconds: float, weekday0: int, with_weekday: bool = True, lang: str = "en") -> str:
    """'Mon 08:30' ('周一 08:30' with ``lang='zh'``) for ``seconds`` from the horizon start (day 0 has
    weekday ``weekday0``)."""
    from sim.labels import WEEKDAYS

    day, rem = divmod(int(round(float(seconds))), 86400)
    hhmm = f"{rem // 3600:02d}:{rem % 3600 // 60:02d}"
    return f"{WEEKDAYS[lang][(weekday0 + day) % 7]} {hhmm}" if with_weekday else hhmm


def clock_columns(sc, seconds) -> pd.DataFrame:
    """``date`` (ISO date, or 'day N' without ``horizon.start_date``), ``weekday`` (Mon..Sun) and ``time``
    (HH:MM) for model times in seconds."""
    s = np.asarray(seconds, dtype=float)
    day = np.floor(s / 86400.0).astype(int)
    rem = np.round(s - day * 86400.0).astype(int)
    w0 = start_weekday(sc)
    first = _start_date(sc)
    dates = ([(first + dt.timedelta(days=int(d))).isoformat() for d in day] if first is not None
             else [f"day {int(d)}" for d in day])
    return pd.DataFrame({"date": dates,
                         "weekday": [WEEKDAY_ABBR[(w0 + int(d)) % 7] for d in day],
                         "time": [f"{r // 3600:02d}:{r % 3600 // 60:02d}" for r in rem]})


def with_clock_columns(table: pd.DataFrame, sc, seconds_column: str = "interval_start_s") -> pd.DataFrame:
    """A copy of ``table`` with ``date``, ``weekday``, ``time`` inserted after ``seconds_column``."""
    if seconds_column not in table.columns or table.empty:
        return table
    out = table.drop(columns=[c for c in ("date", "weekday", "time") if c in table.columns])
    at = out.columns.get_loc(seconds_column) + 1
    cols = clock_columns(sc, out[seconds_column].to_numpy()).set_axis(out.index)
    return pd.concat([out.iloc[:, :at], cols, out.iloc[:, at:]], axis=1)


def clock_axis(ax, sc, span_hours: float | None = None, lang: str = "en") -> None:
    """Label an x axis measured in hours from the start with weekday + clock time.

    ``sc`` is a scenario, or the weekday (0 = Monday) of day 0.
    Ticks fall on whole hours: every 3 h for a day or less, every 12 h up to four days, else at midnight;
    ticks at midnight (and the first tick) carry the weekday ("Tue 00:00"), the others the clock ("15:00").
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter

    lo, hi = ax.get_xlim()
    span = span_hours if span_hours is not None else hi - lo
    step = 3 if span <= 30 else (12 if span <= 100 else 24)
    first = np.ceil(lo / step) * step
    ticks = np.arange(first, hi + 1e-9, step)
    w0 = int(sc) if isinstance(sc, (int, np.integer)) else start_weekday(sc)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    def label(x, _pos):  # the weekday at midnight (and on the first tick), the clock time in between
        with_day = abs(x / 24.0 - round(x / 24.0)) < 1e-9 or (len(ticks) and abs(x - ticks[0]) < 1e-9)
        return clock_label(x * 3600.0, w0, with_weekday=bool(with_day), lang=lang)

    ax.xaxis.set_major_formatter(FuncFormatter(label))
    from sim.labels import translate

    ax.set_xlabel(translate("weekday and clock time", lang))
    for label in ax.get_xticklabels():
        label.set_rotation(0)
