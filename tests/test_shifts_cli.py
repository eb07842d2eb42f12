"""``acdsim schedule`` (staffing.cli_schedule): CSV and scenario input, outputs, clear errors."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from staffing.cli_schedule import register
from staffing.shifts import read_roster_csv, roster_coverage

app = typer.Typer()
register(app)


@app.callback()
def _root() -> None:
    """Keep 'schedule' a sub-command (a one-command typer app would drop the name)."""


def invoke(*args):
    return CliRunner().invoke(app, ["schedule", *map(str, args)])


def day_requirement() -> np.ndarray:
    t = np.arange(48) / 2
    req = np.round(1 + 6 * np.exp(-((t - 10.5) / 2.5) ** 2) + 4 * np.exp(-((t - 15) / 2.5) ** 2))
    req[(t < 7) | (t >= 22)] = 1
    return req


SCENARIO = """
name = "tiny"
replications = 2
[horizon]
days = 1
interval_minutes = 30
[arrivals]
calls_per_interval = {calls}
[call_types.inquiry]
share = 1.0
talk = {{ family = "exponential", mean = 240 }}
[agents]
headcount = 1
shrinkage = 0.0
[targets]
service_level = {{ min = 0.8 }}
"""


def test_csv_input_writes_roster_plots_and_report(tmp_path):
    req = day_requirement()
    src = tmp_path / "req.csv"
    pd.DataFrame({"interval": range(48), "required": req}).to_csv(src, index=False)
    out = tmp_path / "out"
    r = invoke(src, "--out", out)
    assert r.exit_code == 0, r.output
    for name in ("roster.csv", "roster_sim.csv", "coverage.csv", "gantt.png", "coverage.png", "report.txt"):
        assert (out / name).stat().st_size > 0, name
    roster = read_roster_csv(out / "roster.csv")
    cov = roster_coverage(roster, 1, 1800)
    assert (cov["on_phone_min"].to_numpy() >= req).all()
    assert "gap" in r.output and "solve time" in r.output
    assert (out / "gantt.png").read_bytes()[:4] == b"\x89PNG"


def test_csv_infeasible_gives_one_clear_message(tmp_path):
    req = day_requirement()
    req[4] = 4      # 02:00-02:30: only the night-duty technician may work
    src = tmp_path / "req.csv"
    pd.DataFrame({"agents": req}).to_csv(src, index=False)
    r = invoke(src, "--out", tmp_path / "o")
    assert r.exit_code == 2
    assert "infeasible: cannot cover" in r.output and "day 0 02:00 - 02:30" in r.output
    assert "Traceback" not in r.output


def test_csv_errors(tmp_path):
    src = tmp_path / "bad.csv"
    pd.DataFrame({"x": [1] * 48, "y": [1] * 48}).to_csv(src, index=False)
    r = invoke(src)
    assert r.exit_code == 2 and "no requirement column" in r.output
    pd.DataFrame({"required": [1] * 47}).to_csv(src, index=False)
    r = invoke(src)
    assert r.exit_code == 2 and "whole number of days" in r.output
    pd.DataFrame({"required": [1] * 48}).to_csv(src, index=False)
    r = invoke(src, "--verify")
    assert r.exit_code == 2 and "--verify needs a scenario" in r.output
    r = invoke(tmp_path / "missing.csv")
    assert r.exit_code == 2 and "file not found" in r.output


def test_rules_file_and_soft_coverage(tmp_path):
    rules = {"shift_types": [{"name": "pt", "length_minutes": 240, "earliest_start": "06:00",
                              "latest_start": "16:00", "days_off": False, "hourly_cost": 10}],
             "duty_windows": [], "min_on_duty": 0, "days_off": None, "max_agents_per_day": 2,
             "understaffing_penalty": 500}
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    req = np.zeros(48)
    req[16:24] = 3   # needs 3, at most 2 shifts a day
    src = tmp_path / "req.csv"
    pd.DataFrame({"required": req}).to_csv(src, index=False)
    r = invoke(src, "--rules", tmp_path / "rules.json", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "cannot cover" in r.output
    r = invoke(src, "--rules", tmp_path / "rules.json", "--soft", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    cov = pd.read_csv(tmp_path / "o" / "coverage.csv")
    assert cov["under"].sum() == pytest.approx(8)   # 1 head short for 8 half-hours
    (tmp_path / "bad.json").write_text(json.dumps({"start_granularity_minutes": 7}))
    r = invoke(src, "--rules", tmp_path / "bad.json")
    assert r.exit_code == 2 and "start_granularity_minutes" in r.output


def test_scenario_input_with_verify(tmp_path):
    t = np.arange(48) / 2
    calls = np.where((t >= 8) & (t < 19), 12.0, 0.2).round(2).tolist()
    src = tmp_path / "tiny.toml"
    src.write_text(SCENARIO.format(calls=calls))
    out = tmp_path / "v"
    r = invoke(src, "--verify", "--max-iter", 2, "--replications", 2, "--seed", 1, "--out", out)
    assert r.exit_code == 0, r.output
    hist = pd.read_csv(out / "history.csv")
    assert 1 <= len(hist) <= 2 and {"cost", "worst_service_level"} <= set(hist.columns)
    assert "Erlang C" in (out / "explanation.txt").read_text()
    assert (out / "history.png").exists() and (out / "roster.csv").exists()


def test_scenario_shift_rules_section_is_used(tmp_path):
    calls = [0.2] * 16 + [10.0] * 22 + [0.2] * 10
    src = tmp_path / "tiny.toml"
    src.write_text(SCENARIO.format(calls=calls) + "[shift_rules]\nhandover_minutes = 45\n")
    r = invoke(src, "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    roster = read_roster_csv(tmp_path / "o" / "roster.csv")
    # paid cost with a 45-min hand-over: full-time 8.75 h, part-time 4.75 h at 40/h, night duty 15.75 h at 25/h
    paid = {"full_time": 8.75 * 40, "part_time": 4.75 * 40, "night_duty": 15.75 * 25}
    cost = sum(paid[r.template] * r.count for r in roster.itertuples())
    assert f"paid cost: {cost:,.2f}" in (tmp_path / "o" / "report.txt").read_text()
    # a start grid the night duty (17:30) cannot use is rejected with the field named
    src.write_text(SCENARIO.format(calls=calls) + "[shift_rules]\nstart_granularity_minutes = 60\n")
    r = invoke(src, "--out", tmp_path / "o2")
    assert r.exit_code == 2 and "night_duty" in r.output and "60-min grid" in r.output


def test_verify_that_cannot_converge_exits_non_zero(tmp_path):
    # issue 11 item 7: 'Not converged' used to exit 0. A target no staffing can meet (answered within 0 s
    # while the phone rings twice before anyone can pick up) must end with exit code 1 and a clear message.
    calls = [0.2] * 16 + [10.0] * 22 + [0.2] * 10
    src = tmp_path / "tiny.toml"
    src.write_text(SCENARIO.format(calls=calls).replace("[agents]", "[telephony]\npickup_rings = 2\n[agents]")
                   + "[metrics]\nservice_level_threshold_s = 1\n")
    out = tmp_path / "v"
    r = invoke(src, "--verify", "--max-iter", 1, "--replications", 4, "--seed", 1, "--out", out)
    assert r.exit_code == 1, r.output
    assert "did not converge" in r.output and (out / "explanation.txt").exists()
    assert "NOT CONVERGED" in (out / "explanation.txt").read_text()


def test_night_cap_is_reported_and_shrinkage_on_call_is_a_scenario_choice(tmp_path):
    # issue 11 item 9: 30 % shrinkage turns the one agent needed at night into 2 heads, silently capped to the
    # single on-call technician. The cap is now stated in the output and report.txt, with its cause; and
    # agents.shrinkage_on_call = false keeps shrinkage out of the on-call hours.
    import sim
    from staffing.requirements import requirements_from_scenario

    calls = [0.2] * 16 + [10.0] * 22 + [0.2] * 10
    text = SCENARIO.format(calls=calls).replace("shrinkage = 0.0", "shrinkage = 0.3")
    src = tmp_path / "tiny.toml"
    src.write_text(text)
    r = invoke(src, "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    report = (tmp_path / "o" / "report.txt").read_text()
    assert "capped in" in report and "shrinkage_on_call = false" in report
    off = tmp_path / "off.toml"
    off.write_text(text.replace("shrinkage = 0.3", "shrinkage = 0.3\nshrinkage_on_call = false"))
    req_on = requirements_from_scenario(sim.load_scenario(src))
    req_off = requirements_from_scenario(sim.load_scenario(off))
    night = np.r_[0:17, 35:48]            # 00:00-08:30 and 17:30-24:00: the default night-duty window
    assert (req_on["heads"].to_numpy()[np.r_[0:16, 38:48]] == 2).all()     # quiet night: 1 agent -> 2 heads
    assert (req_off["heads"].to_numpy()[night] == req_off["agents"].to_numpy()[night]).all()
    day = np.r_[17:35]
    assert (req_off["heads"].to_numpy()[day] == req_on["heads"].to_numpy()[day]).all()
