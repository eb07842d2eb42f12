"""Simulation-verified staffing loop, with a fake simulator built here.

The fake ``run_fn`` replays the roster minute by minute (roster_coverage, non-cyclic, so the loop must hand it
the wrapped roster) and reports per-replication service levels from an Erlang C formula written here, but
evaluated with an *offset* number of agents: offset -1 = the centre performs one agent worse than Erlang C
predicts (the loop must raise the requirement), offset +2 = better (the loop may lower it). Noise per
replication is N(0, 0.01); with 10 replications the CI half-width is ~0.007, far below the 0.05 margins.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from staffing.shifts import ShiftRules, roster_coverage
from staffing.shifts.verify import erlang_c_requirement, erlang_requirement, interval_stats, judge, optimise_with_simulation

INTERVAL_S = 1800
AHT = 300.0
T_S = 20.0
TARGET = 0.8


def erlang_sl(calls: float, agents: int) -> float:
    """Erlang C service level P(W <= 20 s), straight from the textbook formulas (independent of staffing.*)."""
    a = calls * AHT / INTERVAL_S
    if calls <= 0:
        return 1.0
    if agents <= a:
        return 0.0
    b = 1.0
    for k in range(1, agents + 1):
        b = a * b / (k + a * b)
    c = agents * b / (agents - a * (1 - b))
    return 1.0 - c * math.exp(-(agents - a) * T_S / AHT)


def erlang_agents(calls: float) -> int:
    n = 0 if calls <= 0 else int(calls * AHT / INTERVAL_S) + 1
    while calls > 0 and erlang_sl(calls, n) < TARGET:
        n += 1
    return n


def day_calls() -> np.ndarray:
    t = np.arange(48) / 2
    calls = 40 * np.exp(-((t - 10.5) / 2.0) ** 2) + 30 * np.exp(-((t - 15.0) / 2.5) ** 2)
    calls[(t < 8) | (t >= 20)] = 0.2      # night: 2 calls over 10 replications, below min_calls, not judged
    return calls


class FakeScenario:
    def __init__(self, calls, roster=None, shrinkage=0.0):
        self.calls = np.asarray(calls, float)
        self.roster = roster
        self.horizon = SimpleNamespace(interval_s=INTERVAL_S, days=len(calls) * INTERVAL_S // 86400,
                                       start_weekday=0)
        self.agents = SimpleNamespace(shrinkage=shrinkage)

    def workload(self):
        n = len(self.calls)
        return pd.DataFrame({"interval": np.arange(n), "interval_start_s": np.arange(n) * float(INTERVAL_S),
                             "calls": self.calls, "aht_s": np.full(n, AHT)})

    def staffing_targets(self):
        return {"service_level": TARGET, "service_time_s": T_S, "patience_mean_s": None}

    def with_roster(self, roster):
        return FakeScenario(self.calls, roster, self.agents.shrinkage)


def fake_run(offset: int, log: list):
    def run(sc, replications=None, seed=None):
        reps = replications or 10
        rng = np.random.default_rng(seed if seed is not None else 7)
        staffed = roster_coverage(sc.roster, sc.horizon.days, INTERVAL_S, cyclic=False)["on_phone_min"].to_numpy()
        log.append(staffed)
        rows = []
        for r in range(reps):
            for k, (calls, n) in enumerate(zip(sc.calls, staffed)):
                sl = erlang_sl(calls, int(max(n + offset, 0))) + rng.normal(0, 0.01)
                rows.append({"replication": r, "interval": k, "interval_start_s": k * INTERVAL_S * 1.0,
                             "service_level": min(max(sl, 0.0), 1.0), "offered": calls})
        return SimpleNamespace(intervals=pd.DataFrame(rows))
    return run


@pytest.mark.parametrize("fn", [erlang_requirement, erlang_c_requirement])
def test_erlang_requirement_matches_textbook_erlang_c(fn):
    calls = day_calls()
    req = fn(FakeScenario(calls))
    expected = np.array([erlang_agents(c) for c in calls])
    assert np.array_equal(req, expected)
    # shrinkage 20 %: heads = ceil(agents / 0.8)
    req_s = fn(FakeScenario(calls, shrinkage=0.2))
    assert np.array_equal(req_s, np.ceil(expected / 0.8 - 1e-9))


def test_loop_raises_requirement_until_target_met():
    calls = day_calls()
    erl = np.array([erlang_agents(c) for c in calls])
    log: list = []
    out = optimise_with_simulation(FakeScenario(calls), run_fn=fake_run(-1, log), rules=ShiftRules(),
                                   requirement=erl, max_iter=6, replications=10, seed=3)
    assert out.converged
    judged = calls * 10 >= 30.0          # min_calls default: 30 calls pooled over the 10 replications
    staffed = roster_coverage(out.roster, 1, INTERVAL_S, cyclic=False)["on_phone_min"].to_numpy()
    # the centre serves like Erlang C with one agent less, so a judged interval needs Erlang + 1 where Erlang's
    # staffing would clearly miss (SL < 0.7: beyond the CI of ~400 pooled calls, which is ±0.04); closer misses
    # may stay inconclusive (the target inside their CI) and are then not counted as misses
    clear = judged & np.array([erlang_sl(c, int(n) - 1) < TARGET - 0.1 for c, n in zip(calls, erl)])
    assert clear.sum() >= 5 and (staffed[clear] >= erl[clear] + 1).all()
    assert not out.interval_stats["fail"].any()
    assert (out.requirement[judged] >= erl[judged]).all()
    h = out.history
    assert h.loc[0, "failed_intervals"] > 0                 # Erlang alone under-served
    assert len(h) >= 2 and out.result.cost > h.loc[0, "cost"]
    assert h.loc[0, "worst_service_level"] < TARGET
    assert "Erlang C" in out.explanation and "raised" in out.explanation
    # every simulated roster covered the 24 h rule (wrapped night duty included)
    assert all((s >= 1).all() for s in log)


def test_loop_lowers_over_served_intervals_without_oscillating():
    calls = day_calls()
    erl = np.array([erlang_agents(c) for c in calls])
    out = optimise_with_simulation(FakeScenario(calls), run_fn=fake_run(+2, []), rules=ShiftRules(),
                                   requirement=erl, max_iter=8, replications=10, seed=3)
    assert out.converged
    assert out.result.cost < out.history.loc[0, "cost"]
    assert (out.requirement <= erl).all() and (out.requirement < erl).any()
    st = out.interval_stats
    assert not st["fail"].any()
    # no oscillation: the loop stopped on an iteration that changed nothing, before the cap of 8 iterations,
    # and an interval raised back after a too-deep cut is not cut again (more lowered than raised overall)
    h = out.history
    assert len(h) < 8 and h.iloc[-1]["raised"] == 0 and h.iloc[-1]["lowered"] == 0
    assert h["lowered"].sum() > h["raised"].sum()


def test_interval_stats_confidence_interval_by_hand():
    df = pd.DataFrame({"replication": [0, 1, 2] * 3, "interval": [0, 0, 0, 1, 1, 1, 2, 2, 2],
                       "service_level": [0.7, 0.8, 0.9] + [0.95] * 6,
                       "offered": [400, 400, 400, 100, 100, 100, 5, 5, 5]})
    st = interval_stats(df, {"service_level": 0.8}, level=0.95)
    # interval 0: ratio estimator 960 / 1200 = 0.8; delta-method se = sqrt((40^2 + 0 + 40^2) / (3*2)) / 400
    # = 0.057735; t(0.975, 2) = 4.3027; on the logit scale: logit(0.8) = 1.38629 +- 4.3027 * 0.057735 / 0.16
    # = +- 1.55262 -> [expit(-0.16633), expit(2.93891)] = [0.45851, 0.94975] (wider than Wilson on 1200 calls)
    assert st.loc[0, "service_level_mean"] == pytest.approx(0.8)
    assert st.loc[0, "service_level_ci_low"] == pytest.approx(0.45851, abs=1e-4)
    assert st.loc[0, "service_level_ci_high"] == pytest.approx(0.94975, abs=1e-4)
    assert st.loc[0, "offered"] == pytest.approx(400) and st.loc[0, "offered_total"] == pytest.approx(1200)
    # interval 2: zero spread between replications, but only 15 calls: Wilson (z = 1.96, n = 15, p = 0.95)
    # centre (0.95 + 3.8416/30) / (1 + 3.8416/15) = 0.85825, half-width 0.13454 -> low 0.7237
    assert st.loc[2, "service_level_ci_low"] == pytest.approx(0.7237, abs=2e-4)
    # interval 1: 300 calls -> Wilson low = 0.9443 - 0.0252 = 0.919 (by the same formula)
    assert st.loc[1, "service_level_ci_low"] == pytest.approx(0.919, abs=2e-3)
    # the rule of `acdsim check`: pass when the whole CI meets the target, fail when it misses it
    j = judge(st, {"service_level": 0.8}, over_margin=0.05, min_calls=1)
    assert list(j["status"]) == ["inconclusive", "pass", "inconclusive"]
    assert list(j["fail"]) == [False, False, False] and list(j["over"]) == [False, True, False]
    j2 = judge(st, {"service_level": 0.85}, over_margin=0.05, min_calls=1)
    assert list(j2["fail"]) == [False, False, False]      # a mean of 0.80 < 0.85 is not a miss by itself
    j3 = judge(st, {"service_level": 0.96}, over_margin=0.05, min_calls=1)
    assert list(j3["status"]) == ["fail", "inconclusive", "inconclusive"]   # interval 0: whole CI < 0.96
    j4 = judge(st, {"service_level": 0.85}, over_margin=0.05, min_calls=20)   # interval 2 has 15 calls
    assert list(j4["judged"]) == [True, True, False] and j4.loc[2, "status"] == "not judged"


def test_loop_needs_a_target():
    sc = FakeScenario(day_calls())
    sc.staffing_targets = lambda: {"patience_mean_s": None}
    with pytest.raises(ValueError, match="service target"):
        optimise_with_simulation(sc, run_fn=fake_run(0, []), requirement=np.ones(48))


def test_loop_caps_requirement_the_rules_cannot_staff():
    # 2 heads asked at 03:00 where only the single night-duty technician may work: capped with a note
    calls = day_calls()
    erl = np.array([erlang_agents(c) for c in calls])
    erl[6] = 2
    notes: list = []
    out = optimise_with_simulation(FakeScenario(calls), run_fn=fake_run(0, []), rules=ShiftRules(),
                                   requirement=erl, max_iter=2, replications=5, seed=1, progress=notes.append)
    assert out.requirement[6] == 1
    assert "capped" in out.explanation and "day 0 (Mon) 03:00 - 03:30" in out.explanation
    assert any("capped" in n for n in notes)


def test_loop_with_the_real_simulator_reaches_target_on_a_small_centre():
    import sim
    t = np.arange(48) / 2
    calls = 20 * np.exp(-((t - 10.5) / 2.0) ** 2) + 15 * np.exp(-((t - 15.0) / 2.5) ** 2)
    calls[(t < 8) | (t >= 20)] = 0.3
    sc = sim.Scenario.model_validate({
        "arrivals": {"calls_per_interval": calls.round(2).tolist()}, "agents": {"headcount": 1},
        "call_types": {"inquiry": {"share": 1.0, "talk": {"family": "lognormal", "mean": 240, "cv": 0.8},
                                   "acw": {"family": "deterministic", "mean": 60}}},
        "callers": {"patience": {"family": "exponential", "mean": 120}},
        "targets": {"service_level": {"min": 0.8}}, "replications": 10, "seed": 2})
    out = optimise_with_simulation(sc, max_iter=6)
    assert out.converged and len(out.history) <= 6
    assert not out.interval_stats["fail"].any()
    judged = out.interval_stats[out.interval_stats["judged"]]
    assert (judged["service_level_ci_high"] >= 0.8).all()       # no interval misses with its whole CI
    assert (judged["status"] != "fail").all() and (judged["service_level_mean"] >= 0.7).all()
    cov = roster_coverage(out.roster, 1, INTERVAL_S, cyclic=False)   # wrapped roster, replayed as simulated
    assert (cov["on_phone_min"] >= 1).all()


def flat_run(sl: float, log: list):
    """A centre whose service level is ``sl`` in every interval whatever the staffing, noise N(0, 0.02)."""
    def run(sc, replications=None, seed=None):
        rng = np.random.default_rng(seed)
        log.append(replications)
        rows = [{"replication": r, "interval": k, "interval_start_s": k * INTERVAL_S * 1.0,
                 "service_level": float(np.clip(sl + rng.normal(0, 0.02), 0, 1)), "offered": calls}
                for r in range(replications) for k, calls in enumerate(sc.calls)]
        return SimpleNamespace(intervals=pd.DataFrame(rows))
    return run


def test_noise_around_the_target_is_inconclusive_not_a_miss():
    # issue 11 item 7: judged by the mean, half of the intervals of a centre exactly at its target 'failed',
    # and which ones moved with the noise; by the CI rule they are inconclusive, get more replications, and
    # nothing is raised
    calls = day_calls()
    erl = np.array([erlang_agents(c) for c in calls])
    log: list = []
    out = optimise_with_simulation(FakeScenario(calls), run_fn=flat_run(TARGET, log), rules=ShiftRules(),
                                   requirement=erl, max_iter=3, replications=5, seed=3, max_replications=20)
    assert out.converged and not out.interval_stats["fail"].any()
    assert np.array_equal(out.requirement, np.minimum(erl, out.requirement)) and out.history.loc[0, "raised"] == 0
    assert log[:3] == [5, 10, 20]                       # inconclusive intervals at stake got more replications
    assert out.history.loc[0, "inconclusive_intervals"] > 0
    assert "inconclusive" in out.explanation


def test_a_centre_that_cannot_reach_the_target_does_not_converge():
    calls = day_calls()
    erl = np.array([erlang_agents(c) for c in calls])
    out = optimise_with_simulation(FakeScenario(calls), run_fn=flat_run(0.3, []), rules=ShiftRules(),
                                   requirement=erl, max_iter=2, replications=5, seed=3)
    assert not out.converged and out.interval_stats["fail"].sum() > 5
    assert "NOT CONVERGED" in out.explanation


class PatientScenario(FakeScenario):
    def staffing_targets(self):
        return {"service_level": TARGET, "service_time_s": T_S, "patience_mean_s": 120.0}


def test_explanation_names_the_model_that_was_used():
    calls = day_calls()
    erl = np.array([erlang_agents(c) for c in calls])
    out = optimise_with_simulation(PatientScenario(calls), run_fn=fake_run(-1, []), rules=ShiftRules(),
                                   requirement=erl, max_iter=1, replications=5, seed=3)
    assert "Erlang A" in out.explanation and "Erlang C" not in out.explanation
