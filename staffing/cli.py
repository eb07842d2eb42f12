"""``acdsim staff``: agents needed per interval for service targets (``acdsim schedule`` is in cli_schedule).

    acdsim staff scenarios/property_centre.toml
    acdsim staff volumes.csv --aht 240 --target sl=0.8/20 --target abandon=0.05 --patience 120 --out out/

Input: a scenario file (``.toml``; volumes, AHT, targets, patience and shrinkage come from it, and
``--target``/``--patience``/``--shrinkage`` override) or a CSV with columns interval_start, calls[, aht_s]
(see ``staffing.volumes``).  Output: a table per interval, ``requirements.csv`` and ``requirements.png``
(calls and required agents/heads over time) in ``--out``.

Target syntax (repeat ``--target``):  ``sl=P/T`` (P of calls answered within T s, P as 0.8 or 80%),
``asa=S`` (seconds), ``abandon=P``, ``occupancy=P`` (maximum), ``blocking=P`` (trunk lines).
"""
from __future__ import annotations

from pathlib import Path

import typer

_TARGET_HELP = ("target, repeatable: sl=0.8/20 | asa=20 | abandon=0.05 | occupancy=0.9 | blocking=0.01 "
                "(fractions as 0.8 or 80%)")


def _fraction(text: str, key: str) -> float:
    t = text.strip()
    try:
        v = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise typer.BadParameter(f"{key}: {text!r} is not a number (write 0.8 or 80%)", param_hint="--target")
    if not 0.0 < v <= 1.0:
        raise typer.BadParameter(f"{key}: {text!r} must be a fraction in (0, 1] (write 0.8 or 80%)",
                                 param_hint="--target")
    return v


def _seconds(text: str, key: str) -> float:
    try:
        v = float(text.strip().removesuffix("s"))
    except ValueError:
        raise typer.BadParameter(f"{key}: {text!r} is not a number of seconds", param_hint="--target")
    if not v >= 0 or v == float("inf"):
        raise typer.BadParameter(f"{key}: {text!r} must be a finite number of seconds >= 0", param_hint="--target")
    return v


def parse_targets(items: list[str]) -> dict:
    """Parse ``--target`` strings into a staffing-target mapping; typer.BadParameter on any malformed item."""
    out: dict = {}
    aliases = {"sl": "sl", "service_level": "sl", "asa": "asa", "abandon": "abandon", "abandon_rate": "abandon",
               "occupancy": "occupancy", "occ": "occupancy", "blocking": "blocking"}
    for item in items:
        if "=" not in item:
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE; {_TARGET_HELP}", param_hint="--target")
        key, _, value = item.partition("=")
        k = aliases.get(key.strip().lower())
        if k is None:
            raise typer.BadParameter(f"unknown target {key.strip()!r}; {_TARGET_HELP}", param_hint="--target")
        if k == "sl":
            if "/" not in value:
                raise typer.BadParameter(f"sl needs P/T, e.g. sl=0.8/20 (got {value!r})", param_hint="--target")
            p, _, t = value.partition("/")
            out["service_level"] = _fraction(p, "sl")
            out["service_time_s"] = _seconds(t, "sl")
        elif k == "asa":
            out["asa_s"] = _seconds(value, "asa")
            if out["asa_s"] <= 0:
                raise typer.BadParameter("asa must be > 0 seconds", param_hint="--target")
        elif k == "abandon":
            out["abandon_rate"] = _fraction(value, "abandon")
        elif k == "occupancy":
            out["occupancy_max"] = _fraction(value, "occupancy")
        elif k == "blocking":
            out["blocking"] = _fraction(value, "blocking")
    return out


def _labels(table, start_weekday: int | None, given=None) -> list[str]:
    if given is not None:
        return [str(v) for v in given]
    from sim.clock import clock_label

    out = []
    for s in table["interval_start_s"].to_numpy():
        if start_weekday is not None:
            out.append(clock_label(s, start_weekday))
            continue
        day = int(round(s)) // 86400
        hhmm = clock_label(s, 0, with_weekday=False)
        out.append(f"d{day} {hhmm}" if day else hhmm)
    return out


def _print_table(table, labels, console) -> None:
    from rich.table import Table

    t = Table(title="Agents needed per interval", show_lines=False)
    cols = [("start", None), ("calls", "{:.1f}"), ("AHT s", "{:.0f}"), ("Erlangs", "{:.2f}"),
            ("agents", "{:d}"), ("heads", "{:d}")]
    keys = [None, "calls", "aht_s", "traffic", "agents", "heads"]
    if "trunks" in table.columns:
        cols.append(("trunks", "{:d}"))
        keys.append("trunks")
    cols += [("SL", "{:.1%}"), ("ASA s", "{:.1f}"), ("abandon", "{:.1%}"), ("occupancy", "{:.1%}")]
    keys += ["service_level", "asa_s", "abandon_rate", "occupancy"]
    for name, _ in cols:
        t.add_column(name, justify="left" if name == "start" else "right")
    for i, row in enumerate(table.itertuples(index=False)):
        cells = []
        for (name, fmt), key in zip(cols, keys):
            if key is None:
                cells.append(labels[i])
            else:
                v = getattr(row, key)
                cells.append(fmt.format(int(v) if fmt == "{:d}" else float(v)))
        t.add_row(*cells)
    console.print(t)


def plot_requirements(table, path: Path, title: str = "", start_weekday: int = 0) -> None:
    """PNG of offered calls (bars, left axis) and required agents / heads (steps, right axis) on weekday and
    clock time (day 0 has weekday ``start_weekday``); Chinese titles render (see sim.fonts)."""
    from sim.clock import clock_axis
    from sim.figure import Figure
    from sim.fonts import cjk_fonts

    hours = table["interval_start_s"].to_numpy() / 3600.0
    width = float(hours[1] - hours[0]) if len(hours) > 1 else 0.5
    with cjk_fonts():
        fig = Figure(figsize=(max(8.0, min(24.0, len(hours) * 0.12)), 4.5))
        ax = fig.subplots()
        ax.bar(hours, table["calls"], width=width * 0.9, align="edge", color="#9ecae1", label="offered calls")
        ax.set_ylabel("calls per interval")
        ax2 = ax.twinx()
        ax2.step(hours, table["agents"], where="post", color="#d62728", label="agents on the phones")
        ax2.step(hours, table["heads"], where="post", color="#2ca02c", linestyle="--", label="scheduled heads")
        ax2.set_ylabel("agents")
        ax2.set_ylim(bottom=0)
        clock_axis(ax, start_weekday)
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], loc="upper left")
        ax.set_title(title or "Calls and required agents")
        fig.tight_layout()
        fig.savefig(path, dpi=110)


def staff(
    source: Path = typer.Argument(None, metavar="SCENARIO_OR_CSV",
                                  help="scenario .toml or volumes CSV (interval_start, calls[, aht_s]); "
                                       "omit it with --calls for the Erlang calculator"),
    calls: float = typer.Option(None, "--calls", help="Erlang calculator: calls in one interval (needs --aht; "
                                "--interval defaults to 30 min)"),
    target: list[str] = typer.Option(None, "--target", "-t", help=_TARGET_HELP),
    patience: float = typer.Option(None, "--patience", help="mean caller patience, s (Erlang A); "
                                   "default: the scenario's, or none (Erlang C) for a CSV"),
    short_abandon: float = typer.Option(0.0, "--short-abandon", help="exclude abandons within S seconds from "
                                        "the SL and abandon-rate denominators (needs --patience)"),
    aht: float = typer.Option(None, "--aht", help="default handle time, s (CSV without aht_s)"),
    interval: float = typer.Option(None, "--interval", help="interval length, minutes (CSV default: inferred; "
                                   "calculator default: 30)"),
    shrinkage: float = typer.Option(None, "--shrinkage", help="total shrinkage fraction in [0, 1) "
                                    "(default: the scenario's, or 0)"),
    out: Path = typer.Option(Path("."), "--out", "-o", help="directory for requirements.csv/.png"),
    table: bool = typer.Option(True, "--table/--no-table", help="print the per-interval table"),
    excel: bool = typer.Option(False, "--excel", help="also write requirements.xlsx"),
) -> None:
    """Agents (and heads after shrinkage) needed per interval to meet service targets (Erlang C / A).

    With a scenario, its targets are used unless --target is given (then only the --target ones apply);
    its patience and shrinkage are used unless --patience / --shrinkage are given.
    """
    from rich.console import Console

    from staffing.requirements import StaffingTarget, requirements_table
    from staffing.volumes import read_volumes_csv

    console = Console(width=max(Console().width, 120))
    cli_targets = parse_targets(target or [])
    if patience is not None and not patience > 0:
        raise typer.BadParameter("must be > 0 seconds", param_hint="--patience")
    if aht is not None and not aht > 0:
        raise typer.BadParameter("must be > 0 seconds", param_hint="--aht")
    if shrinkage is not None and not 0 <= shrinkage < 1:
        raise typer.BadParameter("must be a fraction in [0, 1)", param_hint="--shrinkage")
    if short_abandon < 0:
        raise typer.BadParameter("must be >= 0 seconds", param_hint="--short-abandon")

    if interval is not None and not (0 < interval <= 1440):
        raise typer.BadParameter("must be minutes in (0, 1440]", param_hint="--interval")
    if calls is not None:
        if source is not None:
            raise typer.BadParameter("give either SCENARIO_OR_CSV or --calls (the calculator), not both",
                                     param_hint="--calls")
        _calculator(calls, aht, interval or 30.0, cli_targets, patience, short_abandon, console)
        return
    if source is None:
        raise typer.BadParameter("give a scenario .toml or volumes CSV, or --calls N --aht S for the calculator",
                                 param_hint="SCENARIO_OR_CSV")
    weekday = None
    given_labels = None
    if source.suffix.lower() == ".toml":
        import sim

        try:
            scenario = sim.load_scenario(source)
        except (ValueError, OSError) as exc:
            raise typer.BadParameter(str(exc), param_hint="SCENARIO_OR_CSV")
        base = dict(scenario.staffing_targets())
        goals = cli_targets if cli_targets else {k: v for k, v in base.items() if k != "patience_mean_s"}
        goals["patience_mean_s"] = patience if patience is not None else base.get("patience_mean_s")
        workload = scenario.workload()
        interval_s = float(scenario.horizon.interval_s)
        shrink = shrinkage if shrinkage is not None else float(getattr(scenario.agents, "shrinkage", 0.0) or 0.0)
        weekday = int(getattr(scenario.horizon, "start_weekday", 0) or 0)
        title = f"{getattr(scenario, 'name', source.stem)}: calls and required agents"
    else:
        try:
            workload, interval_s = read_volumes_csv(source, interval_s=None if interval is None else interval * 60)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="SCENARIO_OR_CSV")
        goals = cli_targets or {"service_level": 0.8, "service_time_s": 20.0}
        goals["patience_mean_s"] = patience
        shrink = shrinkage if shrinkage is not None else 0.0
        given_labels = workload.pop("label")
        title = f"{source.stem}: calls and required agents"
    if short_abandon:
        goals["short_abandon_s"] = short_abandon
    try:
        goal = StaffingTarget.from_mapping(goals)
        result = requirements_table(workload, goal, interval_s=interval_s, shrinkage=shrink, default_aht_s=aht)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--target/--aht/--patience")

    labels = _labels(result, weekday, given_labels)
    result.insert(2, "start", labels)
    from sim.cli_errors import user_errors
    from sim.outdir import prepare_out_dir

    with user_errors(), prepare_out_dir(out, "acdsim staff") as od:   # checked, locked, replaced on success
        result.to_csv(od.staging / "requirements.csv", index=False)
        plot_requirements(result, od.staging / "requirements.png", title, weekday or 0)
        if excel:
            from sim.excel import write_workbook

            write_workbook(od.staging / "requirements.xlsx", {"requirements": result})
    csv_path, png_path = out / "requirements.csv", out / "requirements.png"
    if table:
        _print_table(result, labels, console)
    hours = interval_s / 3600.0
    model = "Erlang A" if goal.uses_erlang_a else "Erlang C"
    console.print(f"[bold]{model}[/]; targets: "
                  + ", ".join(f"{k}={v}" for k, v in goal.as_dict().items() if v not in (None, 0.0))
                  + f"; shrinkage {shrink:.0%}")
    console.print(f"agent-hours on the phones: {result['agents'].sum() * hours:.1f}; "
                  f"scheduled head-hours: {result['heads'].sum() * hours:.1f}; peak agents "
                  f"{int(result['agents'].max())}, peak heads {int(result['heads'].max())}")
    console.print(f"wrote {csv_path} and {png_path}")
    if excel:
        console.print(f"wrote {out / 'requirements.xlsx'}")


def _calculator(calls, aht, interval_min, cli_targets, patience, short_abandon, console) -> None:
    """Print N−2 … N+2 agents for one interval's workload (see staffing.calculator)."""
    from rich.table import Table

    from staffing.calculator import erlang_calculator

    if aht is None:
        raise typer.BadParameter("the calculator needs --aht SECONDS", param_hint="--aht")
    if not (calls >= 0 and calls < float("inf")):
        raise typer.BadParameter("must be a finite number of calls >= 0", param_hint="--calls")
    goals = cli_targets or {"service_level": 0.8, "service_time_s": 20.0}
    goals["patience_mean_s"] = patience
    if short_abandon:
        goals["short_abandon_s"] = short_abandon
    try:
        table = erlang_calculator(calls, aht, interval_min * 60.0, goals)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--target/--aht/--patience")
    t = Table(title=f"{calls:g} calls in {interval_min:g} min, AHT {aht:g} s = "
                    f"{table['traffic_erlangs'].iloc[0]:.2f} Erlangs ({table.attrs['model']})")
    for name in ("agents", "SL", "ASA s", "occupancy", "abandon", "meets targets", "binding target"):
        t.add_column(name, justify="left" if name == "binding target" else "right")
    for r in table.itertuples(index=False):
        t.add_row(str(r.agents), f"{r.service_level:.1%}", f"{r.asa_s:.1f}", f"{r.occupancy:.1%}",
                  f"{r.abandon_rate:.1%}", "yes" if r.meets else "no", r.binds)
    console.print(t)
    alone = ", ".join(f"{k} alone needs {v}" for k, v in table.attrs["alone"].items())
    console.print(f"required: {table.attrs['required']} agents on the phones ({alone})")


def register(app: typer.Typer) -> None:
    """Add the staffing commands to the CLI."""
    app.command("staff")(staff)
