"""``acdsim forecast``: forecast call volumes from a history CSV, with an accuracy report and plots.

    acdsim forecast history.csv --horizon 7d --out out/
    acdsim forecast history.csv --horizon 7d --quantile 0.9 --holidays events.csv --out out/

Writes ``forecast.csv`` (use it as a scenario's ``[arrivals] csv`` or with ``acdsim staff``; see
``staffing.forecast.output``), ``accuracy.csv`` (rolling-origin backtest next to the seasonal-naive and
mean-of-4 baselines; see ``staffing.forecast.accuracy``), ``forecast.png`` and ``backtest.png``.
"""
from __future__ import annotations

import re
from pathlib import Path

import typer


def parse_horizon(text: str) -> int:
    """'7d', '7', '2w' -> days."""
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", str(text).lower())
    if not m or int(m.group(1)) < 1:
        raise typer.BadParameter(f"{text!r} is not a horizon such as 7d, 14d or 2w (at least 1 day)",
                                 param_hint="--horizon")
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


def parse_interval(text: str | None) -> int | None:
    """'30m', '30', '1h' -> minutes (None passes through)."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(m|min|h)?\s*", str(text).lower())
    minutes = int(m.group(1)) * (60 if m.group(2) == "h" else 1) if m else 0
    if minutes <= 0 or 1440 % minutes:
        raise typer.BadParameter(f"{text!r} must be minutes that divide a day, e.g. 15m, 30m, 1h",
                                 param_hint="--interval")
    return minutes


def forecast(
    history: Path = typer.Argument(..., metavar="HISTORY", help="CSV of interval volumes (timestamp, calls[, type])"),
    horizon: str = typer.Option("7d", "--horizon", help="days to forecast: 7d, 14d, 2w"),
    level: float = typer.Option(0.8, "--level", help="prediction interval probability, in (0, 1)"),
    quantile: float = typer.Option(None, "--quantile", help="write this quantile as 'calls' (staff to it) "
                                   "instead of the expected calls, in (0, 1)"),
    holidays: Path = typer.Option(None, "--holidays", help="events CSV: date, name[, effect] (effect: "
                                  "multiplier, 'closed' or empty = learn from past days with that name)"),
    country: str = typer.Option("CN", "--country", help="public-holiday calendar: CN (with 调休) or none"),
    time_col: str = typer.Option("interval_start", "--time-col", help="timestamp column"),
    calls_col: str = typer.Option("calls", "--calls-col", help="calls column"),
    type_col: str = typer.Option(None, "--type-col", help="call-type column (forecast the total and type shares)"),
    interval: str = typer.Option(None, "--interval", help="aggregate the history to this interval first, e.g. 30m"),
    backtest_weeks: int = typer.Option(4, "--backtest-weeks", help="weeks of rolling-origin backtest (0 = none)"),
    intraday_at: str = typer.Option("12:00", "--intraday-at", help="backtest an intraday reforecast made at "
                                    "this time of day, HH:MM (none = skip)"),
    seed: int = typer.Option(0, "--seed", help="seed of the simulated prediction intervals"),
    out: Path = typer.Option(Path("."), "--out", "-o", help="directory for forecast.csv, accuracy.csv, *.png"),
) -> None:
    """Forecast calls per interval (mean and prediction interval) and report rolling-origin accuracy."""
    from rich.console import Console

    from staffing.forecast import SpecialDays, aggregate, forecast_volumes, read_history_csv, to_history
    from staffing.forecast.accuracy import backtest
    from staffing.forecast.output import plot_backtest, plot_forecast, write_forecast

    console = Console(width=max(Console().width, 120))
    days = parse_horizon(horizon)
    minutes = parse_interval(interval)
    for name, value in (("--level", level), ("--quantile", quantile)):
        if value is not None and not 0 < value < 1:
            raise typer.BadParameter(f"must be a probability strictly between 0 and 1, got {value}", param_hint=name)
    if backtest_weeks < 0:
        raise typer.BadParameter("must be >= 0 weeks", param_hint="--backtest-weeks")
    noon = None if intraday_at.strip().lower() == "none" else intraday_at.strip()
    if noon is not None:
        from staffing.timeofday import clock_seconds

        try:
            if not 0 < clock_seconds(noon) < 86400:
                raise ValueError(f"time of day must be after 00:00 and before 24:00, got {noon!r}")
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--intraday-at")
    try:
        special = SpecialDays.coerce(holidays, None if country.lower() == "none" else country)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--holidays/--country")
    try:
        series = read_history_csv(history, time_col=time_col, calls_col=calls_col, type_col=type_col)
        if minutes is not None:
            series = (aggregate(series, minutes) if type_col is None else
                      series.groupby([series.index.floor(f"{minutes}min"), "call_type"])["calls"].sum()
                      .reset_index("call_type"))
        hist = to_history(series)
        fc = forecast_volumes(hist, horizon_days=days, level=level, holidays=special, quantile=quantile, seed=seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="HISTORY")
    if fc.empty:
        raise typer.BadParameter(f"the centre is closed on every day of the {days}-day horizon (no rows for those "
                                 "days of the week in the history, or closed events); nothing to forecast",
                                 param_hint="--horizon")

    from sim.cli_errors import user_errors
    from sim.outdir import prepare_out_dir

    with user_errors(), prepare_out_dir(out, "acdsim forecast") as od:   # locked; replaced only on success
        csv_path = write_forecast(fc, od.staging, hist, use_quantile=quantile is not None)
        recent = _recent_total(hist, 14)
        plot_forecast(fc, recent, od.staging / "forecast.png", f"{history.stem}: forecast")
        _print_days(fc, console)
        for note in fc.attrs["notes"]:
            console.print(f"note: {note}")
        wrote = [csv_path, od.staging / "forecast.png"]
        if backtest_weeks:
            try:
                bt = backtest(hist, weeks=backtest_weeks, level=level, holidays=special, intraday_at=noon, seed=seed)
            except ValueError as exc:
                console.print(f"[yellow]no accuracy report: {exc}[/]")
            else:
                bt.table.to_csv(od.staging / "accuracy.csv", index=False, float_format="%.5f")
                plot_backtest(bt.points, level, od.staging / "backtest.png")
                _print_accuracy(bt, console)
                wrote += [od.staging / "accuracy.csv", od.staging / "backtest.png"]
    wrote = [out / Path(p).name for p in wrote]
    what = f"the {quantile:.0%} quantile" if quantile is not None else "the expected calls"
    console.print(f"'calls' in forecast.csv is {what}; lo/hi is the {level:.0%} prediction interval")
    console.print("wrote " + ", ".join(str(p) for p in wrote))


def _recent_total(hist, days: int):
    import numpy as np
    import pandas as pd

    counts = hist.counts[-days:]
    dates = hist.dates[-days:]
    day, slot = np.nonzero(~np.isnan(counts))
    return pd.Series(counts[day, slot], index=dates[day] + pd.to_timedelta(slot * hist.interval_s, unit="s"))


def _print_days(fc, console) -> None:
    from rich.table import Table

    idx = fc.index.tz_localize(None) if fc.index.tz is not None else fc.index
    sums = fc["calls"].set_axis(idx).groupby(idx.normalize()).sum()
    t = Table(title="Forecast per day (sum of expected calls per interval)")
    for col in ("date", "day", "special", "expected calls", "open intervals"):
        t.add_column(col, justify="left" if col in ("date", "day", "special") else "right")
    counts = fc["open"].set_axis(idx).groupby(idx.normalize()).sum()
    for day, row in fc.attrs["day_types"].iterrows():
        special = " ".join(x for x in (row["holiday"], row["event"]) if x)
        open_n = int(counts.get(day, 0))
        t.add_row(day.strftime("%Y-%m-%d"), day.strftime("%a"), special,
                  f"{sums.get(day, 0.0):.0f}" if open_n else "closed", str(open_n))
    console.print(t)


def _print_accuracy(bt, console) -> None:
    from rich.table import Table

    t = Table(title="Rolling-origin backtest (WAPE, MASE: lower is better; coverage of the prediction interval)")
    for col in ("horizon", "method", "WAPE", "MASE", "coverage", "intervals", "days"):
        t.add_column(col, justify="left" if col in ("horizon", "method") else "right")
    for r in bt.table.itertuples(index=False):
        cover = "—" if r.coverage != r.coverage else f"{r.coverage:.1%} (target {r.level:.0%})"
        t.add_row(r.horizon, r.method, f"{r.wape:.2%}", f"{r.mase:.3f}", cover, str(r.n), str(r.days))
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``acdsim forecast`` to the CLI."""
    app.command("forecast")(forecast)
