"""Jobs: the shift plan laid out on calendar dates, one job per shift one person works.

A shift plan (``ScheduleResult.roster``: template, day, start, end, breaks, count, role) covers ``plan_days``
days; :func:`plan_jobs` repeats it over ``weeks`` weeks from ``start_date`` and splits each row's ``count`` into
single jobs. Each job knows its duty flags used for fairness and the rota's ``duty`` column:

* ``night``: a night-duty shift (role ``night_duty``),
* ``noon``: on the phones for the whole of an agent duty window (the noon duty of frontdesk.md),
* ``weekend``: the shift starts on a Saturday or Sunday.

Times are **minutes from the horizon start** (``start_date`` 00:00); paid hours include the hand-over.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from staffing.shifts.roster import parse_breaks
from staffing.shifts.rules import ShiftRules, clock_minutes, hhmm
from staffing.roster.staff import WEEKDAYS


@dataclass
class Job:
    """One person's shift on one date."""

    idx: int
    day: int                     # horizon day the shift starts (0-based)
    date: dt.date
    template: str
    role: str
    start: int                   # minutes from horizon start
    end: int
    breaks: list[tuple[int, int]]  # (start minute from horizon start, length minutes)
    paid_hours: float
    noon: bool = False
    night: bool = False
    weekend: bool = False
    plan_row: int = -1
    tags: dict = field(default_factory=dict)

    @property
    def week(self) -> int:
        return self.day // 7

    @property
    def duty(self) -> str:
        return "night" if self.night else ("noon" if self.noon else "day")

    def clock(self) -> tuple[str, str, str]:
        """('HH:MM' start, 'HH:MM' end, 'HH:MM+MIN;...' breaks)."""
        brk = ";".join(f"{hhmm(a)}+{ln}" for a, ln in self.breaks)
        return hhmm(self.start), hhmm(self.end), brk

    def on_phone(self, lo: int, hi: int) -> bool:
        """On the phones for every minute of [lo, hi) (minutes from horizon start)."""
        if lo < self.start or hi > self.end:
            return False
        return all(b + ln <= lo or b >= hi for b, ln in self.breaks)


@dataclass
class JobSet:
    """All jobs of the horizon plus the calendar."""

    jobs: list[Job]
    start_date: dt.date
    n_days: int
    handover_minutes: int
    cyclic: bool

    @property
    def horizon_minutes(self) -> int:
        return self.n_days * 1440

    def date(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=day)

    def day_label(self, day: int) -> str:
        d = self.date(day)
        return f"{WEEKDAYS[d.weekday()].capitalize()} {d.isoformat()}"

    def rest_conflicts(self, rest_hours: float) -> list[tuple[int, int]]:
        """Pairs (j, k), j starting on an earlier day than k, that one person cannot both work: less than
        ``rest_hours`` between the end of j and the arrival for k (start minus hand-over); wraps when cyclic."""
        if not self.jobs:
            return []
        start = np.array([j.start for j in self.jobs])
        end = np.array([j.end for j in self.jobs])
        day = np.array([j.day for j in self.jobs])
        need = rest_hours * 60.0
        arrive = start - self.handover_minutes
        gap = arrive[None, :] - end[:, None]
        later = day[None, :] > day[:, None]
        pairs = set(zip(*np.nonzero(later & (gap < need))))
        if self.cyclic:
            wrap = arrive[None, :] + self.horizon_minutes - end[:, None]
            earlier = day[None, :] < day[:, None]
            pairs |= {(int(a), int(b)) for a, b in zip(*np.nonzero(earlier & (wrap < need)))}
        return sorted((int(a), int(b)) for a, b in pairs)


def _noon_windows(rules: ShiftRules | None) -> list[tuple[int, int]]:
    """Clock windows (minutes) of agent duty windows that do not wrap midnight (the noon duty)."""
    if rules is None:
        return [(720, 810)]
    out = []
    for w in rules.duty_windows:
        a, e = clock_minutes(w.start), clock_minutes(w.end)
        if w.role == "agent" and e > a:
            out.append((a, e))
    return out


def _paid_hours(row, rules: ShiftRules | None, span: int, breaks: list[tuple[int, int]], handover: int) -> float:
    if rules is not None:
        try:
            t = rules.type_by_name(str(row.template))
        except KeyError:
            t = None
        if t is not None:
            unpaid = sum(ln for (_, ln), b in zip(breaks, t.breaks) if not b.paid)
            return (span - unpaid + handover) / 60.0
    return (span - sum(ln for _, ln in breaks) + handover) / 60.0


def plan_jobs(plan: pd.DataFrame, plan_days: int, *, start_date: dt.date, weeks: int = 1,
              rules: ShiftRules | None = None, cyclic: bool = True) -> JobSet:
    """Repeat the plan over ``weeks`` weeks from ``start_date`` (the plan's day 0) and split it into jobs."""
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks}")
    n_days = 7 * weeks
    if n_days % plan_days:
        raise ValueError(f"the shift plan covers {plan_days} day(s); it must divide the rota horizon of "
                         f"{n_days} days ({weeks} week(s))")
    handover = rules.handover_minutes if rules is not None else 0
    noon = _noon_windows(rules)
    jobs: list[Job] = []
    for rep in range(n_days // plan_days):
        for r_i, r in enumerate(plan.itertuples(index=False)):
            day = rep * plan_days + int(r.day)
            s = clock_minutes(r.start)
            span = (clock_minutes(r.end) - s) % 1440 or 1440
            a = day * 1440 + s
            brk = [(a + (c - s) % 1440, int(ln)) for c, ln in parse_breaks(r.breaks)]
            date = start_date + dt.timedelta(days=day)
            for _ in range(int(r.count)):
                j = Job(idx=len(jobs), day=day, date=date, template=str(r.template), role=str(r.role),
                        start=a, end=a + span, breaks=brk, paid_hours=_paid_hours(r, rules, span, brk, handover),
                        night=str(r.role) == "night_duty", weekend=date.weekday() >= 5, plan_row=r_i)
                j.noon = not j.night and any(j.on_phone(day * 1440 + lo, day * 1440 + hi) for lo, hi in noon)
                jobs.append(j)
    return JobSet(jobs=jobs, start_date=start_date, n_days=n_days, handover_minutes=handover, cyclic=cyclic)
