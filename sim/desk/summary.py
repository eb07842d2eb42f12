"""Monthly complaint summary (spec: "monthly summary of complaints due before the 25th of the same month, covering
that month so far").

Summary m is due at the start of the 25th of month m (horizon day index ``m*month_days + 24``, column
``due_by_day``) and covers the complaints created since the previous summary's cut-off: days
[(m-1)*month_days + 24, m*month_days + 24) — the month so far plus the last days of the month before, which the
previous summary could not include. One row per summary: complaints by class and severity, outcomes (resolved on
the spot / closed satisfied at the return visit / unreached / closed without a visit / reopened / still open),
duplicates recorded once, and deadline compliance of the complaint rules.
"""
from __future__ import annotations

import sqlite3

import pandas as pd

from sim.desk.metrics import rules_of, run_end_s

COMPLAINT_RULES = ("complaint_response", "complaint_response_online", "major_director", "major_answer",
                   "major_resolved", "important_escalation", "important_resolved", "minor_resolved",
                   "complaint_return_visit", "result_notice", "ongoing_damage_action")


CUTOFF_DAY = 24      # 0-based day of the month: the summary is due before the 25th


def summary_period(created_s, month_days: int):
    """Summary a complaint created at ``created_s`` belongs to (0 for days 0..23, 1 for 24..53 with 30-day
    months, ...)."""
    day = (created_s // 86400).astype(int)
    return (day - CUTOFF_DAY) // month_days + 1


def monthly_complaint_summary(conn: sqlite3.Connection) -> pd.DataFrame:
    month_days = rules_of(conn).calendar.month_days
    end_s = run_end_s(conn)
    t = pd.read_sql("SELECT id, created_s, complaint_class, severity, state, outcome, on_spot, reopens "
                    "FROM tickets WHERE type='complaint'", conn)
    if t.empty:
        return pd.DataFrame()
    t["month"] = summary_period(t["created_s"], month_days)
    dup = pd.read_sql("SELECT e.ticket_id FROM events e WHERE e.kind='duplicate_contact'", conn)
    d = pd.read_sql("SELECT d.ticket_id, d.rule, d.due_s, d.met_s FROM deadlines d JOIN tickets t ON "
                    "t.id=d.ticket_id WHERE t.type='complaint'", conn)
    d["rule"] = d["rule"].str.split("#").str[0]
    d = d.merge(t[["id", "month"]], left_on="ticket_id", right_on="id")
    d = d[d["met_s"].notna() | (d["due_s"] < end_s)]
    d["on_time"] = d["met_s"].notna() & (d["met_s"] <= d["due_s"])
    rows = []
    for m, g in t.groupby("month"):
        r: dict = {"month": m, "complaints": len(g), "due_by_day": m * month_days + CUTOFF_DAY}
        for c in (1, 2, 3):
            r[f"class{c}"] = int((g["complaint_class"] == c).sum())
        for s in ("minor", "important", "major"):
            r[s] = int((g["severity"] == s).sum())
        closed = g["state"] == "closed"
        r["resolved_on_spot"] = int((g["on_spot"] == 1).sum())
        r["closed_satisfied"] = int((closed & (g["outcome"] == "satisfied")).sum())
        r["closed_unreached"] = int((closed & (g["outcome"] == "unreached")).sum())
        r["closed_no_visit"] = int((closed & (g["outcome"] == "resolved") & (g["on_spot"] != 1)).sum())
        r["still_open"] = int((~closed).sum())
        r["invalid"] = int((closed & (g["outcome"] == "invalid")).sum())
        r["reopened"] = int((g["reopens"] > 0).sum())
        r["duplicate_contacts"] = int(dup["ticket_id"].isin(g["id"]).sum())
        dm = d[d["month"] == m]
        for rule in COMPLAINT_RULES:
            x = dm[dm["rule"] == rule]
            if len(x):
                r[f"{rule}_on_time_pct"] = 100.0 * x["on_time"].mean()
        rows.append(r)
    return pd.DataFrame(rows).set_index("month")
