"""Staffing with skills: agents per skill group, found by simulation from the per-type Erlang figures.

Erlang per call type ignores what skills-based routing does (pooling through overflow, a flexible group that
serves several types), so the requirement per group is searched by simulating the scenario's routing:

1. **Start**: each call type's Erlang A/C requirement (``staffing.requirements`` on the type's traffic, AHT
   and the scenario's targets) is added to the type's *primary* group (the first group of its route).
2. **Add**: while some call type misses a target, one agent is added to the primary group of the type that
   misses it by most (relative shortfall), and the routing is simulated again.
3. **Trim**: then one agent at a time is taken from the group with the lowest occupancy as long as every type
   still meets every target.

Targets apply to every call type alone: the scenario's ``service_level`` (min), ``abandon_rate`` (max) and
``asa`` (max). Each evaluation simulates a stationary load (``calls_per_hour``, the scenario's call mix) for
``days`` days after a 1-h warm-up, with the groups' agents on duty the whole time (``routing.groups.<g>.headcount``;
no shifts, breaks, absence, non-adherence or ``[desk]``), ``replications`` replications with the same seed at
every evaluation (common random numbers: a change in the numbers is a change in the staffing). Agents are on
the phones; heads = agents / (1 - shrinkage).

``requirements_by_group`` does this for every load level of the scenario's workload (the per-interval loads
rounded up to ``levels`` levels, from the lowest; a level's trim stops at the level below's sizes) and gives agents and heads per interval and group, which the shift planner
takes one group at a time (``requirements_<group>.csv`` -> ``acdsim schedule``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ScenarioError

TARGETS = {"service_level": "min", "abandon_rate": "max", "asa": "max"}


@dataclass
class GroupSearch:
    """Result of one search: ``sizes`` (group -> agents), ``start`` (the Erlang start), ``per_type`` (metrics per
    call type at ``sizes``), ``met`` (all targets met), ``evaluations`` (simulations run)."""

    calls_per_hour: float
    start: dict
    sizes: dict
    per_type: pd.DataFrame
    met: bool
    evaluations: int


def type_targets(sc) -> dict:
    """{metric: (bound kind, value)} of the scenario's targets that apply per call type."""
    out = {}
    for name, kind in TARGETS.items():
        target = sc.targets.get(name)
        bound = getattr(target, kind, None) if target is not None else None
        if bound is not None:
            out[name] = (kind, float(bound))
    if not out:
        raise ScenarioError("staffing with skills needs a targets.service_level.min, targets.abandon_rate.max or "
                            "targets.asa.max in the scenario")
    return out


def erlang_start(sc, calls_per_hour: float, primary: dict | None = None) -> dict:
    """Per-type Erlang requirement at ``calls_per_hour`` (the scenario's mix), summed per primary group
    (``primary``: type -> group; default the first group of the type's route)."""
    from sim.skills_config import routing_plan
    from staffing.requirements import StaffingTarget, agents_for_traffic

    plan = routing_plan(sc.routing, sc.type_names())
    target = StaffingTarget.from_mapping(sc.staffing_targets())
    sizes = {g: 0 for g in plan.groups}
    for k, (name, ct) in enumerate(sc.call_types.items()):
        aht = ct.talk.expected() + ct.hold_prob * ct.hold.expected() + (ct.acw.expected() if ct.acw else 0.0)
        traffic = calls_per_hour * ct.share * (1.0 - ct.ivr_self_service) * aht / 3600.0
        if traffic <= 0:
            continue
        need = int(agents_for_traffic(np.array([traffic]), np.array([aht]), target)[0])
        group = primary[name] if primary is not None else plan.groups[plan.route[k][0][0]]
        sizes[group] += need
    return sizes


def stationary_scenario(sc, calls_per_hour: float, sizes: dict, days: int):
    """The scenario at a constant load with ``sizes`` agents per group on duty the whole horizon."""
    from sim.scenario import validate_scenario

    data = json.loads(sc.model_dump_json(exclude_none=True))
    data["arrivals"] = {"calls_per_hour": float(calls_per_hour)}
    data["horizon"] = {"days": int(days), "interval_minutes": sc.horizon.interval_minutes, "warmup_minutes": 60}
    data["agents"] = {"headcount": 0}
    data.pop("desk", None)
    data["routing"].pop("default_group", None)
    for name in data["routing"]["groups"]:
        data["routing"]["groups"][name]["headcount"] = int(sizes[name])
    return validate_scenario(data, source=f"{sc.name} at {calls_per_hour:g} calls/h", base_dir=sc.base_dir)


def evaluate(sc, calls_per_hour: float, sizes: dict, *, days: int, replications: int, seed: int):
    """(per-type metrics DataFrame indexed by type, group occupancy dict) of one simulation of ``sizes``."""
    from sim.runner import run

    res = run(stationary_scenario(sc, calls_per_hour, sizes, days), replications=replications, seed=seed,
              keep_calls=False, force=True)
    table = res.breakdown
    per_type = table[table["level"] == "type"].pivot(index="name", columns="metric", values="mean")
    occ = table[(table["level"] == "group") & (table["metric"] == "occupancy")].set_index("name")["mean"]
    return per_type, {g: (float(v) if np.isfinite(v) else 0.0) for g, v in occ.items()}


def shortfall(per_type: pd.DataFrame, targets: dict) -> pd.Series:
    """Relative shortfall per call type (0 = every target met; NaN metrics count as missed)."""
    worst = pd.Series(0.0, index=per_type.index)
    for metric, (kind, bound) in targets.items():
        value = per_type[metric].fillna(-np.inf if kind == "min" else np.inf)
        scale = max(abs(bound), 1e-9)
        miss = (bound - value) / scale if kind == "min" else (value - bound) / scale
        worst = np.maximum(worst, miss.clip(lower=0.0).replace(np.inf, 1e9))
    return worst


def search_groups(sc, calls_per_hour: float, *, days: int = 5, replications: int = 2, seed: int | None = None,
                  max_evaluations: int = 60, groups: list[str] | None = None,
                  floor: dict | None = None) -> GroupSearch:
    """Agents per group that meet every call type's targets at ``calls_per_hour`` (see the module docstring).
    ``groups``: the groups the search staffs (default all); the others have no agents, and a call type's
    primary group is the first of these on its route. ``floor``: sizes the trim never goes below (the next
    lower load level's result, so that requirements grow with the load)."""
    from sim.skills_config import routing_plan

    if sc.routing is None:
        raise ScenarioError("staffing with skills needs a [routing] section (skill groups)")
    if not np.isfinite(calls_per_hour) or calls_per_hour < 0:
        raise ScenarioError(f"calls_per_hour must be a finite number >= 0, got {calls_per_hour!r}")
    targets = type_targets(sc)
    plan = routing_plan(sc.routing, sc.type_names())
    staffed = list(plan.groups) if groups is None else list(groups)
    unknown = [g for g in staffed if g not in plan.groups]
    if unknown or not staffed:
        raise ScenarioError(f"groups: unknown group(s) {unknown} (groups: {', '.join(plan.groups)})" if unknown
                            else "groups: name at least one group to staff")
    primary = {}
    for k, t in enumerate(sc.type_names()):
        on_route = [plan.groups[g] for g, _ in plan.route[k] if plan.groups[g] in staffed]
        if not on_route:
            raise ScenarioError(f"groups: call type '{t}' has none of {staffed} on its route")
        primary[t] = on_route[0]
    seed = sc.seed if seed is None else seed
    start = erlang_start(sc, calls_per_hour, primary)
    floor = floor or {}
    sizes = {g: max(v, floor.get(g, 0)) for g, v in start.items()}
    if calls_per_hour == 0:
        return GroupSearch(calls_per_hour, start, sizes, pd.DataFrame(), True, 0)
    n = 0

    def run_once(s):
        nonlocal n
        n += 1
        return evaluate(sc, calls_per_hour, s, days=days, replications=replications, seed=seed)

    per_type, occ = run_once(sizes)
    miss = shortfall(per_type, targets)
    while miss.max() > 0 and n < max_evaluations:
        sizes[primary[miss.idxmax()]] += 1
        per_type, occ = run_once(sizes)
        miss = shortfall(per_type, targets)
    met = bool(miss.max() <= 0)
    if met:
        for group in sorted(sizes, key=lambda g: occ.get(g, 0.0)):
            while sizes[group] > floor.get(group, 0) and n < max_evaluations:
                trial = dict(sizes, **{group: sizes[group] - 1})
                t_per_type, t_occ = run_once(trial)
                if shortfall(t_per_type, targets).max() > 0:
                    break
                sizes, per_type, occ = trial, t_per_type, t_occ
    return GroupSearch(calls_per_hour, start, sizes, per_type, met, n)


def requirements_by_group(sc, *, levels: int = 6, days: int = 5, replications: int = 2, seed: int | None = None,
                          groups: list[str] | None = None) -> tuple[pd.DataFrame, list[GroupSearch]]:
    """Agents and heads per interval and group for the scenario's workload: one search per load level (the
    per-interval loads rounded up to ``levels`` equal steps of the peak). Columns: interval, interval_start_s,
    calls_per_hour, group, agents, heads."""
    from staffing.shrinkage import heads_for_agents

    if not isinstance(levels, int) or not 1 <= levels <= 48:
        raise ScenarioError(f"levels must be an integer in 1..48, got {levels!r}")
    work = sc.workload()
    cph = work["calls"].to_numpy(float) * 3600.0 / sc.horizon.interval_s
    peak = float(cph.max()) if cph.size else 0.0
    step = peak / levels if peak > 0 else 1.0
    level_of = np.ceil(np.round(cph / step, 9)).astype(int)
    searches: dict[int, GroupSearch] = {}
    below = None
    for lv in sorted(set(level_of.tolist())):
        searches[lv] = below = search_groups(sc, lv * step, days=days, replications=replications, seed=seed,
                                             groups=groups, floor=below.sizes if below is not None else None)
    shrink = sc.agents.shrinkage
    rows = []
    for i, lv in enumerate(level_of.tolist()):
        for group, agents in searches[lv].sizes.items():
            rows.append((int(work["interval"].iloc[i]), float(work["interval_start_s"].iloc[i]), lv * step, group,
                         int(agents)))
    table = pd.DataFrame(rows, columns=["interval", "interval_start_s", "calls_per_hour", "group", "agents"])
    table["heads"] = heads_for_agents(table["agents"].to_numpy(float), shrink)
    return table, list(searches.values())
