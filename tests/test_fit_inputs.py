"""Arrival profile with holidays, observed staffing as shifts, exact arrival counts, the Weibull family."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import sim
from sim.distributions import Distribution
from sim.fit.arrivals import fit_arrivals
from sim.fit.staffing import agents_seen_per_interval, ready_periods_as_shifts
from sim.model import arrival_stream
from sim.scenario import ScenarioError


def _calls(arrive_s, types) -> pd.DataFrame:
    frame = pd.DataFrame({"arrive": np.asarray(arrive_s, dtype=float), "call_type": types})
    frame["call_type"] = pd.Categorical(frame["call_type"], categories=["a", "b"])
    return frame


def test_weekday_profile_leaves_out_marked_holidays():
    # 2024-09-30 (Mon) .. 2024-10-13 (Sun): National Day 10-01..10-07, adjusted working days 09-29 and 10-12.
    start = pd.Timestamp("2024-09-30", tz="Asia/Shanghai")
    days = 14
    arrive, types = [], []
    for d in range(days):
        date = start.date() + dt.timedelta(days=d)
        n = 2 if dt.date(2024, 10, 1) <= date <= dt.date(2024, 10, 7) else 10  # holidays are quiet
        arrive += [d * 86400.0 + 9 * 3600.0 + 60.0 * k for k in range(n)]
        types += ["a"] * (n // 2) + ["b"] * (n - n // 2)
    calls = _calls(arrive, types)
    fit = fit_arrivals(calls, np.ones(len(calls), bool), start, days, 60, holidays=[dt.date(2024, 10, 9)])
    marked = fit.marked
    assert all(dt.date(2024, 10, d) in marked for d in range(1, 8))
    assert "adjusted working day" in marked[dt.date(2024, 10, 12)]
    assert marked[dt.date(2024, 10, 9)] == "holiday (given)"
    profile = fit.profile()
    assert sum(profile["monday"]) == 10.0           # 09-30 only; 10-07 is a holiday
    assert sum(profile["default"]) == 10.0          # holidays do not pull the profile down
    assert "wednesday" not in profile  # 10-02 a holiday, 10-09 given: no normal Wednesday, the default applies
    assert fit.shares == {"a": pytest.approx(0.5, abs=0.05), "b": pytest.approx(0.5, abs=0.05)}
    assert fit.to_dict()["days"][1]["marked"].startswith("holiday")


def test_ready_periods_become_minute_shifts_across_midnight():
    ready = pd.DataFrame({"agent": [0, 0, 1], "start": [8 * 3600.0, 13 * 3600.0, 86400.0 - 1800.0],
                          "end": [12 * 3600.0, 13 * 3600.0 + 20.0, 86400.0 + 3600.0]})
    shifts, tiny = ready_periods_as_shifts(ready, days=2)
    assert tiny == 1  # the 20-s period rounds to nothing and is reported
    assert shifts == [{"name": "observed", "start": "08:00", "end": "12:00", "day": 0, "count": 1},
                      {"name": "observed", "start": "23:30", "end": "01:00", "day": 0, "count": 1}]


def test_agents_seen_busy_count_each_agent_once_per_interval():
    calls = pd.DataFrame({"agent": [1, 1, 2, -1], "answer": [10.0, 100.0, 1700.0, 5.0],
                          "talk_end": [50.0, 200.0, 1900.0, 9.0], "acw_end": [60.0, 210.0, 1950.0, 9.0]})
    assert agents_seen_per_interval(calls, 1800.0, 3).tolist() == [2.0, 1.0, 0.0]


def test_exact_arrival_counts_when_poisson_is_false():
    base = {"horizon": {"days": 1, "interval_minutes": 60}, "agents": {"headcount": 2},
            "call_types": {"a": {"share": 1.0, "talk": 60}}}
    counts = [float(i % 5) for i in range(24)]
    sc = sim.Scenario.model_validate(base | {"arrivals": {"calls_per_interval": counts, "poisson": False}})
    times, _ = arrival_stream(sc, np.random.default_rng(1))
    assert np.bincount((times // 3600).astype(int), minlength=24).tolist() == [int(c) for c in counts]
    with pytest.raises(ScenarioError, match="poisson = false needs whole numbers"):
        sim.run(base | {"arrivals": {"calls_per_interval": [1.5] * 24, "poisson": False}}, replications=1)


def test_weibull_family_matches_mean_and_cv():
    d = Distribution(family="weibull", mean=120.0, cv=0.6)
    x = d.draw(np.random.default_rng(3), 200_000)
    assert x.mean() == pytest.approx(120.0, rel=0.01)   # SE ≈ 0.13 %
    assert x.std() / x.mean() == pytest.approx(0.6, rel=0.01)
    assert d.expected() == 120.0
    with pytest.raises(ValueError, match="weibull' needs 'cv'"):
        Distribution(family="weibull", mean=120.0)
