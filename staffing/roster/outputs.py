"""Rota outputs: ``rota.csv``, the per-agent weekly sheet (CSV + HTML), coverage after assignment.

``rota.csv`` columns: agent, date (ISO), weekday, start, end ("HH:MM"; end <= start: next day), breaks
(";"-joined "HH:MM+MINUTES"), duty ("day" | "noon" | "night"), template, role, paid_hours (incl. hand-over).

Coverage after assignment compares, per requirement interval, the requirement, the plan (every shift
assigned) and the rota (only assigned shifts): ``lost`` = planned minus rota on the phones (minimum over the
interval's minutes); a non-zero ``lost`` is coverage the assignment could not keep, reported by
:func:`lost_intervals`.
"""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from staffing.roster.solve import Rota
from staffing.roster.staff import WEEKDAYS
from staffing.shifts.roster import roster_minutes
from staffing.shifts.rules import hhmm

ROTA_COLUMNS = ["agent", "date", "weekday", "start", "end", "breaks", "duty", "template", "role", "paid_hours"]
DUTY_COLOURS = {"day": "#dbe8f6", "noon": "#ffe3a8", "night": "#d9cdee", "off": "#ffffff"}


def rota_frame(rota: Rota) -> pd.DataFrame:
    """One row per assigned shift (ROTA_COLUMNS), by date, start, agent."""
    rows = []
    for j, p in rota.assignment.items():
        job = rota.jobs.jobs[j]
        start, end, brk = job.clock()
        rows.append({"agent": rota.staff[p].name, "date": job.date.isoformat(),
                     "weekday": WEEKDAYS[job.date.weekday()].capitalize(), "start": start, "end": end,
                     "breaks": brk, "duty": job.duty, "template": job.template, "role": job.role,
                     "paid_hours": round(job.paid_hours, 2), "_t": job.start})
    out = pd.DataFrame(rows, columns=ROTA_COLUMNS + ["_t"]).sort_values(["_t", "agent"], kind="stable")
    return out.drop(columns="_t").reset_index(drop=True)


def lost_frame(rota: Rota) -> pd.DataFrame:
    """Shifts of the plan that nobody could take, with the reason per eligible person."""
    rows = []
    reasons = [n[len("lost "):] for n in rota.notes if n.startswith("lost ")]
    for j, why in zip(rota.lost, reasons + [""] * len(rota.lost)):
        job = rota.jobs.jobs[j]
        start, end, brk = job.clock()
        rows.append({"date": job.date.isoformat(), "weekday": WEEKDAYS[job.date.weekday()].capitalize(),
                     "start": start, "end": end, "breaks": brk, "duty": job.duty, "template": job.template,
                     "role": job.role, "why": why.split(": ", 1)[-1]})
    return pd.DataFrame(rows, columns=["date", "weekday", "start", "end", "breaks", "duty", "template", "role",
                                       "why"])


def weekly_sheet(rota: Rota) -> pd.DataFrame:
    """Agents x days grid, one row per agent and week: 'HH:MM-HH:MM' (+ ' noon'/' night'), 'off' otherwise;
    plus paid hours and days of that week."""
    js = rota.jobs
    rows = []
    for p, person in enumerate(rota.staff):
        mine = {j.day: j for j in rota.person_jobs(p)}
        for w in range(js.n_days // 7):
            row = {"agent": person.name, "week": w + 1, "from": js.date(7 * w).isoformat()}
            hours = 0.0
            for d in range(7 * w, 7 * w + 7):
                date = js.date(d)
                col = WEEKDAYS[date.weekday()].capitalize()
                job = mine.get(d)
                if job is None:
                    row[col] = "off"
                    continue
                start, end, _ = job.clock()
                row[col] = f"{start}-{end}" + ("" if job.duty == "day" else f" {job.duty}")
                hours += job.paid_hours
            row["hours"] = round(hours, 2)
            row["days"] = sum(1 for d in range(7 * w, 7 * w + 7) if d in mine)
            rows.append(row)
    return pd.DataFrame(rows)


def sheet_html(sheet: pd.DataFrame, title: str = "Rota") -> str:
    """The weekly sheet as a standalone HTML page (cells coloured by duty)."""
    def colour(cell: str) -> str:
        kind = "off" if cell == "off" else cell.split()[-1] if " " in cell else "day"
        return DUTY_COLOURS.get(kind, "#ffffff")

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in sheet.columns)
    body = []
    for _, r in sheet.iterrows():
        cells = []
        for c, v in r.items():
            style = f' style="background:{colour(v)}"' if isinstance(v, str) and c not in ("agent",) else ""
            cells.append(f"<td{style}>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title><style>"
            "body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;"
            "padding:3px 6px;font-size:12px;white-space:nowrap}</style></head><body><h2>" + html.escape(title)
            + "</h2><p>Clock times start-end (end before start: next day); paid hours include the hand-over. "
            "Colours: day shift, <b>noon</b> duty (on the phones through the noon window), <b>night</b> duty."
            "</p><table><tr>" + head + "</tr>" + "".join(body) + "</table></body></html>")


def _frame_for(jobs) -> pd.DataFrame:
    return pd.DataFrame([{"template": j.template, "day": j.day, "start": j.clock()[0], "end": j.clock()[1],
                          "breaks": j.clock()[2], "count": 1, "role": j.role} for j in jobs],
                        columns=["template", "day", "start", "end", "breaks", "count", "role"])


def coverage_after(rota: Rota, requirement=None, interval_s: int = 1800) -> pd.DataFrame:
    """Per interval over the rota horizon: required (the plan horizon's requirement repeated), planned and rota
    minimum on the phones, lost = planned - rota (>= 0), under = required - rota (>= 0)."""
    js = rota.jobs
    step = int(interval_s) // 60
    n = js.n_days * 1440 // step
    planned = roster_minutes(_frame_for(js.jobs), js.n_days, cyclic=js.cyclic)["on_phone"]
    kept = roster_minutes(_frame_for([js.jobs[j] for j in rota.assignment]), js.n_days,
                          cyclic=js.cyclic)["on_phone"]
    p_min, r_min = planned.reshape(n, step).min(axis=1), kept.reshape(n, step).min(axis=1)
    req = np.zeros(n) if requirement is None else np.resize(np.ceil(np.asarray(requirement, float) - 1e-9), n)
    t = np.arange(n) * step
    return pd.DataFrame({
        "interval": np.arange(n), "date": [js.date(int(m // 1440)).isoformat() for m in t],
        "time": [hhmm(m % 1440) for m in t], "required": req, "planned_on_phone_min": p_min,
        "rota_on_phone_min": r_min, "lost": np.maximum(p_min - r_min, 0), "under": np.maximum(req - r_min, 0)})


def lost_intervals(cov: pd.DataFrame, interval_s: int) -> list[str]:
    """'2026-03-02 07:00-11:00 (-1)': runs of intervals where the rota keeps fewer on the phones than the plan."""
    step = int(interval_s) // 60
    out, run = [], None          # run: [date, first interval, last interval, lost]
    for r in cov.itertuples(index=False):
        if r.lost > 0 and run and run[0] == r.date and run[3] == r.lost and run[2] == r.interval - 1:
            run[2] = r.interval
            continue
        if run:
            out.append(run)
        run = [r.date, r.interval, r.interval, r.lost] if r.lost > 0 else None
    if run:
        out.append(run)
    per_day = 1440 // step
    return [f"{d} {hhmm((a % per_day) * step)}-{hhmm((b % per_day + 1) * step)} (-{lost:g})"
            for d, a, b, lost in out]


def write_rota(rota: Rota, out: str | Path, requirement=None, interval_s: int = 1800,
               title: str = "Rota") -> dict[str, Path]:
    """Write rota.csv, lost_shifts.csv, rota_hours.csv, weekly_sheet.csv/.html, rota_coverage.csv, rota.png and
    rota_report.txt into ``out``; return the paths by name."""
    from staffing.roster.picture import rota_picture
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / v for k, v in {
        "rota": "rota.csv", "lost": "lost_shifts.csv", "hours": "rota_hours.csv", "sheet": "weekly_sheet.csv",
        "sheet_html": "weekly_sheet.html", "coverage": "rota_coverage.csv", "picture": "rota.png",
        "report": "rota_report.txt"}.items()}
    rota_frame(rota).to_csv(paths["rota"], index=False)
    lost_frame(rota).to_csv(paths["lost"], index=False)
    rota.hours().to_csv(paths["hours"], index=False)
    sheet = weekly_sheet(rota)
    sheet.to_csv(paths["sheet"], index=False)
    paths["sheet_html"].write_text(sheet_html(sheet, title), encoding="utf-8")
    cov = coverage_after(rota, requirement, interval_s)
    cov.to_csv(paths["coverage"], index=False)
    rota_picture(rota, paths["picture"], title=title)
    lines = [rota.summary()]
    where = lost_intervals(cov, interval_s)
    lines.append("coverage lost by the assignment (planned minus rota on the phones): "
                 + ("none" if not where else "; ".join(where)))
    if requirement is not None:
        under = cov[cov["under"] > 0]
        lines.append(f"rota below the requirement in {len(under)} interval(s), "
                     f"{under['under'].sum():g} agent-intervals (the plan itself may already be short: see "
                     "report.txt)")
    lines.append("duty counts per person (weekend / noon / night shifts): " + "; ".join(
        f"{k} {v['weekend']}/{v['noon']}/{v['night']}" for k, v in rota.duty_counts().items()))
    paths["report"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths
