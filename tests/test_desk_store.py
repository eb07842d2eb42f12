"""Ticket store: conservation check, refusal/overwrite/resume of existing stores, a SIGKILLed run leaves a
valid store that can be resumed to the same result as an uninterrupted run, and ``acdsim tickets``."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from sim.desk.cli import register
from sim.desk.store import (ConservationError, IncompleteStoreError, StoreError, TicketStore,
                            check_conservation, describe)
from sim.desk.standalone import run_standalone
from sim.desk.config import DeskRules

DAYS = 20   # the subprocess run (sim.desk.standalone __main__: seed 7, 300 calls/day, batch every 600 s)


def test_conservation_holds_and_detects_corruption(tmp_path):
    path = tmp_path / "tickets.sqlite"
    lay, store, rep = run_standalone(5, seed=2, store_path=str(path), calls_per_day=200)
    assert rep["ok"] and rep["created"] == len(lay.tickets) == rep["closed"] + rep["open"]
    assert rep["created"] > 500 and rep["open"] > 0 and rep["closed"] > 0
    # the store is plain SQL, loadable into pandas; every ticket's first event is 'logged'
    ev = pd.read_sql("SELECT * FROM events WHERE seq=1", store.conn)
    assert (ev["to_state"] == "logged").all() and len(ev) == rep["created"]
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO events VALUES (999999, 1, 0.0, 'transition', NULL, 'logged', '')")
    conn.commit()
    with pytest.raises(ConservationError, match="orphan_events"):
        check_conservation(conn)
    conn.execute("DELETE FROM events WHERE ticket_id=999999")
    conn.execute("UPDATE tickets SET state='closed' WHERE id=(SELECT MIN(id) FROM tickets WHERE state<>'closed')")
    conn.commit()
    with pytest.raises(ConservationError, match="state_mismatch"):
        check_conservation(conn)
    conn.close()


def test_existing_store_refused_or_overwritten(tmp_path):
    path = str(tmp_path / "tickets.sqlite")
    run_standalone(1, seed=1, store_path=path)[1].close()
    with pytest.raises(StoreError, match="complete run"):
        TicketStore(path, mode="new")
    with pytest.raises(StoreError, match="nothing to resume"):
        TicketStore(path, mode="resume")
    _, st, rep = run_standalone(1, seed=1, store_path=path, store_mode="overwrite")
    assert rep["ok"] and describe(path)[0] == "complete"
    st.close()


def _snapshot(path):
    conn = sqlite3.connect(path)
    out = {tab: conn.execute(f"SELECT * FROM {tab} ORDER BY 1, 2").fetchall()
           for tab in ("tickets", "events", "deadlines", "outbound", "batches")}
    conn.close()
    return out


def test_sigkill_mid_run_leaves_valid_store_and_resume_matches_clean_run(tmp_path):
    path = str(tmp_path / "killed.sqlite")
    proc = subprocess.Popen([sys.executable, "-m", "sim.desk.standalone", str(DAYS), path, "new"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    batches = 0
    while time.time() < deadline and proc.poll() is None:
        try:
            batches = describe(path)[2]
        except Exception:   # file not created yet / schema not yet committed
            batches = 0
        if batches >= 40:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-500:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    status, _, last = describe(path)
    assert status == "running" and last >= 40
    conn = sqlite3.connect(path)
    rep = check_conservation(conn)          # raises if a ticket is half written
    assert rep["created"] > 0 and rep["ok"]
    horizon_end = DAYS * 86400
    assert conn.execute("SELECT MAX(t_s) FROM batches").fetchone()[0] < horizon_end
    conn.close()

    # a new run refuses the incomplete store with a clear message
    with pytest.raises(IncompleteStoreError, match="interrupted run"):
        TicketStore(path, mode="new")
    # resuming replays the deterministic run, verifies the committed batches and completes the store
    rules = DeskRules(flush_interval_s=600.0)
    _, st, rep2 = run_standalone(DAYS, seed=7, rules=rules, store_path=path, store_mode="resume",
                                 calls_per_day=300.0)
    st.close()
    assert rep2["ok"] and describe(path)[0] == "complete"
    clean = str(tmp_path / "clean.sqlite")
    run_standalone(DAYS, seed=7, rules=rules, store_path=clean, calls_per_day=300.0)[1].close()
    assert _snapshot(path) == _snapshot(clean)
    # resuming with another seed is refused (fingerprint)
    with pytest.raises(StoreError, match="different scenario/seed"):
        conn = sqlite3.connect(path)
        conn.execute("UPDATE meta SET value='running' WHERE key='status'")
        conn.commit()
        conn.close()
        run_standalone(DAYS, seed=8, rules=rules, store_path=path, store_mode="resume", calls_per_day=300.0)


def test_tickets_cli_summarises_a_run(tmp_path):
    run_dir = tmp_path / "run1"
    run_standalone(3, seed=4, store_path=str(run_dir / "tickets.sqlite"), calls_per_day=150)[1].close()
    app = typer.Typer()
    register(app)

    @app.command("other")
    def _other():  # a second command keeps typer in multi-command mode, as in the real CLI
        pass

    res = CliRunner().invoke(app, ["tickets", str(run_dir)])
    assert res.exit_code == 0, res.output
    for part in ("conservation: created=", "OK", "deadline compliance", "return visits", "monthly complaint"):
        assert part in res.output
    res = CliRunner().invoke(app, ["tickets", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "no ticket store" in res.output
