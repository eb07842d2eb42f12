"""Counter metrics: what the walk-in visitors got, from one replication's visit log (``sim.counter.VisitLog``).

Visitors belong to the reported period when they arrive at or after the warm-up. Times are seconds inside,
hours where the name says so. Ratio metrics come with their numerator and denominator so replications are
pooled as ratio estimators (``sim.confidence``), exactly like the phone metrics; their domains are declared
in ``sim.metric_domains``. The phone metrics keep their definitions: phone *occupancy* counts phone and
outbound work only — the share of staff time spent at the counter is ``counter.staff_share`` beside it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.counter import BALKED, LEFT, OPEN, SERVED, VisitLog

COUNTER_METRICS = ("counter.visits", "counter.served", "counter.wait_mean", "counter.wait_p90",
                   "counter.served_within_target", "counter.balk_rate", "counter.left_rate", "counter.open",
                   "counter.staff_hours", "counter.staff_share")
"""In the order the summary, the CLI and the report show them."""


def counter_definitions(cfg) -> dict:
    """What each counter metric means (summary.json ``definitions.counter``, the report)."""
    n = cfg.wait_target_minutes
    return {
        "counter.visits": "visitors who arrived at the counter in the reported period (after the warm-up)",
        "counter.served": "visitors served (their service started and ended inside the run)",
        "counter.wait_mean": "mean wait from arrival to the start of service of the served visitors, s",
        "counter.wait_p90": "90th percentile of the served visitors' waits in each replication (s), averaged "
                            "over replications",
        "counter.served_within_target": f"visitors served within {n:g} min of arriving / visitors who joined the "
                                        "queue and were served or left",
        "counter.balk_rate": "visitors who turned away on seeing the queue / visitors",
        "counter.left_rate": "visitors who left the queue before being served / visitors who joined the queue "
                             "and were served or left",
        "counter.open": "visitors still waiting or in service when the run ended (censored; in no rate)",
        "counter.staff_hours": "staff time spent serving visitors, hours",
        "counter.staff_share": "staff time at the counter / staff ready time (the phone occupancy does not "
                               "count counter time)",
        "policy": cfg.policy + (f" (phone_reserve = {cfg.phone_reserve})" if cfg.policy == "phone_reserved" else ""),
        "wait_target_minutes": n,
    }


def counter_metric_parts(visits: VisitLog, ready: pd.DataFrame, sc) -> tuple[dict, dict]:
    """(run metrics, ratio parts ``{metric: (numerator, denominator)}``) of one replication."""
    warmup = sc.horizon.warmup_s
    reported = visits.arrive >= warmup
    outcome = visits.outcome[reported]
    start, arrive, end = visits.start[reported], visits.arrive[reported], visits.end[reported]
    served = outcome == SERVED
    finished_queue = served | (outcome == LEFT)
    wait = start[served] - arrive[served]
    within = float(np.sum(wait <= sc.counter.wait_target_minutes * 60.0))
    counter_s = float(np.sum(end[served] - start[served]))
    ready_s = float(np.sum(np.maximum(ready["end"].to_numpy(float) - np.maximum(ready["start"].to_numpy(float),
                                                                                warmup), 0.0)))
    parts = {
        "counter.wait_mean": (float(wait.sum()), float(served.sum())),
        "counter.served_within_target": (within, float(finished_queue.sum())),
        "counter.balk_rate": (float(np.sum(outcome == BALKED)), float(outcome.size)),
        "counter.left_rate": (float(np.sum(outcome == LEFT)), float(finished_queue.sum())),
        "counter.staff_share": (counter_s, ready_s),
    }
    run = {name: (num / den if den > 0 else np.nan) for name, (num, den) in parts.items()}
    run.update({"counter.visits": float(outcome.size), "counter.served": float(served.sum()),
                "counter.wait_p90": float(np.quantile(wait, 0.9)) if wait.size else np.nan,
                "counter.open": float(np.sum(outcome == OPEN)), "counter.staff_hours": counter_s / 3600.0})
    return {name: run[name] for name in COUNTER_METRICS}, parts
