"""``backtest.html`` and ``plots/backtest_<metric>.png``: simulated band against the observed line.

A time-of-day plot (each metric's mean over the observed days against the replications' band of that
mean), one plot per compared metric over the whole observed period (per interval: the replications' 2.5 %–97.5 % band,
their mean, the observed value; intervals outside the band marked), the overall comparison table with
definitions, and the table of intervals where the observed value falls outside the simulated band.
"""
from __future__ import annotations

import html
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

PLOTTED = ("service_level", "asa", "abandon_rate", "occupancy", "aht", "offered")
PERCENT = {"service_level", "abandon_rate", "occupancy", "percent_answered"}
MAX_OUTSIDE_ROWS = 200


def plot_metric(bt, metric: str):
    """Simulated 95 % band and mean vs the observed value, per interval (x: days from the start)."""
    iv = bt.intervals
    scale = 100.0 if metric in PERCENT else 1.0
    x = iv["interval"].to_numpy() * bt.scenario.horizon.interval_minutes / 1440.0
    fig, ax = plt.subplots(figsize=(11, 3.2))
    ax.fill_between(x, scale * iv[f"{metric}_band_low"], scale * iv[f"{metric}_band_high"], step="post",
                    color="tab:blue", alpha=0.25, label="simulated 2.5–97.5 %")
    ax.step(x, scale * iv[f"{metric}_sim_mean"], where="post", color="tab:blue", lw=0.8, label="simulated mean")
    ax.step(x, scale * iv[f"{metric}_observed"], where="post", color="k", lw=0.9, label="observed")
    out = iv[f"{metric}_outside"].to_numpy()
    ax.plot(x[out], scale * iv[f"{metric}_observed"].to_numpy()[out], "o", color="tab:red", ms=3,
            label="outside the band")
    ax.set_xlabel("days from the start of the observed period")
    ax.set_ylabel(metric + (" (%)" if metric in PERCENT else " (s)" if metric in ("asa", "aht") else ""))
    ax.set_title(f"Back-test: {metric} per interval", fontsize=9)
    ax.legend(fontsize=7, ncol=4, loc="upper right")
    return fig


def plot_time_of_day(bt, metrics=("service_level", "asa", "abandon_rate", "occupancy", "aht")):
    """Each metric by time of day: observed mean over the days vs the replications' band of that mean."""
    n_day = 1440 // bt.scenario.horizon.interval_minutes
    sim = bt.simulated.intervals.assign(tod=lambda f: f["interval"] % n_day)
    obs = bt.observed_intervals.assign(tod=lambda f: f["interval"] % n_day)
    fig, axes = plt.subplots(len(metrics), 1, figsize=(9, 2.2 * len(metrics)), sharex=True)
    for ax, m in zip(np.atleast_1d(axes), metrics):
        scale = 100.0 if m in PERCENT else 1.0
        per_rep = sim.groupby(["replication", "tod"])[m].mean().unstack("tod")
        hours = per_rep.columns.to_numpy() * bt.scenario.horizon.interval_minutes / 60.0
        lo, hi = (per_rep.quantile(q).to_numpy() for q in (0.025, 0.975))
        ax.fill_between(hours, scale * lo, scale * hi, step="post", color="tab:blue", alpha=0.25,
                        label="simulated 2.5–97.5 %")
        ax.step(hours, scale * per_rep.mean().to_numpy(), where="post", color="tab:blue", lw=0.8,
                label="simulated mean")
        o = obs.groupby("tod")[m].mean().reindex(per_rep.columns).to_numpy()
        ax.step(hours, scale * o, where="post", color="k", lw=1.0, label="observed")
        ax.set_ylabel(m + (" (%)" if m in PERCENT else " (s)" if m in ("asa", "aht") else ""), fontsize=8)
    axes[0].set_title("Back-test by time of day: mean over the observed days", fontsize=9)
    axes[0].legend(fontsize=7, ncol=3)
    axes[-1].set_xlabel("hour of day")
    return fig


def _fmt(metric: str, v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{100 * v:.1f} %" if metric in PERCENT else f"{v:.1f}"


from sim.figure import embed_png as _img  # noqa: E402  (one PNG-embedding helper for every HTML page)


def write_report(bt, out: Path) -> Path:
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    s = bt.summary
    rows = "".join(
        f"<tr><td>{m}</td><td>{_fmt(m, r['observed'])}</td><td>{_fmt(m, r['simulated_mean'])}</td>"
        f"<td>{_fmt(m, r['ci_low'])} – {_fmt(m, r['ci_high'])}</td><td>{_fmt(m, r['band_low'])} – "
        f"{_fmt(m, r['band_high'])}</td><td>{r['verdict']}</td></tr>" for m, r in s.iterrows())
    outside = bt.outside()
    shown = outside.head(MAX_OUTSIDE_ROWS)
    out_rows = "".join(
        f"<tr><td>{html.escape(r.interval_start)}</td><td>{r.metric}</td><td>{_fmt(r.metric, r.observed)}</td>"
        f"<td>{_fmt(r.metric, r.sim_mean)}</td><td>{_fmt(r.metric, r.band_low)} – {_fmt(r.metric, r.band_high)}"
        f"</td><td>{'' if not np.isfinite(r.offered_observed) else int(r.offered_observed)}</td></tr>"
        for r in shown.itertuples(index=False))
    opts = bt.scenario.metrics
    parts = [
        "<html><head><meta charset='utf-8'><title>Back-test</title><style>"
        "body{font-family:sans-serif;max-width:1150px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}"
        ".note{color:#a40}img{max-width:100%}</style></head><body>",
        f"<h1>Back-test of {html.escape(bt.scenario.name)}</h1>",
        f"<p>{bt.simulated.replications} replications of the observed period ({bt.scenario.horizon.days} days from "
        f"{html.escape(bt.start.isoformat())}) with the observed first attempts "
        f"({bt.info.get('first_attempts')}) and the observed staffing "
        f"({bt.info.get('shifts_from_ready_periods')} ready periods as shifts). Observed and simulated calls "
        f"are measured by the same code. Service level = answered within {opts.service_level_threshold_s:g} s / "
        f"offered{' less short abandons (<= %g s)' % opts.short_abandon_s if opts.exclude_short_abandons else ''}."
        " <em>Band</em> = 2.5 %–97.5 % of the replications (where one realisation falls if the model is "
        "right); <em>CI</em> = 95 % CI of the simulated mean.</p>",
        *[f"<p class=note>{html.escape(n)}</p>" for n in bt.notes],
        "<table><tr><th>metric</th><th>observed</th><th>simulated mean</th><th>95 % CI</th><th>band</th>"
        f"<th>verdict</th></tr>{rows}</table>",
        _img(plot_time_of_day(bt), plots / "backtest_time_of_day.png"),
        *[_img(plot_metric(bt, m), plots / f"backtest_{m}.png") for m in PLOTTED],
        f"<h2>Intervals outside the simulated band ({len(outside)})</h2>",
        (f"<p>First {MAX_OUTSIDE_ROWS} shown; all are in outside_band.csv.</p>" if len(outside) > MAX_OUTSIDE_ROWS
         else ""),
        "<table><tr><th>interval start</th><th>metric</th><th>observed</th><th>simulated mean</th><th>band</th>"
        f"<th>offered (observed)</th></tr>{out_rows}</table></body></html>",
    ]
    path = out / "backtest.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
