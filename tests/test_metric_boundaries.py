"""Rows exactly on a boundary of a metrics.md definition, in a hand-built log and in tiny deterministic runs.

metrics.md: service level counts calls "answered within X s" (wait <= X); a short abandon is one "abandoned
after waiting <= short_abandon_s"; rings = ceil(time to answer / ring cycle), so an answer after exactly
three cycles is three rings; calls belong to the interval in which they arrive and a call arriving at the
end of the warm-up is reported. A caller whose patience runs out exactly at the pickup ring hangs up
(``sim/model.py``: the caller is gone when the phone would be picked up), and that abandon is short.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import sim
from sim.agents import OutboundLog
from sim.calllog import ABANDONED, BLOCKED, HANDLED, IN_SYSTEM, CallLog, PeriodLog
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
    """Rows (arrive = enqueue); the first is before the warm-up ends, the one at 86 400 s after the horizon."""
    rows = [  # arrive, wait, outcome
        (3599.5, 5.0, HANDLED),         # 0 before the end of the warm-up: not reported
        (3600.0, X, HANDLED),           # 1 exactly at the end of the warm-up; waited exactly X: within SL
        (3700.0, X + 0.5, HANDLED),     # 2 just over X: outside SL
        (3800.0, X, ABANDONED),         # 3 hung up after exactly the short-abandon limit: short
        (3900.0, X + 0.5, ABANDONED),   # 4 just over the limit: a real abandon
        (4000.0, NAN, BLOCKED),         # 5 busy signal: an attempt, not offered
        (5000.0, 0.0, IN_SYSTEM),       # 6 answered, still talking when the run ended: answered, not handled
        (7199.0, 0.0, HANDLED),         # 7 last instant of interval 1
        (7200.0, 0.0, HANDLED),         # 8 first instant of interval 2, the only call there
        (86390.0, 30.0, HANDLED),       # 9 waits across the end of the horizon (10 s of it inside)
        (86400.0, 0.0, HANDLED),        # 10 at the end of the horizon: not reported
    ]
    log = CallLog()
    for k, (arrive, wait, outcome) in enumerate(rows):
        i = log.new(caller=k, attempt=0, origin=0, call_type=0, arrive=arrive)
        log.outcome[i] = outcome
        if outcome == BLOCKED:
            continue
        log.enqueue[i] = arrive
        log.queued[i] = int(wait > 0)
        if outcome == ABANDONED:
            log.abandon[i] = arrive + wait
            continue
        log.answer[i] = arrive + wait
        log.agent[i] = 0
        if outcome == HANDLED:
            log.talk[i], log.hold[i], log.acw[i] = 10.0, 0.0, 0.0
            log.talk_end[i] = log.acw_end[i] = arrive + wait + 10.0
            log.resolved[i] = 1
    ready = PeriodLog()
    ready.add(0, 0.0, 86400.0)
    # scheduled from 01:30: interval 1 (01:00-02:00) has half a logged-in hour
    return ModelOutput(log, ready, OutboundLog(), [ShiftInstance("agent", 5400.0, 86400.0)], ["agent"])


def compute(out=None, **metrics):
    return compute_metrics(out or boundary_log(), scenario(**metrics), np.random.default_rng(0))


def test_wait_of_exactly_the_threshold_is_within_service_level():
    run, _ = compute()
    # offered: rows 1-4 and 6-9; one short abandon (row 3); within X: row 1 (exactly X) and rows 6-8 (0 s)
    assert run["offered"] == 8 and run["short_abandoned"] == 1 and run["answered"] == 6
    assert run["service_level"] == pytest.approx(4 / 7)


def test_abandon_after_exactly_the_limit_is_short():
    run, _ = compute()
    assert run["abandon_rate"] == pytest.approx(1 / 7)
    assert run["avg_abandon_time"] == pytest.approx((X + X + 0.5) / 2)  # short abandons still have a wait


def test_boundaries_with_short_abandons_counted():
    run, _ = compute(exclude_short_abandons=False)
    assert run["short_abandoned"] == 0
    assert run["service_level"] == pytest.approx(4 / 8)
    assert run["abandon_rate"] == pytest.approx(2 / 8)


def test_threshold_zero_counts_only_immediate_answers():
    run, _ = compute(service_level_threshold_s=0, short_abandon_s=0)
    assert run["short_abandoned"] == 0
    assert run["service_level"] == pytest.approx(3 / 8)  # rows 6, 7, 8 answered after 0 s


def test_calls_belong_to_the_interval_they_arrive_in():
    run, iv = compute()
    assert run["total_calls"] == 9 and run["blocked_rate"] == pytest.approx(1 / 9)
    by_start = iv.set_index("interval_start_s")
    assert 0.0 not in by_start.index  # the warm-up hour is not reported
    assert by_start.loc[3600.0, "total_calls"] == 7
    assert by_start.loc[7200.0, "total_calls"] == 1
    assert by_start.loc[82800.0, "total_calls"] == 1
    assert iv["total_calls"].sum() == 9


def test_answered_but_unfinished_call_is_not_handled():
    run, _ = compute()
    assert run["handled"] == 5  # rows 1, 2, 7, 8, 9
    assert run["aht"] == pytest.approx(10.0) and run["asa"] == pytest.approx((X + X + 0.5 + 30.0) / 6)


def test_ratios_with_a_denominator_of_one_or_below_one():
    _, iv = compute()
    by_start = iv.set_index("interval_start_s")
    assert by_start.loc[7200.0, "service_level"] == 1.0 and by_start.loc[7200.0, "asa"] == 0.0
    # interval 1: rows 1, 2, 7 handled over half a logged-in hour
    assert by_start.loc[3600.0, "calls_per_agent_hour"] == pytest.approx(6.0)


def test_run_time_averages_use_the_reported_window():
    run, _ = compute()
    window = 86400.0 - 3600.0
    assert run["agents_ready"] == pytest.approx(1.0)  # ready all day; only the reported 23 h count
    # waiting inside the window: 4.5 s of row 0, rows 1-4 in full, 10 s of row 9
    assert run["avg_queue_length"] == pytest.approx((4.5 + X + X + 0.5 + X + X + 0.5 + 10.0) / window)


def test_the_calls_frame_given_is_the_one_measured():
    out = boundary_log()
    frame = out.calls.frame(["call"])
    empty = dataclasses.replace(out, calls=CallLog())
    a, _ = compute_metrics(out, scenario(), np.random.default_rng(0))
    b, _ = compute_metrics(empty, scenario(), np.random.default_rng(0), calls=frame)
    assert a.keys() == b.keys()
    for k in a:
        assert (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k], k


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


# ---------------------------------------------------------------- counts, outbound work and costs
def with_outbound() -> ModelOutput:
    out = boundary_log()
    for start, end in ((3000.0, 3700.0), (3600.0, 3660.0), (7300.0, 7330.0), (86350.0, 86460.0), (86400.0, 86450.0)):
        out.outbound.add("return_visit", start, start + 3600.0, start, end, 0)
    return out


def test_count_columns_of_the_run_and_intervals():
    run, iv = compute(with_outbound())
    counts = {"offered": 8, "answered": 6, "abandoned": 2, "short_abandoned": 1, "blocked": 1, "ivr_completed": 0,
              "handled": 5, "outbound_calls": 3}  # outbound starts at 03:00 (warm-up) and 24:00 do not count
    assert {k: run[k] for k in counts} == counts
    assert list(iv.columns[:2]) == ["interval", "interval_start_s"]
    assert iv["interval"].tolist() == list(range(1, 24)) and iv.index.tolist() == list(range(23))
    np.testing.assert_array_equal(iv["interval_start_s"], np.arange(1, 24) * 3600.0)
    by_start = iv.set_index("interval_start_s")
    assert by_start.loc[3600.0, "outbound_calls"] == 1 and by_start.loc[82800.0, "outbound_calls"] == 1
    # interval 2: row 8 (10 s), the last 9 s of row 7 (answered 01:59:59) and 30 s of outbound work
    assert by_start.loc[7200.0, "outbound_share"] == pytest.approx(30 / 49)
    assert by_start.loc[7200.0, "occupancy"] == pytest.approx(49 / 3600)


def test_costs_by_hand():
    # Agent 01:30-24:00 with a 15-min hand-over, an unpaid 30-min break at 40 000 s and a paid one at 60 000 s;
    # night duty 00:00-08:00 (its hand-over and the first hour are in the warm-up). Reported window 01:00-24:00.
    out = dataclasses.replace(boundary_log(), instances=[
        ShiftInstance("agent", 5400.0, 86400.0, breaks=[(40000.0, 1800.0, False), (60000.0, 900.0, True)]),
        ShiftInstance("night_duty", 0.0, 28800.0), ShiftInstance("agent", 5400.0, 86400.0, absent=True)])
    sc = scenario()
    sc = sc.model_copy(update={
        "costs": sc.costs.model_copy(update={"agent_hourly": 36.0, "night_duty_hourly": 18.0, "fixed_daily": 300.0,
                                             "line_daily": 10.0, "tier2_hourly": 60.0}),
        "telephony": sc.telephony.model_copy(update={"trunks": 4}),
        "transfers": sc.transfers.model_copy(update={"tier2_agents": 1}),
        "agents": sc.agents.model_copy(update={"handover_minutes": 15})})
    run, iv = compute_metrics(out, sc, np.random.default_rng(0))
    agent = ((40000.0 - 4500.0) + (86400.0 - 41800.0)) * 36.0 / 3600.0   # paid: 01:15 to the end, less the lunch
    night = (28800.0 - 3600.0) * 18.0 / 3600.0                            # only the part after the warm-up
    centre = 23 * 3600.0 * ((300.0 + 10.0 * 4) / 86400.0 + 60.0 / 3600.0)  # fixed + lines + tier 2, 23 hours
    assert run["cost_per_call"] == pytest.approx((agent + night + centre) / 5)
    assert run["attendance"] == pytest.approx(2 / 3)


def test_recruiting_cost_scales_with_the_recruit_cost():
    out = dataclasses.replace(boundary_log(), instances=[ShiftInstance("agent", 5400.0, 86400.0)] * 300)

    def cost(recruit):
        sc = scenario()
        sc = sc.model_copy(update={"attrition": sc.attrition.model_copy(update={"annual_rate": 5.0,
                                                                                 "recruit_cost": recruit})})
        run, _ = compute_metrics(out, sc, np.random.default_rng(1))
        return run["cost_per_call"] * run["handled"]

    base = cost(0.0)
    assert cost(7000.0) - base > 0
    assert cost(14000.0) - base == pytest.approx(2 * (cost(7000.0) - base))
