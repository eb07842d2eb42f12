"""``acdsim run``: simulate a scenario file, show every metric with its CI and target, write the outputs."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.metrics import EXTRA_METRICS, METRICS
from sim.scenario import ScenarioError, load_scenario

console = Console(width=None if sys.stdout.isatty() else 120)

PERCENT = {"adherence", "occupancy", "abandon_rate", "attendance", "blocked_rate", "fcr", "queue_placement_rate",
           "transfer_rate", "percent_answered", "service_level", "agent_turnover", "outbound_share",
           "answered_within_rings"}
UNITS = {"avg_acw": "s", "avg_abandon_time": "s", "aht": "s", "avg_hold_time": "s", "avg_queue_time": "s",
         "asa": "s", "avg_talk_time": "s", "avg_rings": "rings", "calls_per_agent_hour": "calls/h",
         "total_calls": "calls", "qa_score": "/100", "cost_per_call": "", "overtime_hours": "h",
         "expected_leavers": "heads", "agent_turnover": "/yr (model)"}
CURRENCY_METRICS = ("cost_per_call", "expected_hiring_cost")


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


def target_text(metric: str, tmin, tmax) -> str:
    """'>= 80.0 % and <= 90.0 %' from bounds that may be None or NaN."""
    given = lambda v: v is not None and not (isinstance(v, float) and math.isnan(v))  # noqa: E731
    parts = ([f">= {format_value(metric, tmin)}"] if given(tmin) else []) + \
        ([f"<= {format_value(metric, tmax)}"] if given(tmax) else [])
    return " and ".join(parts)


def metrics_table(results, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col, justify in (("metric", "left"), ("mean", "right"), ("95 % CI", "right"), ("unit", "left"),
                         ("target", "left"), ("status", "left")):
        table.add_column(col, justify=justify)
    targets = {row["metric"]: row for row in results.check_targets().to_dict("records")}
    currency = results.scenario.costs.currency
    for name in (*METRICS, *EXTRA_METRICS):
        row = results.summary.loc[name]
        ci = f"{format_value(name, row['ci_low'])} – {format_value(name, row['ci_high'])}" \
            if math.isfinite(row["ci_low"]) else "–"
        target, status = "", ""
        if name in targets:
            t = targets[name]
            target = target_text(name, t["min"], t["max"])
            colour = {"pass": "green", "fail": "red", "inconclusive": "yellow"}[t["status"]]
            status = f"[{colour}]{t['status']}[/]"
        unit = currency if name in CURRENCY_METRICS else UNITS.get(name, "")
        table.add_row(name, format_value(name, row["mean"]), ci, unit, target, status)
    return table


def definitions_note(sc) -> str:
    """The definitions a reader needs beside the table (see sim.results.DEFINITIONS, summary.json)."""
    m = sc.metrics
    return (f"Means are estimates across replications (ratio metrics pooled over all calls); 95 % CIs stay inside "
            f"each metric's domain, '–' = no interval (see summary.json: method and note per metric). "
            f"fcr: no repeat call about the same type and no call-back within {m.repeat_window_days:g} days, "
            f"measured from the call log. adherence: ready inside the schedule (<= 100 %); ready time outside "
            f"it is overtime_hours. answered_within_rings: picked up within {m.answer_within_rings} rings of "
            f"{sc.telephony.ring_cycle_s:g} s. agent_turnover, expected_leavers, expected_hiring_cost: the "
            f"attrition model's expectation (input), not measured.")


def run_command(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    replications: int = typer.Option(None, "--replications", "-r", min=1, max=10000,
                                     help="replications (default: the scenario's)"),
    seed: int = typer.Option(None, "--seed", "-s", min=0, help="random seed (default: the scenario's)"),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=512, help="parallel processes"),
    out: Path = typer.Option(None, "--out", "-o", help="folder for summary.json, intervals.csv, calls.csv.gz"),
    report: bool = typer.Option(False, "--report", help="also write report.html into the --out folder"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace ticket stores of an earlier run in --out"),
    resume: bool = typer.Option(False, "--resume", help="finish interrupted ticket stores in --out"),
) -> None:
    """Simulate SCENARIO and print all 23 metrics with 95 % confidence intervals and target checks."""
    from sim.runner import run

    if report and out is None:
        fail("--report needs --out DIR (the report is written into that folder)")
    if overwrite and resume:
        fail("--overwrite and --resume exclude each other")
    try:
        sc = load_scenario(scenario)
    except ScenarioError as err:
        fail(str(err))
    reps = replications or sc.replications
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=reps)
        desk_factory = None
        if sc.desk_enabled and out is not None:
            from sim.desk.hook import DeskFactory

            out.mkdir(parents=True, exist_ok=True)
            desk_factory = DeskFactory(out, "resume" if resume else "overwrite" if overwrite
                                       else _store_mode(out, reps))
        try:
            results = run(sc, replications=reps, seed=seed, jobs=jobs, desk_factory=desk_factory,
                          progress=lambda k: bar.update(task, completed=k))
        except ScenarioError as err:
            fail(str(err))
        except Exception as err:  # a ticket store that may not be overwritten or resumed
            from sim.desk.store import StoreError

            if isinstance(err, StoreError):
                fail(f"{err} (use --overwrite to replace it, or --resume to finish an interrupted run)")
            raise
    console.print(metrics_table(results, f"{sc.name}: {reps} replications, seed {results.seed}, "
                                         f"{sc.horizon.days} day(s)"))
    desk_rows = [m for m in results.summary.index if m.startswith("desk.")]
    if desk_rows:
        table = Table(title="front desk (tickets)")
        for col in ("metric", "mean", "95 % CI"):
            table.add_column(col, justify="left" if col == "metric" else "right")
        for m in desk_rows:
            row = results.summary.loc[m]
            ci = f"{row['ci_low']:.3g} – {row['ci_high']:.3g}" if math.isfinite(row["ci_low"]) else "–"
            table.add_row(m, f"{row['mean']:.4g}", ci)
        console.print(table)
    console.print(definitions_note(sc), highlight=False)
    if sc.metrics.exclude_short_abandons:
        console.print(f"Short abandons (<= {sc.metrics.short_abandon_s:g} s) are excluded from the abandonment "
                      "rate and service-level denominators.")
    if out is not None:
        path = results.save(out)
        console.print(f"wrote {path}/summary.json, intervals.csv, interval_summary.csv, calls.csv.gz")
        if report:
            console.print(f"wrote {_write_report(path)}")


def _store_mode(out: Path, reps: int) -> str:
    """'overwrite' when the folder only holds finished ticket stores (a re-run replaces them like every other
    output), 'new' otherwise — which refuses an interrupted store (finish it with --resume or drop it with
    --overwrite) rather than silently losing it."""
    from sim.desk.hook import store_name
    from sim.desk.store import StoreError, describe

    stores = [out / store_name(i) for i in range(reps) if (out / store_name(i)).exists()]
    try:
        finished = all(describe(p)[0] == "complete" for p in stores)
    except StoreError:
        return "new"
    return "overwrite" if stores and finished else "new"


def _write_report(run_dir: Path) -> Path:
    from sim.report import build_report

    with console.status("drawing the report"):
        return build_report(run_dir)


def report_command(run_dir: Path = typer.Argument(..., help="folder written by 'acdsim run --out'")) -> None:
    """Write RUN_DIR/report.html (self-contained, plots embedded) and RUN_DIR/plots/*.png."""
    try:
        console.print(f"wrote {_write_report(run_dir)}")
    except ScenarioError as err:
        fail(str(err))


def check_command(
    scenarios: list[Path] = typer.Argument(..., help="scenario files with [targets]"),
    replications: int = typer.Option(None, "--replications", "-r", min=1, max=10000),
    seed: int = typer.Option(None, "--seed", "-s", min=0),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=512),
    strict: bool = typer.Option(False, "--strict", help="count inconclusive targets as failures"),
) -> None:
    """Evaluate each scenario's targets with confidence intervals: pass / fail / inconclusive.

    Exit code 1 if any target fails (or is inconclusive with --strict), 2 on invalid input."""
    from sim.runner import run

    loaded = []
    for path in scenarios:
        try:
            sc = load_scenario(path)
        except ScenarioError as err:
            fail(str(err))
        if not sc.targets:
            fail(f"{path} has no [targets] to check")
        loaded.append((path, sc))
    bad = 0
    table = Table(title="target checks (95 % CI across replications)")
    for col in ("scenario", "metric", "target", "mean", "95 % CI", "status"):
        table.add_column(col)
    for path, sc in loaded:
        with console.status(f"simulating {path.name}"):
            res = run(sc, replications=replications, seed=seed, jobs=jobs)
        for row in res.check_targets().to_dict("records"):
            m = row["metric"]
            bounds = target_text(m, row["min"], row["max"])
            colour = {"pass": "green", "fail": "red", "inconclusive": "yellow"}[row["status"]]
            table.add_row(path.name, m, bounds, format_value(m, row["mean"]),
                          f"{format_value(m, row['ci_low'])} – {format_value(m, row['ci_high'])}",
                          f"[{colour}]{row['status']}[/]")
            bad += row["status"] == "fail" or (strict and row["status"] == "inconclusive")
    console.print(table)
    if bad:
        console.print(f"[bold red]{bad} target(s) not met[/]")
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the simulation commands to the CLI."""
    app.command("run")(run_command)
    app.command("report")(report_command)
    app.command("check")(check_command)
