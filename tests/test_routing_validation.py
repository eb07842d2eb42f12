"""Skills-based routing against independent references.

(a) The "N model" (two call types, a dedicated and a flexible pool) against its exact CTMC
(``tests/nmodel_ctmc.py``, solved with scipy): per type P(abandon), service level and ASA.
(b) A two-class, two-pool case against Ciw (``test_routing_ciw.py``).
(c) Without ``[routing]`` the one-pool model, bit for bit (``test_routing_identity.py``).
"""
from __future__ import annotations

import numpy as np
import pytest

from nmodel_ctmc import nmodel_exact
from sim.runner import run
from sim.scenario import validate_scenario

C1, C2, LAM_A, LAM_B, TALK, PATIENCE = 2, 3, 35.0, 25.0, 240.0, 120.0   # calls/h, seconds


def nmodel_scenario(days: int) -> dict:
    return {
        "horizon": {"days": days, "warmup_minutes": 120},
        "arrivals": {"calls_per_hour": LAM_A + LAM_B},
        "call_types": {"A": {"share": LAM_A / (LAM_A + LAM_B), "talk": {"family": "exponential", "mean": TALK}},
                       "B": {"share": LAM_B / (LAM_A + LAM_B), "talk": {"family": "exponential", "mean": TALK}}},
        "callers": {"patience": {"family": "exponential", "mean": PATIENCE}},
        "metrics": {"exclude_short_abandons": False, "service_level_threshold_s": 20},
        "agents": {"headcount": 0},
        "routing": {"groups": {"dedicated": {"skills": {"A": 1}, "headcount": C1},
                               "flex": {"skills": {"B": 1, "A": 2}, "headcount": C2}},
                    "call_types": {"A": [{"group": "dedicated"}, {"group": "flex"}]}},
    }


def test_nmodel_exact_reduces_to_erlang_a():
    """The CTMC code itself: with no dedicated pool and no A calls it is M/M/12+M of
    scenarios/validation/mmcm_erlang_a.toml, whose exact values are P(abandon) 0.0616, SL(20 s) 0.8256."""
    r = nmodel_exact(0, 12, 1e-12, 200 / 3600, 1 / 180, 1 / 120)["B"]
    assert r["abandon"] == pytest.approx(0.0616, abs=5e-5)
    assert r["service_level"] == pytest.approx(0.8256, abs=5e-5)


def test_nmodel_matches_the_exact_ctmc():
    """Fixed seed, 6 replications of 20 days (~28 000 calls each). Tolerance: each of the 6 compared values
    must lie within its 95 % CI across replications widened by 1.5 (≈ 2.9 standard errors: a 6-fold
    Bonferroni family at 5 % needs 2.64), and the exact values' truncation tail is < 1e-12."""
    exact = nmodel_exact(C1, C2, LAM_A / 3600, LAM_B / 3600, 1 / TALK, 1 / PATIENCE, t_sl=20.0)
    assert exact["tail"] < 1e-12
    res = run(validate_scenario(nmodel_scenario(20)), replications=6, seed=16, keep_calls=False)
    table = res.breakdown.set_index(["level", "name", "metric"])
    for ctype in ("A", "B"):
        for metric, key in (("abandon_rate", "abandon"), ("service_level", "service_level"), ("asa", "asa")):
            row = table.loc[("type", ctype, metric)]
            mid, half = row["mean"], 1.5 * max(row["mean"] - row["ci_low"], row["ci_high"] - row["mean"])
            assert abs(exact[ctype][key] - mid) <= half, (ctype, metric, mid, row["ci_low"], row["ci_high"],
                                                          exact[ctype][key])
    # the structure the exact model predicts: the dedicated pool never answers B
    assert table.loc[("group", "dedicated", "answered"), "mean"] > 0
