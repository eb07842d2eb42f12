"""``acdsim run``: simulate a scenario file, show every metric with its CI and target, write the outputs."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.metrics import METRICS
from sim.scenario import ScenarioError, load_scenario

console = Console(width=None if sys.stdout.isatty() else 120)

PERCENT = {"adherence", "occupancy", "abandon_rate", "attendance", "blocked_rate", "fcr", "queue_placement_rate",
           "transfer_rate", "percent_answered", "service_level", "agent_turnover", "outbound_share"}
UNITS = {"avg_acw": "s", "avg_abandon_time": "s", "aht": "s", "avg_hold_time": "s", "avg_queue_time": "s",
         "asa": "s", "avg_talk_time": "s", "avg_rings": "rings", "calls_per_agent_hour": "calls/h",
         "total_calls": "calls", "qa_score": "/100", "cost_per_call": ""}


def fail(message: str) -> None:
    """Print one clear error and exit with code 2 (invalid input)."""
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=2)


def format_value(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if metric in PERCENT:
        return f"{100 * value:.1f} %"
    if metric == "total_calls" or metric in ("offered", "answered", "abandoned", "handled", "blocked"):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def metrics_table(results, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col, justify in (("metric", "left"), ("mean", "right"), ("95 % CI", "right"), ("unit", "left"),
                         ("target", "left"), ("status", "left")):
        table.add_column(col, justify=justify)
    targets = {row["metric"]: row for row in results.check_targets().to_dict("records")}
    currency = results.scenario.costs.currency
    for name in METRICS:
        row = results.summary.loc[name]
        ci = f"{format_value(name, row['ci_low'])} – {format_value(name, row['ci_high'])}" \
            if math.isfinite(row["ci_low"]) else "–"
        target, status = "", ""
        if name in targets:
            t = targets[name]
            bounds = []
            if t["min"] is not None and not (isinstance(t["min"], float) and math.isnan(t["min"])):
                bounds.append(f">= {format_value(name, t['min'])}")
            if t["max"] is not None and not (isinstance(t["max"], float) and math.isnan(t["max"])):
                bounds.append(f"<= {format_value(name, t['max'])}")
            target = ", ".join(bounds)
            colour = {"pass": "green", "fail": "red", "inconclusive": "yellow"}[t["status"]]
            status = f"[{colour}]{t['status']}[/]"
        unit = currency if name == "cost_per_call" else UNITS.get(name, "")
        table.add_row(name, format_value(name, row["mean"]), ci, unit, target, status)
    return table


def run_command(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    replications: int = typer.Option(None, "--replications", "-r", min=1, max=10000,
                                     help="replications (default: the scenario's)"),
    seed: int = typer.Option(None, "--seed", "-s", min=0, help="random seed (default: the scenario's)"),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=512, help="parallel processes"),
    out: Path = typer.Option(None, "--out", "-o", help="folder for summary.json, intervals.csv, calls.csv.gz"),
) -> None:
    """Simulate SCENARIO and print all 23 metrics with 95 % confidence intervals and target checks."""
    from sim.runner import run

    try:
        sc = load_scenario(scenario)
    except ScenarioError as err:
        fail(str(err))
    reps = replications or sc.replications
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=reps)
        try:
            results = run(sc, replications=reps, seed=seed, jobs=jobs,
                          progress=lambda k: bar.update(task, completed=k))
        except ScenarioError as err:
            fail(str(err))
    console.print(metrics_table(results, f"{sc.name}: {reps} replications, seed {results.seed}, "
                                         f"{sc.horizon.days} day(s)"))
    if sc.metrics.exclude_short_abandons:
        console.print(f"Short abandons (<= {sc.metrics.short_abandon_s:g} s) are excluded from the abandonment "
                      "rate and service-level denominators.")
    if out is not None:
        path = results.save(out)
        console.print(f"wrote {path}/summary.json, intervals.csv, interval_summary.csv, calls.csv.gz")


def register(app: typer.Typer) -> None:
    """Add the simulation commands to the CLI."""
    app.command("run")(run_command)
