"""Every one of the spec's 23 metrics computed by hand on a tiny hand-made event log.

The log (one day, 60-min intervals, all calls in the first hour):
  c0 queued 10 s, answered, talk 100 + hold 20, ACW 30, resolved           (agent 0, 2 rings)
  c1 answered at once, talk 200, no ACW, transferred, not resolved           (agent 1, 0 rings)
  c2 abandoned after 10 s (short abandon)      c3 abandoned after 60 s
  c4 busy signal: c1's caller calling again about the same type (so c1 is not first-call resolved)
  c5 queued 50 s, talk 60, ACW 40, resolved (agent 0, 9 rings)
  c6 completed in the IVR (1 ring)
Agents: agent 0 on 0-7200 s with a 300 s not-ready episode at 3000 s; agent 1 on 0-3600 s; a third
scheduled agent is absent. Costs: 36 per agent hour, 864 fixed per day.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.agents import OutboundLog
from sim.calllog import ABANDONED, BLOCKED, HANDLED, IVR, CallLog, PeriodLog
from sim.metrics import METRICS, compute_metrics
from sim.model import ModelOutput
from sim.schedule import ShiftInstance

NAN = math.nan


def scenario() -> sim.Scenario:
    return sim.Scenario.model_validate({
        "horizon": {"days": 1, "interval_minutes": 60},
        "arrivals": {"calls_per_hour": 1},
        "call_types": {"call": {"share": 1.0, "talk": 100}},
        "telephony": {"ring_cycle_s": 6},
        "agents": {"headcount": 2},
        "costs": {"agent_hourly": 36, "fixed_daily": 864, "line_daily": 0},
        "quality": {"monitored_per_agent_month": 1000, "score_mean": 85, "score_sd": 0},
        "attrition": {"annual_rate": 0},
        "metrics": {"service_level_threshold_s": 20, "short_abandon_s": 20, "exclude_short_abandons": True},
    })


def hand_log() -> ModelOutput:
    log = CallLog()
    rows = [
        # arrive, enqueue, answer, abandon, talk, hold, acw, outcome, queued, transferred, resolved, agent, rings
        (0, 0, 10, NAN, 100, 20, 30, HANDLED, 1, 0, 1, 0, 2),
        (100, 100, 100, NAN, 200, 0, 0, HANDLED, 0, 1, 0, 1, 0),
        (200, 200, NAN, 210, NAN, NAN, NAN, ABANDONED, 1, 0, 0, -1, 0),
        (300, 300, NAN, 360, NAN, NAN, NAN, ABANDONED, 1, 0, 0, -1, 0),
        (400, NAN, NAN, NAN, NAN, NAN, NAN, BLOCKED, 0, 0, 0, -1, 0),
        (500, 500, 550, NAN, 60, 0, 40, HANDLED, 1, 0, 1, 0, 9),
        (700, NAN, NAN, NAN, NAN, NAN, NAN, IVR, 0, 0, 0, -1, 1),
    ]
    for k, (arr, enq, ans, ab, talk, hold, acw, outcome, queued, tr, res, agent, rings) in enumerate(rows):
        i = log.new(caller=1 if k == 4 else k, attempt=0, origin=0, call_type=0, arrive=arr)
        log.enqueue[i], log.answer[i], log.abandon[i] = enq, ans, ab
        log.talk[i], log.hold[i], log.acw[i] = talk, hold, acw
        if outcome == HANDLED:
            log.talk_end[i] = ans + talk + hold
            log.acw_end[i] = ans + talk + hold + acw
        if outcome == IVR:
            log.ivr_end[i] = arr + 36
        log.outcome[i], log.queued[i], log.transferred[i], log.resolved[i] = outcome, queued, tr, res
        log.agent[i], log.rings[i] = agent, rings
    ready = PeriodLog()
    ready.add(0, 0, 3000)
    ready.add(0, 3300, 7200)
    ready.add(1, 0, 3600)
    instances = [ShiftInstance("agent", 0, 7200, aux=[(3000, 300)]), ShiftInstance("agent", 0, 3600),
                 ShiftInstance("agent", 0, 3600, absent=True)]
    return ModelOutput(log, ready, OutboundLog(), instances, ["agent", "agent"])


EXPECTED_RUN = {
    "adherence": 10500 / 10800,          # ready (6900 + 3600) / scheduled ready (7200 + 3600)
    "avg_acw": (30 + 0 + 40) / 3,
    "avg_abandon_time": (10 + 60) / 2,
    "cost_per_call": (108 + 864) / 4,    # 3 agent hours at 36 + fixed 864, over 3 handled + 1 IVR call
    "aht": (150 + 200 + 100) / 3,
    "avg_hold_time": 20 / 3,
    "avg_rings": (2 + 0 + 9 + 1) / 4,    # agent- and IVR-answered calls
    "avg_queue_time": (10 + 10 + 60 + 50) / 4,
    "asa": (10 + 0 + 50) / 3,
    "avg_talk_time": (100 + 200 + 60) / 3,
    "calls_per_agent_hour": 3 / 3.0,     # 3 handled over 3 logged-in hours
    "qa_score": 85.0,                    # every call sampled, every score 85
    "occupancy": (150 + 200 + 100) / 10500,
    "abandon_rate": (2 - 1) / (5 - 1),   # the short abandon leaves numerator and denominator
    "attendance": 2 / 3,
    "blocked_rate": 1 / 7,
    "fcr": 2 / 3,
    "queue_placement_rate": 4 / 5,
    "transfer_rate": 1 / 3,
    "percent_answered": 3 / 5,
    "service_level": 2 / 4,              # c0 and c1 within 20 s, over offered minus the short abandon
    "total_calls": 7,
    "agent_turnover": 0.0,
}


def test_expected_covers_all_23_metrics():
    assert set(EXPECTED_RUN) == set(METRICS) and len(METRICS) == 23


@pytest.mark.parametrize("name", METRICS)
def test_run_metric_by_hand(name):
    run, _ = compute_metrics(hand_log(), scenario(), np.random.default_rng(0))
    assert run[name] == pytest.approx(EXPECTED_RUN[name], rel=1e-12, abs=1e-12)


def test_interval_metrics_by_hand():
    _, iv = compute_metrics(hand_log(), scenario(), np.random.default_rng(0))
    first, second = iv.iloc[0], iv.iloc[1]
    assert first["adherence"] == pytest.approx(6900 / 7200)
    assert first["occupancy"] == pytest.approx(450 / 6900)
    assert first["calls_per_agent_hour"] == pytest.approx(3 / 2)
    assert first["service_level"] == pytest.approx(0.5)
    assert first["cost_per_call"] == pytest.approx((72 + 36) / 4)  # hour 0: 2 agent hours + 36 fixed
    assert second["adherence"] == pytest.approx(1.0)
    assert second["occupancy"] == 0.0
    assert math.isnan(second["service_level"])                      # nothing offered in hour 2
    assert first["agents_ready"] == pytest.approx(6900 / 3600)
    assert first["avg_queue_length"] == pytest.approx((10 + 10 + 60 + 50) / 3600)
    assert len(iv) == 24


def test_short_abandons_counted_when_exclusion_off():
    sc = scenario()
    sc = sc.model_copy(update={"metrics": sc.metrics.model_copy(update={"exclude_short_abandons": False})})
    run, _ = compute_metrics(hand_log(), sc, np.random.default_rng(0))
    assert run["abandon_rate"] == pytest.approx(2 / 5)
    assert run["service_level"] == pytest.approx(2 / 5)
