"""Metrics per call type and per skill group, beside the run totals (scenarios with ``[routing]``).

Definitions (``../shared/spec/metrics.md`` where it speaks; the same call population as the totals: calls that
arrived inside the reported horizon and reached the agent queue):

- per **call type** — *service_level*: answered within ``service_level_threshold_s`` / offered (short abandons
  excluded from the denominator when ``exclude_short_abandons``), as the total's metric 21; *asa*: mean wait of
  the type's answered calls (metric 9); *abandon_rate*: abandoned / offered, short abandons excluded likewise
  (metric 14); *offered*, *answered*: counts.
- per **group** — only what a group is responsible for: *service_level*: share of the calls the group
  answered that it answered within the threshold (denominator: its answered calls — an abandoned call was
  answered by no group, so a group has no abandon rate); *asa*: mean wait of the calls it answered;
  *answered*: calls it answered; *occupancy*: its agents' busy time (talk + hold + ACW + outbound work) / their
  ready time, by when it happens (metric 13).

Ratios come as (numerator, denominator) per replication, so replications are pooled as ratio estimators with
the run's confidence intervals (``sim.confidence.ratio_ci``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.confidence import ratio_ci
from sim.metrics import _part_of, call_outcomes   # _part_of: the run occupancy's float-hair guard
from sim.metric_domains import domain_of

TYPE_METRICS = ("service_level", "asa", "abandon_rate", "offered", "answered")
GROUP_METRICS = ("service_level", "asa", "occupancy", "answered")
COUNTS = ("offered", "answered")

DEFINITIONS = {
    "by_call_type": "calls of the type offered inside the reported horizon; service_level = answered within the "
                    "threshold / offered (short abandons excluded when configured), asa = mean wait of its answered "
                    "calls, abandon_rate = abandoned / offered (short abandons excluded likewise)",
    "by_group": "service_level = share of the calls the group answered that it answered within the threshold "
                "(denominator: its answered calls; a group has no abandon rate), asa = mean wait of the calls it "
                "answered, occupancy = its agents' busy / ready time",
}


def breakdown_parts(out, sc, calls: pd.DataFrame) -> dict:
    """One replication: ``{"type:<name>" | "group:<name>": {metric: (num, den)}}`` (counts as (n, 1))."""
    o = call_outcomes(calls, sc)   # the run metrics' definitions (sim.metrics)
    offered, answered, abandoned, wait, short, in_time = o.offered, o.answered, o.abandoned, o.wait, o.short, o.in_time
    ctype = calls["call_type"].cat.codes.to_numpy() if hasattr(calls["call_type"], "cat") else \
        pd.Categorical(calls["call_type"], categories=sc.type_names()).codes
    out_parts: dict = {}
    for k, name in enumerate(sc.type_names()):
        m = ctype == k
        n_off, n_ans, n_short = float((offered & m).sum()), float((answered & m).sum()), float((short & m).sum())
        out_parts[f"type:{name}"] = {
            "service_level": (float((in_time & m).sum()), n_off - n_short),
            "asa": (float(wait[answered & m].sum()), n_ans),
            "abandon_rate": (float((abandoned & m).sum()) - n_short, n_off - n_short),
            "offered": (n_off, 1.0), "answered": (n_ans, 1.0)}
    if not out.agent_groups:
        return out_parts
    groups = np.array(out.agent_groups)
    agent = calls["agent"].to_numpy()
    by_agent = np.where(agent >= 0, agent, 0)
    call_group = np.where(agent >= 0, groups[by_agent] if groups.size else "", "")
    busy, ready = _group_time(out, sc, calls, groups)
    for name in sc.routing.groups:
        m = call_group == name
        n_ans = float((answered & m).sum())
        out_parts[f"group:{name}"] = {
            "service_level": (float((in_time & m).sum()), n_ans),
            "asa": (float(wait[answered & m].sum()), n_ans),
            "occupancy": (float(_part_of(busy.get(name, 0.0), ready.get(name, 0.0))), ready.get(name, 0.0)),
            "answered": (n_ans, 1.0)}
    return out_parts


def _group_time(out, sc, calls: pd.DataFrame, groups: np.ndarray) -> tuple[dict, dict]:
    """Busy and ready seconds per group inside the reported horizon."""
    lo, hi = sc.horizon.warmup_s, sc.horizon.length_s
    clip = lambda a: np.clip(np.asarray(a, dtype=float), lo, hi)  # noqa: E731
    answer, acw_end = calls["answer"].to_numpy(), calls["acw_end"].to_numpy()
    served = np.isfinite(answer) & np.isfinite(acw_end)
    agent = calls["agent"].to_numpy()[served]
    seconds = clip(acw_end[served]) - clip(answer[served])
    busy = pd.Series(seconds).groupby(groups[agent]).sum().to_dict() if agent.size else {}
    ob = np.array([(r[3], r[4], r[5]) for r in out.outbound.rows], dtype=float).reshape(-1, 3)
    ob = ob[ob[:, 2] >= 0]
    for g, s in pd.Series(clip(ob[:, 1]) - clip(ob[:, 0])).groupby(groups[ob[:, 2].astype(int)]).sum().items():
        busy[g] = busy.get(g, 0.0) + s
    rf = out.ready.frame()
    ready_s = clip(rf["end"]) - clip(rf["start"])
    ready = pd.Series(ready_s).groupby(groups[rf["agent"].to_numpy().astype(int)]).sum().to_dict() if len(rf) else {}
    return {k: float(v) for k, v in busy.items()}, {k: float(v) for k, v in ready.items()}


def summarise_breakdown(parts_per_rep: list[dict]) -> pd.DataFrame | None:
    """Pooled estimates over replications: rows (level, name, metric) with mean, ci_low, ci_high, n, note.
    Counts are means per replication (no interval); ratios use the run's ratio estimator and domains."""
    if not parts_per_rep or not parts_per_rep[0]:
        return None
    rows = []
    for key, metrics in parts_per_rep[0].items():
        level, name = key.split(":", 1)
        for metric in metrics:
            num = np.array([[p[key][metric][0]] for p in parts_per_rep])
            den = np.array([[p[key][metric][1]] for p in parts_per_rep])
            if metric in COUNTS:
                rows.append((level, name, metric, float(num.mean()), np.nan, np.nan, len(num), ""))
                continue
            r = ratio_ci(num, den, domain_of(metric))
            rows.append((level, name, metric, float(r["mean"][0]), float(r["ci_low"][0]), float(r["ci_high"][0]),
                         int(r["n"][0]), str(r["note"][0])))
    return pd.DataFrame(rows, columns=["level", "name", "metric", "mean", "ci_low", "ci_high", "n", "note"])


def breakdown_dict(table: pd.DataFrame | None) -> dict:
    """``{"by_call_type": {type: {metric: {...}}}, "by_group": {...}, "definitions": {...}}`` for summary.json."""
    if table is None:
        return {}
    clean = lambda v: None if not np.isfinite(v) else float(v)  # noqa: E731
    out: dict = {"by_call_type": {}, "by_group": {}}
    for row in table.itertuples(index=False):
        section = out["by_call_type" if row.level == "type" else "by_group"]
        entry = {"mean": clean(row.mean), "ci_low": clean(row.ci_low), "ci_high": clean(row.ci_high), "n": int(row.n)}
        if row.note:
            entry["note"] = row.note
        section.setdefault(row.name, {})[row.metric] = entry
    out["breakdown_definitions"] = DEFINITIONS
    return out
