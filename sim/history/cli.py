"""``acdsim import``: read a centre's history (queue_log, CDR CSV or interval report) into a run folder.

The folder holds what ``acdsim run --out`` writes — summary.json, scenario.json, intervals.csv,
interval_summary.csv, calls.csv.gz — computed by the same metrics code, plus staffing.csv (observed agents
per interval), volumes.csv (calls per interval) and observed.json (source, problems, notes), so
``acdsim report DIR`` works on history unchanged.
"""
from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import Path

import typer

from sim.history.observed import HistoryError


class Format(str, Enum):
    queue_log = "queue_log"
    cdr = "cdr"
    interval = "interval"


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise HistoryError(f"{option} takes NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def import_command(
    logs: list[Path] = typer.Argument(..., help="history file(s), plain or .gz, in time order"),
    fmt: Format = typer.Option(Format.queue_log, "--format", "-f", help="queue_log, cdr or interval"),
    out: Path = typer.Option(..., "--out", "-o", help="run folder to write"),
    tz: str = typer.Option("Asia/Shanghai", "--tz", help="centre's time zone (IANA name)"),
    interval_minutes: int = typer.Option(None, "--interval-minutes",
                                         help="reporting interval (default 30; interval reports: inferred)"),
    queue_map: list[str] = typer.Option(None, "--queue-map", help="QUEUE=CALL_TYPE (repeatable)"),
    column_map: list[str] = typer.Option(None, "--map", help="FIELD=COLUMN for cdr/interval (repeatable)"),
    map_file: Path = typer.Option(None, "--map-file", help="TOML file with a [map] table (cdr/interval)"),
    acw_s: float = typer.Option(0.0, "--acw-s", help="after-call work per call, s, when the log lacks it"),
    redial_window_s: float = typer.Option(3600.0, "--redial-window-s",
                                          help="same caller again within this after an unanswered attempt: redial"),
    repeat_window_s: float = typer.Option(0.0, "--repeat-window-s",
                                          help="same caller again within this after an answered attempt: repeat "
                                               "(0 = off)"),
    sl_threshold_s: float = typer.Option(20.0, "--sl-threshold-s", help="X of 'answered within X s'"),
    short_abandon_s: float = typer.Option(20.0, "--short-abandon-s",
                                          help="abandons within this are short (excluded from rates; 0 = none)"),
    report: bool = typer.Option(False, "--report", help="also write report.html"),
) -> None:
    """Read a centre's history into a run folder that 'acdsim report' and calibration read."""
    from sim.cli_run import console, fail, format_value
    from sim.cli_errors import user_errors
    from sim.outdir import prepare_out_dir

    try:
        qmap = _pairs(queue_map, "--queue-map")
        cmap = _pairs(column_map, "--map")
        with user_errors(), prepare_out_dir(out, "acdsim import") as od:   # locked; replaced only on success
            if fmt is Format.interval:
                info, run = _import_interval(logs, od.staging, tz, interval_minutes, qmap, cmap, map_file,
                                             sl_threshold_s)
            else:
                info, run = _import_calls(fmt, logs, od.staging, tz, interval_minutes or 30, qmap, cmap, map_file,
                                          acw_s, redial_window_s, repeat_window_s, sl_threshold_s, short_abandon_s)
            if report:
                from sim.report import build_report

                build_report(od.staging)
    except HistoryError as err:
        fail(str(err))
    console.print(f"read {', '.join(p.name for p in logs)} ({fmt.value}): {info['days']} day(s) from "
                  f"{info['start']}, {info.get('calls', 'interval totals of')} calls", highlight=False)
    problems = info["problems"]
    if problems["count"]:
        console.print(f"[yellow]{problems['count']} malformed line(s) of {problems['lines_read']}[/] (not imported):",
                      highlight=False)
        for p in problems["first"]:
            console.print(f"  {Path(p['file']).name}:{p['line']}: {p['reason']}", highlight=False)
    for note in info.get("notes", []):
        console.print(f"note: {note}", highlight=False)
    shown = ("offered", "service_level", "abandon_rate", "asa", "aht", "occupancy", "agents_ready")
    console.print("  ".join(f"{m} {format_value(m, run.get(m, math.nan))}" for m in shown if m in run),
                  highlight=False)
    console.print(f"wrote {out}/summary.json, intervals.csv, interval_summary.csv, staffing.csv, volumes.csv"
                  + (", calls.csv.gz" if fmt is not Format.interval else ""), highlight=False)
    if report:
        console.print(f"wrote {out / 'report.html'}", highlight=False)


def _import_calls(fmt, logs, out, tz, interval_minutes, qmap, cmap, map_file, acw_s, redial_window_s,
                  repeat_window_s, sl_threshold_s, short_abandon_s):
    from sim.history import read_cdr, read_queue_log

    common = dict(tz=tz, interval_minutes=interval_minutes, queue_map=qmap, acw_s=acw_s,
                  redial_window_s=redial_window_s, repeat_window_s=repeat_window_s)
    if fmt is Format.queue_log:
        if cmap or map_file:
            raise HistoryError("--map and --map-file are for --format cdr or interval")
        log = read_queue_log(logs, **common)
    else:
        log = read_cdr(logs, mapping=cmap, map_file=map_file, **common)
    if not 0 <= sl_threshold_s < math.inf or not 0 <= short_abandon_s < math.inf:
        raise HistoryError("--sl-threshold-s and --short-abandon-s must be seconds >= 0")
    metrics = {"service_level_threshold_s": sl_threshold_s, "short_abandon_s": short_abandon_s,
               "exclude_short_abandons": short_abandon_s > 0}
    log.save(out, metrics)
    run = json.loads((Path(out) / "summary.json").read_text(encoding="utf-8"))["metrics"]
    return log.info(), {k: (v["mean"] if v["mean"] is not None else math.nan) for k, v in run.items()}


def _import_interval(logs, out, tz, interval_minutes, qmap, cmap, map_file, sl_threshold_s):
    from sim.history.interval_report import read_interval_report, save_interval_report

    rep = read_interval_report(logs, mapping=cmap, map_file=map_file, tz=tz, interval_minutes=interval_minutes,
                               queue_map=qmap, threshold_s=sl_threshold_s)
    save_interval_report(rep, out)
    run, _ = rep.metrics()
    info = json.loads((Path(out) / "observed.json").read_text(encoding="utf-8"))
    return info, run


def register(app: typer.Typer) -> None:
    """Add ``acdsim import`` to the CLI."""
    app.command("import")(import_command)
