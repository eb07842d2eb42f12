"""``acdsim sweep``: a grid of scenario variants × replications, locally or on a Dask cluster."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.cli_errors import user_errors
from sim.cli_run import console, format_value
from sim.outdir import prepare_out_dir
from sim.resume import PointStore
from sim.scenario import ScenarioError, load_scenario


def sweep_command(
    scenario: Path = typer.Argument(..., help="base scenario TOML file"),
    set_: list[str] = typer.Option(..., "--set", help="PATH=VALUES, e.g. agents=8..16 or arrivals.scale=0.9,1.0"),
    replications: int = typer.Option(None, "--replications", "-r", min=1, max=10000),
    seed: int = typer.Option(None, "--seed", "-s", min=0),
    jobs: int = typer.Option(None, "--jobs", "-j", min=1, max=512, help="local processes (default: all cores)"),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786"),
    metric: str = typer.Option("service_level", "--metric", help="metric to plot against the first --set"),
    out: Path = typer.Option(Path("sweep"), "--out", "-o", help="folder for sweep.csv, sweep_summary.csv, PNG"),
    force: bool = typer.Option(False, "--force", "--yes", help="run even if the work estimate exceeds the memory"),
) -> None:
    """Run every combination of the --set values; write a tidy table and a plot of METRIC."""
    from sim.sweep import (METRIC_COLUMNS, build_variants, check_sweep_workload, plot_sweep, roster_notes,
                           run_sweep)

    with user_errors():
        base = load_scenario(scenario)
        variants = build_variants(base, set_)
        if metric not in METRIC_COLUMNS:
            raise ScenarioError(f"--metric {metric!r} is not a metric; choose one of {', '.join(METRIC_COLUMNS)}")
    for note in roster_notes(base, variants):
        console.print(f"note: {note}", highlight=False)
    params = list(variants[0].params)
    reps = replications or base.replications
    with user_errors():
        check_sweep_workload(variants, reps, jobs, force)   # before the output folder is touched
    with user_errors(), prepare_out_dir(out, "acdsim sweep") as od:
        points = PointStore(od.work / "sweep")     # replications an interrupted sweep into --out finished
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task(f"{len(variants)} variants x {reps} replications", total=len(variants) * reps)
            tidy, summary = run_sweep(base, set_, replications=reps, seed=seed, jobs=jobs, scheduler=scheduler,
                                      progress=lambda k, n: bar.update(task, completed=k), force=force,
                                      points=points)
        if resumed := points.summary("replications"):
            console.print(f"resumed: {resumed}", highlight=False)
        tidy.to_csv(od.staging / "sweep.csv", index=False)
        summary.to_csv(od.staging / "sweep_summary.csv", index=False)
        plot_sweep(summary, params, metric, od.staging / f"sweep_{metric}.png")
        od.commit()
        points.clear()       # the sweep's outputs are in place: nothing left to resume
    png = out / f"sweep_{metric}.png"
    table = Table(title=f"sweep of {scenario.name}")
    for p in params:
        table.add_column(p)
    for m in ("service_level", "asa", "abandon_rate", "occupancy", "cost_per_call"):
        table.add_column(m, justify="right")
    for row in summary.to_dict("records"):
        table.add_row(*[str(row[p]) for p in params],
                      *[format_value(m, row[f"{m}_mean"]) for m in ("service_level", "asa", "abandon_rate",
                                                                   "occupancy", "cost_per_call")])
    console.print(table)
    console.print(f"wrote {out / 'sweep.csv'}, {out / 'sweep_summary.csv'}, {png}")


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_command)
