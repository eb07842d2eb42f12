"""``acdsim run``: simulate a scenario file, show every metric with its CI and target, write the outputs."""
from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.cli_errors import fail, user_errors  # noqa: F401 - fail re-exported for the other CLI modules
from sim.callbacks_metrics import CALLBACK_METRICS, DEFINITION as CALLBACK_DEFINITION
from sim.labels import METRIC_LABELS, metric_unit
from sim.metrics import EXTRA_METRICS, METRICS
from sim.outdir import prepare_out_dir
from sim.scenario import ScenarioError, load_scenario

console = Console(width=None if sys.stdout.isatty() else 120)

PERCENT = {m for m in METRIC_LABELS if metric_unit(m).startswith("%")}   # fractions shown as "81.7 %"
MODEL_EXPECTATIONS = ("agent_turnover", "expected_leavers", "expected_hiring_cost")   # inputs, not measured
UNITS = {m: metric_unit(m).removeprefix("%") + (" (model)" if m in MODEL_EXPECTATIONS else "")
         for m in METRIC_LABELS}   # the unit column: sim.labels' unit, the % shown with the number
CURRENCY_METRICS = ("cost_per_call", "expected_hiring_cost")


def format_value(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if metric in PERCENT:
        return f"{100 * value:.1f} %"
    if metric == "total_calls" or metric in ("offered", "answered", "abandoned", "handled", "blocked",
                                             "callbacks_offered", "callbacks_accepted", "callbacks_connected"):
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
    for name in (*METRICS, *EXTRA_METRICS, *(m for m in CALLBACK_METRICS if m in results.summary.index)):
        row = results.summary.loc[name]
        ci = f"{format_value(name, row['ci_low'])} – {format_value(name, row['ci_high'])}" \
            if math.isfinite(row["ci_low"]) else "–"
        target, status = "", ""
        if name in targets:
            t = targets[name]
            target = target_text(name, t["min"], t["max"])
            colour = {"pass": "green", "fail": "red", "inconclusive": "yellow"}[t["status"]]
            status = f"[{colour}]{t['status']}[/]"
        unit = (currency + (" (model)" if name in MODEL_EXPECTATIONS else "") if name in CURRENCY_METRICS
                else UNITS.get(name, ""))
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
            f"attrition model's expectation (input), not measured."
            + (f" Call-backs: {CALLBACK_DEFINITION}." if getattr(sc, "callbacks", None) is not None else ""))


def run_command(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    replications: int = typer.Option(None, "--replications", "-r", min=1, max=10000,
                                     help="replications (default: the scenario's)"),
    seed: int = typer.Option(None, "--seed", "-s", min=0, help="random seed (default: the scenario's)"),
    jobs: int = typer.Option(None, "--jobs", "-j", min=1, max=512,
                             help="parallel processes (default: one per core, at most one per replication)"),
    out: Path = typer.Option(None, "--out", "-o", help="folder for summary.json, intervals.csv, calls.csv.gz"),
    report: bool = typer.Option(False, "--report", help="also write report.html into the --out folder"),
    overwrite: bool = typer.Option(False, "--overwrite", help="discard an interrupted run in --out and start again"),
    resume: bool = typer.Option(False, "--resume", help="finish the interrupted run in --out (same scenario "
                                                        "and seed): only its unfinished replications are simulated"),
    force: bool = typer.Option(False, "--force", "--yes", help="run even if the work estimate exceeds the memory"),
    excel: bool = typer.Option(False, "--excel", help="also write results.xlsx into the --out folder"),
    lang: str = typer.Option(None, "--lang", help="labels of the report and workbook: en or zh (default: the "
                                                  "scenario's lang, else en)"),
) -> None:
    """Simulate SCENARIO and print all 23 metrics with 95 % confidence intervals and target checks."""
    if (report or excel) and out is None:
        fail("--report and --excel need --out DIR (they are written into that folder)")
    if lang not in (None, "en", "zh"):
        fail(f"--lang must be en or zh, got {lang!r}")
    if overwrite and resume:
        fail("--overwrite and --resume exclude each other")
    if resume and out is None:
        fail("--resume needs --out DIR (the folder of the interrupted run)")
    reps = replications
    with user_errors():
        sc = load_scenario(scenario)
        reps = replications or sc.replications
        jobs = jobs or default_jobs(reps)
        lang = lang or sc.lang
        if not force:   # before any folder is touched
            from sim.workload import check_workload

            check_workload(sc, reps, jobs=min(jobs, reps))
    if out is None:
        with user_errors():
            results = _simulate(sc, reps, seed, jobs, force)
        _print_results(results, sc, reps)
        return
    with user_errors(), prepare_out_dir(out, "acdsim run") as od:
        checkpoint = _start_work(od, sc, reps, sc.seed if seed is None else seed, resume, overwrite)
        desk_factory = None
        if sc.desk_enabled:
            from sim.desk.hook import DeskFactory

            desk_factory = DeskFactory(od.work, "auto")
        results = _simulate(sc, reps, seed, jobs, force, desk_factory, checkpoint)
        results.save(od.staging)
        _move_stores(od, reps)
        if report:
            _write_report(od.staging, lang=lang)
        if excel:
            from sim.excel import run_workbook

            run_workbook(od.staging, lang)
        _print_results(results, sc, reps)
        od.commit()
        shutil.rmtree(od.work, ignore_errors=True)   # the run finished and is in place: nothing to resume
    console.print(f"wrote {out}/summary.json, intervals.csv, interval_summary.csv, calls.csv.gz"
                  + (", visits.csv.gz" if sc.counter is not None else "") + (", report.html" if report else "")
                  + (", results.xlsx" if excel else ""))


def default_jobs(replications: int) -> int:
    """``--jobs`` when not given: one process per core the run may use, at most one per replication (results are
    the same for any number of jobs; one replication runs in this process)."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, replications))


def _simulate(sc, reps, seed, jobs, force, desk_factory=None, checkpoint=None):
    from sim.runner import run

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=reps)
        try:
            return run(sc, replications=reps, seed=seed, jobs=jobs, desk_factory=desk_factory, force=force,
                       checkpoint=checkpoint, progress=lambda k: bar.update(task, completed=k))
        except ScenarioError:
            raise
        except Exception as err:  # a ticket store that cannot be resumed (written by another run)
            from sim.desk.store import StoreError

            if isinstance(err, StoreError):
                raise ScenarioError(f"{err} (use --overwrite to discard the interrupted run)") from None
            raise


def _start_work(od, sc, reps: int, seed: int, resume: bool, overwrite: bool):
    """The run's checkpoint folder: a fresh one, or (``resume``) the interrupted run's after checking it is
    the same scenario and seed. An interrupted run is never discarded without --overwrite."""
    from sim.checkpoint import (RunCheckpoint, check_resumable, describe_interrupted, discard, interrupted_run,
                                run_fingerprint)

    fingerprint = run_fingerprint(sc.resolved(), seed)
    left = interrupted_run(od.work)
    if left is not None and overwrite:
        discard(od.work)
    elif left is not None and resume:
        check_resumable(left, fingerprint, od.path)
    elif left is not None:
        raise ScenarioError(f"{od.path} holds an interrupted run ({describe_interrupted(left)}); finish it with "
                            "--resume (same scenario and seed) or discard it with --overwrite")
    elif resume:
        raise ScenarioError(f"nothing to resume in {od.path}: it holds no interrupted run")
    checkpoint = RunCheckpoint(od.work, fingerprint)
    checkpoint.start(reps, sc.name)
    return checkpoint


def _move_stores(od, reps: int) -> None:
    """Finished ticket stores go from the work folder to the outputs (they replace the previous run's)."""
    import os

    from sim.desk.hook import store_name

    for i in range(reps):
        src = od.work / store_name(i)
        if src.exists():
            for suffix in ("-wal", "-shm"):
                (od.work / (store_name(i) + suffix)).unlink(missing_ok=True)
            try:
                os.link(src, od.staging / store_name(i))   # a second name: the work copy stays until commit
            except OSError:                                # a file system without hard links
                shutil.copy2(src, od.staging / store_name(i))


def _print_results(results, sc, reps: int) -> None:
    console.print(metrics_table(results, f"{sc.name}: {reps} replications, seed {results.seed}, "
                                         f"{sc.horizon.days} day(s)"))
    if sc.counter is not None:
        from sim.counter_report import rich_table

        console.print(rich_table(results))
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
    if results.breakdown is not None:   # [routing]: per call type and skill group (sim.group_report)
        from sim.group_report import breakdown_note, breakdown_table
        console.print(breakdown_table(results.to_dict()))
        console.print(breakdown_note(), highlight=False)
    console.print(definitions_note(sc), highlight=False)
    if sc.metrics.exclude_short_abandons:
        console.print(f"Short abandons (<= {sc.metrics.short_abandon_s:g} s) are excluded from the abandonment "
                      "rate and service-level denominators.")


def _write_report(run_dir: Path, out_dir: Path | None = None, lang: str = "en") -> Path:
    from sim.report import build_report

    with console.status("drawing the report"):
        return build_report(run_dir, out_dir=out_dir, lang=lang)


def report_command(run_dir: Path = typer.Argument(..., help="folder written by 'acdsim run --out'"),
                   lang: str = typer.Option(None, "--lang", help="en or zh (default: the run's scenario lang)"),
                   excel: bool = typer.Option(False, "--excel", help="also write results.xlsx")) -> None:
    """Write RUN_DIR/report.html (self-contained, plots embedded) and RUN_DIR/plots/*.png."""
    if lang not in (None, "en", "zh"):
        fail(f"--lang must be en or zh, got {lang!r}")
    from sim.report import load_run

    from sim.outdir import check_out_path

    with user_errors():
        try:
            is_dir = run_dir.is_dir()
        except (OSError, ValueError):                        # a name the system refuses: say so
            check_out_path(run_dir, "RUN_DIR")
            raise
        if not is_dir:
            raise ScenarioError(f"{run_dir} is not a run folder (not a folder); create one with "
                                "'acdsim run SCENARIO --out DIR'")
        _, sc, _ = load_run(run_dir)                        # a clear error before taking the lock
        lang = lang or getattr(sc, "lang", "en")
        with prepare_out_dir(run_dir, "acdsim report", option="RUN_DIR") as od:
            _write_report(run_dir, od.staging, lang)
            if excel:
                from sim.excel import run_workbook

                run_workbook(run_dir, lang, out_dir=od.staging)
    console.print(f"wrote {run_dir / 'report.html'}" + (f" and {run_dir / 'results.xlsx'}" if excel else ""))


def check_command(
    scenarios: list[Path] = typer.Argument(..., help="scenario files with [targets]"),
    replications: int = typer.Option(None, "--replications", "-r", min=1, max=10000),
    seed: int = typer.Option(None, "--seed", "-s", min=0),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=512),
    strict: bool = typer.Option(False, "--strict", help="count inconclusive targets as failures"),
    force: bool = typer.Option(False, "--force", "--yes", help="run even if the work estimate exceeds the memory"),
) -> None:
    """Evaluate each scenario's targets with confidence intervals: pass / fail / inconclusive.

    Exit code 1 if any target fails (or is inconclusive with --strict), 2 on invalid input."""
    from sim.runner import run

    loaded = []
    for path in scenarios:
        with user_errors():
            sc = load_scenario(path)
        if not sc.targets:
            fail(f"{path} has no [targets] to check")
        loaded.append((path, sc))
    bad = 0
    table = Table(title="target checks (95 % CI across replications)")
    for col in ("scenario", "metric", "target", "mean", "95 % CI", "status"):
        table.add_column(col)
    for path, sc in loaded:
        with console.status(f"simulating {path.name}"), user_errors():
            res = run(sc, replications=replications, seed=seed, jobs=jobs, force=force)
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
