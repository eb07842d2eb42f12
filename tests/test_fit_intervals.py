"""Calibration from an interval ACD report: Erlang-A patience, AHT, offered volumes, staffing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from history_stub import interval_report_csv
from sim import history
from sim.fit.intervals import calibrate_interval_report, fit_patience_erlang_a
from sim.scenario import load_scenario
from staffing.erlang_a import erlang_a_abandon_probability

ROOT = Path(__file__).resolve().parents[1]


def test_erlang_a_patience_recovered_from_counts_drawn_from_the_model():
    rng = np.random.default_rng(4)
    k = 400
    agents = rng.integers(3, 9, k).astype(float)
    aht = np.full(k, 200.0)
    offered = rng.poisson(agents * 1800 / 200 * 0.95)  # ~ 95 % load
    p = erlang_a_abandon_probability(offered / 1800 * aht, agents, aht, 90.0)
    abandoned = rng.binomial(offered, p)
    fit = fit_patience_erlang_a(offered, abandoned, agents, aht, 1800.0)
    lo, hi = fit.ci
    assert lo < 90.0 < hi  # the profile-likelihood interval covers the truth (fixed seed)
    assert fit.mean_s == pytest.approx(90.0, rel=0.2)
    assert fit.intervals_used == int(np.sum(offered > 0))


@pytest.fixture(scope="module")
def week_report(tmp_path_factory) -> tuple[Path, history.ObservedLog]:
    folder = tmp_path_factory.mktemp("ivr")
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_example_logs.py"), "--days", "7", "--seed", "3",
                    "--out", str(folder)], check=True, capture_output=True)
    obs = history.read_queue_log(folder / "queue_log.gz", acw_s=15.0)
    interval_report_csv(obs, folder / "intervals.csv")
    return folder / "intervals.csv", obs


def test_interval_report_calibration_fits_what_it_allows(week_report, tmp_path):
    path, obs = week_report
    cal = calibrate_interval_report(history.read_interval_report(path, interval_minutes=30))
    handled = obs.calls[obs.calls["answer"].notna()]
    for name in ("repair", "billing"):
        g = handled[handled["call_type"] == name]
        assert cal.aht_by_type[name] == pytest.approx(float((g["talk"] + g["acw"]).mean()), rel=1e-3)
    assert cal.arrivals.counts.sum() == len(obs.calls)           # offered volumes, redials included
    assert cal.patience is not None and cal.patience.ci[0] < cal.patience.mean_s < cal.patience.ci[1]
    assert any("sensitive to staffing" in n for n in cal.notes)
    out = cal.save(tmp_path)
    sc = load_scenario(out / "scenario.toml")
    assert sc.callers.redial_prob_abandon == 0.0                  # redials are inside the volumes
    assert sc.call_types["repair"].talk.family == "exponential"
    text = (out / "scenario.toml").read_text(encoding="utf-8")
    assert "ASSUMED" in text and "redials are already inside" in text
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    assert fit["calls"] == len(obs.calls) and fit["patience"]["family"] == "exponential"


def test_cli_calibrate_interval_report(week_report, tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    path, _ = week_report
    res = CliRunner().invoke(app, ["calibrate", str(path), "--format", "interval", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "c" / "scenario.toml").exists() and (tmp_path / "c" / "calibration.html").exists()
    res = CliRunner().invoke(app, ["backtest", str(tmp_path / "c" / "scenario.toml"), str(path), "--format",
                                   "interval", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "no single calls" in res.output
