"""Matplotlib figures of a run, from its per-interval summary (``Results.interval_summary``) and scenario.

Every function returns a :class:`sim.figure.Figure` (nothing is shown or saved here; it displays itself in
Jupyter). Time axes are labelled with weekday and clock time ("Mon 08:30", :mod:`sim.clock`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sim.figure import Figure

from sim.clock import clock_axis
from sim.scenario import Scenario
from sim.schedule import planned_schedule, scheduled_on_phones


def _hours(iv: pd.DataFrame) -> np.ndarray:
    return iv["interval_start_s"].to_numpy() / 3600.0


def _band(ax, iv: pd.DataFrame, metric: str, label: str, scale: float = 1.0, colour=None) -> None:
    x = _hours(iv)
    ax.step(x, iv[f"{metric}_mean"] * scale, where="post", label=label, color=colour)
    low, high = f"{metric}_ci_low", f"{metric}_ci_high"
    if low in iv and iv[low].notna().any():
        # Display only: the t-interval of a non-negative metric is cut at zero.
        ax.fill_between(x, np.maximum(iv[low], 0) * scale, iv[high] * scale, step="post", alpha=0.2, color=colour)


def _target_line(ax, sc: Scenario, metric: str, scale: float = 1.0) -> None:
    t = sc.targets.get(metric)
    if t is None:
        return
    for bound, style in ((t.min, "--"), (t.max, ":")):
        if bound is not None:
            ax.axhline(bound * scale, color="red", linestyle=style, linewidth=1, label=f"target {bound * scale:g}")


def plot_volumes(iv: pd.DataFrame, sc: Scenario | None = None) -> Figure:
    """Calls offered, answered and abandoned per interval (means across replications)."""
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    for metric, label in (("offered", "offered"), ("answered", "answered"), ("abandoned", "abandoned")):
        _band(ax, iv, metric, label)
    ax.set(ylabel="calls per interval", title="Calls per interval")
    if sc is not None:
        clock_axis(ax, sc)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_service(iv: pd.DataFrame, sc: Scenario) -> Figure:
    """Service level (%) and ASA (s) per interval with 95 % CI bands and the scenario's targets."""
    fig = Figure(figsize=(11, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    _band(ax1, iv, "service_level", f"answered within {sc.metrics.service_level_threshold_s:g} s", 100.0)
    _target_line(ax1, sc, "service_level", 100.0)
    ax1.set(ylabel="service level (%)", ylim=(0, 105), title="Service level and ASA per interval")
    ax1.legend(loc="lower right")
    _band(ax2, iv, "asa", "ASA")
    _target_line(ax2, sc, "asa")
    ax2.set(ylabel="ASA (s)")
    clock_axis(ax2, sc)
    ax2.legend(loc="upper right")
    fig.tight_layout()
    return fig


def scheduled_agents(sc: Scenario) -> np.ndarray:
    """Mean agents scheduled on the phones per interval (shifts minus breaks; before absence/adherence)."""
    h = sc.horizon
    return scheduled_on_phones(planned_schedule(sc), h.interval_s, h.n_intervals) / h.interval_s


def plot_agents_and_queue(iv: pd.DataFrame, sc: Scenario) -> Figure:
    """Agents scheduled vs ready on the phones, and the mean queue length, per interval."""
    fig = Figure(figsize=(11, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    x = _hours(iv)
    sched = scheduled_agents(sc)[iv["interval"].to_numpy()]
    ax1.step(x, sched, where="post", label="scheduled", color="grey")
    _band(ax1, iv, "agents_ready", "ready on the phones")
    ax1.set(ylabel="agents", title="Agents and queue")
    ax1.legend(loc="upper right")
    _band(ax2, iv, "avg_queue_length", "callers waiting (time average)", colour="tab:red")
    ax2.set(ylabel="queue length")
    clock_axis(ax2, sc)
    ax2.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_occupancy(iv: pd.DataFrame, sc: Scenario) -> Figure:
    """Occupancy (%) per interval."""
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    _band(ax, iv, "occupancy", "occupancy", 100.0)
    _target_line(ax, sc, "occupancy", 100.0)
    ax.set(ylabel="occupancy (%)", ylim=(0, 105), title="Occupancy per interval")
    clock_axis(ax, sc)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_staffing(iv: pd.DataFrame, sc: Scenario, requirement: np.ndarray | None) -> Figure:
    """Erlang requirement (agents on the phones) vs scheduled vs ready agents per interval."""
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    x = _hours(iv)
    idx = iv["interval"].to_numpy()
    if requirement is not None:
        ax.step(x, np.asarray(requirement)[idx], where="post", label="required (Erlang)", color="tab:red")
    ax.step(x, scheduled_agents(sc)[idx], where="post", label="scheduled", color="grey")
    _band(ax, iv, "agents_ready", "ready (simulated)")
    ax.set(ylabel="agents", title="Staffing requirement vs scheduled")
    clock_axis(ax, sc)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_shift_gantt(sc: Scenario, max_rows: int = 60) -> Figure:
    """One bar per agent-shift (first ``max_rows``), breaks in a lighter colour."""
    inst = sorted(planned_schedule(sc), key=lambda i: (i.start, i.role))[:max_rows]
    fig = Figure(figsize=(11, max(2.5, 0.22 * len(inst) + 1)))
    ax = fig.subplots()
    colours = {"agent": "tab:blue", "night_duty": "tab:purple"}
    for row, i in enumerate(inst):
        end = min(i.end, sc.horizon.length_s)
        ax.barh(row, (end - i.start) / 3600, left=i.start / 3600, color=colours.get(i.role, "tab:green"))
        for b_start, b_len, _ in i.breaks:
            ax.barh(row, b_len / 3600, left=b_start / 3600, color="lightgrey")
    ax.set(ylabel="agent-shift", title="Shifts (grey: breaks; purple: night duty)")
    clock_axis(ax, sc)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
