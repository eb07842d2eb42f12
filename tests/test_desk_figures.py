"""Desk figures per replication and pooled: intervals inside their domain, by-hand values."""
import math

import numpy as np
import pytest

from sim.desk.config import DeskRules
from sim.desk.figures import desk_figures, nonnegative_mean_ci, pooled_proportion_ci, wilson_ci
from sim.desk.standalone import run_standalone


def test_wilson_by_hand():
    # k=8, n=10, z=1.959964: centre (0.8 + z^2/20) / (1 + z^2/10), half z*sqrt(0.016 + z^2/400) / (1 + z^2/10)
    z = 1.959963984540054
    den = 1 + z * z / 10
    mid, half = (0.8 + z * z / 20) / den, z * math.sqrt(0.8 * 0.2 / 10 + z * z / 400) / den
    assert wilson_ci(8, 10) == pytest.approx((mid - half, mid + half))
    lo, hi = wilson_ci(0, 5)
    assert lo == 0.0 and 0 < hi < 1
    assert all(math.isnan(v) for v in wilson_ci(0, 0))


def test_pooled_proportion_stays_in_domain_and_uses_replications():
    k, n = np.array([1, 9, 2]), np.array([10, 10, 10])       # wildly different replications
    p, lo, hi, how = pooled_proportion_ci(k, n)
    assert p == pytest.approx(12 / 30) and 0 < lo < p < hi < 1 and "replications" in how
    # a t-interval on the raw shares would leave [0, 1] here; the logit one cannot
    x = k / n
    assert x.mean() - 4.303 * x.std(ddof=1) / math.sqrt(3) < 0
    p1, lo1, hi1, how1 = pooled_proportion_ci([10, 10], [10, 10])
    assert p1 == 1.0 and hi1 == 1.0 and lo1 < 1 and how1.startswith("wilson")
    m, lo, hi, _ = nonnegative_mean_ci([0.0, 0.1, 5.0])
    assert lo == 0.0 and hi > m


def test_desk_figures_per_replication_and_pooled():
    rules = DeskRules(dunning={"households": 300, "overdue_share": 0.2, "grace_days": 1})
    conns = [run_standalone(6, seed=s, rules=rules, calls_per_day=120)[1].conn for s in (1, 2, 3)]
    per_rep, pooled = desk_figures(conns)
    assert list(per_rep.index) == [0, 1, 2]
    shares = pooled[pooled["kind"] == "share"]
    assert len(shares) > 5
    ok = shares.dropna(subset=["ci_low"])
    assert ((ok["ci_low"] >= 0) & (ok["ci_high"] <= 1) & (ok["ci_low"] <= ok["estimate"])
            & (ok["estimate"] <= ok["ci_high"])).all()
    rest = pooled[pooled["kind"] != "share"]
    assert (rest["ci_low"].dropna() >= 0).all()
    assert pooled.loc["outbound.dunning_reminder.calls", "estimate"] == pytest.approx(
        per_rep["outbound.dunning_reminder.calls"].mean())
    # on-time share of one replication recomputed from its store
    c = conns[0]
    k, n = c.execute("SELECT SUM(met_s <= due_s), COUNT(*) FROM deadlines WHERE rule LIKE 'inquiry_callback%' "
                     "AND (met_s IS NOT NULL OR due_s < (SELECT value FROM meta WHERE key='end_t_s'))").fetchone()
    assert per_rep.loc[0, "on_time.inquiry_callback"] == pytest.approx(k / n)


def test_tickets_cli_writes_figures_and_checks_the_call_log(tmp_path):
    import sqlite3
    from pathlib import Path

    import pandas as pd
    from typer.testing import CliRunner

    from sim.cli import app

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "run"
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(root / "scenarios" / "property_centre.toml"), "-r", "2", "-s", "3",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["tickets", str(out), "--csv"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    pooled = pd.read_csv(out / "desk_figures.csv", index_col="figure")
    per_rep = pd.read_csv(out / "desk_figures_per_replication.csv", index_col="replication")
    assert list(per_rep.index) == [0, 1] and "outbound.dunning_reminder.calls" in pooled.index
    shares = pooled[pooled["kind"] == "share"].dropna(subset=["ci_low"])
    assert ((shares["ci_low"] >= 0) & (shares["ci_high"] <= 1)).all()
    # a handled call whose ticket disappears is caught against calls.csv.gz
    conn = sqlite3.connect(out / "tickets.sqlite")
    tid = conn.execute("SELECT MIN(id) FROM tickets WHERE call_id IS NOT NULL").fetchone()[0]
    for table, key in (("events", "ticket_id"), ("deadlines", "ticket_id"), ("outbound", "ticket_id"),
                       ("tickets", "id")):
        conn.execute(f"DELETE FROM {table} WHERE {key}=?", (tid,))    # the store alone stays consistent
    conn.commit()
    conn.close()
    res = runner.invoke(app, ["tickets", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 1 and "unaccounted 1" in res.output and "events=" in res.output
