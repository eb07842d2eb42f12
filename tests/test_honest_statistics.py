"""Issue 11: confidence intervals inside each metric's domain, behavioural FCR, turnover, adherence <= 100 %,
busy time after the warm-up, the 'answer within N rings' share.

Hand-made logs come from ``test_metrics_by_hand`` (its docstring lists the seven calls)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from sim.calllog import HANDLED
from sim.confidence import mean_ci, ratio_ci, wilson
from sim.metric_domains import DOMAINS, SHARE_OF_COUNTS, TIME_PER_CALL, domain_of
from sim.metrics import EXTRA_METRICS, METRICS, compute_metrics
from sim.model import ModelOutput
from sim.schedule import ShiftInstance
from test_metrics_by_hand import hand_log, scenario

# ----------------------------------------------------------------------------- 1. CIs inside the domain


def test_every_reported_metric_has_a_declared_domain():
    assert set(METRICS) | set(EXTRA_METRICS) <= set(DOMAINS)
    assert domain_of("desk.deadline.minor_resolved.on_time_pct").high == 100
    assert domain_of("desk.deadline.minor_resolved.p90_lateness_h").low == 0
    assert domain_of("desk.tickets.total").nature == "count"


def test_ratio_estimator_by_hand():
    # two replications: 8 of 10 and 1 of 10 calls in time -> pooled 9/20, not the mean of 0.8 and 0.1
    r = ratio_ci([[8.0], [1.0]], [[10.0], [10.0]], SHARE_OF_COUNTS)
    assert r["mean"][0] == pytest.approx(0.45)
    # delta-method se = sqrt(((8-4.5)^2 + (1-4.5)^2) / (2*1)) / 10 = 0.35; t(1) = 12.706 -> logit-scale interval
    theta, half = math.log(0.45 / 0.55), 12.706 * 0.35 / (0.45 * 0.55)
    assert r["ci_low"][0] == pytest.approx(1 / (1 + math.exp(-(theta - half))), rel=1e-3)
    assert 0 <= r["ci_low"][0] < 0.45 < r["ci_high"][0] <= 1


def test_interval_stays_in_domain_where_a_t_interval_would_not():
    # attendance-like shares near 1: a t-interval of 0.9, 1.0, 1.0 would reach 1.12
    r = ratio_ci([[9.0], [10.0], [10.0]], [[10.0], [10.0], [10.0]], SHARE_OF_COUNTS)
    assert 0 <= r["ci_low"][0] <= r["mean"][0] <= r["ci_high"][0] <= 1
    # times: ASA of 0, 0 and 60 s in three replications: no negative lower bound
    r = ratio_ci([[0.0], [0.0], [60.0]], [[1.0], [1.0], [1.0]], TIME_PER_CALL)
    assert 0 <= r["ci_low"][0] <= 20 <= r["ci_high"][0]
    # all calls answered in time in both replications: the Wilson interval of 2 pooled calls, not [1, 1]
    r = ratio_ci([[1.0], [1.0]], [[1.0], [1.0]], SHARE_OF_COUNTS)
    assert r["ci_low"][0] == pytest.approx(wilson(1.0, 2)[0]) and r["ci_low"][0] < 0.5


def test_too_few_observations_give_no_interval_and_a_note():
    r = ratio_ci([[0.0], [3.0], [0.0]], [[0.0], [4.0], [0.0]], SHARE_OF_COUNTS)   # seen in one replication
    assert r["mean"][0] == 0.75 and math.isnan(r["ci_low"][0]) and "fewer than 2" in r["note"][0]
    r = ratio_ci([[0.0], [0.0]], [[0.0], [0.0]], SHARE_OF_COUNTS)
    assert math.isnan(r["mean"][0]) and "not observed" in r["note"][0]
    r = mean_ci([[5.0]], domain_of("total_calls"))
    assert math.isnan(r["ci_high"][0]) and r["note"][0]


def _in_domain(metric: str, mean: float, lo: float, hi: float) -> bool:
    d = domain_of(metric)
    if not math.isfinite(mean):
        return math.isnan(lo) and math.isnan(hi)
    if math.isnan(lo) and math.isnan(hi):
        return d.contains(mean)
    return d.low <= lo <= mean <= hi <= d.high


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.floats(2, 40), agents=st.integers(1, 4), patience=st.floats(10, 300), reps=st.integers(2, 4),
       absent=st.floats(0, 0.5), seed=st.integers(0, 10_000), warmup=st.sampled_from([0, 90]))
def test_every_ci_lies_in_its_domain_and_contains_the_estimate(calls, agents, patience, reps, absent, seed,
                                                               warmup):
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 1, "interval_minutes": 60, "warmup_minutes": warmup},
        "arrivals": {"calls_per_hour": calls},
        "call_types": {"a": {"share": 0.7, "talk": {"family": "lognormal", "mean": 200, "cv": 1.0},
                             "hold_prob": 0.3, "hold": 30, "acw": 20, "fcr": 0.8, "transfer_prob": 0.1,
                             "repeat_delay": {"family": "exponential", "mean": 1800}},
                       "b": {"share": 0.3, "talk": 90, "priority": 1}},
        "callers": {"patience": {"family": "exponential", "mean": patience}, "redial_prob_abandon": 0.5},
        "telephony": {"trunks": agents + 2, "pickup_rings": 1},
        "agents": {"headcount_per_interval": [agents] * 12 + [agents + 1] * 12, "absenteeism": absent,
                   "adherence": 0.9},
    })
    res = sim.run(sc, replications=reps, seed=seed)
    for name, row in res.summary.iterrows():
        assert _in_domain(name, row["mean"], row["ci_low"], row["ci_high"]), (name, dict(row))
    iv = res.interval_summary
    for col in [c for c in iv.columns if c.endswith("_mean")]:
        m = col.removesuffix("_mean")
        for mean, lo, hi in zip(iv[col], iv[f"{m}_ci_low"], iv[f"{m}_ci_high"]):
            assert _in_domain(m, mean, lo, hi), (m, mean, lo, hi)
    assert (res.summary["method"] != "").all()


def test_summary_json_states_the_method(tmp_path):
    sc = scenario().model_copy(update={"replications": 2})
    res = sim.run(sc, seed=1)
    data = res.to_dict()
    assert "ratio estimator" in data["metrics"]["service_level"]["method"]
    assert "log scale" in data["metrics"]["asa"]["method"]
    assert "confidence_intervals" in data["definitions"]
    assert "ci_notes" in res.interval_summary.columns
    from sim.report import build_report

    page = build_report(res.save(tmp_path / "run")).read_text(encoding="utf-8")
    assert "how estimated" in page and "ratio estimator" in page and "Definitions" in page
    assert "call-back" in page and "overtime_hours" in page


# ----------------------------------------------------------------------------- 2. behavioural FCR


def _log_with_flags_all_resolved() -> ModelOutput:
    out = hand_log()
    for i in range(out.calls.n):
        out.calls.resolved[i] = 1        # the simulator's coin says resolved: the metric must not read it
    return out


def test_fcr_is_measured_from_repeat_calls_not_from_the_simulator_flag():
    run, _ = compute_metrics(_log_with_flags_all_resolved(), scenario(), np.random.default_rng(0))
    assert run["fcr"] == pytest.approx(2 / 3)       # c1's caller called again (c4) -> c1 not resolved


def test_fcr_repeat_window_and_call_type():
    out = _log_with_flags_all_resolved()
    log = out.calls
    sc = scenario()
    # c4 (the repeat) 100 s after c1 ended: outside a window of 50 s -> resolved again
    narrow = sc.model_copy(update={"metrics": sc.metrics.model_copy(update={"repeat_window_days": 50 / 86400})})
    assert compute_metrics(out, narrow, np.random.default_rng(0))[0]["fcr"] == pytest.approx(1.0)
    # a repeat about another call type does not count
    two = sc.model_copy(update={"call_types": {"call": sc.call_types["call"],
                                               "other": sc.call_types["call"].model_copy(update={"share": 0.0})}})
    log.call_type[4] = 1
    assert compute_metrics(out, two, np.random.default_rng(0))[0]["fcr"] == pytest.approx(1.0)


def test_fcr_counts_an_agent_call_back():
    out = _log_with_flags_all_resolved()
    out.calls.caller[4] = 4                                          # nobody calls again ...
    out.outbound.add("callback", 400, 5000, 1000, 1180, 0, caller=5)  # ... but c5's caller is called back
    out.outbound.add("return_visit", 400, 5000, 1200, 1300, 0, caller=0)  # not a call-back
    run, _ = compute_metrics(out, scenario(), np.random.default_rng(0))
    assert run["fcr"] == pytest.approx(2 / 3)


def test_fcr_rule_works_on_an_observed_log_with_phone_numbers():
    from sim.fcr import resolved_first_contact

    # a history log: callers are phone numbers, no simulator flag at all
    calls = pd.DataFrame({"caller": ["138001", "139002", "138001"], "call_type": ["fee", "fee", "fee"],
                          "arrive": [0.0, 10.0, 500.0], "talk_end": [100.0, 200.0, 600.0],
                          "answer": [5.0, 12.0, 510.0]})
    handled = np.array([True, True, True])
    assert resolved_first_contact(calls, handled, 7 * 86400).tolist() == [False, True, True]
    called_back = pd.DataFrame({"caller": ["139002"], "start": [300.0]})
    assert resolved_first_contact(calls, handled, 7 * 86400, called_back).tolist() == [False, False, True]


def test_unresolved_inquiry_is_called_back_not_also_repeated():
    # frontdesk.md: an inquiry the agent cannot answer is called back; before, the caller also called again
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 2}, "arrivals": {"calls_per_hour": 6},
        "call_types": {"inquiry": {"share": 0.5, "talk": 120, "fcr": 0.5,
                                   "repeat_delay": {"family": "exponential", "mean": 600}},
                       "repair": {"share": 0.5, "talk": 120, "fcr": 0.5,
                                  "repeat_delay": {"family": "exponential", "mean": 600}}},
        "agents": {"headcount": 2}, "desk": {}})
    res = sim.run(sc, replications=1, seed=4)
    c = res.calls
    repeats = c[c["origin"] == "repeat"]
    assert (repeats["call_type"] == "repair").sum() > 10      # repairs still call again
    assert (repeats["call_type"] == "inquiry").sum() == 0     # inquiries are called back instead
    callbacks = res.outbound[res.outbound["kind"] == "callback"]
    handled = c[(c["outcome"] == "handled") & (c["call_type"] == "inquiry")]
    assert len(callbacks) > 10 and set(callbacks["caller"]) <= set(handled["caller"])
    assert res.metric("fcr") < 0.6                            # both kinds of repeat contact are measured


# ----------------------------------------------------------------------------- 3. turnover


def test_turnover_is_the_attrition_models_expectation_not_one_draw():
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 7}, "arrivals": {"calls_per_hour": 2}, "agents": {"headcount": 10},
        "call_types": {"a": {"share": 1.0, "talk": 60}},
        "attrition": {"annual_rate": 0.25, "recruit_cost": 7000}})
    res = sim.run(sc, replications=3, seed=5)
    years = 7 * 86400 / (30.4375 * 86400) / 12
    heads = 10 * 24 * 7 / 40           # full-time equivalents of 10 agents on duty around the clock
    leavers = round(heads) * (1 - math.exp(-0.25 * years))
    assert res.metric("agent_turnover") == 0.25                    # was 0 % or ~650 %/yr
    assert res.metric("expected_leavers") == pytest.approx(leavers)
    assert res.metric("expected_hiring_cost") == pytest.approx(leavers * 7000)
    assert res.summary.loc["agent_turnover", "method"].startswith("expected value")
    assert "agent_turnover" not in res.intervals.columns        # no per-interval copies of a centre figure


# ----------------------------------------------------------------------------- 4. adherence <= 100 %


def test_ready_time_after_the_shift_is_overtime_not_adherence():
    out = hand_log()
    # agent 1 is scheduled 0-3600 s but stays ready until 4200 s (finishing a call): 600 s overtime
    out.ready.end[2] = 4200.0
    run, iv = compute_metrics(out, scenario(), np.random.default_rng(0))
    assert run["adherence"] == pytest.approx(10500 / 10800)          # was (10500 + 600) / 10800
    assert run["overtime_hours"] == pytest.approx(600 / 3600)
    assert iv.loc[1, "adherence"] == pytest.approx(1.0)              # was 4200 / 3600 = 117 %
    assert iv.loc[1, "overtime_hours"] == pytest.approx(600 / 3600)
    assert run["occupancy"] == pytest.approx(450 / 11100)            # ready time still counts for occupancy


# ----------------------------------------------------------------------------- 5. warm-up


def test_busy_time_after_the_warm_up_counts_when_it_happens():
    out = hand_log()
    sc = scenario()
    sc = sc.model_copy(update={"horizon": sc.horizon.model_copy(update={"warmup_minutes": 5})})
    # warm-up 300 s: c0 (arrived 0 s, busy 10-160 s) and c1 (arrived 100 s, busy 100-300 s) are not reported;
    # stretch c1's ACW so that it is busy until 900 s: 600 s of that happen after the warm-up
    log = out.calls
    log.acw[1] = 600.0
    log.acw_end[1] = 900.0
    run, _ = compute_metrics(out, sc, np.random.default_rng(0))
    ready_after = 10500 - 300 - 300          # both agents ready from 0 s; 300 s each are in the warm-up
    assert run["occupancy"] == pytest.approx((600 + 100) / ready_after)   # was 100 / ready_after


# ----------------------------------------------------------------------------- 6. within N rings


def test_share_answered_within_three_rings():
    run, iv = compute_metrics(hand_log(), scenario(), np.random.default_rng(0))
    assert run["answered_within_rings"] == pytest.approx(3 / 4)   # rings 2, 0, 9, 1: all but the 9
    sc = scenario()
    sc = sc.model_copy(update={"metrics": sc.metrics.model_copy(update={"answer_within_rings": 1})})
    assert compute_metrics(hand_log(), sc, np.random.default_rng(0))[0]["answered_within_rings"] == 0.5
    assert "answered_within_rings" in sim.scenario.METRIC_TARGET_NAMES
