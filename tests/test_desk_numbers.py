"""``sim.desk.numbers`` (the run summary's desk.* numbers in plain Python) against the pandas tables of
``sim.desk.metrics.ticket_metrics`` they replace in the run: the same names, in the same order, bit for bit."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.desk.config import DeskRules
from sim.desk.metrics import summary_frame, ticket_metrics
from sim.desk.numbers import desk_numbers, group_sums, linear_quantile
from sim.desk.standalone import run_standalone
from sim.desk.store import conservation, rows_of_conn


def summary_from_tables(conn) -> dict:
    """The summary as it was flattened from ``ticket_metrics`` before issue 15 (the oracle)."""
    m = ticket_metrics(conn)
    v: dict[str, float] = {}
    for ttype, row in m["by_type"].iterrows():
        v[f"desk.tickets.{ttype}"] = row["tickets"]
    v["desk.tickets.total"] = float(m["by_type"]["tickets"].sum())
    v["desk.tickets.open_at_end"] = float(m["by_type"]["open"].sum())
    for _, row in m["complaints"].iterrows():
        v[f"desk.complaints.class{int(row['complaint_class'])}.{row['severity']}"] = row["tickets"]
    v["desk.complaints.invalid"] = m["invalid_complaints"]
    for rule, row in m["deadlines"].iterrows():
        v[f"desk.deadline.{rule}.on_time_pct"] = row["on_time_pct"]
        v[f"desk.deadline.{rule}.mean_lateness_h"] = row["mean_lateness_h"]
        v[f"desk.deadline.{rule}.p90_lateness_h"] = row["p90_lateness_h"]
    for _, row in m["escalations"].iterrows():
        v[f"desk.escalations.{row['rule']}.{row['to']}"] = row["count"]
    for ttype, row in m["return_visits"].iterrows():
        v[f"desk.return_visit.{ttype}.required_rate"] = row["required_rate"]
        v[f"desk.return_visit.{ttype}.achieved_rate"] = row["achieved_rate"]
        v[f"desk.return_visit.{ttype}.on_time_share"] = row["on_time_share"]
    v["desk.reopen_rate"] = m["reopen_rate"]
    v["desk.pending_handover"] = float(conn.execute("SELECT COUNT(*) FROM pending_handover").fetchone()[0])
    b = m["backlog"]
    v["desk.backlog.mean_open"] = float(b["open"].mean()) if len(b) else 0.0
    v["desk.backlog.max_open"] = float(b["open"].max()) if len(b) else 0.0
    for outcome, n in m["dunning"].items():
        v[f"desk.dunning.{outcome}"] = n
    for kind, row in m["outbound"].iterrows():
        v[f"desk.outbound.{kind}.made"] = row["made"]
        v[f"desk.outbound.{kind}.agent_hours"] = row["agent_hours"]
    o = m["outbound"]
    v["desk.outbound.agent_hours"] = float(o["agent_hours"].sum()) if len(o) else 0.0
    v["desk.outbound.agent_calls"] = float(o["made_by_agents"].sum()) if len(o) else 0.0
    v["desk.outbound.desk_staff_hours"] = float(o["desk_staff_hours"].sum()) if len(o) else 0.0
    return {k: float(x) for k, x in pd.Series(v, dtype=float).items()}


def _same(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for k, w in want.items():
        assert (math.isnan(got[k]) and math.isnan(w)) or got[k] == w, (k, got[k], w)


@pytest.mark.parametrize("days, seed, calls, rules", [
    (6, 4, 250, DeskRules()),
    (20, 3, 300, DeskRules(return_visits={"sampling": "bernoulli", "complaint_rate": 0.6},
                           complaints={"online_per_day": 2.0})),
    (2, 1, 40, DeskRules(dunning={"households": 0}, routine={"enabled": False})),   # few tickets, empty groups
])
def test_numbers_equal_the_pandas_tables(days, seed, calls, rules):
    _, store, _ = run_standalone(days, seed=seed, rules=rules, calls_per_day=calls)
    rows = store.rows()                     # built from the held objects, no SQL
    conn = store.conn                       # now written: the tables
    want = summary_from_tables(conn)
    assert len(want) > 30
    _same(desk_numbers(rows), want)
    _same(desk_numbers(rows_of_conn(conn)), want)
    _same({k: float(x) for k, x in summary_frame(conn)["value"].items()}, want)
    assert conservation(rows) == conservation(rows_of_conn(conn))


def test_rows_in_memory_equal_the_written_tables():
    _, store, _ = run_standalone(6, seed=4, calls_per_day=250)
    rows = store.rows()
    written = rows_of_conn(store.conn)
    for table in ("tickets", "events", "deadlines", "outbound", "pending"):
        # sqlite stores a REAL column's integer as a float (a task submitted at t = 0): equal values
        assert getattr(rows, table) == getattr(written, table), table
    assert len(rows.events) > 1000 and rows.pending


def test_group_sums_and_quantile_are_pandas_groupby():
    """Keys interleaved (Kahan), sorted (reduceat), one key, a few rows, zeros as in lateness."""
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 7, 10, 101, 1000):
        for keys in (rng.integers(0, 4, n), np.sort(rng.integers(0, 4, n)), np.zeros(n, dtype=int)):
            x = rng.lognormal(8, 2, n)
            x[rng.random(n) < 0.3] = 0.0
            g = pd.DataFrame({"k": keys, "x": x}).groupby("k")["x"]
            sums = group_sums(list(zip(keys.tolist(), x.tolist())))
            counts = pd.Series(keys).value_counts()
            assert list(sums) == list(g.sum().index)
            for k, s in g.sum().items():
                assert sums[k] == s
                assert sums[k] / counts[k] == g.mean()[k]
                assert linear_quantile(x[keys == k].tolist(), 0.9) == g.quantile(0.9)[k]
