"""``acdsim schedule SCENARIO_OR_CSV [--verify] [--out DIR]``: shift roster, plots and (optionally) the
simulation-verified loop.

Input: a scenario file (requirement from Erlang C on its workload and targets, rules from ``scenario.shifts``
when the scenario has them, else the defaults) or a CSV with one row per interval and a requirement column
(``required``, ``requirement``, ``agents`` or ``heads``; agents on the phones, after shrinkage). Output in DIR:
``roster.csv`` (simulator format), ``roster_sim.csv`` (cyclic shifts wrapped into day 0), ``coverage.csv``,
``gantt.png``, ``coverage.png``, ``report.txt``; with ``--verify`` also ``history.csv``, ``history.png``,
``interval_stats.csv`` and ``explanation.txt``; ``--verify`` exits 1 when it does not converge (intervals still
fail with their whole confidence interval after ``--max-iter`` iterations).
"""
from __future__ import annotations

import json
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
    frame = pd.read_csv(path)
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
    if interval_minutes is None and "interval_start_s" in frame.columns and len(frame) > 1:
        step = float(frame["interval_start_s"].iloc[1] - frame["interval_start_s"].iloc[0])
        interval_minutes = int(round(step / 60))
    interval_minutes = interval_minutes or 30
    check_divides_day(interval_minutes, "--interval-minutes")
    if len(req) % (1440 // interval_minutes):
        raise ValueError(f"{path}: {len(req)} rows is not a whole number of days of {interval_minutes}-min "
                         f"intervals ({1440 // interval_minutes} per day); set --interval-minutes")
    return req, interval_minutes * 60


def load_rules(path: Path | None, scenario=None, *, soft: bool = False):
    """ShiftRules from a JSON/TOML file, else ``scenario.shifts``, else defaults; ``soft`` switches coverage."""
    from staffing.shifts import ShiftRules
    if path is not None:
        text = path.read_text()
        if path.suffix.lower() == ".toml":
            import tomllib
            data = tomllib.loads(text)
            data = data.get("shifts", data)
        else:
            data = json.loads(text)
        rules = ShiftRules.model_validate(data)
    else:
        rules = getattr(scenario, "shifts", None) or ShiftRules()
    if soft:
        rules = rules.model_copy(update={"coverage": "soft"})
    return rules


def _write_outputs(out: Path, res, rules, title: str) -> None:
    from staffing.shifts import write_roster_csv
    from staffing.shifts.plots import coverage_plot, gantt
    from staffing.shifts.roster import wrap_roster
    out.mkdir(parents=True, exist_ok=True)
    write_roster_csv(res.roster, out / "roster.csv")
    write_roster_csv(wrap_roster(res.roster, res.n_days) if rules.cyclic else res.roster, out / "roster_sim.csv")
    res.coverage.to_csv(out / "coverage.csv", index=False)
    gantt(res.roster, out / "gantt.png", n_days=res.n_days, handover_minutes=rules.handover_minutes, title=title)
    coverage_plot(res.coverage, out / "coverage.png", interval_s=res.interval_s)
    (out / "report.txt").write_text(res.summary() + "\n")


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
) -> None:
    """Build a cost-optimal shift roster (pyomo + HiGHS) with breaks, plots, and optional simulation check."""
    from staffing.shifts import InfeasibleScheduleError, ScheduleSolveError, schedule
    try:
        if not source.exists():
            raise ValueError(f"file not found: {source}")
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
        cap_note = None
        if scenario is not None and not strict:
            from staffing.shifts.solve import cap_requirement
            capped, cap_note = cap_requirement(req, interval_s, rules, weekday)
            if cap_note:
                cap_note = explain_cap(cap_note, scenario)
                typer.echo(f"warning: {cap_note}", err=True)
            if not verify:        # --verify caps inside its loop (and says so in explanation.txt)
                req = capped
        if verify:
            from staffing.shifts.plots import history_plot
            from staffing.shifts.verify import optimise_with_simulation
            with _STATUS.status("solving and simulating rosters (iterations print as they finish)"):
                v = optimise_with_simulation(scenario, rules=rules, requirement=req, max_iter=max_iter,
                                             replications=replications, seed=seed, time_limit_s=time_limit,
                                             mip_rel_gap=gap, max_replications=max_replications,
                                             progress=typer.echo)
            if cap_note:
                v.result.notes.append(cap_note)
            _write_outputs(out, v.result, rules, f"Roster (simulation-verified): {source.name}")
            v.history.to_csv(out / "history.csv", index=False)
            v.interval_stats.to_csv(out / "interval_stats.csv", index=False)
            (out / "explanation.txt").write_text(v.explanation + "\n")
            history_plot(v.history, out / "history.png",
                         target=scenario.staffing_targets().get("service_level"))
            typer.echo(v.result.summary())
            typer.echo(v.explanation)
            if not v.converged:
                typer.echo(f"written to {out}/")
                typer.echo(f"error: --verify did not converge: {int(v.interval_stats['fail'].sum())} interval(s) "
                           f"still miss a target with their whole confidence interval (see "
                           f"{out / 'explanation.txt'}); raise "
                           "--max-iter or change the shift rules", err=True)
                raise typer.Exit(1)
        else:
            with _STATUS.status("solving the roster with HiGHS"):
                res = schedule(req, interval_s, rules, time_limit_s=time_limit, mip_rel_gap=gap,
                               start_weekday=weekday)
            if cap_note:
                res.notes.append(cap_note)
            _write_outputs(out, res, rules, f"Roster: {source.name}")
            typer.echo(res.summary())
        typer.echo(f"written to {out}/")
    except InfeasibleScheduleError as err:
        typer.echo(f"infeasible: {err}", err=True)
        raise typer.Exit(2) from None
    except (ValueError, ScheduleSolveError) as err:   # pydantic ValidationError and ScenarioError included
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    """Add ``acdsim schedule`` to the CLI."""
    app.command("schedule")(schedule_command)
