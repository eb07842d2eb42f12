"""Edges of ``staffing/requirements.py`` judged without the functions under test: trunk lines against an
Erlang B / Erlang C recursion in mpmath (written here), the documented limits with no traffic or no agents,
pass-through columns, scenario duck typing, and error messages that name the field (issue 18's mutation run).
"""
from __future__ import annotations

from types import SimpleNamespace

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

from staffing.requirements import (StaffingTarget, agents_for_target, agents_for_traffic, predicted_metrics,
                                   requirements_from_scenario, requirements_table, trunks_for_target)

mp.mp.dps = 30


def mp_erlang_b(traffic, lines) -> mp.mpf:
    inv = mp.mpf(1)
    for k in range(1, int(lines) + 1):
        inv = 1 + k / mp.mpf(traffic) * inv
    return 1 / inv


def mp_erlang_c_wait(traffic, agents, aht) -> float:
    """Mean wait of all offered calls in M/M/N (Erlang C): C aht / (N - A); 0 for the oracle when N <= A."""
    a, n = mp.mpf(traffic), int(agents)
    if n <= a:
        return 0.0
    b = mp_erlang_b(a, n)
    c = n * b / (n - a * (1 - b))
    return float(c * aht / (n - a))


def mp_lines(traffic, blocking) -> int:
    n = 0
    while mp_erlang_b(traffic, n) > blocking:
        n += 1
    return n


def test_trunks_hold_talking_and_waiting_calls():
    # 100 calls per 30 min at 180 s: 10 E. Lines carry the calls while they talk AND while they queue.
    calls = np.array([100.0, 100.0, 100.0, 40.0])
    agents = np.array([11, 14, 30, 2])          # the last interval is unstable (N <= A): its wait counts as 0
    target = StaffingTarget(service_level=0.8, service_time_s=20, blocking=0.01)
    got = trunks_for_target(calls, 180.0, 1800.0, agents, target)
    want = [mp_lines(c / 1800.0 * (180.0 + mp_erlang_c_wait(c * 180.0 / 1800.0, n, 180.0)), 0.01)
            for c, n in zip(calls, agents)]
    assert got.tolist() == want
    assert want[0] > want[2]                   # the queue of 11 agents needs more lines than 30 agents' none
    table = requirements_table(pd.DataFrame({"calls": calls}), target, interval_s=1800.0, default_aht_s=180.0)
    assert table["trunks"].tolist() == trunks_for_target(calls, 180.0, 1800.0, table["agents"].to_numpy(),
                                                         target).tolist()


def test_requirements_table_keeps_the_interval_column():
    wl = pd.DataFrame({"interval": [5, 6, 7], "calls": [10.0, 0.0, 30.0]})
    out = requirements_table(wl, {"service_level": 0.8, "service_time_s": 20}, interval_s=900.0, default_aht_s=200.0)
    assert out["interval"].tolist() == [5, 6, 7]
    assert out["interval_start_s"].tolist() == [0.0, 900.0, 1800.0]


@pytest.mark.parametrize("patience", [None, 120.0])
def test_no_traffic_and_no_agents(patience):
    """No offered calls: nothing waits, also with 0 agents; traffic without agents: occupancy 1 (saturated)."""
    target = StaffingTarget(service_level=0.8, service_time_s=20, patience_mean_s=patience)
    m = predicted_metrics(np.array([0.0, 0.0, 5.0]), np.array([0, 3, 0]), 180.0, target)
    assert m["mean_wait_s"][:2].tolist() == [0.0, 0.0]
    assert m["wait_probability"][:2].tolist() == [0.0, 0.0]
    assert m["occupancy"].tolist() == [0.0, 0.0, 1.0]
    assert m["wait_probability"][2] == 1.0


def test_erlang_a_wait_probability_against_the_chain():
    # M/M/3+M, 2.5 E, aht 100 s, patience 50 s: P(all agents busy) from the birth-death balance equations
    lam, mu, th, n = 2.5 / 100.0, 1 / 100.0, 1 / 50.0, 3
    p = [1.0]
    for k in range(1, 400):
        p.append(p[-1] * lam / (min(k, n) * mu + max(k - n, 0) * th))
    p = np.array(p) / sum(p)
    target = StaffingTarget(service_level=0.8, service_time_s=20, patience_mean_s=50.0)
    assert predicted_metrics(2.5, 3, 100.0, target)["wait_probability"] == pytest.approx(p[n:].sum(), rel=1e-9)


def test_scenario_duck_typing_and_on_call_heads():
    wl = pd.DataFrame({"calls": [20.0] * 4, "aht_s": [600.0] * 4})
    base = dict(workload=lambda: wl, horizon=SimpleNamespace(interval_s=21600),
                staffing_targets=lambda: {"service_level": 0.8, "service_time_s": 20})
    # anything with the Scenario API: without 'agents' there is no shrinkage
    plain = requirements_from_scenario(SimpleNamespace(**base))
    assert (plain["heads"] == plain["agents"]).all()
    # shrinkage 50 %: heads double, except in the on-call night (00:00-06:00 of the default night duty window)
    from staffing.shifts.rules import DutyWindow, ShiftRules
    rules = ShiftRules(duty_windows=[DutyWindow(name="night", role="night_duty", start="00:00", end="06:00")])
    agents = SimpleNamespace(shrinkage=0.5, shrinkage_on_call=False)
    t = requirements_from_scenario(SimpleNamespace(**base, agents=agents, shifts=rules))
    assert t["heads"].iloc[0] == t["agents"].iloc[0]
    assert (t["heads"].iloc[1:] == 2 * t["agents"].iloc[1:]).all()
    on = requirements_from_scenario(SimpleNamespace(**base, agents=SimpleNamespace(shrinkage=0.5), shifts=rules))
    assert (on["heads"] == 2 * on["agents"]).all()


@pytest.mark.parametrize("make,message", [
    (lambda: StaffingTarget(service_level=1.5, service_time_s=20), "service_level must be in (0, 1), got 1.5"),
    (lambda: StaffingTarget(occupancy_max=1.5), "occupancy_max must be in (0, 1], got 1.5"),
    (lambda: StaffingTarget(service_level=0.8), "service_level and service_time_s must be given together"),
    (lambda: StaffingTarget(service_level=0.8, service_time_s=20, patience_mean_s=0.0),
     "patience_mean_s must be a finite number of seconds > 0, got 0.0"),
    (lambda: StaffingTarget(service_level=0.8, service_time_s=20, short_abandon_s=0.5),
     "short_abandon_s needs patience_mean_s"),
    (lambda: StaffingTarget(), "no staffing target given: set service_level+service_time_s, asa_s, abandon_rate "
                               "or occupancy_max"),
    (lambda: agents_for_traffic(-1.0, 180.0, {"asa_s": 20}), "traffic must be >= 0"),
    (lambda: agents_for_target([10.0], 0.0, 1800.0, {"asa_s": 20}), "aht_s must be > 0"),
    (lambda: trunks_for_target([10.0], 180.0, 1800.0, [5], {"asa_s": 20}),
     "trunks_for_target needs target.blocking"),
    (lambda: trunks_for_target([-1.0], 180.0, 1800.0, [5], {"asa_s": 20, "blocking": 0.01}), "calls must be >= 0"),
    (lambda: requirements_table(pd.DataFrame({"calls": [1.0], "aht_s": [np.nan]}), {"asa_s": 20}, interval_s=900.0),
     "aht_s is empty in some rows and no default AHT is given (use --aht SECONDS)"),
    (lambda: requirements_table(pd.DataFrame({"calls": [1.0]}), {"asa_s": 20}, interval_s=900.0),
     "no aht_s column in the volumes and no default AHT given (use --aht SECONDS)"),
])
def test_error_messages_name_the_field(make, message):
    with pytest.raises(ValueError) as err:
        make()
    assert str(err.value).startswith(message)
