"""staffing.roster: agents file, small rotas with hand-checked optima, rest, fairness, infeasibility, outputs."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from staffing.roster import RotaInfeasibleError, make_rota, read_staff, staff_from_dict
from staffing.roster.outputs import coverage_after, lost_intervals, rota_frame, weekly_sheet, write_rota
from staffing.shifts import ShiftRules

MONDAY = dt.date(2026, 3, 2)
NO_HANDOVER = ShiftRules(handover_minutes=0)


def plan(rows) -> pd.DataFrame:
    """Plan rows (template, day, start, end, role) with count 1 and no breaks."""
    return pd.DataFrame([{"template": t, "day": d, "start": s, "end": e, "breaks": "", "count": 1, "role": r}
                         for t, d, s, e, r in rows])


def day_shifts(days=range(7), start="09:00", end="17:00") -> list:
    return [("full_time", d, start, end, "agent") for d in days]


def nights(days=range(7)) -> list:
    return [("night_duty", d, "17:30", "08:30", "night_duty") for d in days]


def team(people, **rota) -> object:
    return staff_from_dict({"staff": people, "rota": {"consecutive_days_off": False, **rota}})


def rota_of(rows, people, weeks=1, cyclic=True, **rota):
    return make_rota(plan(rows), 7, team(people, **rota), start_date=MONDAY, weeks=weeks, shift_rules=NO_HANDOVER,
                     cyclic=cyclic)


def by_person(r) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {p.name: [] for p in r.staff}
    for row in rota_frame(r).itertuples():
        out[row.agent].append(f"{row.weekday} {row.start}")
    return out


# ---------------------------------------------------------------- small rotas with known optima
def test_two_people_one_shift_a_day_hand_checked():
    """7 shifts, two people working 3-4 days: all shifts assigned (3 + 4), each gets exactly one weekend day
    (weekend spread 0), and Ann, who prefers Saturday off, works Sunday while Bo works Saturday."""
    people = [{"name": "Ann", "min_days_per_week": 3, "max_days_per_week": 4, "preferred_days_off": ["sat"]},
              {"name": "Bo", "min_days_per_week": 3, "max_days_per_week": 4}]
    r = rota_of(day_shifts(), people)
    assert r.lost == []
    got = by_person(r)
    assert sorted(len(v) for v in got.values()) == [3, 4]
    assert "Sun 09:00" in got["Ann"] and "Sat 09:00" not in got["Ann"]
    assert "Sat 09:00" in got["Bo"]
    assert r.spreads()["weekend/agent/full"] == 0
    assert r.status.startswith("optimal")


def test_fixed_assignment_and_shift_type_restriction():
    people = [{"name": "Ann", "days_per_week": 3, "fixed": ["2026-03-04 09:00"]},
              {"name": "Bo", "days_per_week": 4, "shift_types": ["full_time"]}]
    r = rota_of(day_shifts(), people)
    assert "Wed 09:00" in by_person(r)["Ann"]
    assert len(r.lost) == 0


def test_contract_hours_limit_days():
    """8-h shifts, max 24 h a week: at most 3 shifts each; 7 shifts for two such people -> one is lost and
    the reason names both people's contract limit."""
    people = [{"name": "Ann", "min_days_per_week": 0, "max_days_per_week": 7, "max_hours": 24},
              {"name": "Bo", "min_days_per_week": 0, "max_days_per_week": 7, "max_hours": 24}]
    r = rota_of(day_shifts(), people)
    assert len(r.lost) == 1
    assert r.hours()["hours"].max() <= 24
    assert "Ann" in r.notes[0] and "Bo" in r.notes[0]


# ---------------------------------------------------------------- rest
def test_rest_rule_night_then_morning_shift():
    """A night ending 08:30 cannot be followed by the 08:30 day shift with 11 h rest: Tom does one of them
    and the other is lost with a 'rest' reason. With 0 h rest he does both."""
    people = [{"name": "Tom", "skills": ["agent", "night_duty"], "min_days_per_week": 0, "max_days_per_week": 7}]
    rows = nights([0]) + day_shifts([1], "08:30", "17:30")
    strict = rota_of(rows, people, cyclic=False)
    assert len(strict.lost) == 1 and "rest" in strict.notes[0]
    relaxed = rota_of(rows, people, cyclic=False, min_rest_hours=0)
    assert relaxed.lost == []


def test_rest_rule_across_the_cyclic_week_wrap():
    """Sunday night -> Monday 08:30 only conflicts when the week repeats (cyclic)."""
    people = [{"name": "Tom", "skills": ["agent", "night_duty"], "min_days_per_week": 0, "max_days_per_week": 7}]
    rows = day_shifts([0], "08:30", "17:30") + nights([6])
    assert rota_of(rows, people, cyclic=False).lost == []
    wrapped = rota_of(rows, people, cyclic=True)
    assert len(wrapped.lost) == 1 and "rest" in wrapped.notes[0]


def test_hand_over_counts_against_rest():
    """Night until 08:30, next shift 19:30: exactly 11 h without hand-over, 10 h 45 min with the 15-min
    hand-over -> allowed only without it."""
    people = [{"name": "Tom", "skills": ["night_duty", "agent"], "min_days_per_week": 0, "max_days_per_week": 7}]
    rows = nights([0]) + [("late", 1, "19:30", "23:30", "agent")]
    assert rota_of(rows, people, cyclic=False).lost == []
    r = make_rota(plan(rows), 7, team(people), start_date=MONDAY, shift_rules=ShiftRules(), cyclic=False)
    assert len(r.lost) == 1


# ---------------------------------------------------------------- fairness
def test_two_technicians_alternate_nights_over_two_weeks():
    """14 nights, two technicians, 11 h rest: consecutive nights are impossible, so they must alternate:
    7 nights each, 2 weekend nights each (spreads 0), nobody on two nights in a row."""
    techs = [{"name": n, "skills": ["night_duty"], "min_days_per_week": 3, "max_days_per_week": 4, "max_hours": 64}
             for n in ("Sun", "Ma")]
    r = rota_of(nights(), techs, weeks=2)
    assert r.lost == []
    counts = r.duty_counts()
    assert counts["Sun"]["night"] == counts["Ma"]["night"] == 7
    assert counts["Sun"]["weekend"] == counts["Ma"]["weekend"] == 2
    for p in range(2):
        days = [j.day for j in r.person_jobs(p)]
        assert all((b - a) % 14 >= 2 for a, b in zip(days, days[1:] + days[:1]))


def test_one_week_cyclic_with_two_technicians_loses_a_night_and_says_why():
    """7 nights in a repeating week cannot alternate between two people (odd cycle)."""
    techs = [{"name": n, "skills": ["night_duty"], "min_days_per_week": 3, "max_days_per_week": 4, "max_hours": 64}
             for n in ("Sun", "Ma")]
    r = rota_of(nights(), techs)
    assert len(r.lost) == 1
    assert "rest" in r.notes[0] and "Sun" in r.notes[0] and "Ma" in r.notes[0]


def test_fairness_spreads_weekend_duty():
    """Four people, one weekend shift each day, two weeks: 4 weekend shifts, one each (spread 0)."""
    people = [{"name": f"P{i}", "min_days_per_week": 0, "max_days_per_week": 7} for i in range(4)]
    r = rota_of(day_shifts([5, 6]), people, weeks=2)
    assert sorted(c["weekend"] for c in r.duty_counts().values()) == [1, 1, 1, 1]
    unfair = rota_of(day_shifts([5, 6]), people, weeks=2, fairness_weight=0)
    assert unfair.lost == []


# ---------------------------------------------------------------- infeasible inputs
def test_precheck_names_person_days_and_rule():
    people = [{"name": "Bo", "days_per_week": 5, "unavailable": ["2026-03-03", "2026-03-04", "wed", "thu"]}]
    with pytest.raises(RotaInfeasibleError) as err:
        rota_of(day_shifts(), people)
    msg = str(err.value)
    assert "Bo" in msg and "2026-03-02..2026-03-08" in msg and "days per week" in msg
    assert err.value.conflicts[0].person == "Bo"


def test_fixed_assignments_breaking_rest_are_explained():
    """Fixed night on Monday and fixed 08:30 shift on Tuesday: only the rest rule can give -> explanation."""
    people = [{"name": "Tom", "skills": ["agent", "night_duty"], "min_days_per_week": 0, "max_days_per_week": 7,
               "fixed": ["2026-03-02 night_duty", "2026-03-03 08:30"]}]
    rows = nights([0]) + day_shifts([1], "08:30", "17:30")
    with pytest.raises(RotaInfeasibleError) as err:
        rota_of(rows, people, cyclic=False)
    c = err.value.conflicts[0]
    assert c.person == "Tom" and c.rule == "minimum rest" and c.days == "2026-03-02..2026-03-03"


def test_missing_skill_and_strict_coverage():
    with pytest.raises(RotaInfeasibleError, match="night_duty"):
        rota_of(nights([0]), [{"name": "Ann", "min_days_per_week": 0}])
    people = [{"name": "Ann", "min_days_per_week": 0, "max_days_per_week": 1}]
    with pytest.raises(RotaInfeasibleError, match="nobody can take"):
        rota_of(day_shifts([0, 1]), people, allow_lost=False)


# ---------------------------------------------------------------- agents file
def test_agents_csv_and_toml(tmp_path):
    csv = tmp_path / "staff.csv"
    csv.write_text("name,contract,min_hours,max_hours,days_per_week,skills,unavailable\n"
                   "Ann,full,36,44,5,agent,2026-03-02 08:00-12:00;sat\n"
                   "Tom,full,40,64,,night_duty,\n")
    s = read_staff(csv)
    assert [p.name for p in s.staff] == ["Ann", "Tom"]
    assert s.staff[0].unavailable_minutes(dt.date(2026, 3, 2)) == [(480, 720)]
    assert s.staff[0].unavailable_minutes(dt.date(2026, 3, 7)) == [(0, 1440)]
    assert s.staff[1].skills == ["night_duty"]
    toml = tmp_path / "staff.toml"
    toml.write_text('[rota]\nmin_rest_hours = 9\n[[staff]]\nname = "Ann"\n')
    assert read_staff(toml).rota.min_rest_hours == 9


@pytest.mark.parametrize("body, needle", [
    ("name,min_hours,max_hours\nAnn,50,40\n", "min_hours"),
    ("name,days_per_week\nAnn,9\n", "staff 'Ann'.days_per_week"),
    ("name,unavailable\nAnn,someday\n", "unavailable"),
    ("name\nAnn\nAnn\n", "unique"),
    ("name,skills\nAnn,pilot\n", "skills"),
])
def test_agents_file_errors_name_the_field(tmp_path, body, needle):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(ValueError, match=needle):
        read_staff(path)


def test_fixed_entry_matching_no_shift_is_an_error():
    people = [{"name": "Ann", "min_days_per_week": 0, "fixed": ["2026-03-02 06:00"]}]
    with pytest.raises(ValueError, match="matches no shift"):
        rota_of(day_shifts([0]), people)


# ---------------------------------------------------------------- outputs
def test_outputs_sheet_coverage_and_lost(tmp_path):
    people = [{"name": "Ann", "min_days_per_week": 0, "max_days_per_week": 6}]
    r = rota_of(day_shifts(), people)
    assert len(r.lost) == 1
    sheet = weekly_sheet(r)
    assert list(sheet.columns[:3]) == ["agent", "week", "from"] and (sheet.iloc[0] == "off").sum() == 1
    cov = coverage_after(r, np.ones(48 * 7), 1800)
    lost_day = r.jobs.jobs[r.lost[0]].date.isoformat()
    assert cov.loc[cov["lost"] > 0, "date"].unique().tolist() == [lost_day]
    assert lost_intervals(cov, 1800) == [f"{lost_day} 09:00-17:00 (-1)"]
    paths = write_rota(r, tmp_path, np.ones(48 * 7), 1800)
    frame = pd.read_csv(paths["rota"])
    assert list(frame.columns[:7]) == ["agent", "date", "weekday", "start", "end", "breaks", "duty"]
    assert len(frame) == 6 and paths["picture"].stat().st_size > 1000
    assert "<table>" in paths["sheet_html"].read_text()


# ---------------------------------------------------------------- CLI
def test_cli_schedule_with_agents_writes_rota(tmp_path):
    from typer.testing import CliRunner

    import sim.cli
    t = np.arange(48) / 2
    req = np.where((t >= 8) & (t < 18), 2, 1)
    (tmp_path / "req.csv").write_text("required\n" + "\n".join(map(str, req)) + "\n")
    rows = ["name,contract,min_hours,max_hours,days_per_week,min_days_per_week,max_days_per_week,skills"]
    rows += [f"A{i},full,0,48,,0,5,agent" for i in range(5)]
    rows += [f"T{i},full,0,64,,3,4,night_duty" for i in range(2)]
    (tmp_path / "staff.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(sim.cli.app, ["schedule", str(tmp_path / "req.csv"), "--agents",
                                           str(tmp_path / "staff.csv"), "--weeks", "2", "--start-date",
                                           "2026-03-02", "--out", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out / "rota.csv")
    assert set(frame["agent"]) <= {f"A{i}" for i in range(5)} | {"T0", "T1"}
    assert frame["date"].min() == "2026-03-02" and frame["date"].max() == "2026-03-15"
    for name in ("weekly_sheet.csv", "weekly_sheet.html", "rota.png", "rota_coverage.csv", "rota_report.txt"):
        assert (out / name).exists(), name
    bad = CliRunner().invoke(sim.cli.app, ["schedule", str(tmp_path / "req.csv"), "--agents",
                                           str(tmp_path / "nope.csv"), "--out", str(out)])
    assert bad.exit_code == 2 and "agents file not found" in bad.output


@pytest.mark.slow
def test_example_centre_two_week_rota(tmp_path):
    """The README example: 10 agents + 2 technicians, two cyclic weeks. Every planned shift is assigned, the
    technicians alternate nights (7 each), Li Na's fixed Monday 08:30 shift holds, Liu Yang is off on his
    training day, contracts hold. (~2 min on a busy 2-core machine.)"""
    from typer.testing import CliRunner

    import sim.cli
    out = tmp_path / "out"
    res = CliRunner().invoke(sim.cli.app, ["schedule", "scenarios/property_centre.toml", "--agents",
                                           "scenarios/property_centre_staff.toml", "--weeks", "2",
                                           "--start-date", "2026-03-02", "--soft", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rota = pd.read_csv(out / "rota.csv")
    assert pd.read_csv(out / "lost_shifts.csv").empty
    nights = rota[rota.duty == "night"].groupby("agent").size().to_dict()
    assert nights == {"Ma Jun": 7, "Sun Qiang": 7}
    assert ((rota.agent == "Li Na") & (rota.date == "2026-03-02") & (rota.start == "08:30")).any()
    assert not ((rota.agent == "Liu Yang") & (rota.date == "2026-03-04")).any()
    hours = pd.read_csv(out / "rota_hours.csv")
    assert (hours.hours >= hours.min_hours - 1e-9).all() and (hours.hours <= hours.max_hours + 1e-9).all()
