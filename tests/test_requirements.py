"""Interval requirements: vectorised search vs a per-agent scalar search, minimality, shrinkage, trunks,
CSV volumes and the scenario entry point (with a small fake scenario)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from staffing.erlang_a import erlang_a_metrics
from staffing.erlang_b import erlang_b
from staffing.erlang_c import erlang_c_asa, erlang_c_service_level
from staffing.requirements import (
    StaffingTarget,
    agents_for_target,
    agents_for_traffic,
    predicted_metrics,
    requirements_from_scenario,
    requirements_table,
    trunks_for_target,
)
from staffing.shrinkage import handover_shrinkage, heads_for_agents, total_shrinkage
from staffing.volumes import read_volumes_csv

SL_80_20 = {"service_level": 0.8, "service_time_s": 20.0}


def scalar_search(traffic, aht, ok):
    """Reference: try N = N0, N0+1, ... one at a time until ``ok(traffic, N, aht)``.

    N0 = floor(A/2) to keep the test fast; it is checked to be infeasible, so the answer is still minimal.
    """
    if traffic == 0:
        return 0
    n = int(traffic // 2)
    assert not ok(traffic, n, aht)
    while not ok(traffic, n, aht):
        n += 1
    return n


def test_published_example_14_agents_before_shrinkage():
    # 100 calls per 30 min, AHT 180 s, 80 % answered in 20 s -> 14 agents (Erlang C; callcentrehelper.com
    # "Erlang C formula made simple" worked example); with 30 % shrinkage -> ceil(14 / 0.7) = 20 heads
    assert agents_for_target(100, 180, 1800, SL_80_20).tolist() == 14
    table = requirements_table(pd.DataFrame({"calls": [100.0]}), SL_80_20, interval_s=1800, shrinkage=0.3,
                               default_aht_s=180)
    assert table.loc[0, "agents"] == 14 and table.loc[0, "heads"] == 20


@pytest.mark.parametrize("target,ok", [
    (SL_80_20, lambda a, n, h: n > a and erlang_c_service_level(a, n, h, 20) >= 0.8),
    ({"asa_s": 15.0}, lambda a, n, h: n > a and erlang_c_asa(a, n, h) <= 15.0),
    ({"occupancy_max": 0.85}, lambda a, n, h: n > a and a / n <= 0.85),
    ({"abandon_rate": 0.03, "patience_mean_s": 90.0},
     lambda a, n, h: erlang_a_metrics(a, n, h, 90.0, waits=False)["abandon_probability"] <= 0.03),
    ({"service_level": 0.9, "service_time_s": 30.0, "asa_s": 10.0, "patience_mean_s": 60.0},
     lambda a, n, h: (m := erlang_a_metrics(a, n, h, 60.0, 30.0)) and m["service_level"] >= 0.9
     and m["asa_s"] <= 10.0),
])
def test_vectorised_search_equals_per_agent_search(target, ok):
    rng = np.random.default_rng(7)
    calls = np.concatenate([[0.0, 0.2, 1.0, 5.0], rng.uniform(5, 2000, 20)])
    aht = rng.uniform(120, 420, calls.size)
    interval = 900.0
    got = agents_for_target(calls, aht, interval, target)
    want = [scalar_search(c * h / interval, h, ok) for c, h in zip(calls, aht)]
    assert got.tolist() == want


# Minimality and meeting every target are judged by an outside oracle in test_requirements_oracle.py.


def test_large_centre_and_array_shapes():
    # 95 000 Erlangs at 80/20: needs a little more than A + the square-root safety staffing
    n = agents_for_traffic(np.array([[95000.0], [9500.0]]), 300.0, SL_80_20)
    assert n.shape == (2, 1)
    assert 95000 < n[0, 0] < 95000 + 3 * np.sqrt(95000)
    sl_at, sl_below = erlang_c_service_level(95000.0, [n[0, 0], n[0, 0] - 1], 300, 20)
    assert sl_at >= 0.8 > sl_below


def test_short_abandons_excluded_from_denominators():
    base = StaffingTarget(service_level=0.8, service_time_s=20, patience_mean_s=60)
    excl = StaffingTarget(service_level=0.8, service_time_s=20, patience_mean_s=60, short_abandon_s=20)
    a, n = np.array([10.0]), np.array([11])
    m0 = erlang_a_metrics(a, n, 180.0, 60.0, 20.0)
    short = erlang_a_metrics(a, n, 180.0, 60.0, 20.0)["abandon_within"]  # same t: abandons within 20 s
    p_ex = predicted_metrics(a, n, 180.0, excl)
    assert p_ex["service_level"] == pytest.approx(m0["service_level"] / (1 - short))
    assert p_ex["abandon_rate"] == pytest.approx((m0["abandon_probability"] - short) / (1 - short))
    assert predicted_metrics(a, n, 180.0, base)["service_level"] == pytest.approx(m0["service_level"])
    # excluding short abandons can only lower the need
    assert agents_for_traffic(a, 180.0, excl) <= agents_for_traffic(a, 180.0, base)


@pytest.mark.parametrize("kwargs,match", [
    ({"service_level": 1.2, "service_time_s": 20}, "service_level"),
    ({"service_level": 0.8}, "service_time_s"),
    ({"asa_s": 0.0}, "asa_s"),
    ({"abandon_rate": 0.05}, "patience_mean_s"),
    ({"occupancy_max": 0.0}, "occupancy_max"),
    ({"service_level": 0.8, "service_time_s": -1}, "service_time_s"),
    ({"patience_mean_s": 60.0}, "no staffing target"),
    ({"asa_s": 20.0, "blocking": 1.0}, "blocking"),
    ({"asa_s": 20.0, "short_abandon_s": 20.0}, "patience_mean_s"),
])
def test_invalid_targets_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StaffingTarget(**kwargs)


def test_unknown_target_key_and_bad_arrays():
    with pytest.raises(ValueError, match="unknown staffing target"):
        agents_for_target([10], 180, 900, {"service_lvl": 0.8})
    with pytest.raises(ValueError, match="calls"):
        agents_for_target([-1.0], 180, 900, SL_80_20)
    with pytest.raises(ValueError, match="interval_s"):
        agents_for_target([10.0], 180, 0, SL_80_20)
    with pytest.raises(ValueError, match="aht_s"):
        agents_for_target([10.0], 0, 900, SL_80_20)


def test_shrinkage_and_heads():
    assert total_shrinkage({"breaks": 0.1, "absence": 0.08, "training": 0.05, "handover": 0.07}) == pytest.approx(0.3)
    assert total_shrinkage({"a": 0.5, "b": 0.5}, combine="multiplicative") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="absence"):
        total_shrinkage({"absence": 1.2})
    with pytest.raises(ValueError, match="total shrinkage"):
        total_shrinkage({"a": 0.6, "b": 0.5})
    # 7 / 0.7 is exactly 10 heads, not 11 (floating-point 10.000000000000002)
    assert heads_for_agents([0, 7, 14, 15], 0.3).tolist() == [0, 10, 20, 22]
    assert handover_shrinkage(15, 7.75) == pytest.approx(15 / 480)
    with pytest.raises(ValueError, match="shift_hours"):
        handover_shrinkage(15, 0)


def test_trunks_cover_talking_and_queued_calls():
    calls, aht, ivl = np.array([100.0, 0.0]), 180.0, 1800.0
    target = StaffingTarget(service_level=0.8, service_time_s=20, blocking=0.01)
    agents = agents_for_target(calls, aht, ivl, target)
    trunks = trunks_for_target(calls, aht, ivl, agents, target)
    # traffic on the lines = A + lambda * E[W] with E[W] = Erlang C mean wait over all calls
    line_traffic = 10.0 + 100 / 1800 * erlang_c_asa(10.0, agents[0], 180.0)
    assert erlang_b(line_traffic, trunks[0]) <= 0.01 < erlang_b(line_traffic, trunks[0] - 1)
    assert trunks[1] == 0
    assert trunks[0] >= 18  # at least what the 10 talking Erlangs alone need (Erlang B table)


def test_csv_volumes_seconds_clock_and_timestamps(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("interval_start,calls,aht_s\n0,10,200\n900,20,\n1800,0,150\n")
    df, ivl = read_volumes_csv(p)
    assert ivl == 900 and df["interval_start_s"].tolist() == [0, 900, 1800]
    assert np.isnan(df["aht_s"][1])
    table = requirements_table(df, SL_80_20, interval_s=ivl, default_aht_s=240)
    assert table["aht_s"].tolist() == [200, 240, 150]
    assert table["agents"][2] == 0

    p.write_text("interval_start,calls\n23:30,5\n00:00,4\n00:30,3\n")
    df, ivl = read_volumes_csv(p)
    assert ivl == 1800 and df["interval_start_s"].tolist() == [84600, 86400, 88200]

    p.write_text("interval_start,calls\n2026-01-05 08:00,5\n2026-01-05 08:15,4\n")
    df, ivl = read_volumes_csv(p)
    assert ivl == 900 and df["interval_start_s"].tolist() == [28800, 29700]


@pytest.mark.parametrize("text,match", [
    ("start,calls\n0,1\n900,2\n", "interval_start"),
    ("interval_start,calls\n0,1\n900,x\n", "calls"),
    ("interval_start,calls\n0,1\n900,-2\n", "calls"),
    ("interval_start,calls\n0,1\n900,2\n2000,3\n", "constant step"),
    ("interval_start,calls\nnoon,1\n", "interval_start"),
    ("interval_start,calls,aht_s\n0,1,0\n900,1,100\n", "aht_s"),
])
def test_csv_errors_are_clear(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_volumes_csv(p)


def test_csv_without_aht_needs_default(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("interval_start,calls\n0,10\n900,20\n")
    df, ivl = read_volumes_csv(p)
    with pytest.raises(ValueError, match="AHT"):
        requirements_table(df, SL_80_20, interval_s=ivl)


def fake_scenario(targets):
    workload = pd.DataFrame({"interval": [0, 1, 2], "interval_start_s": [0.0, 1800.0, 3600.0],
                             "calls": [100.0, 0.0, 40.0], "aht_s": [180.0, 180.0, 240.0]})
    return SimpleNamespace(workload=lambda: workload, staffing_targets=lambda: dict(targets),
                           horizon=SimpleNamespace(interval_s=1800), agents=SimpleNamespace(shrinkage=0.3))


def test_requirements_from_fake_scenario():
    sc = fake_scenario({"service_level": 0.8, "service_time_s": 20.0, "patience_mean_s": None})
    table = requirements_from_scenario(sc)
    assert list(table.columns[:7]) == ["interval", "interval_start_s", "calls", "aht_s", "traffic", "agents",
                                       "heads"]
    assert table["agents"].tolist()[:2] == [14, 0]
    assert table["heads"].tolist()[0] == 20  # 30 % shrinkage from the scenario
    assert (table["service_level"] >= 0.8).all()
    assert table["traffic"].tolist() == pytest.approx([10.0, 0.0, 40 * 240 / 1800])
    # with the scenario's patience the model is Erlang A and the abandon target is honoured
    sc2 = fake_scenario({"abandon_rate": 0.05, "patience_mean_s": 75.0})
    t2 = requirements_from_scenario(sc2, shrinkage=0.0)
    assert (t2["abandon_rate"] <= 0.05).all() and t2["heads"].equals(t2["agents"])
    # a mapping target overrides single keys of the scenario's targets
    t3 = requirements_from_scenario(sc, {"service_level": 0.9})
    assert (t3["agents"] >= table["agents"]).all() and (t3["service_level"] >= 0.9).all()
