"""Schedule-driven parts of ``sim/metrics.py`` checked by hand: attendance per start interval (an absent shift
listed before attending ones), logged-in time inside the reported window, the line cost when ``trunks`` is
unset, the empty-schedule path, and the spread of the QA score sampler.

Written for issue 18's mutation run (the survivors of ``_agent_time``, ``_ready_within_schedule`` and
``_centre_models``); every expected number is worked out by hand from metrics.md and the module docstring.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.agents import OutboundLog
from sim.calllog import ABANDONED, HANDLED, CallLog, PeriodLog
from sim.metrics import _centre_models, compute_metric_tables
from sim.model import ModelOutput
from sim.schedule import ShiftInstance
from test_metric_parts import day_scenario  # one day of hourly intervals, first hour warm-up

H = 3600.0
DAY = 24 * H
WEEK = 7 * DAY


def handled_at(log: CallLog, caller: int, t: float, talk: float = 10.0) -> None:
    i = log.new(caller=caller, attempt=0, origin=0, call_type=0, arrive=t)
    log.outcome[i] = HANDLED
    log.enqueue[i] = log.answer[i] = t
    log.queued[i] = 0
    log.agent[i] = 0
    log.talk[i], log.hold[i], log.acw[i] = talk, 0.0, 0.0
    log.talk_end[i] = log.acw_end[i] = t + talk
    log.resolved[i] = 1


# ------------------------------------------------------------------------------- attendance per start interval
def test_attendance_counts_each_shift_in_its_start_interval_after_an_absent_one():
    """metrics.md: attendance = attending shifts / scheduled shifts, by the interval the shift starts in. The
    absent shift is listed first: the shifts after it still count. One starts in the last interval (23:30); one
    starts at the horizon's end (a rota may list it) and counts in the last interval too, the nearest one."""
    instances = [ShiftInstance("agent", 2 * H, 10 * H, absent=True),     # 02:00, absent
                 ShiftInstance("agent", 2.5 * H, 10 * H),                 # 02:30, same interval, attends
                 ShiftInstance("agent", 5.5 * H, 13 * H),                 # 05:30, attends
                 ShiftInstance("agent", 23.5 * H, 24 * H),                # 23:30, the last interval
                 ShiftInstance("agent", 24 * H, 32 * H)]                  # 24:00, after the horizon
    ready = PeriodLog()
    for k, inst in enumerate(i for i in instances if not i.absent):
        ready.add(k, inst.start, inst.end)
    log = CallLog()
    handled_at(log, caller=1, t=6 * H)
    out = ModelOutput(log, ready, OutboundLog(), instances, ["agent"])
    t = compute_metric_tables(out, day_scenario(), np.random.default_rng(0))
    att = t.intervals.set_index("interval_start_s")["attendance"]
    assert att.loc[2 * H] == 0.5                    # one of the two 02:xx shifts came
    assert att.loc[5 * H] == 1.0
    assert att.loc[23 * H] == 1.0
    assert att.drop([2 * H, 5 * H, 23 * H]).isna().all()        # no shift starts there: no ratio
    parts = t.interval_parts.set_index("interval_start_s")
    assert parts.loc[23 * H, "attendance:den"] == 2.0             # 23:30 and 24:00
    assert t.run_parts["attendance"] == (4.0, 5.0)
    assert t.run["attendance"] == 0.8


# ------------------------------------------------------------------------------- logged-in time: reported window
def test_logged_in_hours_count_only_the_reported_window():
    """calls_per_agent_hour = handled / logged-in hours; a shift 00:00-05:00 with the first hour as warm-up is
    logged in for 4 reported hours (01:00-05:00), not 5."""
    instances = [ShiftInstance("agent", 0.0, 5 * H)]
    ready = PeriodLog()
    ready.add(0, 0.0, 5 * H)
    log = CallLog()
    for k in range(8):                                    # 8 handled calls, 2 per reported hour
        handled_at(log, caller=k, t=H + 1800.0 * k)
    out = ModelOutput(log, ready, OutboundLog(), instances, ["agent"])
    t = compute_metric_tables(out, day_scenario(), np.random.default_rng(0))
    assert t.run_parts["calls_per_agent_hour"] == (8.0, 4.0)
    assert t.run["calls_per_agent_hour"] == 2.0


# ------------------------------------------------------------------------------- line cost without trunks
@pytest.mark.parametrize("trunks,lines", [(None, 0), (3, 3)])
def test_line_cost_counts_configured_trunks_only(trunks, lines):
    """costs.line_daily is paid per configured trunk line; with ``trunks`` unset (unlimited lines) there is no
    line cost. Agent, fixed, tier-2 and recruiting costs are set to 0, so the reported 23 hours cost
    line_daily x lines x 23/24."""
    instances = [ShiftInstance("agent", 0.0, DAY)]
    ready = PeriodLog()
    ready.add(0, 0.0, DAY)
    log = CallLog()
    handled_at(log, caller=1, t=2 * H)
    out = ModelOutput(log, ready, OutboundLog(), instances, ["agent"])
    sc = day_scenario(**{"costs.agent_hourly": 0.0, "costs.night_duty_hourly": 0.0, "costs.fixed_daily": 0.0,
                         "costs.line_daily": 240.0, "costs.tier2_hourly": 0.0, "attrition.recruit_cost": 0.0,
                         "telephony.trunks": trunks})
    t = compute_metric_tables(out, sc, np.random.default_rng(0))
    cost, calls = t.run_parts["cost_per_call"]
    assert calls == 1.0
    assert cost == pytest.approx(240.0 * lines * 23 / 24, rel=1e-12, abs=1e-9)


# ------------------------------------------------------------------------------- empty schedule
def test_a_day_with_every_shift_absent_has_no_ready_time_and_no_adherence():
    """The only shift is absent: nobody is ready, scheduled ready time is 0 (adherence has no value), the one
    call is abandoned after 30 s, attendance is 0 of 1."""
    log = CallLog()
    i = log.new(caller=1, attempt=0, origin=0, call_type=0, arrive=2 * H)
    log.outcome[i], log.enqueue[i], log.abandon[i], log.queued[i] = ABANDONED, 2 * H, 2 * H + 30.0, 1
    out = ModelOutput(log, PeriodLog(), OutboundLog(), [ShiftInstance("agent", H, 9 * H, absent=True)], ["agent"])
    t = compute_metric_tables(out, day_scenario(), np.random.default_rng(0))
    assert t.run_parts["adherence"] == (0.0, 0.0) and math.isnan(t.run["adherence"])
    assert t.run_parts["attendance"] == (0.0, 1.0)
    assert t.run["abandoned"] == 1


# ------------------------------------------------------------------------------- QA score spread
def test_qa_score_sampler_has_the_configured_spread():
    """Every call is monitored (quota 1000 per head and month, 2 000 40-hour heads, 400 000 calls) and each
    interval has one call, so each interval's score is one draw of the Beta score model: mean 80, sd 10
    (variance 100). The sample variance of n = 400 000 draws has standard error sqrt((mu4 - sigma^4) / n),
    mu4 the Beta's fourth central moment: 0.24 % of the variance here. The bounds are 0.8 % (3.3 standard
    errors; a two-sided miss has probability ~1e-3, and the seed is fixed). Changing the spread by 2 % (sd / 101
    instead of / 100) or the Beta's a + b by one (variance -11 % or +7 %) lands at least 5 standard errors
    outside."""
    n = 400_000
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 7, "interval_minutes": 60, "warmup_minutes": 0},
        "arrivals": {"calls_per_hour": 1},
        "call_types": {"call": {"share": 1.0, "talk": 60}},
        "agents": {"headcount": 1},
        "quality": {"monitored_per_agent_month": 1000, "score_mean": 80, "score_sd": 10},
    })
    heads = [ShiftInstance("agent", 0.0, 40 * H) for _ in range(2000)]
    out = ModelOutput(CallLog(), PeriodLog(), OutboundLog(), heads, ["agent"])
    qa = _centre_models(out, sc, np.random.default_rng(2024), np.ones(n))
    assert (qa["qa_n"] == 1.0).all()                   # p = 1: the quota exceeds the calls
    scores = qa["qa_sum"]
    m, s = 0.8, 0.1
    common = m * (1 - m) / s**2 - 1.0
    beta = stats.beta(m * common, (1 - m) * common)
    assert beta.var() * 1e4 == pytest.approx(100.0, rel=1e-12)      # the model: sd 10 on the 0..100 scale
    mu4 = beta.moment(4) - 4 * beta.mean() * beta.moment(3) + 6 * beta.mean()**2 * beta.moment(2) - 3 * beta.mean()**4
    se_rel = math.sqrt((mu4 - beta.var()**2) / n) / beta.var()
    assert se_rel < 0.0025
    assert scores.var(ddof=1) == pytest.approx(100.0, rel=0.008)
    assert scores.mean() == pytest.approx(80.0, abs=4 * 10.0 / math.sqrt(n))
    assert (0.0 <= scores).all() and (scores <= 100.0).all()
