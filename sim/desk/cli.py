"""``acdsim tickets RUN_DIR``: summarise a run's ticket store ``RUN_DIR/tickets.sqlite``, and the desk's figures
per replication and pooled over every store of the run (``sim.desk.figures``)."""
from __future__ import annotations

from pathlib import Path

import typer

STORE_NAME = "tickets.sqlite"


def run_stores(run_dir: Path) -> list[Path]:
    """The run's stores in replication order: tickets.sqlite, tickets_rep1.sqlite, ... (stops at the first gap)."""
    from sim.desk.hook import store_name

    out, i = [], 0
    while (Path(run_dir) / store_name(i)).is_file():
        out.append(Path(run_dir) / store_name(i))
        i += 1
    return out


def run_figures(run_dir: Path):
    """(per_replication, pooled) desk figures of every store in ``run_dir`` (see ``sim.desk.figures``)."""
    from sim.desk.figures import desk_figures
    from sim.desk.store import StoreError, open_readonly

    paths = run_stores(run_dir)
    if not paths:
        raise StoreError(f"no ticket store in {run_dir}")
    conns = [open_readonly(p) for p in paths]
    try:
        return desk_figures(conns)
    finally:
        for c in conns:
            c.close()


def tickets_report(run_dir: Path, backlog_step_h: float = 24.0, replication: int = 0) -> tuple[str, bool]:
    """Text report of one replication's store (default 0) and whether it is complete and conserved, then the
    figures pooled over every replication. Raises StoreError if there is no readable store."""
    import pandas as pd

    from sim.desk.metrics import ticket_metrics
    from sim.desk.store import check_conservation, describe, open_readonly
    from sim.desk.summary import monthly_complaint_summary

    from sim.desk.hook import store_name
    from sim.desk.store import StoreError

    if Path(run_dir).is_dir():
        path = Path(run_dir) / store_name(replication)
        if not path.is_file():
            found = len(run_stores(run_dir))
            raise StoreError(f"no ticket store for replication {replication} in {run_dir} "
                             f"(replications with a store: 0..{found - 1})" if found else f"no ticket store in {run_dir}")
    else:
        path = Path(run_dir)
    status, _, batches = describe(path)
    conn = open_readonly(path)
    try:
        cons = check_conservation(conn, raise_on_error=False)
        calls = calls_accounting(conn, path.parent, replication) if Path(run_dir).is_dir() else None
        m = ticket_metrics(conn, backlog_step_s=backlog_step_h * 3600)
        monthly = monthly_complaint_summary(conn)
    finally:
        conn.close()
    out = []
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_rows", 200,
                           "display.float_format", "{:.2f}".format):
        out.append(f"ticket store {path}: status={status}, {batches} batches, simulated until "
                   f"{m['end_s'] / 86400:.2f} days")
        if status != "complete":
            out.append("WARNING: incomplete store (interrupted run); figures cover the committed part only")
        out.append(f"conservation: created={cons['created']} closed={cons['closed']} open={cons['open']} "
                   f"events={cons['events']} -> {'OK' if cons['ok'] else 'VIOLATED ' + str(cons)}")
        if calls is not None:
            out.append(f"calls (calls.csv.gz, replication {replication}): {calls['handled_calls']} handled = {calls['as_ticket']} "
                       f"tickets + {calls['duplicate_contact']} duplicate contacts + {calls['pending_handover']} "
                       f"pending hand-over; unaccounted {calls['unaccounted']} -> "
                       f"{'OK' if calls['calls_ok'] else 'VIOLATED ' + str(calls)}")
        for title, key in (("tickets by type", "by_type"), ("complaints by class/severity", "complaints"),
                           ("deadline compliance (lateness in hours)", "deadlines"),
                           ("escalations", "escalations"), ("return visits", "return_visits"),
                           ("dunning outcomes", "dunning"), ("outbound calls", "outbound")):
            body = m[key].to_string() if len(m[key]) else "(none)"
            out.append(f"\n== {title}\n{body}")
        out.append(f"\nreopen rate: {100 * m['reopen_rate']:.2f} %")
        out.append(f"invalid complaints (explained, closed without handling): {m['invalid_complaints']}")
        b = m["backlog"]
        out.append(f"\n== backlog (open tickets every {backlog_step_h:g} h)\n{b.to_string(index=False)}")
        if not monthly.empty:
            out.append(f"\n== monthly complaint summary\n{monthly.T.to_string()}")
        if Path(run_dir).is_dir():
            per_rep, pooled = run_figures(run_dir)
            out.append("\n== desk figures pooled over replications (95 % interval inside the figure's domain; "
                       "shares: on time / evaluated deadlines, visited / eligible)\n" + pooled.to_string())
            out.append(f"\n== desk figures per replication\n{per_rep.T.to_string()}")
    return "\n".join(out), status == "complete" and cons["ok"] and (calls is None or calls["calls_ok"])


def calls_accounting(conn, run_dir: Path, replication: int = 0) -> dict | None:
    """Every handled call of ``replication`` in ``run_dir/calls.csv.gz`` accounted for by that replication's
    store (None when the run kept no call log)."""
    import pandas as pd

    from sim.desk.accounting import call_accounting

    log = Path(run_dir) / "calls.csv.gz"
    if not log.is_file():
        return None
    calls = pd.read_csv(log, usecols=["call_id", "outcome", "replication"])
    handled = calls.loc[(calls["replication"] == replication) & (calls["outcome"] == "handled"), "call_id"]
    return call_accounting(conn, handled.astype(int))


def register(app: typer.Typer) -> None:
    """Add ``acdsim tickets`` to the CLI."""

    @app.command("tickets")
    def tickets(run_dir: Path = typer.Argument(..., help="run directory holding tickets.sqlite (or the file)"),
                backlog_step_h: float = typer.Option(24.0, min=0.01, help="backlog sampling step, hours"),
                csv: bool = typer.Option(False, "--csv", help="also write desk_figures.csv (pooled) and "
                                                              "desk_figures_per_replication.csv into RUN_DIR"),
                replication: int = typer.Option(0, "--replication", "-r", min=0,
                                                help="replication whose store is detailed (figures are pooled "
                                                     "over all replications either way)")):
        """Summarise a run's ticket store: tickets, deadlines, escalations, return visits, dunning, backlog; the desk
        figures per replication and pooled with 95 % intervals."""
        from sim.desk.store import StoreError

        try:
            text, ok = tickets_report(run_dir, backlog_step_h, replication)
            if csv:
                if not run_dir.is_dir():
                    typer.echo("error: --csv needs RUN_DIR to be the run folder", err=True)
                    raise typer.Exit(2)
                per_rep, pooled = run_figures(run_dir)
                pooled.to_csv(run_dir / "desk_figures.csv")
                per_rep.to_csv(run_dir / "desk_figures_per_replication.csv")
        except (StoreError, OSError) as exc:   # OSError: a path the system refuses (name too long, ...)
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(text)
        if not ok:
            raise typer.Exit(1)
