"""Hostile and careless input, by class: every case exits 2 with one plain ``error``/``Error`` message (no
traceback), the same in a 40-column terminal and under a long temporary path."""
from __future__ import annotations

import json
import os
import time

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.scenario import validate_scenario

TINY = """replications = 2
[horizon]
days = 1
[arrivals]
calls_per_hour = 20
[call_types.a]
share = 1.0
talk = { family = "exponential", mean = 120 }
[agents]
headcount = 3
"""


def invoke(*args):
    """The CLI in a 40-column terminal (errors must not be wrapped or boxed)."""
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "40", "TERM": "xterm"})


def assert_clean_error(res, *needles):
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "╭" not in res.output   # plain lines, no rich panel
    for needle in needles:
        assert needle in res.output, res.output


@pytest.fixture
def deep(tmp_path):
    """A long folder path, as pytest gives on some machines (messages must survive it unwrapped)."""
    d = tmp_path / ("a-rather-long-folder-name-" * 4) / "x"
    d.mkdir(parents=True)
    (d / "t.toml").write_text(TINY, encoding="utf-8")
    return d


# ------------------------------------------------------------------------------------------------ input files
@pytest.mark.parametrize("command", [["run"], ["check"], ["sweep", "--set", "agents=2"], ["schedule"], ["staff"]])
def test_unreadable_scenario_files(deep, command):
    bad = deep / "latin1.toml"
    bad.write_bytes('name = "Büro"\n'.encode("latin-1"))
    assert_clean_error(invoke(command[0], bad, *command[1:]), "not UTF-8", str(bad))
    folder = deep / "folder.toml"
    folder.mkdir()
    assert_clean_error(invoke(command[0], folder, *command[1:]), "is a folder")
    assert_clean_error(invoke(command[0], deep / "missing.toml", *command[1:]), "does not exist")


def test_missing_volumes_file_reads_the_same_in_a_narrow_terminal(deep):
    """The old failure: rich wrapped the box at 80 columns and split 'does not exist'."""
    assert_clean_error(invoke("staff", deep / "missing.csv", "--aht", "180"), "does not exist", str(deep))
    assert_clean_error(invoke("staff", deep, "--aht", "180"), "is a folder")


def test_bad_csv_inputs(deep):
    (deep / "calls.csv").mkdir()
    sc = deep / "csv.toml"
    sc.write_text(TINY.replace("calls_per_hour = 20", 'csv = "calls.csv"'), encoding="utf-8")
    assert_clean_error(invoke("run", sc), "arrivals.csv file", "is a folder")
    (deep / "bin.csv").write_bytes(b"calls\n\xff\xfe\n")
    sc.write_text(TINY.replace("calls_per_hour = 20", 'csv = "bin.csv"'), encoding="utf-8")
    assert_clean_error(invoke("run", sc), "not UTF-8")
    (deep / "text.csv").write_text("calls\nmany\n" * 1, encoding="utf-8")
    sc.write_text(TINY.replace("calls_per_hour = 20", 'csv = "text.csv"'), encoding="utf-8")
    assert_clean_error(invoke("run", sc), "finite numbers")
    req = deep / "req.csv"
    req.write_bytes(b"required\n\xff\n")
    assert_clean_error(invoke("schedule", req, "--out", deep / "o"), "not UTF-8")


def test_report_on_a_damaged_run_folder(tmp_path):
    out = tmp_path / "run"
    sc = tmp_path / "t.toml"
    sc.write_text(TINY, encoding="utf-8")
    assert invoke("run", sc, "--out", out).exit_code == 0
    (out / "summary.json").write_text('{"metrics": {', encoding="utf-8")
    assert_clean_error(invoke("report", out), "summary.json", "not valid JSON")
    (out / "summary.json").write_text("[1, 2]", encoding="utf-8")
    assert_clean_error(invoke("report", out), "not an acdsim run summary")
    assert_clean_error(invoke("report", sc), "not a run folder")


# ------------------------------------------------------------------------------------------------ out folders
@pytest.mark.parametrize("command", [["run", "{sc}"], ["sweep", "{sc}", "--set", "agents=2,3", "-j", "1"],
                                     ["staff", "{sc}", "--target", "asa=20"], ["schedule", "{sc}"]])
def test_out_folder_that_is_a_file_or_below_a_file(tmp_path, command):
    sc = tmp_path / "t.toml"
    sc.write_text(TINY.replace("[agents]", "[targets]\nasa = { max = 30 }\n[agents]"), encoding="utf-8")
    args = [a.format(sc=sc) for a in command]
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me", encoding="utf-8")
    assert_clean_error(invoke(*args, "--out", blocker), "is a file, not a folder")
    assert_clean_error(invoke(*args, "--out", blocker / "sub" / "dir"), "which is a file")
    assert blocker.read_text(encoding="utf-8") == "keep me"


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root may write anywhere")
def test_out_folder_not_writable(tmp_path):
    sc = tmp_path / "t.toml"
    sc.write_text(TINY, encoding="utf-8")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert_clean_error(invoke("run", sc, "--out", ro), "not writable")
    finally:
        ro.chmod(0o700)


# ------------------------------------------------------------------------------------------------ values
def doc(**changes) -> dict:
    import tomllib

    data = tomllib.loads(TINY)
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return data


@pytest.mark.parametrize("changes,needle", [
    ({"arrivals__scale": float("inf")}, "arrivals.scale"),
    ({"arrivals__calls_per_hour": float("inf")}, "arrivals.calls_per_hour"),
    ({"arrivals__scale": 1e9}, "arrivals.scale"),
    ({"call_types__a__talk": {"family": "gamma", "mean": 1e300, "cv": 1}}, "call_types.a.talk.mean"),
    ({"call_types__a__talk": {"family": "lognormal", "mean": 100, "cv": float("nan")}}, "call_types.a.talk.cv"),
    ({"call_types__a__talk": {"family": "erlang", "mean": 100, "cv": 0.001}}, "stages"),
    ({"telephony__ring_cycle_s": float("inf")}, "telephony.ring_cycle_s"),
    ({"costs__agent_hourly": float("inf")}, "costs.agent_hourly"),
    ({"costs__agent_hourly": 1e300}, "costs.agent_hourly"),
    ({"targets__service_level": {"min": 1.5}}, "targets.service_level.min"),
    ({"targets__asa": {"max": -5}}, "targets.asa.max"),
    ({"targets__abandon_rate": {"max": -0.1}}, "targets.abandon_rate.max"),
    ({"targets__occupancy": {"max": float("nan")}}, "targets.occupancy.max"),
    ({"targets__servce_level": {"min": 0.8}}, "did you mean 'service_level'"),
    ({"agnets": {"headcount": 3}}, "did you mean 'agents'"),
    ({"agents__headcount_per_interval": [10**12] * 48, "agents__headcount": None}, "headcount_per_interval"),
])
def test_nonsense_values_are_refused_naming_the_field(changes, needle):
    data = doc(**changes)
    if data["agents"].get("headcount") is None:
        data["agents"].pop("headcount", None)
    with pytest.raises(sim.ScenarioError) as info:
        validate_scenario(data)
    assert needle in str(info.value)


@pytest.mark.parametrize("breaks,needle", [
    ([{"start": "10:00", "minutes": 30}, {"start": "10:15", "minutes": 15}], "overlaps the break at 10:15"),
    ([{"start": "10:00", "minutes": 15}, {"start": "10:00", "minutes": 15}], "is given twice"),
])
def test_overlapping_or_repeated_breaks(breaks, needle):
    data = doc()
    data["agents"] = {"shifts": [{"start": "08:00", "end": "16:00", "count": 3, "breaks": breaks}]}
    with pytest.raises(sim.ScenarioError, match=needle):
        validate_scenario(data)
    data["agents"]["shifts"][0]["breaks"] = [{"start": "10:00", "minutes": 15}, {"start": "10:15", "minutes": 15}]
    validate_scenario(data)   # back to back is fine


def test_work_estimate_refuses_a_run_that_cannot_fit_unless_forced(tmp_path, monkeypatch):
    sc = tmp_path / "big.toml"
    sc.write_text(TINY.replace("calls_per_hour = 20", "calls_per_hour = 1e6").replace("days = 1", "days = 3660"),
                  encoding="utf-8")
    res = invoke("run", sc)
    assert_clean_error(res, "calls per replication", "--force")
    assert "87,840,000,000 calls" in res.output   # 1e6 calls/h x 24 h x 3660 days
    assert_clean_error(invoke("sweep", sc, "--set", "agents=2", "--out", tmp_path / "sw"), "calls per replication")
    assert_clean_error(invoke("run", sc, "--out", tmp_path / "r"), "calls per replication")
    assert not (tmp_path / "sw").exists() and not (tmp_path / "r").exists()   # refused before any folder
    # the estimate itself: a small run passes, and force skips it (checked with a fake memory size)
    from sim.workload import check_workload

    small = sim.load_scenario(tmp_path.parent / tmp_path.name / "big.toml").with_changes(
        {"arrivals.calls_per_hour": 20, "horizon.days": 1})
    assert check_workload(small, 2) == pytest.approx(480)
    with pytest.raises(sim.ScenarioError, match="480 calls per replication"):
        check_workload(small, 2, memory=1000)


def test_sweep_values_go_through_the_same_validation(tmp_path):
    sc = tmp_path / "t.toml"
    sc.write_text(TINY, encoding="utf-8")
    assert_clean_error(invoke("sweep", sc, "--set", "scale=inf", "--out", tmp_path / "o"), "arrivals.scale",
                       "finite")
    assert_clean_error(invoke("sweep", sc, "--set", "scale=nan", "--out", tmp_path / "o"), "arrivals.scale")
    assert_clean_error(invoke("sweep", sc, "--set", "agents=2", "--metric", "nope", "--out", tmp_path / "o"),
                       "is not a metric")
    assert not (tmp_path / "o").exists()


def test_unreachable_dask_scheduler_fails_fast(tmp_path, monkeypatch):
    import sim.sweep

    monkeypatch.setattr(sim.sweep, "DASK_CONNECT_TIMEOUT_S", 1)
    sc = tmp_path / "t.toml"
    sc.write_text(TINY, encoding="utf-8")
    t0 = time.time()
    res = invoke("sweep", sc, "--set", "agents=2", "--scheduler", "not-a-host:1", "--out", tmp_path / "o")
    assert_clean_error(res, "cannot reach the Dask scheduler")
    assert time.time() - t0 < 20   # 1 s connect timeout (+ dask start-up), never the old indefinite hang
    assert not (tmp_path / "o" / "sweep.csv").exists()


def test_lock_info_and_staging_leave_no_trace(tmp_path):
    sc = tmp_path / "t.toml"
    sc.write_text(TINY, encoding="utf-8")
    out = tmp_path / "o"
    assert invoke("run", sc, "--out", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["calls.csv.gz", "interval_summary.csv", "intervals.csv",
                                                    "scenario.json", "summary.json"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["replications"] == 2


@pytest.mark.parametrize("command", [["run", "{long}.toml"], ["run", "{sc}", "--out", "{long}"], ["report", "{long}"],
                                     ["tickets", "{long}"], ["staff", "{long}.csv", "--aht", "60"],
                                     ["schedule", "{long}.csv"]])
def test_names_the_system_refuses(tmp_path, command):
    """A file name longer than the system allows (ENAMETOOLONG) is one clear error, not a traceback."""
    sc = tmp_path / "t.toml"
    sc.write_text(TINY, encoding="utf-8")
    long = str(tmp_path / ("x" * 300))
    res = invoke(*[a.format(long=long, sc=sc) for a in command])
    assert_clean_error(res)
    assert "too long" in res.output.lower() or "cannot be used" in res.output
