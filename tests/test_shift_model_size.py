"""The shift model's structure and objective checked from outside the builder.

- The size it reports (``BuiltModel.size``, printed by ``schedule`` and the benchmarks) against the pyomo model
  itself: variables, integer variables, constraint rows and nonzeros counted from the built model's components,
  never from the builder's own tallies; every variable is >= 0 and used by a row or the objective.
- The optimal objective against the cost worked out by hand (days-off patterns of a fixed-length and of a
  length-range type; the over-cover penalty on slots without a requirement).
Small instances, one per part of the model; a build takes well under a second."""
from __future__ import annotations

import numpy as np
import pyomo.environ as pe
import pytest
from pyomo.repn import generate_standard_repn

from pyomo.core.expr.visitor import identify_variables

from staffing.shifts import ShiftRules, ShiftType, schedule
from staffing.shifts.model import build_model, duty_rows
from staffing.shifts.rules import BreakRule, DutyWindow
from staffing.shifts.solve import requirement_to_slots


def day_req(start_h: float, end_h: float, days: int = 1) -> np.ndarray:
    t = np.arange(48) / 2
    return np.tile(((t >= start_h) & (t < end_h)).astype(float), days)


def counted(m: pe.ConcreteModel) -> dict:
    """Sizes counted from the model: every variable, the integer ones, every active constraint row, and the
    variables with a nonzero coefficient in each row."""
    variables = list(m.component_data_objects(pe.Var))
    rows = list(m.component_data_objects(pe.Constraint, active=True))
    nonzeros = 0
    for con in rows:
        repn = generate_standard_repn(con.body, compute_values=True)
        assert not repn.nonlinear_vars and not repn.quadratic_vars
        nonzeros += sum(1 for c in repn.linear_coefs if c != 0)
    used = {id(v) for con in rows for v in identify_variables(con.body)}
    used |= {id(v) for v in identify_variables(m.obj.expr)}
    assert [v.name for v in variables if id(v) not in used] == []      # no variable the model never uses
    assert [v.name for v in variables if v.lb != 0] == []              # counts and shortfalls: all >= 0
    return {"variables": len(variables), "integer_variables": sum(v.is_integer() for v in variables),
            "constraints": len(rows), "nonzeros": nonzeros}


BASE = dict(handover_minutes=0, duty_windows=[], min_on_duty=0, cyclic=False)
CASES = {
    "aykin": (day_req(8, 20), ShiftRules(days_off=None), {}),
    "bj": (day_req(8, 20), ShiftRules(days_off=None), {"breaks": "bj"}),
    "soft-over": (day_req(9, 13), ShiftRules(shift_types=[ShiftType(name="long", length_minutes=480),
                                                         ShiftType(name="short", length_minutes=240)],
                                             coverage="soft", days_off=None, **BASE),
                  {"soft": True, "penalty_per_slot": 50.0, "over_penalty_per_slot": 100.0}),
    "soft": (day_req(9, 13), ShiftRules(shift_types=[ShiftType(name="long", length_minutes=480)],
                                        coverage="soft", days_off=None, **BASE), {"soft": True, "penalty_per_slot": 50.0}),
    "caps": (day_req(9, 17, 7), ShiftRules(shift_types=[ShiftType(name="a", length_minutes=480, min_per_day=1,
                                                                  max_per_day=2, min_per_week=7, max_per_week=9),
                                                        ShiftType(name="b", length_minutes=240)],
                                           max_agents_per_day=3, days_off=None, **BASE), {}),
    "one-break-start": (day_req(8, 16), ShiftRules(shift_types=[ShiftType(
        name="fixed", length_minutes=510, earliest_start="08:00", latest_start="08:00", days_off=False,
        breaks=[BreakRule(name="lunch", minutes=[30], window_start_minutes=240, window_end_minutes=240)])],
        days_off=None, **BASE), {}),                 # a shift with a single break option: one-term link row
    "days-off": (day_req(9, 16, 7),
                 ShiftRules(shift_types=[ShiftType(name="ft", length_minutes=420, max_length_minutes=540,
                                                   length_step_minutes=30, weekly_hours=40.0,
                                                   weekly_hours_tolerance=2.0, max_headcount=3),
                                         ShiftType(name="pt", length_minutes=240, days_off=False)],
                            days_off={"work_days": 5, "off_days": 2}, **BASE), {}),
}


@pytest.mark.parametrize("case", CASES)
def test_reported_model_size_matches_the_built_model(case):
    req, rules, kw = CASES[case]
    slots, _, ts = requirement_to_slots(req, 1800, rules)
    bm = build_model(ts, slots, **kw)
    size = counted(bm.model)
    assert {k: bm.size[k] for k in size} == size
    assert bm.size["slots"] == ts.n_slots and bm.size["slot_minutes"] == 30.0
    assert bm.size["breaks"] == kw.get("breaks", "aykin")
    assert bm.req_slot.dtype == float


def test_an_unknown_break_formulation_is_named():
    slots, _, ts = requirement_to_slots(day_req(8, 20), 1800, ShiftRules(days_off=None))
    with pytest.raises(ValueError, match="breaks must be 'aykin' or 'bj', got 'magic'"):
        build_model(ts, slots, breaks="magic")


def test_a_slot_no_template_covers_is_named():
    """``schedule`` checks coverage before building; ``build_model`` called directly names the row itself."""
    only_day = ShiftRules(shift_types=[ShiftType(name="day", length_minutes=480, earliest_start="08:00",
                                                 latest_start="08:00")], days_off=None, **BASE)
    slots, _, ts = requirement_to_slots(day_req(8, 16), 1800, only_day)
    night = slots.copy()
    night[44] = 1          # 22:00: no 08:00-16:00 shift covers it (row "any": every template answers)
    with pytest.raises(ValueError, match="internal: row any slot 44 has no covering template"):
        build_model(ts, night)


@pytest.mark.parametrize("fixed", [True, False])
def test_days_off_objective_is_the_paid_cost(fixed):
    """7 h needed every day, 5-on/2-off: 2 people, 10 shifts of 7 h at 40/h = 2 800. A fixed-length type pays
    through its people (5 working days x 280 each), a length-range type per shift: either way the optimal
    objective is the paid cost, counted once."""
    t = ShiftType(name="ft", length_minutes=420) if fixed else \
        ShiftType(name="ft", length_minutes=420, max_length_minutes=540, length_step_minutes=30)
    res = schedule(day_req(9, 16, 7), 1800, ShiftRules(shift_types=[t], days_off={"work_days": 5, "off_days": 2},
                                                        **BASE))
    assert res.cost == pytest.approx(2800.0)
    assert res.objective == pytest.approx(2800.0)
    assert res.build_time_s >= 0.0 and "model build" in res.summary()


def test_over_cover_penalty_counts_slots_without_a_requirement():
    """4 h needed (09:00-13:00); the only type is an 8 h shift at 20/h (160): it over-covers the 8 half-hour
    slots 13:00-17:00, which need nobody. At 0.5 per over-covered slot the objective is 160 + 8 x 0.5 = 164."""
    long_ = ShiftType(name="long", length_minutes=480, hourly_cost=20, earliest_start="09:00", latest_start="09:00")
    res = schedule(day_req(9, 13), 1800, ShiftRules(shift_types=[long_], coverage="soft", overstaffing_penalty=0.5,
                                                    days_off=None, **BASE))
    assert res.cost == pytest.approx(160.0)
    assert res.objective == pytest.approx(164.0)


def test_duty_rows_cover_the_window_slots_exactly():
    """Half-hour slots: a 10:00-12:00 window is slots 20..23 (10:00 included, 12:00 excluded); a 22:00-02:00
    window wraps midnight: slots 44..47 and 0..3. The larger minimum wins where windows overlap."""
    windows = [DutyWindow(name="late", start="10:00", end="12:00", role="agent", min_on_phone=2),
               DutyWindow(name="night", start="22:00", end="02:00", role="agent", min_on_phone=1),
               DutyWindow(name="peak", start="11:00", end="11:30", role="agent", min_on_phone=3)]
    r = ShiftRules(days_off=None, **(BASE | {"duty_windows": windows}))
    _, _, ts = requirement_to_slots(day_req(8, 20), 1800, r)
    rows = duty_rows(ts)
    assert rows == {("agent", 20): 2.0, ("agent", 21): 2.0, ("agent", 22): 3.0, ("agent", 23): 2.0,
                    **{("agent", s): 1.0 for s in (44, 45, 46, 47, 0, 1, 2, 3)}}


def test_shortfall_prices_in_the_diagnosis_model():
    """Soft coverage with soft duty rows (the infeasibility diagnosis): a missing agent on a requirement row costs
    ``penalty_per_slot``; one missing on a duty row costs 10 x the dearest shift x the number of slots, more
    than any roster, so duties give way only where nothing else can."""
    windows = [DutyWindow(name="late", start="10:00", end="12:00", role="agent", min_on_phone=2)]
    r = ShiftRules(days_off=None, **(BASE | {"duty_windows": windows}))
    slots, _, ts = requirement_to_slots(day_req(8, 20), 1800, r)
    bm = build_model(ts, slots, soft=True, penalty_per_slot=7.0, soft_duties=True)
    repn = generate_standard_repn(bm.model.obj.expr, compute_values=True)
    coef = {id(v): c for v, c in zip(repn.linear_vars, repn.linear_coefs)}
    dear = 10.0 * float(ts.cost.max()) * ts.n_slots
    kinds = {key for key, _, _ in bm.row_info}
    assert kinds == {"answers", "agent"}
    for row, (key, _, _) in enumerate(bm.row_info):
        assert coef[id(bm.model.u[row])] == (7.0 if key == "answers" else dear)


def test_a_day_without_templates_builds_an_empty_model():
    """A Saturday-only type on a Monday with no requirement: no shift column, an empty model (0 rows)."""
    r = ShiftRules(shift_types=[ShiftType(name="we", length_minutes=480, weekdays=["saturday"])], days_off=None,
                   **BASE)
    slots, _, ts = requirement_to_slots(np.zeros(48), 1800, r, start_weekday=0)
    bm = build_model(ts, slots)
    assert bm.size["shift_columns"] == 0 and bm.size["variables"] == 0 and bm.size["constraints"] == 0
