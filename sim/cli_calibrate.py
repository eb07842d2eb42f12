"""``acdsim calibrate`` and ``acdsim backtest``: a centre's history → fitted scenario → does it reproduce it?

Thin wrappers over ``sim.calibrate.calibrate`` and ``sim.backtest.backtest``; the logs are read by
``sim.history`` (Asterisk queue_log or call-detail CSV with a column map).
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import typer
from rich.table import Table

from sim.cli_run import console, fail
from sim.outdir import prepare_out_dir

FORMATS = ("queue_log", "cdr")  # interval reports: calibrate only (sim.fit.intervals)


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{option} expects NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def read_history(logs: list[Path], fmt: str, tz: str, interval_minutes: int, queue_map: list[str] | None,
                 mapping: list[str] | None, map_file: Path | None, acw_s: float):
    """The ObservedLog of ``logs`` (one clear error on bad input: exit 2)."""
    from sim import history

    if fmt == "interval":
        fail("--format interval: an interval report has no single calls; backtest needs queue_log or cdr "
             "(acdsim calibrate --format interval fits what the report allows)")
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    common = {"tz": tz, "interval_minutes": interval_minutes, "queue_map": _pairs(queue_map, "--queue-map"),
              "acw_s": acw_s}
    try:
        if fmt == "queue_log":
            if mapping or map_file:
                fail("--map and --map-file apply to --format cdr only")
            return history.read_queue_log(logs, **common)
        return history.read_cdr(logs, mapping=_pairs(mapping, "--map"), map_file=map_file, **common)
    except (history.HistoryError, ValueError) as err:
        fail(str(err))


LOG_OPTIONS = {
    "fmt": typer.Option("queue_log", "--format", "-f", help="queue_log (Asterisk), cdr (call-detail CSV); "
                                                            "calibrate also: interval (ACD interval report)"),
    "tz": typer.Option("Asia/Shanghai", "--tz", help="time zone of the centre (IANA name)"),
    "interval_minutes": typer.Option(30, "--interval-minutes", help="reporting interval, minutes"),
    "queue_map": typer.Option(None, "--queue-map", help="QUEUE=CALL_TYPE (repeatable)"),
    "mapping": typer.Option(None, "--map", help="cdr: FIELD=COLUMN (repeatable)"),
    "map_file": typer.Option(None, "--map-file", help="cdr: TOML file with a [map] table"),
}


def calibrate_command(
    logs: list[Path] = typer.Argument(..., help="history files (queue_log or CDR CSV, plain or .gz)"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for scenario.toml, fit.json, calibration.html"),
    fmt: str = LOG_OPTIONS["fmt"], tz: str = LOG_OPTIONS["tz"],
    interval_minutes: int = LOG_OPTIONS["interval_minutes"], queue_map: list[str] = LOG_OPTIONS["queue_map"],
    mapping: list[str] = LOG_OPTIONS["mapping"], map_file: Path = LOG_OPTIONS["map_file"],
    acw: float = typer.Option(None, "--acw-s", help="after-call work, seconds, when the log lacks it "
                                                    "(queue_log); the report marks it as assumed"),
    redial_window: float = typer.Option(3600.0, "--redial-window-s", help="a call from the same caller id this "
                                                                          "soon after an unanswered one is a redial"),
    repeat_window: float = typer.Option(259200.0, "--repeat-window-s",
                                        help="a call from the same caller id this soon after a handled one is a "
                                             "repeat call (FCR); default 72 h"),
    holiday: list[str] = typer.Option(None, "--holiday", help="extra holiday date YYYY-MM-DD (repeatable)"),
    sl_threshold: float = typer.Option(20.0, "--sl-threshold-s", help="service-level threshold, seconds"),
) -> None:
    """Fit arrivals, talk/hold/ACW, censored patience, redials, FCR and staffing from LOG files."""
    from sim.calibrate import CalibrationError, calibrate
    from sim.scenario import ScenarioError

    if acw is not None and (not math.isfinite(acw) or acw < 0):
        fail(f"--acw-s must be a number of seconds >= 0, got {acw}")
    if not (sl_threshold >= 0 and math.isfinite(sl_threshold)):
        fail(f"--sl-threshold-s must be a number of seconds >= 0, got {sl_threshold}")
    try:
        days = [dt.date.fromisoformat(h) for h in holiday or []]
    except ValueError:
        fail(f"--holiday expects dates YYYY-MM-DD, got {holiday}")
    if fmt == "interval":
        _calibrate_interval_report(logs, out, tz, interval_minutes, queue_map, mapping, map_file, days, sl_threshold)
        return
    with console.status("reading the history"):
        obs = read_history(logs, fmt, tz, interval_minutes, queue_map, mapping, map_file, acw or 0.0)
    try:
        with console.status("fitting"):
            cal = calibrate(obs, acw=acw if acw else None, redial_window_s=redial_window,
                            repeat_window_s=repeat_window, holidays=days,
                            service_level_threshold_s=sl_threshold)
        with console.status("writing scenario.toml, fit.json, calibration.html"), \
                prepare_out_dir(out, "acdsim calibrate") as od:   # locked; replaced only on success
            cal.save(od.staging)
        path = out
    except (CalibrationError, ScenarioError) as err:
        fail(str(err))
    start, end = cal.period
    table = Table(title=f"calibration: {cal.n_calls} calls, {start[:10]} – {end[:10]}")
    for col in ("input", "estimate", "95 % CI", "how"):
        table.add_column(col)
    pat = cal.patience
    if pat is None:
        table.add_row("patience mean", "–", "", "not estimated: fewer than 2 abandoned calls")
    else:
        lo, hi = pat.conf_int()
        table.add_row("patience mean", f"{pat.mean_s:.1f} s", f"{lo:.1f} – {hi:.1f}",
                      f"censored ML, {pat.family} ({pat.n_abandoned} abandoned, {pat.n - pat.n_abandoned} censored)")
    r = cal.redials
    table.add_row("P(redial | abandoned)", f"{r.redial_prob_abandon:.3f}", "", f"{r.n_abandoned_eligible} abandons")
    for name, t in cal.types.items():
        lo, hi = t.talk.conf_int()
        table.add_row(f"{name} talk", f"{t.talk.mean_s:.1f} s", f"{lo:.1f} – {hi:.1f}",
                      f"{t.talk.family}, n = {t.talk.n}, KS D {t.talk.ks_d:.3f}")
        if t.acw is not None:
            table.add_row(f"{name} ACW", f"{t.acw.mean_s:.1f} s", "", f"{t.acw.family}, n = {t.acw.n}")
        else:
            table.add_row(f"{name} ACW", "–", "", t.sources["acw"])
    console.print(table)
    for note in cal.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"wrote {path}/scenario.toml, fit.json, calibration.html")


def _calibrate_interval_report(logs, out, tz, interval_minutes, queue_map, mapping, map_file, days, sl_threshold):
    """``--format interval``: calibrate what an interval report allows (``sim.fit.intervals``)."""
    from sim import history
    from sim.fit.intervals import calibrate_interval_report
    from sim.scenario import ScenarioError

    try:
        with console.status("reading the interval report"):
            report = history.read_interval_report(logs, mapping=_pairs(mapping, "--map"), map_file=map_file, tz=tz,
                                                  interval_minutes=interval_minutes,
                                                  queue_map=_pairs(queue_map, "--queue-map"),
                                                  threshold_s=sl_threshold)
        cal = calibrate_interval_report(report, holidays=days)
        with prepare_out_dir(out, "acdsim calibrate") as od:
            cal.save(od.staging)
        path = out
    except (history.HistoryError, ScenarioError, ValueError) as err:
        fail(str(err))
    console.print(cal.summary(), highlight=False)
    console.print(f"wrote {path}/scenario.toml, fit.json, calibration.html")


def backtest_command(
    scenario: Path = typer.Argument(..., help="scenario TOML (e.g. from acdsim calibrate)"),
    logs: list[Path] = typer.Argument(..., help="history files of the period to reproduce"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for backtest.json, backtest.csv, backtest.html"),
    fmt: str = LOG_OPTIONS["fmt"], tz: str = LOG_OPTIONS["tz"],
    interval_minutes: int = LOG_OPTIONS["interval_minutes"], queue_map: list[str] = LOG_OPTIONS["queue_map"],
    mapping: list[str] = LOG_OPTIONS["mapping"], map_file: Path = LOG_OPTIONS["map_file"],
    acw: float = typer.Option(0.0, "--acw-s", help="after-call work the reader assumes when the log lacks it, s"),
    replications: int = typer.Option(20, "--replications", "-r", min=2, max=10000),
    seed: int = typer.Option(1, "--seed", "-s", min=0),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=512),
) -> None:
    """Simulate the observed period (observed arrivals and staffing) and compare with what happened."""
    from sim.backtest import backtest
    from sim.scenario import ScenarioError, load_scenario

    try:
        sc = load_scenario(scenario)
    except ScenarioError as err:
        fail(str(err))
    with console.status("reading the history"):
        obs = read_history(logs, fmt, tz, interval_minutes, queue_map, mapping, map_file, acw)
    try:
        with console.status(f"simulating the observed period ({replications} replications)"):
            bt = backtest(sc, obs, replications=replications, seed=seed, jobs=jobs)
        with console.status("writing backtest.json, backtest.csv, backtest.html"), \
                prepare_out_dir(out, "acdsim backtest") as od:
            bt.save(od.staging)
        path = out
    except (ScenarioError, ValueError) as err:
        fail(str(err))
    from sim.cli_run import format_value

    table = Table(title="back-test: observed vs simulated (band = 2.5–97.5 % of replications)")
    for col in ("metric", "observed", "simulated", "95 % CI", "band", "verdict"):
        table.add_column(col)
    for m, row in bt.summary.iterrows():
        colour = "green" if row["verdict"] == "consistent" else "yellow"
        table.add_row(m, format_value(m, row["observed"]), format_value(m, row["simulated_mean"]),
                      f"{format_value(m, row['ci_low'])} – {format_value(m, row['ci_high'])}",
                      f"{format_value(m, row['band_low'])} – {format_value(m, row['band_high'])}",
                      f"[{colour}]{row['verdict']}[/]")
    console.print(table)
    for note in bt.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"{len(bt.outside())} interval values outside the band; wrote {path}/backtest.json, "
                  "backtest.csv, outside_band.csv, backtest.html")


def register(app: typer.Typer) -> None:
    """Add calibrate and backtest to the CLI."""
    app.command("calibrate")(calibrate_command)
    app.command("backtest")(backtest_command)
