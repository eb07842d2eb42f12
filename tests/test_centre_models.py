"""Centre-level models: QA monitoring sample (metric 12) and attrition (metric 23).

Tolerance: t-intervals at the 99.9 % level across replications (fixed seeds): a miss at that level means a
real bias, not bad luck.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim

AGENTS = 200


def scenario(**changes) -> sim.Scenario:
    base = sim.Scenario.model_validate({
        "horizon": {"days": 28},
        "arrivals": {"calls_per_hour": 3},
        "call_types": {"a": {"share": 1.0, "talk": 60}},
        "agents": {"shifts": [{"start": "08:00", "end": "16:00", "count": AGENTS, "days": "weekdays"}]},
        "quality": {"monitored_per_agent_month": 4.5, "score_mean": 80, "score_sd": 10},
        "attrition": {"annual_rate": 0.3},
    })
    return base.with_changes(changes) if changes else base


def t_interval(values, level=0.999):
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return x.mean() - half, x.mean() + half


def test_qa_scores_follow_the_scoring_model():
    res = sim.run(scenario(), replications=20, seed=1)
    low, high = t_interval(res.per_replication["qa_score"])
    assert low <= 80 <= high
    # 200 agents x 8 h x 20 weekdays over 4 weeks = 200 FTE heads; 4.5 monitored calls per head and month
    # = 4.5 * 200 * 28 / 30.4375 = 828 sampled calls per replication (fewer than the ~2 000 handled). The mean
    # of n Beta scores (sd 10) has sd 10 / sqrt(n): the replications' variance must fit that n (chi-square,
    # 99.9 %) — a wrong monitoring quota would show here.
    n = 4.5 * 200 * 28 / 30.4375
    s2 = res.per_replication["qa_score"].var(ddof=1)
    k = len(res.per_replication) - 1
    sigma2 = 100 / n
    assert stats.chi2.ppf(0.0005, k) <= k * s2 / sigma2 <= stats.chi2.ppf(0.9995, k)


def test_turnover_matches_annual_rate():
    # The attrition model's expectation (issue 11: no single binomial draw annualised): the rate itself, and
    # 200 heads x (1 - exp(-0.3 * years)) expected leavers over the 28 days, each costing recruit_cost.
    res = sim.run(scenario(), replications=2, seed=2)
    years = 28 / 365.25
    assert res.metric("agent_turnover") == 0.3
    assert res.metric("expected_leavers") == pytest.approx(200 * (1 - math.exp(-0.3 * years)))
    assert res.metric("expected_hiring_cost") == pytest.approx(res.metric("expected_leavers") * 7000.0)
    zero = sim.run(scenario(**{"attrition.annual_rate": 0.0}), replications=3, seed=2)
    assert zero.metric("agent_turnover") == 0.0
    # Recruiting the leavers is part of the centre's cost.
    assert res.metric("cost_per_call") > zero.metric("cost_per_call")
