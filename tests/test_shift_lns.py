"""The 'lns' warm start (staffing/shifts/lns.py): a feasible point of the full model, and the same optimum."""
import numpy as np
import pyomo.environ as pe
import pytest

from staffing.shifts import ShiftRules, schedule
from staffing.shifts.lns import lns_start
from staffing.shifts.model import build_model
from staffing.shifts.solve import requirement_to_slots


def _day_requirement() -> np.ndarray:
    t = np.arange(48) / 2
    return np.round(1 + 5.5 * np.exp(-((t - 10.5) / 2.5) ** 2) + 3.5 * np.exp(-((t - 15) / 2.5) ** 2))


def _violated(m: pe.ConcreteModel, values) -> list[str]:
    for v, val in values.items():
        v.set_value(val, skip_validation=True)
    bad = []
    for con in m.component_data_objects(pe.Constraint, active=True):
        body = pe.value(con.body)
        if (con.lower is not None and body < pe.value(con.lower) - 1e-6) or \
                (con.upper is not None and body > pe.value(con.upper) + 1e-6):
            bad.append(con.name)
    return bad


@pytest.mark.parametrize("breaks", ["aykin", "bj"])
@pytest.mark.parametrize("start", ["dive", "rf"])
def test_lns_start_is_a_feasible_integer_point_at_or_above_the_lp_bound(breaks, start):
    slots, _, ts = requirement_to_slots(_day_requirement(), 1800, ShiftRules(days_off=None))
    bm = build_model(ts, slots, breaks=breaks)
    values, info = lns_start(bm, time_budget_s=20.0, start=start)
    assert values is not None
    assert _violated(bm.model, values) == []
    ints = [v for v in bm.model.component_data_objects(pe.Var) if v.is_integer()]
    assert all(values[v] == round(values[v]) for v in ints)
    cost = float(ts.cost @ np.array([values[bm.model.x[i]] for i in bm.model.x]))
    assert cost == pytest.approx(info["lns"])
    assert cost >= info["lp_bound"] - 1e-6


def test_lns_start_handles_the_days_off_model():
    """Customer rules with 5-on/2-off on a week: pattern counts and heads are solved after x is fixed."""
    req = np.tile(_day_requirement(), 7)
    slots, _, ts = requirement_to_slots(req, 1800, ShiftRules())
    bm = build_model(ts, slots)
    values, info = lns_start(bm, time_budget_s=30.0)
    assert values is not None and len(bm.model.w)
    assert _violated(bm.model, values) == []


def test_lns_warm_start_keeps_the_optimum():
    req, r = _day_requirement(), ShiftRules(days_off=None)
    cold = schedule(req, 1800, r, mip_rel_gap=0.0)
    warm = schedule(req, 1800, r, mip_rel_gap=0.0, warm_start="lns")
    assert warm.cost == pytest.approx(cold.cost)
    assert warm.under_agent_intervals == 0


def test_unknown_warm_start_is_one_clear_error():
    with pytest.raises(ValueError, match="warm_start must be"):
        schedule(_day_requirement(), 1800, ShiftRules(days_off=None), warm_start="magic")
    slots, _, ts = requirement_to_slots(_day_requirement(), 1800, ShiftRules(days_off=None))
    with pytest.raises(ValueError, match="start must be"):
        lns_start(build_model(ts, slots), 5.0, start="magic")


def test_a_spent_budget_still_gives_a_start():
    """Past the deadline the dive rounds every fractional column up at once instead of returning no start."""
    slots, _, ts = requirement_to_slots(_day_requirement(), 1800, ShiftRules(days_off=None))
    bm = build_model(ts, slots)
    values, info = lns_start(bm, time_budget_s=1e-3)
    assert values is not None
    assert _violated(bm.model, values) == []
    assert info["dive"] == info["lns"]          # no time left for fix-and-optimise
