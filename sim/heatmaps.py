"""Weekday × time-of-day views: where in the week the centre fails, at a glance.

A week of 30-min intervals is 336 numbers; a planner wants to see "Monday 12:00–13:00 loses 60 % of its
callers" without scrolling. These functions fold the per-replication interval table onto a weekday ×
time-of-day grid (rows Mon..Sun, columns clock times) and draw it as a heat map, and fold it onto one
average day with a 95 % band.

Pooling: a cell averages the intervals of that weekday and clock time over all days and replications,
weighted by each interval's own denominator (offered calls for service level and abandonment, agents
ready for occupancy), i.e. a ratio estimate of the pooled metric rather than an average of ratios.
Net staffing is scheduled agents on the phones − the Erlang requirement (negative: under-staffed).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.clock import start_weekday
from sim.figure import Figure, with_cjk_fonts
from sim.labels import WEEKDAYS, metric_scale, translate, word

WEIGHTS = {"service_level": "offered", "abandon_rate": "offered", "asa": "answered", "occupancy": "agents_ready"}
HEATMAP_METRICS = ("service_level", "abandon_rate", "occupancy", "net_staffing")


def _grid(intervals: pd.DataFrame, sc) -> pd.DataFrame:
    t = intervals["interval_start_s"].to_numpy(float)
    day = np.floor(t / 86400.0).astype(int)
    return intervals.assign(weekday=(start_weekday(sc) + day) % 7, day=day,
                            minute=np.round((t - day * 86400.0) / 60.0).astype(int))


def net_staffing(sc, requirement=None) -> np.ndarray | None:
    """Scheduled agents on the phones − Erlang requirement, per interval of the horizon (None: no targets).
    ``requirement``: the scenario's Erlang requirement per interval when the caller has it already."""
    from sim.plots import scheduled_agents
    from sim.report import erlang_requirement_agents

    req = erlang_requirement_agents(sc) if requirement is None else requirement
    return None if req is None else scheduled_agents(sc) - np.asarray(req, float)


def _weighted(g: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``g`` with ``vw`` (value × weight) and ``w`` (the metric's weight; 0 where the value is missing)."""
    if metric not in g:
        raise ValueError(f"unknown metric {metric!r} for a heat map")
    weight = WEIGHTS.get(metric)
    w = g[weight].to_numpy(float) if weight in g else np.ones(len(g))
    v = g[metric].to_numpy(float)
    ok = np.isfinite(v) & (w > 0)
    return g.assign(vw=np.where(ok, v * w, 0.0), w=np.where(ok, w, 0.0))


def heatmap_table(intervals: pd.DataFrame, sc, metric: str, net: np.ndarray | None = None) -> pd.DataFrame:
    """Weekday (rows, 0 = Monday) × minute of day (columns) of ``metric``, pooled as the module says.

    ``intervals``: per replication and interval (``Results.intervals``). Cells with no weight are NaN.
    ``net``: :func:`net_staffing` of the scenario when the caller has it already."""
    g = _grid(intervals, sc)
    if metric == "net_staffing":
        net = net_staffing(sc) if net is None else net
        if net is None:
            raise ValueError("net staffing needs service targets in the scenario (for the Erlang requirement)")
        value = net[g["interval"].to_numpy()]
        g = g.assign(vw=value, w=1.0)
    else:
        g = _weighted(g, metric)
    agg = g.groupby(["weekday", "minute"])[["vw", "w"]].sum()
    cell = (agg["vw"] / agg["w"].where(agg["w"] > 0)).unstack("minute")
    return cell.reindex(index=range(7))


@with_cjk_fonts
def plot_heatmaps(intervals: pd.DataFrame, sc, metrics=HEATMAP_METRICS, lang: str = "en",
                  requirement=None) -> Figure:
    """One heat map per metric (weekday rows × clock-time columns); percent for rates. ``requirement``: the
    Erlang requirement per interval if already computed (else computed here, once)."""
    net = net_staffing(sc, requirement) if "net_staffing" in metrics else None
    metrics = [m for m in metrics if m != "net_staffing" or net is not None]
    fig = Figure(figsize=(12, 2.6 * len(metrics) + 0.5))
    axes = np.atleast_1d(fig.subplots(len(metrics), 1))
    for ax, metric in zip(axes, metrics):
        table = heatmap_table(intervals, sc, metric, net)
        scale = 1.0 if metric == "net_staffing" else metric_scale(metric)
        data = table.to_numpy(float) * scale
        if metric == "net_staffing":
            lim = max(1.0, float(np.nanmax(np.abs(data))) if np.isfinite(data).any() else 1.0)
            im = ax.imshow(data, aspect="auto", cmap="RdBu", vmin=-lim, vmax=lim, interpolation="nearest")
        else:
            cmap = {"abandon_rate": "RdYlGn_r", "asa": "RdYlGn_r", "occupancy": "viridis"}.get(metric, "RdYlGn")
            im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, vmax=100 if scale == 100 else None,
                           interpolation="nearest")
        ax.set_yticks(range(7), WEEKDAYS[lang])
        minutes = table.columns.to_numpy()
        step = max(1, len(minutes) // 12)
        ax.set_xticks(range(0, len(minutes), step),
                      [f"{m // 60:02d}:{m % 60:02d}" for m in minutes[::step]])
        ax.set_title(word(f"{metric}_heatmap", lang), fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, label="%" if scale == 100 else word("agents", lang)
                     if metric == "net_staffing" else "")
        for (r, c), v in np.ndenumerate(data):
            if np.isfinite(v) and len(minutes) <= 48:
                ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=5.5)
    axes[-1].set_xlabel(translate("weekday and clock time", lang))
    fig.tight_layout()
    return fig


def average_day(intervals: pd.DataFrame, sc, metric: str) -> pd.DataFrame:
    """Per clock time: pooled estimate of ``metric`` over days and replications and a 95 % band.

    The same ratio estimator and interval as a run's summary (``sim.confidence.ratio_ci``, replications as
    the units, inside the metric's domain by construction); NaN with fewer than 2 replications."""
    from sim.confidence import ratio_ci
    from sim.metric_domains import domain_of

    g = _weighted(_grid(intervals, sc), metric)
    per_rep = g.groupby(["replication", "minute"])[["vw", "w"]].sum()
    num = per_rep["vw"].unstack("minute", fill_value=0.0)
    den = per_rep["w"].unstack("minute", fill_value=0.0)
    est = ratio_ci(num.to_numpy(), den.to_numpy(), domain_of(metric))
    return pd.DataFrame({"minute": num.columns.to_numpy(), "mean": est["mean"], "ci_low": est["ci_low"],
                         "ci_high": est["ci_high"], "replications": est["n"]})


@with_cjk_fonts
def plot_average_day(intervals: pd.DataFrame, sc, metrics=("service_level", "abandon_rate", "occupancy"),
                     lang: str = "en") -> Figure:
    """The average day of each metric (percent) with its 95 % band."""
    from sim.labels import metric_name

    fig = Figure(figsize=(11, 3.8))
    ax = fig.subplots()
    for metric in metrics:
        day = average_day(intervals, sc, metric)
        x = day["minute"].to_numpy() / 60.0
        scale = metric_scale(metric)
        ax.step(x, day["mean"] * scale, where="post", label=metric_name(metric, lang))
        ax.fill_between(x, day["ci_low"] * scale, day["ci_high"] * scale, step="post", alpha=0.2)
    ax.set_xticks(range(0, 25, 2), [f"{h:02d}:00" for h in range(0, 25, 2)])
    ax.set(xlim=(0, 24), ylim=(0, 105), ylabel="%", title=word("average_day", lang))
    ax.set_xlabel(word("time", lang))
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig
