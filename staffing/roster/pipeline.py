"""Requirement -> shift plan for the team in the agents file -> rota (the path ``acdsim schedule --agents``).

The plan is solved with every shift type capped at the number of people who can work it
(:func:`staffing.roster.staff.headcount_caps`), then its shifts are assigned to the named people.
"""
from __future__ import annotations

import datetime as dt

from staffing.roster.solve import Rota, make_rota
from staffing.roster.staff import StaffFile, headcount_caps


def next_weekday(weekday: int, today: dt.date | None = None) -> dt.date:
    """The first date on or after ``today`` that falls on ``weekday`` (0 = Monday)."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def schedule_rota(requirement, interval_s: int, rules, staff: StaffFile, *, start_date: dt.date,
                  weeks: int = 1, time_limit_s: float = 60.0, mip_rel_gap: float = 0.005,
                  threads: int | None = None):
    """(ScheduleResult of the team-capped plan, Rota). Raises InfeasibleScheduleError / RotaInfeasibleError."""
    from staffing.shifts.solve import schedule
    capped = headcount_caps(rules, staff)
    plan = schedule(requirement, interval_s, capped, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                    threads=threads, start_weekday=start_date.weekday())
    rota: Rota = make_rota(plan.roster, plan.n_days, staff, start_date=start_date, weeks=weeks,
                           shift_rules=capped, cyclic=capped.cyclic, threads=threads)
    return plan, rota
