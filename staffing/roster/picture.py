"""The rota picture: one row per person, weekday/clock time on the x axis, shifts coloured by duty.

Breaks are grey, the hand-over light yellow before the start; lost shifts (nobody could take them) are drawn
hatched in a last row. Matplotlib without pyplot state.
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from staffing.roster.solve import Rota
from staffing.roster.staff import WEEKDAYS

DUTY_COLOURS = {"day": "#3b75af", "noon": "#e0a030", "night": "#5b3a8c"}


def rota_picture(rota: Rota, path: str | Path, *, title: str = "Rota") -> Path:
    """Write the PNG and return its path."""
    js = rota.jobs
    people = [p.name for p in rota.staff] + (["(lost)"] if rota.lost else [])
    fig = Figure(figsize=(max(10.0, 1.6 * js.n_days + 3), 1.5 + 0.38 * len(people)))
    ax = fig.add_subplot(1, 1, 1)
    h = js.handover_minutes / 60.0

    def draw(lane, job, hatch=None):
        a, length = job.start / 60.0, (job.end - job.start) / 60.0
        if h:
            ax.broken_barh([(a - h, h)], (lane - 0.35, 0.7), facecolors="#f3e29b")
        ax.broken_barh([(a, length)], (lane - 0.35, 0.7), facecolors=DUTY_COLOURS[job.duty], hatch=hatch,
                       edgecolor="k" if hatch else None)
        for b, ln in job.breaks:
            ax.broken_barh([(b / 60.0, ln / 60.0)], (lane - 0.35, 0.7), facecolors="#c8c8c8")

    for p in range(len(rota.staff)):
        for job in rota.person_jobs(p):
            draw(p, job)
    for j in rota.lost:
        draw(len(rota.staff), js.jobs[j], hatch="//")
    for d in range(js.n_days + 1):
        ax.axvline(24 * d, color="k", lw=0.6, alpha=0.5)
        for hh in (6, 12, 18):
            if d < js.n_days:
                ax.axvline(24 * d + hh, color="k", lw=0.3, alpha=0.15)
    ticks, labels = [], []
    for d in range(js.n_days):
        date = js.date(d)
        ticks += [24 * d, 24 * d + 12]
        labels += [f"{WEEKDAYS[date.weekday()].capitalize()}\n{date.strftime('%m-%d')}", "12:00"]
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_xlim(-1, 24 * js.n_days + 10)
    ax.set_yticks(range(len(people)))
    ax.set_yticklabels(people, fontsize=8)
    ax.set_ylim(len(people) - 0.5, -0.5)
    ax.set_title(title)
    ax.legend(handles=[Patch(color=c, label=f"{k} shift" if k == "day" else f"{k} duty")
                       for k, c in DUTY_COLOURS.items()]
              + [Patch(color="#c8c8c8", label="break"), Patch(color="#f3e29b", label="hand-over")],
              loc="upper right", fontsize=7, ncol=5)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
