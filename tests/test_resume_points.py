"""Interrupted sweep / compare / schedule --verify: a re-run with the same --out reuses the finished points
(sim.resume) — only missing points are computed, a changed input is never reused, and the outputs equal an
uninterrupted run's."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
import sim.sweep
from sim.cli import app
from sim.resume import PointStore
from sim.sweep import run_sweep
from test_shifts_cli import SCENARIO as VERIFY_TOML  # the tiny one-day scenario of the schedule CLI tests

BASE = {
    "horizon": {"days": 1},
    "arrivals": {"calls_per_hour": 40},
    "call_types": {"a": {"share": 1.0, "talk": {"family": "exponential", "mean": 150}}},
    "callers": {"patience": {"family": "exponential", "mean": 120}},
    "agents": {"headcount": 2},
}
SETS = ["agents=2..3", "arrivals.scale=0.8,1.0"]     # 4 variants x 2 replications = 8 points

TOML = """
[horizon]
days = 1
[arrivals]
calls_per_hour = 40
[call_types.a]
share = 1.0
talk = 120
[agents]
headcount = 2
"""


REAL_TASK = sim.sweep._task


class Killed(Exception):
    """Stands for Ctrl-C / a kill in the middle of a command."""


def counting_task(monkeypatch, kill_after: int | None = None) -> list:
    """Replace sim.sweep._task (jobs=1 runs it in this process) by a wrapper that records each computed point
    and raises Killed when ``kill_after`` points have finished."""
    calls = []

    def task(scenario, seed, replication):
        if kill_after is not None and len(calls) == kill_after:
            raise Killed
        calls.append((scenario.agents.headcount, scenario.arrivals.scale, replication))
        return REAL_TASK(scenario, seed, replication)

    monkeypatch.setattr(sim.sweep, "_task", task)
    return calls


def test_sweep_recomputes_only_a_deleted_point_and_gives_the_uninterrupted_table(tmp_path, monkeypatch):
    base = sim.Scenario.model_validate(BASE)
    reference, ref_summary = run_sweep(base, SETS, replications=2, seed=5, jobs=1)
    first = PointStore(tmp_path / "points")
    run_sweep(base, SETS, replications=2, seed=5, jobs=1, points=first)
    assert first.computed == 8 and first.reused == 0
    files = sorted((tmp_path / "points").glob("*.pkl"))
    assert len(files) == 8
    files[3].unlink()                                   # one point's result is lost
    calls = counting_task(monkeypatch)
    again = PointStore(tmp_path / "points")
    tidy, summary = run_sweep(base, SETS, replications=2, seed=5, jobs=1, points=again)
    assert again.reused == 7 and again.computed == 1 and len(calls) == 1
    assert files[3].exists()                            # the recomputed point is the deleted one
    pd.testing.assert_frame_equal(tidy, reference)
    pd.testing.assert_frame_equal(summary, ref_summary)
    # another seed is another input: nothing reused, every kept point reported as belonging to other inputs
    other = PointStore(tmp_path / "points")
    run_sweep(base, SETS, replications=2, seed=6, jobs=1, points=other)
    assert other.reused == 0 and other.computed == 8 and other.unused() == 8
    assert "8 kept replications belong to other inputs" in other.summary("replications")


def test_interrupted_sweep_cli_resumes_says_how_many_were_reused_and_cleans_up(tmp_path, monkeypatch):
    src = tmp_path / "s.toml"
    src.write_text(TOML, encoding="utf-8")
    args = ["sweep", str(src), "--set", "agents=1..3", "-r", "2", "-j", "1", "--seed", "4"]
    ref = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "ref")])
    assert ref.exit_code == 0, ref.output
    out = tmp_path / "sw"
    counting_task(monkeypatch, kill_after=4)
    killed = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert isinstance(killed.exception, Killed) and not (out / "sweep.csv").exists()
    assert len(list((out / ".acdsim-work" / "sweep").glob("*.pkl"))) == 4
    calls = counting_task(monkeypatch)
    r = CliRunner().invoke(app, [*args, "--out", str(out)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert len(calls) == 2 and "reused 4 of 6 replications" in r.output
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), pd.read_csv(tmp_path / "ref" / "sweep.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep_summary.csv"),
                                  pd.read_csv(tmp_path / "ref" / "sweep_summary.csv"))
    assert not (out / ".acdsim-work").exists()     # finished: nothing left to resume


def test_interrupted_compare_resumes_with_the_uninterrupted_result(tmp_path, monkeypatch):
    src = tmp_path / "s.toml"
    src.write_text(TOML, encoding="utf-8")
    args = ["compare", str(src), "--set", "agents=3", "-r", "3", "-j", "1", "--seed", "2"]
    ref = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "ref")])
    assert ref.exit_code == 0, ref.output
    out = tmp_path / "cmp"
    counting_task(monkeypatch, kill_after=5)
    killed = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert isinstance(killed.exception, Killed) and not (out / "compare.csv").exists()
    calls = counting_task(monkeypatch)
    r = CliRunner().invoke(app, [*args, "--out", str(out)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert len(calls) == 1 and "reused 5 of 6 replications" in r.output
    for name in ("compare.csv", "compare_replications.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(out / name), pd.read_csv(tmp_path / "ref" / name))
    assert not (out / ".acdsim-work" / "compare").exists()


def test_verify_loop_reuses_rosters_and_replications(tmp_path):
    from staffing.shifts.verify import optimise_with_simulation

    t = np.arange(48) / 2
    sc = sim.Scenario.model_validate({
        "name": "tiny", "replications": 2, "horizon": {"days": 1, "interval_minutes": 30},
        "arrivals": {"calls_per_interval": np.where((t >= 8) & (t < 19), 12.0, 0.2).round(2).tolist()},
        "call_types": {"inquiry": {"share": 1.0, "talk": {"family": "exponential", "mean": 240}}},
        "agents": {"headcount": 1, "shrinkage": 0.0}, "targets": {"service_level": {"min": 0.8}}})
    kw = dict(max_iter=2, replications=2, seed=1, time_limit_s=20, run_fn=sim.run)
    first = PointStore(tmp_path / "points")
    a = optimise_with_simulation(sc, points=first, **kw)
    assert first.reused == 0 and first.computed >= 3          # >= 1 roster + 2 replications
    again = PointStore(tmp_path / "points")
    b = optimise_with_simulation(sc, points=again, **kw)
    assert again.computed == 0 and again.reused == first.computed     # nothing solved or simulated again
    pd.testing.assert_frame_equal(a.history.drop(columns="solve_time_s"), b.history.drop(columns="solve_time_s"))
    pd.testing.assert_frame_equal(a.interval_stats, b.interval_stats)
    pd.testing.assert_frame_equal(a.roster, b.roster)


def test_interrupted_schedule_verify_cli_resumes(tmp_path, monkeypatch):
    t = np.arange(48) / 2
    calls = np.where((t >= 8) & (t < 19), 12.0, 0.2).round(2).tolist()
    src = tmp_path / "tiny.toml"
    src.write_text(VERIFY_TOML.format(calls=calls), encoding="utf-8")
    args = ["schedule", str(src), "--verify", "--max-iter", "2", "--replications", "2", "--seed", "1"]
    ref = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "ref")])
    assert ref.exit_code == 0, ref.output
    real_run, n = sim.run, []

    def killed_in_second_simulation(*a, **kw):
        n.append(1)
        if len(n) == 2:
            raise Killed
        return real_run(*a, **kw)

    out = tmp_path / "v"
    monkeypatch.setattr(sim, "run", killed_in_second_simulation)
    killed = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert isinstance(killed.exception, Killed) and not (out / "roster.csv").exists()
    monkeypatch.setattr(sim, "run", real_run)
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "resumed: reused 3 of" in r.output         # the first roster and its 2 replications
    for name in ("roster.csv", "coverage.csv", "interval_stats.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(out / name), pd.read_csv(tmp_path / "ref" / name))
    hist = [pd.read_csv(d / "history.csv").drop(columns="solve_time_s") for d in (out, tmp_path / "ref")]
    pd.testing.assert_frame_equal(*hist)
    assert not (out / ".acdsim-work" / "schedule-verify").exists()


@pytest.mark.parametrize("parts", [("a", 1), ("a", np.arange(3)), ("a", sim.Scenario.model_validate(BASE))])
def test_point_keys_change_with_every_input(parts):
    k = PointStore.key(*parts)
    assert PointStore.key(*parts) == k
    changed = (parts[0], parts[1] + 1 if not hasattr(parts[1], "model_copy")
               else parts[1].model_copy(update={"seed": 99}))
    assert PointStore.key(*changed) != k and PointStore.key("b", parts[1]) != k
