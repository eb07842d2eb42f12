"""Skills-based routing against Ciw (an independent discrete-event queueing library): two customer classes with
non-preemptive priority and reneging, served by two skill groups on a day/night server schedule.

Our scenario: group ``early`` (3 agents, 00:00-12:00 shifts) and group ``late`` (2 agents, 12:00-24:00), both
skilled for both call types; ``urgent`` has call-type priority 1. Ciw: one node with priority classes
(urgent first), exponential reneging and ``ciw.Schedule([3, 2], [12 h, 24 h])`` without pre-emption (a leaving
server finishes its customer, as our agents finish the call in hand). Ciw cannot restrict a server to some
classes, so the skill/overflow logic is checked against the exact N model (test_routing_validation.py); here
the group-tagged shifts, class priority between types and reneging are checked per class.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.runner import run
from sim.scenario import validate_scenario

ciw = pytest.importorskip("ciw")

DAYS, LAM = 12, {"general": 20.0, "urgent": 10.0}     # calls per hour
TALK, PATIENCE, SL_S, WARMUP_S = 240.0, 150.0, 20.0, 7200.0


def scenario() -> dict:
    total = sum(LAM.values())
    skills = {"general": 1, "urgent": 1}
    return {
        "horizon": {"days": DAYS, "warmup_minutes": WARMUP_S / 60},
        "arrivals": {"calls_per_hour": total},
        "call_types": {"general": {"share": LAM["general"] / total, "talk": {"family": "exponential", "mean": TALK}},
                       "urgent": {"share": LAM["urgent"] / total, "priority": 1,
                                  "talk": {"family": "exponential", "mean": TALK}}},
        "callers": {"patience": {"family": "exponential", "mean": PATIENCE}},
        "metrics": {"exclude_short_abandons": False, "service_level_threshold_s": SL_S},
        "agents": {"shifts": [{"name": "early", "start": "00:00", "end": "12:00", "count": 3, "group": "early"},
                              {"name": "late", "start": "12:00", "end": "00:00", "count": 2, "group": "late"}]},
        "routing": {"groups": {"early": {"skills": skills}, "late": {"skills": skills}}},
    }


def ciw_run(seed: int) -> dict:
    """One Ciw replication: per class (abandon share, SL, ASA) over arrivals in [warm-up, horizon)."""
    classes = ["general", "urgent"]
    network = ciw.create_network(
        arrival_distributions={c: [ciw.dists.Exponential(rate=LAM[c] / 3600)] for c in classes},
        service_distributions={c: [ciw.dists.Exponential(rate=1 / TALK)] for c in classes},
        number_of_servers=[ciw.Schedule(numbers_of_servers=[3, 2], shift_end_dates=[43200.0, 86400.0])],
        priority_classes={"general": 1, "urgent": 0},
        reneging_time_distributions={c: [ciw.dists.Exponential(rate=1 / PATIENCE)] for c in classes},
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(DAYS * 86400.0 + 6 * 3600.0)
    out = {}
    for c in classes:
        recs = [r for r in sim.get_all_records() if r.customer_class == c and WARMUP_S <= r.arrival_date < DAYS * 86400]
        served = [r.waiting_time for r in recs if r.record_type == "service"]
        reneged = sum(r.record_type == "renege" for r in recs)
        n = len(served) + reneged
        out[c] = {"abandon_rate": reneged / n, "service_level": sum(w <= SL_S for w in served) / n,
                  "asa": float(np.mean(served))}
    return out


@pytest.mark.slow
def test_two_classes_two_groups_match_ciw():
    """Fixed seeds, 8 replications each (~8 600 calls per replication). Tolerance: the difference of the two
    estimates within 1.5 x the 95 % half-width of a difference of two independent means (≈ 2.9 standard
    errors; 6 comparisons in the family, Bonferroni at 5 % needs 2.64)."""
    ours = run(validate_scenario(scenario()), replications=8, seed=21, keep_calls=False).breakdown
    ours = ours.set_index(["level", "name", "metric"])
    theirs = [ciw_run(100 + i) for i in range(8)]
    for c in ("general", "urgent"):
        for metric in ("abandon_rate", "service_level", "asa"):
            row = ours.loc[("type", c, metric)]
            half_ours = max(row["mean"] - row["ci_low"], row["ci_high"] - row["mean"])
            values = np.array([t[c][metric] for t in theirs])
            half_ciw = 2.365 * values.std(ddof=1) / math.sqrt(len(values))   # t(7) 97.5 %
            diff = abs(row["mean"] - values.mean())
            assert diff <= 1.5 * math.hypot(half_ours, half_ciw), (c, metric, row["mean"], values.mean())
    # priority works in both: urgent calls wait less
    assert ours.loc[("type", "urgent", "asa"), "mean"] < ours.loc[("type", "general", "asa"), "mean"]
