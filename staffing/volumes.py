"""Reading interval call volumes from a CSV file for the staffing requirements.

Columns: ``interval_start`` (seconds from the start, e.g. ``0, 900, ...``; or a clock time ``HH:MM`` /
``HH:MM:SS``; or a timestamp such as ``2026-01-05 08:30``), ``calls`` (offered calls in the interval, >= 0)
and optionally ``aht_s`` (mean handle time of the interval, seconds; empty cells use the default AHT).

Clock times are seconds since midnight; when they go backwards a new day starts (+86 400 s).
Timestamps are seconds since midnight of the first row's date.  The interval length is the common
difference of consecutive starts unless given explicitly; missing intervals (a centre closed at night)
are allowed when every gap is a whole number of intervals.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def _clock_seconds(values: list[str]) -> np.ndarray | None:
    secs = []
    for v in values:
        m = _CLOCK.match(v)
        if not m:
            return None
        h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if h > 24 or mi > 59 or s > 59:
            raise ValueError(f"interval_start {v!r} is not a valid clock time HH:MM")
        secs.append(h * 3600 + mi * 60 + s)
    out = np.array(secs, dtype=float)
    day = np.concatenate([[0.0], np.cumsum(np.diff(out) < 0)])
    return out + 86400.0 * day


def parse_interval_starts(column: pd.Series) -> np.ndarray:
    """Seconds from the start for an ``interval_start`` column (seconds, HH:MM, or timestamps)."""
    num = pd.to_numeric(column, errors="coerce")
    if not num.isna().any():
        return num.to_numpy(dtype=float)
    text = column.astype(str).tolist()
    clock = _clock_seconds(text)
    if clock is not None:
        return clock
    try:
        ts = pd.to_datetime(column, errors="raise")
    except (ValueError, TypeError) as exc:
        bad = [v for v in text if not _CLOCK.match(v)][:1]
        raise ValueError(f"interval_start must be seconds, HH:MM or a timestamp; cannot read {bad[0]!r}") from exc
    origin = ts.iloc[0].normalize()
    return ((ts - origin).dt.total_seconds()).to_numpy(dtype=float)


def read_volumes_csv(path: str | Path, *, interval_s: float | None = None) -> tuple[pd.DataFrame, float]:
    """Read a volumes CSV -> (DataFrame with interval, interval_start_s, calls[, aht_s], interval_s)."""
    from sim.inputs import read_csv  # one reader for every input file: missing, folder, not UTF-8, not CSV

    p = Path(path)
    raw = read_csv(p, "volumes file")
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = {"interval_start", "calls"} - set(raw.columns)
    if missing:
        raise ValueError(f"volumes CSV {p.name} lacks column(s) {sorted(missing)}; "
                         "needed: interval_start, calls[, aht_s]")
    if raw.empty:
        raise ValueError(f"volumes CSV {p.name} has no rows")
    starts = parse_interval_starts(raw["interval_start"])
    calls = pd.to_numeric(raw["calls"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(calls).any():
        row = int(np.flatnonzero(np.isnan(calls))[0])
        raise ValueError(f"calls must be a number >= 0 (row {row + 1}: {raw['calls'].iloc[row]!r})")
    if (calls < 0).any():
        raise ValueError(f"calls must be >= 0, got {calls.min()!r}")
    if interval_s is None:
        if len(starts) < 2:
            raise ValueError("cannot infer the interval length from one row; give --interval SECONDS")
        diffs = np.diff(starts)
        step = float(diffs.min())
        ratio = diffs / step if step > 0 else diffs
        if step <= 0 or not np.allclose(ratio, np.round(ratio)):
            raise ValueError("interval_start values must be increasing by a constant step, with closed "
                             f"hours as whole missing intervals (found steps {sorted(set(np.round(diffs, 3)))[:5]}); "
                             "or give --interval")
        interval_s = step
    elif not interval_s > 0:
        raise ValueError(f"interval_s must be > 0 seconds, got {interval_s!r}")
    df = pd.DataFrame({"interval": np.arange(len(calls)), "interval_start_s": starts, "calls": calls})
    if "aht_s" in raw.columns:
        aht = pd.to_numeric(raw["aht_s"], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isnan(aht) & ~(aht > 0)
        if bad.any():
            raise ValueError(f"aht_s must be > 0 seconds, got {aht[bad][0]!r}")
        df["aht_s"] = aht
    df["label"] = raw["interval_start"].astype(str).to_numpy()
    return df, float(interval_s)
