"""Shift types the planner needs: length ranges, weekday-limited types, weekly limits/contract hours, and the
over-cover penalty in soft mode. Small instances whose optimum is clear by hand."""
from __future__ import annotations

import numpy as np
import pytest

from staffing.shifts import ShiftRules, ShiftType, schedule


def day_req(start_h: float, end_h: float, days: int = 1) -> np.ndarray:
    t = np.arange(48) / 2
    return np.tile(((t >= start_h) & (t < end_h)).astype(float), days)


def rules(*types, **kw) -> ShiftRules:
    base = dict(handover_minutes=0, duty_windows=[], min_on_duty=0, days_off=None, cyclic=False)
    return ShiftRules(shift_types=list(types), **(base | kw))


def test_length_range_picks_the_exact_length():
    """1 agent 09:00-16:30: a 7-9 h range type covers it with one 7.5 h shift (cost 7.5 x 40 = 300); a fixed
    8 h type would cost 320."""
    flex = ShiftType(name="flex", length_minutes=420, max_length_minutes=540, length_step_minutes=15)
    res = schedule(day_req(9, 16.5), 1800, rules(flex))
    assert res.cost == pytest.approx(300.0)
    assert res.roster[["start", "end"]].values.tolist() == [["09:00", "16:30"]]
    fixed = schedule(day_req(9, 16.5), 1800, rules(ShiftType(name="fixed", length_minutes=480)))
    assert fixed.cost == pytest.approx(320.0)


def test_weekday_limited_type_only_on_its_days():
    """A cheap type allowed on Sat/Sun only: used on days 5 and 6 of a Monday week, the dear one elsewhere;
    starting the week on Saturday moves the cheap days to 0 and 1."""
    dear = ShiftType(name="dear", length_minutes=480, hourly_cost=40)
    cheap = ShiftType(name="cheap", length_minutes=480, hourly_cost=30, weekdays=["saturday", "sun"])
    r = rules(dear, cheap)
    res = schedule(day_req(9, 17, 7), 1800, r, start_weekday=0)
    assert sorted(res.roster.loc[res.roster.template == "cheap", "day"]) == [5, 6]
    res_sat = schedule(day_req(9, 17, 7), 1800, r, start_weekday=5)
    assert sorted(res_sat.roster.loc[res_sat.roster.template == "cheap", "day"]) == [0, 1]


def test_max_per_week_limits_a_type():
    dear = ShiftType(name="dear", length_minutes=480, hourly_cost=40)
    cheap = ShiftType(name="cheap", length_minutes=480, hourly_cost=30, max_per_week=3)
    res = schedule(day_req(9, 17, 7), 1800, rules(dear, cheap))
    assert res.roster.groupby("template")["count"].sum().to_dict() == {"cheap": 3, "dear": 4}
    res = schedule(day_req(9, 17, 7), 1800, rules(dear.model_copy(update={"min_per_week": 5}), cheap))
    assert res.roster.groupby("template")["count"].sum().to_dict() == {"cheap": 2, "dear": 5}


def test_weekly_contract_hours_force_longer_shifts():
    """7 h needed every day; 5-on/2-off people -> 2 people, 10 shifts. Unconstrained: 10 x 7 h = 70 h.
    With 40 h +/- 0 per person and week: 80 h (the range type stretches to 8 h)."""
    t = ShiftType(name="ft", length_minutes=420, max_length_minutes=540, length_step_minutes=30)
    free = schedule(day_req(9, 16, 7), 1800, rules(t, days_off={"work_days": 5, "off_days": 2}))
    assert free.cost == pytest.approx(70 * 40)
    t40 = t.model_copy(update={"weekly_hours": 40.0, "weekly_hours_tolerance": 0.0})
    res = schedule(day_req(9, 16, 7), 1800, rules(t40, days_off={"work_days": 5, "off_days": 2}))
    assert res.cost == pytest.approx(80 * 40)
    assert int(res.roster["count"].sum()) == 10


def test_over_cover_penalty_in_soft_mode():
    """4 h needed. A long 8 h shift (cost 160) beats a short 4 h one (200) unless over-cover costs 100 per
    interval (8 intervals over -> 800)."""
    long_ = ShiftType(name="long", length_minutes=480, hourly_cost=20)
    short = ShiftType(name="short", length_minutes=240, hourly_cost=50)
    plain = schedule(day_req(9, 13), 1800, rules(long_, short, coverage="soft"))
    assert plain.roster["template"].tolist() == ["long"]
    pen = schedule(day_req(9, 13), 1800, rules(long_, short, coverage="soft", overstaffing_penalty=100))
    assert pen.roster["template"].tolist() == ["short"]


@pytest.mark.parametrize("kw, needle", [
    (dict(overstaffing_penalty=5), "coverage = 'soft'"),
    (dict(shift_types=[dict(name="x", length_minutes=420, max_length_minutes=400)]), "max_length_minutes"),
    (dict(shift_types=[dict(name="x", length_minutes=420, max_length_minutes=500, length_step_minutes=30)]),
     "length_step_minutes"),
    (dict(shift_types=[dict(name="x", length_minutes=420, weekdays=[])]), "weekdays"),
    (dict(shift_types=[dict(name="x", length_minutes=420, weekdays=["funday"])]), "weekday"),
    (dict(shift_types=[dict(name="x", length_minutes=420, min_per_week=5, max_per_week=2)]), "min_per_week"),
])
def test_new_fields_validate(kw, needle):
    with pytest.raises(ValueError, match=needle):
        ShiftRules(**({"duty_windows": []} | kw))


def test_bechtold_jacobs_breaks_match_aykin_optimum():
    """Same instance, both break formulations: same optimal cost, and the bj break starts are matched back to
    shifts (every shift gets one break inside its window) with the requirement still covered."""
    t = np.arange(48) / 2
    req = np.round(1 + 6 * np.exp(-((t - 10.5) / 2.5) ** 2) + 4 * np.exp(-((t - 15) / 2.5) ** 2))
    r = ShiftRules(days_off=None)
    a = schedule(req, 1800, r, mip_rel_gap=0.0)
    b = schedule(req, 1800, r, mip_rel_gap=0.0, breaks="bj")
    assert b.cost == pytest.approx(a.cost)
    assert b.coverage["under"].sum() == 0
    assert b.size["break_options"] < a.size["break_options"]
    ft = b.roster[b.roster.template == "full_time"]
    for row in ft.itertuples():
        start = int(row.start[:2]) * 60 + int(row.start[3:])
        lunch = int(row.breaks[:2]) * 60 + int(row.breaks[3:5])
        assert 180 <= (lunch - start) % 1440 <= 300          # inside the lunch window 3-5 h after the start
    with pytest.raises(ValueError, match="breaks must be"):
        schedule(req, 1800, r, breaks="magic")


def test_lp_rounding_warm_start_is_feasible_and_keeps_the_optimum():
    from staffing.shifts.model import build_model
    from staffing.shifts.solve import requirement_to_slots
    from staffing.shifts.warmstart import lp_rounding_start
    t = np.arange(48) / 2
    req = np.round(1 + 5.5 * np.exp(-((t - 10.5) / 2.5) ** 2) + 3.5 * np.exp(-((t - 15) / 2.5) ** 2))
    r = ShiftRules(days_off=None)
    slots, _, ts = requirement_to_slots(req, 1800, r)
    bm = build_model(ts, slots)
    start = lp_rounding_start(bm)
    assert start is not None                  # the function itself checks every row of the model
    x = np.array([start[bm.model.x[i]] for i in bm.model.x])
    assert np.all(x == np.round(x))
    cold = schedule(req, 1800, r, mip_rel_gap=0.0)
    warm = schedule(req, 1800, r, mip_rel_gap=0.0, warm_start=True)
    assert warm.cost == pytest.approx(cold.cost)
    # the days-off model needs pattern counts the rounding does not make: no warm start there
    r7 = ShiftRules()
    slots7, _, ts7 = requirement_to_slots(np.tile(req, 7), 1800, r7)
    assert lp_rounding_start(build_model(ts7, slots7)) is None
