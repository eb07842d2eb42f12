"""``acdsim skills-staff SCENARIO [--group G ...] [--out DIR]``: agents per skill group by simulation.

A thin wrapper over :func:`staffing.skills.requirements_by_group`. Writes in DIR: ``skill_requirements.csv``
(interval, interval_start_s, calls_per_hour, group, agents, heads), ``skill_search.csv`` (per load level and
group: Erlang start, agents found, targets met, simulations run) and ``requirements_<group>.csv``
(interval_start_s, required = heads) for each staffed group, which ``acdsim schedule`` turns into one shift
plan per group.
"""
from __future__ import annotations

from pathlib import Path

import typer


def skills_staff_command(
    scenario: Path = typer.Argument(..., help="scenario file with a [routing] section and per-type targets"),
    group: list[str] = typer.Option(None, "--group", "-g", help="group to staff, repeatable (default: all)"),
    levels: int = typer.Option(6, "--levels", min=1, max=48, help="load levels searched (1..48)"),
    days: int = typer.Option(5, "--days", min=1, max=60, help="simulated days per evaluation (1..60)"),
    replications: int = typer.Option(2, "--replications", "-r", min=1, max=50, help="replications per evaluation"),
    seed: int = typer.Option(None, "--seed", "-s", min=0, help="random seed (default: the scenario's)"),
    out: Path = typer.Option(Path("."), "--out", "-o", help="folder for the CSV files"),
) -> None:
    """Agents per skill group and interval that meet every call type's targets, found by simulation from the
    per-type Erlang figures (see staffing.skills)."""
    from rich.console import Console
    from rich.table import Table

    from sim.cli_errors import fail, user_errors
    from sim.scenario import load_scenario
    from staffing.skills import requirements_by_group

    with user_errors():
        sc = load_scenario(scenario)
        table, searches = requirements_by_group(sc, levels=levels, days=days, replications=replications, seed=seed,
                                                groups=group or None)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        fail(f"--out: cannot create {out}: {err.strerror}")
    table.to_csv(out / "skill_requirements.csv", index=False)
    rows = [{"calls_per_hour": s.calls_per_hour, "group": g, "erlang_start": s.start[g], "agents": s.sizes[g],
             "met": s.met, "evaluations": s.evaluations} for s in searches for g in s.sizes]
    import pandas as pd

    pd.DataFrame(rows).to_csv(out / "skill_search.csv", index=False)
    staffed = group or list(sc.routing.groups)
    for g in staffed:
        part = table[table["group"] == g]
        part[["interval_start_s"]].assign(required=part["heads"].to_numpy()).to_csv(
            out / f"requirements_{g}.csv", index=False)
    console = Console()
    view = Table(title=f"{sc.name}: agents per group by load level (simulated, {replications} x {days} days)")
    view.add_column("calls/h", justify="right")
    for g in staffed:
        view.add_column(f"{g} (Erlang start)", justify="right")
    view.add_column("targets met", justify="left")
    for s in searches:
        view.add_row(f"{s.calls_per_hour:.1f}", *(f"{s.sizes[g]} ({s.start[g]})" for g in staffed),
                     "yes" if s.met else "[red]no[/]")
    console.print(view)
    console.print("Targets per call type: the scenario's service_level, abandon_rate and asa targets; agents on the "
                  "phones (heads in the CSV add shrinkage).", highlight=False)
    console.print(f"wrote {out}/skill_requirements.csv, skill_search.csv, "
                  + ", ".join(f"requirements_{g}.csv" for g in staffed))
    if not all(s.met for s in searches):
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("skills-staff")(skills_staff_command)
