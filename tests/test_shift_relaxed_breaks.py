"""Continuous break variables in the search, integer breaks at the end (staffing/shifts/relaxed_breaks.py)."""
import numpy as np
import pyomo.environ as pe
import pytest

from staffing.shifts import ShiftRules, schedule
from staffing.shifts.model import build_model
from staffing.shifts.relaxed_breaks import integer_breaks, relax_breaks
from staffing.shifts.solve import requirement_to_slots


def _day_requirement() -> np.ndarray:
    t = np.arange(48) / 2
    return np.round(1 + 5.5 * np.exp(-((t - 10.5) / 2.5) ** 2) + 3.5 * np.exp(-((t - 15) / 2.5) ** 2))


@pytest.mark.parametrize("rules", [ShiftRules(days_off=None), ShiftRules(days_off=None, start_granularity_minutes=15)])
def test_relaxed_breaks_keep_the_optimum_and_give_integer_breaks(rules):
    req = _day_requirement()
    full = schedule(req, 1800, rules, mip_rel_gap=0.0)
    relaxed = schedule(req, 1800, rules, mip_rel_gap=0.0, integer_breaks_in_search=False)
    assert relaxed.cost == pytest.approx(full.cost)
    assert relaxed.under_agent_intervals == 0              # coverage recomputed from the integer roster
    assert (relaxed.roster["count"] == relaxed.roster["count"].round()).all()


def test_integer_breaks_reports_an_x_without_a_break_placement():
    slots, _, ts = requirement_to_slots(_day_requirement(), 1800, ShiftRules(days_off=None))
    bm = build_model(ts, slots)
    relax_breaks(bm)
    assert not any(v.is_integer() for v in bm.model.b.values())
    assert not integer_breaks(bm, np.zeros(ts.n_cols), 5.0, None)      # nobody works: no roster at all
    assert all(v.is_integer() for v in bm.model.b.values())
    assert not any(bm.model.x[i].fixed for i in bm.model.x)


def test_large_models_default_to_lns_and_relaxed_breaks(monkeypatch):
    import staffing.shifts.solve as S
    req, rules = _day_requirement(), ShiftRules(days_off=None)
    calls = []
    monkeypatch.setattr(S, "relax_breaks", lambda bm: calls.append(bm) or relax_breaks(bm))
    small = schedule(req, 1800, rules, mip_rel_gap=0.0)
    assert calls == []                                     # below LARGE_MODEL_INTEGERS: unchanged
    monkeypatch.setattr(S, "LARGE_MODEL_INTEGERS", 0)
    large = schedule(req, 1800, rules, mip_rel_gap=0.0)
    assert len(calls) == 1 and large.cost == pytest.approx(small.cost)


def test_no_integer_breaks_falls_back_to_the_full_model_or_says_so(monkeypatch):
    import staffing.shifts.solve as S

    def no_breaks(bm, x, time_limit_s, threads):           # as integer_breaks when it finds none
        for v in bm.model.b.values():
            v.domain = pe.NonNegativeIntegers
        return False

    req, rules = _day_requirement(), ShiftRules(days_off=None)
    ref = schedule(req, 1800, rules, mip_rel_gap=0.0)
    monkeypatch.setattr(S, "integer_breaks", no_breaks)
    monkeypatch.setattr(S, "LARGE_MODEL_INTEGERS", 0)
    assert schedule(req, 1800, rules, mip_rel_gap=0.0).cost == pytest.approx(ref.cost)   # automatic: fallback
    with pytest.raises(S.ScheduleSolveError, match="integer_breaks_in_search=True"):
        schedule(req, 1800, rules, mip_rel_gap=0.0, integer_breaks_in_search=False)     # asked for: error
