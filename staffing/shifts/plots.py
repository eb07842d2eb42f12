"""Roster plots (matplotlib, no pyplot state): Gantt chart with breaks/hand-over, and coverage per interval.

Time axes show weekday and clock time (day 0 has weekday ``start_weekday``, 0 = Monday).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sim.clock import clock_axis
from sim.figure import Figure, with_cjk_fonts
from matplotlib.patches import Patch

from staffing.shifts.roster import parse_breaks
from staffing.shifts.rules import clock_minutes

ROLE_COLOURS = {"agent": "#3b75af", "night_duty": "#5b3a8c"}


@with_cjk_fonts
def gantt(roster: pd.DataFrame, path: str | Path, *, n_days: int, handover_minutes: float = 0,
          title: str = "Roster", start_weekday: int = 0) -> Path:
    """One lane per roster row (identical shifts grouped, ``xN`` label): shift bar, breaks in grey, hand-over
    in light yellow before the start. Returns the PNG path."""
    rows = roster.sort_values(["day", "start", "template"], kind="stable").reset_index(drop=True)
    n = max(len(rows), 1)
    fig = Figure(figsize=(max(8.0, 3.0 * n_days + 4), min(2.0 + 0.22 * n, 60.0)))
    ax = fig.add_subplot(1, 1, 1)
    for lane, r in enumerate(rows.itertuples(index=False)):
        s = clock_minutes(r.start)
        length = (clock_minutes(r.end) - s) % 1440 or 1440
        a = (int(r.day) * 1440 + s) / 60.0
        if handover_minutes:
            ax.broken_barh([(a - handover_minutes / 60.0, handover_minutes / 60.0)], (lane - 0.4, 0.8),
                           facecolors="#f3e29b")
        ax.broken_barh([(a, length / 60.0)], (lane - 0.4, 0.8), facecolors=ROLE_COLOURS.get(r.role, "#777777"))
        for clock, minutes in parse_breaks(r.breaks):
            off = (clock - s) % 1440
            ax.broken_barh([(a + off / 60.0, minutes / 60.0)], (lane - 0.4, 0.8), facecolors="#c8c8c8")
        ax.text(a + length / 60.0 + 0.1, lane, f"{r.template} x{int(r.count)}", va="center", fontsize=6)
    for d in range(n_days + 1):
        ax.axvline(24 * d, color="k", lw=0.5, alpha=0.4)
    ax.set_xlim(-1, 24 * n_days + 10)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks([])
    clock_axis(ax, start_weekday, span_hours=24 * n_days)
    ax.set_title(title)
    ax.legend(handles=[Patch(color=ROLE_COLOURS["agent"], label="agent on shift"),
                       Patch(color=ROLE_COLOURS["night_duty"], label="night duty"),
                       Patch(color="#c8c8c8", label="break"), Patch(color="#f3e29b", label="hand-over")],
              loc="upper right", fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


@with_cjk_fonts
def coverage_plot(coverage: pd.DataFrame, path: str | Path, *, interval_s: int,
                  title: str = "Coverage per interval", start_weekday: int = 0) -> Path:
    """Requirement vs scheduled (on site) vs on the phones per interval, as step lines. ``coverage`` is
    ``ScheduleResult.coverage``. Returns the PNG path."""
    x = coverage["interval"].to_numpy() * interval_s / 3600.0
    step = interval_s / 3600.0
    fig = Figure(figsize=(max(8.0, 0.06 * len(x) + 4), 4.0))
    ax = fig.add_subplot(1, 1, 1)
    xs = np.r_[x, x[-1] + step] if len(x) else x

    def line(values, **kw):
        v = np.asarray(values, float)
        ax.step(xs, np.r_[v, v[-1]] if len(v) else v, where="post", **kw)

    line(coverage["required"], color="#d62728", lw=1.6, label="required on the phones")
    line(coverage["on_site_mean"], color="#7f7f7f", lw=1.0, label="scheduled (on site)")
    line(coverage["on_phone_min"], color="#1f77b4", lw=1.4, label="on the phones (min in interval)")
    under = coverage["under"].to_numpy() > 0
    if under.any():
        ax.scatter(x[under] + step / 2, coverage["on_phone_min"].to_numpy()[under], color="#d62728", s=12,
                   zorder=3, label="under-covered")
    for d in range(int(np.ceil(xs[-1] / 24)) + 1 if len(xs) else 0):
        ax.axvline(24 * d, color="k", lw=0.5, alpha=0.3)
    clock_axis(ax, start_weekday)
    ax.set_ylabel("people")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


@with_cjk_fonts
def history_plot(history: pd.DataFrame, path: str | Path, *, target: float | None = None) -> Path:
    """Simulation-verified loop: cost and worst-interval service level per iteration."""
    fig = Figure(figsize=(6.5, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    it = history["iteration"].to_numpy()
    ax.plot(it, history["cost"], "o-", color="#1f77b4", label="cost")
    ax.set_xlabel("iteration")
    ax.set_ylabel("paid cost")
    ax2 = ax.twinx()
    ax2.plot(it, history["worst_service_level"], "s--", color="#d62728", label="worst-interval SL")
    if target is not None:
        ax2.axhline(target, color="#d62728", lw=0.6, alpha=0.5)
    ax2.set_ylabel("worst-interval service level")
    ax.set_title("Simulation-verified staffing")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path
