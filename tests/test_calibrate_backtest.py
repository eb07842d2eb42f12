"""Calibration and back-test on example logs written by an event loop that is not acdsim's model
(tools/make_example_logs.py), against the parameters it used (truth.json)."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim import history
from sim.backtest import backtest, backtest_scenario
from sim.calibrate import calibrate
from sim.schedule import planned_schedule, scheduled_on_phones
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "history"
ACW_S = 15.0  # the generator's after-call work: queue_log does not record it, so it is given as an option


def _truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))["parameters"]


def _check_recovery(cal, truth: dict, talk_rel: float, patience_rel: float) -> None:
    assert cal.patience.mean_s == pytest.approx(truth["patience_mean_s"], rel=patience_rel)
    lo, hi = cal.patience.conf_int()
    assert lo < cal.patience.mean_s < hi
    # the naive mean of abandoned waits is far below the truth: censoring matters on this data
    assert cal.patience.naive_mean_s < 0.6 * truth["patience_mean_s"]
    for name, spec in truth["call_types"].items():
        assert cal.types[name].talk.mean_s == pytest.approx(spec["talk"]["mean"], rel=talk_rel), name
        assert cal.types[name].talk.family == "lognormal", name
        # transfers: ~ 6000 repair calls → SE of a 5 % share ≈ 0.003
        assert cal.types[name].transfer_prob == pytest.approx(spec["transfer_prob"], abs=0.015), name
    # ~ 1900 abandons → SE of a 0.4 redial share ≈ 0.011
    assert cal.redials.redial_prob_abandon == pytest.approx(truth["redial_prob"], abs=0.05)
    assert cal.redials.redial_delay.mean_s == pytest.approx(truth["redial_delay_mean_s"], rel=0.15)
    assert cal.pickup.delay_s == pytest.approx(truth["ring_s"], abs=0.5)


def _check_backtest(bt, tolerance_pp: float) -> None:
    s = bt.summary
    for metric in ("service_level", "abandon_rate"):
        gap = abs(s.loc[metric, "simulated_mean"] - s.loc[metric, "observed"])
        assert gap <= tolerance_pp / 100.0, (metric, s.loc[metric].to_dict())


def test_shipped_example_four_weeks_calibrates_and_backtests_within_tolerance(tmp_path):
    """Acceptance on the shipped 4-week example: patience mean within 10 %, talk means within 3 %
    (~ 4400–6800 calls per type: SE of the mean ≈ 1 %), back-test service level and abandonment within 2
    percentage points. 8 replications (~ 7 s): the simulated mean's SE is ~ 0.2 pp."""
    from sim import fit

    obs = history.read_queue_log(EXAMPLE / "queue_log.gz", acw_s=ACW_S)
    cal = fit.fit(obs, acw=ACW_S)  # statsmodels style: fit() returns the results object
    _check_recovery(cal, _truth(EXAMPLE), talk_rel=0.03, patience_rel=0.10)
    out = cal.save(tmp_path / "cal")
    bt = backtest(load_scenario(out / "scenario.toml"), obs, replications=8, seed=1)
    _check_backtest(bt, tolerance_pp=2.0)


@pytest.mark.slow
def test_fresh_four_weeks_from_the_generator_calibrate_and_backtest(tmp_path):
    """The same acceptance on a new 4-week history (another seed), 20 replications."""
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_example_logs.py"), "--days", "28", "--seed", "21",
                    "--out", str(tmp_path)], check=True, capture_output=True)
    obs = history.read_queue_log(tmp_path / "queue_log.gz", acw_s=ACW_S)
    cal = calibrate(obs, acw=ACW_S)
    _check_recovery(cal, _truth(tmp_path), talk_rel=0.03, patience_rel=0.10)
    bt = backtest(cal.scenario(), obs, replications=20, seed=2)
    _check_backtest(bt, tolerance_pp=2.0)


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """One generated week (fast): queue_log.gz, cdr.csv.gz, truth.json."""
    folder = tmp_path_factory.mktemp("week")
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_example_logs.py"), "--days", "7", "--seed", "3",
                    "--out", str(folder)], check=True, capture_output=True)
    (folder / "cdr_map.toml").write_text((EXAMPLE / "cdr_map.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_outputs_hold_what_the_issue_asks(week, tmp_path):
    obs = history.read_queue_log(week / "queue_log.gz", acw_s=ACW_S)
    cal = calibrate(obs, acw=ACW_S)
    out = cal.save(tmp_path)
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    assert fit["calls"] == len(obs.calls)
    assert fit["period"][0].startswith(str(obs.start.date())) and len(fit["period"]) == 2
    assert {"family", "mean_s", "ci"} <= set(fit["patience"])
    for name in ("repair", "billing"):
        t = fit["call_types"][name]
        assert {"family", "mean_s", "cv"} <= set(t["talk"]) and {"family", "mean_s", "cv"} <= set(t["acw"])
        assert {"prob", "delay_mean_s"} <= set(t["redial"])
        assert "fcr" in t
        assert "not in log" in t["sources"]["acw"]  # ACW came from the option, and fit.json says so
    text = (out / "scenario.toml").read_text(encoding="utf-8")
    assert "ML fit of" in text and "censored ML" in text and "an assumption, not a measurement" in text
    sc = load_scenario(out / "scenario.toml")
    assert set(sc.call_types) == {"repair", "billing"}
    assert sc.callers.patience.family in ("exponential", "lognormal", "weibull")
    html = (out / "calibration.html").read_text(encoding="utf-8")
    assert html.count("<img") >= 5 and "Kaplan" in html and "ACW" in html
    assert (out / "plots" / "patience_survival.png").stat().st_size > 0
    assert (out / "plots" / "qq_repair_talk.png").stat().st_size > 0
    summary = cal.summary()
    assert "patience" in summary and "repair" in summary
    assert set(cal.conf_int().columns) == {"ci_low", "ci_high"}
    assert cal.params["repair.talk_mean_s"] == pytest.approx(cal.types["repair"].talk.mean_s)


def test_cdr_and_queue_log_of_the_same_calls_calibrate_alike(week):
    q = calibrate(history.read_queue_log(week / "queue_log.gz", acw_s=ACW_S), acw=ACW_S)
    c = calibrate(history.read_cdr(week / "cdr.csv.gz", map_file=week / "cdr_map.toml"))
    assert c.patience.mean_s == pytest.approx(q.patience.mean_s, rel=0.01)
    for name in ("repair", "billing"):
        assert c.types[name].talk.mean_s == pytest.approx(q.types[name].talk.mean_s, rel=0.01)
    assert c.types["repair"].acw.family == "deterministic"  # the CDR records ACW (15 s each)
    assert any("no agent sessions" in n for n in c.notes)   # and staffing is a stated lower bound


def test_backtest_outputs_and_observed_staffing_reproduced(week, tmp_path):
    obs = history.read_queue_log(week / "queue_log.gz", acw_s=ACW_S)
    cal = calibrate(obs, acw=ACW_S)
    sc, info = backtest_scenario(cal.scenario(), obs)
    assert not sc.arrivals.poisson and sum(sc.arrivals.calls_per_interval) == info["first_attempts"]
    on = scheduled_on_phones(planned_schedule(sc), sc.horizon.interval_s, sc.horizon.n_intervals) / sc.horizon.interval_s
    # ready periods become shifts to the minute: each period edge moves by <= 30 s of an 1800-s interval
    assert np.abs(on - obs.staffing_per_interval().to_numpy()).max() < 0.1
    assert on.sum() == pytest.approx(obs.staffing_per_interval().sum(), rel=0.01)
    bt = backtest(cal.scenario(), obs, replications=3, seed=1)
    out = bt.save(tmp_path)
    doc = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    for metric in ("service_level", "asa", "abandon_rate", "occupancy", "aht"):
        assert {"observed", "simulated_mean", "ci_low", "ci_high", "verdict"} <= set(doc["metrics"][metric])
        assert doc["metrics"][metric]["verdict"] in ("consistent", "model higher", "model lower")
    per = (out / "backtest.csv").read_text(encoding="utf-8").splitlines()
    assert len(per) == 1 + obs.n_intervals
    assert "service_level_band_low" in per[0] and "service_level_outside" in per[0]
    assert (out / "outside_band.csv").exists() and (out / "plots" / "backtest_service_level.png").exists()
    assert "Intervals outside the simulated band" in (out / "backtest.html").read_text(encoding="utf-8")
    observed_sl = obs.compute_metrics(sc.metrics.model_dump())[0]["service_level"]
    assert doc["metrics"]["service_level"]["observed"] == pytest.approx(observed_sl)  # same metrics path


def test_cli_calibrate_then_backtest(week, tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    runner = CliRunner()
    cal_dir, bt_dir = tmp_path / "cal", tmp_path / "bt"
    res = runner.invoke(app, ["calibrate", str(week / "queue_log.gz"), "--acw-s", "15", "--out", str(cal_dir)])
    assert res.exit_code == 0, res.output
    assert {p.name for p in cal_dir.iterdir()} >= {"scenario.toml", "fit.json", "calibration.html"}
    res = runner.invoke(app, ["backtest", str(cal_dir / "scenario.toml"), str(week / "queue_log.gz"), "--acw-s", "15",
                              "--out", str(bt_dir), "-r", "2"])
    assert res.exit_code == 0, res.output
    assert json.loads((bt_dir / "backtest.json").read_text(encoding="utf-8"))["replications"] == 2
    tomllib.loads((cal_dir / "scenario.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("args", [
    ["calibrate", "{log}", "--format", "xml", "--out", "{out}"],
    ["calibrate", "{log}", "--format", "interval", "--out", "{out}"],  # a queue_log is no interval report
    ["calibrate", "{missing}", "--out", "{out}"],
    ["calibrate", "{log}", "--acw-s", "-5", "--out", "{out}"],
    ["calibrate", "{log}", "--holiday", "2024-13-01", "--out", "{out}"],
    ["backtest", "{missing}", "{log}", "--out", "{out}"],
    ["backtest", "{toml}", "{log}", "--out", "{out}", "-r", "1"],
])
def test_cli_bad_input_exits_2(week, tmp_path, args):
    from typer.testing import CliRunner

    from sim.cli import app

    toml = ROOT / "scenarios" / "property_centre.toml"
    argv = [a.format(log=week / "queue_log.gz", out=tmp_path / "o", missing=tmp_path / "nope.log", toml=toml)
            for a in args]
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


def test_history_without_abandons_calibrates_a_scenario_without_patience(tmp_path):
    import sim
    from history_stub import observed_from_run

    res = sim.run({"horizon": {"days": 3}, "arrivals": {"calls_per_hour": 12}, "agents": {"headcount": 3},
                   "call_types": {"a": {"share": 1.0, "talk": {"family": "lognormal", "mean": 180, "cv": 0.5},
                                        "acw": 20}}}, replications=1, seed=4)
    cal = calibrate(observed_from_run(res))
    assert cal.patience is None and any("patience cannot be estimated" in n for n in cal.notes)
    assert cal.types["a"].acw.distribution() == {"family": "deterministic", "mean": 20.0}
    out = cal.save(tmp_path)
    assert load_scenario(out / "scenario.toml").callers.patience is None
    assert json.loads((out / "fit.json").read_text(encoding="utf-8"))["patience"] is None
    assert "patience was not estimated" in (out / "calibration.html").read_text(encoding="utf-8")
