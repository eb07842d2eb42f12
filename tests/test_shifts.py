"""Shift scheduler (staffing.shifts): hand-computed optimum, coverage, breaks, duty rules, days off, errors.

Coverage is checked with ``roster_coverage`` (minute-level replay of the roster rows), not with the model's
own matrices, so a wrong constraint or a wrong roster conversion both show up.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy.optimize import Bounds, LinearConstraint, milp

from staffing.shifts import (BreakRule, DaysOffRule, DutyWindow, InfeasibleScheduleError, ShiftRules, ShiftType,
                             read_roster_csv, roster_coverage, schedule, write_roster_csv)
from staffing.shifts.roster import parse_breaks, wrap_roster
from staffing.shifts.rules import clock_minutes


def bare_rules(types, **kw) -> ShiftRules:
    """Rules without the customer's duty windows, 24-h minimum, hand-over or days off."""
    base = dict(shift_types=types, duty_windows=[], min_on_duty=0, days_off=None, handover_minutes=0,
                start_granularity_minutes=60)
    return ShiftRules(**(base | kw))


def fixed(name, start, hours, rate, **kw) -> ShiftType:
    return ShiftType(name=name, length_minutes=hours * 60, earliest_start=start, latest_start=start,
                     hourly_cost=rate, days_off=False, **kw)


THREE = [fixed("T1", "00:00", 12, 10.0), fixed("T2", "08:00", 8, 20.0), fixed("T3", "12:00", 12, 10.0)]
REQ6 = [2, 1, 3, 4, 2, 1]  # six 4-hour intervals: 00-04, 04-08, 08-12, 12-16, 16-20, 20-24


def counts(roster: pd.DataFrame) -> dict[str, int]:
    return roster.groupby("template")["count"].sum().to_dict()


def test_known_optimum_three_templates_six_intervals():
    # T1 covers intervals 0-2 (cost 120), T2 covers 2-3 (cost 160), T3 covers 3-5 (cost 120).
    # x1 >= 2, x3 >= 2, x1 + x2 >= 3, x2 + x3 >= 4.  Candidates: (2,2,2) = 800, (2,1,3) = 760, (3,0,4) = 840,
    # (2,0,4) infeasible (x1 + x2 = 2 < 3).  Optimum (2,1,3) with cost 760.
    res = schedule(REQ6, 4 * 3600, bare_rules(THREE))
    assert res.status == "optimal"
    assert res.cost == pytest.approx(760.0)
    assert counts(res.roster) == {"T1": 2, "T2": 1, "T3": 3}
    assert res.gap <= 1e-6
    assert list(res.coverage["on_phone_min"]) == [2, 2, 3, 4, 3, 3]
    assert list(res.coverage["under"]) == [0] * 6


def test_handover_is_paid_but_not_on_the_phones():
    # 60-min hand-over: T1 = 13 h x 10 = 130, T2 = 9 h x 20 = 180, T3 = 130; (2,1,3) = 830 < (2,2,2) = 880.
    res = schedule(REQ6, 4 * 3600, bare_rules(THREE, handover_minutes=60))
    assert res.cost == pytest.approx(830.0)
    cov = roster_coverage(res.roster, 1, 4 * 3600, handover_minutes=60)
    # T2 (08:00) has its hand-over 07:00-08:00, inside interval 1: present, but not on the phones
    # hand-overs 23-24 h (2 x T1, cyclic), 07-08 h (1 x T2), 11-12 h (3 x T3): 1 h of a 4-h interval each
    assert list(cov["handover_mean"]) == pytest.approx([0, 0.25, 0.75, 0, 0, 0.5])
    assert list(cov["on_phone_min"]) == [2, 2, 3, 4, 3, 3]


def test_soft_coverage_reports_understaffing():
    # Only 4 part-time shifts a day, but 3 needed 08-12 and 3 needed 14-18: whatever the split, 2 heads are
    # missing for 4 h = 8 half-hour intervals -> 16 missing agent-intervals.
    pt = ShiftType(name="pt", length_minutes=240, earliest_start="06:00", latest_start="16:00", hourly_cost=10,
                   days_off=False)
    req = np.zeros(48)
    req[16:24] = 3
    req[28:36] = 3
    rules = bare_rules([pt], max_agents_per_day=4, coverage="soft", understaffing_penalty=1000)
    res = schedule(req, 1800, rules)
    assert res.coverage["under"].sum() == pytest.approx(16)
    assert counts(res.roster) == {"pt": 4}
    # hard coverage: the same input is infeasible, and the message names the uncovered intervals
    with pytest.raises(InfeasibleScheduleError) as err:
        schedule(req, 1800, rules.model_copy(update={"coverage": "hard"}))
    msg = str(err.value)
    assert "cannot cover" in msg and "Traceback" not in msg
    assert err.value.intervals and all(16 <= k < 24 or 28 <= k < 36 for k in err.value.intervals)


def test_model_places_breaks_to_keep_coverage():
    # Three people fixed 08:00-16:30 with a 30-min lunch starting 3..5 h in; 2 must be on the phones all
    # day, so at most one may be at lunch at a time: the three lunches must be at three different times.
    ft = ShiftType(name="ft", length_minutes=480, earliest_start="08:00", latest_start="08:00", hourly_cost=10,
                   days_off=False, breaks=[BreakRule(name="lunch", minutes=[30], window_start_minutes=180,
                                                     window_end_minutes=300)])
    req = np.zeros(48)
    req[16:33] = 2
    res = schedule(req, 1800, bare_rules([ft], start_granularity_minutes=30))
    assert counts(res.roster) == {"ft": 3}
    lunches = [b for r in res.roster.itertuples() for b in [r.breaks] * r.count]
    assert len(set(lunches)) == 3
    for lunch in lunches:
        (clock, minutes), = parse_breaks(lunch)
        assert minutes == 30 and 180 <= clock - 8 * 60 <= 300
    cov = roster_coverage(res.roster, 1, 1800)
    assert (cov["on_phone_min"].to_numpy()[16:33] >= 2).all()


def test_default_rules_hold_for_a_day():
    t = np.arange(48) / 2
    req = np.round(1 + 8 * np.exp(-((t - 10.5) / 2.5) ** 2) + 6 * np.exp(-((t - 15) / 2.5) ** 2))
    req[(t < 7) | (t >= 22)] = 1
    rules = ShiftRules()
    res = schedule(req, 1800, rules)
    roster = res.roster
    cov = roster_coverage(roster, 1, 1800, handover_minutes=15)
    on = cov["on_phone_min"].to_numpy()
    assert (on >= req).all()
    assert (on >= 1).all()                                          # never unattended, 24 h
    assert np.array_equal(on, res.coverage["on_phone_min"].to_numpy())
    agents = roster_coverage(roster, 1, 1800, role="agent")["on_phone_min"].to_numpy()
    assert (agents[24:27] >= 1).all()                               # noon duty 12:00-13:30 by an agent
    night = roster_coverage(roster, 1, 1800, role="night_duty")["on_phone_min"].to_numpy()
    assert (night[35:] >= 1).all() and (night[:17] >= 1).all()      # night duty 17:30-08:30
    for r in roster.itertuples():
        t_ = rules.type_by_name(r.template)
        s, e = clock_minutes(r.start), clock_minutes(r.end)
        assert s % 30 == 0
        lo, hi = clock_minutes(t_.earliest_start), clock_minutes(t_.latest_start)
        assert lo <= s <= hi
        brk = parse_breaks(r.breaks)
        unpaid = sum(m for _, m in brk)
        assert (e - s) % 1440 == t_.length_minutes + unpaid         # paid length + unpaid lunch
        if t_.breaks:
            (clock, minutes), = brk
            assert minutes in (30, 60) and 180 <= (clock - s) % 1440 <= 300
        else:
            assert brk == []
    # reported cost = paid hours (length + 15 min hand-over) x rate, recomputed from the roster
    paid = sum(r.count * (rules.type_by_name(r.template).length_minutes + 15) / 60
               * rules.type_by_name(r.template).hourly_cost for r in roster.itertuples())
    assert res.cost == pytest.approx(paid)


def test_zero_requirement_still_staffs_24h():
    res = schedule(np.zeros(48), 1800, ShiftRules())
    cov = roster_coverage(res.roster, 1, 1800)
    assert (cov["on_phone_min"] >= 1).all()
    assert counts(res.roster)["night_duty"] == 1


def test_weekly_days_off_pattern():
    ft = ShiftType(name="ft", length_minutes=480, earliest_start="07:00", latest_start="10:00", hourly_cost=10,
                   breaks=[BreakRule(name="lunch", minutes=[60], window_start_minutes=180, window_end_minutes=240)])
    day = np.zeros(24)
    day[8:16] = 3
    req = np.concatenate([day * f for f in (1, 1, 2, 1, 1, 0, 1)])
    res = schedule(req, 3600, bare_rules([ft], days_off=DaysOffRule()))
    per_day = res.roster.groupby("day")["count"].sum().reindex(range(7), fill_value=0).to_numpy()
    # each person works exactly 5 of 7 days: total shifts = 5 x headcount, and no day uses more than headcount
    assert per_day.sum() % 5 == 0
    heads = per_day.sum() // 5
    assert per_day.max() <= heads
    # the daily counts decompose into people on 5-on/2-consecutive-off patterns (checked with scipy's MILP,
    # independently of the pyomo model): w_p >= 0 integer, sum over patterns working day d of w_p = per_day[d]
    pats = np.array([[0 if d in (k, (k + 1) % 7) else 1 for d in range(7)] for k in range(7)])
    found = milp(c=np.zeros(7), constraints=LinearConstraint(pats.T, per_day, per_day),
                 integrality=np.ones(7), bounds=Bounds(0, np.inf))
    assert found.status == 0 and round(found.x.sum()) == heads
    cov = roster_coverage(res.roster, 7, 3600)
    assert (cov["on_phone_min"].to_numpy() >= req).all()


def test_infeasible_requirement_above_night_capacity():
    req = np.ones(48)
    req[4:6] = 3    # 02:00-03:00: only the single night-duty technician can be on duty
    with pytest.raises(InfeasibleScheduleError) as err:
        schedule(req, 1800, ShiftRules())
    msg = str(err.value)
    assert "day 0 02:00 - 03:00" in msg and "at most 1" in msg
    assert err.value.intervals == [4, 5]


def test_infeasible_no_template_for_24h_rule():
    day_only = ShiftType(name="day", length_minutes=480, earliest_start="08:00", latest_start="09:00",
                         days_off=False)
    with pytest.raises(InfeasibleScheduleError, match="24-h"):
        schedule(np.zeros(48), 1800, bare_rules([day_only], min_on_duty=1))


def test_bad_inputs_name_the_field():
    with pytest.raises(ValueError, match="whole days"):
        schedule(np.ones(47), 1800, ShiftRules())
    with pytest.raises(ValueError, match="finite and >= 0"):
        schedule(-np.ones(48), 1800, ShiftRules())
    with pytest.raises(ValidationError, match="window_end_minutes"):
        BreakRule(minutes=[30], window_start_minutes=300, window_end_minutes=200)
    with pytest.raises(ValidationError, match="disjoint"):
        ShiftType(name="x", length_minutes=480, breaks=[
            BreakRule(name="a", minutes=[30], window_start_minutes=100, window_end_minutes=200),
            BreakRule(name="b", minutes=[30], window_start_minutes=210, window_end_minutes=300)])
    with pytest.raises(ValidationError, match="no shift type has it"):
        ShiftRules(shift_types=[fixed("a", "08:00", 8, 1.0)])  # default night-duty window, no night_duty type
    with pytest.raises(ValidationError, match="start_granularity_minutes"):
        ShiftRules(start_granularity_minutes=7)
    with pytest.raises(ValueError, match="time_limit_s"):
        schedule(np.ones(48), 1800, ShiftRules(), time_limit_s=0)
    with pytest.raises(ValueError, match="mip_rel_gap"):
        schedule(np.ones(48), 1800, ShiftRules(), mip_rel_gap=1.5)
    with pytest.raises(ValueError, match="interval_s must divide"):
        schedule(np.ones(48), 1700, ShiftRules())


def test_roster_csv_round_trip_and_wrap(tmp_path):
    res = schedule(np.ones(48), 1800, ShiftRules())
    path = write_roster_csv(res.roster, tmp_path / "roster.csv")
    back = read_roster_csv(path)
    pd.testing.assert_frame_equal(back, res.roster)
    # the night duty runs 17:30-08:30: for a non-cyclic replay the wrapped roster must cover day 0 morning
    cyc = roster_coverage(res.roster, 1, 1800, cyclic=True)["on_phone_min"].to_numpy()
    wrapped = roster_coverage(wrap_roster(res.roster, 1), 1, 1800, cyclic=False)["on_phone_min"].to_numpy()
    assert np.array_equal(cyc, wrapped)
    assert (roster_coverage(res.roster, 1, 1800, cyclic=False)["on_phone_min"].to_numpy()[:17] == 0).all()


def test_duty_window_with_custom_role_rules():
    # summer variant: noon duty to 14:00, night duty from 18:00
    rules = ShiftRules.customer_summer()
    res = schedule(np.ones(48), 1800, rules)
    agents = roster_coverage(res.roster, 1, 1800, role="agent")["on_phone_min"].to_numpy()
    assert (agents[24:28] >= 1).all()
    night = res.roster[res.roster.role == "night_duty"]
    assert list(night["start"]) == ["18:00"] and list(night["end"]) == ["08:30"]


def test_rules_defaults_are_the_customer_centre():
    r = ShiftRules()
    assert r.handover_minutes == 15 and r.start_granularity_minutes == 30 and r.min_on_duty == 1
    names = {w.name: (w.start, w.end, w.role) for w in r.duty_windows}
    assert names == {"noon duty": ("12:00", "13:30", "agent"), "night duty": ("17:30", "08:30", "night_duty")}
    assert r.days_off.patterns()[0] == (0, 0, 1, 1, 1, 1, 1)
    assert len(r.days_off.patterns()) == 7
    assert DutyWindow(name="x", start="22:00", end="06:00").role == "any"


def test_precheck_sees_slots_forced_onto_a_break():
    # the only shift runs 08:00-17:00 with its lunch fixed at 12:00-13:00 (one placement): nobody can be on
    # the phones 12:00-13:00, whatever the headcount
    ft = ShiftType(name="ft", length_minutes=480, earliest_start="08:00", latest_start="08:00", days_off=False,
                   breaks=[BreakRule(name="lunch", minutes=[60], window_start_minutes=240, window_end_minutes=240)])
    req = np.zeros(48)
    req[16:34] = 1
    with pytest.raises(InfeasibleScheduleError) as err:
        schedule(req, 1800, bare_rules([ft], start_granularity_minutes=30))
    assert "day 0 12:00 - 13:00" in str(err.value) and "no shift template" in str(err.value)
    assert err.value.intervals == [24, 25]
