"""The simulator runs a per-person rota (``[agents] rota = "rota.csv"``): one agent per person."""
from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model import CallCentreModel
from sim.schedule import expand_schedule, planned_schedule

ROTA = """agent,date,weekday,start,end,breaks,duty,template,role,paid_hours
Ann,2026-03-02,Mon,08:00,16:00,12:00+30,day,full_time,agent,8
Bo,2026-03-02,Mon,12:00,20:00,,day,full_time,agent,8
Tom,2026-03-02,Mon,20:00,08:00,,night,night_duty,night_duty,12
Ann,2026-03-03,Tue,08:00,16:00,,day,full_time,agent,8
Bo,2026-03-03,Tue,12:00,20:00,,day,full_time,agent,8
Tom,2026-03-03,Tue,20:00,08:00,,night,night_duty,night_duty,12
"""


def scenario(tmp_path, days=2, weekday="monday", **agents):
    (tmp_path / "rota.csv").write_text(ROTA)
    data = {"horizon": {"days": days, "start_weekday": weekday}, "arrivals": {"calls_per_hour": 6},
            "call_types": {"a": {"share": 1.0, "talk": {"family": "exponential", "mean": 120}}},
            "agents": {"rota": "rota.csv", **agents}}
    return sim.validate_scenario(data, base_dir=tmp_path)


def test_rota_instances_carry_people_and_wrap_the_last_night(tmp_path):
    inst = planned_schedule(scenario(tmp_path))
    assert sorted({i.person for i in inst}) == ["Ann", "Bo", "Tom"]
    # Tuesday's night runs into day 0 of the next repetition: a carry shift 00:00-08:00 on day 0
    tom = sorted((i.start, i.end) for i in inst if i.person == "Tom")
    assert tom[0] == (0.0, 8 * 3600.0)
    ann = [i for i in inst if i.person == "Ann"]
    assert ann[0].breaks == [(12 * 3600.0, 1800.0, False)]


def test_model_runs_one_agent_per_person(tmp_path):
    out = CallCentreModel(scenario(tmp_path), seed=1).run()
    assert sorted(out.agent_roles) == ["agent", "agent", "night_duty"]


def test_rota_repeats_over_a_longer_horizon_and_absences_hit_people(tmp_path):
    sc = scenario(tmp_path, days=4, absenteeism=0.5)
    inst = expand_schedule(sc, np.random.default_rng(3))
    assert max(i.end for i in inst) > 3 * 86400       # repeated on days 2-3
    absent = [i for i in inst if i.absent]
    assert absent and all(i.person for i in absent)


def test_rota_errors_name_the_field(tmp_path):
    with pytest.raises(ValueError, match="start_weekday"):
        planned_schedule(scenario(tmp_path, weekday="tuesday"))
    with pytest.raises(ValueError, match="whole number of rota lengths"):
        planned_schedule(scenario(tmp_path, days=3))
    sc = scenario(tmp_path)
    (tmp_path / "rota.csv").unlink()
    with pytest.raises(ValueError, match="agents.rota: file not found"):
        planned_schedule(sc)
    with pytest.raises(ValueError, match="exactly one of"):
        sim.validate_scenario({"horizon": {"days": 1}, "arrivals": {"calls_per_hour": 6},
                               "call_types": {"a": {"share": 1.0, "talk": {"family": "exponential", "mean": 1}}},
                               "agents": {"rota": "r.csv", "headcount": 2}})
