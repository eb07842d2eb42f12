"""Parts of ``sim/metrics.py`` checked by hand: the float-hair guard of part-of-whole ratios, the 'answered within
N rings' share, and the centre-level models (QA monitoring sample, full-time heads, attrition) on hand-built
logs whose expected values follow from the definitions in metrics.md and the module docstring.

Written for issue 18's mutation run: each test fails when the line it is named after is changed.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.agents import OutboundLog
from sim.calllog import ABANDONED, BLOCKED, HANDLED, CallLog, PeriodLog
from sim.metrics import SECONDS_PER_MONTH, _part_of, _ratio_parts, compute_metric_tables
from sim.model import ModelOutput
from sim.schedule import ShiftInstance

DAY = 86400.0
WEEK = 7 * DAY


# ------------------------------------------------------------------------------- part of a whole (float hairs)
def test_part_of_removes_only_a_float_hair():
    whole = np.array([0.0, 10.0, 1e6, 10.0, 10.0, 10.0])
    part = np.array([5e-7,                       # below the 1e-6 s absolute hair: equal by construction
                     10.0 + 1e-7,                # absolute hair on a small whole
                     1e6 * (1 + 5e-10),          # relative hair (5e-4 s) on a large whole
                     10.5,                       # a real excess stays visible
                     15.0,
                     9.0])                       # below the whole: unchanged
    np.testing.assert_array_equal(_part_of(part, whole), [0.0, 10.0, 1e6, 10.5, 15.0, 9.0])


def test_part_of_at_the_edge_of_the_hair():
    whole = np.array([10.0, 1e6])
    edge = whole * (1 + 1e-9) + 1e-6          # the largest part still taken as equal
    np.testing.assert_array_equal(_part_of(edge, whole), whole)
    beyond = np.nextafter(edge, np.inf)
    np.testing.assert_array_equal(_part_of(beyond, whole), beyond)
    assert _part_of(1.5e6, 1e6) == 1.5e6     # half as much again is no hair, however large the whole


def parts_input(**over) -> dict:
    keys = ["ready_in_schedule_s", "scheduled_ready_s", "acw", "handled", "wait_abandoned", "abandoned", "cost",
            "ivr", "talk", "hold", "rings", "picked", "wait_queued", "queued", "wait_answered", "answered",
            "logged_in_s", "qa_sum", "qa_n", "busy_s", "ready_s", "short", "offered", "attending", "scheduled",
            "blocked", "attempts", "resolved", "transferred", "answered_in_time", "within_rings",
            "outbound_busy_s"]
    return {k: 1.0 for k in keys} | over


def test_ratio_parts_take_a_hair_over_the_whole_as_the_whole():
    hair = 3600.0 * (1 + 1e-12)
    parts = _ratio_parts(parts_input(busy_s=hair, ready_s=3600.0, ready_in_schedule_s=hair,
                                     scheduled_ready_s=3600.0, outbound_busy_s=hair * (1 + 1e-12)))
    assert parts["occupancy"] == (3600.0, 3600.0)
    assert parts["adherence"] == (3600.0, 3600.0)
    assert parts["outbound_share"] == (hair, hair)
    assert parts["answered_within_rings"] == (1.0, 1.0)


# ------------------------------------------------------------------------------- answered within N rings
def rings_log() -> ModelOutput:
    """Six handled calls in the reported day, picked up after 0..5 rings."""
    log = CallLog()
    for k, rings in enumerate([0, 1, 2, 3, 4, 5]):
        t = 7200.0 + 600.0 * k
        i = log.new(caller=k, attempt=0, origin=0, call_type=0, arrive=t)
        log.outcome[i] = HANDLED
        log.enqueue[i] = log.answer[i] = t
        log.queued[i] = 0
        log.rings[i] = rings
        log.agent[i] = 0
        log.talk[i], log.hold[i], log.acw[i] = 10.0, 0.0, 0.0
        log.talk_end[i] = log.acw_end[i] = t + 10.0
        log.resolved[i] = 1
    # never picked up (0 rings each): an abandoned and a blocked call; and a 0-ring pick-up in the warm-up
    i = log.new(caller=10, attempt=0, origin=0, call_type=0, arrive=8000.0)
    log.outcome[i], log.enqueue[i], log.abandon[i], log.queued[i] = ABANDONED, 8000.0, 8030.0, 1
    i = log.new(caller=11, attempt=0, origin=0, call_type=0, arrive=8100.0)
    log.outcome[i] = BLOCKED
    add_handled(log, caller=12, t=1800.0)
    ready = PeriodLog()
    ready.add(0, 0.0, DAY)
    return ModelOutput(log, ready, OutboundLog(), [ShiftInstance("agent", 0.0, DAY)], ["agent"])


def add_handled(log: CallLog, caller: int, t: float, wait: float = 0.0, talk: float = 10.0) -> int:
    i = log.new(caller=caller, attempt=0, origin=0, call_type=0, arrive=t)
    log.outcome[i] = HANDLED
    log.enqueue[i] = t
    log.answer[i] = t + wait
    log.queued[i] = int(wait > 0)
    log.agent[i] = 0
    log.talk[i], log.hold[i], log.acw[i] = talk, 0.0, 0.0
    log.talk_end[i] = log.acw_end[i] = t + wait + talk
    log.resolved[i] = 1
    return i


def day_scenario(**changes) -> sim.Scenario:
    base = sim.Scenario.model_validate({
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_minutes": 60},
        "arrivals": {"calls_per_hour": 1},
        "call_types": {"call": {"share": 1.0, "talk": 100}},
        "agents": {"headcount": 1},
    })
    return base.with_changes(changes) if changes else base


@pytest.mark.parametrize("n_rings,share", [(1, 2 / 6), (3, 4 / 6), (5, 1.0)])
def test_answered_within_rings_counts_pickups_within_n_cycles(n_rings, share):
    t = compute_metric_tables(rings_log(), day_scenario(**{"metrics.answer_within_rings": n_rings}),
                              np.random.default_rng(0))
    assert t.run["answered_within_rings"] == pytest.approx(share)
    assert t.run_parts["answered_within_rings"] == (share * 6, 6.0)
    by_start = t.intervals.set_index("interval_start_s")["answered_within_rings"]
    assert by_start.loc[7200.0] == pytest.approx(share)      # all six calls arrive in 02:00-03:00
    assert math.isnan(by_start.loc[3600.0])                  # no pick-ups at 01:00


# ------------------------------------------------------------------------------- centre models: heads, attrition
def week_log(instances, handled_per_hour=0, calls_until=WEEK) -> ModelOutput:
    """A week with ``handled_per_hour`` handled calls (answered at once, 60 s talk) from 0 to ``calls_until``."""
    log = CallLog()
    if handled_per_hour:
        gap = 3600.0 / handled_per_hour
        for k, t in enumerate(np.arange(0.0, calls_until, gap)):
            i = log.new(caller=k, attempt=0, origin=0, call_type=0, arrive=float(t))
            log.outcome[i] = HANDLED
            log.enqueue[i] = log.answer[i] = float(t)
            log.queued[i] = 0
            log.agent[i] = 0
            log.talk[i], log.hold[i], log.acw[i] = 60.0, 0.0, 0.0
            log.talk_end[i] = log.acw_end[i] = float(t) + 60.0
            log.resolved[i] = 1
    ready = PeriodLog()
    ready.add(0, 0.0, WEEK)
    return ModelOutput(log, ready, OutboundLog(), instances, ["agent"])


def week_scenario(**changes) -> sim.Scenario:
    base = sim.Scenario.model_validate({
        "horizon": {"days": 7, "interval_minutes": 60, "warmup_minutes": 0},
        "arrivals": {"calls_per_hour": 1},
        "call_types": {"call": {"share": 1.0, "talk": 60}},
        "agents": {"headcount": 1},
        "attrition": {"annual_rate": 0.3, "recruit_cost": 7000.0},
        "quality": {"monitored_per_agent_month": 4.5, "score_mean": 80, "score_sd": 10},
    })
    return base.with_changes(changes) if changes else base


def shifts(hours_each: list[float], start=0.0) -> list[ShiftInstance]:
    return [ShiftInstance("agent", start, start + h * 3600.0) for h in hours_each]


@pytest.mark.parametrize("hours,heads", [
    ([40.0, 40.0, 40.0], 3),                 # 120 paid hours in a week of 40-hour heads
    ([40.0, 40.0, 24.0], 3),                 # 104 h = 2.6 heads -> 3
    ([40.0, 40.0, 16.0], 2),                 # 96 h = 2.4 heads -> 2
    ([1.0], 1),                              # at least one head
    ([40.0, 40.0, 20.01], 3),                # 2.50025 heads: just above the half
    ([40.0, 40.0, 19.999], 2),               # 2.499975 heads: just below it
])
def test_heads_are_paid_hours_over_forty_hour_weeks(hours, heads):
    t = compute_metric_tables(week_log(shifts(hours)), week_scenario(), np.random.default_rng(0))
    years = WEEK / SECONDS_PER_MONTH / 12.0
    assert t.run["agent_turnover"] == 0.3
    assert t.run["expected_leavers"] == pytest.approx(heads * (1.0 - math.exp(-0.3 * years)), rel=1e-12)
    assert t.run["expected_hiring_cost"] == pytest.approx(t.run["expected_leavers"] * 7000.0, rel=1e-12)


def test_heads_count_only_paid_time_inside_the_horizon():
    # a shift from the last day's 08:00 running 40 h: only its 16 h inside the week are paid in this horizon
    inside = shifts([40.0, 40.0])
    late = [ShiftInstance("agent", WEEK - 16 * 3600.0, WEEK + 24 * 3600.0)]
    t = compute_metric_tables(week_log(inside + late), week_scenario(), np.random.default_rng(0))
    years = WEEK / SECONDS_PER_MONTH / 12.0
    assert t.run["expected_leavers"] == pytest.approx(2 * (1.0 - math.exp(-0.3 * years)), rel=1e-12)  # 96 h


def test_recruiting_cost_is_spread_evenly_over_the_reported_hours():
    out = week_log(shifts([40.0] * 5), handled_per_hour=1)
    sc = week_scenario(**{"horizon.warmup_minutes": 90})   # reported from 01:30: interval 1 has half an hour
    cost = {}
    for recruit in (0.0, 7000.0):
        t = compute_metric_tables(out, sc.with_changes({"attrition.recruit_cost": recruit}), np.random.default_rng(0))
        cost[recruit] = t.interval_parts.set_index("interval_start_s")["cost_per_call:num"]
        hiring = t.run["expected_hiring_cost"]
    extra = cost[7000.0] - cost[0.0]
    per_second = hiring / (WEEK - 5400.0)
    assert extra.loc[3600.0] == pytest.approx(per_second * 1800.0, rel=1e-9)    # half the interval reported
    np.testing.assert_allclose(extra.loc[7200.0:].to_numpy(), per_second * 3600.0, rtol=1e-9)
    assert extra.sum() == pytest.approx(hiring, rel=1e-9)      # nothing lands in the warm-up
    years = (WEEK - 5400.0) / SECONDS_PER_MONTH / 12.0        # attrition over the reported time only
    assert hiring == pytest.approx(5 * (1.0 - math.exp(-0.3 * years)) * 7000.0, rel=1e-12)
    assert list(t.interval_parts.columns[:2]) == ["interval", "interval_start_s"]
    assert "index" not in t.interval_parts.columns and t.interval_parts.index.tolist() == list(range(167))


# ------------------------------------------------------------------------------- centre models: QA sample
def test_qa_samples_the_monthly_quota_per_head():
    # 4 heads (160 h), 60 handled calls per hour for a week = 10 080 handled; quota 4.5 per head and month
    # -> p = 4.5 * 4 * (1 week / 1 month) / 10 080; the sampled count is binomial: within 5 sd of its mean.
    out = week_log(shifts([40.0] * 4), handled_per_hour=60)
    t = compute_metric_tables(out, week_scenario(**{"quality.monitored_per_agent_month": 400.0}),
                              np.random.default_rng(7))
    handled = t.run["handled"]
    assert handled == 7 * 24 * 60
    expected = 400.0 * 4 * WEEK / SECONDS_PER_MONTH
    p = expected / handled
    sampled = t.run_parts["qa_score"][1]
    assert abs(sampled - expected) <= 5 * math.sqrt(handled * p * (1 - p))
    # each interval samples from its own handled calls (60 per hour), never more
    n_per_interval = t.interval_parts["qa_score:den"].to_numpy()
    assert n_per_interval.max() <= 60 and n_per_interval.sum() == sampled


def test_qa_takes_every_call_when_the_quota_exceeds_the_calls():
    out = week_log(shifts([40.0] * 4), handled_per_hour=2)
    t = compute_metric_tables(out, week_scenario(**{"quality.monitored_per_agent_month": 1000.0,
                                                    "quality.score_sd": 0.0}), np.random.default_rng(7))
    assert t.run_parts["qa_score"] == (80.0 * 336, 336.0)          # every handled call, each scored the mean
    none = compute_metric_tables(out, week_scenario(**{"quality.monitored_per_agent_month": 0.0}),
                                 np.random.default_rng(7))
    assert none.run_parts["qa_score"] == (0.0, 0.0) and math.isnan(none.run["qa_score"])


def test_qa_scores_have_the_configured_mean_and_spread():
    # Every handled call is sampled (48 heads x 1000 a month > the 10 080 calls): 60 per hourly interval. The interval means of
    # Beta scores with mean 80 and sd 10 have mean 80 and variance 100 / 60; 168 intervals: the grand mean is
    # within 4 standard errors and the variance passes a two-sided chi-square test at the 99.9 % level.
    out = week_log(shifts([40.0] * 48), handled_per_hour=60)
    t = compute_metric_tables(out, week_scenario(**{"quality.monitored_per_agent_month": 1e3}),
                              np.random.default_rng(11))
    parts = t.interval_parts
    assert (parts["qa_score:den"] == 60).all()
    means = (parts["qa_score:num"] / parts["qa_score:den"]).to_numpy()
    k = means.size - 1
    assert abs(means.mean() - 80.0) <= 4 * math.sqrt(100.0 / 60 / means.size)
    ratio = k * means.var(ddof=1) / (100.0 / 60)
    assert stats.chi2.ppf(0.0005, k) <= ratio <= stats.chi2.ppf(0.9995, k)
    assert (0.0 <= means).all() and (means <= 100.0).all()


def test_centre_models_do_not_touch_intervals_when_nothing_is_handled():
    t = compute_metric_tables(week_log(shifts([40.0])), week_scenario(), np.random.default_rng(0))
    assert t.run_parts["qa_score"] == (0.0, 0.0)
    assert t.run["handled"] == 0.0



# ------------------------------------------------------------------------------- first-call resolution
def test_fcr_repeat_window_edges_and_agent_call_backs():
    """metrics.md / sim.fcr: a handled call is resolved unless the same caller calls again (same type) or gets
    an agent call-back within the repeat window after the call ended (talk_end)."""
    log = CallLog()
    add_handled(log, caller=1, t=3600.0, talk=60.0)                   # ends 3660
    add_handled(log, caller=1, t=3660.0 + DAY + 0.5, talk=60.0)       # half a second after the 1-day window
    add_handled(log, caller=2, t=7200.0, talk=60.0)                   # ends 7260
    add_handled(log, caller=2, t=7260.0 + DAY - 0.5, talk=60.0)       # half a second inside the window
    add_handled(log, caller=3, t=10800.0, talk=60.0)                  # ends 10 860; called back (see below)
    ready = PeriodLog()
    ready.add(0, 0.0, WEEK)
    outbound = OutboundLog()
    # the call-back starts 50 s before caller 3's window closes (and ends after it): a repeat contact
    outbound.add("callback", 10860.0, 10860.0 + DAY, 10860.0 + DAY - 50.0, 10860.0 + DAY + 50.0, 0, 3)
    # other outbound work addressed to caller 1 right after its first call is no contact about that call
    outbound.add("return_visit", 3660.0, 3660.0 + DAY, 3700.0, 3800.0, 0, 1)
    outbound.add("return_visit", 7200.0, 7200.0 + DAY, 7260.0 + DAY + 100.0, 7260.0 + DAY + 200.0, 0, 2)
    out = ModelOutput(log, ready, outbound, [ShiftInstance("agent", 0.0, WEEK)], ["agent"])
    t = compute_metric_tables(out, week_scenario(**{"metrics.repeat_window_days": 1}), np.random.default_rng(0))
    assert t.run["handled"] == 5
    # resolved: caller 1's first call (repeat too late) and both last calls; not: caller 2's first, caller 3's
    assert t.run_parts["fcr"] == (3.0, 5.0)


# ------------------------------------------------------------------------------- waits late in a long horizon
def test_a_wait_of_exactly_the_threshold_stays_within_it_nine_years_in():
    """Time stamps near 2.9e8 s carry round-off of ~6e-8 s: a wait of 20 s read as 20.00000006 s is 20 s
    (waits are rounded to the microsecond, ``sim/metrics.py``), within the SL threshold and a short abandon."""
    e = 2.9e8
    late = float(np.nextafter(e + 20.0, np.inf))          # 20 s plus one unit of round-off
    assert late - e > 20.0 + 5e-8
    log = CallLog()
    i = add_handled(log, caller=1, t=e)
    log.answer[i] = late
    log.talk_end[i] = log.acw_end[i] = late + 10.0
    j = log.new(caller=2, attempt=0, origin=0, call_type=0, arrive=e + 100.0)
    log.outcome[j], log.enqueue[j], log.queued[j] = ABANDONED, e + 100.0, 1
    log.abandon[j] = float(np.nextafter(e + 120.0, np.inf))
    days = 3400
    ready = PeriodLog()
    ready.add(0, 0.0, days * DAY)
    out = ModelOutput(log, ready, OutboundLog(), [ShiftInstance("agent", 0.0, days * DAY)], ["agent"])
    sc = week_scenario(**{"horizon.days": days, "horizon.interval_minutes": 1440,
                          "metrics.service_level_threshold_s": 20, "metrics.short_abandon_s": 20,
                          "metrics.exclude_short_abandons": True})
    t = compute_metric_tables(out, sc, np.random.default_rng(0))
    assert t.run["short_abandoned"] == 1
    assert t.run["service_level"] == 1.0


# ------------------------------------------------------------------------------- overtime and adherence
def test_ready_time_outside_the_schedule_is_overtime_not_adherence():
    """metrics.md: adherence = ready time inside the scheduled ready time / scheduled ready time; ready time
    outside it (here: 30 min after the 08:00-16:00 shift, finishing work) is overtime_hours, reported apart."""
    log = CallLog()
    add_handled(log, caller=1, t=9 * 3600.0)
    ready = PeriodLog()
    ready.add(0, 8 * 3600.0, 16.5 * 3600.0)
    out = ModelOutput(log, ready, OutboundLog(), [ShiftInstance("agent", 8 * 3600.0, 16 * 3600.0)], ["agent"])
    t = compute_metric_tables(out, day_scenario(), np.random.default_rng(0))
    assert t.run["overtime_hours"] == pytest.approx(0.5, rel=1e-12)
    assert t.run["adherence"] == pytest.approx(1.0, rel=1e-12)
    by_start = t.intervals.set_index("interval_start_s")
    assert by_start.loc[16 * 3600.0, "overtime_hours"] == pytest.approx(0.5, rel=1e-12)
    assert by_start.loc[15 * 3600.0, "overtime_hours"] == 0.0
    assert by_start["overtime_hours"].sum() == pytest.approx(0.5, rel=1e-12)
