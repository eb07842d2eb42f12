"""Edges of the call metrics in ``sim/metrics.py`` checked by hand: a call table without the call-back columns,
what an attempt that arrived in the warm-up is (not) counted as, call-backs exactly at the reported horizon's
ends in the run-only call-back delay percentile, and agent call-backs in the streaming log's first-call
resolution.

Written for issue 18's mutation run (survivors of ``call_outcomes``, ``call_interval_sums`` and
``compute_metric_tables``); every expected number is worked out by hand from ../shared/spec/metrics.md, the
module docstrings of ``sim.metrics`` and ``sim.callbacks_metrics``, never from the function under test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.agents import OutboundLog
from sim.calllog import ABANDONED, CALLBACK, HANDLED, CallLog, PeriodLog
from sim.metrics import call_outcomes, compute_metric_tables
from sim.model import ModelOutput
from sim.schedule import ShiftInstance
from sim.streaming import StreamingCallLog

H = 3600.0
DAY = 24 * H
CALLBACK_COLUMNS = ["cb_request", "cb_connect", "cb_offered", "cb_attempts"]


def day_scenario(**changes) -> sim.Scenario:
    """One day of hourly intervals; the first hour is warm-up (reported: arrivals in [3 600 s, 86 400 s)).
    Service-level threshold and short-abandon limit 20 s, short abandons excluded."""
    base = sim.Scenario.model_validate({
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_minutes": 60},
        "arrivals": {"calls_per_hour": 1},
        "call_types": {"call": {"share": 1.0, "talk": 100}},
        "agents": {"headcount": 1},
        "metrics": {"service_level_threshold_s": 20, "short_abandon_s": 20, "exclude_short_abandons": True},
    })
    return base.with_changes(changes) if changes else base


def add_call(log: CallLog, caller: int, arrive: float, *, wait: float, outcome: int, talk: float = 60.0) -> int:
    """An attempt that reached the queue at ``arrive`` and left it after ``wait`` s: answered (HANDLED: talk, no
    hold or ACW) or abandoned."""
    i = log.new(caller=caller, attempt=0, origin=0, call_type=0, arrive=arrive)
    log.outcome[i] = outcome
    log.enqueue[i] = arrive
    log.queued[i] = int(wait > 0)
    if outcome == ABANDONED:
        log.abandon[i] = arrive + wait
        return i
    log.answer[i] = arrive + wait
    log.agent[i] = 0
    log.talk[i], log.hold[i], log.acw[i] = talk, 0.0, 0.0
    log.talk_end[i] = log.acw_end[i] = arrive + wait + talk
    log.resolved[i] = 1
    return i


def add_call_back(log: CallLog, caller: int, arrive: float, *, delay: float) -> int:
    """An attempt that queued 30 s, accepted a call-back (virtual hold) and was reached ``delay`` s after the
    request by one dial attempt."""
    i = log.new(caller=caller, attempt=0, origin=0, call_type=0, arrive=arrive)
    log.outcome[i] = CALLBACK
    log.enqueue[i] = arrive
    log.queued[i] = 1
    log.cb_offered[i] = 1
    log.cb_request[i] = arrive + 30.0
    log.cb_connect[i] = arrive + 30.0 + delay
    log.cb_attempts[i] = 1
    return i


def output(log: CallLog, outbound: OutboundLog | None = None) -> ModelOutput:
    ready = PeriodLog()
    ready.add(0, 0.0, DAY)
    return ModelOutput(log, ready, outbound or OutboundLog(), [ShiftInstance("agent", 0.0, DAY)], ["agent"])


# ------------------------------------------------------------------------------- a log without call-back columns
def three_calls() -> ModelOutput:
    log = CallLog()
    add_call(log, 1, 7200.0, wait=15.0, outcome=HANDLED)     # queued 15 s, answered within 20 s
    add_call(log, 2, 7300.0, wait=40.0, outcome=ABANDONED)   # queued 40 s, hung up: a real (not short) abandon
    add_call(log, 3, 7400.0, wait=0.0, outcome=HANDLED)      # answered at once
    return output(log)


def test_a_call_table_without_call_back_columns_is_read_as_having_no_call_backs():
    """The call-back columns are optional in a call table (an observed history or a log written before
    ``[callbacks]`` existed): a table without them means no call-backs. By hand (metrics.md): offered 3;
    answered 2; abandonment 1/3; service level (answered within 20 s / offered) 2/3; ASA (15 + 0)/2 = 7.5 s;
    average queue time over the two that queued (15 + 40)/2 = 27.5 s; AHT 60 s."""
    out = three_calls()
    sc = day_scenario()
    table = out.calls.frame(sc.type_names())
    without = table.drop(columns=CALLBACK_COLUMNS)
    run = compute_metric_tables(out, sc, np.random.default_rng(0), calls=without).run
    assert run["offered"] == 3 and run["answered"] == 2 and run["abandoned"] == 1 and run["handled"] == 2
    assert run["abandon_rate"] == pytest.approx(1 / 3)
    assert run["service_level"] == pytest.approx(2 / 3)
    assert run["asa"] == pytest.approx(7.5)
    assert run["avg_queue_time"] == pytest.approx(27.5)
    assert run["aht"] == pytest.approx(60.0)
    # the same numbers as the table with its (empty) call-back columns
    full = compute_metric_tables(out, sc, np.random.default_rng(0), calls=table).run
    assert run.keys() == full.keys()
    assert all(run[k] == pytest.approx(full[k], nan_ok=True) for k in run)


# ------------------------------------------------------------------------ attempts outside the reported horizon
def test_an_attempt_outside_the_reported_horizon_is_not_offered_called_back_nor_waiting():
    """Only attempts that arrive inside the reported horizon [warm-up end, horizon end) count (metrics.md;
    ``CallOutcomes``): one that arrived in the warm-up and then accepted a call-back is not reported, so it is
    not offered, not called back and has no wait — like the warm-up call that was answered; an attempt exactly
    at the horizon's end (86 400 s) is not reported either (the per-type breakdown, ``sim.group_metrics``,
    counts these flags directly). The reported call-back waited 30 s, the reported call 10 s."""
    log = CallLog()
    add_call_back(log, 1, 3000.0, delay=100.0)               # warm-up (ends 3 600 s)
    add_call(log, 2, 3100.0, wait=10.0, outcome=HANDLED)     # warm-up
    add_call_back(log, 3, 5000.0, delay=100.0)               # reported
    add_call(log, 4, DAY - 1.0, wait=10.0, outcome=HANDLED)  # reported, the horizon's last second
    add_call(log, 5, DAY, wait=10.0, outcome=HANDLED)        # at the horizon's end
    o = call_outcomes(log.frame(["call"]), day_scenario())
    assert o.report.tolist() == [False, False, True, True, False]
    assert o.offered.tolist() == [False, False, True, True, False]
    assert o.answered.tolist() == [False, False, False, True, False]
    assert o.called_back.tolist() == [False, False, True, False, False]
    assert np.isnan(o.wait[[0, 1, 4]]).all() and o.wait[2] == 30.0 and o.wait[3] == 10.0
    assert o.in_time.tolist() == [False, False, False, True, False]


# ------------------------------------------------------------------------------- call-backs at the horizon's ends
def test_call_back_delay_percentile_counts_call_backs_of_reported_attempts_only():
    """sim.callbacks_metrics: a call-back belongs to its attempt, and only attempts that arrived inside the
    reported horizon [warm-up end, horizon end) count — also for the run-only 90th percentile of the delay.
    Rows exactly on both ends: the attempt at the warm-up's end (3 600 s) counts, the one at the horizon's end
    (86 400 s) does not, nor one a second before the warm-up's end; a busy signal after the warm-up has no
    call-back. One reported call-back, delay 100 s: its 90th percentile is 100 s (any other row's delay would
    move it: 500 s -> 460 s, 900 s -> 820 s with numpy's linear percentile)."""
    log = CallLog()
    add_call_back(log, 1, 3599.0, delay=500.0)        # warm-up
    add_call_back(log, 2, 3600.0, delay=100.0)        # exactly at the warm-up's end: reported
    add_call_back(log, 3, DAY, delay=900.0)           # exactly at the horizon's end: not reported
    add_call(log, 4, 7200.0, wait=0.0, outcome=HANDLED)
    out = output(log)
    sc = day_scenario(callbacks={"offer_after_s": 30, "accept_prob": 1.0, "deadline_s": 3600})
    run = compute_metric_tables(out, sc, np.random.default_rng(0)).run
    assert run["offered"] == 2 and run["callbacks_accepted"] == 1 and run["callbacks_connected"] == 1
    assert run["callback_delay"] == pytest.approx(100.0)
    assert run["callback_delay_p90"] == pytest.approx(100.0)
    assert run["callback_share"] == pytest.approx(1 / 2)


def test_call_back_delay_percentile_is_nan_without_reported_call_backs():
    log = CallLog()
    add_call_back(log, 1, 3000.0, delay=500.0)        # warm-up only
    add_call(log, 2, 7200.0, wait=0.0, outcome=HANDLED)
    sc = day_scenario(callbacks={"offer_after_s": 30, "accept_prob": 1.0, "deadline_s": 3600})
    run = compute_metric_tables(output(log), sc, np.random.default_rng(0)).run
    assert run["callbacks_accepted"] == 0
    assert math.isnan(run["callback_delay_p90"])


# ------------------------------------------------------------------------------- streaming log: FCR and call-backs
def fcr_log(log: CallLog) -> ModelOutput:
    """Caller 3's call ends at 10 860 s and gets an agent call-back 1 h later (inside the 1-day repeat window):
    not resolved first time. Caller 4's call at 20 000 s has no later contact: resolved."""
    add_call(log, 3, 10800.0, wait=0.0, outcome=HANDLED)
    add_call(log, 4, 20000.0, wait=0.0, outcome=HANDLED)
    outbound = OutboundLog()
    outbound.add("callback", 10860.0, 10860.0 + DAY, 10860.0 + H, 10860.0 + H + 120.0, 0, 3)
    return output(log, outbound)


@pytest.mark.parametrize("streaming", [False, True])
def test_agent_call_back_is_a_repeat_contact_in_both_logs(streaming):
    """metrics.md (17): a handled call followed by an agent call-back within the repeat window is not resolved:
    FCR = 1 / 2, for the full call table and for the streaming log (sums folded as calls finish)."""
    sc = day_scenario(**{"metrics.repeat_window_days": 1})
    log = StreamingCallLog(sc, slots=16, callbacks=True) if streaming else CallLog()
    t = compute_metric_tables(fcr_log(log), sc, np.random.default_rng(0))
    assert t.run["handled"] == 2
    assert t.run_parts["fcr"] == (1.0, 2.0)
    # the 120 s call-back is outbound work: busy 2 x 60 s of calls + 120 s over the reported 23 h ready
    assert t.run["outbound_calls"] == 1
    assert t.run["occupancy"] == pytest.approx(240.0 / (23 * H))


# ------------------------------------------------------------------------------- the parts table's types
def test_interval_parts_are_float_columns_also_for_metrics_with_no_event():
    """``interval_parts`` (numerators and denominators per interval, stacked over replications and pooled by
    ``sim.confidence``) holds float64 columns, also for a metric with no event in the whole run: here nothing is
    blocked or transferred (numpy's bincount of no rows is an int64 array). By hand: the three calls arrive in
    02:00-03:00; two answered within 20 s of three offered."""
    t = compute_metric_tables(three_calls(), day_scenario(), np.random.default_rng(0))
    parts = t.interval_parts.set_index("interval_start_s")
    assert (parts.drop(columns=["interval"]).dtypes == np.float64).all()
    assert (parts["blocked_rate:num"] == 0.0).all() and (parts["transfer_rate:num"] == 0.0).all()
    assert parts.loc[7200.0, "service_level:num"] == 2.0 and parts.loc[7200.0, "service_level:den"] == 3.0
    assert parts["service_level:den"].sum() == 3.0


def test_a_day_without_calls_reports_zero_calls_as_floats():
    """No call at all: total_calls is 0 per interval and for the run — a float64 column like every per-interval
    metric that is stacked over replications (numpy's bincount of no rows is int64) — and the ratios over
    calls have no value (no denominator), while the agent's time still counts (occupancy 0 of 23 h ready)."""
    t = compute_metric_tables(output(CallLog()), day_scenario(), np.random.default_rng(0))
    assert t.run["total_calls"] == 0.0 and t.run["offered"] == 0.0
    assert math.isnan(t.run["service_level"]) and math.isnan(t.run["aht"])
    assert t.run["occupancy"] == 0.0 and t.run_parts["occupancy"] == (0.0, 23 * H)
    assert t.intervals["total_calls"].dtype == np.float64 and (t.intervals["total_calls"] == 0.0).all()
    assert len(t.intervals) == 23
