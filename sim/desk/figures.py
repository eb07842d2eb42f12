"""The desk's own figures per replication and pooled over replications, with 95 % intervals inside their domain.

Per replication (one ticket store each): on-time share of every deadline rule (on time / evaluated, definition
as in ``metrics.deadline_compliance``), achieved return-visit rate (visited / eligible), backlog (mean and
maximum open tickets at the end of each day), outbound load (calls made and agent hours per kind) and pending
hand-over items.

Pooled intervals:
- proportions (on-time shares, return-visit rates): the pooled ratio sum(k) / sum(n) over replications with a
  replication-level (cluster) standard error, mapped through the logit so the interval stays inside (0, 1)
  (``pooled_proportion_ci``); tickets of one replication are not independent (they share queues), so the
  replications, not the tickets, are the units. With one replication, or when every replication has the same
  0 % / 100 %, the Wilson score interval of the pooled counts (``wilson_ci``) is shown and marked as assuming
  independent tickets.
- counts and hours (>= 0): Student-t interval across replications intersected with [0, inf)
  (``nonnegative_mean_ci``; the true mean is >= 0, so cutting the interval at 0 keeps its coverage).
"""
from __future__ import annotations

import math
import sqlite3

import numpy as np
import pandas as pd
from scipy import stats

from sim.desk.metrics import (DESK_PERFORMERS, backlog, deadline_compliance, pending_handover_count,
                              return_visit_stats, run_end_s)

LEVEL = 0.95


def wilson_ci(k: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (inside [0, 1]; (nan, nan) when n == 0)."""
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo, hi = max(0.0, mid - half), min(1.0, mid + half)
    return (0.0 if k <= 0 else lo), (1.0 if k >= n else hi)     # exact ends (rounding) at 0 % and 100 %


def pooled_proportion_ci(k, n, level: float = LEVEL) -> tuple[float, float, float, str]:
    """(estimate, low, high, method) for per-replication counts ``k`` of ``n``: estimate sum(k)/sum(n); logit
    interval with the replication-level (ratio-estimator) standard error; Wilson on the pooled counts when
    there is one replication or no spread."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    keep = n > 0
    k, n = k[keep], n[keep]
    if n.size == 0:
        return math.nan, math.nan, math.nan, "none"
    p = k.sum() / n.sum()
    r = n.size
    if r < 2 or p <= 0 or p >= 1:
        lo, hi = wilson_ci(k.sum(), n.sum(), level)
        return p, lo, hi, "wilson (tickets independent)"
    resid = k - p * n
    se = math.sqrt((resid ** 2).sum() / (r * (r - 1))) / n.mean()
    if se == 0:
        lo, hi = wilson_ci(k.sum(), n.sum(), level)
        return p, lo, hi, "wilson (tickets independent)"
    t = float(stats.t.ppf(0.5 + level / 2, r - 1))
    lg, se_lg = math.log(p / (1 - p)), se / (p * (1 - p))
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    return p, expit(lg - t * se_lg), expit(lg + t * se_lg), "logit, replications as units"


def nonnegative_mean_ci(x, level: float = LEVEL) -> tuple[float, float, float, str]:
    """(mean, low, high, method): Student-t across replications, cut at 0 (the quantity is >= 0)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan, "none"
    m = float(x.mean())
    if x.size < 2:
        return m, math.nan, math.nan, "one replication"
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, max(0.0, m - half), m + half, "t across replications, cut at 0"


def replication_figures(conn: sqlite3.Connection) -> dict[str, float]:
    """One replication's figures; proportions as '<name>.k' / '<name>.n' pairs, the rest as plain values."""
    end = run_end_s(conn)
    f: dict[str, float] = {}
    for rule, row in deadline_compliance(conn, end).iterrows():
        f[f"on_time.{rule}.k"], f[f"on_time.{rule}.n"] = float(row["on_time"]), float(row["evaluated"])
    for ttype, row in return_visit_stats(conn).iterrows():
        f[f"return_visit_rate.{ttype}.k"], f[f"return_visit_rate.{ttype}.n"] = float(row["sampled"]), \
            float(row["eligible"])
    b = backlog(conn, 86400.0, end)
    f["backlog.mean_open"] = float(b["open"].mean()) if len(b) else 0.0
    f["backlog.max_open"] = float(b["open"].max()) if len(b) else 0.0
    o = pd.read_sql("SELECT kind, talk_s, role FROM outbound WHERE finish_s IS NOT NULL", conn)
    agents = o[~o["role"].isin(DESK_PERFORMERS)]
    for kind, g in agents.groupby("kind"):
        f[f"outbound.{kind}.calls"] = float(len(g))
        f[f"outbound.{kind}.agent_hours"] = float(g["talk_s"].sum() / 3600)
    f["outbound.agent_hours"] = float(agents["talk_s"].sum() / 3600)
    f["outbound.desk_staff_hours"] = float(o.loc[o["role"].isin(DESK_PERFORMERS), "talk_s"].sum() / 3600)
    f["pending_handover"] = float(pending_handover_count(conn))
    return f


def desk_figures(conns: list[sqlite3.Connection], level: float = LEVEL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per_replication, pooled). ``per_replication``: one row per store (proportions as shares); ``pooled``:
    one row per figure with estimate, ci_low, ci_high, replications and the interval method."""
    raw = pd.DataFrame([replication_figures(c) for c in conns]).rename_axis("replication")
    props = sorted({c[:-2] for c in raw.columns if c.endswith(".k")})
    counts = [c for c in raw.columns if not (c.endswith(".k") or c.endswith(".n"))]
    counts = [c for c in counts if not c.startswith("outbound.")] + sorted(c for c in counts
                                                                            if c.startswith("outbound."))
    per_rep = pd.DataFrame(index=raw.index)
    rows = []
    for name in props:
        k, n = raw[f"{name}.k"].fillna(0), raw[f"{name}.n"].fillna(0)
        per_rep[name] = np.where(n > 0, k / n.where(n > 0, 1), np.nan)
        est, lo, hi, how = pooled_proportion_ci(k, n, level)
        rows.append({"figure": name, "kind": "share", "estimate": est, "ci_low": lo, "ci_high": hi,
                     "replications": int((n > 0).sum()), "method": how})
    for name in counts:
        x = raw[name].fillna(0.0)     # a kind no call of which was made in a replication: 0 calls, 0 hours
        per_rep[name] = x
        est, lo, hi, how = nonnegative_mean_ci(x, level)
        rows.append({"figure": name, "kind": "mean per replication", "estimate": est, "ci_low": lo,
                     "ci_high": hi, "replications": int(x.size), "method": how})
    return per_rep, pd.DataFrame(rows).set_index("figure")
