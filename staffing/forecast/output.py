"""Writing a forecast: ``forecast.csv`` (an arrivals / volumes file), ``accuracy.csv`` and plots.

``forecast.csv`` covers whole days from midnight on the forecast's grid, so it can be used as it is as a
scenario's ``[arrivals] csv`` (one row per reporting interval of the horizon; set ``horizon.days`` to the
number of days and ``interval_minutes`` to the interval) and by ``acdsim staff`` (``interval_start`` is a
local wall-clock timestamp).  Columns: ``interval_start``; ``calls`` (what to plan for: the expected calls,
or the ``--quantile`` when one is asked); ``mean``, ``lo``, ``hi`` (expected calls and the prediction
interval); ``open`` (1/0); ``source`` — ``forecast``, ``closed`` (no calls expected: the centre is closed)
or ``actual`` (an intraday reforecast's intervals that already happened, with their observed calls).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from staffing.forecast.history import History


def forecast_grid(fc: pd.DataFrame, history: History | None = None, use_quantile: bool = False) -> pd.DataFrame:
    """Whole-day, constant-step table of a forecast (closed intervals 0, earlier intervals of the day actual)."""
    interval_s = int(fc.attrs["interval_s"])
    idx = fc.index.tz_localize(None) if fc.index.tz is not None else fc.index
    start = idx.min().normalize()
    end = idx.max().normalize() + pd.Timedelta(days=1)
    grid = pd.date_range(start, end, freq=f"{interval_s}s", inclusive="left")
    body = fc.set_axis(idx).reindex(grid)
    out = pd.DataFrame(index=grid)
    out["mean"] = body["calls"].fillna(0.0)
    out["lo"] = body["lo"].fillna(0.0)
    out["hi"] = body["hi"].fillna(0.0)
    out["calls"] = body["quantile"].fillna(0.0) if use_quantile else out["mean"]
    out["open"] = body["open"].fillna(False).astype(bool).astype(int)
    out["source"] = np.where(out["open"] == 1, "forecast", "closed")
    if history is not None and len(history.dates):
        day = history.dates[-1]
        if day == start:
            actual = history.counts[-1]
            seen = ~np.isnan(actual)
            pos = grid[:history.slots_per_day][seen]
            before = pos < idx.min()
            for col in ("calls", "mean", "lo", "hi"):
                out.loc[pos[before], col] = actual[seen][before]
            out.loc[pos[before], ["open", "source"]] = [1, "actual"]
    out.index.name = "interval_start"
    for col in [c for c in fc.columns if c.startswith("calls_")]:
        out[col] = body[col].fillna(0.0)
    out = out.reset_index()
    out["interval_start"] = out["interval_start"].dt.strftime("%Y-%m-%d %H:%M:%S")
    first = ["interval_start", "calls", "mean", "lo", "hi", "open", "source"]
    return out[first + [c for c in out.columns if c not in first]]


def write_forecast(fc: pd.DataFrame, out_dir: Path, history: History | None = None,
                   use_quantile: bool = False) -> Path:
    path = Path(out_dir) / "forecast.csv"
    grid = forecast_grid(fc, history, use_quantile)
    grid.to_csv(path, index=False, float_format="%.3f")
    return path


def plot_forecast(fc: pd.DataFrame, recent: pd.Series, path: Path, title: str = "") -> None:
    """Recent actuals, then the forecast's mean and prediction band (PNG)."""
    import matplotlib.pyplot as plt

    step = pd.Timedelta(seconds=int(fc.attrs["interval_s"]))
    fig, ax = plt.subplots(figsize=(13, 4.5))
    if len(recent):
        full = recent.reindex(pd.date_range(recent.index.min(), recent.index.max(), freq=step))
        ax.plot(full.index, full.to_numpy(), color="black", lw=0.9, label="actual calls")
    body = fc.reindex(pd.date_range(fc.index.min(), fc.index.max(), freq=step))
    body = body.where(body["open"].fillna(False).astype(bool))
    ax.fill_between(body.index, body["lo"].astype(float), body["hi"].astype(float), color="#9ecae1", alpha=0.7,
                    step="post", label=f"{fc.attrs['level']:.0%} prediction interval")
    ax.plot(body.index, body["calls"].astype(float), color="#08519c", lw=1.2, label="forecast (expected calls)")
    ax.set_ylabel(f"calls per {int(step.total_seconds() // 60)} min")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
    ax.legend(loc="upper center", ncol=3, framealpha=0.9)
    ax.set_title(title or "Call volume forecast")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_backtest(points: pd.DataFrame, level: float, path: Path, horizon: str = "day-ahead", days: int = 10) -> None:
    """Backtest band vs actuals over the last ``days`` scored days of one horizon (PNG)."""
    import matplotlib.pyplot as plt

    part = points[points["horizon"] == horizon]
    keep = part.index.normalize().unique()[-days:]
    part = part[part.index.normalize().isin(keep)]
    fig, ax = plt.subplots(figsize=(13, 4.5))
    x = np.arange(len(part))
    ax.fill_between(x, part["lo"], part["hi"], color="#9ecae1", alpha=0.7, step="mid",
                    label=f"{level:.0%} prediction interval ({horizon})")
    ax.plot(x, part["model"], color="#08519c", lw=1.2, label="forecast")
    ax.plot(x, part["seasonal_naive"], color="#ff7f0e", lw=0.8, ls=":", label="seasonal naive")
    ax.plot(x, part["actual"], color="black", lw=0.9, label="actual")
    starts = np.flatnonzero(np.r_[True, part.index.normalize()[1:] != part.index.normalize()[:-1]])
    ax.set_xticks(starts, [d.strftime("%a %d %b") for d in part.index[starts]], rotation=30, ha="right")
    ax.set_ylabel("calls per interval")
    ax.set_ylim(0, float(np.nanmax(part[["hi", "actual"]].to_numpy())) * 1.25)
    ax.legend(loc="upper center", ncol=4, framealpha=0.9)
    ax.set_title(f"Rolling-origin backtest: {horizon} forecast vs actual (open intervals only)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
