"""The phone and the counter side by side: the trade-off a planner weighs ("answer within 3 rings" against the
walk-in visitors' wait), for the CLI run table and ``report.html``.

Both read the run's summary (``summary.json``'s ``metrics``: estimate and 95 % CI per metric, made by
``sim.confidence``) — nothing is computed here but formatting; the report's figure adds the time of day
from ``interval_summary.csv`` (phone) and ``visits.csv.gz`` (counter, pooled over replications).
"""
from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

# (channel, metric, label, kind) in the order shown
TRADEOFF = (
    ("phone", "answered_within_rings", "answered within {rings} rings", "share"),
    ("phone", "service_level", "service level ({sl:g} s)", "share"),
    ("phone", "asa", "ASA", "s"),
    ("phone", "abandon_rate", "abandonment", "share"),
    ("phone", "occupancy", "occupancy (phone + outbound)", "share"),
    ("counter", "counter.served_within_target", "served within {target:g} min", "share"),
    ("counter", "counter.wait_mean", "mean wait", "min"),
    ("counter", "counter.wait_p90", "90th-percentile wait", "min"),
    ("counter", "counter.balk_rate", "turned away (balked)", "share"),
    ("counter", "counter.left_rate", "left the queue", "share"),
    ("counter", "counter.staff_share", "staff time at the counter", "share"),
    ("counter", "counter.visits", "visitors per replication", "count"),
)


def _fmt(value, kind: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if kind == "share":
        return f"{100 * value:.1f} %"
    if kind == "min":
        return f"{value / 60:.1f} min"
    if kind == "s":
        return f"{value:.1f} s"
    return f"{value:,.0f}"


def tradeoff_rows(metrics: dict, definitions: dict) -> list[tuple[str, str, str, str]]:
    """(channel, label, estimate, 95 % CI) per row of ``TRADEOFF`` present in ``metrics`` (summary.json)."""
    fill = {"rings": definitions.get("answer_within_rings", 3),
            "sl": definitions.get("service_level_threshold_s", 20),
            "target": definitions.get("counter", {}).get("wait_target_minutes", 10)}
    rows = []
    for channel, name, label, kind in TRADEOFF:
        m = metrics.get(name)
        if m is None:
            continue
        lo, hi = m.get("ci_low"), m.get("ci_high")
        ci = f"{_fmt(lo, kind)} – {_fmt(hi, kind)}" if lo is not None and math.isfinite(lo) else "–"
        rows.append((channel, label.format(**fill), _fmt(m.get("mean"), kind), ci))
    return rows


def summary_metrics(results) -> dict:
    """``metrics`` as in summary.json from a ``Results`` (NaN kept; ``_fmt`` shows it as '–')."""
    return {name: {k: float(row[k]) for k in ("mean", "ci_low", "ci_high")} for name, row in
            results.summary.iterrows()}


def rich_table(results):
    """The concise phone-vs-counter table for ``acdsim run``."""
    from rich.table import Table

    d = results.to_dict()["definitions"]
    table = Table(title=f"phone and counter (policy {d['counter']['policy']}; 95 % CI across replications)")
    for col in ("channel", "metric", "estimate", "95 % CI"):
        table.add_column(col, justify="right" if col in ("estimate", "95 % CI") else "left")
    for row in tradeoff_rows(summary_metrics(results), d):
        table.add_row(*row)
    return table


def html_sections(run_dir: Path, summary: dict, sc) -> list[tuple[str, str, bytes | None]]:
    """(title, html, png or None) of the report's counter part; none without ``[counter]``."""
    d = summary.get("definitions", {})
    if sc.counter is None or "counter" not in d:
        return []
    rows = "".join(f"<tr><td>{html.escape(c)}</td><td>{html.escape(label)}</td><td>{est}</td><td>{ci}</td></tr>"
                   for c, label, est, ci in tradeoff_rows(summary["metrics"], d))
    defs = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>" for k, v in d["counter"].items())
    body = (f"<p>Desk staff serve the phone and the walk-in counter (policy <b>{html.escape(d['counter']['policy'])}"
            f"</b>): what one channel gets, the other waits for.</p><table><tr><th>channel</th><th>metric</th>"
            f"<th>estimate</th><th>95 % CI</th></tr>{rows}</table><ul>{defs}</ul>")
    return [("Phone and counter: the trade-off", body, _tradeoff_figure(run_dir, sc))]


def _tradeoff_figure(run_dir: Path, sc) -> bytes | None:
    """Average day: phone answered within N rings per interval, counter mean wait of the visitors arriving in
    it (served visitors of every replication pooled). None without the visit log."""
    visits_file = run_dir / "visits.csv.gz"
    iv_file = run_dir / "interval_summary.csv"
    if not visits_file.exists() or not iv_file.exists():
        return None
    from sim.figure import Figure
    from sim.report import _png

    h = sc.horizon
    per_day = h.intervals_per_day
    iv = pd.read_csv(iv_file)
    col = "answered_within_rings_mean"
    slot = (iv["interval"].to_numpy() % per_day)
    phone = pd.Series(iv[col].to_numpy(float)).groupby(slot).mean() if col in iv else None
    visits = pd.read_csv(visits_file)
    visits = visits[(visits["outcome"] == "served") & (visits["arrive"] >= h.warmup_s)]
    vslot = (visits["arrive"].to_numpy() // h.interval_s).astype(int) % per_day
    wait = pd.Series((visits["start"] - visits["arrive"]).to_numpy() / 60.0).groupby(vslot).mean()
    hours = np.arange(per_day) * h.interval_minutes / 60.0
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    if phone is not None:
        ax.plot(hours[phone.index], 100 * phone.to_numpy(), color="tab:blue",
                label=f"phone: answered within {sc.metrics.answer_within_rings} rings (%)")
    ax.set(xlabel="time of day (h)", ylabel="% answered", ylim=(0, 105), xlim=(0, 24))
    ax2 = ax.twinx()
    ax2.plot(hours[wait.index], wait.to_numpy(), color="tab:orange", marker="o", linestyle="",
             label="counter: mean wait of served visitors (min)")
    ax2.set(ylabel="counter wait (min)")
    ax2.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(lines, [ln.get_label() for ln in lines], loc="best", fontsize="small")
    ax.set_title("Average day: the phone's answer rate and the counter's wait (all days and replications)")
    fig.tight_layout()
    return _png(fig)
