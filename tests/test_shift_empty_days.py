"""Days on which no shift can work: nothing required -> an empty roster that day; a requirement -> one clear
error naming the day and the rule (``shift_types.weekdays``)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from staffing.cli_schedule import register
from staffing.shifts import InfeasibleScheduleError, ShiftRules, ShiftType, read_roster_csv, schedule


def rules_on(weekdays) -> ShiftRules:
    day = ShiftType(name="day", length_minutes=480, earliest_start="08:00", latest_start="09:00",
                    weekdays=weekdays)
    return ShiftRules(shift_types=[day], duty_windows=[], min_on_duty=0, days_off=None)


def test_a_day_without_templates_and_without_requirement_gives_an_empty_optimal_roster():
    # one Monday, the only shift type works weekends: no variable, no constraint (was: "HiGHS stopped (unknown)")
    res = schedule(np.zeros(48), 1800, rules_on(["sat", "sun"]), start_weekday=0)
    assert res.status == "optimal" and res.cost == 0 and res.objective == 0 and res.gap == 0
    assert res.roster.empty and len(res.coverage) == 48 and res.coverage["under"].sum() == 0
    assert res.size["integer_variables"] == 0
    assert "shifts: 0 over 1 day(s)" in res.summary()


def test_requirement_on_a_day_no_shift_type_works_is_one_error_naming_day_and_field():
    req = np.zeros(48 * 7)
    for d in range(5):
        req[d * 48 + 18:d * 48 + 32] = 2            # Mon-Fri 09:00-16:00
    req[5 * 48 + 20:5 * 48 + 24] = 1                # Saturday 10:00-12:00, but nobody works Saturdays
    req[5 * 48 + 28] = 3                            # ... and 14:00-14:30
    with pytest.raises(InfeasibleScheduleError) as err:
        schedule(req, 1800, rules_on(["mon", "tue", "wed", "thu", "fri"]), start_weekday=0)
    msg = str(err.value)
    sat = [line for line in msg.splitlines() if "day 5" in line]
    assert len(sat) == 1, msg                          # one line for the day, not one per interval range
    assert "(Sat)" in sat[0] and "shift_types.weekdays" in sat[0] and "'day'" in sat[0] and "up to 3" in sat[0]
    assert err.value.intervals == [5 * 48 + k for k in (20, 21, 22, 23, 28)]


app = typer.Typer()
register(app)


@app.callback()
def _root() -> None:
    """Keep 'schedule' a sub-command."""


def _csv(path, req):
    pd.DataFrame({"interval_start_s": np.arange(len(req)) * 1800, "required": req}).to_csv(path, index=False)
    return path


def test_cli_schedules_a_closed_day_as_an_empty_roster_and_names_a_day_nobody_can_staff(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(rules_on(["sat"]).model_dump(mode="json")))
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["schedule", str(_csv(tmp_path / "mon.csv", np.zeros(48))), "--rules", str(rules),
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert read_roster_csv(out / "roster.csv").empty and (out / "gantt.png").exists()
    req = np.zeros(48)
    req[20] = 1
    r = CliRunner().invoke(app, ["schedule", str(_csv(tmp_path / "mon1.csv", req)), "--rules", str(rules),
                                 "--out", str(tmp_path / "o2")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "day 0 (Mon)" in r.output and "shift_types.weekdays" in r.output
