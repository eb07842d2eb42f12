"""Rows exactly on a boundary of a metrics.md definition, in a hand-built log and in tiny deterministic runs.

metrics.md: service level counts calls "answered within X s" (wait <= X); a short abandon is one "abandoned
after waiting <= short_abandon_s"; rings = ceil(time to answer / ring cycle), so an answer after exactly
three cycles is three rings; calls belong to the interval in which they arrive and a call arriving at the
end of the warm-up is reported. A caller whose patience runs out exactly at the pickup ring hangs up
(``sim/model.py``: the caller is gone when the phone would be picked up), and that abandon is short.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.agents import OutboundLog
from sim.calllog import ABANDONED, HANDLED, CallLog, PeriodLog
from sim.metrics import compute_metrics
from sim.model import ModelOutput
from sim.schedule import ShiftInstance

NAN = math.nan
X = 20.0  # service-level threshold and short-abandon limit, seconds


def scenario(**metrics) -> sim.Scenario:
    return sim.Scenario.model_validate({
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_minutes": 60},
        "arrivals": {"calls_per_hour": 1},
        "call_types": {"call": {"share": 1.0, "talk": 100}},
        "agents": {"headcount": 1},
        "attrition": {"annual_rate": 0},
        "metrics": {"service_level_threshold_s": X, "short_abandon_s": X, "exclude_short_abandons": True}
        | metrics,
    })


def boundary_log() -> ModelOutput:
    """Rows (arrive = enqueue): the first is before the warm-up ends (not reported), the rest after it."""
    rows = [  # arrive, wait, outcome
        (3599.5, 5.0, HANDLED),         # before the end of the warm-up: not reported
        (3600.0, X, HANDLED),           # exactly at the end of the warm-up; waited exactly X: within SL
        (3700.0, X + 0.5, HANDLED),     # just over X: outside SL
        (3800.0, X, ABANDONED),         # hung up after exactly the short-abandon limit: short
        (3900.0, X + 0.5, ABANDONED),   # just over the limit: a real abandon
        (7199.0, 0.0, HANDLED),         # last instant of interval 1
        (7200.0, 0.0, HANDLED),         # first instant of interval 2
    ]
    log = CallLog()
    for k, (arrive, wait, outcome) in enumerate(rows):
        i = log.new(caller=k, attempt=0, origin=0, call_type=0, arrive=arrive)
        log.enqueue[i] = arrive
        log.outcome[i] = outcome
        log.queued[i] = int(wait > 0)
        if outcome == HANDLED:
            log.answer[i] = arrive + wait
            log.talk[i], log.hold[i], log.acw[i] = 10.0, 0.0, 0.0
            log.talk_end[i] = log.acw_end[i] = arrive + wait + 10.0
            log.agent[i], log.resolved[i] = 0, 1
        else:
            log.abandon[i] = arrive + wait
    ready = PeriodLog()
    ready.add(0, 0.0, 86400.0)
    return ModelOutput(log, ready, OutboundLog(), [ShiftInstance("agent", 0.0, 86400.0)], ["agent"])


@pytest.fixture(scope="module")
def computed():
    return compute_metrics(boundary_log(), scenario(), np.random.default_rng(0))


def test_wait_of_exactly_the_threshold_is_within_service_level(computed):
    run, _ = computed
    # offered 6 (the warm-up row is not reported), 1 short abandon; within X: the X wait and two 0 waits.
    assert run["offered"] == 6 and run["short_abandoned"] == 1
    assert run["service_level"] == pytest.approx(3 / 5)


def test_abandon_after_exactly_the_limit_is_short(computed):
    run, _ = computed
    assert run["abandon_rate"] == pytest.approx(1 / 5)
    assert run["avg_abandon_time"] == pytest.approx((X + X + 0.5) / 2)  # short abandons still have a wait


def test_boundaries_with_short_abandons_counted():
    run, _ = compute_metrics(boundary_log(), scenario(exclude_short_abandons=False), np.random.default_rng(0))
    assert run["short_abandoned"] == 0
    assert run["service_level"] == pytest.approx(3 / 6)
    assert run["abandon_rate"] == pytest.approx(2 / 6)


def test_threshold_zero_counts_only_immediate_answers():
    run, _ = compute_metrics(boundary_log(), scenario(service_level_threshold_s=0, short_abandon_s=0),
                             np.random.default_rng(0))
    assert run["short_abandoned"] == 0
    assert run["service_level"] == pytest.approx(2 / 6)  # the two calls answered after 0 s


def test_calls_belong_to_the_interval_they_arrive_in(computed):
    run, iv = computed
    assert run["total_calls"] == 6
    by_start = iv.set_index("interval_start_s")
    assert 0.0 not in by_start.index  # the warm-up hour is not reported
    assert by_start.loc[3600.0, "total_calls"] == 5
    assert by_start.loc[7200.0, "total_calls"] == 1
    assert iv["total_calls"].sum() == 6


# ---------------------------------------------------------------- the same boundaries in the model
def ringing_scenario(patience) -> sim.Scenario:
    """Calls 30 min apart on an idle agent: each rings exactly ``pickup_rings`` cycles before pick-up."""
    return sim.Scenario.model_validate({
        "horizon": {"days": 1},
        "arrivals": {"calls_per_interval": [1.0] * 48},
        "call_types": {"call": {"share": 1.0, "talk": 5}},
        "telephony": {"pickup_rings": 3, "ring_cycle_s": 6},
        "callers": {"patience": patience},
        "agents": {"headcount": 1},
        "metrics": {"service_level_threshold_s": 18, "short_abandon_s": 18},
    })


def test_answer_after_exactly_three_rings_is_three_rings_and_within_sl():
    res = sim.run(ringing_scenario(600), replications=1, seed=3)
    calls = res.calls
    assert len(calls) > 20 and (calls["outcome"] == "handled").all()
    # Exactly 18 s by construction; the log's time stamps differ from it by float round-off only.
    np.testing.assert_allclose(calls["answer"] - calls["enqueue"], 18.0, rtol=0, atol=1e-9)
    assert (calls["rings"] == 3).all()
    assert res.metric("avg_rings") == 3.0
    assert res.metric("service_level") == 1.0  # a wait of exactly 18 s is within 18 s


def test_hang_up_exactly_at_the_pickup_ring_is_a_short_abandon():
    res = sim.run(ringing_scenario(18), replications=1, seed=3)
    calls = res.calls
    assert len(calls) > 20 and (calls["outcome"] == "abandoned").all()
    np.testing.assert_allclose(calls["abandon"] - calls["enqueue"], 18.0, rtol=0, atol=1e-9)
    assert res.metric("short_abandoned") == len(calls)
    assert math.isnan(res.metric("service_level"))  # every offered call was a short abandon


def test_hang_up_just_after_the_pickup_ring_is_answered():
    res = sim.run(ringing_scenario(18.001), replications=1, seed=3)
    assert (res.calls["outcome"] == "handled").all()
