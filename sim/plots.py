"""Matplotlib figures of a run, from its per-interval summary (``Results.interval_summary``) and scenario.

Every function returns a :class:`sim.figure.Figure` (nothing is shown or saved here; it displays itself in
Jupyter). Time axes are labelled with weekday and clock time ("Mon 08:30", :mod:`sim.clock`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sim.figure import Figure, with_cjk_fonts
from sim.labels import translate

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


def _target_line(ax, sc: Scenario, metric: str, scale: float = 1.0, lang: str = "en") -> None:
    t = sc.targets.get(metric)
    if t is None:
        return
    for bound, style in ((t.min, "--"), (t.max, ":")):
        if bound is not None:
            ax.axhline(bound * scale, color="red", linestyle=style, linewidth=1, label=f"{translate('target', lang)} {bound * scale:g}")


@with_cjk_fonts
def plot_volumes(iv: pd.DataFrame, sc: Scenario | None = None, lang: str = "en") -> Figure:
    """Calls offered, answered and abandoned per interval (means across replications)."""
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    for metric in ("offered", "answered", "abandoned"):
        _band(ax, iv, metric, translate(metric, lang))
    ax.set(ylabel=translate("calls per interval", lang), title=translate("Calls per interval", lang))
    if sc is not None:
        clock_axis(ax, sc, lang=lang)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


@with_cjk_fonts
def plot_service(iv: pd.DataFrame, sc: Scenario, lang: str = "en") -> Figure:
    """Service level (%) and ASA (s) per interval with 95 % CI bands and the scenario's targets."""
    fig = Figure(figsize=(11, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    _band(ax1, iv, "service_level", f"{translate('answered within', lang)} {sc.metrics.service_level_threshold_s:g} s", 100.0)
    _target_line(ax1, sc, "service_level", 100.0, lang)
    ax1.set(ylabel=translate("service level (%)", lang), ylim=(0, 105), title=translate("Service level and ASA per interval", lang))
    ax1.legend(loc="lower right")
    _band(ax2, iv, "asa", translate("ASA", lang))
    _target_line(ax2, sc, "asa", lang=lang)
    ax2.set(ylabel=translate("ASA (s)", lang))
    clock_axis(ax2, sc, lang=lang)
    ax2.legend(loc="upper right")
    fig.tight_layout()
    return fig


def scheduled_agents(sc: Scenario) -> np.ndarray:
    """Mean agents scheduled on the phones per interval (shifts minus breaks; before absence/adherence)."""
    h = sc.horizon
    return scheduled_on_phones(planned_schedule(sc), h.interval_s, h.n_intervals) / h.interval_s


@with_cjk_fonts
def plot_agents_and_queue(iv: pd.DataFrame, sc: Scenario, lang: str = "en") -> Figure:
    """Agents scheduled vs ready on the phones, and the mean queue length, per interval."""
    fig = Figure(figsize=(11, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    x = _hours(iv)
    sched = scheduled_agents(sc)[iv["interval"].to_numpy()]
    ax1.step(x, sched, where="post", label=translate("scheduled", lang), color="grey")
    _band(ax1, iv, "agents_ready", translate("ready on the phones", lang))
    ax1.set(ylabel=translate("agents", lang), title=translate("Agents and queue", lang))
    ax1.legend(loc="upper right")
    _band(ax2, iv, "avg_queue_length", translate("callers waiting (time average)", lang), colour="tab:red")
    ax2.set(ylabel=translate("queue length", lang))
    clock_axis(ax2, sc, lang=lang)
    ax2.legend(loc="upper right")
    fig.tight_layout()
    return fig


@with_cjk_fonts
def plot_occupancy(iv: pd.DataFrame, sc: Scenario, lang: str = "en") -> Figure:
    """Occupancy (%) per interval."""
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    _band(ax, iv, "occupancy", translate("occupancy", lang), 100.0)
    _target_line(ax, sc, "occupancy", 100.0, lang)
    ax.set(ylabel=translate("occupancy (%)", lang), ylim=(0, 105), title=translate("Occupancy per interval", lang))
    clock_axis(ax, sc, lang=lang)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


@with_cjk_fonts
def plot_staffing(iv: pd.DataFrame, sc: Scenario, requirement: np.ndarray | None, lang: str = "en") -> Figure:
    """Erlang requirement (agents on the phones) vs scheduled vs ready agents per interval."""
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    x = _hours(iv)
    idx = iv["interval"].to_numpy()
    if requirement is not None:
        ax.step(x, np.asarray(requirement)[idx], where="post", label=translate("required (Erlang)", lang), color="tab:red")
    ax.step(x, scheduled_agents(sc)[idx], where="post", label=translate("scheduled", lang), color="grey")
    _band(ax, iv, "agents_ready", translate("ready (simulated)", lang))
    ax.set(ylabel=translate("agents", lang), title=translate("Staffing requirement vs scheduled", lang))
    clock_axis(ax, sc, lang=lang)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


@with_cjk_fonts
def plot_shift_gantt(sc: Scenario, max_rows: int = 60, lang: str = "en") -> Figure:
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
    ax.set(ylabel=translate("agent-shift", lang), title=translate("Shifts (grey: breaks; purple: night duty)", lang))
    clock_axis(ax, sc, lang=lang)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
