"""``acdsim staff``: CSV and scenario inputs, outputs written, target parsing and exit code 2 on bad input."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from sim.cli import app
from staffing.cli import parse_targets

runner = CliRunner()
SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "property_centre.toml"


@pytest.fixture
def volumes(tmp_path):
    p = tmp_path / "volumes.csv"
    p.write_text("interval_start,calls\n08:00,100\n08:30,120\n09:00,0\n")
    return p


def test_csv_input_writes_table_csv_and_png(tmp_path, volumes):
    out = tmp_path / "out"
    res = runner.invoke(app, ["staff", str(volumes), "--aht", "180", "--target", "sl=80%/20", "--shrinkage", "0.3",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "requirements.csv")
    # 100 calls / 30 min at AHT 180 s, 80/20 -> 14 agents, 20 heads at 30 % shrinkage (published example)
    assert table["agents"].tolist()[0] == 14 and table["heads"].tolist()[0] == 20
    assert table["agents"].tolist()[2] == 0
    assert table["start"].tolist() == ["08:00", "08:30", "09:00"]
    png = (out / "requirements.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert "Agents needed per interval" in res.output and "08:30" in res.output


def test_erlang_a_targets_and_trunks(tmp_path, volumes):
    res = runner.invoke(app, ["staff", str(volumes), "--aht", "180", "--target", "abandon=0.05", "--patience",
                              "120", "--target", "blocking=0.01", "--no-table", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "requirements.csv")
    assert (table["abandon_rate"] <= 0.05).all() and "trunks" in table.columns
    assert "Erlang A" in res.output


@pytest.mark.parametrize("args,needle", [
    (["--target", "sl=0.8"], "sl needs P/T"),
    (["--target", "sl=1.5/20"], "fraction"),
    (["--target", "speed=3"], "unknown target"),
    (["--target", "asa"], "KEY=VALUE"),
    (["--target", "asa=-4"], "seconds"),
    (["--target", "abandon=0.05"], "patience"),  # abandonment without a patience mean
    (["--patience", "0"], "--patience"),
])
def test_invalid_targets_exit_2_with_one_clear_message(volumes, tmp_path, args, needle):
    res = runner.invoke(app, ["staff", str(volumes), "--aht", "180", "--out", str(tmp_path), *args])
    assert res.exit_code == 2
    assert needle in res.output
    assert "Traceback" not in res.output


def test_bad_input_files_exit_2(tmp_path, volumes):
    res = runner.invoke(app, ["staff", str(volumes), "--out", str(tmp_path)])  # no AHT anywhere
    assert res.exit_code == 2 and "--aht" in res.output
    res = runner.invoke(app, ["staff", str(tmp_path / "missing.csv"), "--aht", "180"])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_parse_targets():
    assert parse_targets(["sl=0.8/20", "asa=15s", "abandon=5%", "occupancy=0.9", "blocking=0.01"]) == {
        "service_level": 0.8, "service_time_s": 20.0, "asa_s": 15.0, "abandon_rate": 0.05,
        "occupancy_max": 0.9, "blocking": 0.01}
    with pytest.raises(typer.BadParameter):
        parse_targets(["occupancy=abc"])


def test_scenario_input_via_fake_loader(tmp_path, monkeypatch):
    import sim

    workload = pd.DataFrame({"interval": [0, 1], "interval_start_s": [0.0, 1800.0], "calls": [100.0, 50.0],
                             "aht_s": [180.0, 180.0]})
    fake = SimpleNamespace(
        name="fake", workload=lambda: workload, horizon=SimpleNamespace(interval_s=1800, start_weekday=2),
        staffing_targets=lambda: {"service_level": 0.8, "service_time_s": 20.0, "patience_mean_s": None},
        agents=SimpleNamespace(shrinkage=0.3))
    monkeypatch.setattr(sim, "load_scenario", lambda path: fake)
    path = tmp_path / "fake.toml"
    path.write_text("")
    res = runner.invoke(app, ["staff", str(path), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "requirements.csv")
    assert table["agents"].tolist()[0] == 14 and table["heads"].tolist()[0] == 20
    assert table["start"].tolist() == ["Wed 00:00", "Wed 00:30"]


@pytest.mark.skipif(not SCENARIO.exists(), reason="the lead's example scenario is not there")
def test_real_scenario_file(tmp_path):
    res = runner.invoke(app, ["staff", str(SCENARIO), "--no-table", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "requirements.csv")
    assert len(table) == 7 * 48
    assert (table["heads"] >= table["agents"]).all()
