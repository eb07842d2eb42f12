"""Each shift-rule constraint on its own: an instance where only that constraint binds, with the optimum
worked out by hand, and the same instance without the constraint (a cheaper optimum) as the control.

A constraint dropped or weakened in ``staffing/shifts/model.py`` (e.g. ``min_per_day`` turned into >= 0)
returns the control's roster and fails here. Costs are paid hours x hourly rate (no hand-over). Coverage is
replayed from the roster rows with ``roster_coverage``, not from the model's matrices.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from staffing.shifts import (DaysOffRule, DutyWindow, InfeasibleScheduleError, ShiftRules, ShiftType,
                             roster_coverage, schedule)

DAY_8_16 = [0, 0, 1, 1, 0, 0]  # six 4-hour intervals: one agent needed 08:00-16:00
INTERVAL = 4 * 3600


def rules(types, **kw) -> ShiftRules:
    base = dict(shift_types=types, duty_windows=[], min_on_duty=0, days_off=None, handover_minutes=0,
                start_granularity_minutes=60)
    return ShiftRules(**(base | kw))


def fixed(name, start, hours, rate, **kw) -> ShiftType:
    return ShiftType(name=name, length_minutes=hours * 60, earliest_start=start, latest_start=start,
                     hourly_cost=rate, **({"days_off": False} | kw))


def solve(req, r, interval=INTERVAL):
    return schedule(req, interval, r, mip_rel_gap=0.0)


def counts(roster: pd.DataFrame) -> dict[str, int]:
    return {k: int(v) for k, v in roster.groupby("template")["count"].sum().items() if v}


def test_min_per_day_forces_the_dearer_type():
    # Cheap C and dear P both cover 08-16; P must start at least once a day: 1 P (160) instead of 1 C (80).
    types = [fixed("C", "08:00", 8, 10.0), fixed("P", "08:00", 8, 20.0, min_per_day=1)]
    res = solve(DAY_8_16, rules(types))
    assert counts(res.roster) == {"P": 1} and res.cost == pytest.approx(160.0)
    control = solve(DAY_8_16, rules([types[0], fixed("P", "08:00", 8, 20.0)]))
    assert counts(control.roster) == {"C": 1} and control.cost == pytest.approx(80.0)


def test_min_per_day_staffs_a_day_without_requirement():
    res = solve([0] * 6, rules([fixed("C", "08:00", 8, 10.0, min_per_day=2)]))
    assert counts(res.roster) == {"C": 2} and res.cost == pytest.approx(160.0)


@pytest.mark.parametrize("cap", ["max_per_day", "max_headcount"])
def test_per_day_cap_moves_work_to_the_dearer_type(cap):
    # 3 needed 08-16; at most 2 C a day: 2 C + 1 P = 160 + 160 (control without the cap: 3 C = 240).
    req = [0, 0, 3, 3, 0, 0]
    res = solve(req, rules([fixed("C", "08:00", 8, 10.0, **{cap: 2}), fixed("P", "08:00", 8, 20.0)]))
    assert counts(res.roster) == {"C": 2, "P": 1} and res.cost == pytest.approx(320.0)
    control = solve(req, rules([fixed("C", "08:00", 8, 10.0), fixed("P", "08:00", 8, 20.0)]))
    assert counts(control.roster) == {"C": 3} and control.cost == pytest.approx(240.0)


def test_max_agents_per_day_prefers_one_long_shift():
    # Two 4-h halves (40 + 40) are cheaper than one 8-h shift (96), but only one agent shift may start a day.
    types = [fixed("S1", "08:00", 4, 10.0), fixed("S2", "12:00", 4, 10.0), fixed("L", "08:00", 8, 12.0)]
    res = solve(DAY_8_16, rules(types, max_agents_per_day=1))
    assert counts(res.roster) == {"L": 1} and res.cost == pytest.approx(96.0)
    control = solve(DAY_8_16, rules(types))
    assert counts(control.roster) == {"S1": 1, "S2": 1} and control.cost == pytest.approx(80.0)


def test_duty_window_needs_its_role():
    # No requirement; 12:00-16:00 needs two *agents* on the phones: the cheaper night-duty type does not count.
    types = [fixed("A", "12:00", 4, 10.0), fixed("N", "12:00", 4, 5.0, role="night_duty")]
    window = DutyWindow(name="noon", start="12:00", end="16:00", role="agent", min_on_phone=2)
    res = solve([0] * 6, rules(types, duty_windows=[window]))
    assert counts(res.roster) == {"A": 2} and res.cost == pytest.approx(80.0)
    any_role = window.model_copy(update={"role": "any"})
    res_any = solve([0] * 6, rules(types, duty_windows=[any_role]))
    assert counts(res_any.roster) == {"N": 2} and res_any.cost == pytest.approx(40.0)
    assert counts(solve([0] * 6, rules(types)).roster) == {}


def test_min_on_duty_covers_every_slot():
    types = [fixed("D", "00:00", 12, 10.0), fixed("E", "12:00", 12, 10.0)]
    res = solve([0] * 6, rules(types, min_on_duty=2))
    assert counts(res.roster) == {"D": 2, "E": 2} and res.cost == pytest.approx(480.0)
    cov = roster_coverage(res.roster, 1, INTERVAL)["on_phone_min"].to_numpy()
    assert (cov >= 2).all()
    assert counts(solve([0] * 6, rules(types)).roster) == {}


def test_coverage_alone():
    res = solve(DAY_8_16, rules([fixed("C", "08:00", 8, 10.0)]))
    assert counts(res.roster) == {"C": 1}
    with pytest.raises(InfeasibleScheduleError):
        solve([0, 0, 1, 1, 1, 0], rules([fixed("C", "08:00", 8, 10.0)]))  # nothing covers 16-20


def test_days_off_headcount_cap_buys_temporary_shifts():
    # A week, 2 needed 08-16 every day (14 shifts). Full-timers work 5 days with 2 consecutive off (80 a shift);
    # temps cost 240 a shift. Uncapped: 3 full-timers (15 shifts, off days (0,1), (2,3), (4,5)) = 1200.
    # At most 2 full-timers: 10 shifts + 4 temp shifts = 800 + 960 = 1760.
    ft = ShiftType(name="ft", length_minutes=480, earliest_start="08:00", latest_start="08:00", hourly_cost=10)
    temp = fixed("temp", "08:00", 8, 30.0)
    req = [0, 0, 2, 2, 0, 0] * 7
    res = solve(req, rules([ft.model_copy(update={"max_headcount": 2}), temp], days_off=DaysOffRule()))
    assert counts(res.roster) == {"ft": 10, "temp": 4} and res.cost == pytest.approx(1760.0)
    control = solve(req, rules([ft, temp], days_off=DaysOffRule()))
    assert counts(control.roster) == {"ft": 15} and control.cost == pytest.approx(1200.0)
    cov = roster_coverage(res.roster, 7, INTERVAL)["on_phone_min"].to_numpy()
    assert (cov >= np.asarray(req)).all()
