"""``intraday_ceiling``: the noon reforecast next to look-ahead oracles, on hand-computed points."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from staffing.forecast.accuracy import intraday_ceiling


def _day(origin, morning, afternoon, evening_m, evening_a, reforecast):
    """Points of one origin day: two morning and two afternoon intervals (day-ahead + rest-of-day rows)."""
    d = pd.Timestamp(origin)
    idx = d + pd.to_timedelta([10, 11, 12, 13], unit="h")
    whole = pd.DataFrame({"origin": d, "horizon": "day-ahead", "actual": morning + afternoon,
                          "model": evening_m + evening_a}, index=idx)
    rest = pd.DataFrame({"origin": d, "horizon": "rest of day", "actual": afternoon, "model": evening_a,
                         "reforecast": reforecast}, index=idx[2:])
    return [whole, rest]


@pytest.fixture
def points():
    # day A: morning as forecast, afternoon busier (120, 100 vs 80, 80), reforecast 90, 90;
    # day C: whole day 10 % busier than forecast (100s vs 90s), reforecast 95, 95.
    return pd.concat(_day("2026-03-02", [80, 80], [120, 100], [80, 80], [80, 80], [90, 90])
                     + _day("2026-03-03", [100, 100], [100, 100], [90, 90], [90, 90], [95, 95]))


def test_ceiling_by_hand(points):
    t = intraday_ceiling(points).set_index("method")
    # afternoon actual total 420; evening errors A 40 + 20, C 10 + 10 = 80
    assert t.loc["evening before", "wape"] == pytest.approx(80 / 420)
    # reforecast errors A 30 + 10, C 5 + 5 = 50
    assert t.loc["intraday reforecast", "wape"] == pytest.approx(50 / 420)
    assert t.loc["intraday reforecast", "reduction"] == pytest.approx(1 - 50 / 80)
    # true day total: A 380 / 320 -> 95 each: errors 25 + 5; C 400 / 360 -> exactly 100: 0
    assert t.loc["oracle: true day total", "wape"] == pytest.approx(30 / 420)
    # true afternoon total: A 220 / 160 -> 110 each: errors 10 + 10; C exactly right
    assert t.loc["oracle: true rest-of-day total", "reduction"] == pytest.approx(1 - 20 / 80)
    y = np.array([120, 100, 100, 100])
    assert t.loc["Poisson floor (approx.)", "wape"] == pytest.approx(np.sqrt(2 * y / np.pi).sum() / y.sum())
    # resamples of the two days give reductions between day A's 1/3 and day C's 1/2
    lo, hi = t.loc["intraday reforecast", ["ci_lo", "ci_hi"]]
    assert 1 / 3 - 1e-12 <= lo <= 1 - 50 / 80 <= hi <= 0.5 + 1e-12
    assert t["ci_lo"].notna().sum() == 1  # the interval is only for the reforecast


def test_ceiling_needs_rest_of_day_rows(points):
    with pytest.raises(ValueError, match="intraday_at"):
        intraday_ceiling(points[points["horizon"] == "day-ahead"])


def test_benchmark_rules_follow_a_busy_morning():
    """The noon rules of benchmarks/bench_intraday_rules.py on synthetic days with a known day-level shock.

    60 days of 30-min Poisson counts (07:00-21:00, ~1 000 calls per interval) = forecast × exp(day shock), shock
    sd 0.08; the last two days have known shocks: ×1.3 (a busy morning *and* afternoon) and ×1.0.  With 58
    training days the fitted rules recover most of a 0.26 log shock seen in 10 morning intervals (count noise
    ~3 % per interval, so the morning's ratio is known to ~1 %); the bounds allow shrinkage of up to a third
    (the Huber rules clip a morning this unusual by design).
    """
    from benchmarks.bench_intraday_rules import rules

    rng = np.random.default_rng(5)
    n_days, S = 60, 48
    F = np.full((n_days, S), np.nan)
    F[:, 14:42] = 1000.0
    shock = np.exp(rng.normal(0, 0.08, n_days))
    shock[-2:] = [1.3, 1.0]
    Y = rng.poisson(np.nan_to_num(F) * shock[:, None]).astype(float)
    Y[np.isnan(F)] = np.nan
    Y5 = np.repeat(Y / 6, 6, axis=1)
    days = np.arange(n_days)
    preds, mi, ai = rules(Y, F, Y5, days[-2:], days, weekday=days % 5)
    assert len(preds) >= 17
    ratio = {name: (p[0].sum() / F[-2, ai].sum(), p[1].sum() / F[-1, ai].sum()) for name, p in preds.items()}
    for name, (busy, calm) in ratio.items():
        assert 0.95 < calm < 1.05, (name, calm)
        if "Huber" not in name:
            assert 1.2 < busy < 1.35, (name, busy)
    # the robust rule clips the morning's residuals at 2 sd: it follows a 0.26 log shock only part of the way
    huber, plain = ratio["state space, Huber morning"][0], ratio["state space: day level + AR(1)"][0]
    assert 1.05 < huber < plain - 0.1
