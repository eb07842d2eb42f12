"""Per call type / per group metrics in summary.json, the CLI run output and report.html ([routing] runs)."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from sim.cli import app
from sim.runner import run_replication
from sim.scenario import validate_scenario
from test_routing import base

SKILLS_TOML = """
replications = 2
[horizon]
days = 1
[arrivals]
calls_per_hour = 60
[call_types.general]
share = 0.8
talk = { family = "exponential", mean = 240 }
[call_types.complaint]
share = 0.2
priority = 1
talk = { family = "exponential", mean = 300 }
[callers]
patience = { family = "exponential", mean = 120 }
[agents]
headcount = 0
[routing.groups.front_desk]
skills = { general = 1, complaint = 2 }
headcount = 4
[routing.groups.senior]
skills = { complaint = 1 }
headcount = 1
[routing.call_types]
complaint = [{ group = "senior" }, { group = "front_desk", after_s = 30 }]
"""


def test_breakdown_parts_add_up_to_the_totals():
    """Per-type offered/answered sum to the run's; groups' answered calls sum to the answered total; a type's
    answered calls are split between the groups that may take it."""
    sc = validate_scenario(base())
    rep = run_replication(sc, 4, 0)
    parts = rep.breakdown
    types = [parts[f"type:{t}"] for t in sc.type_names()]
    groups = [parts[f"group:{g}"] for g in sc.routing.groups]
    assert sum(p["offered"][0] for p in types) == rep.run["offered"]
    assert sum(p["answered"][0] for p in types) == rep.run["answered"]
    assert sum(p["answered"][0] for p in groups) == rep.run["answered"]
    sl_num = sum(p["service_level"][0] for p in types)
    assert abs(sl_num - rep.parts["service_level"][0]) < 1e-9
    assert abs(sum(p["asa"][0] for p in groups) - rep.parts["asa"][0]) < 1e-6
    occ = parts["group:senior"]["occupancy"]
    assert 0 < occ[0] <= occ[1]


def test_no_breakdown_without_routing():
    data = base()
    data.pop("routing")
    data["agents"]["headcount"] = 5
    rep = run_replication(validate_scenario(data), 4, 0)
    assert rep.breakdown == {}


def test_cli_summary_and_report(tmp_path):
    path = tmp_path / "skills.toml"
    path.write_text(SKILLS_TOML)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--report"],
                                env={"COLUMNS": "200", "TERM": "xterm"})
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["by_group"]) == {"front_desk", "senior"}
    assert set(summary["by_call_type"]) == {"general", "complaint"}
    sl = summary["by_group"]["senior"]["service_level"]
    assert 0 <= sl["ci_low"] <= sl["mean"] <= sl["ci_high"] <= 1
    assert "abandon_rate" not in summary["by_group"]["senior"]
    assert "by_group" in summary["breakdown_definitions"]
    assert "by call type and skill group" in result.output
    page = (out / "report.html").read_text()
    assert "By call type and skill group" in page and "per group" in page
