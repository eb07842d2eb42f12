"""Invalid scenarios give one clear error naming the field and the allowed range."""
from __future__ import annotations

import copy

import pytest

import sim
from sim.scenario import ScenarioError, validate_scenario

BASE = {
    "arrivals": {"calls_per_hour": 100},
    "call_types": {"inquiry": {"share": 0.6, "talk": {"family": "exponential", "mean": 120}},
                   "repair": {"share": 0.4, "talk": {"family": "lognormal", "mean": 200, "cv": 0.5}}},
    "agents": {"headcount": 5},
}


def with_change(path: str, value):
    data = copy.deepcopy(BASE)
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return data


@pytest.mark.parametrize("path,value,expect", [
    ("call_types.inquiry.talk", {"family": "exponential", "mean": -5}, ["call_types.inquiry.talk.mean",
                                                                        "greater than 0"]),
    ("call_types.inquiry.share", 0.7, ["shares must sum to 1", "1.1"]),
    ("call_types.inquiry.talk", {"family": "pareto", "mean": 5}, ["call_types.inquiry.talk.family",
                                                                   "exponential"]),
    ("call_types.inquiry.hold_prob", 1.5, ["call_types.inquiry.hold_prob", "less than or equal to 1"]),
    ("agents.absenteeism", 1.0, ["agents.absenteeism", "less than 1"]),
    ("horizon.interval_minutes", 7, ["horizon.interval_minutes", "divide a day"]),
    ("horizon.start_weekday", "funday", ["horizon.start_weekday", "monday"]),
    ("telephony.trunks", 0, ["telephony.trunks", "greater than or equal to 1"]),
    ("arrivals.calls_per_interval", [1, 2, 3], ["exactly one of"]),
    ("call_types.repair.talk", {"family": "lognormal", "mean": 200}, ["call_types.repair.talk", "cv"]),
    ("call_types.repair.talk", {"family": "uniform", "mean": 100, "cv": 0.9}, ["1/sqrt(3)"]),
    ("targets", {"service_level": {}}, ["targets.service_level", "min"]),
    ("targets", {"happiness": {"min": 1}}, ["targets", "unknown target"]),
    ("agents.shifts", [{"start": "25:00", "end": "08:00"}], ["agents.shifts.0.start", "between 00:00 and 24:00"]),
    ("call_types.inquiry.colour", "red", ["call_types.inquiry.colour", "unknown key"]),
])
def test_bad_value_names_field(path, value, expect):
    with pytest.raises(ScenarioError) as info:
        validate_scenario(with_change(path, value), source="test.toml")
    text = str(info.value)
    assert "test.toml" in text
    for fragment in expect:
        assert fragment in text, text


def test_missing_required_section_is_named():
    data = copy.deepcopy(BASE)
    del data["agents"]
    with pytest.raises(ScenarioError, match=r"agents: Field required"):
        validate_scenario(data)


def test_profile_length_must_fit_intervals():
    data = with_change("arrivals", {"calls_per_interval": [1.0] * 47})
    with pytest.raises(ScenarioError, match=r"calls_per_interval has 47 values; expected 48"):
        validate_scenario(data)


def test_break_outside_shift_rejected():
    data = with_change("agents", {"shifts": [{"start": "08:00", "end": "12:00",
                                              "breaks": [{"start": "13:00", "minutes": 30}]}]})
    with pytest.raises(ScenarioError, match="not inside 08:00-12:00"):
        validate_scenario(data)


def test_load_scenario_errors(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        sim.load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("horizon = [", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        sim.load_scenario(bad)


def test_csv_arrivals_and_empirical_distribution(tmp_path):
    (tmp_path / "volumes.csv").write_text("calls\n" + "\n".join(["2"] * 48), encoding="utf-8")
    (tmp_path / "talk.csv").write_text("seconds\n100\n200\n300\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text("""
[arrivals]
csv = "volumes.csv"
[call_types.x]
share = 1.0
talk = { family = "empirical", csv = "talk.csv", column = "seconds" }
[agents]
headcount = 2
""", encoding="utf-8")
    sc = sim.load_scenario(tmp_path / "s.toml")
    assert sc.arrival_rates().sum() == pytest.approx(96.0)
    assert sc.call_types["x"].talk.expected() == pytest.approx(200.0)
    (tmp_path / "volumes.csv").write_text("calls\n1\n2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="2 rows; expected 48"):
        sim.load_scenario(tmp_path / "s.toml")


def test_example_scenario_loads_and_describes_workload():
    sc = sim.load_scenario("scenarios/property_centre.toml")
    wl = sc.workload()
    assert len(wl) == 7 * 48
    # Saturday volumes are 0.7 of a weekday's (weekday_factor in the file).
    assert wl["calls"].iloc[5 * 48:6 * 48].sum() == pytest.approx(0.7 * wl["calls"].iloc[:48].sum())
    assert 150 < sc.mean_handle_time_s() < 400


def test_model_validate_with_missing_csv_fails_clearly_at_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc = sim.Scenario.model_validate(with_change(
        "call_types.inquiry.talk", {"family": "empirical", "csv": "talk.csv", "column": "s"}))
    with pytest.raises(ScenarioError, match="empirical csv file .* not found"):
        sim.run(sc, replications=1)
    (tmp_path / "talk.csv").write_text("s\n60\n120\n", encoding="utf-8")
    assert sim.run(sc, replications=1, seed=1).metric("total_calls") > 0
