"""Ticket metrics of a run, computed from its store (an open ``sqlite3`` connection) with pandas.

``ticket_metrics(conn)`` returns a dict of DataFrames: tickets by type/class/severity, deadline compliance per
rule, escalations, return visits (achieved vs required rate, exclusions, on-time share), reopen rate, backlog
over time, dunning outcomes, outbound calls and their agent time. ``summary_frame(conn)`` holds the headline
numbers in one DataFrame indexed by metric name (column ``value``) for the run summary; they are computed by
``sim.desk.numbers`` from the store's rows (the same numbers, checked against these tables by the tests).

Deadline compliance: a deadline is evaluated if it was met or its due time is before the end of the run;
unmet deadlines still pending at the end are left out. Lateness = max(0, met - due), for unmet overdue ones
max(0, end - due) (a lower bound). ``mean_lateness_h``/``p90_lateness_h`` are over all evaluated deadlines
(on-time ones count 0). Times in the store are seconds; reported lateness in hours. Outbound ``agent_hours``
is the phone agents' time; visits routed to customer_service staff (``return_visits.by_department``) are in
``desk_staff_hours``.
"""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd

from sim.desk.config import DeskRules


DESK_PERFORMERS = ("assistant", "supervisor", "manager")   # roles of visits not made by phone agents


def _meta(conn: sqlite3.Connection) -> dict:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def run_end_s(conn: sqlite3.Connection) -> float:
    m = _meta(conn)
    return float(m.get("end_t_s") or m.get("last_t_s") or 0.0)


def rules_of(conn: sqlite3.Connection) -> DeskRules:
    """The DeskRules the run used (stored in meta), else the defaults."""
    raw = _meta(conn).get("desk_rules")
    return DeskRules.model_validate(json.loads(raw)) if raw else DeskRules()


def _detail(s: pd.Series) -> pd.DataFrame:
    """Parse 'k=v;k=v' detail strings into columns."""
    rows = [dict(kv.split("=", 1) for kv in d.split(";") if "=" in kv) if d else {} for d in s.fillna("")]
    return pd.DataFrame(rows, index=s.index)


def deadline_compliance(conn: sqlite3.Connection, end_s: float | None = None) -> pd.DataFrame:
    end_s = run_end_s(conn) if end_s is None else end_s
    d = pd.read_sql("SELECT rule, due_s, met_s FROM deadlines", conn)
    cols = ["rule", "evaluated", "on_time", "on_time_pct", "mean_lateness_h", "p90_lateness_h", "pending"]
    if d.empty:
        return pd.DataFrame(columns=cols).set_index("rule")
    d["rule"] = d["rule"].str.split("#").str[0]
    met = d["met_s"].notna()
    d["pending"] = ~met & (d["due_s"] >= end_s)
    d["late_s"] = np.where(met, (d["met_s"] - d["due_s"]).clip(lower=0), (end_s - d["due_s"]).clip(lower=0))
    d["on_time"] = met & (d["met_s"] <= d["due_s"])
    ev = d[~d["pending"]]
    g = ev.groupby("rule")
    out = pd.DataFrame({
        "evaluated": g.size(),
        "on_time": g["on_time"].sum(),
        "mean_lateness_h": g["late_s"].mean() / 3600,
        "p90_lateness_h": g["late_s"].quantile(0.9) / 3600,
    })
    out["on_time_pct"] = 100.0 * out["on_time"] / out["evaluated"]
    out["pending"] = d.groupby("rule")["pending"].sum()
    out = out.reindex(sorted(set(d["rule"]))).fillna({"evaluated": 0, "on_time": 0})
    out["pending"] = d.groupby("rule")["pending"].sum()
    return out[cols[1:]]


def return_visit_stats(conn: sqlite3.Connection, rules: DeskRules | None = None) -> pd.DataFrame:
    rules = rules or rules_of(conn)
    e = pd.read_sql("SELECT e.ticket_id, e.kind, e.detail, t.type FROM events e JOIN tickets t ON t.id=e.ticket_id "
                    "WHERE e.kind IN ('return_visit_sampled','return_visit_not_sampled','return_visit_skipped')",
                    conn)
    dl = pd.read_sql("SELECT d.rule, d.due_s, d.met_s, t.type FROM deadlines d JOIN tickets t ON t.id=d.ticket_id "
                     "WHERE d.rule LIKE '%return_visit%'", conn)
    required = {"complaint": rules.return_visits.complaint_rate, "repair": rules.return_visits.repair_rate}
    rows = []
    for ttype in ("complaint", "repair"):
        x = e[e["type"] == ttype]
        det = _detail(x["detail"])
        first = x[(x["kind"] != "return_visit_sampled") | (det.get("repeat", pd.Series("False", index=x.index))
                                                           != "True")]
        sampled = int((first["kind"] == "return_visit_sampled").sum())
        eligible = sampled + int((first["kind"] == "return_visit_not_sampled").sum())
        skipped = _detail(x.loc[x["kind"] == "return_visit_skipped", "detail"])
        reasons = skipped["reason"].value_counts().to_dict() if "reason" in skipped else {}
        y = dl[dl["type"] == ttype]
        done = y["met_s"].notna()
        rows.append({
            "type": ttype, "required_rate": required[ttype], "eligible": eligible, "sampled": sampled,
            "achieved_rate": sampled / eligible if eligible else np.nan,
            "excluded_anonymous": reasons.get("anonymous", 0), "excluded_on_spot": reasons.get("on_spot", 0),
            "excluded_sensitive": reasons.get("sensitive", 0),
            "excluded_written_reply": reasons.get("written_reply", 0),
            "excluded_do_not_visit": reasons.get("do_not_visit", 0), "visits_due": len(y), "visits_done": int(done.sum()),
            "on_time_share": float((y["met_s"] <= y["due_s"]).sum() / done.sum()) if done.any() else np.nan,
        })
    return pd.DataFrame(rows).set_index("type")


def backlog(conn: sqlite3.Connection, step_s: float = 86400.0, end_s: float | None = None) -> pd.DataFrame:
    """Open tickets at t = step, 2*step, ... <= end (column ``open``), by type."""
    end_s = run_end_s(conn) if end_s is None else end_s
    t = pd.read_sql("SELECT type, created_s, closed_s FROM tickets", conn)
    grid = np.arange(step_s, end_s + 1e-9, step_s) if end_s >= step_s else np.array([end_s])
    out = {"t_s": grid}

    def n_open(sub: pd.DataFrame) -> np.ndarray:   # created <= t minus closed <= t (O(n log n))
        created = np.sort(sub["created_s"].to_numpy())
        closed = np.sort(sub["closed_s"].dropna().to_numpy())
        return np.searchsorted(created, grid, side="right") - np.searchsorted(closed, grid, side="right")

    out["open"] = n_open(t)
    for ttype in sorted(t["type"].unique()):
        out[f"open_{ttype}"] = n_open(t[t["type"] == ttype])
    return pd.DataFrame(out)


def pending_handover_count(conn: sqlite3.Connection) -> int:
    """Night calls still waiting for the morning hand-over when the run ended (0 for stores without the table)."""
    try:
        return int(conn.execute("SELECT COUNT(*) FROM pending_handover").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def ticket_metrics(conn: sqlite3.Connection, end_s: float | None = None, backlog_step_s: float = 86400.0) -> dict:
    end_s = run_end_s(conn) if end_s is None else end_s
    t = pd.read_sql("SELECT * FROM tickets", conn)
    res: dict = {"end_s": end_s}
    res["by_type"] = t.groupby("type").agg(tickets=("id", "size"), open=("state", lambda s: int((s != "closed").sum())))
    c = t[t["type"] == "complaint"]
    res["complaints"] = (c.astype({"complaint_class": int}).groupby(["complaint_class", "severity"]).size()
                         .rename("tickets").reset_index()
                         if not c.empty else pd.DataFrame(columns=["complaint_class", "severity", "tickets"]))
    res["invalid_complaints"] = int(((t["type"] == "complaint") & (t["outcome"] == "invalid")).sum())
    res["deadlines"] = deadline_compliance(conn, end_s)
    esc = pd.read_sql("SELECT detail FROM events WHERE kind='escalated'", conn)
    det = _detail(esc["detail"])
    if not esc.empty:
        det["rule"] = det["rule"].str.replace(r"^overdue:.*", "overdue", regex=True)
        res["escalations"] = det.groupby(["rule", "to"]).size().rename("count").reset_index()
    else:
        res["escalations"] = pd.DataFrame(columns=["rule", "to", "count"])
    res["return_visits"] = return_visit_stats(conn)
    resolved = t[t["type"] != "dunning"]
    res["reopen_rate"] = float((resolved["reopens"] > 0).mean()) if len(resolved) else 0.0
    res["backlog"] = backlog(conn, backlog_step_s, end_s)
    dn = t[t["type"] == "dunning"]
    res["dunning"] = dn["outcome"].fillna("still_overdue").value_counts().rename("cases")
    o = pd.read_sql("SELECT kind, due_s, talk_s, finish_s, role, outcome FROM outbound", conn)
    done = o[o["finish_s"].notna()]
    by_agent = done[~done["role"].isin(DESK_PERFORMERS)]
    res["outbound"] = pd.DataFrame({
        "submitted": o.groupby("kind").size(),
        "made": done.groupby("kind").size(),
        "made_by_agents": by_agent.groupby("kind").size(),
        "reached": done[done["outcome"] == "reached"].groupby("kind").size(),
        "agent_hours": by_agent.groupby("kind")["talk_s"].sum() / 3600,
        "desk_staff_hours": done[done["role"].isin(DESK_PERFORMERS)].groupby("kind")["talk_s"].sum() / 3600,
        "on_time_share": (done["finish_s"] <= done["due_s"]).groupby(done["kind"]).mean(),
    }).fillna(0) if not o.empty else pd.DataFrame(columns=["submitted", "made", "made_by_agents", "reached",
                                                           "agent_hours",
                                                           "desk_staff_hours", "on_time_share"])
    res["outbound_by_role"] = done.groupby("role")["talk_s"].agg(["size", "sum"]).rename(
        columns={"size": "calls", "sum": "agent_s"})
    return res


def summary_frame(conn: sqlite3.Connection, end_s: float | None = None) -> pd.DataFrame:
    """Headline ticket metrics, one row per metric name (``desk.*``), column ``value`` (``sim.desk.numbers``:
    the same numbers as these tables, computed without them)."""
    from sim.desk.numbers import desk_numbers
    from sim.desk.store import rows_of_conn

    v = desk_numbers(rows_of_conn(conn), end_s)
    return pd.DataFrame({"value": pd.Series(v, dtype=float)}).rename_axis("metric")
