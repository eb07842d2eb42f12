"""The model configured as textbook queues reproduces Erlang C, Erlang A and Erlang B.

References are computed here independently of ``staffing`` (closed forms for B and C; a truncated
birth-death chain plus a phase-type waiting time for A), so a bug shared by model and maths cannot hide.

Tolerance: every simulated value must contain the exact value in its confidence interval across
independent replications (Student t). This file makes 13 such checks; to keep the family-wise error of the
file at 5 % each check uses the level 1 - 0.05 / 13 (Bonferroni), i.e. a 99.6 % interval. The start of each replication is cut by a warm-up so
the empty-system start does not bias the steady-state comparison. Seeds are fixed, so runs are repeatable.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.linalg import expm

import sim


def erlang_b(a: float, c: int) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(a: float, c: int) -> float:
    b = erlang_b(a, c)
    return c * b / (c - a * (1 - b))


def erlang_a(lam: float, mu: float, theta: float, c: int, t: float, nmax: int = 400) -> tuple[float, float]:
    """(P(abandon), P(answered within t)) of M/M/c+M by a truncated birth-death chain."""
    death = np.array([min(n, c) * mu + max(n - c, 0) * theta for n in range(1, nmax + 1)])
    logp = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(death))])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    queue = np.maximum(np.arange(nmax + 1) - c, 0)
    p_abandon = theta * float((p * queue).sum()) / lam
    # An arrival that finds n >= c waits behind j = n - c callers: it is served after j + 1 departures with
    # rates c*mu + i*theta (i = j..0) unless its own patience (rate theta) runs out first.
    jmax = nmax - c
    q = np.zeros((jmax + 2, jmax + 2))  # states: j ahead (0..jmax), last = served; killing = own abandonment
    for j in range(jmax + 1):
        rate = c * mu + j * theta
        q[j, j - 1 if j > 0 else jmax + 1] += rate
        q[j, j] -= rate + theta
    served_by_t = expm(q * t)[: jmax + 1, jmax + 1]
    p_answered_in_t = float(p[:c].sum() + (p[c:] * served_by_t[: nmax + 1 - c]).sum())
    return p_abandon, p_answered_in_t


def scenario(agents: int, calls_per_hour: float, days: int, talk_s: float, patience_s: float | None = None,
             trunks: int | None = None) -> sim.Scenario:
    data = {
        "horizon": {"days": days, "warmup_minutes": 120},
        "arrivals": {"calls_per_hour": calls_per_hour},
        "call_types": {"call": {"share": 1.0, "talk": {"family": "exponential", "mean": talk_s}}},
        "agents": {"headcount": agents},
        "metrics": {"exclude_short_abandons": False, "service_level_threshold_s": 20},
    }
    if patience_s is not None:
        data["callers"] = {"patience": {"family": "exponential", "mean": patience_s}}
    if trunks is not None:
        data["telephony"] = {"trunks": trunks}
    return sim.Scenario.model_validate(data)


CHECKS_IN_FILE = 13
LEVEL = 1 - 0.05 / CHECKS_IN_FILE


def within_ci(values, exact: float, level: float = LEVEL) -> tuple[bool, str]:
    x = np.asarray(values, dtype=float)
    m, s, n = x.mean(), x.std(ddof=1), x.size
    half = stats.t.ppf(0.5 + level / 2, n - 1) * s / math.sqrt(n)
    return abs(m - exact) <= half, f"sim {m:.5f} ± {half:.5f} (level {level:.4f}) vs exact {exact:.5f}"


# (agents, load per agent, days per replication)
ERLANG_C_CASES = [(1, 0.8, 40), (12, 0.9, 8), (100, 0.95, 1)]


@pytest.mark.parametrize("agents,rho,days", ERLANG_C_CASES)
def test_mmc_matches_erlang_c(agents, rho, days):
    talk = 180.0
    a = agents * rho
    lam = a / talk
    res = sim.run(scenario(agents, lam * 3600, days, talk), replications=8, seed=11)
    per = res.per_replication
    pw = erlang_c(a, agents)
    sl = 1 - pw * math.exp(-(agents - a) / talk * 20.0)
    asa = pw * talk / (agents - a)
    for name, exact in (("service_level", sl), ("asa", asa)):
        ok, msg = within_ci(per[name], exact)
        assert ok, f"{name}: {msg}"
    assert res.metric("abandon_rate") == 0.0


@pytest.mark.parametrize("agents,rho,days,patience", [(1, 0.9, 30, 120.0), (12, 1.0, 6, 120.0),
                                                      (100, 1.0, 1, 300.0)])
def test_mmcm_matches_erlang_a(agents, rho, days, patience):
    talk = 180.0
    lam = agents * rho / talk
    res = sim.run(scenario(agents, lam * 3600, days, talk, patience), replications=8, seed=12)
    p_ab, p_sl = erlang_a(lam, 1 / talk, 1 / patience, agents, 20.0)
    for name, exact in (("abandon_rate", p_ab), ("service_level", p_sl)):
        ok, msg = within_ci(res.per_replication[name], exact)
        assert ok, f"{name}: {msg}"


def test_mmcc_blocking_matches_erlang_b():
    agents, a, talk = 10, 8.0, 180.0
    res = sim.run(scenario(agents, a / talk * 3600, 5, talk, trunks=agents), replications=16, seed=13)
    ok, msg = within_ci(res.per_replication["blocked_rate"], erlang_b(a, agents))
    assert ok, msg
    # With as many trunks as agents no caller ever waits.
    assert res.metric("queue_placement_rate") == 0.0


def test_reference_erlang_a_tends_to_erlang_c():
    """The test's own Erlang A reference agrees with Erlang C when patience is very long."""
    lam, mu, c = 10 / 180, 1 / 180, 12
    p_ab, p_sl = erlang_a(lam, mu, 1e-9, c, 20.0, nmax=600)
    pw = erlang_c(10.0, c)
    assert p_ab < 1e-6
    assert p_sl == pytest.approx(1 - pw * math.exp(-(c - 10.0) * mu * 20.0), rel=1e-4)
