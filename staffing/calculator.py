"""The Erlang calculator: "how many agents for 120 calls in 30 minutes at 240 s AHT?" in one table.

For one interval's workload it finds the smallest number of agents N on the phones that meets every
target, then lists N−2 … N+2 agents with the predicted service level, ASA, occupancy and abandonment
(Erlang C, or Erlang A when a patience mean is given) and names the target that binds — the one that
alone would need N agents. Units: calls per interval, seconds, fractions.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from staffing.requirements import StaffingTarget, _as_target, agents_for_traffic, predicted_metrics

_TARGET_GROUPS = {  # target name -> the StaffingTarget fields that make it up
    "service_level": ("service_level", "service_time_s"),
    "asa": ("asa_s",),
    "abandon_rate": ("abandon_rate",),
    "occupancy": ("occupancy_max",),
}
_EMPTY = {"service_level": None, "service_time_s": None, "asa_s": None, "abandon_rate": None, "occupancy_max": None}


def binding_targets(traffic: float, aht_s: float, target: StaffingTarget) -> dict[str, int]:
    """Agents each target would need on its own (target name -> N)."""
    out = {}
    for name, keys in _TARGET_GROUPS.items():
        if getattr(target, keys[0]) is None:
            continue
        alone = replace(target, **(_EMPTY | {k: getattr(target, k) for k in keys}))
        out[name] = int(agents_for_traffic(np.array([traffic]), aht_s, alone)[0])
    return out


def erlang_calculator(calls: float, aht_s: float, interval_s: float, target, around: int = 2) -> pd.DataFrame:
    """Rows for N−around … N+around agents (N = minimal agents meeting every target).

    Columns: agents, service_level, asa_s, occupancy, abandon_rate, meets (all targets), binds (the
    target(s) needing exactly N on their own, on the row of N). Raises ValueError on bad input.
    """
    target = _as_target(target)
    for name, value, ok in (("calls", calls, calls >= 0), ("aht_s", aht_s, aht_s > 0),
                            ("interval_s", interval_s, interval_s > 0)):
        if not (ok and np.isfinite(value)):
            raise ValueError(f"{name} must be a finite number {'>= 0' if name == 'calls' else '> 0'}, got {value!r}")
    if not (isinstance(around, int) and 0 <= around <= 50):
        raise ValueError(f"around must be a whole number in 0..50, got {around!r}")
    traffic = calls * aht_s / interval_s
    need = int(agents_for_traffic(np.array([traffic]), aht_s, target)[0])
    alone = binding_targets(traffic, aht_s, target)
    agents = np.arange(max(need - around, 1 if traffic > 0 else 0), need + around + 1)
    m = predicted_metrics(np.full(agents.shape, traffic), agents.astype(float), aht_s, target)
    table = pd.DataFrame({"agents": agents, "traffic_erlangs": traffic,
                          "service_level": m["service_level"], "asa_s": m["asa_s"],
                          "occupancy": m["occupancy"], "abandon_rate": m["abandon_rate"]})
    if not target.uses_erlang_a:  # Erlang C has no steady state with N <= A: the queue grows without bound
        unstable = agents <= traffic
        table.loc[unstable, ["service_level"]] = 0.0
        table.loc[unstable, ["asa_s"]] = np.inf
        table.loc[unstable, ["occupancy"]] = 1.0
    table["meets"] = agents >= need
    table["binds"] = ["" if n != need else ", ".join(k for k, v in alone.items() if v == need) for n in agents]
    table.attrs.update(model="Erlang A" if target.uses_erlang_a else "Erlang C", required=need, alone=alone)
    return table
