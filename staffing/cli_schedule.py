"""``acdsim schedule SCENARIO_OR_CSV [--verify] [--out DIR]``: shift roster, plots and (optionally) the
simulation-verified loop.

Input: a scenario file (requirement from Erlang C on its workload and targets, rules from ``scenario.shifts``
when the scenario has them, else the defaults) or a CSV with one row per interval and a requirement column
(``required``, ``requirement``, ``agents`` or ``heads``; agents on the phones, after shrinkage). Output in DIR:
``roster.csv`` (simulator format), ``roster_sim.csv`` (cyclic shifts wrapped into day 0), ``coverage.csv``,
``gantt.png``, ``coverage.png``, ``report.txt``; with ``--verify`` also ``history.csv``, ``history.png``,
``interval_stats.csv`` and ``explanation.txt``; ``--verify`` exits 1 when it does not converge (intervals still
fail with their whole confidence interval after ``--max-iter`` iterations). With ``--agents FILE`` the plan is
made for that team and assigned to its people: ``rota.csv``, ``weekly_sheet.csv/.html``, ``rota.png``,
``rota_coverage.csv``, ``rota_hours.csv``, ``lost_shifts.csv``, ``rota_report.txt`` (see :mod:`staffing.roster`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console

from staffing.timeofday import check_divides_day

REQ_COLUMNS = ("required", "requirement", "agents", "heads")


def read_requirement_csv(path: Path, column: str | None = None,
                         interval_minutes: int | None = None) -> tuple[np.ndarray, int]:
    """Requirement per interval and interval length (s) from a CSV (see module docstring)."""
    from sim.inputs import read_csv

    frame = read_csv(path, "requirement CSV")
    if column is None:
        found = [c for c in REQ_COLUMNS if c in frame.columns]
        if not found and frame.shape[1] == 1:
            found = [frame.columns[0]]
        if not found:
            raise ValueError(f"{path}: no requirement column; name it one of {list(REQ_COLUMNS)} or pass --column "
                             f"(columns: {list(frame.columns)})")
        column = found[0]
    if column not in frame.columns:
        raise ValueError(f"{path}: no column '{column}' (columns: {list(frame.columns)})")
    req = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(req) | (req < 0))
    if bad.size:
        raise ValueError(f"{path}: column '{column}' must hold numbers >= 0 (row {int(bad[0]) + 2}: "
                         f"{frame[column].iloc[bad[0]]!r})")
    starts = frame["interval_start_s"].to_numpy(float) if "interval_start_s" in frame.columns else None
    if interval_minutes is None and starts is not None and len(frame) > 1:
        interval_minutes = int(round(float(np.min(np.diff(starts))) / 60))
    if interval_minutes is None:
        interval_minutes = 30
    check_divides_day(interval_minutes, "--interval-minutes")
    if starts is not None:
        req = _on_day_grid(path, req, starts, interval_minutes * 60)
    if len(req) % (1440 // interval_minutes):
        raise ValueError(f"{path}: {len(req)} rows is not a whole number of days of {interval_minutes}-min "
                         f"intervals ({1440 // interval_minutes} per day); set --interval-minutes")
    return req, interval_minutes * 60


def _on_day_grid(path: Path, req: np.ndarray, starts: np.ndarray, interval_s: int) -> np.ndarray:
    """Place rows at their ``interval_start_s`` on a grid of whole days; intervals without a row are closed
    (requirement 0) — e.g. the requirements of ``acdsim staff`` for a centre open 08:00–20:00."""
    slot = starts / interval_s
    if np.any(np.abs(slot - np.round(slot)) > 1e-6) or np.any(starts < 0):
        raise ValueError(f"{path}: interval_start_s values must be whole multiples of the {interval_s // 60}-min "
                         "interval, >= 0")
    slot = np.round(slot).astype(int)
    if len(np.unique(slot)) != len(slot):
        raise ValueError(f"{path}: interval_start_s has repeated intervals")
    per_day = 86400 // interval_s
    grid = np.zeros(max(1, int(np.ceil((slot.max() + 1) / per_day))) * per_day)
    grid[slot] = req
    return grid


def load_rules(path: Path | None, scenario=None, *, soft: bool = False):
    """ShiftRules from a JSON/TOML file, else ``scenario.shifts``, else defaults; ``soft`` switches coverage."""
    from staffing.shifts import ShiftRules
    if path is not None:
        from sim.inputs import read_json, read_toml
        if path.suffix.lower() == ".toml":
            data = read_toml(path, "rules file")
            data = data.get("shifts", data)
        else:
            data = read_json(path, "rules file")
        rules = ShiftRules.model_validate(data)
    else:
        rules = getattr(scenario, "shifts", None) or ShiftRules()
    if soft:
        rules = rules.model_copy(update={"coverage": "soft"})
    return rules


def _write_outputs(out: Path, res, rules, title: str, weekday: int | None = None, excel: bool = False) -> None:
    from staffing.shifts import write_roster_csv
    from staffing.shifts.plots import coverage_plot, gantt
    from staffing.shifts.roster import wrap_roster
    out.mkdir(parents=True, exist_ok=True)
    write_roster_csv(res.roster, out / "roster.csv")
    write_roster_csv(wrap_roster(res.roster, res.n_days) if rules.cyclic else res.roster, out / "roster_sim.csv")
    res.coverage.to_csv(out / "coverage.csv", index=False)
    gantt(res.roster, out / "gantt.png", n_days=res.n_days, handover_minutes=rules.handover_minutes, title=title,
          start_weekday=weekday or 0)
    coverage_plot(res.coverage, out / "coverage.png", interval_s=res.interval_s, start_weekday=weekday or 0)
    (out / "report.txt").write_text(res.summary() + "\n")
    if excel:
        from sim.excel import write_workbook

        write_workbook(out / "schedule.xlsx", {"roster": res.roster, "coverage": res.coverage})


def explain_cap(note: str, scenario) -> str:
    """The cap warning with its usual cause: shrinkage applied to the single on-call technician."""
    agents = getattr(scenario, "agents", None)
    shrink = float(getattr(agents, "shrinkage", 0.0) or 0.0)
    if shrink > 0 and getattr(agents, "shrinkage_on_call", True):
        note += (f" — the Erlang heads include {100 * shrink:g} % shrinkage, also in on-call hours (one agent "
                 "needed -> 2 heads); set agents.shrinkage_on_call = false if shrinkage does not apply to "
                 "on-call duty")
    return note


_STATUS = Console(stderr=True)  # spinner while the solver and the simulations run (only on a terminal)


def schedule_command(
    source: Path = typer.Argument(..., help="scenario file (.toml/.yaml/.json) or requirement CSV"),
    verify: bool = typer.Option(False, "--verify", help="simulate the roster and adjust (scenario input only)"),
    out: Path = typer.Option(Path("schedule_out"), "--out", help="output folder"),
    rules_file: Path | None = typer.Option(None, "--rules", help="ShiftRules as JSON or TOML (a \\[shifts] table or top level)"),
    column: str | None = typer.Option(None, "--column", help="CSV requirement column"),
    interval_minutes: int | None = typer.Option(None, "--interval-minutes", help="CSV interval length, min"),
    soft: bool = typer.Option(False, "--soft", help="soft coverage with the rules' understaffing penalty"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="solver time limit, s"),
    gap: float = typer.Option(0.005, "--gap", help="relative MIP gap to stop at"),
    max_iter: int = typer.Option(6, "--max-iter", help="--verify: iteration cap"),
    replications: int | None = typer.Option(None, "--replications", help="--verify: replications per run"),
    max_replications: int | None = typer.Option(None, "--max-replications", min=1,
                                                help="--verify: most replications for inconclusive intervals "
                                                     "(default 4x --replications, at least 20)"),
    seed: int | None = typer.Option(None, "--seed", help="--verify: random seed"),
    strict: bool = typer.Option(False, "--strict", help="scenario input: fail instead of capping an Erlang "
                                                        "requirement the rules cannot staff (e.g. at night)"),
    excel: bool = typer.Option(False, "--excel", help="also write schedule.xlsx (roster, coverage; rota)"),
    agents: Path | None = typer.Option(None, "--agents", help="agents file (CSV or [[staff]] TOML): plan for "
                                                             "this team and write a per-person rota"),
    weeks: int = typer.Option(1, "--weeks", help="--agents: rota length in weeks (cyclic when the rules are)"),
    start_date: str | None = typer.Option(None, "--start-date", help="--agents: date of day 0 (YYYY-MM-DD; "
                                                                      "default: next date on the start weekday)"),
) -> None:
    """Build a cost-optimal shift roster (pyomo + HiGHS) with breaks, plots, and optional simulation check."""
    from sim.inputs import check_file
    from sim.outdir import check_out_path, prepare_out_dir
    from staffing.shifts import InfeasibleScheduleError, ScheduleSolveError
    final_out = out
    try:
        check_out_path(out)           # a bad --out is reported before the solver runs
        check_file(source, "input file")   # missing or a folder: one clear error
        scenario = None
        if source.suffix.lower() == ".csv":
            if verify:
                raise ValueError("--verify needs a scenario file (a requirement CSV has no workload to simulate)")
            req, interval_s = read_requirement_csv(source, column, interval_minutes)
            weekday = None
        else:
            import sim
            from staffing.shifts.verify import erlang_requirement
            scenario = sim.load_scenario(source)
            req, interval_s = erlang_requirement(scenario), scenario.horizon.interval_s
            weekday = scenario.horizon.start_weekday
        rules = load_rules(rules_file, scenario, soft=soft)
        team = _read_team(agents, verify, weeks)
        if team is not None:
            from staffing.roster.staff import headcount_caps
            rules = headcount_caps(rules, team)
        cap_note = None
        if scenario is not None and not strict:
            from staffing.shifts.solve import cap_requirement
            capped, cap_note = cap_requirement(req, interval_s, rules, weekday)
            if cap_note:
                cap_note = explain_cap(cap_note, scenario)
                typer.echo(f"warning: {cap_note}", err=True)
            if not verify:        # --verify caps inside its loop (and says so in explanation.txt)
                req = capped
        with prepare_out_dir(final_out, "acdsim schedule") as od:   # locked; replaced only on success
            if team is not None:
                _rota_command(req, interval_s, rules, team, od.staging, source, weeks, start_date, weekday,
                              time_limit, gap, excel)
                failing = 0
            else:
                from sim.resume import PointStore
                points = PointStore(od.work / "schedule-verify") if verify else None   # resume an interrupted loop
                failing = _schedule_into(od.staging, source, scenario, req, interval_s, weekday, rules, verify,
                                         max_iter, replications, seed, time_limit, gap, excel, max_replications,
                                         cap_note, points)
                if points is not None:
                    od.commit()
                    points.clear()      # the outputs are in place: nothing left to resume
        typer.echo(f"written to {final_out}/")
        if failing:
            typer.echo(f"error: --verify did not converge: {failing} interval(s) still miss a target with their "
                       f"whole confidence interval (see {final_out / 'explanation.txt'}); raise --max-iter or "
                       "change the shift rules", err=True)
            raise typer.Exit(1)
    except InfeasibleScheduleError as err:
        typer.echo(f"infeasible: {err}", err=True)
        raise typer.Exit(2) from None
    except _rota_infeasible() as err:
        typer.echo(f"infeasible rota: {err}", err=True)
        raise typer.Exit(2) from None
    except (ValueError, ScheduleSolveError) as err:   # pydantic ValidationError and ScenarioError included
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def _schedule_into(out: Path, source: Path, scenario, req, interval_s, weekday, rules, verify: bool, max_iter: int,
                   replications, seed, time_limit: float, gap: float, excel: bool = False,
                   max_replications: int | None = None, cap_note: str | None = None, points=None) -> int:
    """Solve (and with ``verify`` simulate) and write every output file into ``out``; returns the number of
    intervals that still fail after ``--verify`` (0 when it converged or without ``--verify``). ``points``
    (``sim.resume.PointStore``): rosters and replications an interrupted ``--verify`` finished are reused."""
    from staffing.shifts import schedule
    if verify:
        from staffing.shifts.plots import history_plot
        from staffing.shifts.verify import optimise_with_simulation
        with _STATUS.status("solving and simulating rosters (iterations print as they finish)"):
            v = optimise_with_simulation(scenario, rules=rules, requirement=req, max_iter=max_iter,
                                         replications=replications, seed=seed, time_limit_s=time_limit,
                                         mip_rel_gap=gap, max_replications=max_replications,
                                         progress=typer.echo, points=points)
        resumed = points.summary("points (rosters and replications)") if points is not None else None
        if resumed:
            typer.echo(f"resumed: {resumed}")
        if cap_note:
            v.result.notes.append(cap_note)
        _write_outputs(out, v.result, rules, f"Roster (simulation-verified): {source.name}", weekday, excel)
        v.history.to_csv(out / "history.csv", index=False)
        v.interval_stats.to_csv(out / "interval_stats.csv", index=False)
        (out / "explanation.txt").write_text(v.explanation + "\n")
        history_plot(v.history, out / "history.png",
                     target=scenario.staffing_targets().get("service_level"))
        typer.echo(v.result.summary())
        typer.echo(v.explanation)
        return 0 if v.converged else max(1, int(v.interval_stats["fail"].sum()))
    with _STATUS.status("solving the roster with HiGHS"):
        res = schedule(req, interval_s, rules, time_limit_s=time_limit, mip_rel_gap=gap, start_weekday=weekday)
    if cap_note:
        res.notes.append(cap_note)
    _write_outputs(out, res, rules, f"Roster: {source.name}", weekday, excel)
    typer.echo(res.summary())
    return 0


def _rota_infeasible():
    from staffing.roster.explain import RotaInfeasibleError
    return RotaInfeasibleError


def _read_team(agents: Path | None, verify: bool, weeks: int):
    if agents is None:
        return None
    if verify:
        raise ValueError("--agents and --verify cannot be combined (verify the template plan first)")
    if not 1 <= weeks <= 12:
        raise ValueError(f"--weeks must be in 1..12, got {weeks}")
    from staffing.roster.staff import read_staff
    return read_staff(agents)


def _rota_command(req, interval_s, rules, team, out: Path, source: Path, weeks: int, start_date: str | None,
                  weekday: int | None, time_limit: float, gap: float, excel: bool = False) -> None:
    """Plan for the team, assign it to the named people, write plan and rota outputs."""
    import datetime as dt
    from staffing.roster.outputs import write_rota
    from staffing.roster.pipeline import next_weekday, schedule_rota
    if start_date is None:
        day0 = next_weekday(weekday or 0)
    else:
        try:
            day0 = dt.date.fromisoformat(start_date)
        except ValueError:
            raise ValueError(f"--start-date must be YYYY-MM-DD, got {start_date!r}") from None
        if weekday is not None and day0.weekday() != weekday:
            raise ValueError(f"--start-date {start_date} is a {day0.strftime('%A')}, but the scenario's day 0 is "
                             f"weekday {weekday} (0 = Monday)")
    with _STATUS.status("solving the plan and the rota with HiGHS"):
        res, rota = schedule_rota(req, interval_s, rules, team, start_date=day0, weeks=weeks,
                                  time_limit_s=time_limit, mip_rel_gap=gap)
    _write_outputs(out, res, rules, f"Plan for the team: {source.name}", weekday, excel)
    write_rota(rota, out, req, interval_s, title=f"Rota: {source.name}, {weeks} week(s) from {day0.isoformat()}")
    if excel and (out / "rota.csv").exists():
        from sim.excel import write_workbook

        write_workbook(out / "schedule.xlsx", {"roster": res.roster, "coverage": res.coverage,
                                               "rota": pd.read_csv(out / "rota.csv")})
    typer.echo(res.summary())
    typer.echo((out / "rota_report.txt").read_text().rstrip())


def register(app: typer.Typer) -> None:
    """Add ``acdsim schedule`` to the CLI."""
    app.command("schedule")(schedule_command)
