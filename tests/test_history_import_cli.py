"""``acdsim import`` writes a run folder that ``acdsim report`` reads; the shipped example and its generator."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.history import read_queue_log

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from make_example_logs import generate, write as write_examples  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    out = tmp_path_factory.mktemp("examples")
    write_examples(out, days=2, seed=5, gz=True)
    return out


def test_import_queue_log_then_report(examples, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["import", str(examples / "queue_log.gz"), "--out", str(out), "--acw-s", "15"])
    assert res.exit_code == 0, res.output
    for name in ("summary.json", "scenario.json", "intervals.csv", "interval_summary.csv", "calls.csv.gz",
                 "staffing.csv", "volumes.csv", "observed.json"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    run, _ = read_queue_log(examples / "queue_log.gz", acw_s=15).compute_metrics(
        {"service_level_threshold_s": 20, "short_abandon_s": 20})
    for m in ("service_level", "abandon_rate", "asa", "aht", "occupancy", "offered"):
        assert summary["metrics"][m]["mean"] == pytest.approx(run[m])
    assert summary["metrics"]["qa_score"]["mean"] is None  # not in the log: no number shown
    assert 0 <= summary["metrics"]["fcr"]["mean"] <= 1   # measured from repeat calls, as for simulated logs
    assert summary["observed"]["problems"]["count"] == 0
    volumes = pd.read_csv(out / "volumes.csv")
    staffing = pd.read_csv(out / "staffing.csv")
    assert len(volumes) == len(staffing) == 96 and volumes["interval_start"][0] == "2024-03-04T00:00:00+08:00"
    calls = pd.read_csv(out / "calls.csv.gz")
    assert volumes["offered"].sum() == len(calls)
    assert staffing["agents_ready"].max() > 0
    rep = runner.invoke(app, ["report", str(out)])
    assert rep.exit_code == 0, rep.output
    assert "Observed history" in (out / "report.html").read_text()


def test_import_cdr_and_interval_report(examples, tmp_path):
    res = runner.invoke(app, ["import", str(examples / "cdr.csv.gz"), "--format", "cdr", "--map-file",
                              str(ROOT / "examples/history/cdr_map.toml"), "--out", str(tmp_path / "cdr")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cdr" / "calls.csv.gz").exists()
    report = tmp_path / "iv.csv"
    report.write_text("start,queue,calls,ok\n2024-03-04 08:00,a,10,9\n2024-03-04 08:30,a,12,12\n")
    res = runner.invoke(app, ["import", str(report), "--format", "interval", "--map", "interval_start=start",
                              "--map", "offered=calls", "--map", "answered=ok", "--out", str(tmp_path / "iv")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "iv" / "summary.json").read_text())
    assert summary["metrics"]["offered"]["mean"] == 22 and summary["metrics"]["percent_answered"]["mean"] == 21 / 22
    assert runner.invoke(app, ["report", str(tmp_path / "iv")]).exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["missing.log"], "not found"),
    (["{readme}"], "expected Asterisk queue_log"),
    (["{log}", "--map", "arrived"], "NAME=VALUE"),
    (["{log}", "--map", "arrived=x"], "--format cdr or interval"),
    (["{log}", "--tz", "Moon/Base"], "IANA"),
    (["{log}", "--acw-s", "-1"], "acw_s"),
])
def test_import_bad_input_exits_2(examples, tmp_path, args, message):
    args = [a.format(readme=ROOT / "README.md", log=examples / "queue_log.gz") for a in args]
    res = runner.invoke(app, ["import", *args, "--out", str(tmp_path / "x")], env={"COLUMNS": "300"})
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())


def test_generator_is_deterministic_and_documented():
    a = generate(days=1, seed=2)
    b = generate(days=1, seed=2)
    assert a[0] == b[0] and a[1] == b[1]
    truth = a[2]
    assert truth["parameters"]["patience_mean_s"] == 120.0
    assert truth["realised"]["first_attempts"] > 0


def test_shipped_example_matches_its_truth():
    truth = json.loads((ROOT / "examples/history/truth.json").read_text())
    log = read_queue_log(ROOT / "examples/history/queue_log.gz")
    assert log.problems.count == 0 and log.days == truth["parameters"]["days"] == 28
    assert len(log.calls) == truth["realised"]["patience_draws"]  # one row per queue entry
    assert (log.queue_exit == "abandon").sum() == truth["realised"]["abandoned"]
    assert (log.queue_exit == "timeout").sum() == truth["realised"]["timeouts"]
    assert log.calls["transferred"].sum() == truth["realised"]["transferred"]
    assert not math.isnan(log.staffing_per_interval().max())


def test_shipped_example_is_unbiased_for_simple_estimators():
    """Sample talk means and the censored exponential patience MLE (waits / patience events) of the shipped
    4 weeks are close to the generator's parameters. Tolerances: talk SE ~ cv/sqrt(n) = 0.7/sqrt(6773) ~ 0.9 %
    (repair), 0.6/sqrt(4425) ~ 0.9 % (billing) -> 3 % is > 3 SE; patience SE ~ 1/sqrt(1891 events) ~ 2.3 %
    -> 10 % is > 4 SE. A reader that mislabelled censored waits as abandons would miss by far more."""
    truth = json.loads((ROOT / "examples/history/truth.json").read_text())["parameters"]
    log = read_queue_log(ROOT / "examples/history/queue_log.gz")
    handled = log.calls[log.calls["outcome"] == "handled"]
    for name, ct in truth["call_types"].items():
        mean = handled.loc[handled["call_type"] == name, "talk"].mean()
        assert mean == pytest.approx(ct["talk"]["mean"], rel=0.03)
    obs = log.patience_observations()
    assert obs["wait_s"].sum() / obs["abandoned"].sum() == pytest.approx(truth["patience_mean_s"], rel=0.10)
    naive = obs.loc[obs["abandoned"], "wait_s"].mean()  # mean wait of abandoned callers alone: biased low
    assert naive < 0.8 * truth["patience_mean_s"]
