"""Target checks (CLI and pytest plugin) and the HTML report."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.results import target_status

SCENARIO = """
name = "{name}"
replications = 3
[horizon]
days = 1
[arrivals]
calls_per_hour = 30
[call_types.a]
share = 1.0
talk = {{ family = "exponential", mean = 120 }}
[agents]
headcount = 3
[targets]
{targets}
"""


def write(tmp_path, name, targets):
    path = tmp_path / f"{name}.toml"
    path.write_text(SCENARIO.format(name=name, targets=targets), encoding="utf-8")
    return path


@pytest.mark.parametrize("low,high,mean,tmin,tmax,expect", [
    (0.81, 0.85, 0.83, 0.8, None, "pass"),
    (0.70, 0.78, 0.74, 0.8, None, "fail"),
    (0.75, 0.85, 0.80, 0.8, None, "inconclusive"),
    (10.0, 15.0, 12.0, None, 20.0, "pass"),
    (21.0, 25.0, 23.0, None, 20.0, "fail"),
    (float("nan"), float("nan"), 0.9, 0.8, None, "pass"),   # one replication: the mean decides
])
def test_target_status(low, high, mean, tmin, tmax, expect):
    assert target_status(low, high, mean, tmin, tmax) == expect


def test_check_exit_codes(tmp_path):
    good = write(tmp_path, "good", "total_calls = { min = 1 }\nabandon_rate = { max = 0.5 }")
    bad = write(tmp_path, "bad", "occupancy = { min = 0.99 }")
    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "pass" in ok.output
    failed = runner.invoke(app, ["check", str(good), str(bad)])
    assert failed.exit_code == 1 and "fail" in failed.output and "occupancy" in failed.output
    no_targets = tmp_path / "none.toml"
    no_targets.write_text(SCENARIO.format(name="none", targets="").replace("[targets]", ""), encoding="utf-8")
    assert runner.invoke(app, ["check", str(no_targets)]).exit_code == 2


def test_pytest_plugin_collects_scenarios(tmp_path, pytester):
    write(pytester.path, "centre", "total_calls = { min = 1 }\noccupancy = { min = 0.99 }")
    result = pytester.runpytest_subprocess("centre.toml", "-o", "addopts=")  # plugin loads via its entry point
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*target missed*occupancy: mean*95 % CI*target >= 0.99*"])


def test_report_written_from_run_folder(tmp_path):
    sc = sim.load_scenario("scenarios/property_centre.toml")
    res = sim.run(sc, replications=2, seed=1)
    res.save(tmp_path)
    from sim.report import build_report

    html = build_report(tmp_path).read_text(encoding="utf-8")
    assert "service_level" in html and "data:image/png;base64," in html
    for name in ("volumes", "service", "agents_queue", "occupancy", "staffing", "shifts"):
        assert (tmp_path / "plots" / f"{name}.png").stat().st_size > 1000
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "not a run folder" in result.output


def test_run_with_desk_writes_ticket_store_and_report_section(tmp_path):
    out = tmp_path / "run"
    runner = CliRunner()
    args = ["run", "scenarios/property_centre.toml", "-r", "2", "--out", str(out), "--report"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "tickets.sqlite").exists() and (out / "tickets_rep1.sqlite").exists()
    assert "desk.tickets" in result.output or "front desk" in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Deadline compliance per rule" in html and (out / "plots" / "ticket_backlog.png").exists()
    again = runner.invoke(app, args)           # finished stores are replaced like every other output
    assert again.exit_code == 0, again.output
    assert runner.invoke(app, ["tickets", str(out)]).exit_code == 0
