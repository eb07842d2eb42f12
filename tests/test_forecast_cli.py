"""``acdsim forecast``: files written, forecast.csv accepted by ``acdsim staff`` and as a scenario's arrivals CSV,
bad input exits 2; and the real-data check on the bank history when the shared data set is present."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast_synth import sample, truth
from sim.cli import app

runner = CliRunner()
BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank_calls_5min_train.csv"


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory):
    days = pd.date_range("2026-01-05", periods=35, freq="D")
    hist = sample(truth(days, interval_min=60, base=600), seed=2)
    path = tmp_path_factory.mktemp("hist") / "history.csv"
    pd.DataFrame({"when": hist.index.strftime("%Y-%m-%dT%H:%M"), "n": hist.to_numpy()}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def forecast_dir(history_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("fc")
    res = runner.invoke(app, ["forecast", str(history_csv), "--horizon", "1d", "--time-col", "when", "--calls-col",
                              "n", "--quantile", "0.9", "--backtest-weeks", "1", "--intraday-at", "none",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_forecast_writes_files(forecast_dir):
    for name in ("forecast.csv", "accuracy.csv", "forecast.png", "backtest.png"):
        assert (forecast_dir / name).stat().st_size > 0, name
    fc = pd.read_csv(forecast_dir / "forecast.csv")
    assert len(fc) == 24 and fc["interval_start"].iloc[0] == "2026-02-09 00:00:00"  # a whole day from midnight
    closed = fc["open"] == 0
    assert closed.sum() == 12 and (fc.loc[closed, ["calls", "mean", "lo", "hi"]] == 0).all().all()
    assert (fc.loc[~closed, "calls"] >= fc.loc[~closed, "mean"]).all()  # --quantile 0.9 is planned for
    acc = pd.read_csv(forecast_dir / "accuracy.csv")
    assert {"horizon", "method", "wape", "mase", "coverage"} <= set(acc.columns)
    assert {"forecast", "seasonal_naive", "mean_of_4"} <= set(acc["method"])


def test_forecast_csv_feeds_staff(forecast_dir, tmp_path):
    res = runner.invoke(app, ["staff", str(forecast_dir / "forecast.csv"), "--aht", "180", "--no-table",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    req = pd.read_csv(tmp_path / "requirements.csv")
    fc = pd.read_csv(forecast_dir / "forecast.csv")
    assert len(req) == 24 and np.allclose(req["calls"], fc["calls"])
    assert (req.loc[fc["open"] == 0, "agents"] == 0).all() and (req.loc[fc["open"] == 1, "agents"] > 0).all()


def test_forecast_csv_is_a_scenario_arrivals_csv(forecast_dir, tmp_path):
    scenario = tmp_path / "centre.toml"
    scenario.write_text(f"""
name = "from_forecast"
[horizon]
days = 1
interval_minutes = 60
[arrivals]
csv = "{(forecast_dir / 'forecast.csv').as_posix()}"
[call_types.call]
share = 1.0
talk = {{ family = "exponential", mean = 120 }}
[agents]
headcount = 12
""")
    import sim

    sc = sim.load_scenario(scenario)
    fc = pd.read_csv(forecast_dir / "forecast.csv")
    assert np.allclose(sc.arrival_rates(), fc["calls"])
    res = runner.invoke(app, ["run", str(scenario), "--replications", "1", "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "run" / "summary.json").exists()


@pytest.mark.parametrize("args, needle", [
    (["--level", "1.5"], "--level"), (["--horizon", "x"], "--horizon"), (["--interval", "7m"], "--interval"),
    (["--calls-col", "nope"], "nope"), (["--country", "FR"], "country"), (["--intraday-at", "25:00"], "--intraday-at"),
])
def test_bad_input_exit_2(history_csv, tmp_path, args, needle):
    res = runner.invoke(app, ["forecast", str(history_csv), "--time-col", "when", "--calls-col", "n", *args,
                              "--out", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 2
    assert needle in res.output
    assert "Traceback" not in res.output


def test_events_file_error_names_the_row(history_csv, tmp_path):
    ev = tmp_path / "events.csv"
    ev.write_text("date,name,effect\n2026-02-09,fee day,lots\n")
    res = runner.invoke(app, ["forecast", str(history_csv), "--time-col", "when", "--calls-col", "n",
                              "--holidays", str(ev), "--out", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 2 and "effect" in res.output


@pytest.mark.slow
@pytest.mark.skipif(not BANK.exists(), reason=f"real-data check needs {BANK} (the shared data set)")
def test_bank_day_ahead_beats_baselines():
    from staffing.forecast import aggregate, read_history_csv
    from staffing.forecast.accuracy import backtest

    hist = aggregate(read_history_csv(BANK), 30)
    table = backtest(hist, weeks=4, country=None).table.set_index(["horizon", "method"])
    wape = table["wape"]
    assert wape["day-ahead", "forecast"] <= 0.9 * min(wape["day-ahead", "seasonal_naive"],
                                                       wape["day-ahead", "mean_of_4"])
    assert 0.75 <= table.loc[("day-ahead", "forecast"), "coverage"] <= 0.85
