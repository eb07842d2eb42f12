"""Estimators of sim.fit on data with known answers: AIC family choice, censored patience, redials and FCR."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.calllog import FIRST, REDIAL, REPEAT
from sim.fit.durations import fit_duration
from sim.fit.patience import fit_patience
from sim.fit.pickup import fit_pickup
from sim.fit.redials import classify_attempts, fit_redials, fit_truncated_exponential


# ----------------------------------------------------------------------------------------------- durations
@pytest.mark.parametrize("family, draw", [
    ("lognormal", lambda r, n: r.lognormal(5.0, 0.7, n)),
    ("gamma", lambda r, n: r.gamma(4.0, 40.0, n)),
    ("exponential", lambda r, n: r.exponential(90.0, n)),
])
def test_aic_chooses_the_generating_family(family, draw):
    x = draw(np.random.default_rng(11), 4000)
    fit = fit_duration(x, "talk")
    if family == "exponential" and fit.family == "gamma":
        # The exponential is a gamma with shape 1: AIC keeps the extra parameter by chance (P ≈ 0.16) but
        # then only by < 2 AIC points and with cv ≈ 1.
        assert fit.candidates["exponential"].aic - fit.candidates["gamma"].aic < 2
        assert fit.cv == pytest.approx(1.0, abs=0.05)
    else:
        assert fit.family == family
    assert fit.candidates[fit.family].aic == min(c.aic for c in fit.candidates.values())
    # 4000 values: the mean's standard error is < 2 %; 5 % leaves room and still catches a wrong estimator.
    assert fit.mean_s == pytest.approx(x.mean(), rel=0.05)
    lo, hi = fit.conf_int()
    assert lo < fit.mean_s < hi
    assert fit.ks_d < 0.03  # the right family fits closely (KS D ~ 1/sqrt(n))


def test_lognormal_parameters_recovered():
    rng = np.random.default_rng(2)
    mean, cv = 240.0, 0.7
    s2 = math.log1p(cv**2)
    x = rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), 6000)
    fit = fit_duration(x)
    # SE of the lognormal ML mean = mean * sqrt(s2/n + s2²/2n) ≈ 1 %; 3 % is the acceptance tolerance.
    assert fit.mean_s == pytest.approx(mean, rel=0.03)
    assert fit.cv == pytest.approx(cv, rel=0.05)
    assert fit.distribution() == {"family": "lognormal", "mean": pytest.approx(fit.mean_s, abs=1e-3),
                                  "cv": pytest.approx(fit.cv, abs=1e-4)}


def test_bimodal_data_fall_back_to_empirical():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(30, 3, 1000), rng.normal(300, 20, 1000)])
    fit = fit_duration(x)
    assert fit.family == "empirical"
    assert fit.best.ks_d > 0.05
    assert fit.distribution()["family"] == "empirical"


def test_zero_values_are_counted_or_make_it_empirical():
    rng = np.random.default_rng(4)
    few = np.concatenate([rng.gamma(4, 10, 1000), np.zeros(10)])  # 1 % zeros: left out, reported
    fit = fit_duration(few)
    assert fit.n_nonpositive == 10 and fit.n == 1000 and fit.family == "gamma"
    many = np.concatenate([rng.gamma(4, 10, 700), np.zeros(300)])  # 30 % zeros are behaviour: keep them
    fit = fit_duration(many)
    assert fit.family == "empirical" and fit.n == 1000
    assert fit.mean_s == pytest.approx(many.mean())


def test_fixed_durations_are_deterministic_and_bad_input_is_named():
    assert fit_duration(np.full(50, 15.0)).distribution() == {"family": "deterministic", "mean": 15.0}
    with pytest.raises(ValueError, match="acw: 1 negative"):
        fit_duration([10.0, -1.0, 5.0], "acw")
    with pytest.raises(ValueError, match="talk: need at least 2"):
        fit_duration([10.0], "talk")


# ----------------------------------------------------------------------------------------------- patience
def _censored(patience: np.ndarray, service_wait: np.ndarray):
    """A caller abandons when patience runs out before the offered wait (answer) ends; else censored."""
    abandoned = patience < service_wait
    return np.minimum(patience, service_wait), abandoned


def test_exponential_patience_with_heavy_censoring_is_unbiased_but_naive_mean_is_low():
    rng = np.random.default_rng(5)
    n, true_mean = 20000, 120.0
    waits, abandoned = _censored(rng.exponential(true_mean, n), rng.exponential(40.0, n))
    assert abandoned.mean() < 0.3  # most observations censored
    fit = fit_patience(waits, abandoned)
    naive = waits[abandoned].mean()
    assert naive < 0.5 * true_mean  # the naive estimate is badly biased low (here ~ 30 s)
    # ~5000 events: SE of the exponential MLE ≈ 120/sqrt(5000) ≈ 1.4 %; 5 % is > 3 SE.
    assert fit.candidates["exponential"].mean_s == pytest.approx(true_mean, rel=0.05)
    assert fit.mean_s == pytest.approx(true_mean, rel=0.05)
    lo, hi = fit.conf_int()
    assert lo < true_mean < hi


def test_weibull_patience_family_and_mean_recovered():
    rng = np.random.default_rng(6)
    n, k, scale = 20000, 1.6, 150.0
    true_mean = scale * math.gamma(1 + 1 / k)
    waits, abandoned = _censored(scale * rng.weibull(k, n), rng.exponential(60.0, n))
    fit = fit_patience(waits, abandoned)
    assert fit.family == "weibull"
    assert fit.mean_s == pytest.approx(true_mean, rel=0.05)  # ~ 5000 events: SE ≈ 1.5 %
    assert waits[abandoned].mean() < 0.6 * true_mean
    assert fit.distribution()["family"] == "weibull"
    km = fit.kaplan_meier()
    t = 100.0  # Kaplan–Meier agrees with the true survival function (SE of S(t) ≈ 0.005 here)
    assert float(km.sf.evaluate(t)) == pytest.approx(math.exp(-(t / scale) ** k), abs=0.02)


def test_patience_needs_abandons_and_nonnegative_waits():
    with pytest.raises(ValueError, match="at least 2 abandoned"):
        fit_patience([10.0, 20.0, 30.0], [False, False, True])
    with pytest.raises(ValueError, match="negative waits"):
        fit_patience([10.0, -1.0, 30.0], [True, True, False])


def test_pickup_delay_is_the_floor_of_answered_waits():
    rng = np.random.default_rng(7)
    waits = np.concatenate([np.full(700, 3.0), 3.0 + rng.exponential(30.0, 300)])
    assert fit_pickup(waits).delay_s == 3.0
    assert fit_pickup(rng.exponential(30.0, 1000)).delay_s == 0.0


# ----------------------------------------------------------------------------------------------- redials / FCR
def _log(rows) -> pd.DataFrame:
    """Hand-built call log: (caller, type, arrive, outcome, answer_or_abandon, talk_end)."""
    recs = []
    for caller, ctype, arrive, outcome, t1, t2 in rows:
        recs.append({"caller": caller, "call_type": ctype, "arrive": float(arrive), "enqueue": float(arrive),
                     "outcome": outcome,
                     "answer": float(t1) if outcome == "handled" else np.nan,
                     "abandon": float(t1) if outcome == "abandoned" else np.nan,
                     "talk_end": float(t2) if outcome == "handled" else np.nan, "ivr_end": np.nan})
    frame = pd.DataFrame(recs)
    frame["call_type"] = pd.Categorical(frame["call_type"], categories=["a", "b"])
    frame["outcome"] = pd.Categorical(frame["outcome"], categories=["in_system", "blocked", "ivr", "abandoned",
                                                                    "handled"])
    return frame


HOUR = 3600.0


def test_classify_attempts_by_caller_id_and_windows():
    calls = _log([
        (1, "a", 0, "abandoned", 60, None),          # first
        (1, "a", 300, "handled", 310, 500),          # redial 240 s after abandoning
        (1, "a", 500 + 2 * HOUR, "handled", 2 * HOUR + 510, 2 * HOUR + 600),  # repeat 2 h after a handled call
        (2, "b", 100, "abandoned", 130, None),       # first
        (2, "b", 130 + 2 * HOUR, "handled", 2 * HOUR + 140, 2 * HOUR + 200),  # 2 h after abandoning: not a redial
        (-1, "a", 50, "abandoned", 70, None),        # anonymous: never linked
        (-1, "a", 80, "handled", 90, 100),           # anonymous: first
    ])
    origin = classify_attempts(calls, redial_window_s=HOUR, repeat_window_s=72 * HOUR)
    assert origin.tolist() == [FIRST, REDIAL, REPEAT, FIRST, FIRST, FIRST, FIRST]


def test_redial_probability_and_fcr_from_hand_built_log():
    rows = []
    # 10 callers abandon at t0 + 60; callers 0..3 redial 300 s later (4 of 10 = 0.4), answered.
    for c in range(10):
        t0 = 1000.0 * c
        rows.append((c, "a", t0, "abandoned", t0 + 60, None))
        if c < 4:
            rows.append((c, "a", t0 + 360, "handled", t0 + 370, t0 + 470))
    # 20 handled first calls of type b; callers 100..104 call again 1 h after the talk end. The 5 repeat calls
    # are handled calls too (never repeated): FCR = 1 - 5 repeated / 25 handled = 0.8.
    for c in range(100, 120):
        t0 = 50000.0 + 100 * c
        rows.append((c, "b", t0, "handled", t0 + 5, t0 + 200))
        if c < 105:
            rows.append((c, "b", t0 + 200 + HOUR, "handled", t0 + HOUR + 210, t0 + HOUR + 300))
    calls = _log(rows)
    period_end = 10 * 86400.0
    fit = fit_redials(calls, period_end, redial_window_s=HOUR, repeat_window_s=24 * HOUR)
    assert fit.redial_prob_abandon == pytest.approx(0.4)
    assert fit.n_abandoned_eligible == 10
    assert fit.redial_delay.n == 4 and fit.redial_delay.mean_s == pytest.approx(300.0, rel=0.01)
    assert fit.fcr["b"]["fcr_within_window"] == pytest.approx(20 / 25)
    # the repeat calls themselves (handled, never repeated) count as resolved handled calls of type b
    assert fit.fcr["b"]["handled"] == 25
    assert fit.origin_counts == {"first": 30, "redial": 4, "repeat": 5}


def test_calls_whose_window_runs_past_the_log_end_are_not_counted():
    calls = _log([(1, "a", 0, "abandoned", 60, None), (2, "a", 9000, "abandoned", 9060, None)])
    fit = fit_redials(calls, period_end_s=9500.0, redial_window_s=HOUR)
    assert fit.n_abandoned_eligible == 1  # the second abandon could not show a redial inside the log


def test_truncated_exponential_delay_corrects_for_the_window():
    rng = np.random.default_rng(8)
    gaps = rng.exponential(2 * HOUR, 200000)
    seen = gaps[gaps <= 3 * HOUR]
    fit = fit_truncated_exponential(seen, 3 * HOUR)
    assert seen.mean() < 0.75 * 2 * HOUR          # the raw mean of what a window shows is biased low
    assert fit.mean_s == pytest.approx(2 * HOUR, rel=0.02)
