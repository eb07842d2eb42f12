"""``acdsim tickets RUN_DIR``: summarise a run's ticket store ``RUN_DIR/tickets.sqlite``."""
from __future__ import annotations

from pathlib import Path

import typer

STORE_NAME = "tickets.sqlite"


def tickets_report(run_dir: Path, backlog_step_h: float = 24.0) -> tuple[str, bool]:
    """Text report of a run's store and whether it is complete and conserved. Raises StoreError if there
    is no readable store."""
    import pandas as pd

    from sim.desk.metrics import ticket_metrics
    from sim.desk.store import check_conservation, describe, open_readonly
    from sim.desk.summary import monthly_complaint_summary

    path = Path(run_dir) / STORE_NAME if Path(run_dir).is_dir() else Path(run_dir)
    status, _, batches = describe(path)
    conn = open_readonly(path)
    try:
        cons = check_conservation(conn, raise_on_error=False)
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
        for title, key in (("tickets by type", "by_type"), ("complaints by class/severity", "complaints"),
                           ("deadline compliance (lateness in hours)", "deadlines"),
                           ("escalations", "escalations"), ("return visits", "return_visits"),
                           ("dunning outcomes", "dunning"), ("outbound calls", "outbound")):
            body = m[key].to_string() if len(m[key]) else "(none)"
            out.append(f"\n== {title}\n{body}")
        out.append(f"\nreopen rate: {100 * m['reopen_rate']:.2f} %")
        b = m["backlog"]
        out.append(f"\n== backlog (open tickets every {backlog_step_h:g} h)\n{b.to_string(index=False)}")
        if not monthly.empty:
            out.append(f"\n== monthly complaint summary\n{monthly.T.to_string()}")
    return "\n".join(out), status == "complete" and cons["ok"]


def register(app: typer.Typer) -> None:
    """Add ``acdsim tickets`` to the CLI."""

    @app.command("tickets")
    def tickets(run_dir: Path = typer.Argument(..., help="run directory holding tickets.sqlite (or the file)"),
                backlog_step_h: float = typer.Option(24.0, min=0.01, help="backlog sampling step, hours")):
        """Summarise a run's ticket store: tickets, deadlines, escalations, return visits, dunning, backlog."""
        from sim.desk.store import StoreError

        try:
            text, ok = tickets_report(run_dir, backlog_step_h)
        except (StoreError, OSError) as exc:   # OSError: a path the system refuses (name too long, ...)
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(text)
        if not ok:
            raise typer.Exit(1)
