"""The public API and CLI: reproducibility, parallel replications, outputs, exit codes."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app

SMALL = {
    "horizon": {"days": 1},
    "arrivals": {"calls_per_hour": 40},
    "call_types": {"a": {"share": 0.5, "talk": {"family": "gamma", "mean": 200, "cv": 0.7}, "acw": 20,
                         "fcr": 0.8, "repeat_delay": {"family": "exponential", "mean": 1800}},
                   "b": {"share": 0.5, "priority": 1, "talk": {"family": "exponential", "mean": 150},
                         "hold_prob": 0.3, "hold": {"family": "exponential", "mean": 30}}},
    "callers": {"patience": {"family": "exponential", "mean": 90}, "redial_prob_abandon": 0.5},
    "telephony": {"trunks": 6},
    "agents": {"headcount": 3, "absenteeism": 0.1, "adherence": 0.9},
    "targets": {"service_level": {"min": 0.5}, "abandon_rate": {"max": 0.9}, "total_calls": {"max": 1}},
}


def small() -> sim.Scenario:
    return sim.Scenario.model_validate(SMALL)


def test_same_seed_same_results_and_different_seed_differs():
    a = sim.run(small(), replications=2, seed=5)
    b = sim.run(small(), replications=2, seed=5)
    c = sim.run(small(), replications=2, seed=6)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.calls, b.calls)
    assert not a.summary["mean"].equals(c.summary["mean"])


def test_jobs_2_equals_jobs_1():
    one = sim.run(small(), replications=3, seed=9, jobs=1)
    two = sim.run(small(), replications=3, seed=9, jobs=2)
    pd.testing.assert_frame_equal(one.summary, two.summary)
    pd.testing.assert_frame_equal(one.intervals, two.intervals)


def test_replication_i_does_not_depend_on_how_many_run():
    few = sim.run(small(), replications=2, seed=3)
    many = sim.run(small(), replications=4, seed=3)
    pd.testing.assert_frame_equal(few.per_replication, many.per_replication.iloc[:2])


def test_summary_shape_and_names():
    res = sim.run(small(), replications=3, seed=1)
    assert list(res.summary.columns[:3]) == ["mean", "ci_low", "ci_high"]
    for name in sim.METRICS:
        assert name in res.summary.index
    assert (res.summary.loc["service_level", "ci_low"] <= res.summary.loc["service_level", "mean"]
            <= res.summary.loc["service_level", "ci_high"])
    assert set(res.intervals["replication"]) == {0, 1, 2}
    assert {"replication", "interval", "interval_start_s", "service_level", "agents_ready"} <= set(res.intervals)
    assert "service_level_ci_low" in res.interval_summary.columns
    checks = res.check_targets().set_index("metric")["status"]
    assert checks["abandon_rate"] == "pass" and checks["total_calls"] == "fail"


def test_run_accepts_dict_and_path_and_rejects_others(tmp_path):
    from_dict = sim.run(SMALL, replications=1, seed=2)
    pd.testing.assert_frame_equal(from_dict.summary, sim.run(small(), replications=1, seed=2).summary)
    assert sim.run("scenarios/validation/mmcc_erlang_b.toml", replications=1, seed=1).metric("blocked_rate") > 0
    with pytest.raises(sim.ScenarioError, match="must be a sim.Scenario, a dict or a TOML file path"):
        sim.run(42)


def test_bad_api_arguments_are_clear():
    with pytest.raises(sim.ScenarioError, match="replications must be an integer in 1..10000"):
        sim.run(small(), replications=0)
    with pytest.raises(sim.ScenarioError, match="jobs must be an integer >= 1"):
        sim.run(small(), jobs=0)


def test_cli_run_writes_outputs(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text("""
name = "cli"
[horizon]
days = 1
[arrivals]
calls_per_hour = 30
[call_types.a]
share = 1.0
talk = { family = "exponential", mean = 120 }
[agents]
headcount = 2
[targets]
service_level = { min = 0.5 }
""", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(scenario), "-r", "2", "--seed", "4", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "service_level" in result.output and "pass" in result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["replications"] == 2 and "asa" in summary["metrics"]
    calls = pd.read_csv(tmp_path / "o" / "calls.csv.gz")
    assert set(calls["replication"]) == {0, 1}
    assert len(pd.read_csv(tmp_path / "o" / "intervals.csv")) == 2 * 48


def test_cli_invalid_scenario_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[arrivals]\ncalls_per_hour = -1\n[call_types.a]\nshare = 1.0\ntalk = 60\n"
                   "[agents]\nheadcount = 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(bad)])
    assert result.exit_code == 2
    assert "arrivals.calls_per_hour" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["run", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2 and "not found" in result.output
